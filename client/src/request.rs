//! What the client can ask for: one [`AuthRequest`] per action of the login
//! backend, and the JSON bodies the API Gateway routes take.

use serde::{Deserialize, Serialize};

use crate::device::RememberedDevice;
use crate::secret::{AccessToken, ChallengeSession, Code, Password, RefreshToken};

/// One action of the login backend.
///
/// Its serde form is the variant's name around the route's JSON body,
/// `{"ForgetDevice": {"accessToken": "…", "deviceKey": "…"}}`, and holds
/// the request's secrets in clear, as the route bodies do: it is for
/// sending, never for a log. [`AuthRequest::to_body`] is the body alone;
/// [`AuthRequest::from_body`] reads one back. A sign-in, a challenge's
/// answer and a device to remember are sent with what only the transport
/// adds (a device's proof or verifier), so they are never read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all_fields = "camelCase")]
#[non_exhaustive]
pub enum AuthRequest {
    /// Create an account; Cognito sends a confirmation code.
    SignUp {
        /// The name the player signs in with.
        username: String,
        /// The new account's password.
        password: Password,
        /// Where the confirmation code goes.
        email: String,
        /// The player's language (BCP 47, `de`, `pt-BR`), kept as the
        /// account's `locale` attribute: the pool's custom message trigger
        /// writes the player's emails in it. `None` sets none.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        locale: Option<String>,
    },
    /// Confirm an account with the code that was sent.
    ConfirmSignUp {
        /// The account to confirm.
        username: String,
        /// The code from the email.
        code: Code,
    },
    /// Send the confirmation code again.
    ResendCode {
        /// The unconfirmed account.
        username: String,
    },
    /// Sign in with a username and password.
    #[serde(skip_deserializing)]
    SignIn {
        /// The account.
        username: String,
        /// Its password.
        password: Password,
        /// The device this computer remembers for the account, if any: a
        /// sign-in from it proves the device (`DEVICE_SRP_AUTH`) and skips
        /// the MFA code. Only its key is sent.
        #[serde(
            rename = "deviceKey",
            serialize_with = "some_device_key",
            skip_serializing_if = "Option::is_none"
        )]
        device: Option<RememberedDevice>,
    },
    /// Answer a challenge that a sign-in returned.
    #[serde(skip_deserializing)]
    RespondToChallenge {
        /// The account signing in.
        username: String,
        /// The challenge being answered.
        #[serde(rename = "challengeName")]
        challenge: ChallengeName,
        /// The session string the challenge came with.
        session: ChallengeSession,
        /// The answer: a one-time code, or the new password for
        /// [`ChallengeName::NewPasswordRequired`].
        answer: Password,
    },
    /// Trade a refresh token for fresh access and ID tokens.
    Refresh {
        /// The refresh token of the session.
        refresh_token: RefreshToken,
        /// The internal username (`sub`), needed where the app client has a secret.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        username: Option<String>,
    },
    /// Start a password reset: Cognito sends a code.
    ForgotPassword {
        /// The account.
        username: String,
    },
    /// Finish a password reset with the code and a new password.
    ResetPassword {
        /// The account.
        username: String,
        /// The code from the email.
        code: Code,
        /// The new password.
        password: Password,
    },
    /// Sign out of this device: the session's refresh token is revoked, and
    /// with it the access tokens issued from it. The account's sessions on
    /// other devices go on. A session without a refresh token has nothing
    /// to revoke: the transports answer at once.
    SignOut {
        /// The refresh token of the session.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        refresh_token: Option<RefreshToken>,
    },
    /// Sign out everywhere: every session of the account ends, this one
    /// included (`GlobalSignOut`).
    SignOutEverywhere {
        /// The access token of the session.
        access_token: AccessToken,
    },
    /// Change the signed-in account's password.
    ChangePassword {
        /// The access token of the session.
        access_token: AccessToken,
        /// The password now.
        #[serde(rename = "previousPassword")]
        previous: Password,
        /// The new password.
        #[serde(rename = "proposedPassword")]
        proposed: Password,
    },
    /// Read the signed-in account: its attributes and MFA settings.
    GetAccount {
        /// The access token of the session.
        access_token: AccessToken,
    },
    /// Delete the signed-in account for good.
    DeleteAccount {
        /// The access token of the session.
        access_token: AccessToken,
    },
    /// Change the account's email address: Cognito sends a code to the new
    /// one (`UpdateUserAttributes`). Until [`AuthRequest::VerifyEmail`], the
    /// address is unverified (where the pool keeps the old one until then,
    /// the old one stays in use).
    ChangeEmail {
        /// The access token of the session.
        access_token: AccessToken,
        /// The new address.
        email: String,
    },
    /// Send the email verification code again
    /// (`GetUserAttributeVerificationCode`).
    ResendEmailCode {
        /// The access token of the session.
        access_token: AccessToken,
    },
    /// Verify the email address with the code sent to it
    /// (`VerifyUserAttribute`).
    VerifyEmail {
        /// The access token of the session.
        access_token: AccessToken,
        /// The code from the email.
        code: Code,
    },
    /// Start adding an authenticator app: Cognito makes the app's shared
    /// secret (`AssociateSoftwareToken`).
    AddAuthenticator {
        /// The access token of the session.
        access_token: AccessToken,
    },
    /// Finish adding an authenticator app with the first code it shows
    /// (`VerifySoftwareToken`).
    VerifyAuthenticator {
        /// The access token of the session.
        access_token: AccessToken,
        /// The app's current code.
        code: Code,
        /// A name for the app, shown in the account's settings.
        device_name: String,
    },
    /// Turns an MFA method on (as the preferred one) or off
    /// (`SetUserMFAPreference`).
    SetMfa {
        /// The access token of the session.
        access_token: AccessToken,
        /// Which method.
        method: MfaMethod,
        /// On or off.
        enabled: bool,
    },
    /// Remember this device for the signed-in account: `ConfirmDevice` with
    /// the verifier of the device's password (made by the transport, off the
    /// caller's thread), then `UpdateDeviceStatus` where the pool remembers
    /// devices only when the player asks. Make the device with
    /// [`RememberedDevice::new`] from the sign-in's
    /// [`Tokens::new_device`](crate::Tokens::new_device), and keep it once
    /// this succeeds.
    #[serde(skip_deserializing)]
    RememberDevice {
        /// The access token of the session.
        access_token: AccessToken,
        /// The device, with its password (which is never sent: only its
        /// key is).
        #[serde(rename = "deviceKey", serialize_with = "device_key")]
        device: RememberedDevice,
        /// A name the player will recognise in the list of devices.
        #[serde(rename = "deviceName")]
        name: String,
    },
    /// The account's remembered devices (`ListDevices`).
    ListDevices {
        /// The access token of the session.
        access_token: AccessToken,
    },
    /// Forget a remembered device (`ForgetDevice`): sign-ins from it ask for
    /// the MFA code again.
    ForgetDevice {
        /// The access token of the session.
        access_token: AccessToken,
        /// The device's key.
        device_key: String,
    },
}

/// A second factor an account can ask for at sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MfaMethod {
    /// A code from an authenticator app (`SOFTWARE_TOKEN_MFA`).
    Authenticator,
    /// A code sent by email (`EMAIL_OTP`), where the pool allows it.
    Email,
}

impl MfaMethod {
    /// Cognito's name for the method in `UserMFASettingList`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Authenticator => "SOFTWARE_TOKEN_MFA",
            Self::Email => "EMAIL_OTP",
        }
    }
}

/// A sign-in challenge Cognito can ask the player to answer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
#[non_exhaustive]
pub enum ChallengeName {
    /// The account must set a new password (`NEW_PASSWORD_REQUIRED`).
    NewPasswordRequired,
    /// A code from an authenticator app (`SOFTWARE_TOKEN_MFA`).
    SoftwareTokenMfa,
    /// A code sent by SMS (`SMS_MFA`).
    SmsMfa,
    /// A code sent by email (`EMAIL_OTP`).
    EmailOtp,
    /// The pool requires MFA and the account has none yet (`MFA_SETUP`):
    /// the sign-in adds an authenticator app first. The transports start
    /// that themselves, so the challenge arrives with
    /// [`Challenge::authenticator`](crate::Challenge::authenticator) set;
    /// the answer is the app's first code.
    MfaSetup,
    /// Two or more kinds of sign-in code are on for the account
    /// (`SELECT_MFA_TYPE`): the answer is the chosen kind's challenge name
    /// ([`Challenge::mfa_choices`](crate::Challenge::mfa_choices)), and
    /// that kind's challenge follows.
    SelectMfaType,
    /// A challenge this client does not know, by its Cognito name.
    Other(String),
}

impl ChallengeName {
    /// The name Cognito uses.
    pub fn as_str(&self) -> &str {
        match self {
            Self::NewPasswordRequired => "NEW_PASSWORD_REQUIRED",
            Self::SoftwareTokenMfa => "SOFTWARE_TOKEN_MFA",
            Self::SmsMfa => "SMS_MFA",
            Self::EmailOtp => "EMAIL_OTP",
            Self::MfaSetup => "MFA_SETUP",
            Self::SelectMfaType => "SELECT_MFA_TYPE",
            Self::Other(name) => name,
        }
    }

    /// The `ChallengeResponses` key that carries the answer, or `None` for a
    /// challenge this client cannot answer with one key (`MFA_SETUP` is
    /// answered by verifying the new authenticator first).
    pub fn answer_key(&self) -> Option<&'static str> {
        match self {
            Self::NewPasswordRequired => Some("NEW_PASSWORD"),
            Self::SoftwareTokenMfa => Some("SOFTWARE_TOKEN_MFA_CODE"),
            Self::SmsMfa => Some("SMS_MFA_CODE"),
            Self::EmailOtp => Some("EMAIL_OTP_CODE"),
            Self::SelectMfaType => Some("ANSWER"),
            Self::MfaSetup | Self::Other(_) => None,
        }
    }
}

impl From<String> for ChallengeName {
    fn from(name: String) -> Self {
        match name.as_str() {
            "NEW_PASSWORD_REQUIRED" => Self::NewPasswordRequired,
            "SOFTWARE_TOKEN_MFA" => Self::SoftwareTokenMfa,
            "SMS_MFA" => Self::SmsMfa,
            "EMAIL_OTP" => Self::EmailOtp,
            "MFA_SETUP" => Self::MfaSetup,
            "SELECT_MFA_TYPE" => Self::SelectMfaType,
            _ => Self::Other(name),
        }
    }
}

impl From<ChallengeName> for String {
    fn from(name: ChallengeName) -> Self {
        name.as_str().to_owned()
    }
}

/// Serializes a device as its key alone: its password never leaves the game.
fn device_key<S: serde::Serializer>(device: &RememberedDevice, to: S) -> Result<S::Ok, S::Error> {
    to.serialize_str(&device.key)
}

/// [`device_key`] for a sign-in's device, which is skipped when there is none.
fn some_device_key<S: serde::Serializer>(
    device: &Option<RememberedDevice>,
    to: S,
) -> Result<S::Ok, S::Error> {
    device.as_ref().map(|device| &device.key).serialize(to)
}

mod actions;
pub mod body;

pub use actions::AuthAction;
pub(crate) use actions::with_actions;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_follow_the_contract() {
        let body = AuthRequest::RespondToChallenge {
            username: "ada".into(),
            challenge: ChallengeName::SoftwareTokenMfa,
            session: "s".into(),
            answer: "123456".into(),
        }
        .to_body();
        assert_eq!(
            body,
            serde_json::json!({"username": "ada", "session": "s",
                "challengeName": "SOFTWARE_TOKEN_MFA", "answer": "123456"})
        );
        let body = AuthRequest::Refresh {
            refresh_token: "r".into(),
            username: None,
        }
        .to_body();
        assert_eq!(body, serde_json::json!({"refreshToken": "r"}));
    }

    #[test]
    fn a_device_travels_as_its_key_never_its_password() {
        let device = crate::RememberedDevice::new(crate::NewDevice {
            key: "eu-west-1_0a1b".into(),
            group_key: "-group".into(),
        })
        .unwrap();
        let password = device.password.expose().to_owned();
        let sign_in = AuthRequest::SignIn {
            username: "ada".into(),
            password: "Pass-1".into(),
            device: Some(device.clone()),
        };
        let remember = AuthRequest::RememberDevice {
            access_token: "a".into(),
            device,
            name: "Desk".into(),
        };
        assert_eq!(
            sign_in.to_body(),
            serde_json::json!({"username": "ada", "password": "Pass-1", "deviceKey": "eu-west-1_0a1b"})
        );
        assert_eq!(
            remember.to_body(),
            serde_json::json!({"accessToken": "a", "deviceKey": "eu-west-1_0a1b", "deviceName": "Desk"})
        );
        for request in [&sign_in, &remember] {
            let whole = serde_json::to_string(request).unwrap();
            assert!(!whole.contains(&password), "{whole}");
            assert!(!whole.contains("-group"), "{whole}");
            // What the transport adds is missing: never read back.
            assert!(AuthRequest::from_body(request.action(), request.to_body()).is_err());
        }
    }

    #[test]
    fn every_other_request_reads_back_from_its_body() {
        let access_token = || AccessToken::from("a");
        for request in [
            AuthRequest::SignUp {
                username: "ada".into(),
                password: "Pass-1".into(),
                email: "ada@example.com".into(),
                locale: Some("pt-BR".into()),
            },
            AuthRequest::Refresh {
                refresh_token: "r".into(),
                username: None,
            },
            AuthRequest::SignOut {
                refresh_token: Some("r".into()),
            },
            AuthRequest::ChangePassword {
                access_token: access_token(),
                previous: "Old-1".into(),
                proposed: "New-2".into(),
            },
            AuthRequest::SetMfa {
                access_token: access_token(),
                method: MfaMethod::Authenticator,
                enabled: false,
            },
            AuthRequest::VerifyAuthenticator {
                access_token: access_token(),
                code: "123456".into(),
                device_name: "Phone".into(),
            },
            AuthRequest::ForgetDevice {
                access_token: access_token(),
                device_key: "k".into(),
            },
        ] {
            let body = request.to_body();
            assert_eq!(
                AuthRequest::from_body(request.action(), body.clone()).unwrap(),
                request,
                "{body}"
            );
        }
        assert_eq!(
            AuthRequest::ChangePassword {
                access_token: access_token(),
                previous: "Old-1".into(),
                proposed: "New-2".into(),
            }
            .to_body(),
            serde_json::json!({"accessToken": "a", "previousPassword": "Old-1",
                "proposedPassword": "New-2"})
        );
        // Another action's body is not this one's.
        assert!(
            AuthRequest::from_body(
                AuthAction::ForgetDevice,
                serde_json::json!({"accessToken": "a"})
            )
            .is_err()
        );
    }

    #[test]
    fn challenge_names_round_trip() {
        for name in [
            "NEW_PASSWORD_REQUIRED",
            "SMS_MFA",
            "EMAIL_OTP",
            "MFA_SETUP",
            "CUSTOM_CHALLENGE",
        ] {
            assert_eq!(ChallengeName::from(name.to_owned()).as_str(), name);
        }
        assert_eq!(
            ChallengeName::from("MFA_SETUP".to_owned()),
            ChallengeName::MfaSetup
        );
        assert_eq!(
            ChallengeName::from("MFA_SETUP".to_owned()).answer_key(),
            None
        );
    }
}
