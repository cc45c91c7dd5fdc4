//! Calls to the game's own HTTP API as the signed-in player: JSON in and
//! out, the session's token in `Authorization: Bearer`, sent on the worker's
//! runtime, with the same timeouts, size cap and redirect policy as the
//! login calls.
//!
//! [`ApiQueue`] ties the calls to the [`SessionMachine`]: a token about to
//! expire is refreshed first, a `401` refreshes once and tries once more,
//! and every refresh is the session's own (never a second one beside it).

use std::collections::VecDeque;
use std::time::{Duration, Instant, SystemTime};

use crossbeam_channel::{Receiver, Sender};
use reqwest::Url;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use serde_json::Value;

use crate::Translations;
use crate::error::{AuthError, ConfigError, RawBody, shown};
use crate::http::{checked_url, http_client, read_answer, transport_error};
use crate::response::{Answer, checked_json};
use crate::session::{Generation, SessionIo, SessionMachine};
use crate::verify::TokenUse;
use crate::worker::AuthWorker;

/// Where the game's API is and how it is called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GameApiConfig {
    /// The API's base URL; call paths are joined to it.
    pub base_url: String,
    /// Which token goes in `Authorization: Bearer`: the access token (what
    /// API Gateway's JWT authorizers take) unless the API wants the ID token.
    pub token: TokenUse,
    /// How long one call may take.
    pub timeout: Duration,
    /// The largest answer read.
    pub max_body_bytes: usize,
}

impl GameApiConfig {
    /// The API at `base_url`, called with the access token, a 10 second
    /// timeout and a 1 MiB answer cap.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            token: TokenUse::Access,
            timeout: Duration::from_secs(10),
            max_body_bytes: 1024 * 1024,
        }
    }

    /// The same API, called with the ID token.
    pub fn with_id_token(self) -> Self {
        Self {
            token: TokenUse::Id,
            ..self
        }
    }
}

/// An HTTP method of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiMethod {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
    /// `PATCH`.
    Patch,
    /// `DELETE`.
    Delete,
}

impl ApiMethod {
    fn as_reqwest(self) -> reqwest::Method {
        match self {
            Self::Get => reqwest::Method::GET,
            Self::Post => reqwest::Method::POST,
            Self::Put => reqwest::Method::PUT,
            Self::Patch => reqwest::Method::PATCH,
            Self::Delete => reqwest::Method::DELETE,
        }
    }
}

/// One call to the game's API.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiCall {
    /// The method.
    pub method: ApiMethod,
    /// The path below the base URL: `/profile`, `scores?top=10`.
    pub path: String,
    /// The JSON body, if any.
    pub body: Option<Value>,
}

/// Tags a call so its [`ApiReply`] can be matched to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ApiCallId(pub u64);

/// Why a call to the game's API failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// Nobody is signed in, or the session ended before the answer came
    /// (an answer meant for one player never reaches the next).
    #[error("not signed in")]
    SignedOut,
    /// The login server cannot be reached and the session's token has
    /// expired, so the call was not sent: it needs the network back
    /// ([`SessionEvent::Offline`](crate::session::SessionEvent::Offline)).
    #[error("offline: the session's token has expired and cannot be refreshed")]
    Offline,
    /// The API refused the player's token, even after a refresh.
    #[error("the game's server did not accept the sign-in")]
    Unauthorized,
    /// The call failed: the API's own error (its status, `__type` and
    /// `message`), no answer, or an answer that could not be read.
    #[error(transparent)]
    Failed(#[from] AuthError),
}

impl ApiError {
    /// A short sentence for the player.
    pub fn player_message(&self) -> String {
        self.player_message_in(Translations::english())
    }

    /// [`player_message`](Self::player_message) in the selected locale of
    /// `texts`.
    pub fn player_message_in(&self, texts: &Translations) -> String {
        match self {
            Self::SignedOut => texts.get("api.signed-out").to_owned(),
            Self::Offline => texts.get("api.offline").to_owned(),
            Self::Unauthorized => texts.get("api.unauthorized").to_owned(),
            Self::Failed(AuthError::Server { message, .. }) => match shown(message) {
                said if said.is_empty() => texts.get("api.refused").to_owned(),
                said => texts.format("api.refused-said", &[("message", &said)]),
            },
            Self::Failed(error) => error.player_message_in(texts),
        }
    }
}

/// The end of one call.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiReply {
    /// The id the call was given.
    pub id: ApiCallId,
    /// The answer's JSON (`null` for an empty body), or why there is none.
    pub result: Result<Value, ApiError>,
}

/// What one send ended in, before the queue decides what it means.
#[derive(Debug)]
struct Sent {
    id: ApiCallId,
    result: Result<Value, SendError>,
}

#[derive(Debug)]
enum SendError {
    /// `401`: the token was refused.
    Unauthorized,
    Failed(AuthError),
}

/// Sends calls on the worker's runtime and collects their answers.
#[derive(Debug)]
pub struct GameApiClient {
    base: Url,
    config: GameApiConfig,
    http: reqwest::Client,
    runtime: tokio::runtime::Handle,
    answers: (Sender<Sent>, Receiver<Sent>),
}

impl GameApiClient {
    /// A client for the API `config` names, sending on `worker`'s runtime.
    pub fn new(config: GameApiConfig, worker: &AuthWorker) -> Result<Self, ConfigError> {
        let mut base = checked_url("game API URL", &config.base_url)?;
        // `join` keeps the base's last segment only after a slash.
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        let http = http_client(&base, config.timeout)?;
        Ok(Self {
            base,
            config,
            http,
            runtime: worker.runtime().clone(),
            answers: crossbeam_channel::unbounded(),
        })
    }

    /// Which token the API takes.
    pub fn token_use(&self) -> TokenUse {
        self.config.token
    }

    /// `path` below the base URL. A path that would leave it (another
    /// host, `..` above the base) is refused: the player's token goes to the
    /// game's API and nowhere else.
    fn url(&self, path: &str) -> Result<Url, AuthError> {
        let refuse = |why: &str| AuthError::Config(format!("the API path {path:?} {why}"));
        let url = self
            .base
            .join(path.trim_start_matches('/'))
            .map_err(|error| refuse(&format!("is not a path: {error}")))?;
        if url.origin() != self.base.origin() || !url.path().starts_with(self.base.path()) {
            return Err(refuse("leaves the API's base URL"));
        }
        Ok(url)
    }

    fn send(&self, id: ApiCallId, call: &ApiCall, bearer: &str) {
        let request = self.url(&call.path).map(|url| {
            let mut authorization = HeaderValue::from_str(&format!("Bearer {bearer}"))
                .unwrap_or_else(|_| HeaderValue::from_static(""));
            authorization.set_sensitive(true);
            let request = self
                .http
                .request(call.method.as_reqwest(), url)
                .header(AUTHORIZATION, authorization);
            match &call.body {
                Some(body) => request
                    .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                    .body(serde_json::to_vec(body).expect("JSON values always serialize")),
                None => request,
            }
        });
        let answers = self.answers.0.clone();
        let max_body_bytes = self.config.max_body_bytes;
        drop(self.runtime.spawn(async move {
            let result = match request {
                Ok(request) => send(request, max_body_bytes).await,
                Err(error) => Err(SendError::Failed(error)),
            };
            let _ = answers.send(Sent { id, result });
        }));
    }
}

async fn send(request: reqwest::RequestBuilder, max_body_bytes: usize) -> Result<Value, SendError> {
    let response = request
        .send()
        .await
        .map_err(|error| SendError::Failed(transport_error(error, "")))?;
    let answer = read_answer(response, max_body_bytes)
        .await
        .map_err(SendError::Failed)?;
    if answer.status == 401 {
        return Err(SendError::Unauthorized);
    }
    let body = &answer.body;
    if !(200..300).contains(&answer.status) {
        // Read as the login calls' errors are: `__type`, `message`.
        return Err(SendError::Failed(
            match checked_json(Answer {
                status: answer.status,
                error_type_header: answer.error_type.as_deref(),
                body,
            }) {
                Err(error) => error,
                Ok(_) => unreachable!("an error status is never Ok"),
            },
        ));
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(body).map_err(|error| {
        SendError::Failed(AuthError::Malformed {
            status: answer.status,
            reason: format!("the answer is not JSON: {error}"),
            body: RawBody::new(body),
        })
    })
}

/// A call waiting for the session: a refresh first, or a refresh after a
/// `401`.
#[derive(Debug)]
struct Waiting {
    id: ApiCallId,
    call: ApiCall,
    generation: Generation,
    /// Whether the call was already refused once.
    retried: bool,
}

/// The calls of one game, ordered around the session's refreshes.
///
/// Feed it [`call`](Self::call)s, then each frame [`update`](Self::update)
/// after the session machine took its replies; replies come out of
/// [`next_reply`](Self::next_reply).
#[derive(Debug, Default)]
pub struct ApiQueue {
    next_id: u64,
    /// Sent and not answered yet.
    sent: Vec<Waiting>,
    /// Waiting for a refresh to finish.
    parked: Vec<Waiting>,
    /// Queued by [`request`](Self::request), not yet sent.
    requested: Vec<(ApiCallId, ApiCall)>,
    replies: VecDeque<ApiReply>,
}

impl ApiQueue {
    /// Sends `call` as the signed-in player, after a refresh when the token
    /// is about to expire. Signed out, it fails at once.
    pub fn call(
        &mut self,
        client: &GameApiClient,
        machine: &mut SessionMachine,
        io: &mut impl SessionIo,
        call: ApiCall,
        now: Instant,
        wall: SystemTime,
    ) -> Result<ApiCallId, ApiError> {
        if machine.tokens().is_none() {
            return Err(ApiError::SignedOut);
        }
        let id = self.next_id();
        self.dispatch(client, machine, io, id, call, now, wall);
        Ok(id)
    }

    /// Queues `call` for the next [`update`](Self::update), which sends it
    /// as [`call`](Self::call) would (or answers it `SignedOut`). For callers
    /// that cannot reach the session machine when the call is made.
    pub fn request(&mut self, call: ApiCall) -> ApiCallId {
        let id = self.next_id();
        self.requested.push((id, call));
        id
    }

    fn next_id(&mut self) -> ApiCallId {
        self.next_id += 1;
        ApiCallId(self.next_id)
    }

    #[allow(clippy::too_many_arguments)]
    fn dispatch(
        &mut self,
        client: &GameApiClient,
        machine: &mut SessionMachine,
        io: &mut impl SessionIo,
        id: ApiCallId,
        call: ApiCall,
        now: Instant,
        wall: SystemTime,
    ) {
        let waiting = Waiting {
            id,
            call,
            generation: machine.generation(),
            retried: false,
        };
        // A refresh within the session's backoff and minimum interval; a
        // call that cannot wait for one goes with the tokens there are.
        let refreshing = machine.refreshing()
            || (machine.tokens().is_some()
                && machine.refresh_due(wall)
                && machine.refresh_when_allowed(io, now));
        if refreshing {
            self.parked.push(waiting);
        } else {
            self.finish_or_send(client, machine, waiting, wall);
        }
    }

    /// Takes the calls' answers and sends the calls whose refresh is over.
    pub fn update(
        &mut self,
        client: &GameApiClient,
        machine: &mut SessionMachine,
        io: &mut impl SessionIo,
        now: Instant,
        wall: SystemTime,
    ) {
        for (id, call) in std::mem::take(&mut self.requested) {
            self.dispatch(client, machine, io, id, call, now, wall);
        }
        while let Ok(sent) = client.answers.1.try_recv() {
            let Some(index) = self.sent.iter().position(|w| w.id == sent.id) else {
                continue;
            };
            let waiting = self.sent.swap_remove(index);
            if sent.result.is_ok() {
                machine.reachable(io, now);
            }
            let result = match sent.result {
                // The session it was sent for is over: nothing of it reaches
                // whoever is signed in now.
                _ if waiting.generation != machine.generation() => Err(ApiError::SignedOut),
                Ok(value) => Ok(value),
                Err(SendError::Unauthorized)
                    if !waiting.retried && machine.refresh_when_allowed(io, now) =>
                {
                    self.parked.push(Waiting {
                        retried: true,
                        ..waiting
                    });
                    continue;
                }
                Err(SendError::Unauthorized) => Err(ApiError::Unauthorized),
                Err(SendError::Failed(error)) => Err(ApiError::Failed(error)),
            };
            self.replies.push_back(ApiReply {
                id: waiting.id,
                result,
            });
        }
        if machine.refreshing() {
            return;
        }
        // The refresh is over, whichever way: the calls go with the tokens
        // there are now (a failed refresh leaves the old ones, which a
        // server may still take), or fail when the session ended, or when it
        // is offline with a token no server takes.
        for waiting in std::mem::take(&mut self.parked) {
            if waiting.generation != machine.generation() {
                self.replies.push_back(ApiReply {
                    id: waiting.id,
                    result: Err(ApiError::SignedOut),
                });
            } else {
                self.finish_or_send(client, machine, waiting, wall);
            }
        }
    }

    /// The next finished call, if any.
    pub fn next_reply(&mut self) -> Option<ApiReply> {
        self.replies.pop_front()
    }

    /// Whether any call is sent or waiting.
    pub fn is_idle(&self) -> bool {
        self.sent.is_empty() && self.parked.is_empty() && self.requested.is_empty()
    }

    /// Sends the call with the session's tokens, or answers it at once:
    /// signed out, or offline with a token no server takes.
    fn finish_or_send(
        &mut self,
        client: &GameApiClient,
        machine: &SessionMachine,
        waiting: Waiting,
        wall: SystemTime,
    ) {
        let expired = machine
            .tokens()
            .and_then(|tokens| tokens.expires_at)
            .is_some_and(|expires| expires <= wall);
        if machine.offline() && expired {
            self.replies.push_back(ApiReply {
                id: waiting.id,
                result: Err(ApiError::Offline),
            });
        } else {
            self.send(client, machine, waiting);
        }
    }

    fn send(&mut self, client: &GameApiClient, machine: &SessionMachine, waiting: Waiting) {
        let Some(tokens) = machine.tokens() else {
            self.replies.push_back(ApiReply {
                id: waiting.id,
                result: Err(ApiError::SignedOut),
            });
            return;
        };
        let bearer = match client.token_use() {
            TokenUse::Access => tokens.access_token.expose(),
            TokenUse::Id => tokens.id_token.expose(),
        };
        client.send(waiting.id, &waiting.call, bearer);
        self.sent.push(waiting);
    }
}
