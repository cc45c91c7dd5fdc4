//! What a token must satisfy ([`TokenCheck`]), which token is checked
//! ([`TokenUse`]) and what a check returns ([`Claims`]).

use std::time::Duration;

use serde_json::{Map, Value};

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
    /// Further app clients of the same pool whose tokens are as good: the
    /// routes' server client beside the managed login's public one.
    pub other_clients: Vec<String>,
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
            other_clients: Vec::new(),
        }
    }

    /// The same check, taking the tokens of the app client `client_id` of
    /// the same pool too: the backend's server client, whose tokens the
    /// routes hand out, beside the public client of the browser sign-in.
    pub fn with_client(mut self, client_id: impl Into<String>) -> Self {
        self.other_clients.push(client_id.into());
        self
    }

    /// Whether tokens issued to the app client `client_id` pass.
    pub fn accepts_client(&self, client_id: &str) -> bool {
        self.client_id == client_id || self.other_clients.iter().any(|other| other == client_id)
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

/// Which token a game server is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenUse {
    /// The access token (`token_use` `access`, `client_id` the app client):
    /// what API Gateway's JWT authorizers and most game APIs take.
    Access,
    /// The ID token (`token_use` `id`, `aud` the app client), for an API
    /// that wants the player's profile claims (`email`, …).
    Id,
}

impl TokenUse {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Id => "id",
        }
    }
}

/// The claims of a token [`TokenVerifier::verify_token`](crate::TokenVerifier::verify_token) accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct Claims {
    /// The player's `sub`: their account's lasting id.
    pub sub: String,
    /// Every claim of the token.
    pub all: Map<String, Value>,
}

impl Claims {
    /// The username (`username` in access tokens, `cognito:username` in ID
    /// tokens).
    pub fn username(&self) -> Option<&str> {
        ["username", "cognito:username"]
            .iter()
            .find_map(|name| self.all.get(*name)?.as_str())
    }

    /// The player's groups (`cognito:groups`): a JSON list in Cognito's
    /// tokens; the `[a b]` text API Gateway's JWT authorizer makes of a
    /// list is read too.
    pub fn groups(&self) -> Vec<&str> {
        match self.all.get("cognito:groups") {
            Some(Value::Array(groups)) => groups.iter().filter_map(Value::as_str).collect(),
            Some(Value::String(groups)) => groups
                .trim_start_matches('[')
                .trim_end_matches(']')
                .split([' ', ','])
                .filter(|group| !group.is_empty())
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Whether the player is in `group`.
    pub fn in_group(&self, group: &str) -> bool {
        self.groups().contains(&group)
    }
}

/// Why a token was refused a call only a group's members may make
/// ([`TokenVerifier::verify_member`](crate::TokenVerifier::verify_member)).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MemberError {
    /// The token itself was refused.
    #[error(transparent)]
    Token(crate::AuthError),
    /// A valid token of a player who is not in the group.
    #[error("the player is not in the group {group}")]
    NotMember {
        /// The group the call needs.
        group: String,
    },
}
