//! The menu's state: which screen is open, what the player typed, and how
//! each answer moves the form along.

use std::time::Duration;

use cognito_login_client::{
    AuthAction, AuthError, AuthOutcome, AuthRequest, AuthenticatorSecret, BrowserRequest,
    Challenge, ChallengeName, Code, Device, IdentityProvider, Password, ServerErrorKind,
    Translations,
};

use super::{MenuTheme, PasswordPolicy};

mod answers;
mod screens;
mod settings;

pub use screens::{AccountRequest, MenuAction, Screen};

pub use settings::{MenuSettings, SignInName};

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
    /// The sign-in screen's guest button: "Play as guest", or "Back to the
    /// game" for a guest; `None` offers none.
    pub(super) guest: Option<GuestButton>,
    /// The player pressed the guest button.
    pub(super) guest_asked: bool,
}

/// The sign-in screen's guest button ([`LoginForm::offer_guest`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuestButton {
    /// "Play as guest": nobody plays yet.
    Play,
    /// "Back to the game": a guest opened the sign-in screens to sign in or
    /// create an account.
    BackToGame,
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

    /// Offers the guest button on the sign-in screen; `None` offers none.
    pub fn offer_guest(&mut self, button: Option<GuestButton>) {
        self.guest = button;
    }

    /// The guest button offered, if any.
    pub fn guest_button(&self) -> Option<GuestButton> {
        self.guest
    }

    /// Shows `notice` (a sentence for the player).
    pub fn set_notice(&mut self, notice: impl Into<String>) {
        self.error = None;
        self.notice = Some(notice.into());
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
        if std::mem::take(&mut self.guest_asked) {
            return Some(MenuAction::PlayAsGuest);
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
