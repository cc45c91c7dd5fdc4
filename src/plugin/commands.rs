//! `AuthCommands`: how game code starts requests without the menu.

use bevy::ecs::system::SystemParam;
use std::time::{Duration, Instant};

use bevy::prelude::*;

use cognito_login_client::{
    AccessToken, AuthAction, AuthRequest, BrowserRequest, ChallengeName, ChallengeSession, Code,
    MfaMethod, Password, RequestId, Session, Translations,
};

use super::client::AuthClient;
use super::{AuthCommandError, AuthSession, AuthState, SignOutReason, SignedOut};

mod account;

/// Starts sign-up, sign-in, sign-out and the rest from game systems.
///
/// One request runs at a time: starting another while one runs returns
/// [`AuthCommandError::Busy`]. The answer arrives as messages
/// ([`SignedIn`](super::SignedIn), [`AuthFailed`](super::AuthFailed), …)
/// and as changes to [`AuthState`] and [`AuthSession`].
#[derive(SystemParam)]
pub struct AuthCommands<'w, 's> {
    client: Option<ResMut<'w, AuthClient>>,
    next_state: ResMut<'w, NextState<AuthState>>,
    signed_out: MessageWriter<'w, SignedOut>,
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
            locale: Some(system_locale()),
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
        self.session()?.sign_in_with_browser(request)
    }

    /// Ends the browser sign-in under way, if any: it fails with
    /// [`AuthError::Cancelled`](cognito_login_client::AuthError::Cancelled)
    /// and its port is freed.
    pub fn cancel_browser_sign_in(&self) {
        if let Some(client) = &self.client {
            client.session.cancel_browser_sign_in();
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
        let id = self.session()?.sign_out()?;
        leave_session(
            &mut self.commands,
            &mut self.next_state,
            &mut self.signed_out,
            SignOutReason::Requested,
        );
        Ok(id)
    }

    /// Plays without an account, where the identity pool allows guests
    /// ([`CognitoLoginPlugin::with_identity_pool`](crate::CognitoLoginPlugin::with_identity_pool)):
    /// the guest kept on this computer comes back (or a new one is made and
    /// kept), the state becomes [`AuthState::Guest`] and
    /// [`PlayerCredentials`](super::PlayerCredentials) holds the guest's
    /// credentials; [`GuestPlayFailed`](super::GuestPlayFailed) says why
    /// not. A sign-in or sign-up from there links the guest's identity to
    /// the account ([`GuestLinked`](super::GuestLinked), or
    /// [`GuestNotLinked`](super::GuestNotLinked)). Asking again while the
    /// guest starts or plays does nothing.
    pub fn play_as_guest(&mut self) -> Result<(), AuthCommandError> {
        self.session()?.play_as_guest()
    }

    /// Ends guest play: the state becomes [`AuthState::SignedOut`] and the
    /// credentials go; the guest stays kept for the next
    /// [`play_as_guest`](Self::play_as_guest).
    pub fn end_guest_play(&mut self) -> Result<(), AuthCommandError> {
        self.session()?.end_guest_play()
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

    /// The client's session, when it runs.
    fn session(&mut self) -> Result<&mut Session, AuthCommandError> {
        let client = self.client.as_mut().ok_or(AuthCommandError::Unavailable)?;
        Ok(&mut client.session)
    }

    fn access_token(&self) -> Result<AccessToken, AuthCommandError> {
        let client = self.client.as_ref().ok_or(AuthCommandError::NotSignedIn)?;
        client.session.access_token()
    }

    /// Refreshes the session now (for example to pick up changed claims),
    /// unless a refresh is already on its way; [`TokensRefreshed`] follows.
    ///
    /// [`TokensRefreshed`]: super::TokensRefreshed
    pub fn refresh(&mut self) -> Result<(), AuthCommandError> {
        if self.session()?.refresh_now(Instant::now()) {
            Ok(())
        } else {
            Err(AuthCommandError::NotSignedIn)
        }
    }

    /// Whether the next sign-in is kept in the keychain ("Remember me").
    /// Without session keeping in the plugin, nothing is kept either way.
    pub fn set_remember(&mut self, remember: bool) {
        if let Ok(session) = self.session() {
            session.set_remember(remember);
        }
    }

    /// Starts any request; a [`AuthRequest::SignOut`] goes through
    /// [`sign_out`](Self::sign_out).
    /// A sign-in without a device proves the one this computer remembers
    /// for the account, if any.
    pub fn send(&mut self, request: AuthRequest) -> Result<RequestId, AuthCommandError> {
        if let AuthRequest::SignOut { .. } = request {
            return self.sign_out();
        }
        self.session()?.send(request)
    }

    /// Opens the connection to the backend ahead of the player's next
    /// request, unless one is under way
    /// ([`AuthWorker::connect`](cognito_login_client::AuthWorker::connect)).
    /// Call it when a sign-in screen of the game's own opens; with the
    /// menu, [`CognitoLoginPlugin::keep_warm`](crate::CognitoLoginPlugin::keep_warm)
    /// does it.
    pub fn connect(&self) {
        if let Some(client) = &self.client {
            client.session.connect();
        }
    }

    /// The action of the request running now, if any.
    pub fn running(&self) -> Option<AuthAction> {
        self.client.as_ref()?.session.running()
    }
}

/// The system's language, of those the game has sentences in, for the
/// account's emails: read once, not at every sign-up.
fn system_locale() -> String {
    static LOCALE: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| Translations::shipped().locale().to_owned());
    LOCALE.clone()
}

/// Ends the session here: the resource goes, the state becomes `SignedOut`
/// and [`SignedOut`] says why.
fn leave_session(
    commands: &mut Commands,
    next_state: &mut NextState<AuthState>,
    signed_out: &mut MessageWriter<SignedOut>,
    reason: SignOutReason,
) {
    commands.remove_resource::<AuthSession>();
    commands.remove_resource::<super::PlayerCredentials>();
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
