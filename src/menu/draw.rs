//! Drawing the login menu: one function over an `egui::Ui`.

use cognito_login_client::{AuthRequest, BrowserRequest, Challenge, ChallengeName, Code, Password};
use egui::Ui;

use super::widgets::{
    CODE, Fields, authenticator_key, checked, email_address, framed, new_password,
    new_password_fields, now_and_cooldown, required, resend_button, show_toggle,
};
use super::{GuestButton, LoginForm, MenuAction, Screen, SignInName};

/// Draws the open screen of `form` into `ui` and returns what the player
/// asked for: a request to send when they submit a valid form, a browser
/// sign-in or its cancel. The form is then busy until
/// [`LoginForm::finish`] reports the answer. An account screen open (after
/// a sign-out, say) falls back to an empty sign-in screen.
pub fn draw(ui: &mut Ui, form: &mut LoginForm) -> Option<MenuAction> {
    if form.screen.is_account() {
        // The session ended: the next player starts from an empty form.
        form.show(Screen::SignIn);
        form.username.clear();
    }
    let now = now_and_cooldown(ui, form);
    let request = framed(ui, form, |ui, form, fields, next| match form.screen {
        Screen::SignIn => sign_in(ui, form, fields, next),
        Screen::SignUp => sign_up(ui, form, fields, next),
        Screen::ConfirmCode => confirm(ui, form, fields, next, now),
        Screen::ForgotPassword => forgot(ui, form, fields, next),
        Screen::ResetPassword => reset(ui, form, fields, next),
        Screen::NewPassword => new_password_screen(ui, form, fields, next),
        Screen::OneTimeCode => one_time_code(ui, form, fields, next),
        Screen::ChooseMfa => choose_mfa(ui, form, fields, next),
        Screen::AuthenticatorSetup => authenticator_setup(ui, form, fields, next),
        Screen::Browser => browser_wait(ui, form, fields),
        Screen::Account
        | Screen::ChangePassword
        | Screen::DeleteAccount
        | Screen::Authenticator
        | Screen::ChangeEmail
        | Screen::RememberDevice
        | Screen::Devices
        | Screen::ConfirmPassword => None,
    });
    form.drawn(request)
}

fn sign_in(
    ui: &mut Ui,
    form: &mut LoginForm,
    fields: &mut Fields,
    next: &mut Option<Screen>,
) -> Option<AuthRequest> {
    let (name, enter_name) = form.settings.sign_in_name.keys();
    fields.text(ui, name, &mut form.username, false);
    let shown = form.show_password;
    fields.password(ui, "menu.field.password", &mut form.password, shown);
    show_toggle(ui, form, fields);
    if let Some(remember) = &mut form.remember {
        ui.checkbox(remember, fields.t("menu.remember-me"));
    }
    let submit = fields.submit(ui, "menu.button.sign-in");
    browser_buttons(ui, form, fields, next);
    guest_button(ui, form, fields);
    ui.horizontal_wrapped(|ui| {
        fields.link(
            ui,
            "menu.link.forgot-password",
            Screen::ForgotPassword,
            next,
        );
        fields.link(ui, "menu.link.create-account", Screen::SignUp, next);
        fields.link(ui, "menu.link.have-code", Screen::ConfirmCode, next);
    });
    if !submit {
        return None;
    }
    let username = checked(form, required(&form.username, fields, enter_name))?;
    checked(
        form,
        required(&form.password, fields, "menu.check.enter-password"),
    )?;
    Some(AuthRequest::SignIn {
        username,
        password: Password::new(form.password.clone()),
        device: None,
    })
}

/// The browser sign-in's buttons, when offered: "Continue with {label}"
/// per provider, or "Continue in browser". A username typed already goes
/// along as the login page's hint.
fn browser_buttons(ui: &mut Ui, form: &mut LoginForm, fields: &Fields, next: &mut Option<Screen>) {
    let Some(providers) = &form.browser else {
        return;
    };
    ui.separator();
    let size = egui::vec2(ui.available_width(), ui.spacing().interact_size.y);
    let mut button = |label: String| ui.add(egui::Button::new(label).min_size(size)).clicked();
    let mut chosen = None;
    if providers.is_empty() && button(fields.t("menu.button.continue-in-browser").to_owned()) {
        chosen = Some(None);
    }
    for provider in providers {
        let label = fields.texts.format(
            "menu.button.continue-with",
            &[("provider", &provider.label)],
        );
        if button(label) {
            chosen = Some(Some(provider.name.clone()));
        }
    }
    if let Some(provider) = chosen {
        let hint = form.username.trim();
        form.browser_request = Some(BrowserRequest {
            provider,
            login_hint: (!hint.is_empty()).then(|| hint.to_owned()),
        });
        *next = Some(Screen::Browser);
    }
}

/// "Play as guest" (or, for a guest, "Back to the game"), when offered.
fn guest_button(ui: &mut Ui, form: &mut LoginForm, fields: &Fields) {
    let key = match form.guest {
        None => return,
        Some(GuestButton::Play) => "menu.button.play-as-guest",
        Some(GuestButton::BackToGame) => "menu.button.back-to-game",
    };
    if form.browser.is_none() {
        ui.separator();
    }
    let size = egui::vec2(ui.available_width(), ui.spacing().interact_size.y);
    if ui
        .add(egui::Button::new(fields.t(key)).min_size(size))
        .clicked()
    {
        form.guest_asked = true;
    }
}

/// The wait for the browser, and its cancel button (focused, so Enter or
/// a controller's confirm button cancels).
fn browser_wait(ui: &mut Ui, form: &mut LoginForm, fields: &mut Fields) -> Option<AuthRequest> {
    let wait = ui
        .horizontal(|ui| {
            ui.spinner();
            ui.label(fields.t("menu.browser.waiting"))
        })
        .inner;
    // Screen readers say what the player waits for as the screen opens.
    ui.ctx()
        .accesskit_node_builder(wait.id, |node| node.set_live(egui::accesskit::Live::Polite));
    // The game ends the managed login's session; a provider's is the
    // player's to end.
    ui.label(fields.t("menu.browser.provider-remembers"));
    ui.add_space(ui.spacing().item_spacing.y);
    let size = egui::vec2(ui.available_width(), ui.spacing().interact_size.y);
    let cancel = ui.add(egui::Button::new(fields.t("menu.button.cancel")).min_size(size));
    if std::mem::take(&mut fields.focus_first) {
        cancel.request_focus();
    }
    if cancel.clicked() || std::mem::take(&mut fields.submitted) {
        form.browser_cancelled = true;
    }
    None
}

/// What the player is asked for when a field is empty.
const USERNAME: &str = "menu.check.enter-username";

fn sign_up(
    ui: &mut Ui,
    form: &mut LoginForm,
    fields: &mut Fields,
    next: &mut Option<Screen>,
) -> Option<AuthRequest> {
    // Where the email address is the username, it is asked for once.
    let email_is_name = form.settings.sign_in_name == SignInName::Email;
    if !email_is_name {
        fields.text(ui, "menu.field.username", &mut form.username, false);
    }
    fields.text(ui, "menu.field.email", &mut form.email, false);
    new_password_fields(ui, form, fields, "menu.field.password");
    let submit = fields.submit(ui, "menu.button.create-account");
    fields.link(ui, "menu.link.have-account", Screen::SignIn, next);
    if !submit {
        return None;
    }
    if email_is_name {
        form.username = form.email.trim().to_owned();
    }
    let username = checked(form, required(&form.username, fields, USERNAME))?;
    let email = email_address(&form.email, fields, "menu.check.enter-email");
    let email = checked(form, email)?;
    let password = checked(form, new_password(form, fields))?;
    form.sign_up_password = Some(password.clone());
    Some(AuthRequest::SignUp {
        username,
        password,
        email,
        locale: Some(fields.texts.locale().to_owned()),
    })
}

fn confirm(
    ui: &mut Ui,
    form: &mut LoginForm,
    fields: &mut Fields,
    next: &mut Option<Screen>,
    now: f64,
) -> Option<AuthRequest> {
    let (name, enter_name) = form.settings.sign_in_name.keys();
    fields.text(ui, name, &mut form.username, false);
    fields.text(ui, "menu.field.code", &mut form.code, false);
    let submit = fields.submit(ui, "menu.button.confirm");
    let resend = resend_button(ui, form, fields, now);
    back_to_sign_in(ui, fields, next);
    if resend {
        let username = checked(form, required(&form.username, fields, enter_name))?;
        return Some(AuthRequest::ResendCode { username });
    }
    if !submit {
        return None;
    }
    let username = checked(form, required(&form.username, fields, enter_name))?;
    let code = checked(form, required(&form.code, fields, CODE))?;
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
    let (name, enter_name) = form.settings.sign_in_name.keys();
    fields.text(ui, name, &mut form.username, false);
    let submit = fields.submit(ui, "menu.button.send-reset-code");
    ui.horizontal_wrapped(|ui| {
        fields.link(ui, "menu.link.have-code", Screen::ResetPassword, next);
        back_to_sign_in(ui, fields, next);
    });
    if !submit {
        return None;
    }
    let username = checked(form, required(&form.username, fields, enter_name))?;
    Some(AuthRequest::ForgotPassword { username })
}

fn reset(
    ui: &mut Ui,
    form: &mut LoginForm,
    fields: &mut Fields,
    next: &mut Option<Screen>,
) -> Option<AuthRequest> {
    let (name, enter_name) = form.settings.sign_in_name.keys();
    fields.text(ui, name, &mut form.username, false);
    fields.text(ui, "menu.field.code", &mut form.code, false);
    new_password_fields(ui, form, fields, "menu.field.new-password");
    let submit = fields.submit(ui, "menu.button.reset-password");
    back_to_sign_in(ui, fields, next);
    if !submit {
        return None;
    }
    let username = checked(form, required(&form.username, fields, enter_name))?;
    let code = checked(form, required(&form.code, fields, CODE))?;
    let password = checked(form, new_password(form, fields))?;
    Some(AuthRequest::ResetPassword {
        username,
        code: Code::new(code),
        password,
    })
}

fn challenge_hint(ui: &mut Ui, form: &LoginForm) {
    if let Some(hint) = form.challenge_hint() {
        ui.label(hint);
    }
}

fn back_to_sign_in(ui: &mut Ui, fields: &Fields, next: &mut Option<Screen>) {
    fields.link(ui, "menu.link.back-to-sign-in", Screen::SignIn, next);
}

fn new_password_screen(
    ui: &mut Ui,
    form: &mut LoginForm,
    fields: &mut Fields,
    next: &mut Option<Screen>,
) -> Option<AuthRequest> {
    challenge_hint(ui, form);
    new_password_fields(ui, form, fields, "menu.field.new-password");
    let submit = fields.submit(ui, "menu.button.set-password");
    back_to_sign_in(ui, fields, next);
    if !submit {
        return None;
    }
    let password = checked(form, new_password(form, fields))?;
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

/// One button per kind of code the account may use; the choice answers the
/// challenge, and the chosen kind's code screen follows.
fn choose_mfa(
    ui: &mut Ui,
    form: &mut LoginForm,
    fields: &mut Fields,
    next: &mut Option<Screen>,
) -> Option<AuthRequest> {
    challenge_hint(ui, form);
    let choices = form
        .challenge
        .as_ref()
        .map(Challenge::mfa_choices)
        .unwrap_or_default();
    let size = egui::vec2(ui.available_width(), ui.spacing().interact_size.y);
    let mut chosen = None;
    for choice in choices {
        let key = match choice {
            ChallengeName::SoftwareTokenMfa => "menu.button.mfa-authenticator",
            ChallengeName::EmailOtp => "menu.button.mfa-email",
            _ => "menu.button.mfa-sms",
        };
        if ui
            .add(egui::Button::new(fields.t(key)).min_size(size))
            .clicked()
        {
            chosen = Some(choice);
        }
    }
    back_to_sign_in(ui, fields, next);
    form.challenge_answer(Password::new(chosen?.as_str()))
}

/// The code field that answers the open challenge, and the way back.
fn code_answer(
    ui: &mut Ui,
    form: &mut LoginForm,
    fields: &mut Fields,
    next: &mut Option<Screen>,
) -> Option<AuthRequest> {
    fields.text(ui, "menu.field.code", &mut form.code, false);
    let submit = fields.submit(ui, "menu.button.continue");
    back_to_sign_in(ui, fields, next);
    if !submit {
        return None;
    }
    let code = checked(form, required(&form.code, fields, CODE))?;
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
    authenticator_key(ui, fields, &secret, &form.settings.game_name, &account);
    code_answer(ui, form, fields, next)
}
