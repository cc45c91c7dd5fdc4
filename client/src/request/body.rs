//! The JSON bodies of the API Gateway routes. Each is its request's serde
//! form ([`AuthRequest::to_body`], read back by [`AuthRequest::from_body`]),
//! but for the three routes that carry what the transport adds to the
//! request, whose bodies are typed here, for the client that sends them and
//! the backend that reads them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{AuthAction, AuthRequest, ChallengeName};
use crate::secret::{AccessToken, ChallengeSession, Password};

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

impl AuthRequest {
    /// The JSON body of this request on the API Gateway contract: the
    /// variant's fields in camelCase. That of
    /// [`AuthRequest::RememberDevice`] still lacks the verifier of the
    /// password the transport makes ([`RememberDevice`] is the whole body).
    pub fn to_body(&self) -> Value {
        match serde_json::to_value(self) {
            Ok(Value::Object(tagged)) => tagged.into_iter().next().map(|(_, body)| body),
            _ => None,
        }
        .expect("a request serializes as its variant around its fields")
    }

    /// Reads the body of `action`'s route as its request. The routes of
    /// [`AuthAction::SignIn`], [`AuthAction::RespondToChallenge`] and
    /// [`AuthAction::RememberDevice`] carry what the transport adds (read
    /// them as [`SignIn`], [`Challenge`] and [`RememberDevice`]), so they
    /// are refused here.
    pub fn from_body(action: AuthAction, body: Value) -> Result<Self, serde_json::Error> {
        serde_json::from_value(serde_json::json!({ action.name(): body }))
    }
}
