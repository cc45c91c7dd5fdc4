//! The JSON bodies of the API Gateway routes, shared by the client that sends
//! them and the backend that reads them, and [`AuthRequest::to_body`].

use serde::{Deserialize, Serialize};

use std::collections::BTreeMap;

use super::{AuthRequest, ChallengeName, MfaMethod};
use crate::secret::{AccessToken, ChallengeSession, Code, Password, RefreshToken};

/// `POST /signup`.
#[derive(Debug, Serialize, Deserialize)]
pub struct SignUp {
    /// The new account's username.
    pub username: String,
    /// Its password.
    pub password: Password,
    /// Its email address.
    pub email: String,
    /// The player's language ([`MAX_LOCALE_LEN`] characters of letters,
    /// digits and `-` at most), kept as the account's `locale`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
}

/// The longest `locale` a sign-up may set: the longest BCP 47 tag the
/// standard asks implementations to take.
pub const MAX_LOCALE_LEN: usize = 35;

/// Whether `locale` is a language tag's shape: letters, digits and `-`,
/// [`MAX_LOCALE_LEN`] at most.
pub fn is_locale(locale: &str) -> bool {
    !locale.is_empty()
        && locale.len() <= MAX_LOCALE_LEN
        && locale
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
}

/// `POST /confirm`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Confirm {
    /// The account.
    pub username: String,
    /// The confirmation code.
    pub code: Code,
}

/// `POST /resend` and `POST /forgot`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Username {
    /// The account.
    pub username: String,
}

/// `POST /signin`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignIn {
    /// The account.
    pub username: String,
    /// Its password.
    pub password: Password,
    /// The key of the device this computer remembers for the account: the
    /// answer may then be the `DEVICE_SRP_AUTH` challenge, which the client
    /// answers through `/challenge`. The device's password never leaves the
    /// game.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_key: Option<String>,
}

/// `POST /challenge`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Challenge {
    /// The account.
    pub username: String,
    /// The session string of the challenge.
    pub session: ChallengeSession,
    /// Which challenge is answered.
    pub challenge_name: ChallengeName,
    /// The answer.
    pub answer: Password,
    /// The answers of `DEVICE_SRP_AUTH` (`DEVICE_KEY`, `SRP_A`) and
    /// `DEVICE_PASSWORD_VERIFIER` (`DEVICE_KEY`, `PASSWORD_CLAIM_SIGNATURE`,
    /// `PASSWORD_CLAIM_SECRET_BLOCK`, `TIMESTAMP`), whose `answer` is empty.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub responses: BTreeMap<String, String>,
}

/// `POST /account/devices/remember`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RememberDevice {
    /// The access token of the session.
    pub access_token: AccessToken,
    /// The device's key.
    pub device_key: String,
    /// The verifier of the device's password, base64.
    pub password_verifier: String,
    /// Its salt, base64.
    pub salt: String,
    /// The name to list the device under.
    pub device_name: String,
}

/// `POST /account/devices/forget`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ForgetDevice {
    /// The access token of the session.
    pub access_token: AccessToken,
    /// The device's key.
    pub device_key: String,
}

/// `POST /refresh`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Refresh {
    /// The refresh token.
    pub refresh_token: RefreshToken,
    /// The internal username, where a secret hash needs it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
}

/// `POST /reset`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Reset {
    /// The account.
    pub username: String,
    /// The reset code.
    pub code: Code,
    /// The new password.
    pub password: Password,
}

/// `POST /signout`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignOut {
    /// The refresh token of the session.
    pub refresh_token: RefreshToken,
}

/// `POST /signout/everywhere`, `POST /account`, `POST /account/delete`,
/// `POST /account/email/resend` and `POST /account/mfa/authenticator`:
/// the session's access token.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    /// The access token of the session.
    pub access_token: AccessToken,
}

/// `POST /account/email`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeEmail {
    /// The access token of the session.
    pub access_token: AccessToken,
    /// The new address.
    pub email: String,
}

/// `POST /account/email/verify`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyEmail {
    /// The access token of the session.
    pub access_token: AccessToken,
    /// The code from the email.
    pub code: Code,
}

/// `POST /account/mfa/authenticator/verify`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyAuthenticator {
    /// The access token of the session.
    pub access_token: AccessToken,
    /// The app's current code.
    pub code: Code,
    /// A name for the app.
    pub device_name: String,
}

/// `POST /account/mfa`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetMfa {
    /// The access token of the session.
    pub access_token: AccessToken,
    /// Which method.
    pub method: MfaMethod,
    /// On or off.
    pub enabled: bool,
}

/// `POST /account/password`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangePassword {
    /// The access token of the session.
    pub access_token: AccessToken,
    /// The password now.
    pub previous_password: Password,
    /// The new password.
    pub proposed_password: Password,
}

impl AuthRequest {
    /// The JSON body of this request on the API Gateway contract; that of
    /// [`AuthRequest::RememberDevice`] still lacks the verifier of the
    /// password the transport makes ([`RememberDevice`] is the whole body).
    pub fn to_body(&self) -> serde_json::Value {
        let value = match self.clone() {
            Self::SignUp {
                username,
                password,
                email,
                locale,
            } => serde_json::to_value(SignUp {
                username,
                password,
                email,
                locale,
            }),
            Self::ConfirmSignUp { username, code } => {
                serde_json::to_value(Confirm { username, code })
            }
            Self::ResendCode { username } | Self::ForgotPassword { username } => {
                serde_json::to_value(Username { username })
            }
            Self::SignIn {
                username,
                password,
                device,
            } => serde_json::to_value(SignIn {
                username,
                password,
                device_key: device.map(|device| device.key),
            }),
            Self::RespondToChallenge {
                username,
                challenge,
                session,
                answer,
            } => serde_json::to_value(Challenge {
                username,
                session,
                challenge_name: challenge,
                answer,
                responses: BTreeMap::new(),
            }),
            Self::Refresh {
                refresh_token,
                username,
            } => serde_json::to_value(Refresh {
                refresh_token,
                username,
            }),
            Self::ResetPassword {
                username,
                code,
                password,
            } => serde_json::to_value(Reset {
                username,
                code,
                password,
            }),
            Self::SignOut { refresh_token } => {
                serde_json::to_value(refresh_token.map(|refresh_token| SignOut { refresh_token }))
            }
            Self::SignOutEverywhere { access_token }
            | Self::GetAccount { access_token }
            | Self::DeleteAccount { access_token }
            | Self::ResendEmailCode { access_token }
            | Self::AddAuthenticator { access_token }
            | Self::ListDevices { access_token } => serde_json::to_value(Session { access_token }),
            Self::ChangeEmail {
                access_token,
                email,
            } => serde_json::to_value(ChangeEmail {
                access_token,
                email,
            }),
            Self::VerifyEmail { access_token, code } => {
                serde_json::to_value(VerifyEmail { access_token, code })
            }
            Self::VerifyAuthenticator {
                access_token,
                code,
                device_name,
            } => serde_json::to_value(VerifyAuthenticator {
                access_token,
                code,
                device_name,
            }),
            Self::SetMfa {
                access_token,
                method,
                enabled,
            } => serde_json::to_value(SetMfa {
                access_token,
                method,
                enabled,
            }),
            // The verifier is added by the transport, which makes the
            // device's password.
            Self::RememberDevice {
                access_token,
                device,
                name,
            } => Ok(serde_json::json!({"accessToken": access_token.expose(),
                "deviceKey": device.key, "deviceName": name})),
            Self::ForgetDevice {
                access_token,
                device_key,
            } => serde_json::to_value(ForgetDevice {
                access_token,
                device_key,
            }),
            Self::ChangePassword {
                access_token,
                previous,
                proposed,
            } => serde_json::to_value(ChangePassword {
                access_token,
                previous_password: previous,
                proposed_password: proposed,
            }),
        };
        value.expect("request bodies are plain strings and always serialize")
    }
}
