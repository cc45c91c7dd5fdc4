//! The session lifecycle as one state machine: restore, verify, keep,
//! refresh ahead with backoff, sign-out, forget. Replies and ticks go in;
//! requests, store jobs and events come out. It knows no engine: the Bevy
//! plugin drives it, and so can any game loop or a plain test.
//!
//! Every request and store job it starts belongs to a [`Generation`]; a
//! sign-in, a sign-out or a new restore starts a new one, and an answer that
//! belongs to an older generation is dropped, never applied. That is what
//! makes a sign-out final.

mod store_thread;

use std::collections::VecDeque;
use std::time::{Duration, Instant, SystemTime};

use serde_json::{Map, Value};

pub use store_thread::{MakeStore, StoreJob, StoreJobKind, StoreReply, StoreThread};

use crate::error::{AuthError, RawBody};
use crate::outcome::{AuthOutcome, Tokens, unverified_claims};
use crate::request::AuthRequest;
use crate::secret::AccessToken;
use crate::store::StoreError;
use crate::worker::{AuthWorker, Reply, RequestId};

/// Which session a request or store job belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Generation(pub u64);

/// How a session is kept and refreshed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionPolicy {
    /// Tokens are refreshed this long before the access token expires, or
    /// half its lifetime before when that is shorter.
    pub refresh_margin: Duration,
    /// Two refreshes are at least this far apart.
    pub min_refresh_interval: Duration,
    /// How long a restore waits for the store (a locked keychain may wait on
    /// a prompt forever) before it gives up.
    pub restore_timeout: Duration,
    /// Whether a new sign-in is written to the store ("Remember me").
    pub remember: bool,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            refresh_margin: Duration::from_secs(5 * 60),
            min_refresh_interval: Duration::from_secs(30),
            restore_timeout: Duration::from_secs(5),
            remember: true,
        }
    }
}

/// What the session machine asks of the world: requests on the worker and
/// jobs on the store. [`WorkerIo`] is the real one.
pub trait SessionIo {
    /// Sends a request; returns its id.
    fn send(&mut self, request: AuthRequest) -> RequestId;
    /// Checks a stored session ([`AuthWorker::check_stored`]); returns its id.
    fn check_stored(&mut self, tokens: Tokens) -> RequestId;
    /// Runs a store job, when sessions are stored at all.
    fn store(&mut self, generation: Generation, job: StoreJob);
}

/// [`SessionIo`] over an [`AuthWorker`] and, when sessions are kept, a
/// [`StoreThread`].
#[derive(Debug)]
pub struct WorkerIo<'a> {
    /// Sends the requests.
    pub worker: &'a AuthWorker,
    /// Runs the store jobs; `None` keeps nothing.
    pub store: Option<&'a StoreThread>,
}

impl SessionIo for WorkerIo<'_> {
    fn send(&mut self, request: AuthRequest) -> RequestId {
        self.worker.send(request)
    }

    fn check_stored(&mut self, tokens: Tokens) -> RequestId {
        self.worker.check_stored(tokens)
    }

    fn store(&mut self, generation: Generation, job: StoreJob) {
        if let Some(store) = self.store {
            store.run(generation, job);
        }
    }
}

/// What happened to the session, for the game to show.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionEvent {
    /// A player is signed in with these verified tokens.
    SignedIn {
        /// The session's tokens; `expires_at` is on this computer's clock.
        tokens: Tokens,
        /// `true` when the session came from the store.
        restored: bool,
    },
    /// The tokens were refreshed in place.
    Refreshed(Tokens),
    /// The server refused the session for good; it was forgotten.
    Ended(AuthError),
    /// The restore at launch found no session it could use.
    NotRestored,
    /// The stored session could not be forgotten: the next launch may
    /// restore it.
    ForgetFailed(StoreError),
}

/// Where the session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionPhase {
    /// Nobody is signed in.
    SignedOut,
    /// The stored session is being read, checked or refreshed.
    Restoring,
    /// A player is signed in.
    SignedIn,
}

#[derive(Debug)]
enum Phase {
    SignedOut,
    Restoring {
        /// While the store has not answered: when the restore gives up.
        loading_until: Option<Instant>,
        /// What the store held, once it answered.
        stored: Option<Tokens>,
    },
    SignedIn {
        tokens: Tokens,
        /// How long such tokens live, for the refresh margin.
        lifetime: Duration,
    },
}

/// The request the machine waits for, with the generation it belongs to.
#[derive(Debug, Clone, Copy)]
struct Awaiting {
    id: RequestId,
    generation: Generation,
    what: Asked,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Asked {
    /// The stored session's check.
    Check,
    Refresh,
}

/// The session lifecycle: restore, verify, keep, refresh ahead with
/// backoff, sign-out, forget.
///
/// Replies and ticks go in; requests and store jobs go out through a
/// [`SessionIo`], and [`SessionEvent`]s come out of
/// [`next_event`](Self::next_event). Every request and store job belongs to a
/// [`Generation`]; a sign-in, a sign-out or a new restore starts a new one,
/// and an answer of an older generation is dropped, never applied.
#[derive(Debug)]
pub struct SessionMachine {
    policy: SessionPolicy,
    generation: Generation,
    phase: Phase,
    /// Every request sent and not yet answered; answers of an older
    /// generation are dropped.
    sent: Vec<Awaiting>,
    last_refresh: Option<Instant>,
    retry_at: Option<Instant>,
    failures: u32,
    /// Cleared after a store failure: later saves are skipped (one warning),
    /// clears never are.
    saving: bool,
    events: VecDeque<SessionEvent>,
}

impl SessionMachine {
    /// A machine with nobody signed in.
    pub fn new(policy: SessionPolicy) -> Self {
        Self {
            policy,
            generation: Generation::default(),
            phase: Phase::SignedOut,
            sent: Vec::new(),
            last_refresh: None,
            retry_at: None,
            failures: 0,
            saving: true,
            events: VecDeque::new(),
        }
    }

    /// The current generation.
    pub fn generation(&self) -> Generation {
        self.generation
    }

    /// Where the session stands.
    pub fn phase(&self) -> SessionPhase {
        match self.phase {
            Phase::SignedOut => SessionPhase::SignedOut,
            Phase::Restoring { .. } => SessionPhase::Restoring,
            Phase::SignedIn { .. } => SessionPhase::SignedIn,
        }
    }

    /// The signed-in session's tokens.
    pub fn tokens(&self) -> Option<&Tokens> {
        match &self.phase {
            Phase::SignedIn { tokens, .. } => Some(tokens),
            _ => None,
        }
    }

    /// Whether new sign-ins are written to the store.
    pub fn set_remember(&mut self, remember: bool) {
        self.policy.remember = remember;
    }

    /// The next event, if any.
    pub fn next_event(&mut self) -> Option<SessionEvent> {
        self.events.pop_front()
    }

    /// Starts a new generation: whatever the old one was waiting for is
    /// abandoned (its answers, each of which the worker sends, are dropped).
    fn next_generation(&mut self) -> Generation {
        self.generation.0 += 1;
        self.last_refresh = None;
        self.retry_at = None;
        self.failures = 0;
        self.generation
    }

    /// At launch: reads the stored session.
    pub fn restore(&mut self, io: &mut impl SessionIo, now: Instant) {
        let generation = self.next_generation();
        self.phase = Phase::Restoring {
            loading_until: Some(now + self.policy.restore_timeout),
            stored: None,
        };
        io.store(generation, StoreJob::Load);
    }

    /// A sign-in (or a challenge's answer) returned these verified tokens.
    pub fn signed_in(&mut self, io: &mut impl SessionIo, tokens: Tokens, now: SystemTime) {
        let generation = self.next_generation();
        if !self.policy.remember {
            io.store(generation, StoreJob::Clear);
        } else if self.saving {
            io.store(generation, StoreJob::Save(tokens.clone()));
        }
        self.enter(tokens, false, now);
    }

    /// Signs out: abandons any refresh in flight, forgets the stored session
    /// (always, whatever failed before) and returns the access token to
    /// revoke on the server, when a player was signed in.
    pub fn sign_out(&mut self, io: &mut impl SessionIo) -> Option<AccessToken> {
        let phase = std::mem::replace(&mut self.phase, Phase::SignedOut);
        let generation = self.next_generation();
        io.store(generation, StoreJob::Clear);
        match phase {
            Phase::SignedIn { tokens, .. } => Some(tokens.access_token),
            _ => None,
        }
    }

    /// Refreshes the session now (to pick up new claims, say), unless a
    /// refresh is already on its way; `false` when nobody is signed in or
    /// the session has no refresh token.
    pub fn refresh_now(&mut self, io: &mut impl SessionIo, now: Instant) -> bool {
        let Phase::SignedIn { tokens, .. } = &self.phase else {
            return false;
        };
        if tokens.refresh_token.is_none() {
            return false;
        }
        if !self
            .sent
            .iter()
            .any(|sent| sent.generation == self.generation)
        {
            let request = refresh_request(tokens);
            self.last_refresh = Some(now);
            self.send(io, request, Asked::Refresh);
        }
        true
    }

    /// Offers a worker reply; returns it when it is not the machine's (the
    /// game's own requests). Answers of an abandoned generation are dropped.
    pub fn reply(&mut self, io: &mut impl SessionIo, reply: Reply, now: Instant) -> Option<Reply> {
        let Some(index) = self.sent.iter().position(|sent| sent.id == reply.id) else {
            return Some(reply);
        };
        let awaiting = self.sent.swap_remove(index);
        if awaiting.generation != self.generation {
            tracing::debug!(
                id = reply.id.0,
                "dropped the answer of an abandoned session"
            );
            return None;
        }
        let wall = SystemTime::now();
        let tokens = match reply.result {
            Ok(AuthOutcome::Tokens(tokens)) => Ok(tokens),
            Ok(other) => Err(AuthError::Malformed {
                status: 200,
                reason: format!("a refresh answered {}", outcome_name(&other)),
                body: RawBody::default(),
            }),
            Err(error) => Err(error),
        };
        match (awaiting.what, &self.phase) {
            (Asked::Check, Phase::Restoring { .. }) => self.checked(io, tokens, wall),
            (Asked::Refresh, Phase::Restoring { .. }) => self.restore_refreshed(io, tokens, wall),
            (Asked::Refresh, Phase::SignedIn { .. }) => self.refreshed(io, tokens, now, wall),
            _ => tracing::debug!("dropped an answer the session no longer waits for"),
        }
        None
    }

    /// Applies a store job's end.
    pub fn stored(&mut self, io: &mut impl SessionIo, reply: StoreReply) {
        match (reply.job, reply.result) {
            (StoreJobKind::Clear, Err(error)) => {
                tracing::warn!(%error, "the stored session could not be forgotten");
                self.events.push_back(SessionEvent::ForgetFailed(error));
            }
            (StoreJobKind::Clear, Ok(_)) => {}
            (StoreJobKind::Save, result) => {
                if let Err(error) = result {
                    self.store_failed(&error);
                }
            }
            (StoreJobKind::Load, _) if reply.generation != self.generation => {
                tracing::debug!("dropped a late answer of the store");
            }
            (StoreJobKind::Load, result) => self.loaded(io, result),
        }
    }

    /// Gives up a restore whose store did not answer in time, and sends a
    /// refresh that has come due.
    pub fn tick(&mut self, io: &mut impl SessionIo, now: Instant, wall: SystemTime) {
        match &self.phase {
            Phase::Restoring {
                loading_until: Some(until),
                ..
            } if now >= *until => {
                self.store_failed(&StoreError::Unavailable("no answer in time".into()));
                self.next_generation();
                self.not_restored();
            }
            Phase::SignedIn { tokens, lifetime } => {
                let waiting = self
                    .sent
                    .iter()
                    .any(|sent| sent.generation == self.generation)
                    || self.retry_at.is_some_and(|at| now < at)
                    || self
                        .last_refresh
                        .is_some_and(|at| now < at + self.policy.min_refresh_interval);
                let margin = self.policy.refresh_margin.min(*lifetime / 2);
                let due = tokens
                    .expires_at
                    .is_some_and(|expires| wall + margin >= expires);
                if !waiting && due && tokens.refresh_token.is_some() {
                    let request = refresh_request(tokens);
                    self.last_refresh = Some(now);
                    self.send(io, request, Asked::Refresh);
                }
            }
            _ => {}
        }
    }

    fn send(&mut self, io: &mut impl SessionIo, request: AuthRequest, what: Asked) {
        let id = io.send(request);
        self.sent.push(Awaiting {
            id,
            generation: self.generation,
            what,
        });
    }

    fn enter(&mut self, tokens: Tokens, restored: bool, wall: SystemTime) {
        let lifetime = lifetime(&tokens, wall);
        self.phase = Phase::SignedIn {
            tokens: tokens.clone(),
            lifetime,
        };
        self.events
            .push_back(SessionEvent::SignedIn { tokens, restored });
    }

    fn not_restored(&mut self) {
        self.phase = Phase::SignedOut;
        self.events.push_back(SessionEvent::NotRestored);
    }

    fn store_failed(&mut self, error: &StoreError) {
        if self.saving {
            tracing::warn!(%error, "the session will not be remembered");
            self.saving = false;
        }
    }

    fn forget(&mut self, io: &mut impl SessionIo) {
        io.store(self.generation, StoreJob::Clear);
    }

    fn save(&mut self, io: &mut impl SessionIo, tokens: &Tokens) {
        if self.saving && self.policy.remember {
            io.store(self.generation, StoreJob::Save(tokens.clone()));
        }
    }

    fn loaded(&mut self, io: &mut impl SessionIo, result: Result<Option<Tokens>, StoreError>) {
        if !matches!(self.phase, Phase::Restoring { .. }) {
            return;
        }
        match result {
            Ok(Some(tokens)) => {
                let id = io.check_stored(tokens.clone());
                self.sent.push(Awaiting {
                    id,
                    generation: self.generation,
                    what: Asked::Check,
                });
                self.phase = Phase::Restoring {
                    loading_until: None,
                    stored: Some(tokens),
                };
            }
            Ok(None) => self.not_restored(),
            Err(StoreError::Corrupt(reason)) => {
                tracing::warn!("the stored session is unreadable ({reason}); it is forgotten");
                self.forget(io);
                self.not_restored();
            }
            Err(error) => {
                self.store_failed(&error);
                self.not_restored();
            }
        }
    }

    /// The stored session's check answered: signed in when its tokens are
    /// verified and unexpired; refreshed when they expired or could not be
    /// checked (the refresh's tokens are verified in turn).
    fn checked(
        &mut self,
        io: &mut impl SessionIo,
        checked: Result<Tokens, AuthError>,
        wall: SystemTime,
    ) {
        let Phase::Restoring { stored, .. } = &mut self.phase else {
            return;
        };
        let stored = stored.take();
        match checked {
            Ok(tokens) if tokens.expires_at.is_some_and(|expires| wall < expires) => {
                tracing::info!("signed in from the store");
                self.enter(tokens, true, wall);
            }
            result => {
                if let Err(error) = &result {
                    tracing::warn!(%error, "the stored session could not be verified; refreshing it");
                }
                match stored.filter(|tokens| tokens.refresh_token.is_some()) {
                    Some(stored) => self.send(io, refresh_request(&stored), Asked::Refresh),
                    None => {
                        if matches!(result, Ok(_) | Err(AuthError::InvalidToken(_))) {
                            self.forget(io);
                        }
                        self.not_restored();
                    }
                }
            }
        }
    }

    /// The restore's refresh answered: signed in, or signed out with the
    /// stored session forgotten (refused) or kept for later (no answer).
    fn restore_refreshed(
        &mut self,
        io: &mut impl SessionIo,
        refreshed: Result<Tokens, AuthError>,
        wall: SystemTime,
    ) {
        match refreshed {
            Ok(tokens) => {
                tracing::info!("signed in from the store after a refresh");
                self.save(io, &tokens);
                self.enter(tokens, true, wall);
            }
            Err(error) if error.ends_session() => {
                tracing::info!(%error, "the stored session has ended; it is forgotten");
                self.forget(io);
                self.not_restored();
            }
            Err(error) => {
                tracing::warn!(%error, "the stored session could not be refreshed; it is kept for later");
                self.not_restored();
            }
        }
    }

    /// A refresh while signed in answered: new tokens in place, the end of
    /// the session on an explicit refusal, a backoff on anything else.
    fn refreshed(
        &mut self,
        io: &mut impl SessionIo,
        refreshed: Result<Tokens, AuthError>,
        now: Instant,
        wall: SystemTime,
    ) {
        match refreshed {
            Ok(tokens) => {
                self.failures = 0;
                self.retry_at = None;
                self.save(io, &tokens);
                self.phase = Phase::SignedIn {
                    lifetime: lifetime(&tokens, wall),
                    tokens: tokens.clone(),
                };
                self.events.push_back(SessionEvent::Refreshed(tokens));
            }
            Err(error) if error.ends_session() => {
                tracing::info!(%error, "the session was ended by the server");
                self.phase = Phase::SignedOut;
                self.next_generation();
                self.forget(io);
                self.events.push_back(SessionEvent::Ended(error));
            }
            Err(error) => {
                self.failures += 1;
                let backoff =
                    Duration::from_secs(5 << self.failures.min(6)).min(Duration::from_secs(300));
                self.retry_at = Some(now + backoff);
                tracing::warn!(%error, ?backoff, "the session could not be refreshed; trying again later");
            }
        }
    }
}

/// The refresh of `tokens`' session.
fn refresh_request(tokens: &Tokens) -> AuthRequest {
    AuthRequest::Refresh {
        refresh_token: tokens
            .refresh_token
            .clone()
            .expect("only sessions with a refresh token are refreshed"),
        username: tokens.internal_username(),
    }
}

/// How long tokens like these live: the access token's `exp - iat`, else
/// what is left of them now.
fn lifetime(tokens: &Tokens, wall: SystemTime) -> Duration {
    let claims = unverified_claims(tokens.access_token.expose());
    let seconds = |name: &str| claims.as_ref()?.get(name)?.as_u64();
    match (seconds("iat"), seconds("exp")) {
        (Some(iat), Some(exp)) if exp > iat => Duration::from_secs(exp - iat),
        _ => tokens
            .expires_at
            .and_then(|expires| expires.duration_since(wall).ok())
            .unwrap_or_default(),
    }
}

fn outcome_name(outcome: &AuthOutcome) -> &'static str {
    match outcome {
        AuthOutcome::SignedUp { .. } => "a sign-up",
        AuthOutcome::Confirmed => "a confirmation",
        AuthOutcome::CodeSent(_) => "a code sent",
        AuthOutcome::Tokens(_) => "tokens",
        AuthOutcome::Challenge(_) => "a challenge",
        AuthOutcome::PasswordReset => "a password reset",
        AuthOutcome::SignedOut => "a sign-out",
    }
}

/// Who a session belongs to, read from its ID token (which the transport
/// verified before the session was made).
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    /// The player's username (`cognito:username`, else `username`, else `sub`).
    pub username: String,
    /// The player's stable id (`sub`).
    pub sub: String,
    /// The email address, when the pool has one.
    pub email: Option<String>,
    /// Whether that email address is verified.
    pub email_verified: bool,
    /// The player's groups (`cognito:groups`).
    pub groups: Vec<String>,
    /// Every claim of the ID token.
    pub claims: Map<String, Value>,
}

impl Identity {
    /// Reads the ID token of `tokens`.
    pub fn of(tokens: &Tokens) -> Result<Self, AuthError> {
        let unreadable = |reason: &str| AuthError::InvalidToken(reason.to_owned());
        let claims = unverified_claims(tokens.id_token.expose())
            .ok_or_else(|| unreadable("the ID token is not a JWT"))?;
        let text = |key: &str| claims.get(key).and_then(Value::as_str).map(str::to_owned);
        let sub = text("sub").ok_or_else(|| unreadable("the ID token has no `sub`"))?;
        Ok(Self {
            username: text("cognito:username")
                .or_else(|| text("username"))
                .unwrap_or_else(|| sub.clone()),
            email: text("email"),
            email_verified: match claims.get("email_verified") {
                Some(Value::Bool(verified)) => *verified,
                Some(Value::String(verified)) => verified == "true",
                _ => false,
            },
            groups: claims
                .get("cognito:groups")
                .and_then(Value::as_array)
                .map(|groups| {
                    groups
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            sub,
            claims,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{ServerErrorKind, TransportErrorKind};
    use crate::request::AuthAction;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use std::time::UNIX_EPOCH;

    #[derive(Default)]
    struct Io {
        next: u64,
        sent: Vec<(RequestId, AuthRequest)>,
        checks: Vec<(RequestId, Tokens)>,
        jobs: Vec<(Generation, StoreJob)>,
    }

    impl SessionIo for Io {
        fn send(&mut self, request: AuthRequest) -> RequestId {
            self.next += 1;
            self.sent.push((RequestId(self.next), request));
            RequestId(self.next)
        }

        fn check_stored(&mut self, tokens: Tokens) -> RequestId {
            self.next += 1;
            self.checks.push((RequestId(self.next), tokens));
            RequestId(self.next)
        }

        fn store(&mut self, generation: Generation, job: StoreJob) {
            self.jobs.push((generation, job));
        }
    }

    impl Io {
        fn last_sent(&self) -> RequestId {
            self.sent.last().expect("a request was sent").0
        }

        fn clears(&self) -> usize {
            self.jobs
                .iter()
                .filter(|(_, job)| *job == StoreJob::Clear)
                .count()
        }

        fn saves(&self) -> usize {
            self.jobs
                .iter()
                .filter(|(_, job)| matches!(job, StoreJob::Save(_)))
                .count()
        }
    }

    fn unix(time: SystemTime) -> u64 {
        time.duration_since(UNIX_EPOCH).unwrap().as_secs()
    }

    /// Tokens of `sub` that live `lifetime` seconds, `left` of them still to go.
    fn tokens(sub: &str, lifetime: u64, left: u64) -> Tokens {
        let now = SystemTime::now();
        let exp = unix(now) + left;
        let claims = format!(r#"{{"sub":"{sub}","iat":{},"exp":{exp}}}"#, exp - lifetime);
        let jwt = format!("e30.{}.sig", URL_SAFE_NO_PAD.encode(claims));
        Tokens {
            access_token: jwt.clone().into(),
            id_token: jwt.into(),
            refresh_token: Some(format!("refresh-{sub}").into()),
            expires_at: Some(now + Duration::from_secs(left)),
        }
    }

    fn reply(id: RequestId, result: Result<AuthOutcome, AuthError>) -> Reply {
        Reply {
            id,
            action: AuthAction::Refresh,
            result,
        }
    }

    fn server(kind: ServerErrorKind, status: u16) -> AuthError {
        AuthError::Server {
            kind,
            message: String::new(),
            status,
        }
    }

    fn events(machine: &mut SessionMachine) -> Vec<SessionEvent> {
        std::iter::from_fn(|| machine.next_event()).collect()
    }

    fn signed_in(sub: &str, lifetime: u64, left: u64) -> (SessionMachine, Io) {
        let (mut machine, mut io) = (SessionMachine::new(SessionPolicy::default()), Io::default());
        machine.signed_in(&mut io, tokens(sub, lifetime, left), SystemTime::now());
        events(&mut machine);
        (machine, io)
    }

    #[test]
    fn a_sign_out_during_a_refresh_is_final() {
        let (mut machine, mut io) = signed_in("ada", 3600, 60);
        let now = Instant::now();
        machine.tick(&mut io, now, SystemTime::now());
        let refresh = io.last_sent();
        assert!(machine.sign_out(&mut io).is_some());
        let fresh = tokens("ada", 3600, 3600);
        assert_eq!(
            machine.reply(&mut io, reply(refresh, Ok(AuthOutcome::Tokens(fresh))), now),
            None,
            "the stale answer is the machine's, and dropped"
        );
        assert_eq!(machine.phase(), SessionPhase::SignedOut);
        assert!(events(&mut machine).is_empty());
        assert_eq!(
            io.saves(),
            1,
            "only the sign-in was saved, never the stale refresh"
        );
    }

    #[test]
    fn a_stale_answer_never_touches_the_next_players_session() {
        let (mut machine, mut io) = signed_in("ada", 3600, 60);
        let now = Instant::now();
        machine.tick(&mut io, now, SystemTime::now());
        let refresh = io.last_sent();
        machine.sign_out(&mut io);
        let bea = tokens("bea", 3600, 3600);
        machine.signed_in(&mut io, bea.clone(), SystemTime::now());
        events(&mut machine);
        for stale in [
            Ok(AuthOutcome::Tokens(tokens("ada", 3600, 3600))),
            Err(server(ServerErrorKind::NotAuthorized, 400)),
        ] {
            machine.reply(&mut io, reply(refresh, stale), now);
            assert_eq!(machine.tokens(), Some(&bea));
            assert!(events(&mut machine).is_empty());
        }
        let clears = io.clears();
        assert_eq!(clears, 1, "only the sign-out cleared");
    }

    #[test]
    fn short_lived_tokens_refresh_calmly() {
        // Five-minute tokens with the default five-minute margin.
        let (mut machine, mut io) = signed_in("ada", 300, 300);
        let start = Instant::now();
        let wall = SystemTime::now();
        machine.tick(&mut io, start, wall);
        assert!(
            io.sent.is_empty(),
            "half the lifetime is left before the first refresh"
        );
        machine.tick(&mut io, start, wall + Duration::from_secs(151));
        assert_eq!(io.sent.len(), 1);
        let id = io.last_sent();
        machine.reply(
            &mut io,
            reply(id, Ok(AuthOutcome::Tokens(tokens("ada", 300, 300)))),
            start,
        );
        for frame in 0..1000 {
            machine.tick(
                &mut io,
                start + Duration::from_millis(frame),
                wall + Duration::from_secs(151),
            );
        }
        assert_eq!(io.sent.len(), 1, "no refresh every frame");
        // Even when tokens come back already due, refreshes stay apart.
        let id = {
            machine.tick(
                &mut io,
                start + Duration::from_secs(31),
                wall + Duration::from_secs(400),
            );
            io.last_sent()
        };
        machine.reply(
            &mut io,
            reply(id, Ok(AuthOutcome::Tokens(tokens("ada", 300, 10)))),
            start,
        );
        machine.tick(
            &mut io,
            start + Duration::from_secs(40),
            wall + Duration::from_secs(400),
        );
        assert_eq!(io.sent.len(), 2, "the minimum interval holds");
        machine.tick(
            &mut io,
            start + Duration::from_secs(62),
            wall + Duration::from_secs(400),
        );
        assert_eq!(io.sent.len(), 3);
    }

    #[test]
    fn only_an_explicit_refusal_ends_the_session() {
        let keeps = [
            server(ServerErrorKind::Unknown("Forbidden".into()), 403),
            server(ServerErrorKind::Unsupported, 404),
            server(ServerErrorKind::LimitExceeded, 400),
            AuthError::Cancelled,
            AuthError::InvalidToken("unknown key".into()),
            AuthError::Malformed {
                status: 403,
                reason: "html".into(),
                body: RawBody::default(),
            },
            AuthError::Transport {
                kind: TransportErrorKind::Refused,
                detail: String::new(),
            },
        ];
        for error in keeps {
            let (mut machine, mut io) = signed_in("ada", 3600, 60);
            let now = Instant::now();
            machine.tick(&mut io, now, SystemTime::now());
            let id = io.last_sent();
            machine.reply(&mut io, reply(id, Err(error.clone())), now);
            assert_eq!(machine.phase(), SessionPhase::SignedIn, "{error}");
            assert_eq!(io.clears(), 0, "{error}");
            machine.tick(&mut io, now + Duration::from_secs(1), SystemTime::now());
            assert_eq!(io.sent.len(), 1, "{error}: backs off");
        }
        for kind in [
            ServerErrorKind::NotAuthorized,
            ServerErrorKind::RefreshTokenReuse,
            ServerErrorKind::UserNotFound,
            ServerErrorKind::PasswordResetRequired,
        ] {
            let (mut machine, mut io) = signed_in("ada", 3600, 60);
            let now = Instant::now();
            machine.tick(&mut io, now, SystemTime::now());
            let error = server(kind, 400);
            let id = io.last_sent();
            machine.reply(&mut io, reply(id, Err(error.clone())), now);
            assert_eq!(machine.phase(), SessionPhase::SignedOut);
            assert_eq!(events(&mut machine), [SessionEvent::Ended(error)]);
            assert_eq!(io.clears(), 1);
        }
    }

    #[test]
    fn a_store_failure_stops_saves_never_clears() {
        let (mut machine, mut io) = (SessionMachine::new(SessionPolicy::default()), Io::default());
        machine.restore(&mut io, Instant::now());
        load(
            &mut machine,
            &mut io,
            Err(StoreError::Unavailable("locked".into())),
        );
        assert_eq!(events(&mut machine), [SessionEvent::NotRestored]);
        machine.signed_in(&mut io, tokens("ada", 3600, 3600), SystemTime::now());
        assert_eq!(io.saves(), 0, "no more saves");
        machine.sign_out(&mut io);
        assert_eq!(io.clears(), 1, "the clear still runs");
        let generation = machine.generation();
        machine.stored(
            &mut io,
            StoreReply {
                generation,
                job: StoreJobKind::Clear,
                result: Err(StoreError::Failed("D-Bus".into())),
            },
        );
        assert_eq!(
            events(&mut machine).last(),
            Some(&SessionEvent::ForgetFailed(StoreError::Failed(
                "D-Bus".into()
            )))
        );
    }

    /// The store answers the restore's load.
    fn load(machine: &mut SessionMachine, io: &mut Io, result: Result<Option<Tokens>, StoreError>) {
        let generation = machine.generation();
        machine.stored(
            io,
            StoreReply {
                generation,
                job: StoreJobKind::Load,
                result,
            },
        );
    }

    fn restoring(stored: Tokens) -> (SessionMachine, Io, RequestId) {
        let (mut machine, mut io) = (SessionMachine::new(SessionPolicy::default()), Io::default());
        machine.restore(&mut io, Instant::now());
        load(&mut machine, &mut io, Ok(Some(stored)));
        let check = io.checks.last().expect("the stored session is checked").0;
        (machine, io, check)
    }

    #[test]
    fn a_restored_session_is_verified_first() {
        let stored = tokens("ada", 3600, 3600);
        let (mut machine, mut io, check) = restoring(stored.clone());
        assert_eq!(machine.phase(), SessionPhase::Restoring);
        machine.reply(
            &mut io,
            reply(check, Ok(AuthOutcome::Tokens(stored.clone()))),
            Instant::now(),
        );
        assert_eq!(
            events(&mut machine),
            [SessionEvent::SignedIn {
                tokens: stored,
                restored: true
            }]
        );
        assert!(io.sent.is_empty(), "no request");
    }

    #[test]
    fn a_stored_session_that_fails_its_check_is_refreshed_or_forgotten() {
        let planted = tokens("mallory", 3600, 3600);
        let (mut machine, mut io, check) = restoring(planted.clone());
        let refused = Err(AuthError::InvalidToken("bad signature".into()));
        machine.reply(&mut io, reply(check, refused.clone()), Instant::now());
        assert!(events(&mut machine).is_empty(), "not signed in");
        let refresh = io.last_sent();
        machine.reply(
            &mut io,
            reply(refresh, Err(server(ServerErrorKind::NotAuthorized, 400))),
            Instant::now(),
        );
        assert_eq!(events(&mut machine), [SessionEvent::NotRestored]);
        assert_eq!(io.clears(), 1, "forgotten");

        let no_refresh = Tokens {
            refresh_token: None,
            ..planted
        };
        let (mut machine, mut io, check) = restoring(no_refresh);
        machine.reply(&mut io, reply(check, refused), Instant::now());
        assert_eq!(events(&mut machine), [SessionEvent::NotRestored]);
        assert_eq!(io.clears(), 1);
        assert!(io.sent.is_empty());
    }

    #[test]
    fn an_expired_stored_session_is_refreshed_once() {
        let mut expired = tokens("ada", 3600, 0);
        expired.expires_at = Some(SystemTime::now() - Duration::from_secs(60));
        let (mut machine, mut io, check) = restoring(expired.clone());
        machine.reply(
            &mut io,
            reply(check, Ok(AuthOutcome::Tokens(expired))),
            Instant::now(),
        );
        assert_eq!(io.sent.len(), 1);
        let fresh = tokens("ada", 3600, 3600);
        let id = io.last_sent();
        machine.reply(
            &mut io,
            reply(id, Ok(AuthOutcome::Tokens(fresh.clone()))),
            Instant::now(),
        );
        assert_eq!(
            events(&mut machine),
            [SessionEvent::SignedIn {
                tokens: fresh,
                restored: true
            }]
        );
        assert_eq!(io.saves(), 1, "the refreshed session is stored");
    }

    #[test]
    fn a_silent_store_gives_up_and_its_late_answer_is_dropped() {
        let (mut machine, mut io) = (SessionMachine::new(SessionPolicy::default()), Io::default());
        let start = Instant::now();
        machine.restore(&mut io, start);
        let generation = machine.generation();
        machine.tick(&mut io, start + Duration::from_secs(6), SystemTime::now());
        assert_eq!(events(&mut machine), [SessionEvent::NotRestored]);
        machine.stored(
            &mut io,
            StoreReply {
                generation,
                job: StoreJobKind::Load,
                result: Ok(Some(tokens("ada", 3600, 3600))),
            },
        );
        assert!(io.checks.is_empty());
        assert_eq!(machine.phase(), SessionPhase::SignedOut);
    }

    #[test]
    fn a_corrupt_store_entry_is_forgotten() {
        let (mut machine, mut io) = (SessionMachine::new(SessionPolicy::default()), Io::default());
        machine.restore(&mut io, Instant::now());
        load(
            &mut machine,
            &mut io,
            Err(StoreError::Corrupt("not JSON".into())),
        );
        assert_eq!(events(&mut machine), [SessionEvent::NotRestored]);
        assert_eq!(io.clears(), 1);
    }

    #[test]
    fn without_remember_me_a_sign_in_clears_instead_of_saving() {
        let (mut machine, mut io) = (
            SessionMachine::new(SessionPolicy {
                remember: false,
                ..SessionPolicy::default()
            }),
            Io::default(),
        );
        machine.signed_in(&mut io, tokens("ada", 3600, 3600), SystemTime::now());
        assert_eq!((io.saves(), io.clears()), (0, 1));
    }
}
