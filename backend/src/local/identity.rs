//! A development stand-in for the two identity-pool calls the client makes
//! (`GetId`, `GetCredentialsForIdentity`), served by the local stack at
//! [`IDENTITY_POOL_PATH`]: no emulator has identity pools. It checks a
//! login's ID token as Cognito's server-side token check does, keeps one
//! identity per player, links a guest's identity to the player who signs
//! in with it (or refuses a login that belongs to another identity, as
//! Cognito does), and issues credentials that nothing but the local stack
//! would take: their key ids start with `LOCAL`.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cognito_login_client::{
    AwsCredentials, AwsSecretKey, AwsSessionToken, Login, TokenUse, TokenVerifier,
};
use serde_json::{Value, json};

/// Where the local stack serves its identity pool.
pub const IDENTITY_POOL_PATH: &str = "/cognito-identity/";

/// The local identity pool's id.
pub const LOCAL_IDENTITY_POOL_ID: &str = "local:identity-pool";

/// Identities by id, and by the player (`sub`) each is linked to.
#[derive(Debug, Default)]
struct Identities {
    /// Each identity's player; `None` for a guest's.
    players: HashMap<String, Option<String>>,
    by_player: HashMap<String, String>,
}

/// The stand-in's state.
#[derive(Debug)]
pub(super) struct LocalIdentityPool {
    /// The provider name of the local user pool.
    provider: String,
    guests: bool,
    identities: Mutex<Identities>,
    /// The credentials issued, by access key id, for the local player
    /// data to check calls against.
    issued: Mutex<HashMap<String, AwsCredentials>>,
}

impl LocalIdentityPool {
    /// The identity pool of the user pool `user_pool_id`, with guests when
    /// `guests`.
    pub(super) fn new(user_pool_id: &str, guests: bool) -> Self {
        Self {
            provider: Login::provider_name(user_pool_id),
            guests,
            identities: Mutex::default(),
            issued: Mutex::default(),
        }
    }

    /// The credentials issued with `access_key_id`, if any.
    pub(super) fn issued(&self, access_key_id: &str) -> Option<AwsCredentials> {
        let issued = self
            .issued
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        issued.get(access_key_id).cloned()
    }

    /// Serves one call.
    pub(super) async fn serve(
        &self,
        verifier: &TokenVerifier,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Response {
        let operation = headers
            .get("x-amz-target")
            .and_then(|target| target.to_str().ok())
            .and_then(|target| target.strip_prefix("AWSCognitoIdentityService."))
            .unwrap_or_default();
        let Ok(call) = serde_json::from_slice::<Value>(body) else {
            return error("SerializationException", "the body is not JSON");
        };
        // The player a login names, checked; `Ok(None)` without a login.
        let player = match self.player(verifier, &call).await {
            Ok(player) => player,
            Err(refusal) => return refusal,
        };
        match operation {
            "GetId" => {
                if call["IdentityPoolId"] != LOCAL_IDENTITY_POOL_ID {
                    return error("ResourceNotFoundException", "no such identity pool");
                }
                if player.is_none() && !self.guests {
                    return error(
                        "NotAuthorizedException",
                        "Unauthenticated access is not supported for this identity pool.",
                    );
                }
                let mut identities = self.lock();
                let known = player
                    .as_ref()
                    .and_then(|player| identities.by_player.get(player).cloned());
                let id = known.unwrap_or_else(|| {
                    let id = new_identity_id();
                    identities.players.insert(id.clone(), player.clone());
                    if let Some(player) = &player {
                        identities.by_player.insert(player.clone(), id.clone());
                    }
                    id
                });
                answer(json!({"IdentityId": id}))
            }
            "GetCredentialsForIdentity" => {
                let id = call["IdentityId"].as_str().unwrap_or_default().to_owned();
                let mut identities = self.lock();
                let Some(owner) = identities.players.get(&id).cloned() else {
                    return error("ResourceNotFoundException", "no such identity");
                };
                match (owner, player) {
                    // A player's identity: only with that player's login.
                    (Some(owner), Some(player)) if owner == player => {}
                    (Some(_), _) => {
                        return error(
                            "NotAuthorizedException",
                            "Logins don't match. Please include at least one valid login for this identity or identity pool.",
                        );
                    }
                    (None, None) if !self.guests => {
                        return error(
                            "NotAuthorizedException",
                            "Unauthenticated access is not supported for this identity pool.",
                        );
                    }
                    (None, None) => {}
                    // A guest signs in: their identity becomes the player's,
                    // unless the player has one already.
                    (None, Some(player)) => {
                        if identities.by_player.contains_key(&player) {
                            return error(
                                "ResourceConflictException",
                                "Logins don't match. Please include at least one valid login for this identity or identity pool.",
                            );
                        }
                        identities.players.insert(id.clone(), Some(player.clone()));
                        identities.by_player.insert(player, id.clone());
                    }
                }
                drop(identities);
                let expires = SystemTime::now() + Duration::from_secs(3600);
                let credentials = AwsCredentials {
                    identity_id: id.clone(),
                    access_key_id: format!("LOCAL{:016X}", random()),
                    secret_key: AwsSecretKey::new(format!("{:016x}{:016x}", random(), random())),
                    session_token: AwsSessionToken::new(format!(
                        "local-{:016x}{:016x}",
                        random(),
                        random()
                    )),
                    // Whole seconds, as the answer says.
                    expiration: Some(
                        UNIX_EPOCH
                            + Duration::from_secs(
                                expires
                                    .duration_since(UNIX_EPOCH)
                                    .unwrap_or_default()
                                    .as_secs(),
                            ),
                    ),
                };
                let answer_body = json!({"IdentityId": id, "Credentials": {
                    "AccessKeyId": credentials.access_key_id,
                    "SecretKey": credentials.secret_key.expose(),
                    "SessionToken": credentials.session_token.expose(),
                    "Expiration": expires.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs()}});
                let mut issued = self
                    .issued
                    .lock()
                    .unwrap_or_else(|poison| poison.into_inner());
                // Expired ones go as new ones come.
                let now = SystemTime::now();
                issued.retain(|_, kept| kept.expiration.is_none_or(|at| at > now));
                issued.insert(credentials.access_key_id.clone(), credentials);
                answer(answer_body)
            }
            _ => error(
                "UnknownOperationException",
                "the local identity pool serves GetId and GetCredentialsForIdentity",
            ),
        }
    }

    /// The player of the call's login, its ID token checked; a login of
    /// another provider, or a token that fails the check, is refused.
    async fn player(
        &self,
        verifier: &TokenVerifier,
        call: &Value,
    ) -> Result<Option<String>, Response> {
        let Some(logins) = call["Logins"].as_object() else {
            return Ok(None);
        };
        let token = logins
            .get(&self.provider)
            .and_then(Value::as_str)
            .ok_or_else(|| {
                error(
                    "NotAuthorizedException",
                    "Invalid login token. Not a valid provider.",
                )
            })?;
        match verifier.verify_token(token, TokenUse::Id).await {
            Ok(claims) => Ok(Some(claims.sub)),
            Err(_) => Err(error("NotAuthorizedException", "Invalid login token.")),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Identities> {
        self.identities
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }
}

/// A new identity id: `local:` and 128 random bits.
fn new_identity_id() -> String {
    format!("local:{:016x}{:016x}", random(), random())
}

/// 64 bits from the OS's randomness (a freshly seeded hasher).
fn random() -> u64 {
    RandomState::new().hash_one(SystemTime::now())
}

fn answer(body: Value) -> Response {
    (
        [(header::CONTENT_TYPE, "application/x-amz-json-1.1")],
        body.to_string(),
    )
        .into_response()
}

fn error(kind: &str, message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        [(header::CONTENT_TYPE, "application/x-amz-json-1.1")],
        json!({"__type": kind, "message": message}).to_string(),
    )
        .into_response()
}
