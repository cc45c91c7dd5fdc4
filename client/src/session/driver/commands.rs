//! What a game asks of its [`Session`]: the requests, one at a time, with
//! the checks before each (busy, signed in or not, fresh proof), and what
//! it may read of the signed-in player.

use std::time::{Instant, SystemTime};

use super::{Running, Session};
use crate::api::{ApiCall, ApiCallId, ApiError, ApiQueue, GameApiClient};
use crate::browser::BrowserRequest;
use crate::device::{DeviceChange, NewDevice, RememberedDevice};
use crate::request::{AuthAction, AuthRequest};
use crate::secret::{AccessToken, Password};
use crate::session::CommandError;
use crate::worker::RequestId;

impl Session {
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
    pub(super) fn ready(&self) -> Result<(), CommandError> {
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
    /// [`AuthError::Cancelled`](crate::AuthError::Cancelled).
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
    /// ([`AuthWorker::connect`](crate::AuthWorker::connect)).
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
