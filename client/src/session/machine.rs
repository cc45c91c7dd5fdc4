//! The session machine's public face: its state, sign-in, sign-out,
//! refresh, and the replies, store answers and ticks that drive it.

use super::*;

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
    pub(super) fn next_generation(&mut self) -> Generation {
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

    pub(super) fn send(&mut self, io: &mut impl SessionIo, request: AuthRequest, what: Asked) {
        let id = io.send(request);
        self.sent.push(Awaiting {
            id,
            generation: self.generation,
            what,
        });
    }

    pub(super) fn enter(&mut self, tokens: Tokens, restored: bool, wall: SystemTime) {
        let lifetime = lifetime(&tokens, wall);
        self.phase = Phase::SignedIn {
            tokens: tokens.clone(),
            lifetime,
        };
        self.events
            .push_back(SessionEvent::SignedIn { tokens, restored });
    }

    pub(super) fn not_restored(&mut self) {
        self.phase = Phase::SignedOut;
        self.events.push_back(SessionEvent::NotRestored);
    }

    pub(super) fn store_failed(&mut self, error: &StoreError) {
        if self.saving {
            tracing::warn!(%error, "the session will not be remembered");
            self.saving = false;
        }
    }

    pub(super) fn forget(&mut self, io: &mut impl SessionIo) {
        io.store(self.generation, StoreJob::Clear);
    }

    pub(super) fn save(&mut self, io: &mut impl SessionIo, tokens: &Tokens) {
        if self.saving && self.policy.remember {
            io.store(self.generation, StoreJob::Save(tokens.clone()));
        }
    }
}
