//! Sign-in in the player's system browser through the pool's managed login:
//! the OAuth 2.0 authorization-code flow with PKCE (RFC 7636), answered on a
//! loopback redirect (RFC 8252). Social and enterprise providers (Google,
//! Apple, SAML, OIDC) all arrive this way.

use std::io;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use oauth2::basic::{
    BasicErrorResponse, BasicErrorResponseType, BasicRevocationErrorResponse,
    BasicTokenIntrospectionResponse, BasicTokenType,
};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, CsrfToken, EndpointNotSet, EndpointSet, ExtraTokenFields,
    PkceCodeChallenge, RedirectUrl, RequestTokenError, Scope, StandardRevocableToken,
    StandardTokenResponse, TokenResponse, TokenUrl,
};
use reqwest::Url;
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use crate::error::{AuthError, BrowserErrorKind, ConfigError, RawBody, ServerErrorKind};
use crate::http::{checked_url, http_client, transport_error};
use crate::outcome::Tokens;
use crate::secret::{AccessToken, IdToken, RefreshToken};
use crate::verify::{Issued, TokenCheck, TokenVerifier};

mod listener;
mod managed_login;

#[cfg(fuzzing)]
pub(crate) use listener::fuzz as fuzz_redirect;
use listener::{Loopback, wait_for};
pub use managed_login::{IdentityProvider, ManagedLogin};

/// The path of the loopback redirect: `http://localhost:{port}/callback`.
pub const REDIRECT_PATH: &str = "/callback";

/// The path the managed login's `/logout` sends the browser back to:
/// `http://localhost:{port}/signed-out`.
pub const SIGNED_OUT_PATH: &str = "/signed-out";

/// The loopback port browser sign-ins redirect to unless configured.
pub const DEFAULT_REDIRECT_PORT: u16 = 53682;

/// How long a player has to finish signing in in the browser by default.
pub const DEFAULT_BROWSER_TIMEOUT: Duration = Duration::from_secs(300);

/// How long a sign-out waits for the browser to come back from `/logout`
/// to the page that says the player is signed out.
const SIGNED_OUT_WAIT: Duration = Duration::from_secs(60);

/// The scope that lets an access token read and change its own account.
const ACCOUNT_SCOPE: &str = "aws.cognito.signin.user.admin";

/// What one browser sign-in asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BrowserRequest {
    /// Go straight to this provider (`identity_provider`) instead of the
    /// managed login's own page.
    pub provider: Option<String>,
    /// Fill in the username or email on the login page (`login_hint`).
    pub login_hint: Option<String>,
}

/// Opens a URL for the player: the system browser by default.
pub type OpenBrowser = Arc<dyn Fn(&str) -> io::Result<()> + Send + Sync>;

/// Runs browser sign-ins for one app client: builds the authorize URL,
/// opens it, waits for the loopback redirect, exchanges the code with its
/// PKCE verifier and verifies the tokens as every other sign-in does.
pub struct BrowserSignIn {
    config: ManagedLogin,
    domain: Url,
    http: reqwest::Client,
    verifier: TokenVerifier,
    open: OpenBrowser,
    cancel: Notify,
    /// Ends a sign-out's wait for the browser, freeing the port.
    release: Notify,
}

impl std::fmt::Debug for BrowserSignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrowserSignIn")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Cognito's token answer carries the ID token beside the OAuth fields.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct IdTokenField {
    id_token: String,
}

impl ExtraTokenFields for IdTokenField {}

type CognitoTokenResponse = StandardTokenResponse<IdTokenField, BasicTokenType>;

type OAuthClient = oauth2::Client<
    BasicErrorResponse,
    CognitoTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

impl BrowserSignIn {
    /// Browser sign-ins through `config`, their tokens checked by `check`
    /// (the same check as the game's other sign-ins).
    pub fn new(config: ManagedLogin, check: TokenCheck) -> Result<Self, ConfigError> {
        let domain = checked_url("managed login domain", &config.domain)?;
        let http = http_client(&domain, Duration::from_secs(15))?;
        Ok(Self {
            verifier: TokenVerifier::new(check)?,
            domain,
            http,
            open: match &config.opener {
                Some(opener) => Arc::clone(&opener.0),
                None => Arc::new(|url: &str| webbrowser::open(url)),
            },
            config,
            cancel: Notify::new(),
            release: Notify::new(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ManagedLogin {
        &self.config
    }

    /// Ends the sign-in under way, if any, with [`AuthError::Cancelled`] and
    /// frees its port.
    pub fn cancel(&self) {
        self.cancel.notify_waiters();
    }

    /// Runs one sign-in: the tokens, verified, or why not. Never blocks a
    /// thread; ends by the configured timeout at the latest.
    pub async fn sign_in(&self, request: BrowserRequest) -> Result<Tokens, AuthError> {
        let cancelled = self.cancel.notified();
        tokio::pin!(cancelled);
        cancelled.as_mut().enable();
        let listener = self.bind().await.map_err(|error| {
            let kind = if error.kind() == io::ErrorKind::AddrInUse {
                BrowserErrorKind::PortInUse
            } else {
                BrowserErrorKind::NotOpened
            };
            AuthError::Browser {
                kind,
                detail: format!("port {}: {error}", self.config.redirect_port),
            }
        })?;
        let port = listener.port().map_err(not_opened)?;
        let client = self.client(port)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut authorize = client
            .authorize_url(CsrfToken::new_random)
            .add_scopes(self.config.scopes.iter().cloned().map(Scope::new))
            .set_pkce_challenge(challenge);
        if let Some(provider) = &request.provider {
            authorize = authorize.add_extra_param("identity_provider", provider);
        }
        if let Some(hint) = &request.login_hint {
            authorize = authorize.add_extra_param("login_hint", hint);
        }
        let (mut url, state) = authorize.url();
        if self.config.fresh_login {
            url.set_path("/logout");
        }
        self.open_browser(url).await?;
        tracing::info!(port, "waiting for the browser sign-in");

        let redirect = tokio::select! {
            redirect = wait_for(&listener, REDIRECT_PATH, Some(state.secret())) => redirect,
            () = tokio::time::sleep(self.config.timeout) => {
                return Err(AuthError::Browser {
                    kind: BrowserErrorKind::TimedOut,
                    detail: format!("no redirect within {:?}", self.config.timeout),
                });
            }
            () = &mut cancelled => return Err(AuthError::Cancelled),
        };
        drop(listener);
        let code = redirect.code_for(state.secret())?;

        let server_time = Arc::new(Mutex::new(None));
        let http = |request| send(self.http.clone(), request, Arc::clone(&server_time));
        let exchange = client
            .exchange_code(AuthorizationCode::new(code))
            .set_pkce_verifier(verifier)
            .request_async(&http);
        let answer = tokio::select! {
            answer = exchange => answer.map_err(token_error)?,
            () = &mut cancelled => return Err(AuthError::Cancelled),
        };
        let tokens = Tokens::new(
            AccessToken::new(answer.access_token().secret()),
            IdToken::new(&answer.extra_fields().id_token),
            answer
                .refresh_token()
                .map(|token| RefreshToken::new(token.secret())),
            answer.expires_in().map(|left| left.as_secs()),
            SystemTime::now(),
        );
        let server_time = *server_time.lock().unwrap_or_else(|e| e.into_inner());
        let mut tokens = self
            .verifier
            .verify(tokens, Issued::Now { server_time })
            .await?;
        tokens.from_browser = true;
        Ok(tokens)
    }

    /// Ends the managed login's session in the browser (`/logout` with
    /// `logout_uri`), so the next browser sign-in asks again: opens the
    /// browser there, then answers its return to the loopback port with a
    /// page saying the player is signed out, waiting a minute at most.
    /// The tokens are revoked apart from this ([`AuthRequest::SignOut`]).
    ///
    /// [`AuthRequest::SignOut`]: crate::AuthRequest::SignOut
    pub async fn sign_out(&self) -> Result<(), AuthError> {
        // Another sign-in listening on the port answers the return as well.
        let listener = Loopback::bind(self.config.redirect_port).await.ok();
        let released = self.release.notified();
        tokio::pin!(released);
        released.as_mut().enable();
        let port = match &listener {
            Some(listener) => listener.port().map_err(not_opened)?,
            None => self.config.redirect_port,
        };
        let mut url = self.domain.clone();
        url.set_path("/logout");
        url.query_pairs_mut()
            .append_pair("client_id", &self.config.client_id)
            .append_pair("logout_uri", &ManagedLogin::logout_uri(port));
        self.open_browser(url).await?;
        if let Some(listener) = listener {
            // The next sign-in takes the port over.
            let returned =
                tokio::time::timeout(SIGNED_OUT_WAIT, wait_for(&listener, SIGNED_OUT_PATH, None));
            tokio::select! {
                _ = returned => {}
                () = released => {}
            }
        }
        Ok(())
    }

    /// The redirect's listeners, on both loopback addresses. A sign-out
    /// still waiting on the port (for a browser that may never come back)
    /// gives it up to this sign-in.
    async fn bind(&self) -> io::Result<Loopback> {
        self.release.notify_waiters();
        let mut tries = 0;
        loop {
            match Loopback::bind(self.config.redirect_port).await {
                Err(error) if error.kind() == io::ErrorKind::AddrInUse && tries < 10 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                bound => return bound,
            }
        }
    }

    /// Opens `url` off the runtime's thread: a browser's launcher may wait.
    async fn open_browser(&self, url: Url) -> Result<(), AuthError> {
        let open = Arc::clone(&self.open);
        tokio::task::spawn_blocking(move || open(url.as_str()))
            .await
            .map_err(|error| not_opened(io::Error::other(error.to_string())))?
            .map_err(not_opened)
    }

    fn client(&self, port: u16) -> Result<OAuthClient, AuthError> {
        let endpoint = |path: &str| {
            let mut url = self.domain.clone();
            url.set_path(path);
            url
        };
        let redirect = RedirectUrl::new(ManagedLogin::redirect_uri(port))
            .map_err(|error| AuthError::Config(error.to_string()))?;
        Ok(
            oauth2::Client::new(ClientId::new(self.config.client_id.clone()))
                .set_auth_uri(AuthUrl::from_url(endpoint("/oauth2/authorize")))
                .set_token_uri(TokenUrl::from_url(endpoint("/oauth2/token")))
                .set_redirect_uri(redirect),
        )
    }
}

/// The longest token answer read: 64 KiB.
const MAX_TOKEN_ANSWER_BYTES: usize = 64 * 1024;

/// The token request over the client's own HTTP client (no redirects,
/// https only), keeping the server's `Date` for the expiry check.
async fn send(
    http: reqwest::Client,
    request: oauth2::HttpRequest,
    server_time: Arc<Mutex<Option<SystemTime>>>,
) -> Result<oauth2::HttpResponse, reqwest::Error> {
    let request = reqwest::Request::try_from(request)?;
    let response = http.execute(request).await?;
    let mut answer = http::Response::builder().status(response.status());
    if let Some(date) = response
        .headers()
        .get("date")
        .and_then(|date| date.to_str().ok())
    {
        *server_time.lock().unwrap_or_else(|e| e.into_inner()) =
            httpdate::parse_http_date(date).ok();
    }
    for (name, value) in response.headers() {
        answer = answer.header(name, value);
    }
    // Three tokens fit in a few KiB; whatever is longer is cut off here and
    // refused as unreadable.
    let mut response = response;
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_TOKEN_ANSWER_BYTES {
            body.truncate(MAX_TOKEN_ANSWER_BYTES);
            break;
        }
    }
    Ok(answer.body(body).unwrap_or_default())
}

fn not_opened(error: io::Error) -> AuthError {
    AuthError::Browser {
        kind: BrowserErrorKind::NotOpened,
        detail: error.to_string(),
    }
}

/// A token endpoint's refusal as the other sign-ins report theirs.
fn token_error(error: RequestTokenError<reqwest::Error, BasicErrorResponse>) -> AuthError {
    match error {
        RequestTokenError::ServerResponse(answer) => {
            let kind = match answer.error() {
                BasicErrorResponseType::InvalidGrant
                | BasicErrorResponseType::InvalidClient
                | BasicErrorResponseType::UnauthorizedClient => ServerErrorKind::NotAuthorized,
                other => ServerErrorKind::Unknown(other.as_ref().to_owned()),
            };
            AuthError::Server {
                kind,
                message: answer
                    .error_description()
                    .cloned()
                    .unwrap_or_else(|| answer.error().as_ref().to_owned()),
                status: 400,
            }
        }
        RequestTokenError::Request(error) => transport_error(error, "token request"),
        RequestTokenError::Parse(error, body) => AuthError::Malformed {
            status: 200,
            reason: format!("unreadable token answer: {}", error.inner()),
            body: RawBody::new(&body),
        },
        RequestTokenError::Other(reason) => AuthError::Malformed {
            status: 0,
            reason,
            body: RawBody::default(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_redirect_uri_is_on_localhost() {
        assert_eq!(
            ManagedLogin::redirect_uri(53682),
            "http://localhost:53682/callback"
        );
        let login = ManagedLogin::new("https://game.auth.eu-west-1.amazoncognito.com/", "client");
        assert_eq!(
            login.domain,
            "https://game.auth.eu-west-1.amazoncognito.com"
        );
    }
}
