//! The client's one session: the worker, the keychain's thread, the session
//! machine and the remembered devices behind one owner, which starts the
//! requests, takes every answer and says what happened as one ordered
//! stream of [`AuthEvent`]s. An engine only drains the stream.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use super::events::{Answer, AuthEvent, SessionEnd, SignedInPlayer};
use super::{
    Identity, SessionEvent, SessionMachine, SessionPolicy, StoreJob, StoreThread, WorkerIo,
};
use crate::browser::BrowserSignIn;
use crate::device::{DeviceChange, NewDevice, RememberedDevices};
use crate::error::{AuthError, ConfigError};
use crate::outcome::{AuthOutcome, Tokens};
use crate::request::{AuthAction, AuthRequest, ChallengeName};
use crate::secret::RefreshToken;
use crate::worker::{AuthWorker, Reply, RequestId};

mod commands;
mod credentials;

use credentials::IdentityLink;

/// The request the player is waiting for.
#[derive(Debug, Clone)]
struct Running {
    id: RequestId,
    action: AuthAction,
    username: String,
    /// A password check, not a new session.
    proof: bool,
}

/// The signed-in player, as the session's rules need it.
#[derive(Debug)]
struct Player {
    username: String,
    sub: String,
    email: Option<String>,
    /// The name typed at the sign-in (a username or an email address).
    signed_in_as: Option<String>,
    proven_at: Option<Instant>,
    from_browser: bool,
    new_device: Option<NewDevice>,
    kept: bool,
}

/// The client's session, for a game loop or a test without an engine.
///
/// It starts every request ([`send`](Self::send) and the methods beside
/// it; one runs at a time), takes every answer of the worker and of the
/// keychain's thread in [`update`](Self::update), applies the rules that
/// start and end a session (a sign-in's tokens start one only when the
/// player waits for that sign-in; signed out everywhere or deleted, it
/// ends), keeps the remembered devices and proves them at sign-in, and
/// reports all of it in order on [`next_event`](Self::next_event). The
/// ID token is read once per sign-in, restore and refresh.
#[derive(Debug)]
pub struct Session {
    worker: AuthWorker,
    store: Option<StoreThread>,
    browser: Option<Result<Arc<BrowserSignIn>, ConfigError>>,
    machine: SessionMachine,
    devices: RememberedDevices,
    /// What changes in `devices` once a request succeeds.
    device_change: Option<(RequestId, DeviceChange)>,
    running: Option<Running>,
    /// Revocations of the extra sessions that password checks made.
    revoking: Vec<RequestId>,
    player: Option<Player>,
    /// Read from the tokens of the sign-in being entered, for the machine's
    /// event that follows.
    entering: Option<(Identity, Option<String>, RequestId)>,
    /// The identity pool, when the game asks for AWS credentials.
    identity_pool: Option<IdentityLink>,
    events: VecDeque<AuthEvent>,
}

impl Session {
    /// How long a sign-in, or a password typed again
    /// ([`confirm_password`](Self::confirm_password)), counts as fresh proof
    /// for the account changes that need one
    /// ([`AuthAction::needs_fresh_proof`]).
    pub const PROOF_LASTS: Duration = Duration::from_secs(10 * 60);

    /// A session over `worker`, keeping sessions and devices in `store`
    /// (`None` keeps nothing, and still refreshes).
    pub fn new(worker: AuthWorker, store: Option<StoreThread>, policy: SessionPolicy) -> Self {
        Self {
            worker,
            store,
            browser: None,
            machine: SessionMachine::new(policy),
            devices: RememberedDevices::default(),
            device_change: None,
            running: None,
            revoking: Vec::new(),
            player: None,
            entering: None,
            identity_pool: None,
            events: VecDeque::new(),
        }
    }

    /// With browser sign-in, or why it cannot run.
    pub fn with_browser(mut self, browser: Result<Arc<BrowserSignIn>, ConfigError>) -> Self {
        self.browser = Some(browser);
        self
    }

    /// The background worker.
    pub fn worker(&self) -> &AuthWorker {
        &self.worker
    }

    /// The session machine (its phase, tokens, generation).
    pub fn machine(&self) -> &SessionMachine {
        &self.machine
    }

    /// Whether sessions are kept in a store.
    pub fn keeps_sessions(&self) -> bool {
        self.store.is_some()
    }

    /// The remembered devices, as the store last answered.
    pub fn devices(&self) -> &RememberedDevices {
        &self.devices
    }

    /// The next event, if any.
    pub fn next_event(&mut self) -> Option<AuthEvent> {
        self.events.pop_front()
    }

    /// At launch: reads the remembered devices, then the stored session.
    pub fn restore(&mut self, now: Instant) {
        // The devices first: the store answers in order, so they are known
        // by the time the restore ends and the first sign-in proves its
        // device.
        if let Some(store) = &self.store {
            store.run(self.machine.generation(), StoreJob::LoadDevices);
        }
        self.drive(|machine, io| machine.restore(io, now));
    }

    /// Takes the store's and the worker's answers and lets the clock act
    /// (a restore that waited too long, a refresh that came due). Never
    /// blocks.
    pub fn update(&mut self, now: Instant, wall: SystemTime) {
        while let Some(reply) = self.store.as_ref().and_then(StoreThread::try_recv) {
            self.drive(|machine, io| machine.stored(io, reply));
        }
        self.drive(|machine, io| machine.tick(io, now, wall));
        // After the session's answers: a device job queued before a session
        // job has answered by the time that one has (one store thread, in
        // order).
        while let Some(reply) = self.store.as_ref().and_then(StoreThread::try_recv_devices) {
            match reply {
                Ok(devices) => {
                    self.devices = devices;
                    self.events.push_back(AuthEvent::DevicesChanged);
                }
                Err(error) => {
                    tracing::warn!(%error, "the remembered devices were not kept");
                    self.events.push_back(AuthEvent::DevicesNotKept(error));
                }
            }
        }
        while let Some(reply) = self.worker.try_recv() {
            self.receive(reply, now);
        }
        self.update_credentials(wall);
    }

    /// Runs `step` on the machine, then turns what it reported into events.
    fn drive<R>(&mut self, step: impl FnOnce(&mut SessionMachine, &mut WorkerIo<'_>) -> R) -> R {
        let mut io = WorkerIo {
            worker: &self.worker,
            store: self.store.as_ref(),
        };
        let result = step(&mut self.machine, &mut io);
        while let Some(event) = self.machine.next_event() {
            self.machine_event(event);
        }
        result
    }

    fn machine_event(&mut self, event: SessionEvent) {
        let event = match event {
            SessionEvent::SignedIn { tokens, restored } => {
                let entered = self.entering.take().filter(|_| !restored);
                let request = entered.as_ref().map(|(_, _, id)| *id);
                let (identity, signed_in_as) = match entered {
                    Some((identity, signed_in_as, _)) => (identity, signed_in_as),
                    None => match Identity::of(&tokens) {
                        Ok(identity) => (identity, None),
                        Err(error) => {
                            // Verified tokens always carry a `sub`; an
                            // unverified backend's may not.
                            tracing::warn!(%error, "the session's ID token is unreadable");
                            self.drive(|machine, io| machine.sign_out(io));
                            self.events.push_back(AuthEvent::NotRestored);
                            return;
                        }
                    },
                };
                let kept = restored || (self.store.is_some() && self.machine.remembers());
                self.player = Some(Player {
                    username: identity.username.clone(),
                    sub: identity.sub.clone(),
                    email: identity.email.clone(),
                    signed_in_as,
                    // A sign-in is proof; a restored session is not.
                    proven_at: (!restored).then(Instant::now),
                    from_browser: tokens.from_browser,
                    new_device: tokens.new_device.clone(),
                    kept,
                });
                self.drop_credentials();
                self.events.push_back(AuthEvent::SignedIn {
                    player: Box::new(SignedInPlayer { identity, tokens }),
                    request,
                    restored,
                    kept,
                });
                self.ask_for_credentials();
                return;
            }
            SessionEvent::Refreshed(tokens) => match Identity::of(&tokens) {
                Ok(identity) => AuthEvent::Refreshed(Box::new(SignedInPlayer { identity, tokens })),
                Err(error) => {
                    tracing::warn!(%error, "the refreshed ID token is unreadable");
                    return;
                }
            },
            SessionEvent::Ended(error) => {
                self.player = None;
                self.drop_credentials();
                AuthEvent::Ended(SessionEnd::Refused(error))
            }
            SessionEvent::NotRestored => AuthEvent::NotRestored,
            SessionEvent::ForgetFailed(error) => AuthEvent::ForgetFailed(error),
            SessionEvent::Offline => AuthEvent::Offline,
            SessionEvent::Online => AuthEvent::Online,
        };
        self.events.push_back(event);
    }

    /// Applies one answer of the worker.
    fn receive(&mut self, reply: Reply, now: Instant) {
        // The session's own requests (refreshes, restore checks), whatever
        // their generation: the machine applies or drops them.
        let Some(mut reply) = self.drive(|machine, io| machine.reply(io, reply, now)) else {
            return;
        };
        if let Some(at) = self.revoking.iter().position(|id| *id == reply.id) {
            self.revoking.swap_remove(at);
            if let Err(error) = &reply.result {
                tracing::warn!(%error, "the extra session of a password check was not revoked");
            }
            return;
        }
        let running = self.running.take_if(|running| running.id == reply.id);
        let username = running
            .as_ref()
            .map(|running| running.username.clone())
            .unwrap_or_default();
        let proof = running.as_ref().is_some_and(|running| running.proof);
        if proof {
            if let Some(refresh_token) = self.proof_of(&mut reply.result) {
                let id = self.worker.send(AuthRequest::SignOut {
                    refresh_token: Some(refresh_token),
                });
                self.revoking.push(id);
            }
        } else if let Ok(AuthOutcome::Tokens(tokens)) = &reply.result {
            // Tokens start a session only as the answer to the sign-in the
            // player is waiting for; tokens the game cannot read fail it.
            let signing_in = running.as_ref().is_some_and(|running| {
                matches!(
                    running.action,
                    AuthAction::SignIn | AuthAction::RespondToChallenge
                )
            });
            match Identity::of(tokens) {
                Ok(identity) if signing_in => {
                    self.enter(identity, tokens.clone(), &username, reply.id);
                }
                Ok(_) => {
                    tracing::debug!("dropped tokens nobody was waiting for");
                    return;
                }
                Err(error) => reply.result = Err(error),
            }
        }
        // Signed out everywhere, or deleted: the session ends here too, when
        // it is still the one the player asked about.
        let ends = match (&reply.result, &running) {
            (Ok(AuthOutcome::SignedOut), Some(running))
                if running.action == AuthAction::SignOutEverywhere =>
            {
                Some(SessionEnd::Everywhere)
            }
            (Ok(AuthOutcome::AccountDeleted), Some(_)) => Some(SessionEnd::AccountDeleted),
            _ => None,
        };
        if let Some(end) = ends
            && self
                .player
                .as_ref()
                .is_some_and(|player| player.username == username)
        {
            tracing::info!(%username, ?end, "the session ended");
            self.leave();
            self.events.push_back(AuthEvent::Ended(end));
        }
        if let Some((_, change)) = self.device_change.take_if(|(id, _)| *id == reply.id)
            && reply.result.is_ok()
        {
            self.change_devices(change);
        }
        match &reply.result {
            Ok(AuthOutcome::DeviceRemembered) => {
                if let Some(player) = &mut self.player {
                    player.new_device = None;
                }
            }
            // The ID token names the address as verified once refreshed.
            Ok(AuthOutcome::EmailVerified) => {
                self.drive(|machine, io| machine.refresh_now(io, now));
            }
            _ => {}
        }
        self.events.push_back(AuthEvent::Replied(Answer {
            id: reply.id,
            action: reply.action,
            result: reply.result,
            username,
            awaited: running.is_some(),
            proof,
        }));
    }

    /// A sign-in's tokens, read as `identity`, start a session.
    fn enter(&mut self, identity: Identity, tokens: Tokens, username: &str, request: RequestId) {
        // The pool took this sign-in for a new device: the one kept for the
        // account is gone from it.
        if let (Some(offered), Some(kept)) =
            (&tokens.new_device, self.devices.for_sign_in(username))
            && offered.key != kept.key
        {
            let stale = DeviceChange::ForgetKey(kept.key.clone());
            self.change_devices(stale);
        }
        // A browser sign-in names no account here.
        let signed_in_as = Some(username.to_owned()).filter(|name| !name.is_empty());
        self.entering = Some((identity, signed_in_as, request));
        self.drive(|machine, io| machine.signed_in(io, tokens, SystemTime::now()));
    }

    fn change_devices(&self, change: DeviceChange) {
        if let Some(store) = &self.store {
            store.run(self.machine.generation(), StoreJob::ChangeDevices(change));
        }
    }

    /// Reads the answer to a password check: on proof, `result` stays `Ok`
    /// and the player is proven now; otherwise it becomes the failure.
    /// Returns the refresh token of the extra session the check made, to
    /// revoke.
    ///
    /// Tokens are proof when they are the signed-in player's (the same
    /// `sub`). A challenge for a sign-in code or a new password is proof
    /// too: both transports ask for those only after the password checked
    /// out (SRP's `PASSWORD_VERIFIER` and a remembered device's challenges
    /// are answered inside the transport).
    fn proof_of(&mut self, result: &mut Result<AuthOutcome, AuthError>) -> Option<RefreshToken> {
        let revoke = match result {
            Ok(AuthOutcome::Tokens(tokens)) => tokens.refresh_token.clone(),
            _ => None,
        };
        let Some(player) = &mut self.player else {
            // Signed out meanwhile: the check proves nothing any more.
            if result.is_ok() {
                *result = Err(AuthError::Cancelled);
            }
            return revoke;
        };
        let proven = match &*result {
            Ok(AuthOutcome::Tokens(tokens)) => {
                Identity::of(tokens).is_ok_and(|identity| identity.sub == player.sub)
            }
            Ok(AuthOutcome::Challenge(challenge)) => {
                !matches!(challenge.name, ChallengeName::Other(_))
            }
            _ => false,
        };
        if proven {
            player.proven_at = Some(Instant::now());
        } else if result.is_ok() {
            *result = Err(AuthError::InvalidToken(
                "the password check did not prove this account".into(),
            ));
        }
        revoke
    }

    /// Ends the session here: forgotten, no longer refreshed, and a browser
    /// session ended in the browser too. Returns its tokens.
    fn leave(&mut self) -> Option<Tokens> {
        let player = self.player.take();
        self.drop_credentials();
        let tokens = self.drive(|machine, io| machine.sign_out(io));
        if player.is_some_and(|player| player.from_browser) {
            self.end_browser_session();
        }
        tokens
    }

    fn end_browser_session(&self) {
        if let Some(Ok(browser)) = &self.browser {
            self.worker.end_browser_session(browser);
        }
    }
}
