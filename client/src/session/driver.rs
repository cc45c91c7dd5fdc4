//! The client's one session: the worker, the keychain's thread, the session
//! machine and the remembered devices behind one owner, which starts the
//! requests, takes every answer and says what happened as one ordered
//! stream of [`AuthEvent`]s. An engine only drains the stream.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use super::{Identity, SessionEvent, SessionMachine, SessionPolicy, StoreJob, StoreThread};
use crate::api::{ApiCall, ApiCallId, ApiError, ApiQueue, GameApiClient};
use crate::browser::{BrowserRequest, BrowserSignIn};
use crate::device::{DeviceChange, NewDevice, RememberedDevice, RememberedDevices};
use crate::error::{AuthError, ConfigError};
use crate::outcome::{AuthOutcome, Tokens};
use crate::request::{AuthAction, AuthRequest, ChallengeName};
use crate::secret::{AccessToken, Password};
use crate::store::StoreError;
use crate::worker::{AuthWorker, Reply, RequestId};

use super::WorkerIo;

/// Why a request could not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// Another request is still running.
    #[error("wait: the game is still trying to {}", .0.describe())]
    Busy(AuthAction),
    /// A player is signed in already.
    #[error("a player is already signed in")]
    AlreadySignedIn,
    /// Nobody is signed in.
    #[error("nobody is signed in")]
    NotSignedIn,
    /// The background worker could not start.
    #[error("the login client is not running")]
    Unavailable,
    /// The sign-in offered no device to remember, or it is remembered
    /// already.
    #[error("there is no device to remember")]
    NoDeviceOffered,
    /// The account change needs the player's password typed again
    /// ([`Session::confirm_password`]): the session was restored, or its
    /// sign-in is older than [`Session::PROOF_LASTS`] (see
    /// [`AuthAction::needs_fresh_proof`]).
    #[error("confirm your password first")]
    ProofNeeded,
    /// Browser sign-in is not configured, or its configuration does not
    /// check out (the reason).
    #[error("browser sign-in is not available: {0}")]
    NoBrowserSignIn(String),
}

/// Why a session ended without a sign-out asked for here.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionEnd {
    /// The account was signed out on every device.
    Everywhere,
    /// The account was deleted.
    AccountDeleted,
    /// The server refused to refresh the session (revoked, expired).
    Refused(AuthError),
}

/// Who signed in: read once from the ID token of a sign-in, a restore or a
/// refresh, with the tokens it was read from.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedInPlayer {
    /// Read from `tokens`' ID token.
    pub identity: Identity,
    /// The session's tokens, verified.
    pub tokens: Tokens,
}

/// The answer to a request, as the session applied it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The id the request was started with.
    pub id: RequestId,
    /// What was asked.
    pub action: AuthAction,
    /// How it ended. Tokens that could not start a session here (unreadable,
    /// or not the signed-in player's at a password check) arrive as the
    /// failure.
    pub result: Result<AuthOutcome, AuthError>,
    /// The account it was about: the name a sign-in used, or the signed-in
    /// player's; empty for a browser sign-in.
    pub username: String,
    /// The player was waiting for it: it was the running request
    /// ([`Session::running`]). A sign-out's revocation is answered to
    /// nobody.
    pub awaited: bool,
    /// It answered a password check ([`Session::confirm_password`]): `Ok`
    /// is proof.
    pub proof: bool,
}

/// What happened, in the order it happened.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum AuthEvent {
    /// A player is signed in.
    SignedIn {
        /// Who, and the session's tokens.
        player: Box<SignedInPlayer>,
        /// The session came from the store.
        restored: bool,
        /// The session is kept for the next launch (restored, or signed in
        /// with "Remember me" and a store).
        kept: bool,
    },
    /// The tokens were refreshed in place.
    Refreshed(Box<SignedInPlayer>),
    /// The login server cannot be reached; the session is kept, as verified
    /// before.
    Offline,
    /// The server answered again, and the session was refreshed.
    Online,
    /// The session ended here (it is forgotten and no longer refreshed).
    Ended(SessionEnd),
    /// The restore at launch found no session it could use.
    NotRestored,
    /// The stored session could not be forgotten: the next launch may
    /// restore it.
    ForgetFailed(StoreError),
    /// The remembered devices changed in the store (loaded, or changed by a
    /// request that succeeded).
    DevicesChanged,
    /// The remembered devices could not be read or kept.
    DevicesNotKept(StoreError),
    /// A request was answered.
    Replied(Answer),
}

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
    entering: Option<(Identity, Option<String>)>,
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
                let (identity, signed_in_as) = match entered {
                    Some(entered) => entered,
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
                AuthEvent::SignedIn {
                    player: Box::new(SignedInPlayer { identity, tokens }),
                    restored,
                    kept,
                }
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
                Ok(identity) if signing_in => self.enter(identity, tokens.clone(), &username),
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
    fn enter(&mut self, identity: Identity, tokens: Tokens, username: &str) {
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
        self.entering = Some((identity, signed_in_as));
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
    fn proof_of(
        &mut self,
        result: &mut Result<AuthOutcome, AuthError>,
    ) -> Option<crate::secret::RefreshToken> {
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

    /// Starts any request. A sign-out goes through
    /// [`sign_out`](Self::sign_out); a sign-in without a device proves the
    /// one remembered here for the account, if any.
    pub fn send(&mut self, mut request: AuthRequest) -> Result<RequestId, CommandError> {
        if let AuthRequest::SignOut { .. } = request {
            return self.sign_out();
        }
        if let AuthRequest::SignIn {
            username,
            device: device @ None,
            ..
        } = &mut request
        {
            *device = self.devices.for_sign_in(username).cloned();
        }
        if request.action().needs_fresh_proof() && self.player.is_some() && !self.recently_proven()
        {
            return Err(CommandError::ProofNeeded);
        }
        let starts_session = matches!(
            request,
            AuthRequest::SignIn { .. } | AuthRequest::RespondToChallenge { .. }
        );
        if starts_session {
            self.ready_to_sign_in()?;
        } else {
            self.ready()?;
        }
        let action = request.action();
        let username = username_of(&request)
            .or_else(|| Some(self.player.as_ref()?.username.clone()))
            .unwrap_or_default();
        let id = self.worker.send(request);
        self.running = Some(Running {
            id,
            action,
            username,
            proof: false,
        });
        Ok(id)
    }

    /// Sends `request`; once it succeeds, the remembered devices change.
    fn send_then(
        &mut self,
        request: AuthRequest,
        change: DeviceChange,
    ) -> Result<RequestId, CommandError> {
        let id = self.send(request)?;
        self.device_change = Some((id, change));
        Ok(id)
    }

    /// Fails when a request is running.
    fn ready(&self) -> Result<(), CommandError> {
        match &self.running {
            Some(running) => Err(CommandError::Busy(running.action)),
            None => Ok(()),
        }
    }

    /// Fails when a request is running or a player is signed in.
    fn ready_to_sign_in(&self) -> Result<(), CommandError> {
        if self.running.is_none() && self.player.is_some() {
            return Err(CommandError::AlreadySignedIn);
        }
        self.ready()
    }

    /// Signs in through the pool's managed login in the player's browser;
    /// answered as a sign-in.
    pub fn sign_in_with_browser(
        &mut self,
        request: BrowserRequest,
    ) -> Result<RequestId, CommandError> {
        self.ready_to_sign_in()?;
        let browser = match &self.browser {
            Some(Ok(browser)) => browser,
            Some(Err(error)) => return Err(CommandError::NoBrowserSignIn(error.0.clone())),
            None => return Err(CommandError::NoBrowserSignIn("it is not configured".into())),
        };
        let id = self.worker.sign_in_with_browser(browser, request);
        // The player may pick any account in the browser, whatever the hint.
        self.running = Some(Running {
            id,
            action: AuthAction::SignIn,
            username: String::new(),
            proof: false,
        });
        Ok(id)
    }

    /// Ends the browser sign-in under way, if any: it fails with
    /// [`AuthError::Cancelled`].
    pub fn cancel_browser_sign_in(&self) {
        if let Some(Ok(browser)) = &self.browser {
            browser.cancel();
        }
    }

    /// Signs out here at once: a refresh in flight is abandoned, the stored
    /// session forgotten, and the refresh token revoked on the server in
    /// the background (answered as a [`AuthAction::SignOut`] nobody waits
    /// for).
    pub fn sign_out(&mut self) -> Result<RequestId, CommandError> {
        let player = self.player.as_ref().ok_or(CommandError::NotSignedIn)?;
        tracing::info!(username = %player.username, "signed out");
        let refresh_token = self.leave().and_then(|tokens| tokens.refresh_token);
        Ok(self.worker.send(AuthRequest::SignOut { refresh_token }))
    }

    /// Checks the signed-in player's password with a fresh sign-in to the
    /// same account, as proof before the account changes that need it. The
    /// extra session it makes is revoked.
    pub fn confirm_password(
        &mut self,
        password: impl Into<Password>,
    ) -> Result<RequestId, CommandError> {
        let username = self.username()?;
        self.ready()?;
        let device = self.devices.for_sign_in(&username).cloned();
        let id = self.worker.send(AuthRequest::SignIn {
            username: username.clone(),
            password: password.into(),
            device,
        });
        self.running = Some(Running {
            id,
            action: AuthAction::SignIn,
            username,
            proof: true,
        });
        Ok(id)
    }

    /// Remembers this computer for the signed-in account under `name`: the
    /// device the sign-in offered is confirmed, then kept in the store.
    pub fn remember_device(&mut self, name: impl Into<String>) -> Result<RequestId, CommandError> {
        let access_token = self.access_token()?;
        let player = self.player.as_ref().ok_or(CommandError::NotSignedIn)?;
        let offered = player
            .new_device
            .clone()
            .ok_or(CommandError::NoDeviceOffered)?;
        let device = RememberedDevice::new(offered).map_err(|_| CommandError::Unavailable)?;
        let names = [player.email.clone(), player.signed_in_as.clone()]
            .into_iter()
            .flatten()
            .collect();
        let account = player.username.clone();
        self.send_then(
            AuthRequest::RememberDevice {
                access_token,
                device: device.clone(),
                name: name.into(),
            },
            DeviceChange::Remember {
                account,
                names,
                device,
            },
        )
    }

    /// Forgets a remembered device on the server; when it is this
    /// computer's, the store forgets it too.
    pub fn forget_device(
        &mut self,
        device_key: impl Into<String>,
    ) -> Result<RequestId, CommandError> {
        let access_token = self.access_token()?;
        let device_key = device_key.into();
        self.send_then(
            AuthRequest::ForgetDevice {
                access_token,
                device_key: device_key.clone(),
            },
            DeviceChange::ForgetKey(device_key),
        )
    }

    /// Deletes the signed-in account; once the server answers, the session
    /// ends and the account's remembered device is forgotten.
    pub fn delete_account(&mut self) -> Result<RequestId, CommandError> {
        let access_token = self.access_token()?;
        let account = self.username()?;
        self.send_then(
            AuthRequest::DeleteAccount { access_token },
            DeviceChange::ForgetAccount(account),
        )
    }

    /// The signed-in player's access token.
    pub fn access_token(&self) -> Result<AccessToken, CommandError> {
        self.player.as_ref().ok_or(CommandError::NotSignedIn)?;
        let tokens = self.machine.tokens().ok_or(CommandError::NotSignedIn)?;
        Ok(tokens.access_token.clone())
    }

    /// The signed-in player's username.
    pub fn username(&self) -> Result<String, CommandError> {
        let player = self.player.as_ref().ok_or(CommandError::NotSignedIn)?;
        Ok(player.username.clone())
    }

    /// Whether the signed-in player proved to be the player here within
    /// [`PROOF_LASTS`](Self::PROOF_LASTS), on the monotonic clock.
    pub fn recently_proven(&self) -> bool {
        self.player
            .as_ref()
            .and_then(|player| player.proven_at)
            .is_some_and(|at| at.elapsed() < Self::PROOF_LASTS)
    }

    /// The device the signed-in player's sign-in offered to remember, until
    /// it is remembered.
    pub fn new_device(&self) -> Option<&NewDevice> {
        self.player.as_ref()?.new_device.as_ref()
    }

    /// The device this computer remembers for the signed-in account: its
    /// key.
    pub fn this_device(&self) -> Option<&str> {
        let player = self.player.as_ref()?;
        Some(&self.devices.of_account(&player.username)?.key)
    }

    /// Refreshes now, unless a refresh is on its way; whether one is.
    pub fn refresh_now(&mut self, now: Instant) -> bool {
        self.drive(|machine, io| machine.refresh_now(io, now))
    }

    /// Whether the next sign-in is kept in the store ("Remember me").
    pub fn set_remember(&mut self, remember: bool) {
        self.machine.set_remember(remember);
    }

    /// The action of the request the player waits for, if any.
    pub fn running(&self) -> Option<AuthAction> {
        self.running.as_ref().map(|running| running.action)
    }

    /// Opens the connection ahead of the player's next request
    /// ([`AuthWorker::connect`]).
    pub fn connect(&self) {
        self.worker.connect();
    }

    /// Sends a game API call as the signed-in player
    /// ([`ApiQueue::call`]).
    pub fn call_api(
        &mut self,
        queue: &mut ApiQueue,
        client: &GameApiClient,
        call: ApiCall,
        now: Instant,
        wall: SystemTime,
    ) -> Result<ApiCallId, ApiError> {
        self.drive(|machine, io| queue.call(client, machine, io, call, now, wall))
    }

    /// Moves the game API's calls along ([`ApiQueue::update`]).
    pub fn update_api(
        &mut self,
        queue: &mut ApiQueue,
        client: &GameApiClient,
        now: Instant,
        wall: SystemTime,
    ) {
        self.drive(|machine, io| queue.update(client, machine, io, now, wall));
    }

    /// At exit: a browser session that is not kept for the next launch ends
    /// in the browser too, so the next person at the computer is asked
    /// again. Dropping the session then stops the worker (a sign-out in
    /// flight gets its grace) and the store's thread.
    pub fn end_unkept_browser_session(&self) {
        if self
            .player
            .as_ref()
            .is_some_and(|player| player.from_browser && !player.kept)
        {
            self.end_browser_session();
        }
    }
}

/// The account a request names; `None` for those of the signed-in player.
fn username_of(request: &AuthRequest) -> Option<String> {
    match request {
        AuthRequest::SignUp { username, .. }
        | AuthRequest::ConfirmSignUp { username, .. }
        | AuthRequest::ResendCode { username }
        | AuthRequest::SignIn { username, .. }
        | AuthRequest::RespondToChallenge { username, .. }
        | AuthRequest::ForgotPassword { username }
        | AuthRequest::ResetPassword { username, .. } => Some(username.clone()),
        AuthRequest::Refresh { username, .. } => username.clone(),
        _ => None,
    }
}
