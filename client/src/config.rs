//! Choosing a transport: the API Gateway routes of a login backend, or the
//! Cognito user-pool API directly.

use crate::api_gateway::{ApiGatewayConfig, ApiGatewayTransport};
use crate::error::{AuthError, ConfigError};
use crate::outcome::AuthOutcome;
use crate::request::AuthRequest;
use crate::transport::{BoxFuture, Transport};
use crate::user_pool::{UserPoolConfig, UserPoolTransport};
use crate::worker::AuthWorker;

/// Where the client sends its requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendConfig {
    /// The API Gateway routes of an "API Gateway + Lambda + Cognito" backend.
    ApiGateway(ApiGatewayConfig),
    /// A Cognito user pool, called directly.
    UserPool(UserPoolConfig),
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
    pub fn transport(&self) -> Result<Box<dyn Transport>, ConfigError> {
        Ok(match self {
            Self::ApiGateway(config) => Box::new(ApiGatewayTransport::new(config.clone())?),
            Self::UserPool(config) => Box::new(UserPoolTransport::new(config.clone())?),
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
    /// the pool and app client.
    pub fn namespace(&self) -> String {
        match self {
            Self::ApiGateway(config) => config.base_url.clone(),
            Self::UserPool(config) => {
                format!("cognito-idp {} {}", config.user_pool_id, config.client_id)
            }
        }
    }

    /// Whether tokens are verified before they are handed out.
    pub fn verifies_tokens(&self) -> bool {
        match self {
            Self::ApiGateway(config) => config.tokens.is_some(),
            Self::UserPool(_) => true,
        }
    }
}

impl Transport for Box<dyn Transport> {
    fn send(&self, request: AuthRequest) -> BoxFuture<'_, Result<AuthOutcome, AuthError>> {
        (**self).send(request)
    }
}
