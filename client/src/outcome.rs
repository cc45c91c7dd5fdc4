//! What a request can end in when it succeeds.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::device::{Device, NewDevice};
use crate::request::ChallengeName;
use crate::secret::{AccessToken, AuthenticatorSecret, ChallengeSession, IdToken, RefreshToken};
use crate::signing_keys::SigningKeys;

/// The successful end of an [`AuthRequest`](crate::AuthRequest).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthOutcome {
    /// The account exists; unless it is already confirmed, a code went to
    /// `delivery`.
    SignedUp {
        /// `true` when the pool confirmed the account at once.
        confirmed: bool,
        /// The account's `sub`, when the backend tells it.
        user_sub: Option<String>,
        /// Where the confirmation code went.
        delivery: Option<CodeDelivery>,
    },
    /// The account is confirmed; the player can sign in.
    Confirmed,
    /// A code was sent (resend, forgot password).
    CodeSent(CodeDelivery),
    /// Signed in, answered or refreshed: the session's tokens.
    Tokens(Tokens),
    /// Sign-in needs one more step.
    Challenge(Challenge),
    /// The password was reset; the player can sign in with the new one.
    PasswordReset,
    /// Signed out on the server (this device, or everywhere).
    SignedOut,
    /// The signed-in account's password was changed.
    PasswordChanged,
    /// The signed-in account, as the server has it.
    Account(Account),
    /// The account is deleted.
    AccountDeleted,
    /// The authenticator app's shared secret, for the player to add to
    /// their app ([`AuthenticatorSecret::uri`] makes the QR code's text).
    AuthenticatorSecret(AuthenticatorSecret),
    /// The app's code was right: the authenticator is added (turn it on
    /// with [`AuthRequest::SetMfa`](crate::AuthRequest::SetMfa)).
    AuthenticatorVerified,
    /// The MFA setting changed.
    MfaSet,
    /// The email address is verified.
    EmailVerified,
    /// This device is remembered: sign-ins from it skip the MFA code.
    DeviceRemembered,
    /// The account's remembered devices.
    Devices(Vec<Device>),
    /// The device is forgotten: sign-ins from it ask for the MFA code again.
    DeviceForgotten,
}

/// The signed-in account, as [`AuthRequest::GetAccount`](crate::AuthRequest::GetAccount)
/// reads it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Account {
    /// The username.
    pub username: String,
    /// Its attributes by name: `sub`, `email`, `email_verified`, …
    pub attributes: BTreeMap<String, String>,
    /// The MFA methods turned on: `SOFTWARE_TOKEN_MFA`, `EMAIL_OTP`,
    /// `SMS_MFA`.
    pub mfa_methods: Vec<String>,
    /// The one asked for first at sign-in.
    pub preferred_mfa: Option<String>,
}

impl Account {
    /// The `email` attribute.
    pub fn email(&self) -> Option<&str> {
        self.attributes.get("email").map(String::as_str)
    }

    /// Whether the email address is verified (`email_verified`).
    pub fn email_verified(&self) -> bool {
        self.attributes
            .get("email_verified")
            .is_some_and(|verified| verified == "true")
    }
}

/// Where Cognito sent a code, as it reports it (masked: `a***@e***`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CodeDelivery {
    /// The masked destination.
    pub destination: String,
    /// `EMAIL` or `SMS`.
    pub medium: String,
    /// The attribute the code was sent to: `email`, `phone_number`.
    pub attribute: String,
}

/// A challenge a sign-in must answer before it gets tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// Which challenge.
    pub name: ChallengeName,
    /// The session string to send back with the answer.
    pub session: ChallengeSession,
    /// The challenge's parameters (delivery hints and the like).
    pub parameters: BTreeMap<String, String>,
    /// For [`ChallengeName::MfaSetup`]: the authenticator app's secret the
    /// sign-in made for the account, to show the player
    /// ([`AuthenticatorSecret::uri`] makes the QR code's text).
    pub authenticator: Option<AuthenticatorSecret>,
}

impl Challenge {
    /// Whether this client can answer the challenge: one it knows, and for
    /// `MFA_SETUP`, one that came with an authenticator to verify (a pool
    /// that offers only SMS or email setup is not answered here).
    pub fn answerable(&self) -> bool {
        match self.name {
            ChallengeName::MfaSetup => self.authenticator.is_some(),
            ChallengeName::SelectMfaType => !self.mfa_choices().is_empty(),
            ref name => name.answer_key().is_some(),
        }
    }

    /// For [`ChallengeName::SelectMfaType`]: the kinds of code the player
    /// may choose (`MFAS_CAN_CHOOSE`, a JSON list), those this client can
    /// answer, in the server's order.
    pub fn mfa_choices(&self) -> Vec<ChallengeName> {
        self.parameters
            .get("MFAS_CAN_CHOOSE")
            .and_then(|list| serde_json::from_str::<Vec<String>>(list).ok())
            .unwrap_or_default()
            .into_iter()
            .map(ChallengeName::from)
            .filter(|name| {
                matches!(
                    name,
                    ChallengeName::SoftwareTokenMfa
                        | ChallengeName::EmailOtp
                        | ChallengeName::SmsMfa
                )
            })
            .collect()
    }

    /// Whether a `MFA_SETUP` challenge lets the account add an
    /// authenticator app (`MFAS_CAN_SETUP` names `SOFTWARE_TOKEN_MFA`).
    pub(crate) fn can_set_up_authenticator(&self) -> bool {
        self.name == ChallengeName::MfaSetup
            && self
                .parameters
                .get("MFAS_CAN_SETUP")
                .is_some_and(|methods| methods.contains("SOFTWARE_TOKEN_MFA"))
    }
}

/// The tokens of a signed-in session. Made with [`Tokens::new`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Tokens {
    /// Sent to game servers to prove who the player is.
    pub access_token: AccessToken,
    /// Carries the player's claims (`sub`, `email`, …).
    pub id_token: IdToken,
    /// Trades for new tokens; a refresh that returns none keeps the old one.
    pub refresh_token: Option<RefreshToken>,
    /// When the access token expires: from `ExpiresIn`, else from its `exp`.
    pub expires_at: Option<SystemTime>,
    /// The device the pool offers to remember after this sign-in
    /// (`NewDeviceMetadata`): see [`AuthRequest::RememberDevice`](crate::AuthRequest::RememberDevice).
    /// `None` for refreshes, restored sessions and pools that track no
    /// devices. Never stored.
    pub new_device: Option<NewDevice>,
    /// The session began with a browser sign-in, through the pool's managed
    /// login: its sign-out ends the browser's session too. Kept with the
    /// session in the store and across refreshes.
    pub from_browser: bool,
    /// The pool's signing keys these tokens were verified with, kept with
    /// the session in the store, so that a launch without network can
    /// verify it again ([`SigningKeys`]). `None` until verified, and for
    /// backends configured without token checks.
    pub signing_keys: Option<SigningKeys>,
}

impl Tokens {
    /// Builds tokens, taking the expiry from `expires_in` seconds after `now`
    /// or, when the backend omits it, from the access token's `exp` claim.
    pub fn new(
        access_token: AccessToken,
        id_token: IdToken,
        refresh_token: Option<RefreshToken>,
        expires_in: Option<u64>,
        now: SystemTime,
    ) -> Self {
        let expires_at = match expires_in {
            Some(seconds) => now.checked_add(Duration::from_secs(seconds)),
            None => unverified_claims(access_token.expose())
                .and_then(|claims| claims.get("exp")?.as_u64())
                .and_then(|exp| UNIX_EPOCH.checked_add(Duration::from_secs(exp))),
        };
        Self {
            access_token,
            id_token,
            refresh_token,
            expires_at,
            new_device: None,
            from_browser: false,
            signing_keys: None,
        }
    }
}

impl Tokens {
    /// The account's internal username (`cognito:username`, else `sub`), as
    /// a refresh's `SECRET_HASH` needs it. Read from the ID token without
    /// verifying it: the server checks what it is sent.
    pub fn internal_username(&self) -> Option<String> {
        let claims = unverified_claims(self.id_token.expose())?;
        ["cognito:username", "sub"]
            .iter()
            .find_map(|key| claims.get(*key)?.as_str().map(str::to_owned))
    }
}

/// The payload of a JWT, decoded but NOT verified: fine for reading an expiry
/// or showing a name, never for trusting what it says.
pub fn unverified_claims(jwt: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: &str) -> String {
        format!("e30.{}.sig", URL_SAFE_NO_PAD.encode(payload))
    }

    #[test]
    fn a_choice_of_codes_lists_what_this_client_answers() {
        let challenge = |choices: &str| Challenge {
            name: ChallengeName::SelectMfaType,
            session: "s".into(),
            parameters: BTreeMap::from([("MFAS_CAN_CHOOSE".to_owned(), choices.to_owned())]),
            authenticator: None,
        };
        let both = challenge(r#"["SOFTWARE_TOKEN_MFA","EMAIL_OTP","WEB_AUTHN"]"#);
        assert_eq!(
            both.mfa_choices(),
            [ChallengeName::SoftwareTokenMfa, ChallengeName::EmailOtp]
        );
        assert!(both.answerable());
        for none in [r#"["WEB_AUTHN"]"#, "not json", "[]"] {
            assert!(!challenge(none).answerable(), "{none}");
        }
    }

    #[test]
    fn expiry_comes_from_expires_in_first_then_exp() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000);
        let access = AccessToken::new(jwt(r#"{"exp":5000}"#));
        let with = Tokens::new(access.clone(), "i".into(), None, Some(60), now);
        assert_eq!(with.expires_at, Some(now + Duration::from_secs(60)));
        let without = Tokens::new(access, "i".into(), None, None, now);
        assert_eq!(
            without.expires_at,
            Some(UNIX_EPOCH + Duration::from_secs(5000))
        );
        let opaque = Tokens::new("not-a-jwt".into(), "i".into(), None, None, now);
        assert_eq!(opaque.expires_at, None);
    }
}
