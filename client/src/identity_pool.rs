//! Cognito identity pools: temporary AWS credentials scoped to one player.
//! A signed-in player trades the ID token for them (`GetId`, then
//! `GetCredentialsForIdentity`, with the user pool's login); a guest, where
//! the pool allows unauthenticated identities, gets them with no login.
//! Neither call is signed: the login, or the pool's guest access, is the
//! authority.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::Url;
use serde_json::{Value, json};

use crate::error::{AuthError, ConfigError, RawBody};
use crate::http::{checked_url, http_client, post_aws_json};
use crate::response::checked_json;
use crate::secret::{AwsSecretKey, AwsSessionToken, IdToken};

/// Where an identity pool is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityPoolConfig {
    /// The pool's id, `region:uuid` (the template's `IdentityPoolId`
    /// output).
    pub identity_pool_id: String,
    /// The Cognito identity API; [`new`](Self::new) gives the region's.
    pub endpoint: String,
    /// How long a call may take.
    pub timeout: Duration,
    /// Answers longer than this are refused as malformed.
    pub max_body_bytes: usize,
}

impl IdentityPoolConfig {
    /// The identity pool `identity_pool_id` (`region:uuid`), at its
    /// region's endpoint.
    pub fn new(identity_pool_id: impl Into<String>) -> Self {
        let identity_pool_id = identity_pool_id.into();
        let region = identity_pool_id
            .split_once(':')
            .map_or("", |(region, _)| region);
        Self {
            endpoint: format!("https://cognito-identity.{region}.amazonaws.com/"),
            identity_pool_id,
            timeout: Duration::from_secs(10),
            max_body_bytes: 64 * 1024,
        }
    }

    /// The same pool at another endpoint (an emulator).
    pub fn with_endpoint(self, endpoint: impl Into<String>) -> Self {
        Self {
            endpoint: endpoint.into(),
            ..self
        }
    }
}

/// A user pool's login, as an identity pool takes it: the pool's provider
/// name and a player's ID token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    /// `cognito-idp.{region}.amazonaws.com/{user pool id}`
    /// ([`Login::provider_name`]).
    pub provider: String,
    /// The player's ID token.
    pub id_token: IdToken,
}

impl Login {
    /// The login of the user pool `user_pool_id` (`region_Id`) with
    /// `id_token`.
    pub fn user_pool(user_pool_id: &str, id_token: IdToken) -> Self {
        Self {
            provider: Self::provider_name(user_pool_id),
            id_token,
        }
    }

    /// The provider name identity pools give the user pool `user_pool_id`.
    pub fn provider_name(user_pool_id: &str) -> String {
        let region = user_pool_id
            .split_once('_')
            .map_or("", |(region, _)| region);
        format!("cognito-idp.{region}.amazonaws.com/{user_pool_id}")
    }
}

/// Temporary AWS credentials for one identity. `Debug` redacts the secret
/// key and the session token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsCredentials {
    /// The identity they belong to (`region:uuid`): stable for a player,
    /// and for a guest whose id is kept.
    pub identity_id: String,
    /// `AccessKeyId`.
    pub access_key_id: String,
    /// `SecretKey`.
    pub secret_key: AwsSecretKey,
    /// `SessionToken`.
    pub session_token: AwsSessionToken,
    /// When they expire, on the server's clock.
    pub expiration: Option<SystemTime>,
}

/// Calls an identity pool.
#[derive(Debug, Clone)]
pub struct IdentityPoolClient {
    http: reqwest::Client,
    endpoint: Url,
    config: IdentityPoolConfig,
}

impl IdentityPoolClient {
    /// Checks the configuration and builds the HTTP client.
    pub fn new(config: IdentityPoolConfig) -> Result<Self, ConfigError> {
        let valid = config
            .identity_pool_id
            .split_once(':')
            .is_some_and(|(region, id)| !region.is_empty() && !id.is_empty());
        if !valid {
            return Err(ConfigError(format!(
                "the identity pool id {:?} is not of the form region:id",
                config.identity_pool_id
            )));
        }
        let endpoint = checked_url("identity pool endpoint", &config.endpoint)?;
        let http = http_client(&endpoint, config.timeout)?;
        Ok(Self {
            http,
            endpoint,
            config,
        })
    }

    /// The identity of `login`'s player (`GetId`), made at its first call;
    /// with no login, a new guest identity.
    pub async fn get_id(&self, login: Option<&Login>) -> Result<String, AuthError> {
        let mut body = json!({"IdentityPoolId": self.config.identity_pool_id});
        if let Some(login) = login {
            body["Logins"] = logins(login);
        }
        let answer = self.call("GetId", &body).await?;
        text(&answer, "IdentityId").map(str::to_owned)
    }

    /// Credentials for `identity_id` (`GetCredentialsForIdentity`), with
    /// `login` for an identity that has one (a guest's has none). A guest's
    /// identity given a login is linked to it: the same id carries on, or
    /// Cognito answers `ResourceConflictException` when the login belongs to
    /// another identity already.
    pub async fn credentials(
        &self,
        identity_id: &str,
        login: Option<&Login>,
    ) -> Result<AwsCredentials, AuthError> {
        let mut body = json!({"IdentityId": identity_id});
        if let Some(login) = login {
            body["Logins"] = logins(login);
        }
        let answer = self.call("GetCredentialsForIdentity", &body).await?;
        let credentials = &answer["Credentials"];
        let expiration = credentials["Expiration"]
            .as_f64()
            .filter(|seconds| seconds.is_finite() && *seconds >= 0.0)
            .map(|seconds| UNIX_EPOCH + Duration::from_secs_f64(seconds));
        Ok(AwsCredentials {
            identity_id: text(&answer, "IdentityId")?.to_owned(),
            access_key_id: text(credentials, "AccessKeyId")?.to_owned(),
            secret_key: AwsSecretKey::new(text(credentials, "SecretKey")?),
            session_token: AwsSessionToken::new(text(credentials, "SessionToken")?),
            expiration,
        })
    }

    async fn call(&self, operation: &str, body: &Value) -> Result<Value, AuthError> {
        let target = format!("AWSCognitoIdentityService.{operation}");
        let answer = post_aws_json(
            &self.http,
            &self.endpoint,
            target,
            body,
            self.config.max_body_bytes,
        )
        .await?;
        tracing::debug!(operation, status = answer.status, "identity pool answered");
        checked_json(answer.answer().aws_json())
    }
}

fn logins(login: &Login) -> Value {
    json!({ login.provider.as_str(): login.id_token.expose() })
}

/// The text member `name` of `object`, or why the answer is unreadable.
fn text<'a>(object: &'a Value, name: &str) -> Result<&'a str, AuthError> {
    object[name]
        .as_str()
        .filter(|value| !value.is_empty())
        .ok_or_else(|| AuthError::Malformed {
            status: 200,
            reason: format!("the identity pool's answer has no {name}"),
            body: RawBody::default(),
        })
}
