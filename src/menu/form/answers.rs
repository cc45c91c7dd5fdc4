//! How each answer moves the form along: the next screen, a notice or an
//! error, and the request that follows (a sign-in after a confirmation, a
//! new code for an unconfirmed account).

use super::*;

impl LoginForm {
    /// Asks for the password again before `request`, an account change
    /// that needs fresh proof
    /// ([`AuthCommandError::ProofNeeded`](crate::AuthCommandError::ProofNeeded)):
    /// opens [`Screen::ConfirmPassword`], which returns
    /// [`AccountRequest::ConfirmPassword`]; once
    /// [`finish_proof`](Self::finish_proof) reports the password right,
    /// `request` goes out.
    pub fn ask_for_proof(&mut self, request: AccountRequest) {
        self.show(Screen::ConfirmPassword);
        self.after_proof = Some(request);
        self.busy = false;
    }

    /// Reports the answer to [`AccountRequest::ConfirmPassword`]: when the
    /// password was right, the change that waited for it, on its own
    /// screen again ([`MenuAction::Account`]; the form is busy until its
    /// answer); otherwise the error, and the screen stays.
    pub fn finish_proof(&mut self, result: Result<(), &AuthError>) -> Vec<MenuAction> {
        self.busy = false;
        if let Err(error) = result {
            self.error = Some(error.player_message_in(&self.settings.translations));
            return Vec::new();
        }
        let Some(request) = self.after_proof.take() else {
            return Vec::new();
        };
        let email = std::mem::take(&mut self.email);
        self.show(match request {
            AccountRequest::ChangeEmail { .. } => Screen::ChangeEmail,
            AccountRequest::DeleteAccount => Screen::DeleteAccount,
            AccountRequest::RememberDevice => Screen::RememberDevice,
            _ => Screen::Account,
        });
        self.email = email;
        self.busy = true;
        vec![MenuAction::Account(request)]
    }

    /// Reports the end of a request; returns what the form asks for next
    /// on its own, in order (the form is then busy with a request or an
    /// account request until its answer).
    ///
    /// After a confirmation the form signs in with the sign-up password it
    /// kept ([`MenuAction::Send`]); after a sign-in refused as unconfirmed
    /// it asks for a fresh code; a sign-in that took a code offers to
    /// remember the computer ([`MenuAction::OpenAccount`]); an authenticator
    /// whose first code was right is turned on ([`MenuAction::Account`]).
    pub fn finish(
        &mut self,
        action: AuthAction,
        result: &Result<AuthOutcome, AuthError>,
    ) -> Vec<MenuAction> {
        self.busy = false;
        let follow_up = match result {
            Ok(outcome) => self.succeeded(action, outcome),
            Err(error) => self.failed(action, error),
        };
        self.busy = follow_up.is_some() || self.account_follow_up.is_some();
        let offer = std::mem::take(&mut self.device_offer)
            .then_some(MenuAction::OpenAccount(Screen::RememberDevice));
        follow_up
            .map(MenuAction::Send)
            .into_iter()
            .chain(offer)
            .chain(self.account_follow_up.take().map(MenuAction::Account))
            .collect()
    }

    pub(super) fn succeeded(
        &mut self,
        action: AuthAction,
        outcome: &AuthOutcome,
    ) -> Option<AuthRequest> {
        match outcome {
            AuthOutcome::SignedUp {
                confirmed: true, ..
            } => {
                let password = self.sign_up_password.take();
                self.show(Screen::SignIn);
                password.map(|password| self.sign_in_request(password))
            }
            AuthOutcome::SignedUp { delivery, .. } => {
                let kept = self.sign_up_password.take();
                self.show(Screen::ConfirmCode);
                self.sign_up_password = kept;
                self.code_sent(delivery.as_ref().map(|d| d.destination.as_str()));
                None
            }
            AuthOutcome::CodeSent(delivery)
                if matches!(
                    action,
                    AuthAction::ChangeEmail | AuthAction::ResendEmailCode
                ) =>
            {
                self.email_code_sent = true;
                self.code_sent(Some(&delivery.destination));
                let stays = self.text("menu.notice.old-email-stays");
                if let Some(notice) = &mut self.notice {
                    notice.push(' ');
                    notice.push_str(&stays);
                }
                None
            }
            AuthOutcome::EmailVerified => {
                self.show(Screen::Account);
                self.notice = Some(self.text("menu.notice.email-verified"));
                None
            }
            AuthOutcome::CodeSent(delivery) => {
                if action == AuthAction::ForgotPassword {
                    self.show(Screen::ResetPassword);
                }
                self.code_sent(Some(&delivery.destination));
                None
            }
            AuthOutcome::Confirmed => {
                let password = self.sign_up_password.take();
                self.show(Screen::SignIn);
                match password {
                    Some(password) => Some(self.sign_in_request(password)),
                    None => {
                        self.notice = Some(self.text("menu.notice.confirmed"));
                        self.focus_first = false;
                        None
                    }
                }
            }
            AuthOutcome::PasswordReset => {
                self.show(Screen::SignIn);
                self.notice = Some(self.text("menu.notice.password-reset"));
                None
            }
            AuthOutcome::Tokens(_) => {
                self.device_offer = self.challenge.as_ref().is_some_and(|challenge| {
                    matches!(
                        challenge.name,
                        ChallengeName::SoftwareTokenMfa
                            | ChallengeName::SmsMfa
                            | ChallengeName::EmailOtp
                            | ChallengeName::MfaSetup
                    )
                });
                // The next person at the keyboard starts from an empty form.
                self.show(Screen::SignIn);
                self.username.clear();
                self.email.clear();
                None
            }
            AuthOutcome::PasswordChanged if action == AuthAction::ChangePassword => {
                self.show(Screen::Account);
                self.notice = Some(self.text("menu.notice.password-changed"));
                None
            }
            AuthOutcome::SignedOut if action == AuthAction::SignOutEverywhere => {
                self.show(Screen::SignIn);
                self.notice = Some(self.text("menu.notice.signed-out-everywhere"));
                None
            }
            AuthOutcome::AuthenticatorSecret(secret) => {
                self.show(Screen::Authenticator);
                self.authenticator = Some(secret.clone());
                None
            }
            AuthOutcome::AuthenticatorVerified if self.screen == Screen::Authenticator => {
                self.account_follow_up = Some(AccountRequest::SetAuthenticator { enabled: true });
                None
            }
            AuthOutcome::MfaSet if self.screen.is_account() => {
                self.show(Screen::Account);
                self.notice = Some(self.text("menu.notice.mfa-saved"));
                None
            }
            AuthOutcome::AccountDeleted => {
                self.show(Screen::SignIn);
                self.username.clear();
                self.notice = Some(self.text("menu.notice.account-deleted"));
                None
            }
            AuthOutcome::Challenge(challenge) => {
                self.show_challenge(challenge.clone());
                None
            }
            AuthOutcome::DeviceRemembered if self.screen == Screen::RememberDevice => {
                self.account_follow_up = Some(AccountRequest::Close);
                None
            }
            AuthOutcome::Devices(devices) if self.screen == Screen::Devices => {
                self.devices = Some(devices.clone());
                None
            }
            AuthOutcome::DeviceForgotten if self.screen == Screen::Devices => {
                self.notice = Some(self.text("menu.notice.device-forgotten"));
                self.account_follow_up = Some(AccountRequest::ListDevices);
                None
            }
            // The rest (an account read, answers for a screen that is no
            // longer open) change nothing here.
            _ => None,
        }
    }

    pub(super) fn failed(&mut self, action: AuthAction, error: &AuthError) -> Option<AuthRequest> {
        if self.screen == Screen::Browser {
            // Back to the sign-in screen; a cancel the player pressed needs
            // no message.
            self.show(Screen::SignIn);
            if *error == AuthError::Cancelled {
                return None;
            }
        }
        let unconfirmed = error.server_kind() == Some(&ServerErrorKind::UserNotConfirmed);
        if action == AuthAction::SignIn && unconfirmed {
            let password = Password::new(std::mem::take(&mut self.password));
            self.show(Screen::ConfirmCode);
            self.sign_up_password = Some(password);
            self.notice = Some(self.text("menu.notice.confirm-first"));
            return Some(AuthRequest::ResendCode {
                username: self.username.trim().to_owned(),
            });
        }
        self.error = Some(error.player_message_in(&self.settings.translations));
        None
    }

    pub(super) fn code_sent(&mut self, destination: Option<&str>) {
        self.notice = Some(match destination.filter(|d| !d.is_empty()) {
            Some(destination) => self
                .settings
                .translations
                .format("menu.notice.code-sent-to", &[("destination", destination)]),
            None => self.text("menu.notice.code-sent"),
        });
        self.restart_cooldown = true;
    }

    pub(super) fn sign_in_request(&self, password: Password) -> AuthRequest {
        AuthRequest::SignIn {
            username: self.username.trim().to_owned(),
            password,
            device: None,
        }
    }
}
