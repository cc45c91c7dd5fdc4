//! `AuthCommands`: how game code starts requests without the menu.

use bevy::ecs::system::SystemParam;
use std::time::{Duration, Instant};

use bevy::prelude::*;

use cognito_login_client::{
    AccessToken, AuthAction, AuthRequest, BrowserRequest, ChallengeName, ChallengeSession, Code,
    DeviceChange, MfaMethod, Password, RememberedDevice, RequestId,
};

use super::client::AuthClient;
use super::lifecycle::Lifecycle;
use super::{AuthSession, AuthState, SignOutReason, SignedOut};

mod account;

/// The one request the player is waiting for, if any.
#[derive(Resource, Debug, Default)]
pub(crate) struct PendingRequest {
    pub(crate) running: Option<Running>,
    /// Revocations of the extra sessions that password confirmations
    /// made, answered to nobody.
    pub(crate) revoking: Vec<RequestId>,
}

#[derive(Debug, Clone)]
pub(crate) struct Running {
    pub(crate) id: RequestId,
    pub(crate) action: AuthAction,
    pub(crate) username: String,
    /// A sign-in that confirms the signed-in player's password
    /// ([`AuthCommands::confirm_password`]), not a new session.
    pub(crate) proof: bool,
}

/// Why a command could not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthCommandError {
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
    /// The sign-in offered no device to remember
    /// ([`AuthSession::new_device`] is `None`), or it is remembered already.
    #[error("there is no device to remember")]
    NoDeviceOffered,
    /// The account change needs the player's password typed again
    /// ([`confirm_password`](AuthCommands::confirm_password)): the session
    /// was restored, or its sign-in is older than
    /// [`AuthSession::PROOF_LASTS`] (see
    /// [`AuthAction::needs_fresh_proof`]).
    #[error("confirm your password first")]
    ProofNeeded,
    /// Browser sign-in is not configured
    /// ([`CognitoLoginPlugin::with_browser_sign_in`](crate::CognitoLoginPlugin::with_browser_sign_in)),
    /// or its configuration does not check out (the reason).
    #[error("browser sign-in is not available: {0}")]
    NoBrowserSignIn(String),
}

/// Starts sign-up, sign-in, sign-out and the rest from game systems.
///
/// One request runs at a time: starting another while one runs returns
/// [`AuthCommandError::Busy`]. The answer arrives as messages
/// ([`SignedIn`](super::SignedIn), [`AuthFailed`](super::AuthFailed), …)
/// and as changes to [`AuthState`] and [`AuthSession`].
#[derive(SystemParam)]
pub struct AuthCommands<'w, 's> {
    client: Option<Res<'w, AuthClient>>,
    pending: ResMut<'w, PendingRequest>,
    session: Option<Res<'w, AuthSession>>,
    next_state: ResMut<'w, NextState<AuthState>>,
    signed_out: MessageWriter<'w, SignedOut>,
    lifecycle: Option<ResMut<'w, Lifecycle>>,
    commands: Commands<'w, 's>,
}

impl AuthCommands<'_, '_> {
    /// Creates an account; a [`CodeSent`](super::CodeSent) follows.
    pub fn sign_up(
        &mut self,
        username: impl Into<String>,
        email: impl Into<String>,
        password: impl Into<Password>,
    ) -> Result<RequestId, AuthCommandError> {
        self.send(AuthRequest::SignUp {
            username: username.into(),
            password: password.into(),
            email: email.into(),
        })
    }

    /// Confirms an account with its code.
    pub fn confirm_sign_up(
        &mut self,
        username: impl Into<String>,
        code: impl Into<Code>,
    ) -> Result<RequestId, AuthCommandError> {
        self.send(AuthRequest::ConfirmSignUp {
            username: username.into(),
            code: code.into(),
        })
    }

    /// Sends the confirmation code again.
    pub fn resend_code(
        &mut self,
        username: impl Into<String>,
    ) -> Result<RequestId, AuthCommandError> {
        self.send(AuthRequest::ResendCode {
            username: username.into(),
        })
    }

    /// Signs in.
    pub fn sign_in(
        &mut self,
        username: impl Into<String>,
        password: impl Into<Password>,
    ) -> Result<RequestId, AuthCommandError> {
        self.send(AuthRequest::SignIn {
            username: username.into(),
            password: password.into(),
            device: None,
        })
    }

    /// Answers a [`ChallengeRequired`](super::ChallengeRequired).
    pub fn respond_to_challenge(
        &mut self,
        username: impl Into<String>,
        challenge: ChallengeName,
        session: ChallengeSession,
        answer: impl Into<Password>,
    ) -> Result<RequestId, AuthCommandError> {
        self.send(AuthRequest::RespondToChallenge {
            username: username.into(),
            challenge,
            session,
            answer: answer.into(),
        })
    }

    /// Starts a password reset; a [`CodeSent`](super::CodeSent) follows.
    pub fn forgot_password(
        &mut self,
        username: impl Into<String>,
    ) -> Result<RequestId, AuthCommandError> {
        self.send(AuthRequest::ForgotPassword {
            username: username.into(),
        })
    }

    /// Finishes a password reset.
    pub fn reset_password(
        &mut self,
        username: impl Into<String>,
        code: impl Into<Code>,
        new_password: impl Into<Password>,
    ) -> Result<RequestId, AuthCommandError> {
        self.send(AuthRequest::ResetPassword {
            username: username.into(),
            code: code.into(),
            password: new_password.into(),
        })
    }

    /// Signs in through the pool's managed login in the player's system
    /// browser (see [`BrowserSignIn`](crate::client::BrowserSignIn)): `request` can go straight to one
    /// provider. It is answered as a sign-in: [`SignedIn`](super::SignedIn)
    /// and a session like any other (kept, restored, refreshed), or
    /// [`AuthFailed`](super::AuthFailed) with the
    /// [`AuthAction::SignIn`] action, also when the player does not finish
    /// in time. [`running`](Self::running) says `SignIn` meanwhile.
    pub fn sign_in_with_browser(
        &mut self,
        request: BrowserRequest,
    ) -> Result<RequestId, AuthCommandError> {
        let client = self.ready_to_sign_in()?;
        let browser = match &client.browser {
            Some(Ok(browser)) => browser,
            Some(Err(error)) => return Err(AuthCommandError::NoBrowserSignIn(error.0.clone())),
            None => {
                return Err(AuthCommandError::NoBrowserSignIn(
                    "it is not configured".into(),
                ));
            }
        };
        let id = client.worker.sign_in_with_browser(browser, request);
        // The player may pick any account in the browser, whatever the hint.
        self.pending.running = Some(Running {
            id,
            action: AuthAction::SignIn,
            username: String::new(),
            proof: false,
        });
        Ok(id)
    }

    /// Ends the browser sign-in under way, if any: it fails with
    /// [`AuthError::Cancelled`](cognito_login_client::AuthError::Cancelled)
    /// and its port is freed.
    pub fn cancel_browser_sign_in(&self) {
        if let Some(Some(Ok(browser))) = self.client.as_ref().map(|client| &client.browser) {
            browser.cancel();
        }
    }

    /// Signs out of this device at once: the session resource goes, the
    /// state becomes `SignedOut` and [`SignedOut`] is written. A refresh
    /// still in flight is abandoned (its answer is dropped) and the stored
    /// session forgotten, whatever failed before. The session's refresh
    /// token is then revoked on the server (RevokeToken: the player's
    /// sessions on other devices go on) in the background, even when the
    /// game quits right away (for up to
    /// [`SIGN_OUT_GRACE`](cognito_login_client::SIGN_OUT_GRACE)); its failure
    /// is reported as [`AuthFailed`](super::AuthFailed) and changes nothing
    /// here.
    pub fn sign_out(&mut self) -> Result<RequestId, AuthCommandError> {
        let session = self.session.as_ref().ok_or(AuthCommandError::NotSignedIn)?;
        let (Some(client), Some(lifecycle)) = (&self.client, &mut self.lifecycle) else {
            return Err(AuthCommandError::Unavailable);
        };
        info!(username = %session.username, "signed out");
        let (machine, mut io) = lifecycle.split(client);
        let refresh_token = match machine.sign_out(&mut io) {
            Some(tokens) => tokens.refresh_token,
            None => session.refresh_token.clone(),
        };
        client.end_browser_session(session);
        leave_session(
            &mut self.commands,
            &mut self.next_state,
            &mut self.signed_out,
            SignOutReason::Requested,
        );
        Ok(client.worker.send(AuthRequest::SignOut { refresh_token }))
    }

    /// Signs the account out on every device (GlobalSignOut). Unlike
    /// [`sign_out`](Self::sign_out) it waits for the server: once it
    /// answers, the session ends here as well, with
    /// [`SignOutReason::Everywhere`]; a failure leaves the player signed in
    /// and is reported as [`AuthFailed`](super::AuthFailed).
    pub fn sign_out_everywhere(&mut self) -> Result<RequestId, AuthCommandError> {
        let access_token = self.access_token()?;
        self.send(AuthRequest::SignOutEverywhere { access_token })
    }

    /// Changes the remembered devices once request `id` succeeds.
    fn on_success(&mut self, id: RequestId, change: DeviceChange) {
        if let Some(lifecycle) = &mut self.lifecycle {
            lifecycle.device_change = Some((id, change));
        }
    }

    fn username(&self) -> Result<String, AuthCommandError> {
        let session = self.session.as_ref().ok_or(AuthCommandError::NotSignedIn)?;
        Ok(session.username.clone())
    }

    fn access_token(&self) -> Result<AccessToken, AuthCommandError> {
        let session = self.session.as_ref().ok_or(AuthCommandError::NotSignedIn)?;
        Ok(session.access_token.clone())
    }

    /// Refreshes the session now (for example to pick up changed claims),
    /// unless a refresh is already on its way; [`TokensRefreshed`] follows.
    ///
    /// [`TokensRefreshed`]: super::TokensRefreshed
    pub fn refresh(&mut self) -> Result<(), AuthCommandError> {
        let (Some(client), Some(lifecycle)) = (&self.client, &mut self.lifecycle) else {
            return Err(AuthCommandError::Unavailable);
        };
        let (machine, mut io) = lifecycle.split(client);
        if machine.refresh_now(&mut io, std::time::Instant::now()) {
            Ok(())
        } else {
            Err(AuthCommandError::NotSignedIn)
        }
    }

    /// Whether the next sign-in is kept in the keychain ("Remember me").
    /// Without session keeping in the plugin, nothing is kept either way.
    pub fn set_remember(&mut self, remember: bool) {
        if let Some(lifecycle) = &mut self.lifecycle {
            lifecycle.machine.set_remember(remember);
        }
    }

    /// Starts any request; a [`AuthRequest::SignOut`] goes through
    /// [`sign_out`](Self::sign_out).
    /// A sign-in without a device proves the one this computer remembers
    /// for the account, if any.
    pub fn send(&mut self, mut request: AuthRequest) -> Result<RequestId, AuthCommandError> {
        if let AuthRequest::SignOut { .. } = request {
            return self.sign_out();
        }
        if let (
            AuthRequest::SignIn {
                username,
                device: device @ None,
                ..
            },
            Some(lifecycle),
        ) = (&mut request, &self.lifecycle)
        {
            *device = lifecycle.devices.for_sign_in(username).cloned();
        }
        if request.action().needs_fresh_proof()
            && self
                .session
                .as_ref()
                .is_some_and(|session| !session.recently_proven())
        {
            return Err(AuthCommandError::ProofNeeded);
        }
        let starts_session = matches!(
            request,
            AuthRequest::SignIn { .. } | AuthRequest::RespondToChallenge { .. }
        );
        let client = if starts_session {
            self.ready_to_sign_in()?
        } else {
            self.ready()?
        };
        let action = request.action();
        let username = username_of(&request)
            .or_else(|| Some(self.session.as_ref()?.username.clone()))
            .unwrap_or_default();
        let id = client.worker.send(request);
        self.pending.running = Some(Running {
            id,
            action,
            username,
            proof: false,
        });
        Ok(id)
    }

    /// The client, when no request is running.
    fn ready(&self) -> Result<&AuthClient, AuthCommandError> {
        if let Some(running) = &self.pending.running {
            return Err(AuthCommandError::Busy(running.action));
        }
        self.client.as_deref().ok_or(AuthCommandError::Unavailable)
    }

    /// The client, when no request is running and nobody is signed in.
    fn ready_to_sign_in(&self) -> Result<&AuthClient, AuthCommandError> {
        if self.pending.running.is_none() && self.session.is_some() {
            return Err(AuthCommandError::AlreadySignedIn);
        }
        self.ready()
    }

    /// Opens the connection to the backend ahead of the player's next
    /// request, unless one is under way
    /// ([`AuthWorker::connect`](cognito_login_client::AuthWorker::connect)).
    /// Call it when a sign-in screen of the game's own opens; with the
    /// menu, [`CognitoLoginPlugin::keep_warm`](crate::CognitoLoginPlugin::keep_warm)
    /// does it.
    pub fn connect(&self) {
        if let Some(client) = &self.client {
            client.worker.connect();
        }
    }

    /// The action of the request running now, if any.
    pub fn running(&self) -> Option<AuthAction> {
        self.pending.running.as_ref().map(|running| running.action)
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

/// Ends the session here: the resource goes, the state becomes `SignedOut`
/// and [`SignedOut`] says why.
pub(crate) fn leave_session(
    commands: &mut Commands,
    next_state: &mut NextState<AuthState>,
    signed_out: &mut MessageWriter<SignedOut>,
    reason: SignOutReason,
) {
    commands.remove_resource::<AuthSession>();
    next_state.set(AuthState::SignedOut);
    signed_out.write(SignedOut { reason });
}

/// [`CognitoLoginPlugin::keep_warm`](crate::CognitoLoginPlugin::keep_warm):
/// connects at once, then every `every`.
pub(crate) fn keep_warm(every: Duration) -> impl FnMut(AuthCommands, Local<Option<Instant>>) {
    move |auth, mut last| {
        if last.is_none_or(|at| at.elapsed() >= every) {
            auth.connect();
            *last = Some(Instant::now());
        }
    }
}
