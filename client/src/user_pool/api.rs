//! Cognito's user-pool JSON API at one endpoint, called without AWS
//! credentials: what the direct transport sends through, and what the
//! routes' backend forwards the account's actions through.

use std::time::Duration;

use reqwest::Url;
use serde_json::{Map, Value, json};

use crate::error::{AuthError, ConfigError};
use crate::http::{ReadAnswer, checked_url, http_client, post_aws_json};
use crate::request::AuthRequest;
use crate::response::checked_json;

/// The largest answer read, unless a [`UserPoolConfig`](super::UserPoolConfig)
/// says otherwise.
const DEFAULT_MAX_BODY_BYTES: usize = 256 * 1024;

/// Cognito's user-pool JSON API at one endpoint, called without AWS
/// credentials: the calls an app client or a player's access token
/// authorizes. [`UserPoolTransport`](super::UserPoolTransport) sends every
/// request through it. A server that serves the routes contract forwards
/// the account's actions through [`UserPoolApi::call_account`], so the
/// routes and the direct transport send the same operation with the same
/// body, both written once, beside the action's line in the table of
/// actions.
#[derive(Debug, Clone)]
pub struct UserPoolApi {
    pub(super) http: reqwest::Client,
    pub(super) endpoint: Url,
    max_body_bytes: usize,
}

impl UserPoolApi {
    /// The API at `endpoint`: Cognito's
    /// ([`UserPoolApi::regional_endpoint`]) or an emulator's on loopback,
    /// each answer read within `timeout`. Any other host is reached over
    /// `https` only, and no redirect is followed.
    pub fn new(endpoint: &str, timeout: Duration) -> Result<Self, ConfigError> {
        Self::with_max_body(endpoint, timeout, DEFAULT_MAX_BODY_BYTES)
    }

    pub(super) fn with_max_body(
        endpoint: &str,
        timeout: Duration,
        max_body_bytes: usize,
    ) -> Result<Self, ConfigError> {
        let endpoint = checked_url("endpoint", endpoint)?;
        Ok(Self {
            http: http_client(&endpoint, timeout)?,
            endpoint,
            max_body_bytes,
        })
    }

    /// Cognito's endpoint in `region`: `https://cognito-idp.{region}.amazonaws.com/`.
    pub fn regional_endpoint(region: &str) -> String {
        format!("https://cognito-idp.{region}.amazonaws.com/")
    }

    /// Calls `operation` and returns its answer unread.
    pub(super) async fn post(
        &self,
        operation: &str,
        body: &Value,
    ) -> Result<ReadAnswer, AuthError> {
        let target = format!("AWSCognitoIdentityProviderService.{operation}");
        let answer = post_aws_json(
            &self.http,
            &self.endpoint,
            target,
            body,
            self.max_body_bytes,
        )
        .await?;
        tracing::debug!(
            operation,
            status = answer.status,
            bytes = answer.body.len(),
            "user pool answered"
        );
        Ok(answer)
    }

    /// Performs `request` where the player's access token alone authorizes
    /// it (the account's actions, from [`AuthRequest::ChangePassword`] to
    /// [`AuthRequest::ForgetDevice`], but [`AuthRequest::RememberDevice`],
    /// whose verifier the transport makes), and returns Cognito's answer as
    /// it came: its HTTP status and JSON object. An error answer is
    /// `{"__type", "message"}`, the type without its namespace.
    ///
    /// `None` for the other actions; `Err` when no answer could be read
    /// (no connection, no answer in time, a body too large or not JSON).
    pub async fn call_account(
        &self,
        request: &AuthRequest,
    ) -> Option<Result<(u16, Value), AuthError>> {
        let body = request.account_body()?;
        Some(self.pass_on(request.action().operation(), &body).await)
    }

    /// Calls `operation` and keeps its answer as Cognito wrote it.
    async fn pass_on(&self, operation: &str, body: &Value) -> Result<(u16, Value), AuthError> {
        let answer = self.post(operation, body).await?;
        let body = match error_answer(&answer) {
            Some(error) => error,
            None => checked_json(answer.answer().aws_json())?,
        };
        Ok((answer.status, body))
    }
}

/// An error answer as `{"__type", "message"}`: the type from the
/// `x-amzn-ErrorType` header or the body, without its namespace or detail.
/// `None` for a successful answer, and for one that names no type (which
/// [`checked_json`] then reads as the error it is).
fn error_answer(answer: &ReadAnswer) -> Option<Value> {
    if (200..300).contains(&answer.status) {
        return None;
    }
    let body: Map<String, Value> = serde_json::from_slice(&answer.body).unwrap_or_default();
    let named = answer
        .error_type
        .as_deref()
        .or_else(|| body.get("__type").and_then(Value::as_str))?;
    let name = named.rsplit('#').next().unwrap_or(named);
    let name = name.split(':').next().unwrap_or(name).trim();
    let message = ["message", "Message"]
        .iter()
        .find_map(|key| body.get(*key).and_then(Value::as_str))
        .unwrap_or_default();
    Some(json!({"__type": name, "message": message}))
}
