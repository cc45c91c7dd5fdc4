//! The transport for the API Gateway routes of the classic
//! "API Gateway + Lambda + Cognito" login backend.

use std::time::{Duration, SystemTime};

use reqwest::Url;
use reqwest::header::{CONTENT_TYPE, HeaderValue};

use crate::error::{AuthError, ConfigError, RawBody, TransportErrorKind};
use crate::outcome::AuthOutcome;
use crate::request::{AuthAction, AuthRequest};
use crate::response::{self, Answer};
use crate::transport::{BoxFuture, Transport};

/// Where the routes of a login backend live and how long to wait for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiGatewayConfig {
    /// The base URL, stage included: `https://abc123.execute-api.eu-west-1.amazonaws.com/prod`.
    /// `http://` is accepted for loopback hosts only.
    pub base_url: String,
    /// The path of each action below the base URL.
    pub routes: Routes,
    /// The longest a request may take, connection and whole body included.
    pub timeout: Duration,
    /// Answers longer than this are refused as malformed.
    pub max_body_bytes: usize,
}

impl ApiGatewayConfig {
    /// The default routes, a 10 second timeout and a 256 KiB answer cap.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            routes: Routes::default(),
            timeout: Duration::from_secs(10),
            max_body_bytes: 256 * 1024,
        }
    }
}

/// The path of each action; [`Default`] gives the contract's routes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routes {
    /// Sign up (`/signup`).
    pub sign_up: String,
    /// Confirm a sign-up code (`/confirm`).
    pub confirm_sign_up: String,
    /// Resend the code (`/resend`).
    pub resend_code: String,
    /// Sign in (`/signin`).
    pub sign_in: String,
    /// Answer a challenge (`/challenge`).
    pub respond_to_challenge: String,
    /// Refresh the tokens (`/refresh`).
    pub refresh: String,
    /// Start a password reset (`/forgot`).
    pub forgot_password: String,
    /// Finish a password reset (`/reset`).
    pub reset_password: String,
    /// Sign out (`/signout`).
    pub sign_out: String,
}

impl Routes {
    /// The path of `action`.
    pub fn get(&self, action: AuthAction) -> &str {
        match action {
            AuthAction::SignUp => &self.sign_up,
            AuthAction::ConfirmSignUp => &self.confirm_sign_up,
            AuthAction::ResendCode => &self.resend_code,
            AuthAction::SignIn => &self.sign_in,
            AuthAction::RespondToChallenge => &self.respond_to_challenge,
            AuthAction::Refresh => &self.refresh,
            AuthAction::ForgotPassword => &self.forgot_password,
            AuthAction::ResetPassword => &self.reset_password,
            AuthAction::SignOut => &self.sign_out,
        }
    }
}

impl Default for Routes {
    fn default() -> Self {
        let route = |action: AuthAction| action.default_route().to_owned();
        Self {
            sign_up: route(AuthAction::SignUp),
            confirm_sign_up: route(AuthAction::ConfirmSignUp),
            resend_code: route(AuthAction::ResendCode),
            sign_in: route(AuthAction::SignIn),
            respond_to_challenge: route(AuthAction::RespondToChallenge),
            refresh: route(AuthAction::Refresh),
            forgot_password: route(AuthAction::ForgotPassword),
            reset_password: route(AuthAction::ResetPassword),
            sign_out: route(AuthAction::SignOut),
        }
    }
}

/// Sends requests as JSON `POST`s to the routes of an [`ApiGatewayConfig`].
#[derive(Debug, Clone)]
pub struct ApiGatewayTransport {
    http: reqwest::Client,
    urls: [Url; AuthAction::ALL.len()],
    max_body_bytes: usize,
}

impl ApiGatewayTransport {
    /// Checks the configuration and builds the HTTP client.
    pub fn new(config: ApiGatewayConfig) -> Result<Self, ConfigError> {
        let base = checked_base_url(&config.base_url)?;
        let mut urls = Vec::with_capacity(AuthAction::ALL.len());
        for action in AuthAction::ALL {
            let route = config.routes.get(action);
            if !route.starts_with('/') {
                return Err(ConfigError(format!(
                    "the route for {} must start with '/', got {route:?}",
                    action.describe()
                )));
            }
            let url = format!("{}{route}", base.as_str().trim_end_matches('/'));
            urls.push(
                Url::parse(&url)
                    .map_err(|error| ConfigError(format!("route {route:?}: {error}")))?,
            );
        }
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .build()
            .map_err(|error| ConfigError(format!("cannot build the HTTP client: {error}")))?;
        Ok(Self {
            http,
            urls: urls.try_into().expect("one URL per action"),
            max_body_bytes: config.max_body_bytes,
        })
    }

    /// The URL an action is sent to.
    pub fn url(&self, action: AuthAction) -> &Url {
        &self.urls[AuthAction::ALL
            .iter()
            .position(|a| *a == action)
            .expect("every action is listed")]
    }

    async fn perform(&self, request: AuthRequest) -> Result<AuthOutcome, AuthError> {
        let action = request.action();
        let body = serde_json::to_vec(&request.to_body()).expect("request bodies always serialize");
        let mut response = self
            .http
            .post(self.url(action).clone())
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .body(body)
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status().as_u16();
        let error_type = response
            .headers()
            .get("x-amzn-errortype")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let too_large = |kept: &[u8]| AuthError::Malformed {
            status,
            reason: format!("the answer is larger than {} bytes", self.max_body_bytes),
            body: RawBody::new(kept),
        };
        if response
            .content_length()
            .is_some_and(|length| length > self.max_body_bytes as u64)
        {
            return Err(too_large(&[]));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
            if body.len() + chunk.len() > self.max_body_bytes {
                return Err(too_large(&body));
            }
            body.extend_from_slice(&chunk);
        }
        tracing::debug!(
            ?action,
            status,
            bytes = body.len(),
            "login backend answered"
        );
        let answer = Answer {
            status,
            error_type_header: error_type.as_deref(),
            body: &body,
        };
        response::parse(&request, answer, SystemTime::now())
    }
}

impl Transport for ApiGatewayTransport {
    fn send(&self, request: AuthRequest) -> BoxFuture<'_, Result<AuthOutcome, AuthError>> {
        Box::pin(self.perform(request))
    }
}

/// Parses the base URL and requires `https://` unless the host is loopback.
fn checked_base_url(base_url: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(base_url)
        .map_err(|error| ConfigError(format!("base URL {base_url:?}: {error}")))?;
    let loopback = match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback => Ok(url),
        "http" => Err(ConfigError(format!(
            "the base URL {base_url:?} must use https:// (plain http:// is allowed only for \
             loopback hosts such as 127.0.0.1 or localhost)"
        ))),
        other => Err(ConfigError(format!(
            "the base URL {base_url:?} must use https://, not {other}://"
        ))),
    }
}

/// Sorts a reqwest failure into a [`TransportErrorKind`].
fn transport_error(error: reqwest::Error) -> AuthError {
    let kind = if error.is_timeout() {
        TransportErrorKind::Timeout
    } else {
        classify_chain(&error).unwrap_or(if error.is_connect() {
            TransportErrorKind::Other
        } else {
            TransportErrorKind::Interrupted
        })
    };
    let error = error.without_url();
    let mut detail = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        detail.push_str(": ");
        detail.push_str(&cause.to_string());
        source = cause.source();
    }
    AuthError::Transport { kind, detail }
}

fn classify_chain(error: &(dyn std::error::Error + 'static)) -> Option<TransportErrorKind> {
    let mut source = Some(error);
    while let Some(cause) = source {
        if cause.is::<rustls::Error>() {
            return Some(TransportErrorKind::Tls);
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            // `io::Error::source` skips the wrapped error itself, and TLS
            // failures arrive as an io::Error inside an io::Error: unwrap by hand.
            if let Some(kind) = io.get_ref().and_then(|inner| classify_chain(inner)) {
                return Some(kind);
            }
            use std::io::ErrorKind::*;
            match io.kind() {
                ConnectionRefused => return Some(TransportErrorKind::Refused),
                ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof => {
                    return Some(TransportErrorKind::Interrupted);
                }
                TimedOut => return Some(TransportErrorKind::Timeout),
                _ => {}
            }
        }
        if cause.to_string().starts_with("dns error") {
            return Some(TransportErrorKind::Dns);
        }
        source = cause.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_is_required_except_on_loopback() {
        for ok in [
            "https://abc.execute-api.eu-west-1.amazonaws.com/prod",
            "http://127.0.0.1:8080",
            "http://localhost:3000/dev/",
            "http://[::1]:9000",
        ] {
            assert!(
                ApiGatewayTransport::new(ApiGatewayConfig::new(ok)).is_ok(),
                "{ok}"
            );
        }
        for bad in [
            "http://example.com",
            "http://10.0.0.1",
            "ftp://127.0.0.1",
            "not a url",
        ] {
            let error = ApiGatewayTransport::new(ApiGatewayConfig::new(bad)).unwrap_err();
            assert!(error.to_string().contains("base URL"), "{bad}: {error}");
        }
    }

    #[test]
    fn routes_join_below_the_stage() {
        let transport =
            ApiGatewayTransport::new(ApiGatewayConfig::new("https://h.example/prod/")).unwrap();
        assert_eq!(
            transport.url(AuthAction::SignIn).as_str(),
            "https://h.example/prod/signin"
        );
        let mut config = ApiGatewayConfig::new("https://h.example");
        config.routes.sign_in = "signin".into();
        assert!(ApiGatewayTransport::new(config).is_err());
    }
}
