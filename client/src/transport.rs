//! The seam between the worker and the ways of reaching a login backend.

use std::future::Future;
use std::pin::Pin;
use std::time::SystemTime;

use reqwest::Url;

use crate::error::{AuthError, ConfigError, RawBody};
use crate::http::connect_to;
use crate::outcome::AuthOutcome;
use crate::outcome::Tokens;
use crate::request::AuthRequest;
use crate::srp::{SrpClient, SrpError};
use crate::verify::{Issued, TokenVerifier, read_stored};

/// A boxed, sendable future, the return type of [`Transport::send`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Sends one [`AuthRequest`] to a login backend and reads its answer.
///
/// [`ApiGatewayTransport`](crate::ApiGatewayTransport) is the real one; tests
/// may put a canned one behind the same [`AuthWorker`](crate::AuthWorker).
pub trait Transport: Send + Sync + 'static {
    /// Performs the request.
    fn send(&self, request: AuthRequest) -> BoxFuture<'_, Result<AuthOutcome, AuthError>>;

    /// Checks a session read from a store before anything trusts it: the
    /// same token checks as a sign-in, except that expiry is not an error
    /// (an expired session is refreshed); `expires_at` is set from the
    /// verified `exp`. The default reads the claims without verifying them
    /// (for backends configured without token checks): both tokens must
    /// carry the same `sub` and an `exp`.
    fn check_stored(&self, tokens: Tokens) -> BoxFuture<'_, Result<Tokens, AuthError>> {
        Box::pin(async move { read_stored(tokens) })
    }

    /// Called once on the worker's runtime when it starts: work done ahead
    /// of the first request (the direct transport makes its first SRP
    /// client). Must not block; the default does nothing.
    fn warm_up(&self) {}

    /// Opens the connection to the backend ahead of the next request, so
    /// that request does not wait for TCP and TLS: the HTTP transports send
    /// a `HEAD` to the backend's origin and keep the connection in their
    /// pool. A failure is ignored (the next request reports its own). The
    /// default does nothing.
    fn connect(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

/// A transport that could not be configured answers every request with the
/// reason, so a misconfigured game shows it in its menu instead of failing
/// at start.
impl Transport for ConfigError {
    fn send(&self, _request: AuthRequest) -> BoxFuture<'_, Result<AuthOutcome, AuthError>> {
        let error = AuthError::Config(self.0.clone());
        Box::pin(async move { Err(error) })
    }

    fn check_stored(&self, _tokens: Tokens) -> BoxFuture<'_, Result<Tokens, AuthError>> {
        let error = AuthError::Config(self.0.clone());
        Box::pin(async move { Err(error) })
    }
}

/// [`Transport::connect`] for a transport whose requests go to `url`'s
/// origin and whose tokens `verifier` checks: the keys are fetched ahead
/// (or their host's connection opened), and the requests' host connected,
/// both at once when they are two hosts.
pub(crate) async fn connect(http: &reqwest::Client, url: &Url, verifier: Option<&TokenVerifier>) {
    match verifier {
        Some(verifier) if verifier.origin() == url.origin() => verifier.connect().await,
        Some(verifier) => {
            tokio::join!(verifier.connect(), connect_to(http, url));
        }
        None => connect_to(http, url).await,
    }
}

/// What every transport does with an outcome before handing it out: tokens
/// are verified (when a verifier is configured) against the server's clock
/// (`server_time`, from the answer), and a challenge this client cannot
/// answer becomes a clear [`AuthError::Unsupported`].
pub(crate) async fn finish(
    outcome: AuthOutcome,
    verifier: Option<&TokenVerifier>,
    server_time: Option<SystemTime>,
) -> Result<AuthOutcome, AuthError> {
    match outcome {
        AuthOutcome::Tokens(tokens) => match verifier {
            Some(verifier) => verifier
                .verify(tokens, Issued::Now { server_time })
                .await
                .map(AuthOutcome::Tokens),
            None => Ok(AuthOutcome::Tokens(tokens)),
        },
        AuthOutcome::Challenge(challenge) if !challenge.answerable() => Err(
            AuthError::Unsupported(format!("the sign-in challenge {}", challenge.name.as_str())),
        ),
        other => Ok(other),
    }
}

/// A fresh SRP client, its modular power made on the blocking pool.
pub(crate) async fn new_srp() -> Result<SrpClient, AuthError> {
    tokio::task::spawn_blocking(SrpClient::new)
        .await
        .map_err(|_| AuthError::Cancelled)?
        .map_err(|error| {
            AuthError::Unsupported(format!("no secure random numbers on this system: {error}"))
        })
}

/// Runs an SRP proof on the blocking pool (a 3072-bit power takes
/// milliseconds); a challenge it cannot answer is a malformed answer.
pub(crate) async fn prove(
    proof: impl FnOnce() -> Result<String, SrpError> + Send + 'static,
) -> Result<String, AuthError> {
    tokio::task::spawn_blocking(proof)
        .await
        .map_err(|_| AuthError::Cancelled)?
        .map_err(|error| AuthError::Malformed {
            status: 200,
            reason: error.to_string(),
            body: RawBody::default(),
        })
}
