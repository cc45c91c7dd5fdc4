//! The signed-in session as a resource.

use std::time::SystemTime;

use bevy::prelude::*;
use cognito_login_client::{
    AccessToken, AuthError, IdToken, RawBody, RefreshToken, Tokens, unverified_claims,
};
use serde_json::{Map, Value};

/// The signed-in player's session. Exists only while signed in: use
/// `Option<Res<AuthSession>>` or `resource_exists::<AuthSession>`.
///
/// The claims are those of the ID token, which the transport verified
/// against the pool's keys before the session was made (unless the backend
/// is configured with `ApiGatewayConfig::unverified`). A session restored
/// from the keychain carries tokens that were verified when they were stored.
/// Tokens are redacted in `Debug`; read them with `expose()`.
#[derive(Resource, Debug, Clone, PartialEq)]
pub struct AuthSession {
    /// The player's username (`cognito:username`).
    pub username: String,
    /// The player's stable id (`sub`).
    pub sub: String,
    /// The player's email address, when the pool has one.
    pub email: Option<String>,
    /// Whether that email address is verified.
    pub email_verified: bool,
    /// The player's groups (`cognito:groups`).
    pub groups: Vec<String>,
    /// Every claim of the ID token.
    pub claims: Map<String, Value>,
    /// The access token, for the game's own servers.
    pub access_token: AccessToken,
    /// The ID token.
    pub id_token: IdToken,
    /// When the access token expires, when known.
    pub expires_at: Option<SystemTime>,
    pub(crate) refresh_token: Option<RefreshToken>,
}

impl AuthSession {
    /// Builds the session from fresh tokens, reading the ID token's claims.
    pub fn from_tokens(tokens: Tokens) -> Result<Self, AuthError> {
        let unreadable = |reason: &str| AuthError::Malformed {
            status: 200,
            reason: reason.to_owned(),
            body: RawBody::default(),
        };
        let claims = unverified_claims(tokens.id_token.expose())
            .ok_or_else(|| unreadable("the ID token is not a JWT"))?;
        let text = |key: &str| claims.get(key).and_then(Value::as_str).map(str::to_owned);
        let sub = text("sub").ok_or_else(|| unreadable("the ID token has no `sub`"))?;
        let username = text("cognito:username")
            .or_else(|| text("username"))
            .unwrap_or_else(|| sub.clone());
        Ok(Self {
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
            username,
            sub,
            access_token: tokens.access_token,
            id_token: tokens.id_token,
            expires_at: tokens.expires_at,
            refresh_token: tokens.refresh_token,
            claims,
        })
    }

    /// Whether a refresh token came with the session.
    pub fn can_refresh(&self) -> bool {
        self.refresh_token.is_some()
    }
}
