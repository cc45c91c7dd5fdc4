//! The seam between the worker and the ways of reaching a login backend.

use std::future::Future;
use std::pin::Pin;

use crate::error::{AuthError, ConfigError};
use crate::outcome::AuthOutcome;
use crate::request::AuthRequest;

/// A boxed, sendable future, the return type of [`Transport::send`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Sends one [`AuthRequest`] to a login backend and reads its answer.
///
/// [`ApiGatewayTransport`](crate::ApiGatewayTransport) is the real one; tests
/// may put a canned one behind the same [`AuthWorker`](crate::AuthWorker).
pub trait Transport: Send + Sync + 'static {
    /// Performs the request.
    fn send(&self, request: AuthRequest) -> BoxFuture<'_, Result<AuthOutcome, AuthError>>;
}

/// A transport that could not be configured answers every request with the
/// reason, so a misconfigured game shows it in its menu instead of failing
/// at start.
impl Transport for ConfigError {
    fn send(&self, _request: AuthRequest) -> BoxFuture<'_, Result<AuthOutcome, AuthError>> {
        let error = AuthError::Config(self.0.clone());
        Box::pin(async move { Err(error) })
    }
}
