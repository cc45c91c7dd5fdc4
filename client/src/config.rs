//! Choosing a transport: the API Gateway routes of a login backend, or the
//! Cognito user-pool API directly.

use crate::api_gateway::{ApiGatewayConfig, ApiGatewayTransport};
use crate::browser::{BrowserSignIn, ManagedLogin};
use crate::error::{AuthError, ConfigError};
use crate::verify::TokenCheck;
use std::sync::Arc;

use crate::outcome::{AuthOutcome, Tokens};
use crate::request::AuthRequest;
use crate::transport::{BoxFuture, Transport};
use crate::user_pool::{UserPoolConfig, UserPoolTransport};
use crate::worker::AuthWorker;

/// Where the client sends its requests.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
#[allow(
    clippy::large_enum_variant,
    reason = "made once per game; a box would only add an allocation"
)]
pub enum BackendConfig {
    /// The API Gateway routes of an "API Gateway + Lambda + Cognito" backend.
    ApiGateway(ApiGatewayConfig),
    /// A Cognito user pool, called directly.
    UserPool(UserPoolConfig),
    /// A transport of the game's own (or a test's).
    Custom(CustomTransport),
}

/// A game's own [`Transport`], named for the keychain.
#[derive(Clone)]
pub struct CustomTransport {
    /// Keeps this backend's sessions apart from others' in the keychain.
    pub namespace: String,
    /// Whether it verifies tokens before handing them out.
    pub verifies_tokens: bool,
    /// The transport.
    pub transport: Arc<dyn Transport>,
}

impl CustomTransport {
    /// `transport`, whose sessions are kept under `namespace`; it is taken
    /// to verify tokens (see [`Transport`]).
    pub fn new(namespace: impl Into<String>, transport: impl Transport) -> Self {
        Self {
            namespace: namespace.into(),
            verifies_tokens: true,
            transport: Arc::new(transport),
        }
    }
}

impl std::fmt::Debug for CustomTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CustomTransport")
            .field("namespace", &self.namespace)
            .field("verifies_tokens", &self.verifies_tokens)
            .finish_non_exhaustive()
    }
}

/// Two custom transports are equal when they are the same transport.
impl PartialEq for CustomTransport {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.transport, &other.transport) && self.namespace == other.namespace
    }
}

impl Eq for CustomTransport {}

impl From<CustomTransport> for BackendConfig {
    fn from(custom: CustomTransport) -> Self {
        Self::Custom(custom)
    }
}

impl From<ApiGatewayConfig> for BackendConfig {
    fn from(config: ApiGatewayConfig) -> Self {
        Self::ApiGateway(config)
    }
}

impl From<UserPoolConfig> for BackendConfig {
    fn from(config: UserPoolConfig) -> Self {
        Self::UserPool(config)
    }
}

impl BackendConfig {
    /// Checks the configuration and builds its transport.
    pub fn transport(&self) -> Result<Arc<dyn Transport>, ConfigError> {
        Ok(match self {
            Self::ApiGateway(config) => Arc::new(ApiGatewayTransport::new(config.clone())?),
            Self::UserPool(config) => Arc::new(UserPoolTransport::new(config.clone())?),
            Self::Custom(custom) => Arc::clone(&custom.transport),
        })
    }

    /// Starts a worker for this backend. A configuration that does not
    /// check out still gives a worker: every request then fails with
    /// [`AuthError::Config`] saying why, so a game shows it instead of
    /// failing at start.
    pub fn spawn_worker(&self) -> std::io::Result<AuthWorker> {
        match self.transport() {
            Ok(transport) => AuthWorker::spawn(transport),
            Err(config_error) => {
                tracing::error!("{config_error}");
                AuthWorker::spawn(config_error)
            }
        }
    }

    /// A name for this backend's sessions in the keychain: the base URL, or
    /// the pool and app client, and the issuer and app client its tokens
    /// are checked against, so a session is only ever restored where it
    /// was made.
    pub fn namespace(&self) -> String {
        match self {
            Self::ApiGateway(config) => match &config.tokens {
                Some(check) => format!("{} {} {}", config.base_url, check.issuer, check.client_id),
                None => config.base_url.clone(),
            },
            Self::UserPool(config) => format!(
                "cognito-idp {} {} {}",
                config.user_pool_id, config.client_id, config.tokens.issuer
            ),
            Self::Custom(custom) => custom.namespace.clone(),
        }
    }

    /// How this backend's tokens are checked, where it says: browser
    /// sign-ins check theirs the same way.
    pub fn token_check(&self) -> Option<TokenCheck> {
        match self {
            Self::ApiGateway(config) => config.tokens.clone(),
            Self::UserPool(config) => Some(config.tokens.clone()),
            Self::Custom(_) => None,
        }
    }

    /// Browser sign-ins through `login` whose tokens are checked as this
    /// backend's are. A backend whose tokens go unchecked (or a custom
    /// transport) has no check to give: build [`BrowserSignIn::new`] with
    /// one.
    pub fn browser_sign_in(&self, login: ManagedLogin) -> Result<BrowserSignIn, ConfigError> {
        let check = self.token_check().ok_or_else(|| {
            ConfigError(
                "browser sign-in needs the pool's token check, and this backend has none".into(),
            )
        })?;
        BrowserSignIn::new(login, check)
    }

    /// Whether tokens are verified before they are handed out.
    pub fn verifies_tokens(&self) -> bool {
        match self {
            Self::ApiGateway(config) => config.tokens.is_some(),
            Self::UserPool(_) => true,
            Self::Custom(custom) => custom.verifies_tokens,
        }
    }
}

impl Transport for Arc<dyn Transport> {
    fn send(&self, request: AuthRequest) -> BoxFuture<'_, Result<AuthOutcome, AuthError>> {
        (**self).send(request)
    }

    fn check_stored(&self, tokens: Tokens) -> BoxFuture<'_, Result<Tokens, AuthError>> {
        (**self).check_stored(tokens)
    }

    fn warm_up(&self) {
        (**self).warm_up();
    }

    fn connect(&self) -> BoxFuture<'_, ()> {
        (**self).connect()
    }
}
