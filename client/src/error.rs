//! One error type for every way a request can fail, each with a sentence a
//! player can read.

use std::fmt;

use crate::Translations;

/// Why a request failed.
///
/// Three families are kept apart: the request never got an answer
/// ([`Transport`](Self::Transport)), the server answered with an error
/// ([`Server`](Self::Server)), or the answer could not be read
/// ([`Malformed`](Self::Malformed)). [`player_message`](Self::player_message)
/// turns any of them into a short sentence for the menu.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// No answer: the connection failed or took too long.
    #[error("{kind}: {detail}")]
    Transport {
        /// What went wrong.
        kind: TransportErrorKind,
        /// The underlying error, for logs.
        detail: String,
    },
    /// The server answered with an error.
    #[error("server error {status} {kind}: {message}")]
    Server {
        /// The Cognito error kind.
        kind: ServerErrorKind,
        /// The server's message.
        message: String,
        /// The HTTP status (200 for a Lambda error passed through as 200).
        status: u16,
    },
    /// The answer could not be read.
    #[error("malformed response (HTTP {status}): {reason}")]
    Malformed {
        /// The HTTP status.
        status: u16,
        /// What was wrong with it.
        reason: String,
        /// The start of the body as received.
        body: RawBody,
    },
    /// A token the backend returned failed verification (signature, issuer,
    /// audience, expiry); it was neither stored nor handed out.
    #[error("token refused: {0}")]
    InvalidToken(String),
    /// The request cannot be sent by this client (for example a challenge it
    /// does not know how to answer).
    #[error("not supported: {0}")]
    Unsupported(String),
    /// The client is configured wrongly (see [`ConfigError`]); no request
    /// can be sent until the game is fixed.
    #[error("invalid login configuration: {0}")]
    Config(String),
    /// The worker shut down before the request finished, or the player
    /// cancelled it.
    #[error("the request was cancelled")]
    Cancelled,
    /// A browser sign-in ended without an answer to exchange.
    #[error("{kind}: {detail}")]
    Browser {
        /// What went wrong.
        kind: BrowserErrorKind,
        /// The details, for logs.
        detail: String,
    },
}

impl AuthError {
    /// A short sentence for the player.
    pub fn player_message(&self) -> String {
        self.player_message_in(Translations::english())
    }

    /// [`player_message`](Self::player_message) in the selected locale of
    /// `texts`. The server's own words, where a sentence carries them,
    /// stay as the server sent them, after a translated lead.
    pub fn player_message_in(&self, texts: &Translations) -> String {
        let key = match self {
            Self::Transport { kind, .. } => return kind.player_message_in(texts).to_owned(),
            Self::Server { kind, message, .. } => return kind.player_message_in(message, texts),
            Self::Malformed { status, .. } if *status >= 500 => "error.server-fault",
            Self::Malformed { .. } => "error.unreadable",
            Self::InvalidToken(_) => "error.invalid-token",
            Self::Unsupported(what) => return texts.format("error.unsupported", &[("what", what)]),
            Self::Config(_) => "error.config",
            Self::Cancelled => "error.cancelled",
            Self::Browser { kind, .. } => kind.key(),
        };
        texts.get(key).to_owned()
    }

    /// The Cognito error kind, when the server sent one.
    pub fn server_kind(&self) -> Option<&ServerErrorKind> {
        match self {
            Self::Server { kind, .. } => Some(kind),
            _ => None,
        }
    }

    /// `true` for failures where trying again later may work: no answer,
    /// throttling, a server-side fault.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Transport { .. } => true,
            Self::Server { kind, .. } => matches!(
                kind,
                ServerErrorKind::TooManyRequests | ServerErrorKind::InternalError
            ),
            Self::Malformed { status, .. } => *status >= 500,
            Self::InvalidToken(_)
            | Self::Unsupported(_)
            | Self::Config(_)
            | Self::Cancelled
            | Self::Browser { .. } => false,
        }
    }

    /// `true` when the server refused the session for good, so a refresh
    /// that failed this way ends it: `NotAuthorized` (a revoked or expired
    /// refresh token), `RefreshTokenReuse`, `UserNotFound`,
    /// `PasswordResetRequired`. Anything else (no answer, throttling, a
    /// proxy's 4xx, bad keys, a cancelled request) may pass.
    pub fn ends_session(&self) -> bool {
        matches!(
            self.server_kind(),
            Some(
                ServerErrorKind::NotAuthorized
                    | ServerErrorKind::RefreshTokenReuse
                    | ServerErrorKind::UserNotFound
                    | ServerErrorKind::PasswordResetRequired
            )
        )
    }
}

/// How a request failed to get an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportErrorKind {
    /// Nothing listens at the address.
    Refused,
    /// No full answer within the timeout.
    Timeout,
    /// The secure connection failed (certificate, handshake).
    Tls,
    /// The host name could not be resolved.
    Dns,
    /// The connection broke while the answer was arriving.
    Interrupted,
    /// Any other network failure.
    Other,
}

impl TransportErrorKind {
    /// A short sentence for the player.
    pub fn player_message(self) -> &'static str {
        self.player_message_in(Translations::english())
    }

    /// [`player_message`](Self::player_message) in the selected locale of
    /// `texts`.
    pub fn player_message_in(self, texts: &Translations) -> &str {
        texts.get(match self {
            Self::Refused => "error.refused",
            Self::Timeout => "error.timeout",
            Self::Tls => "error.tls",
            Self::Dns => "error.dns",
            Self::Interrupted => "error.interrupted",
            Self::Other => "error.network",
        })
    }
}

impl fmt::Display for TransportErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Refused => "connection refused",
            Self::Timeout => "timed out",
            Self::Tls => "TLS failure",
            Self::Dns => "DNS failure",
            Self::Interrupted => "connection interrupted",
            Self::Other => "network error",
        })
    }
}

/// The error kinds of Cognito a login UI must tell apart.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ServerErrorKind {
    /// Wrong username or password, an expired session, too many attempts:
    /// the server's message says which.
    NotAuthorized,
    /// The account exists but is not confirmed yet.
    UserNotConfirmed,
    /// No such account.
    UserNotFound,
    /// The username is taken.
    UsernameExists,
    /// The password breaks the pool's policy.
    InvalidPassword,
    /// A field is missing or malformed.
    InvalidParameter,
    /// The code is wrong.
    CodeMismatch,
    /// The code has expired.
    ExpiredCode,
    /// Too many attempts of this kind for now.
    LimitExceeded,
    /// The service is throttling requests.
    TooManyRequests,
    /// Too many wrong answers in a row.
    TooManyFailedAttempts,
    /// The account must reset its password first.
    PasswordResetRequired,
    /// The email or phone number is already used by another account.
    AliasExists,
    /// The code could not be sent.
    CodeDeliveryFailure,
    /// A rotated refresh token was used again.
    RefreshTokenReuse,
    /// The server failed on its side.
    InternalError,
    /// The backend does not offer this action.
    Unsupported,
    /// Any other type the server named, as it named it.
    Unknown(String),
}

impl ServerErrorKind {
    /// The kind for an error type as the server names it: `NotAuthorizedException`,
    /// with or without a `namespace#` prefix or a `:detail` suffix.
    pub fn from_type(error_type: &str) -> Self {
        let name = error_type.rsplit('#').next().unwrap_or(error_type);
        let name = name.split(':').next().unwrap_or(name).trim();
        let short = name.strip_suffix("Exception").unwrap_or(name);
        match short {
            "NotAuthorized" => Self::NotAuthorized,
            "UserNotConfirmed" => Self::UserNotConfirmed,
            "UserNotFound" => Self::UserNotFound,
            "UsernameExists" => Self::UsernameExists,
            "InvalidPassword" => Self::InvalidPassword,
            "InvalidParameter" => Self::InvalidParameter,
            "CodeMismatch" => Self::CodeMismatch,
            "ExpiredCode" => Self::ExpiredCode,
            "LimitExceeded" => Self::LimitExceeded,
            "TooManyRequests" => Self::TooManyRequests,
            "TooManyFailedAttempts" => Self::TooManyFailedAttempts,
            "PasswordResetRequired" => Self::PasswordResetRequired,
            "AliasExists" => Self::AliasExists,
            "CodeDeliveryFailure" => Self::CodeDeliveryFailure,
            "RefreshTokenReuse" => Self::RefreshTokenReuse,
            "InternalError" | "InternalServerError" | "ServiceUnavailable" => Self::InternalError,
            "NotImplemented" | "Unsupported" | "UnsupportedError" | "UnsupportedOperation" => {
                Self::Unsupported
            }
            _ => Self::Unknown(name.to_owned()),
        }
    }

    /// A short sentence for the player; `message` is the server's own
    /// (cut to 200 characters, without control or direction characters).
    pub fn player_message(&self, message: &str) -> String {
        self.player_message_in(message, Translations::english())
    }

    /// [`player_message`](Self::player_message) in the selected locale of
    /// `texts`; the server's words follow a translated lead.
    pub fn player_message_in(&self, message: &str, texts: &Translations) -> String {
        let message = &shown(message);
        // Where the server's words say more than a fixed sentence can.
        let said = match self {
            Self::NotAuthorized => Some("error.not-authorized-said"),
            Self::InvalidPassword => Some("error.invalid-password-said"),
            // A field, or a setting the pool does not allow (email
            // sign-in codes, say).
            Self::InvalidParameter => Some("error.invalid-parameter-said"),
            Self::Unknown(_) => Some("error.unknown-said"),
            _ => None,
        };
        if let Some(key) = said.filter(|_| !message.is_empty()) {
            return texts.format(key, &[("message", message)]);
        }
        texts
            .get(match self {
                Self::NotAuthorized => "error.not-authorized",
                Self::UserNotConfirmed => "error.user-not-confirmed",
                Self::UserNotFound => "error.user-not-found",
                Self::UsernameExists => "error.username-exists",
                Self::InvalidPassword => "error.invalid-password",
                Self::InvalidParameter => "error.invalid-parameter",
                Self::CodeMismatch => "error.code-mismatch",
                Self::ExpiredCode => "error.expired-code",
                Self::LimitExceeded => "error.limit-exceeded",
                Self::TooManyRequests => "error.too-many-requests",
                Self::TooManyFailedAttempts => "error.too-many-failed-attempts",
                Self::PasswordResetRequired => "error.password-reset-required",
                Self::AliasExists => "error.alias-exists",
                Self::CodeDeliveryFailure => "error.code-delivery-failure",
                Self::RefreshTokenReuse => "error.refresh-token-reuse",
                Self::InternalError => "error.internal-error",
                Self::Unsupported => "error.server-unsupported",
                Self::Unknown(_) => "error.unknown",
            })
            .to_owned()
    }
}

impl fmt::Display for ServerErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unknown(name) => write!(f, "Unknown({name})"),
            other => fmt::Debug::fmt(other, f),
        }
    }
}

/// The start of a response body that could not be read, kept for diagnosis.
///
/// Every long token-like run (a JWT, a refresh token) is replaced by
/// `[redacted]` when the body is kept, so neither a logged error nor
/// [`as_str`](Self::as_str) can leak a secret, even from a 2xx body that
/// carried tokens.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct RawBody(String);

impl RawBody {
    /// How much of a body is kept.
    pub const LIMIT: usize = 1024;

    /// Keeps the first [`LIMIT`](Self::LIMIT) bytes of `bytes`, lossily
    /// decoded, with token-like runs redacted.
    pub fn new(bytes: &[u8]) -> Self {
        let kept = &bytes[..bytes.len().min(Self::LIMIT)];
        Self(redact(&String::from_utf8_lossy(kept)))
    }

    /// The kept text (already redacted).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `text` with token-like runs of 32 or more characters replaced.
fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() >= 32 {
            out.push_str("[redacted]");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || "-_.=+/".contains(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

impl fmt::Debug for RawBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

/// The configuration of a transport is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid login configuration: {0}")]
pub struct ConfigError(pub String);

/// Why a browser sign-in ended without an answer to exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BrowserErrorKind {
    /// No browser could be opened.
    NotOpened,
    /// The redirect's port is in use by another program (or another copy
    /// of the game).
    PortInUse,
    /// The player did not finish in time (or closed the browser).
    TimedOut,
    /// The login page or the provider said no (`error=access_denied`, …).
    Refused,
    /// The redirect did not answer this sign-in (wrong or missing `state`,
    /// no code): it was not used.
    Forged,
}

impl BrowserErrorKind {
    /// The key of the player's sentence in [`Translations`](crate::Translations).
    pub(crate) fn key(self) -> &'static str {
        match self {
            Self::NotOpened => "error.browser.not-opened",
            Self::PortInUse => "error.browser.port-in-use",
            Self::TimedOut => "error.browser.timed-out",
            Self::Refused => "error.browser.refused",
            Self::Forged => "error.browser.forged",
        }
    }
}

impl std::fmt::Display for BrowserErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::NotOpened => "the browser could not be opened",
            Self::PortInUse => "the redirect port is in use",
            Self::TimedOut => "the browser sign-in timed out",
            Self::Refused => "the sign-in was refused",
            Self::Forged => "the redirect did not answer this sign-in",
        })
    }
}

/// Server text as the player may see it: no control characters (line
/// breaks included) and no bidirectional overrides, which could make a
/// message read as something else, runs of spaces as one, and at most
/// [`SHOWN_CHARS`] characters.
pub(crate) fn shown(message: &str) -> String {
    const SHOWN_CHARS: usize = 200;
    let clean: String = message
        .chars()
        .map(|c| {
            let direction = matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}');
            if c.is_control() || direction { ' ' } else { c }
        })
        .collect();
    let mut words = clean.split_whitespace();
    let mut shown = words.next().unwrap_or_default().to_owned();
    for word in words {
        shown.push(' ');
        shown.push_str(word);
    }
    if shown.chars().count() > SHOWN_CHARS {
        shown = shown.chars().take(SHOWN_CHARS - 1).collect();
        shown.push('…');
    }
    shown
}

#[cfg(test)]
mod tests;
