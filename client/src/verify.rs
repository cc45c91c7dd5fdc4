//! Verifying the ID and access tokens a sign-in returns against the user
//! pool's published keys (JWKS) before anything stores or shows them.

use std::collections::HashMap;
use std::time::Duration;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

use crate::error::{AuthError, ConfigError, RawBody};
use crate::outcome::Tokens;
use crate::transport::{checked_url, read_answer, transport_error};

/// What a token must satisfy: signed (RS256) by a key of the pool's JWKS,
/// issued by `issuer` for `client_id`, not expired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenCheck {
    /// The `iss` claim: `https://cognito-idp.{region}.amazonaws.com/{poolId}`.
    pub issuer: String,
    /// The app client id: the ID token's `aud`, the access token's `client_id`.
    pub client_id: String,
    /// Where the signing keys are: `{issuer}/.well-known/jwks.json` unless set.
    pub jwks_url: String,
    /// Clock skew allowed on `exp`.
    pub leeway: Duration,
}

impl TokenCheck {
    /// Tokens of `issuer` for `client_id`, keys at the issuer's
    /// `/.well-known/jwks.json`, 60 seconds of leeway.
    pub fn new(issuer: impl Into<String>, client_id: impl Into<String>) -> Self {
        let issuer = issuer.into();
        Self {
            jwks_url: format!("{}/.well-known/jwks.json", issuer.trim_end_matches('/')),
            issuer,
            client_id: client_id.into(),
            leeway: Duration::from_secs(60),
        }
    }

    /// Tokens of a real Cognito user pool: the issuer is derived from the
    /// pool id (`eu-west-1_AbC123` is in `eu-west-1`).
    pub fn for_pool(user_pool_id: &str, client_id: impl Into<String>) -> Self {
        let region = user_pool_id.split('_').next().unwrap_or_default();
        Self::new(
            format!("https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"),
            client_id,
        )
    }

    /// The same check with the keys at `jwks_url`, for emulators that serve
    /// them elsewhere.
    pub fn with_jwks_url(self, jwks_url: impl Into<String>) -> Self {
        Self {
            jwks_url: jwks_url.into(),
            ..self
        }
    }
}

/// Checks tokens, caching the pool's keys by `kid` and fetching them again
/// once when a token names a key it does not know (keys rotate).
pub(crate) struct TokenVerifier {
    check: TokenCheck,
    jwks_url: reqwest::Url,
    http: reqwest::Client,
    /// Also serialises fetches, so concurrent sign-ins fetch once.
    keys: tokio::sync::Mutex<HashMap<String, DecodingKey>>,
}

impl std::fmt::Debug for TokenVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenVerifier")
            .field("check", &self.check)
            .finish_non_exhaustive()
    }
}

impl TokenVerifier {
    pub(crate) fn new(check: TokenCheck, http: reqwest::Client) -> Result<Self, ConfigError> {
        Ok(Self {
            jwks_url: checked_url("JWKS URL", &check.jwks_url)?,
            check,
            http,
            keys: Default::default(),
        })
    }

    /// Verifies both tokens; the error says which one failed and why.
    pub(crate) async fn verify(&self, tokens: Tokens) -> Result<Tokens, AuthError> {
        self.claims(tokens.id_token.expose(), "id").await?;
        self.claims(tokens.access_token.expose(), "access").await?;
        Ok(tokens)
    }

    /// The verified claims of `token`, whose `token_use` must be `token_use`.
    async fn claims(&self, token: &str, token_use: &str) -> Result<Map<String, Value>, AuthError> {
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
        let key = self.key(&kid).await?.ok_or_else(|| {
            refuse(format!(
                "is signed by key {kid:?}, which the pool does not publish"
            ))
        })?;

        let mut validation = Validation::new(Algorithm::RS256);
        validation.leeway = self.check.leeway.as_secs();
        validation.set_issuer(&[&self.check.issuer]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        if token_use == "id" {
            validation.set_audience(&[&self.check.client_id]);
        } else {
            validation.validate_aud = false;
        }
        let claims = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation)
            .map_err(|error| refuse(format!("is invalid: {error}")))?
            .claims;
        let text = |name: &str| claims.get(name).and_then(Value::as_str);
        if text("token_use") != Some(token_use) {
            return Err(refuse(format!("has token_use {:?}", text("token_use"))));
        }
        if token_use == "access" && text("client_id") != Some(self.check.client_id.as_str()) {
            return Err(refuse("was issued to another app client".into()));
        }
        Ok(claims)
    }

    /// The key `kid`, fetching the pool's keys when it is not cached.
    async fn key(&self, kid: &str) -> Result<Option<DecodingKey>, AuthError> {
        let mut keys = self.keys.lock().await;
        if !keys.contains_key(kid) {
            *keys = self.fetch().await?;
        }
        Ok(keys.get(kid).cloned())
    }

    async fn fetch(&self) -> Result<HashMap<String, DecodingKey>, AuthError> {
        let response = self
            .http
            .get(self.jwks_url.clone())
            .send()
            .await
            .map_err(|error| transport_error(error, "fetching the pool's signing keys"))?;
        // A pool publishes a few keys: 64 KiB is plenty.
        let (status, _, body) = read_answer(response, 64 * 1024).await?;
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
        let set: JwkSet = serde_json::from_slice(&body).map_err(|error| {
            unreadable(format!("the pool's signing keys are unreadable: {error}"))
        })?;
        let keys: HashMap<_, _> = set
            .keys
            .iter()
            .filter_map(|jwk| Some((jwk.common.key_id.clone()?, DecodingKey::from_jwk(jwk).ok()?)))
            .collect();
        tracing::debug!(keys = keys.len(), url = %self.jwks_url, "fetched the pool's signing keys");
        Ok(keys)
    }
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
