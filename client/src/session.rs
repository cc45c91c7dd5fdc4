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

pub use store_thread::{DevicesReply, MakeStore, StoreJob, StoreJobKind, StoreReply, StoreThread};

use crate::error::{AuthError, RawBody, ServerErrorKind};
use crate::outcome::{AuthOutcome, Tokens, unverified_claims};
use crate::request::AuthRequest;
use crate::signing_keys::SigningKeys;
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
    /// The login server cannot be reached (no network, or its fault): the
    /// session is kept, as verified before, and refreshed as soon as the
    /// server answers again. The access token may expire meanwhile.
    Offline,
    /// The server answered again and the session was refreshed.
    Online,
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
        /// Whether `stored` passed its check (signed by the pool, for this
        /// app client) and only its time is up: then it stays a session,
        /// offline, when the refresh gets no answer.
        verified: bool,
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
    /// The signed-in session's server could not be reached at the last try.
    offline: bool,
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
            offline: false,
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

    /// Whether the signed-in session's server could not be reached at the
    /// last try ([`SessionEvent::Offline`]).
    pub fn offline(&self) -> bool {
        self.offline
    }

    /// The signed-in session's tokens.
    pub fn tokens(&self) -> Option<&Tokens> {
        match &self.phase {
            Phase::SignedIn { tokens, .. } => Some(tokens),
            _ => None,
        }
    }

    /// Whether a refresh of the current session is on its way.
    pub fn refreshing(&self) -> bool {
        self.sent
            .iter()
            .any(|sent| sent.generation == self.generation && sent.what == Asked::Refresh)
    }

    /// Whether the signed-in session's access token expires within the
    /// refresh margin at `wall`: a call made with it now might meet an
    /// expired token.
    pub fn refresh_due(&self, wall: SystemTime) -> bool {
        match &self.phase {
            Phase::SignedIn { tokens, lifetime } => {
                let margin = self.policy.refresh_margin.min(*lifetime / 2);
                tokens.refresh_token.is_some()
                    && tokens
                        .expires_at
                        .is_some_and(|expires| wall + margin >= expires)
            }
            _ => false,
        }
    }

    /// Whether new sign-ins are written to the store
    /// ([`set_remember`](Self::set_remember)).
    pub fn remembers(&self) -> bool {
        self.policy.remember && self.saving
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
        self.offline = false;
        self.generation
    }

    /// At launch: reads the stored session.
    pub fn restore(&mut self, io: &mut impl SessionIo, now: Instant) {
        let generation = self.next_generation();
        self.phase = Phase::Restoring {
            loading_until: Some(now + self.policy.restore_timeout),
            stored: None,
            verified: false,
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
    /// (always, whatever failed before) and returns the session's tokens,
    /// to revoke on the server, when a player was signed in.
    pub fn sign_out(&mut self, io: &mut impl SessionIo) -> Option<Tokens> {
        let phase = std::mem::replace(&mut self.phase, Phase::SignedOut);
        let generation = self.next_generation();
        io.store(generation, StoreJob::Clear);
        match phase {
            Phase::SignedIn { tokens, .. } => Some(tokens),
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

    /// Refreshes the session as [`refresh_now`](Self::refresh_now) does,
    /// unless the [`min_refresh_interval`](SessionPolicy::min_refresh_interval)
    /// or, online, the backoff after a failed refresh holds it back: for
    /// refreshes that many callers may ask for at once (every call to the
    /// game's API). Offline, such a call is how the player finds out that
    /// the network is back, so only the interval holds. `true` when a
    /// refresh is on its way.
    pub fn refresh_when_allowed(&mut self, io: &mut impl SessionIo, now: Instant) -> bool {
        if self.refreshing() {
            return true;
        }
        let held_back = (!self.offline && self.retry_at.is_some_and(|at| now < at))
            || self
                .last_refresh
                .is_some_and(|at| now < at + self.policy.min_refresh_interval);
        !held_back && self.refresh_now(io, now)
    }

    /// Offers a worker reply; returns it when it is not the machine's (the
    /// game's own requests). Answers of an abandoned generation are dropped.
    pub fn reply(&mut self, io: &mut impl SessionIo, reply: Reply, now: Instant) -> Option<Reply> {
        let Some(index) = self.sent.iter().position(|sent| sent.id == reply.id) else {
            if answered(&reply.result) {
                self.reachable(io, now);
            }
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
            (Asked::Check, Phase::Restoring { .. }) => self.checked(io, tokens, now, wall),
            (Asked::Refresh, Phase::Restoring { .. }) => {
                self.restore_refreshed(io, tokens, now, wall);
            }
            (Asked::Refresh, Phase::SignedIn { .. }) => self.refreshed(io, tokens, now, wall),
            _ => tracing::debug!("dropped an answer the session no longer waits for"),
        }
        None
    }

    /// A request reached the server (a game API call answered, say): when
    /// the session is offline, its refresh is tried now rather than after
    /// the backoff (at most once per
    /// [`min_refresh_interval`](SessionPolicy::min_refresh_interval)).
    pub fn reachable(&mut self, io: &mut impl SessionIo, now: Instant) {
        let Phase::SignedIn { tokens, .. } = &self.phase else {
            return;
        };
        let busy = self
            .sent
            .iter()
            .any(|sent| sent.generation == self.generation)
            || self
                .last_refresh
                .is_some_and(|at| now < at + self.policy.min_refresh_interval);
        if self.offline && tokens.refresh_token.is_some() && !busy {
            let request = refresh_request(tokens);
            self.last_refresh = Some(now);
            self.retry_at = None;
            self.send(io, request, Asked::Refresh);
        }
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
            Phase::SignedIn { tokens, .. } => {
                let waiting = self
                    .sent
                    .iter()
                    .any(|sent| sent.generation == self.generation)
                    || self.retry_at.is_some_and(|at| now < at)
                    || self
                        .last_refresh
                        .is_some_and(|at| now < at + self.policy.min_refresh_interval);
                // Offline, the refresh also tells when the server is back.
                let due =
                    self.refresh_due(wall) || (self.offline && tokens.refresh_token.is_some());
                if !waiting && due {
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
                    verified: false,
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
    /// checked (the refresh's tokens are verified in turn). Tokens checked
    /// against the keys stored with them (the pool's could not be fetched)
    /// make an offline session.
    fn checked(
        &mut self,
        io: &mut impl SessionIo,
        checked: Result<Tokens, AuthError>,
        now: Instant,
        wall: SystemTime,
    ) {
        let Phase::Restoring { stored, .. } = &mut self.phase else {
            return;
        };
        let Some(stored) = stored.take() else {
            self.not_restored();
            return;
        };
        // What to refresh, whether it passed the check, and whether to
        // forget it when it cannot be refreshed.
        let (candidate, verified, forget) = match checked {
            Ok(mut tokens) => {
                tokens.from_browser = stored.from_browser;
                if tokens.expires_at.is_some_and(|expires| wall < expires) {
                    tracing::info!("signed in from the store");
                    let offline = checked_offline(&tokens);
                    self.enter(tokens, true, wall);
                    if offline {
                        self.went_offline(now);
                    }
                    return;
                }
                (tokens, true, true)
            }
            Err(error) => {
                tracing::warn!(%error, "the stored session could not be verified; refreshing it");
                let forget = matches!(error, AuthError::InvalidToken(_));
                (stored, false, forget)
            }
        };
        if candidate.refresh_token.is_some() {
            self.send(io, refresh_request(&candidate), Asked::Refresh);
            // Its answer carries on this session.
            self.phase = Phase::Restoring {
                loading_until: None,
                stored: Some(candidate),
                verified,
            };
        } else {
            if forget {
                self.forget(io);
            }
            self.not_restored();
        }
    }

    /// The restore's refresh answered: signed in; signed out with the stored
    /// session forgotten (refused) or kept for later (no answer, tokens never
    /// verified); or, when the stored tokens were verified and only their
    /// time is up, signed in offline until the server answers.
    fn restore_refreshed(
        &mut self,
        io: &mut impl SessionIo,
        refreshed: Result<Tokens, AuthError>,
        now: Instant,
        wall: SystemTime,
    ) {
        let Phase::Restoring {
            stored, verified, ..
        } = &mut self.phase
        else {
            return;
        };
        let (stored, verified) = (stored.take(), *verified);
        let refreshed = match (refreshed, &stored) {
            (Ok(tokens), Some(old)) => same_player(old, tokens),
            (other, _) => other,
        };
        match (refreshed, stored) {
            (Ok(mut tokens), stored) => {
                tracing::info!("signed in from the store after a refresh");
                tokens.from_browser = stored.is_some_and(|stored| stored.from_browser);
                self.save(io, &tokens);
                self.enter(tokens, true, wall);
            }
            (Err(error), _) if error.ends_session() => {
                tracing::info!(%error, "the stored session has ended; it is forgotten");
                self.forget(io);
                self.not_restored();
            }
            (Err(error), Some(stored)) if verified && unreachable(&error) => {
                tracing::warn!(%error, "the login server cannot be reached; signed in from the store, offline");
                self.enter(stored, true, wall);
                self.went_offline(now);
            }
            (Err(error), _) => {
                tracing::warn!(%error, "the stored session could not be refreshed; it is kept for later");
                self.not_restored();
            }
        }
    }

    /// The server could not be reached: the session stays, and its refresh
    /// is tried again after a backoff, or as soon as a request gets through.
    fn went_offline(&mut self, now: Instant) {
        self.failures += 1;
        self.retry_at = Some(now + self.backoff());
        if !self.offline {
            self.offline = true;
            self.events.push_back(SessionEvent::Offline);
        }
    }

    /// The wait before the next try after `failures` failures, jittered.
    fn backoff(&self) -> Duration {
        let mut unit = [0; 2];
        // Without the OS's randomness the wait is the longest.
        let unit = getrandom::getrandom(&mut unit).map_or(1.0, |()| {
            f64::from(u16::from_le_bytes(unit)) / f64::from(u16::MAX)
        });
        retry_delay(self.failures, unit)
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
        let refreshed = match (refreshed, &self.phase) {
            (Ok(tokens), Phase::SignedIn { tokens: old, .. }) => same_player(old, tokens),
            (other, _) => other,
        };
        match refreshed {
            Ok(mut tokens) => {
                if let Phase::SignedIn { tokens: old, .. } = &self.phase {
                    tokens.from_browser = old.from_browser;
                }
                self.failures = 0;
                self.retry_at = None;
                self.save(io, &tokens);
                self.phase = Phase::SignedIn {
                    lifetime: lifetime(&tokens, wall),
                    tokens: tokens.clone(),
                };
                self.events.push_back(SessionEvent::Refreshed(tokens));
                if std::mem::take(&mut self.offline) {
                    tracing::info!("the login server answers again");
                    self.events.push_back(SessionEvent::Online);
                }
            }
            Err(error) if error.ends_session() => {
                tracing::info!(%error, "the session was ended by the server");
                self.phase = Phase::SignedOut;
                self.next_generation();
                self.forget(io);
                self.events.push_back(SessionEvent::Ended(error));
            }
            Err(error) if unreachable(&error) => {
                tracing::warn!(%error, "the login server cannot be reached; the session is kept, offline");
                self.went_offline(now);
            }
            Err(error) => {
                self.failures += 1;
                let backoff = self.backoff();
                self.retry_at = Some(now + backoff);
                tracing::warn!(%error, ?backoff, "the session could not be refreshed; trying again later");
            }
        }
    }
}

/// How long to wait before the `failures`th refresh attempt is retried:
/// doubling from 10 s to at most 5 minutes, and spread over the upper half
/// of that by `unit` (in `[0, 1]`), so that players whose refreshes failed
/// together (an outage) do not all retry in the same second.
pub(crate) fn retry_delay(failures: u32, unit: f64) -> Duration {
    let ceiling = Duration::from_secs(5 << failures.clamp(1, 6)).min(Duration::from_secs(300));
    ceiling.mul_f64(0.5 + 0.5 * unit.clamp(0.0, 1.0))
}

/// `new`, when its ID token names the player of `old`'s: a refresh never
/// hands one player's session to another.
fn same_player(old: &Tokens, new: Tokens) -> Result<Tokens, AuthError> {
    let sub = |tokens: &Tokens| {
        unverified_claims(tokens.id_token.expose())?
            .get("sub")?
            .as_str()
            .map(str::to_owned)
    };
    match (sub(old), sub(&new)) {
        (Some(old), Some(new_sub)) if old != new_sub => Err(AuthError::InvalidToken(
            "the refresh returned another player's tokens".into(),
        )),
        _ => Ok(new),
    }
}

/// Whether `error` says the server could not be reached (no answer, or a
/// fault of its own), as opposed to an answer that refused or throttled.
fn unreachable(error: &AuthError) -> bool {
    error.is_retryable() && error.server_kind() != Some(&ServerErrorKind::TooManyRequests)
}

/// Whether a request's end shows the server answering.
fn answered<T>(result: &Result<T, AuthError>) -> bool {
    match result {
        Ok(_) => true,
        Err(error) => matches!(error, AuthError::Server { .. }) && !unreachable(error),
    }
}

/// Whether `tokens` were verified against the keys stored with them, the
/// pool's being out of reach.
fn checked_offline(tokens: &Tokens) -> bool {
    tokens
        .signing_keys
        .as_ref()
        .is_some_and(SigningKeys::is_stored_copy)
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
        AuthOutcome::PasswordChanged => "a password change",
        AuthOutcome::Account(_) => "an account",
        AuthOutcome::AccountDeleted => "a deletion",
        AuthOutcome::AuthenticatorSecret(_) => "an authenticator secret",
        AuthOutcome::AuthenticatorVerified => "an authenticator check",
        AuthOutcome::MfaSet => "an MFA setting",
        AuthOutcome::EmailVerified => "an email verification",
        AuthOutcome::DeviceRemembered => "a remembered device",
        AuthOutcome::Devices(_) => "a list of devices",
        AuthOutcome::DeviceForgotten => "a forgotten device",
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
mod tests;
