//! Who a session belongs to, read from its ID token.

use serde_json::{Map, Value};

use crate::error::AuthError;
use crate::outcome::{Tokens, unverified_claims};

/// Who a session belongs to, read from its ID token (which the transport
/// verified before the session was made).
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    /// The player's username (`cognito:username`, else `username`, else `sub`).
    pub username: String,
    /// The player's stable id (`sub`).
    pub sub: String,
    /// The email address, when the pool has one.
    pub email: Option<String>,
    /// Whether that email address is verified.
    pub email_verified: bool,
    /// The player's groups (`cognito:groups`).
    pub groups: Vec<String>,
    /// Every claim of the ID token.
    pub claims: Map<String, Value>,
}

impl Identity {
    /// Reads the ID token of `tokens`.
    pub fn of(tokens: &Tokens) -> Result<Self, AuthError> {
        let unreadable = |reason: &str| AuthError::InvalidToken(reason.to_owned());
        let claims = unverified_claims(tokens.id_token.expose())
            .ok_or_else(|| unreadable("the ID token is not a JWT"))?;
        let text = |key: &str| claims.get(key).and_then(Value::as_str).map(str::to_owned);
        let sub = text("sub").ok_or_else(|| unreadable("the ID token has no `sub`"))?;
        Ok(Self {
            username: text("cognito:username")
                .or_else(|| text("username"))
                .unwrap_or_else(|| sub.clone()),
            email: text("email"),
            email_verified: match claims.get("email_verified") {
                Some(Value::Bool(verified)) => *verified,
                Some(Value::String(verified)) => verified == "true",
                _ => false,
            },
            groups: claims
                .get("cognito:groups")
                .and_then(Value::as_array)
                .map(|groups| {
                    groups
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            sub,
            claims,
        })
    }
}
