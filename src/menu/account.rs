//! The account screens, for a signed-in player: the overview, a password
//! change, an email change, an authenticator app and the account's
//! deletion. They share the sign-in screens' frame, fields and checks.

use cognito_login_client::{Code, Password};
use egui::Ui;

use super::widgets::{
    CODE, Fields, authenticator_key, checked, email_address, framed, new_password,
    new_password_fields, now_and_cooldown, required, resend_button, show_toggle,
};
use super::{AccountRequest, LoginForm, MenuAction, Screen};

/// What the account screens show of the signed-in player.
#[derive(Debug, Clone, Copy)]
pub struct AccountView<'a> {
    /// The username.
    pub username: &'a str,
    /// The email address, when the account has one.
    pub email: Option<&'a str>,
    /// Whether it is verified.
    pub email_verified: bool,
    /// Whether sign-in asks for an authenticator app's code; `None` until
    /// the account was read from the server.
    pub authenticator: Option<bool>,
    /// Whether sign-in sends a code by email (`EMAIL_OTP`); `None` until
    /// the account was read. Offered for a verified address only; a pool
    /// that does not allow email codes refuses, and the menu says so.
    pub email_codes: Option<bool>,
    /// The key of the device this computer remembers for the account, to
    /// mark it in the list of devices.
    pub this_device: Option<&'a str>,
    /// The login server cannot be reached
    /// ([`AuthSession::offline`](crate::AuthSession::offline)): the
    /// overview says so; the player stays signed in.
    pub offline: bool,
}

/// Draws the open account screen of `form` for a signed-in player (the
/// account overview unless [`Screen::ChangePassword`],
/// [`Screen::ChangeEmail`], [`Screen::DeleteAccount`] or
/// [`Screen::Authenticator`], [`Screen::RememberDevice`] or
/// [`Screen::Devices`] is open) and
/// returns what the player asked for ([`MenuAction::Account`]). Like
/// [`draw`](super::draw), the form is then busy until
/// [`LoginForm::finish`] reports the answer (except for
/// [`AccountRequest::Close`] and [`AccountRequest::SignOut`]).
pub fn draw_account(
    ui: &mut Ui,
    form: &mut LoginForm,
    account: AccountView<'_>,
) -> Option<MenuAction> {
    if !form.screen.is_account() {
        form.show(Screen::Account);
    }
    let now = now_and_cooldown(ui, form);
    let request = framed(ui, form, |ui, form, fields, next| match form.screen {
        Screen::ChangePassword => change_password(ui, form, fields, next),
        Screen::DeleteAccount => delete_account(ui, form, fields, next, account.username),
        Screen::Authenticator => authenticator(ui, form, fields, next, account.username),
        Screen::ChangeEmail => change_email(ui, form, fields, next, now),
        Screen::RememberDevice => remember_device(ui, fields),
        Screen::Devices => devices(ui, form, fields, next, account.this_device),
        Screen::ConfirmPassword => confirm_password(ui, form, fields, next),
        _ => overview(ui, fields, next, account),
    });
    // These end at once, with no answer for the form to wait for.
    if matches!(
        request,
        Some(AccountRequest::Close | AccountRequest::SignOut)
    ) {
        form.busy = false;
    }
    request.map(MenuAction::Account)
}

fn overview(
    ui: &mut Ui,
    fields: &Fields,
    next: &mut Option<Screen>,
    account: AccountView<'_>,
) -> Option<AccountRequest> {
    let texts = &fields.texts;
    ui.label(texts.format(
        "menu.account.signed-in-as",
        &[("username", account.username)],
    ));
    if let Some(email) = account.email {
        let key = if account.email_verified {
            "menu.account.email-verified"
        } else {
            "menu.account.email-unverified"
        };
        ui.label(texts.format(key, &[("email", email)]));
    }
    if account.offline {
        ui.label(fields.t("menu.account.offline"));
    }
    ui.add_space(4.0);
    let mut request = None;
    let button = |ui: &mut Ui, key: &str| ui.button(fields.t(key)).clicked();
    if button(ui, "menu.button.change-password") {
        *next = Some(Screen::ChangePassword);
    }
    if button(ui, "menu.button.change-email") {
        *next = Some(Screen::ChangeEmail);
    }
    if button(ui, "menu.button.sign-out") {
        request = Some(AccountRequest::SignOut);
    }
    if button(ui, "menu.button.sign-out-everywhere") {
        request = Some(AccountRequest::SignOutEverywhere);
    }
    // Neither is offered until the account was read.
    if account.authenticator == Some(true) {
        ui.label(fields.t("menu.account.codes-authenticator"));
        if button(ui, "menu.button.authenticator-off") {
            request = Some(AccountRequest::SetAuthenticator { enabled: false });
        }
    } else if account.authenticator == Some(false) && button(ui, "menu.button.authenticator-add") {
        request = Some(AccountRequest::AddAuthenticator);
    }
    match account.email_codes {
        Some(true) => {
            ui.label(fields.t("menu.account.codes-email"));
            if button(ui, "menu.button.email-codes-off") {
                request = Some(AccountRequest::SetEmailCodes { enabled: false });
            }
        }
        Some(false) if account.email_verified && button(ui, "menu.button.email-codes-on") => {
            request = Some(AccountRequest::SetEmailCodes { enabled: true });
        }
        _ => {}
    }
    if button(ui, "menu.button.devices") {
        *next = Some(Screen::Devices);
    }
    if button(ui, "menu.button.delete-account-open") {
        *next = Some(Screen::DeleteAccount);
    }
    ui.add_space(4.0);
    if button(ui, "menu.button.close") {
        request = Some(AccountRequest::Close);
    }
    request
}

/// The offer after a sign-in that asked for a code.
fn remember_device(ui: &mut Ui, fields: &Fields) -> Option<AccountRequest> {
    ui.label(fields.t("menu.device.offer"));
    ui.add_space(4.0);
    let mut request = None;
    if ui
        .button(fields.t("menu.button.remember-computer"))
        .clicked()
    {
        request = Some(AccountRequest::RememberDevice);
    }
    if ui.button(fields.t("menu.button.not-now")).clicked() {
        request = Some(AccountRequest::Close);
    }
    request
}

/// The account's remembered devices, read when the screen opens.
fn devices(
    ui: &mut Ui,
    form: &mut LoginForm,
    fields: &Fields,
    next: &mut Option<Screen>,
    this_device: Option<&str>,
) -> Option<AccountRequest> {
    let texts = &fields.texts;
    let mut request = None;
    if form.devices.is_none() && !form.devices_asked {
        form.devices_asked = true;
        request = Some(AccountRequest::ListDevices);
    }
    match &form.devices {
        None => {}
        Some(devices) if devices.is_empty() => {
            ui.label(texts.get("menu.devices.none"));
        }
        Some(devices) => {
            ui.label(texts.get("menu.devices.intro"));
            for device in devices {
                ui.horizontal_wrapped(|ui| {
                    let mut name = match &device.name {
                        Some(name) => name.clone(),
                        None => texts.get("menu.devices.unnamed").to_owned(),
                    };
                    if Some(device.key.as_str()) == this_device {
                        name = texts.format("menu.devices.this-computer", &[("name", &name)]);
                    }
                    let used = device
                        .last_signed_in
                        .or(device.created)
                        .map(cognito_login_client::utc_date);
                    ui.label(match used {
                        Some(date) => texts.format(
                            "menu.devices.last-used",
                            &[("name", &name), ("date", &date)],
                        ),
                        None => name,
                    });
                    if ui.button(texts.get("menu.button.forget")).clicked() {
                        request = Some(AccountRequest::ForgetDevice {
                            key: device.key.clone(),
                        });
                    }
                });
            }
        }
    }
    back_to_account(ui, fields, next);
    request
}

fn back_to_account(ui: &mut Ui, fields: &Fields, next: &mut Option<Screen>) {
    fields.link(ui, "menu.link.back", Screen::Account, next);
}

/// The password again, before a change that needs fresh proof.
fn confirm_password(
    ui: &mut Ui,
    form: &mut LoginForm,
    fields: &mut Fields,
    next: &mut Option<Screen>,
) -> Option<AccountRequest> {
    ui.label(fields.t("menu.confirm-password.intro"));
    let shown = form.show_password;
    fields.password(ui, "menu.field.password", &mut form.password, shown);
    show_toggle(ui, form, fields);
    let submit = fields.submit(ui, "menu.button.continue");
    back_to_account(ui, fields, next);
    if !submit {
        return None;
    }
    let missing = "menu.check.enter-password";
    checked(form, required(&form.password, fields, missing))?;
    Some(AccountRequest::ConfirmPassword {
        password: Password::new(form.password.clone()),
    })
}

fn change_password(
    ui: &mut Ui,
    form: &mut LoginForm,
    fields: &mut Fields,
    next: &mut Option<Screen>,
) -> Option<AccountRequest> {
    let shown = form.show_password;
    fields.password(ui, "menu.field.current-password", &mut form.current, shown);
    new_password_fields(ui, form, fields, "menu.field.new-password");
    let submit = fields.submit(ui, "menu.button.change-password");
    back_to_account(ui, fields, next);
    if !submit {
        return None;
    }
    let missing = "menu.check.enter-current-password";
    checked(form, required(&form.current, fields, missing))?;
    let new_password = checked(form, new_password(form, fields))?;
    Some(AccountRequest::ChangePassword {
        current: Password::new(form.current.clone()),
        new_password,
    })
}

fn delete_account(
    ui: &mut Ui,
    form: &mut LoginForm,
    fields: &mut Fields,
    next: &mut Option<Screen>,
    username: &str,
) -> Option<AccountRequest> {
    ui.label(fields.t("menu.delete.warning"));
    fields.text(ui, "menu.field.username", &mut form.username, false);
    let submit = fields.submit(ui, "menu.button.delete-account");
    back_to_account(ui, fields, next);
    if !submit {
        return None;
    }
    if form.username.trim() != username {
        let typed = fields
            .texts
            .format("menu.check.type-username", &[("username", username)]);
        form.error = Some(typed);
        return None;
    }
    Some(AccountRequest::DeleteAccount)
}

fn authenticator(
    ui: &mut Ui,
    form: &mut LoginForm,
    fields: &mut Fields,
    next: &mut Option<Screen>,
    username: &str,
) -> Option<AccountRequest> {
    let Some(secret) = form.authenticator.clone() else {
        // The secret is not kept across a reopened screen: start again.
        ui.label(fields.t("menu.authenticator.start-again"));
        back_to_account(ui, fields, next);
        return None;
    };
    ui.label(fields.t("menu.authenticator.scan"));
    authenticator_key(ui, fields, &secret, &form.settings.game_name, username);
    fields.text(ui, "menu.field.code", &mut form.code, false);
    let submit = fields.submit(ui, "menu.button.turn-on");
    back_to_account(ui, fields, next);
    if !submit {
        return None;
    }
    let code = checked(form, required(&form.code, fields, CODE))?;
    Some(AccountRequest::VerifyAuthenticator {
        code: Code::new(code),
    })
}

fn change_email(
    ui: &mut Ui,
    form: &mut LoginForm,
    fields: &mut Fields,
    next: &mut Option<Screen>,
    now: f64,
) -> Option<AccountRequest> {
    if form.email_code_sent {
        fields.text(ui, "menu.field.code", &mut form.code, false);
        let submit = fields.submit(ui, "menu.button.verify");
        let resend = resend_button(ui, form, fields, now);
        back_to_account(ui, fields, next);
        if resend {
            return Some(AccountRequest::ResendEmailCode);
        }
        if !submit {
            return None;
        }
        let code = checked(form, required(&form.code, fields, CODE))?;
        return Some(AccountRequest::VerifyEmail {
            code: Code::new(code),
        });
    }
    fields.text(ui, "menu.field.new-email", &mut form.email, false);
    let submit = fields.submit(ui, "menu.button.send-code");
    back_to_account(ui, fields, next);
    if !submit {
        return None;
    }
    let missing = "menu.check.enter-new-email";
    let email = checked(form, email_address(&form.email, fields, missing))?;
    Some(AccountRequest::ChangeEmail { email })
}
