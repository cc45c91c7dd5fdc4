//! The menu's state: which screen is open, what the player typed, and how
//! each answer moves the form along.

use std::time::Duration;

use cognito_login_client::{
    AuthAction, AuthError, AuthOutcome, AuthRequest, AuthenticatorSecret, BrowserRequest,
    Challenge, ChallengeName, Code, Device, IdentityProvider, Password, ServerErrorKind,
    Translations,
};

use super::{MenuTheme, PasswordPolicy};

/// A screen of the login menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Screen {
    /// Username and password.
    #[default]
    SignIn,
    /// A new account.
    SignUp,
    /// The code that confirms a new account.
    ConfirmCode,
    /// Ask for a password reset code.
    ForgotPassword,
    /// The reset code and a new password.
    ResetPassword,
    /// The account must choose a new password before signing in
    /// (`NEW_PASSWORD_REQUIRED`).
    NewPassword,
    /// A one-time code finishes the sign-in: from an authenticator app, a
    /// text message or an email (`SOFTWARE_TOKEN_MFA`, `SMS_MFA`, `EMAIL_OTP`).
    OneTimeCode,
    /// Two or more kinds of sign-in code are on for the account
    /// (`SELECT_MFA_TYPE`): the player picks one, then enters its code.
    ChooseMfa,
    /// The pool requires sign-in codes and the account has none yet
    /// (`MFA_SETUP`): the player adds an authenticator app, and its first
    /// code finishes the sign-in.
    AuthenticatorSetup,
    /// Signed in: the account, and what the player can do with it.
    Account,
    /// Signed in: the current password and a new one.
    ChangePassword,
    /// Signed in: deleting the account, confirmed by typing its username.
    DeleteAccount,
    /// Signed in: adding an authenticator app (its QR code and secret),
    /// turned on with its first code.
    Authenticator,
    /// Signed in: a new email address, then the code sent to it.
    ChangeEmail,
    /// Signed in, right after a sign-in that asked for a code: remember
    /// this computer, so sign-ins from it skip the code?
    RememberDevice,
    /// Signed in: the account's remembered devices, each to forget.
    Devices,
    /// Signed in: the password typed again before an account change that
    /// needs fresh proof ([`LoginForm::ask_for_proof`]).
    ConfirmPassword,
    /// A sign-in in the player's browser is under way: the wait, and a
    /// button that cancels it.
    Browser,
}

impl Screen {
    /// Every screen.
    pub const ALL: [Screen; 18] = [
        Self::SignIn,
        Self::SignUp,
        Self::ConfirmCode,
        Self::ForgotPassword,
        Self::ResetPassword,
        Self::NewPassword,
        Self::OneTimeCode,
        Self::ChooseMfa,
        Self::AuthenticatorSetup,
        Self::Account,
        Self::ChangePassword,
        Self::DeleteAccount,
        Self::Authenticator,
        Self::ChangeEmail,
        Self::RememberDevice,
        Self::Devices,
        Self::ConfirmPassword,
        Self::Browser,
    ];

    /// Whether this screen is for a signed-in player ([`draw_account`](super::draw_account)).
    pub fn is_account(self) -> bool {
        matches!(
            self,
            Self::Account
                | Self::ChangePassword
                | Self::DeleteAccount
                | Self::Authenticator
                | Self::ChangeEmail
                | Self::RememberDevice
                | Self::Devices
                | Self::ConfirmPassword
        )
    }
}

/// What the menu asks the game (or the plugin) to do: the one outlet of
/// [`draw`](super::draw), [`draw_account`](super::draw_account) and
/// [`LoginForm::finish`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MenuAction {
    /// Send this request
    /// ([`AuthCommands::send`](crate::AuthCommands::send)); the form is
    /// busy until [`LoginForm::finish`] reports its answer.
    Send(AuthRequest),
    /// Start this browser sign-in
    /// ([`AuthCommands::sign_in_with_browser`](crate::AuthCommands::sign_in_with_browser));
    /// the form shows [`Screen::Browser`] until [`LoginForm::finish`]
    /// reports its end.
    SignInWithBrowser(BrowserRequest),
    /// Cancel the browser sign-in under way
    /// ([`AuthCommands::cancel_browser_sign_in`](crate::AuthCommands::cancel_browser_sign_in)).
    CancelBrowserSignIn,
    /// Carry out what the account screens asked for, with the session's
    /// tokens; the form is busy until its answer (except for
    /// [`AccountRequest::Close`] and [`AccountRequest::SignOut`]).
    Account(AccountRequest),
    /// Open the account screens on this screen, once the session is in: a
    /// sign-in that asked for a code offers to remember the computer
    /// ([`Screen::RememberDevice`]).
    OpenAccount(Screen),
}

/// What a signed-in player asked for on the account screens, for the game
/// (or the plugin) to carry out with the session's tokens.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AccountRequest {
    /// Change the password.
    ChangePassword {
        /// The password now.
        current: Password,
        /// The new one, checked against the policy.
        new_password: Password,
    },
    /// Sign out of this device.
    SignOut,
    /// Sign out on every device.
    SignOutEverywhere,
    /// Delete the account; the player typed its username to confirm.
    DeleteAccount,
    /// Start adding an authenticator app: the answer's secret opens
    /// [`Screen::Authenticator`].
    AddAuthenticator,
    /// Check the authenticator app's first code; once it is right, the form
    /// asks for [`AccountRequest::SetAuthenticator`] itself.
    VerifyAuthenticator {
        /// The app's code.
        code: Code,
    },
    /// Change the email address: a code goes to the new one.
    ChangeEmail {
        /// The new address.
        email: String,
    },
    /// Send that code again.
    ResendEmailCode,
    /// Verify the new address with its code.
    VerifyEmail {
        /// The code.
        code: Code,
    },
    /// Turn sign-in codes from the authenticator app on or off.
    SetAuthenticator {
        /// On or off.
        enabled: bool,
    },
    /// Turn sign-in codes by email on or off.
    SetEmailCodes {
        /// On or off.
        enabled: bool,
    },
    /// Remember this computer, so sign-ins from it skip the code.
    RememberDevice,
    /// Read the account's remembered devices (for [`Screen::Devices`]).
    ListDevices,
    /// Forget a remembered device.
    ForgetDevice {
        /// Its key.
        key: String,
    },
    /// Check the password, as proof before the account change the form
    /// keeps ([`LoginForm::ask_for_proof`]); report the answer with
    /// [`LoginForm::finish_proof`].
    ConfirmPassword {
        /// The password typed.
        password: Password,
    },
    /// Close the account screens.
    Close,
}

impl std::fmt::Debug for AccountRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::ChangePassword { .. } => "ChangePassword",
            Self::SignOut => "SignOut",
            Self::SignOutEverywhere => "SignOutEverywhere",
            Self::DeleteAccount => "DeleteAccount",
            Self::ChangeEmail { .. } => "ChangeEmail",
            Self::ResendEmailCode => "ResendEmailCode",
            Self::VerifyEmail { .. } => "VerifyEmail",
            Self::AddAuthenticator => "AddAuthenticator",
            Self::VerifyAuthenticator { .. } => "VerifyAuthenticator",
            Self::SetAuthenticator { enabled: true } => "SetAuthenticator(on)",
            Self::SetAuthenticator { enabled: false } => "SetAuthenticator(off)",
            Self::SetEmailCodes { enabled: true } => "SetEmailCodes(on)",
            Self::SetEmailCodes { enabled: false } => "SetEmailCodes(off)",
            Self::RememberDevice => "RememberDevice",
            Self::ListDevices => "ListDevices",
            Self::ForgetDevice { .. } => "ForgetDevice",
            Self::ConfirmPassword { .. } => "ConfirmPassword",
            Self::Close => "Close",
        })
    }
}

/// How the menu looks, what it says and what it checks.
#[derive(Debug, Clone, PartialEq)]
pub struct MenuSettings {
    /// The heading above every screen (the game's name, say); empty for
    /// none.
    pub title: String,
    /// An image shown above the title, as an asset path (`"logo.png"`).
    pub logo: Option<String>,
    /// The rules shown and checked on the sign-up and reset screens.
    pub password_policy: PasswordPolicy,
    /// How long "Resend code" waits after a code was sent.
    pub resend_cooldown: Duration,
    /// The game's name, which authenticator apps show beside the player's
    /// codes.
    pub game_name: String,
    /// Every sentence the menu shows, with the locale to show them in:
    /// by default the shipped tables in the player's language (the first
    /// of the system's preferred locales that has one, else English).
    /// Switch at run time with [`LoginForm::select_locale`].
    pub translations: Translations,
    /// How the menu looks.
    pub theme: MenuTheme,
    /// What players sign in with, as the user pool has it (the template's
    /// `SignInWith`): the name field of the sign-in, code and reset screens
    /// is labelled to match, and with [`SignInName::Email`] sign-up asks
    /// for the email address alone, which is the username.
    pub sign_in_name: SignInName,
}

/// What a player types to sign in, as the user pool is configured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SignInName {
    /// A username (a pool without sign-in attributes).
    #[default]
    Username,
    /// A username or the verified email address (`AliasAttributes: email`).
    UsernameOrEmail,
    /// The email address, which is the username
    /// (`UsernameAttributes: email`).
    Email,
}

impl SignInName {
    /// The name field's label and what the player is asked when it is
    /// empty, as keys of the translations.
    pub(super) fn keys(self) -> (&'static str, &'static str) {
        match self {
            Self::Username => ("menu.field.username", "menu.check.enter-username"),
            Self::UsernameOrEmail => (
                "menu.field.username-or-email",
                "menu.check.enter-username-or-email",
            ),
            Self::Email => ("menu.field.email", "menu.check.enter-email"),
        }
    }
}

impl Default for MenuSettings {
    fn default() -> Self {
        Self {
            title: String::new(),
            logo: None,
            password_policy: PasswordPolicy::default(),
            resend_cooldown: Duration::from_secs(30),
            game_name: "Bevy game".to_owned(),
            translations: Translations::shipped(),
            theme: MenuTheme::default(),
            sign_in_name: SignInName::default(),
        }
    }
}

/// Everything the login menu shows and remembers between frames.
///
/// Draw it with [`draw`](super::draw); report the end of each request it
/// returned with [`finish`](Self::finish). `Debug` hides what was typed.
#[derive(Clone, Default)]
pub struct LoginForm {
    pub(super) settings: MenuSettings,
    pub(super) screen: Screen,
    pub(super) username: String,
    pub(super) email: String,
    pub(super) password: String,
    pub(super) repeat: String,
    /// The current password, on the change-password screen.
    pub(super) current: String,
    pub(super) code: String,
    pub(super) show_password: bool,
    pub(super) error: Option<String>,
    pub(super) notice: Option<String>,
    pub(super) busy: bool,
    /// The first empty field takes focus on the next frame.
    pub(super) focus_first: bool,
    /// Changes whenever the form is cleared: part of every field's id.
    pub(super) epoch: u64,
    /// The epoch the fields were last drawn with.
    pub(super) drawn_epoch: Option<u64>,
    /// The resend cooldown restarts on the next frame (the form has no clock).
    pub(super) restart_cooldown: bool,
    /// The egui time at which "Resend code" becomes available.
    pub(super) resend_ready_at: f64,
    /// The sign-up password, kept to sign in right after the confirmation.
    pub(super) sign_up_password: Option<Password>,
    /// The logo, once its texture is known.
    pub(super) logo: Option<egui::load::SizedTexture>,
    /// "Remember me", when the game keeps sessions.
    pub(super) remember: Option<bool>,
    /// The challenge the open challenge screen answers.
    pub(super) challenge: Option<Challenge>,
    /// The authenticator app's secret, while its screen is open.
    pub(super) authenticator: Option<AuthenticatorSecret>,
    /// A code went to the new email address: its screen asks for it.
    pub(super) email_code_sent: bool,
    /// What the account screens ask for next, without the player (turning
    /// the authenticator on once its code was right).
    pub(super) account_follow_up: Option<AccountRequest>,
    /// The account's remembered devices, once read on [`Screen::Devices`].
    pub(super) devices: Option<Vec<Device>>,
    /// [`Screen::Devices`] asked for them since it opened.
    pub(super) devices_asked: bool,
    /// The last sign-in answered a code: offer to remember the computer.
    pub(super) device_offer: bool,
    /// The screen is sent on its next frame, as if its main button was
    /// pressed ([`MenuInput::Submit`](super::MenuInput::Submit)).
    pub(super) submit_requested: bool,
    /// The account change waiting for the password typed again.
    pub(super) after_proof: Option<AccountRequest>,
    /// The browser sign-in's buttons, when it is offered: one per provider,
    /// or one to the managed login's own page when the list is empty.
    pub(super) browser: Option<Vec<IdentityProvider>>,
    /// A browser sign-in the player asked for, for the game to start.
    pub(super) browser_request: Option<BrowserRequest>,
    /// The player cancelled the browser sign-in under way.
    pub(super) browser_cancelled: bool,
}

impl LoginForm {
    /// A form on the sign-in screen.
    pub fn new(settings: MenuSettings) -> Self {
        let mut form = Self::default();
        form.settings = settings;
        form.focus_first = true;
        form
    }

    /// The open screen.
    pub fn screen(&self) -> Screen {
        self.screen
    }

    /// `true` while a request the form sent is running.
    pub fn is_busy(&self) -> bool {
        self.busy
    }

    /// The error shown, if any.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// The notice shown ("Code sent to a***@e***"), if any.
    pub fn notice(&self) -> Option<&str> {
        self.notice.as_deref()
    }

    /// The username field.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The settings the form was made with.
    pub fn settings(&self) -> &MenuSettings {
        &self.settings
    }

    /// The theme, to change at run time.
    pub fn theme_mut(&mut self) -> &mut MenuTheme {
        &mut self.settings.theme
    }

    /// The sentences the menu shows, in the selected locale.
    pub fn texts(&self) -> &Translations {
        &self.settings.translations
    }

    /// Shows the menu in the shipped (or added) locale closest to `locale`
    /// from the next frame on; returns the locale selected. The error or
    /// notice already shown keeps its language.
    pub fn select_locale(&mut self, locale: &str) -> &str {
        self.settings.translations.select(locale)
    }

    /// The sentence for `key` in the selected locale, owned.
    fn text(&self, key: &str) -> String {
        self.settings.translations.get(key).to_owned()
    }

    /// Shows a "Remember me" checkbox on the sign-in screen, checked or not;
    /// `None` hides it.
    pub fn offer_remember(&mut self, checked: Option<bool>) {
        self.remember = checked;
    }

    /// Offers sign-in in the browser on the sign-in screen: a "Continue
    /// with {label}" button per provider, or one "Continue in browser"
    /// when `providers` is empty; `None` offers none.
    pub fn offer_browser(&mut self, providers: Option<Vec<IdentityProvider>>) {
        self.browser = providers;
    }

    /// What a frame of the sign-in screens asks for: the submitted
    /// `request`, else a browser sign-in or its cancel the player asked for
    /// (kept for the next frame when a request came first).
    pub(super) fn drawn(&mut self, request: Option<AuthRequest>) -> Option<MenuAction> {
        if let Some(request) = request {
            return Some(MenuAction::Send(request));
        }
        if let Some(browser) = self.browser_request.take() {
            return Some(MenuAction::SignInWithBrowser(browser));
        }
        std::mem::take(&mut self.browser_cancelled).then_some(MenuAction::CancelBrowserSignIn)
    }

    /// Whether "Remember me" is checked; `None` when it is not offered.
    pub fn remember(&self) -> Option<bool> {
        self.remember
    }

    /// Types `username` and `code` into the form (a dev mailbox's "use this
    /// code" button).
    pub fn fill_code(&mut self, username: &str, code: &str) {
        self.username = username.to_owned();
        self.code = code.to_owned();
        self.error = None;
    }

    /// The texture drawn as the logo, once set.
    pub fn logo(&self) -> Option<egui::load::SizedTexture> {
        self.logo
    }

    /// Sets the texture drawn as the logo.
    pub fn set_logo(&mut self, logo: Option<egui::load::SizedTexture>) {
        self.logo = logo;
    }

    /// Overwrites what was typed into the secret fields (passwords, code)
    /// and empties them.
    fn forget_typed_secrets(&mut self) {
        use zeroize::Zeroize;
        self.password.zeroize();
        self.repeat.zeroize();
        self.current.zeroize();
        self.code.zeroize();
    }

    /// Opens `screen`, keeping the username and clearing the rest: the
    /// secrets typed, "Show password", and egui's memory of every field
    /// (undo history included).
    pub fn show(&mut self, screen: Screen) {
        self.screen = screen;
        self.forget_typed_secrets();
        self.show_password = false;
        self.epoch += 1;
        self.error = None;
        self.notice = None;
        self.focus_first = true;
        if screen != Screen::ConfirmCode {
            self.sign_up_password = None;
        }
        if screen == Screen::DeleteAccount {
            // The confirmation is typed anew each time.
            self.username.clear();
        }
        if !matches!(
            screen,
            Screen::NewPassword
                | Screen::OneTimeCode
                | Screen::ChooseMfa
                | Screen::AuthenticatorSetup
        ) {
            self.challenge = None;
        }
        self.authenticator = None;
        self.email_code_sent = false;
        self.after_proof = None;
        self.devices = None;
        self.devices_asked = false;
    }

    /// Opens the screen that answers `challenge`, or shows that it cannot be
    /// answered here.
    pub fn show_challenge(&mut self, challenge: Challenge) {
        let screen = match challenge.name {
            ChallengeName::NewPasswordRequired => Screen::NewPassword,
            ChallengeName::SoftwareTokenMfa | ChallengeName::SmsMfa | ChallengeName::EmailOtp => {
                Screen::OneTimeCode
            }
            ChallengeName::MfaSetup if challenge.authenticator.is_some() => {
                Screen::AuthenticatorSetup
            }
            ChallengeName::SelectMfaType if challenge.answerable() => Screen::ChooseMfa,
            _ => {
                self.show(Screen::SignIn);
                self.error = Some(self.settings.translations.format(
                    "error.challenge-unsupported",
                    &[("challenge", challenge.name.as_str())],
                ));
                return;
            }
        };
        self.show(screen);
        self.challenge = Some(challenge);
    }

    /// What the open challenge screen tells the player about its code.
    pub fn challenge_hint(&self) -> Option<String> {
        let challenge = self.challenge.as_ref()?;
        let destination = challenge
            .parameters
            .get("CODE_DELIVERY_DESTINATION")
            .filter(|d| !d.is_empty());
        let texts = &self.settings.translations;
        let to = |key: &str, to: &str| texts.format(key, &[("destination", to)]);
        Some(match (&challenge.name, destination) {
            (ChallengeName::NewPasswordRequired, _) => self.text("menu.hint.new-password"),
            (ChallengeName::SoftwareTokenMfa, _) => self.text("menu.hint.authenticator"),
            (ChallengeName::MfaSetup, _) => self.text("menu.hint.authenticator-setup"),
            (ChallengeName::SelectMfaType, _) => self.text("menu.hint.choose-mfa"),
            (ChallengeName::SmsMfa, Some(dest)) => to("menu.hint.sms-to", dest),
            (ChallengeName::SmsMfa, None) => self.text("menu.hint.sms"),
            (_, Some(dest)) => to("menu.notice.code-sent-to", dest),
            (_, None) => self.text("menu.hint.email"),
        })
    }

    /// The answer to the open challenge, as a request.
    pub(super) fn challenge_answer(&self, answer: Password) -> Option<AuthRequest> {
        let challenge = self.challenge.as_ref()?;
        // The name the player signed in with: emulators check it against
        // their stored username, and a client secret's hash is made of it.
        let username = self.username.trim().to_owned();
        Some(AuthRequest::RespondToChallenge {
            username,
            challenge: challenge.name.clone(),
            session: challenge.session.clone(),
            answer,
        })
    }

    /// Shows `message` as the form's error and ends its busy state (for a
    /// request that could not start).
    pub fn set_error(&mut self, message: impl Into<String>) {
        if self.screen == Screen::Browser {
            self.show(Screen::SignIn);
        }
        self.error = Some(message.into());
        self.busy = false;
    }

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

    fn succeeded(&mut self, action: AuthAction, outcome: &AuthOutcome) -> Option<AuthRequest> {
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

    fn failed(&mut self, action: AuthAction, error: &AuthError) -> Option<AuthRequest> {
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

    fn code_sent(&mut self, destination: Option<&str>) {
        self.notice = Some(match destination.filter(|d| !d.is_empty()) {
            Some(destination) => self
                .settings
                .translations
                .format("menu.notice.code-sent-to", &[("destination", destination)]),
            None => self.text("menu.notice.code-sent"),
        });
        self.restart_cooldown = true;
    }

    fn sign_in_request(&self, password: Password) -> AuthRequest {
        AuthRequest::SignIn {
            username: self.username.trim().to_owned(),
            password,
            device: None,
        }
    }
}

impl Drop for LoginForm {
    fn drop(&mut self) {
        self.forget_typed_secrets();
    }
}

impl std::fmt::Debug for LoginForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginForm")
            .field("screen", &self.screen)
            .field("username", &self.username)
            .field("busy", &self.busy)
            .field("error", &self.error)
            .field("notice", &self.notice)
            .finish_non_exhaustive()
    }
}
