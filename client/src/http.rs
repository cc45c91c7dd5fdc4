//! The HTTP toolbox every transport and the key fetch share: the client
//! that follows no redirect, URL checks, reading an answer with a cap, and
//! sorting failures.

use std::time::{Duration, SystemTime};

use reqwest::Url;

use crate::error::{AuthError, ConfigError, RawBody, TransportErrorKind};
use crate::response::Answer;

/// Whether `url` names a loopback host (`127.0.0.0/8`, `::1`, `localhost`).
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The HTTP client of a transport whose requests go to `url`: no redirect
/// is ever followed (a 307 would replay a password to another host), no
/// proxy is used for a loopback host, and every other host is reached over
/// `https` only. TLS runs on rustls with ring (the crypto jsonwebtoken uses
/// too) and the platform's certificate verifier.
pub(crate) fn http_client(url: &Url, timeout: Duration) -> Result<reqwest::Client, ConfigError> {
    use rustls_platform_verifier::BuilderVerifierExt as _;
    let tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .and_then(|builder| builder.with_platform_verifier())
    .map_err(|error| ConfigError(format!("cannot set up TLS: {error}")))?
    .with_no_client_auth();
    let builder = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none());
    let builder = if is_loopback(url) {
        builder.no_proxy()
    } else {
        builder.https_only(true)
    };
    builder
        .build()
        .map_err(|error| ConfigError(format!("cannot build the HTTP client: {error}")))
}

/// Opens (or keeps) a pooled connection to `url`'s origin with a `HEAD`.
pub(crate) async fn connect_to(http: &reqwest::Client, url: &Url) {
    let mut origin = url.clone();
    origin.set_path("/");
    origin.set_query(None);
    match http.head(origin).send().await {
        Ok(answer) => tracing::debug!(status = %answer.status(), "connection to the backend open"),
        Err(error) => tracing::debug!(%error, "could not open a connection ahead"),
    }
}

/// Parses a URL and requires `https://` unless the host is loopback;
/// `what` names it in the error ("base URL").
pub(crate) fn checked_url(what: &str, base_url: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(base_url)
        .map_err(|error| ConfigError(format!("{what} {base_url:?}: {error}")))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(ConfigError(format!(
            "the {what} {base_url:?} must use https:// (plain http:// is allowed only for \
             loopback hosts such as 127.0.0.1 or localhost)"
        ))),
        other => Err(ConfigError(format!(
            "the {what} {base_url:?} must use https://, not {other}://"
        ))),
    }
}

/// Sorts a reqwest failure into a [`TransportErrorKind`]; `doing` says what
/// the request was for when that is not the action itself.
pub(crate) fn transport_error(error: reqwest::Error, doing: &str) -> AuthError {
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
    let mut detail = if doing.is_empty() {
        error.to_string()
    } else {
        format!("{doing}: {error}")
    };
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

/// An answer as read off the connection.
pub(crate) struct ReadAnswer {
    pub(crate) status: u16,
    /// The `x-amzn-ErrorType` header.
    pub(crate) error_type: Option<String>,
    pub(crate) body: Vec<u8>,
    /// The server's clock, from its `Date` header.
    pub(crate) date: Option<SystemTime>,
}

impl ReadAnswer {
    /// The answer as the response parser reads it.
    pub(crate) fn answer(&self) -> Answer<'_> {
        Answer {
            status: self.status,
            error_type_header: self.error_type.as_deref(),
            body: &self.body,
        }
    }
}

/// Reads an answer's status, `x-amzn-ErrorType` and `Date` headers and body,
/// refusing bodies longer than `max_body_bytes` without reading them whole.
/// A redirect is refused: the client never follows one.
pub(crate) async fn read_answer(
    mut response: reqwest::Response,
    max_body_bytes: usize,
) -> Result<ReadAnswer, AuthError> {
    let status = response.status().as_u16();
    if response.status().is_redirection() {
        return Err(AuthError::Malformed {
            status,
            reason: "the server answered with a redirect, which is never followed".into(),
            body: RawBody::default(),
        });
    }
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let error_type = header("x-amzn-errortype");
    let date = header("date").and_then(|date| httpdate::parse_http_date(&date).ok());
    let too_large = |kept: &[u8]| AuthError::Malformed {
        status,
        reason: format!("the answer is larger than {max_body_bytes} bytes"),
        body: RawBody::new(kept),
    };
    if response
        .content_length()
        .is_some_and(|length| length > max_body_bytes as u64)
    {
        return Err(too_large(&[]));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|error| transport_error(error, ""))?
    {
        if body.len() + chunk.len() > max_body_bytes {
            return Err(too_large(&body));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(ReadAnswer {
        status,
        error_type,
        body,
        date,
    })
}

/// POSTs `body` to an AWS JSON API (`awsJson1_1`) at `url` as `target`
/// (`AWSCognitoIdentityProviderService.SignUp`) and reads the answer, as
/// [`read_answer`] does.
pub(crate) async fn post_aws_json(
    http: &reqwest::Client,
    url: &Url,
    target: String,
    body: &serde_json::Value,
    max_body_bytes: usize,
) -> Result<ReadAnswer, AuthError> {
    let response = http
        .post(url.clone())
        .header(
            reqwest::header::CONTENT_TYPE,
            reqwest::header::HeaderValue::from_static("application/x-amz-json-1.1"),
        )
        .header("x-amz-target", target)
        .body(serde_json::to_vec(body).expect("JSON values always serialize"))
        .send()
        .await
        .map_err(|error| transport_error(error, ""))?;
    read_answer(response, max_body_bytes).await
}
