//! The session lifecycle as one state machine: restore, verify, keep,
//! refresh ahead with backoff, sign-out, forget. Replies and ticks go in;
//! requests, store jobs and events come out. It knows no engine: the Bevy
//! plugin drives it, and so can any game loop or a plain test.
//!
//! Every request and store job it starts belongs to a [`Generation`]; a
//! sign-in, a sign-out or a new restore starts a new one, and an answer that
//! belongs to an older generation is dropped, never applied. That is what
//! makes a sign-out final.

mod driver;
mod events;
mod identity;
mod machine;
mod refresh;
mod restore;
mod store_thread;

use std::collections::VecDeque;
use std::time::{Duration, Instant, SystemTime};

pub use driver::Session;
pub use events::{Answer, AuthEvent, CommandError, SessionEnd, SignedInPlayer};
pub use identity::Identity;
#[cfg(test)]
use refresh::retry_delay;
use refresh::{
    answered, checked_offline, lifetime, outcome_name, refresh_request, same_player, unreachable,
};
pub use store_thread::{
    DevicesReply, GuestReply, MakeStore, StoreJob, StoreJobKind, StoreReply, StoreThread,
};

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

#[cfg(test)]
mod tests;
