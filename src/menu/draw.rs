//! Drawing the login menu: one function over an `egui::Ui`.

use std::time::Duration;

use cognito_login_client::{AuthRequest, Code, Password};
use egui::text_edit::TextEditState;
use egui::{Id, Key, Response, RichText, TextEdit, Ui};

use super::{LoginForm, Screen};

/// Draws the open screen of `form` into `ui` and returns the request to send
/// when the player submits a valid form. The form is then busy until
/// [`LoginForm::finish`] reports the answer. An account screen open (after
/// a sign-out, say) falls back to an empty sign-in screen.
pub fn draw(ui: &mut Ui, form: &mut LoginForm) -> Option<AuthRequest> {
    if form.screen.is_account() {
        // The session ended: the next player starts from an empty form.
        form.show(Screen::SignIn);
        form.username.clear();
    }
    let now = now_and_cooldown(ui, form);
    framed(ui, form, |ui, form, fields, next| match form.screen {
        Screen::SignIn => sign_in(ui, form, fields, next),
        Screen::SignUp => sign_up(ui, form, fields, next),
        Screen::ConfirmCode => confirm(ui, form, fields, next, now),
        Screen::ForgotPassword => forgot(ui, form, fields, next),
        Screen::ResetPassword => reset(ui, form, fields, next),
        Screen::NewPassword => new_password_screen(ui, form, fields, next),
        Screen::OneTimeCode => one_time_code(ui, form, fields, next),
        Screen::AuthenticatorSetup => authenticator_setup(ui, form, fields, next),
        Screen::Account
        | Screen::ChangePassword
        | Screen::DeleteAccount
        | Screen::Authenticator
        | Screen::ChangeEmail
        | Screen::RememberDevice
        | Screen::Devices => None,
    })
}

/// The parts every screen shares: the logo, the titles, the busy spinner,
/// the error or notice, and moving to the next screen. `body` draws the
/// fields and returns what was submitted.
pub(super) fn framed<R>(
    ui: &mut Ui,
    form: &mut LoginForm,
    body: impl FnOnce(&mut Ui, &mut LoginForm, &mut Fields, &mut Option<Screen>) -> Option<R>,
) -> Option<R> {
    forget_cleared_fields(ui, form);
    let mut fields = Fields {
        focus_first: std::mem::take(&mut form.focus_first),
        submitted: std::mem::take(&mut form.submit_requested) && !form.busy,
        edited: false,
        epoch: form.epoch,
        screen: form.screen,
    };

    if let Some(logo) = form.logo {
        ui.vertical_centered(|ui| ui.image(logo));
    }
    ui.vertical_centered(|ui| ui.heading(&form.settings.title));
    ui.add_space(4.0);
    ui.label(RichText::new(screen_title(form.screen)).strong());
    ui.add_space(4.0);

    let mut request = None;
    let mut next_screen = None;
    ui.add_enabled_ui(!form.busy, |ui| {
        request = body(ui, form, &mut fields, &mut next_screen);
    });

    if fields.edited {
        form.error = None;
    }
    ui.add_space(6.0);
    if form.busy {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("Working…");
        });
    }
    if let Some(error) = &form.error {
        ui.label(RichText::new(error).color(ui.visuals().error_fg_color));
    } else if let Some(notice) = &form.notice {
        ui.label(notice);
    }
    if let Some(screen) = next_screen.filter(|_| request.is_none()) {
        form.show(screen);
    }
    if request.is_some() {
        form.busy = true;
        form.error = None;
    }
    request
}

fn screen_title(screen: Screen) -> &'static str {
    match screen {
        Screen::SignIn => "Sign in to your account",
        Screen::SignUp => "Create an account",
        Screen::ConfirmCode => "Confirm your account",
        Screen::ForgotPassword => "Forgot your password?",
        Screen::ResetPassword => "Choose a new password",
        Screen::NewPassword => "Set a new password",
        Screen::OneTimeCode => "Enter your sign-in code",
        Screen::AuthenticatorSetup => "Set up sign-in codes",
        Screen::Account => "Your account",
        Screen::ChangePassword => "Change your password",
        Screen::DeleteAccount => "Delete your account",
        Screen::Authenticator => "Add an authenticator app",
        Screen::ChangeEmail => "Change your email address",
        Screen::RememberDevice => "Remember this computer?",
        Screen::Devices => "Remembered devices",
    }
}

/// The labels of every field the menu draws; with the screen and the form's
/// epoch they make each field's id.
const FIELD_LABELS: [&str; 9] = [
    "Username",
    "Email",
    "New email",
    "Password",
    "Current password",
    "New password",
    "Repeat password",
    "Code",
    "",
];

/// The id of one field: its screen, its label and the form's epoch, which
/// changes whenever the form is cleared, so no state (undo history
/// included) is shared between screens or outlives what the player typed.
fn field_id(epoch: u64, screen: Screen, label: &str) -> Id {
    Id::new(("bevy_cognito_login::menu::field", epoch, screen, label))
}

/// Once the form was cleared: drops egui's state of every field drawn
/// before, so Ctrl+Z cannot bring back what the last player typed.
fn forget_cleared_fields(ui: &Ui, form: &mut LoginForm) {
    let Some(drawn) = form.drawn_epoch.replace(form.epoch) else {
        return;
    };
    if drawn == form.epoch {
        return;
    }
    ui.ctx().data_mut(|data| {
        for screen in Screen::ALL {
            for label in FIELD_LABELS {
                data.remove::<TextEditState>(field_id(drawn, screen, label));
            }
        }
    });
}

/// What the fields of one frame did.
pub(super) struct Fields {
    /// The first empty field takes focus.
    focus_first: bool,
    submitted: bool,
    edited: bool,
    epoch: u64,
    screen: Screen,
}

impl Fields {
    /// A labelled single-line field; Enter in it submits the screen.
    pub(super) fn text(
        &mut self,
        ui: &mut Ui,
        label: &str,
        text: &mut String,
        masked: bool,
    ) -> Response {
        debug_assert!(FIELD_LABELS.contains(&label), "{label} has no id to forget");
        let id = field_id(self.epoch, self.screen, label);
        let label = ui.label(label);
        let response = ui
            .add(
                TextEdit::singleline(text)
                    .id(id)
                    .password(masked)
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
        if self.focus_first && text.is_empty() {
            self.focus_first = false;
            response.request_focus();
        }
        self.submitted |= response.lost_focus() && ui.input(|input| input.key_pressed(Key::Enter));
        self.edited |= response.changed();
        response
    }

    pub(super) fn password(
        &mut self,
        ui: &mut Ui,
        label: &str,
        text: &mut String,
        shown: bool,
    ) -> Response {
        self.text(ui, label, text, !shown)
    }

    /// The screen's main button.
    pub(super) fn submit(&mut self, ui: &mut Ui, label: &str) -> bool {
        ui.add_space(4.0);
        let clicked = ui.button(label).clicked();
        std::mem::take(&mut self.submitted) || clicked
    }
}

pub(super) fn checked<T>(form: &mut LoginForm, result: Result<T, String>) -> Option<T> {
    result.map_err(|message| form.error = Some(message)).ok()
}

pub(super) fn required(value: &str, what: &str) -> Result<String, String> {
    let value = value.trim();
    if value.is_empty() {
        Err(format!("Enter your {what}."))
    } else {
        Ok(value.to_owned())
    }
}

/// A required email address that looks like one.
pub(super) fn email_address(value: &str, what: &str) -> Result<String, String> {
    let email = required(value, what)?;
    if looks_like_email(&email) {
        Ok(email)
    } else {
        Err("That email address does not look right.".to_owned())
    }
}

fn looks_like_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(char::is_whitespace)
}

/// The new-password pair of the sign-up and reset screens.
pub(super) fn new_password(form: &LoginForm) -> Result<Password, String> {
    if form.password.is_empty() {
        return Err("Choose a password.".to_owned());
    }
    if let Some(unmet) = form.settings.password_policy.first_unmet(&form.password) {
        return Err(unmet);
    }
    if form.password != form.repeat {
        return Err("The passwords do not match.".to_owned());
    }
    Ok(Password::new(form.password.clone()))
}

fn show_toggle(ui: &mut Ui, form: &mut LoginForm) {
    ui.checkbox(&mut form.show_password, "Show password");
}

/// A new password, its repetition, the show toggle and the live checklist.
pub(super) fn new_password_fields(
    ui: &mut Ui,
    form: &mut LoginForm,
    fields: &mut Fields,
    label: &str,
) {
    fields.password(ui, label, &mut form.password, form.show_password);
    fields.password(ui, "Repeat password", &mut form.repeat, form.show_password);
    show_toggle(ui, form);
    policy_checklist(ui, form);
}

fn policy_checklist(ui: &mut Ui, form: &LoginForm) {
    for check in form.settings.password_policy.checks(&form.password) {
        let (mark, color) = if check.met {
            ("✔", egui::Color32::from_rgb(80, 180, 90))
        } else {
            ("✖", ui.visuals().weak_text_color())
        };
        ui.label(
            RichText::new(format!("{mark} {}", check.rule))
                .color(color)
                .small(),
        );
    }
}

fn sign_in(
    ui: &mut Ui,
    form: &mut LoginForm,
    fields: &mut Fields,
    next: &mut Option<Screen>,
) -> Option<AuthRequest> {
    fields.text(ui, "Username", &mut form.username, false);
    fields.password(ui, "Password", &mut form.password, form.show_password);
    show_toggle(ui, form);
    if let Some(remember) = &mut form.remember {
        ui.checkbox(remember, "Remember me");
    }
    let submit = fields.submit(ui, "Sign in");
    ui.horizontal_wrapped(|ui| {
        if ui.link("Forgot password?").clicked() {
            *next = Some(Screen::ForgotPassword);
        }
        if ui.link("Create account").clicked() {
            *next = Some(Screen::SignUp);
        }
        if ui.link("I have a code").clicked() {
            *next = Some(Screen::ConfirmCode);
        }
    });
    if !submit {
        return None;
    }
    let username = checked(form, required(&form.username, "username"))?;
    checked(form, required(&form.password, "password"))?;
    Some(AuthRequest::SignIn {
        username,
        password: Password::new(form.password.clone()),
        device: None,
    })
}

fn sign_up(
    ui: &mut Ui,
    form: &mut LoginForm,
    fields: &mut Fields,
    next: &mut Option<Screen>,
) -> Option<AuthRequest> {
    fields.text(ui, "Username", &mut form.username, false);
    fields.text(ui, "Email", &mut form.email, false);
    new_password_fields(ui, form, fields, "Password");
    let submit = fields.submit(ui, "Create account");
    if ui.link("Already have an account? Sign in").clicked() {
        *next = Some(Screen::SignIn);
    }
    if !submit {
        return None;
    }
    let username = checked(form, required(&form.username, "username"))?;
    let email = checked(form, email_address(&form.email, "email address"))?;
    let password = checked(form, new_password(form))?;
    form.sign_up_password = Some(password.clone());
    Some(AuthRequest::SignUp {
        username,
        password,
        email,
    })
}

fn confirm(
    ui: &mut Ui,
    form: &mut LoginForm,
    fields: &mut Fields,
    next: &mut Option<Screen>,
    now: f64,
) -> Option<AuthRequest> {
    fields.text(ui, "Username", &mut form.username, false);
    fields.text(ui, "Code", &mut form.code, false);
    let submit = fields.submit(ui, "Confirm");
    let resend = resend_button(ui, form, now);
    back_to_sign_in(ui, next);
    if resend {
        let username = checked(form, required(&form.username, "username"))?;
        return Some(AuthRequest::ResendCode { username });
    }
    if !submit {
        return None;
    }
    let username = checked(form, required(&form.username, "username"))?;
    let code = checked(form, required(&form.code, "code"))?;
    Some(AuthRequest::ConfirmSignUp {
        username,
        code: Code::new(code),
    })
}

fn forgot(
    ui: &mut Ui,
    form: &mut LoginForm,
    fields: &mut Fields,
    next: &mut Option<Screen>,
) -> Option<AuthRequest> {
    fields.text(ui, "Username", &mut form.username, false);
    let submit = fields.submit(ui, "Send reset code");
    ui.horizontal_wrapped(|ui| {
        if ui.link("I have a code").clicked() {
            *next = Some(Screen::ResetPassword);
        }
        back_to_sign_in(ui, next);
    });
    if !submit {
        return None;
    }
    let username = checked(form, required(&form.username, "username"))?;
    Some(AuthRequest::ForgotPassword { username })
}

fn reset(
    ui: &mut Ui,
    form: &mut LoginForm,
    fields: &mut Fields,
    next: &mut Option<Screen>,
) -> Option<AuthRequest> {
    fields.text(ui, "Username", &mut form.username, false);
    fields.text(ui, "Code", &mut form.code, false);
    new_password_fields(ui, form, fields, "New password");
    let submit = fields.submit(ui, "Reset password");
    back_to_sign_in(ui, next);
    if !submit {
        return None;
    }
    let username = checked(form, required(&form.username, "username"))?;
    let code = checked(form, required(&form.code, "code"))?;
    let password = checked(form, new_password(form))?;
    Some(AuthRequest::ResetPassword {
        username,
        code: Code::new(code),
        password,
    })
}

/// egui's clock; a code sent since the last frame starts the resend
/// cooldown from it (the form has no clock of its own).
pub(super) fn now_and_cooldown(ui: &Ui, form: &mut LoginForm) -> f64 {
    let now = ui.input(|input| input.time);
    if std::mem::take(&mut form.restart_cooldown) {
        form.resend_ready_at = now + form.settings.resend_cooldown.as_secs_f64();
    }
    now
}

/// "Resend code", disabled with a countdown until the cooldown since the
/// last code has passed; `true` when clicked.
pub(super) fn resend_button(ui: &mut Ui, form: &LoginForm, now: f64) -> bool {
    let wait = (form.resend_ready_at - now).ceil();
    if wait > 0.0 {
        ui.ctx().request_repaint_after(Duration::from_millis(250));
        ui.add_enabled(
            false,
            egui::Button::new(format!("Resend code ({wait:.0} s)")),
        );
        false
    } else {
        ui.button("Resend code").clicked()
    }
}

fn challenge_hint(ui: &mut Ui, form: &LoginForm) {
    if let Some(hint) = form.challenge_hint() {
        ui.label(hint);
    }
}

fn back_to_sign_in(ui: &mut Ui, next: &mut Option<Screen>) {
    if ui.link("Back to sign in").clicked() {
        *next = Some(Screen::SignIn);
    }
}

fn new_password_screen(
    ui: &mut Ui,
    form: &mut LoginForm,
    fields: &mut Fields,
    next: &mut Option<Screen>,
) -> Option<AuthRequest> {
    challenge_hint(ui, form);
    new_password_fields(ui, form, fields, "New password");
    let submit = fields.submit(ui, "Set password");
    back_to_sign_in(ui, next);
    if !submit {
        return None;
    }
    let password = checked(form, new_password(form))?;
    form.challenge_answer(password)
}

fn one_time_code(
    ui: &mut Ui,
    form: &mut LoginForm,
    fields: &mut Fields,
    next: &mut Option<Screen>,
) -> Option<AuthRequest> {
    challenge_hint(ui, form);
    code_answer(ui, form, fields, next)
}

/// The code field that answers the open challenge, and the way back.
fn code_answer(
    ui: &mut Ui,
    form: &mut LoginForm,
    fields: &mut Fields,
    next: &mut Option<Screen>,
) -> Option<AuthRequest> {
    fields.text(ui, "Code", &mut form.code, false);
    let submit = fields.submit(ui, "Continue");
    back_to_sign_in(ui, next);
    if !submit {
        return None;
    }
    let code = checked(form, required(&form.code, "code"))?;
    form.challenge_answer(Password::new(code))
}

fn authenticator_setup(
    ui: &mut Ui,
    form: &mut LoginForm,
    fields: &mut Fields,
    next: &mut Option<Screen>,
) -> Option<AuthRequest> {
    challenge_hint(ui, form);
    let secret = form.challenge.as_ref()?.authenticator.clone()?;
    let account = form.username.trim().to_owned();
    super::account::authenticator_key(ui, &secret, &form.settings.game_name, &account);
    code_answer(ui, form, fields, next)
}

#[cfg(test)]
mod tests {
    use super::looks_like_email;

    #[test]
    fn email_shapes() {
        for good in ["ada@example.com", "a.b+c@mail.example.org"] {
            assert!(looks_like_email(good), "{good}");
        }
        for bad in [
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a@b@c.com",
            "ada @example.com",
            "ada@.com",
        ] {
            assert!(!looks_like_email(bad), "{bad}");
        }
    }
}
