//! Verifying the ID and access tokens a sign-in returns against the user
//! pool's published keys (JWKS) before anything stores or shows them.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

use crate::error::{AuthError, ConfigError, RawBody};
use crate::http::{checked_url, connect_to, http_client, read_answer, transport_error};
use crate::outcome::{Tokens, unverified_claims};
use crate::signing_keys::SigningKeys;

mod check;

pub use check::{Claims, MemberError, TokenCheck, TokenUse};

/// When the tokens being checked were issued.
pub(crate) enum Issued {
    /// Just now, in an answer that came with the server's clock (its `Date`
    /// header) or without it: their times are judged by the server's clock
    /// (the `Date`, else the token's `iat`), not this computer's.
    Now {
        /// The answer's `Date`.
        server_time: Option<SystemTime>,
    },
    /// Some time ago, read from a store: an expired session is not an error
    /// (it is refreshed), and its expiry is the verified `exp`.
    Stored,
}

/// How long an unknown `kid` waits before the keys are fetched again.
const REFETCH_INTERVAL: Duration = Duration::from_secs(60);

/// Which keys check a token.
#[derive(Clone, Copy)]
enum KeySource<'a> {
    /// The pool's, fetched when needed.
    Pool,
    /// The pool's, or these stored ones when the pool's cannot be fetched
    /// for a reason that may pass (no network, a server fault).
    PoolOr(&'a SigningKeys),
    /// These, without fetching.
    Only(&'a SigningKeys),
}

/// The pool's keys, by `kid`, the document they came in, and when they
/// were fetched again for a key they did not have.
#[derive(Default)]
struct Keys {
    by_kid: HashMap<String, DecodingKey>,
    document: Option<SigningKeys>,
    refetched_at: Option<Instant>,
}

/// Checks tokens, caching the pool's keys by `kid` and fetching them again
/// when a token names a key it does not know (keys rotate), at most once a
/// minute: a stream of tokens naming made-up keys costs one fetch.
///
/// The client checks every sign-in with one. A game server checks the
/// tokens players send it with [`verify_token`](Self::verify_token):
///
/// ```no_run
/// # async fn handle(bearer: &str) -> Result<(), Box<dyn std::error::Error>> {
/// use cognito_login_client::{TokenCheck, TokenUse, TokenVerifier};
/// let verifier = TokenVerifier::new(TokenCheck::for_pool("eu-west-1_AbC123", "app-client-id"))?;
/// let claims = verifier.verify_token(bearer, TokenUse::Access).await?;
/// println!("player {}", claims.sub);
/// # Ok(()) }
/// ```
pub struct TokenVerifier {
    check: TokenCheck,
    jwks_url: reqwest::Url,
    http: reqwest::Client,
    /// Also serialises fetches, so concurrent sign-ins fetch once.
    keys: tokio::sync::Mutex<Keys>,
}

impl std::fmt::Debug for TokenVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenVerifier")
            .field("check", &self.check)
            .finish_non_exhaustive()
    }
}

impl TokenVerifier {
    /// A verifier with an HTTP client of its own for the keys: https only
    /// (loopback excepted), no redirects, 10 s timeouts. Keep one for the
    /// server's life, so the keys are fetched once.
    pub fn new(check: TokenCheck) -> Result<Self, ConfigError> {
        let jwks_url = checked_url("JWKS URL", &check.jwks_url)?;
        let http = http_client(&jwks_url, Duration::from_secs(10))?;
        Self::with_http(check, http)
    }

    /// Verifies one token a player sent: its signature by a key of the
    /// pool, its issuer and app client, its `token_use`, and that it has not
    /// expired by this computer's clock (with the check's leeway). A refusal
    /// is [`AuthError::InvalidToken`]; unreachable keys are a retryable
    /// [`AuthError::Transport`].
    pub async fn verify_token(
        &self,
        token: &str,
        token_use: TokenUse,
    ) -> Result<Claims, AuthError> {
        let (mut all, _) = self
            .claims(token, token_use.as_str(), KeySource::Pool)
            .await?;
        let now = SystemTime::now();
        let expired =
            seconds(&all, "exp").is_none_or(|exp| from_unix(exp) + self.check.leeway <= now);
        if expired {
            return Err(AuthError::InvalidToken(format!(
                "the {} token has expired",
                token_use.as_str()
            )));
        }
        let sub = match all.remove("sub") {
            Some(Value::String(sub)) if !sub.is_empty() => sub,
            _ => {
                return Err(AuthError::InvalidToken(format!(
                    "the {} token names no player (`sub`)",
                    token_use.as_str()
                )));
            }
        };
        all.insert("sub".into(), sub.clone().into());
        Ok(Claims { sub, all })
    }

    /// [`verify_token`](Self::verify_token), for a call only members of
    /// `group` may make (an admin route): a valid token of a player outside
    /// the group is [`MemberError::NotMember`] (answer 403), an invalid one
    /// [`MemberError::Token`] (answer 401, or 503 when retryable).
    pub async fn verify_member(
        &self,
        token: &str,
        token_use: TokenUse,
        group: &str,
    ) -> Result<Claims, MemberError> {
        let claims = self
            .verify_token(token, token_use)
            .await
            .map_err(MemberError::Token)?;
        if claims.in_group(group) {
            Ok(claims)
        } else {
            Err(MemberError::NotMember {
                group: group.to_owned(),
            })
        }
    }

    pub(crate) fn with_http(check: TokenCheck, http: reqwest::Client) -> Result<Self, ConfigError> {
        Ok(Self {
            jwks_url: checked_url("JWKS URL", &check.jwks_url)?,
            check,
            http,
            keys: Default::default(),
        })
    }

    /// Verifies both tokens (the same `sub` in each); the error says which
    /// one failed and why. `expires_at` becomes the verified `exp`, moved
    /// onto this computer's clock.
    ///
    /// Stored tokens are checked against the pool's keys as fetched now;
    /// only when those cannot be fetched (no network, a server fault) are
    /// they checked against the keys stored with them. The tokens returned
    /// carry the keys they were checked with.
    pub(crate) async fn verify(
        &self,
        mut tokens: Tokens,
        issued: Issued,
    ) -> Result<Tokens, AuthError> {
        let stored = match issued {
            Issued::Stored => tokens.signing_keys.take(),
            Issued::Now { .. } => None,
        };
        let source = stored.as_ref().map_or(KeySource::Pool, KeySource::PoolOr);
        let (id, keys) = self.claims(tokens.id_token.expose(), "id", source).await?;
        // Both tokens are checked against the same keys: the stored ones
        // are not fetched for a second time.
        let source = if keys.is_stored_copy() {
            KeySource::Only(&keys)
        } else {
            KeySource::Pool
        };
        let (access, _) = self
            .claims(tokens.access_token.expose(), "access", source)
            .await?;
        tokens.signing_keys = Some(keys);
        let exp = same_session(&id, &access)?;
        let local_now = SystemTime::now();
        tokens.expires_at = match issued {
            Issued::Stored => Some(from_unix(exp)),
            Issued::Now { server_time } => {
                let server_now = server_time
                    .or_else(|| seconds(&access, "iat").map(from_unix))
                    .unwrap_or(local_now);
                for (claims, which) in [(&id, "ID"), (&access, "access")] {
                    let expired = seconds(claims, "exp")
                        .is_none_or(|exp| from_unix(exp) + self.check.leeway <= server_now);
                    if expired {
                        return Err(AuthError::InvalidToken(format!(
                            "the {which} token had expired by the server's own clock"
                        )));
                    }
                }
                warn_on_skew(server_now, local_now);
                let left = from_unix(exp)
                    .duration_since(server_now)
                    .unwrap_or_default();
                local_now.checked_add(left)
            }
        };
        Ok(tokens)
    }

    /// The verified claims of `token`, whose `token_use` must be `token_use`,
    /// and the keys of `source` that verified it. Times are checked by
    /// [`verify`](Self::verify), against the right clock.
    async fn claims(
        &self,
        token: &str,
        token_use: &str,
        source: KeySource<'_>,
    ) -> Result<(Map<String, Value>, SigningKeys), AuthError> {
        let refuse =
            |reason: String| AuthError::InvalidToken(format!("the {token_use} token {reason}"));
        let header = jsonwebtoken::decode_header(token)
            .map_err(|error| refuse(format!("has an unreadable header ({error})")))?;
        if header.alg != Algorithm::RS256 {
            return Err(refuse(format!(
                "is signed with {:?}, not RS256",
                header.alg
            )));
        }
        let kid = header
            .kid
            .ok_or_else(|| refuse("names no signing key (`kid`)".into()))?;
        let (key, keys) = self.key(&kid, source).await?.ok_or_else(|| {
            refuse(format!(
                "is signed by key {kid:?}, which the pool does not publish"
            ))
        })?;

        let mut validation = Validation::new(Algorithm::RS256);
        validation.validate_exp = false;
        validation.set_issuer(&[&self.check.issuer]);
        if token_use == "id" {
            validation.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
            let mut audience = vec![self.check.client_id.as_str()];
            audience.extend(self.check.other_clients.iter().map(String::as_str));
            validation.set_audience(&audience);
        } else {
            validation.set_required_spec_claims(&["exp", "iss", "sub"]);
            validation.validate_aud = false;
        }
        let claims = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation)
            .map_err(|error| refuse(format!("is invalid: {error}")))?
            .claims;
        let text = |name: &str| claims.get(name).and_then(Value::as_str);
        if text("token_use") != Some(token_use) {
            return Err(refuse(format!("has token_use {:?}", text("token_use"))));
        }
        if token_use == "access"
            && !text("client_id").is_some_and(|id| self.check.accepts_client(id))
        {
            return Err(refuse("was issued to another app client".into()));
        }
        Ok((claims, keys))
    }

    /// The key `kid` and the document it is in, from `source`. The pool's
    /// keys are fetched the first time and again when `kid` is not among
    /// them (unless that was done within a minute).
    async fn key(
        &self,
        kid: &str,
        source: KeySource<'_>,
    ) -> Result<Option<(DecodingKey, SigningKeys)>, AuthError> {
        let stored_key = |stored: &SigningKeys| {
            stored
                .parse()
                .ok()
                .and_then(|by_kid| by_kid.get(kid).cloned())
                .map(|key| (key, stored.as_stored_copy()))
        };
        let stored = match source {
            KeySource::Only(stored) => return Ok(stored_key(stored)),
            KeySource::PoolOr(stored) => Some(stored),
            KeySource::Pool => None,
        };
        let mut keys = self.keys.lock().await;
        let fetch = match &keys.document {
            None => true,
            Some(_) if !keys.by_kid.contains_key(kid) => keys
                .refetched_at
                .is_none_or(|at| at.elapsed() >= REFETCH_INTERVAL),
            Some(_) => false,
        };
        if fetch {
            if keys.document.is_some() {
                keys.refetched_at = Some(Instant::now());
            }
            match self.fetch().await {
                Ok((by_kid, document)) => {
                    keys.by_kid = by_kid;
                    keys.document = Some(document);
                }
                Err(error) if error.is_retryable() && stored.is_some() => {
                    tracing::info!(%error, "the pool's keys cannot be fetched; checking against the stored ones");
                    return Ok(stored.and_then(stored_key));
                }
                Err(error) => return Err(error),
            }
        }
        Ok(keys.by_kid.get(kid).cloned().zip(keys.document.clone()))
    }

    /// Fetches the pool's keys ahead of the first sign-in, or, once they
    /// are fetched, opens the connection to their host. A failure is left
    /// for the verification that needs the keys to meet again.
    pub(crate) async fn connect(&self) {
        let mut keys = self.keys.lock().await;
        if keys.document.is_some() {
            drop(keys);
            connect_to(&self.http, &self.jwks_url).await;
            return;
        }
        match self.fetch().await {
            Ok((by_kid, document)) => {
                keys.by_kid = by_kid;
                keys.document = Some(document);
            }
            Err(error) => tracing::debug!(%error, "could not fetch the pool's keys ahead"),
        }
    }

    /// The scheme, host and port the keys are fetched from.
    pub(crate) fn origin(&self) -> url::Origin {
        self.jwks_url.origin()
    }

    async fn fetch(&self) -> Result<(HashMap<String, DecodingKey>, SigningKeys), AuthError> {
        let response = self
            .http
            .get(self.jwks_url.clone())
            .send()
            .await
            .map_err(|error| transport_error(error, "fetching the pool's signing keys"))?;
        // A pool publishes a few keys: 64 KiB is plenty.
        let answer = read_answer(response, 64 * 1024).await?;
        let (status, body) = (answer.status, answer.body);
        let unreadable = |reason: String| AuthError::Malformed {
            status,
            reason,
            body: RawBody::new(&body),
        };
        if !(200..300).contains(&status) {
            return Err(unreadable(
                "the pool's signing keys could not be fetched".into(),
            ));
        }
        let document = std::str::from_utf8(&body)
            .map_err(|_| unreadable("the pool's signing keys are not UTF-8".into()))?;
        let document = SigningKeys::fetched(document);
        let keys = document.parse().map_err(|error| {
            unreadable(format!("the pool's signing keys are unreadable: {error}"))
        })?;
        tracing::debug!(keys = keys.len(), url = %self.jwks_url, "fetched the pool's signing keys");
        Ok((keys, document))
    }
}

/// Seconds since the epoch, as a time (far-future values saturate).
fn from_unix(seconds: u64) -> SystemTime {
    UNIX_EPOCH
        .checked_add(Duration::from_secs(seconds))
        .unwrap_or(UNIX_EPOCH + Duration::from_secs(u64::from(u32::MAX)))
}

/// A whole-seconds claim.
fn seconds(claims: &Map<String, Value>, name: &str) -> Option<u64> {
    claims.get(name)?.as_u64()
}

/// Checks that the ID and access tokens belong to one session (the same
/// `sub`) and returns the access token's `exp`.
fn same_session(id: &Map<String, Value>, access: &Map<String, Value>) -> Result<u64, AuthError> {
    let sub =
        |claims: &Map<String, Value>| claims.get("sub").and_then(Value::as_str).map(str::to_owned);
    if sub(id).is_none() || sub(id) != sub(access) {
        return Err(AuthError::InvalidToken(
            "the ID and access tokens belong to different players".into(),
        ));
    }
    seconds(access, "exp")
        .ok_or_else(|| AuthError::InvalidToken("the access token has no `exp`".into()))
}

/// One warning when this computer's clock is more than five minutes off the
/// server's: token times are judged by the server's clock, so nothing fails.
fn warn_on_skew(server_now: SystemTime, local_now: SystemTime) {
    let off = match local_now.duration_since(server_now) {
        Ok(ahead) => ahead,
        Err(behind) => behind.duration(),
    };
    if off > Duration::from_secs(300) {
        tracing::warn!(
            minutes = off.as_secs() / 60,
            "this computer's clock is off the login server's; token times follow the server's"
        );
    }
}

/// A stored session read without verification, for backends configured
/// without token checks: both tokens must be JWTs of one `sub` and the
/// access token must carry an `exp`, which becomes `expires_at`.
pub(crate) fn read_stored(mut tokens: Tokens) -> Result<Tokens, AuthError> {
    let unreadable =
        |which: &str| AuthError::InvalidToken(format!("the stored {which} token is not a JWT"));
    let id = unverified_claims(tokens.id_token.expose()).ok_or_else(|| unreadable("ID"))?;
    let access =
        unverified_claims(tokens.access_token.expose()).ok_or_else(|| unreadable("access"))?;
    tokens.expires_at = Some(from_unix(same_session(&id, &access)?));
    Ok(tokens)
}

/// Reads `data` as a key document, a newline and a token, as a restore
/// does: the keys parsed, the token checked against them alone (as an ID
/// and as an access token), and the token read unverified. No input may
/// panic, and a check against stored keys never waits.
#[cfg(fuzzing)]
pub(crate) fn fuzz(data: &[u8]) {
    use std::future::Future;
    static VERIFIER: std::sync::OnceLock<TokenVerifier> = std::sync::OnceLock::new();
    let verifier = VERIFIER.get_or_init(|| {
        TokenVerifier::new(TokenCheck::new("https://issuer.example", "client"))
            .expect("the fixed check is valid")
    });
    let text = String::from_utf8_lossy(data);
    let (document, token) = text.split_once('\n').unwrap_or((&text, ""));
    let keys = SigningKeys::stored(document);
    let _ = keys.parse();
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    for token_use in ["id", "access"] {
        let check = std::pin::pin!(verifier.claims(token, token_use, KeySource::Only(&keys)));
        assert!(
            check.poll(&mut context).is_ready(),
            "a check against stored keys waits"
        );
    }
    let _ = read_stored(Tokens {
        access_token: crate::secret::AccessToken::new(token),
        id_token: crate::secret::IdToken::new(token),
        refresh_token: None,
        expires_at: None,
        new_device: None,
        from_browser: false,
        signing_keys: None,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuer_and_keys_derive_from_the_pool() {
        let check = TokenCheck::for_pool("eu-west-1_AbC123", "client");
        assert_eq!(
            check.issuer,
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"
        );
        assert_eq!(
            check.jwks_url,
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123/.well-known/jwks.json"
        );
    }
}
