//! The menu's widget kit, shared by the sign-in and the account screens:
//! the frame every screen is drawn in, its fields and their checks, the
//! resend button, and an authenticator app's key as a QR code.

use std::time::Duration;

use cognito_login_client::{AuthenticatorSecret, Password, Translations};
use egui::text_edit::TextEditState;
use egui::{Color32, Id, Key, Response, RichText, TextEdit, Ui};

use super::{LoginForm, Screen};

/// What the player is asked for when a code field is empty.
pub(super) const CODE: &str = "menu.check.enter-code";

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
        texts: form.settings.translations.clone(),
        accent: form.settings.theme.accent,
        on_accent: form.settings.theme.on_accent,
    };

    let scale = super::theme::current_scale(ui);
    if let Some(logo) = form.logo {
        ui.vertical_centered(|ui| ui.image((logo.id, (logo.size * scale).round())));
    }
    if !form.settings.title.is_empty() {
        ui.vertical_centered(|ui| ui.heading(&form.settings.title));
        ui.add_space((4.0 * scale).round());
    }
    ui.label(RichText::new(fields.t(screen_title(form.screen))).strong());
    ui.add_space((4.0 * scale).round());

    let mut request = None;
    let mut next_screen = None;
    ui.add_enabled_ui(!form.busy, |ui| {
        request = body(ui, form, &mut fields, &mut next_screen);
    });

    if fields.edited {
        form.error = None;
    }
    ui.add_space((6.0 * scale).round());
    if form.busy {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(fields.t("menu.working"));
        });
    }
    // Screen readers say an error or a notice as soon as it shows.
    let announced = if let Some(error) = &form.error {
        Some((
            ui.label(RichText::new(error).color(ui.visuals().error_fg_color)),
            egui::accesskit::Live::Assertive,
        ))
    } else {
        form.notice
            .as_ref()
            .map(|notice| (ui.label(notice), egui::accesskit::Live::Polite))
    };
    if let Some((label, live)) = announced {
        ui.ctx()
            .accesskit_node_builder(label.id, |node| node.set_live(live));
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

/// The key of each screen's title.
fn screen_title(screen: Screen) -> &'static str {
    match screen {
        Screen::SignIn => "menu.screen.sign-in",
        Screen::SignUp => "menu.screen.sign-up",
        Screen::ConfirmCode => "menu.screen.confirm-code",
        Screen::ForgotPassword => "menu.screen.forgot-password",
        Screen::ResetPassword => "menu.screen.reset-password",
        Screen::NewPassword => "menu.screen.new-password",
        Screen::OneTimeCode => "menu.screen.one-time-code",
        Screen::ChooseMfa => "menu.screen.choose-mfa",
        Screen::AuthenticatorSetup => "menu.screen.authenticator-setup",
        Screen::Account => "menu.screen.account",
        Screen::ChangePassword => "menu.screen.change-password",
        Screen::DeleteAccount => "menu.screen.delete-account",
        Screen::Authenticator => "menu.screen.authenticator",
        Screen::ChangeEmail => "menu.screen.change-email",
        Screen::RememberDevice => "menu.screen.remember-device",
        Screen::Devices => "menu.screen.devices",
        Screen::ConfirmPassword => "menu.screen.confirm-password",
        Screen::Browser => "menu.screen.browser",
    }
}

/// The key of every field the menu draws; with the screen and the form's
/// epoch they make each field's id.
const FIELD_KEYS: [&str; 9] = [
    "menu.field.username",
    "menu.field.username-or-email",
    "menu.field.email",
    "menu.field.new-email",
    "menu.field.password",
    "menu.field.current-password",
    "menu.field.new-password",
    "menu.field.repeat-password",
    "menu.field.code",
];

/// The id of one field: its screen, its label and the form's epoch, which
/// changes whenever the form is cleared, so no state (undo history
/// included) is shared between screens or outlives what the player typed.
fn field_id(epoch: u64, screen: Screen, key: &str) -> Id {
    Id::new(("bevy_cognito_login::menu::field", epoch, screen, key))
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
            for key in FIELD_KEYS {
                data.remove::<TextEditState>(field_id(drawn, screen, key));
            }
        }
    });
}

/// What the fields of one frame did.
pub(super) struct Fields {
    /// The first empty field takes focus.
    pub(super) focus_first: bool,
    pub(super) submitted: bool,
    edited: bool,
    epoch: u64,
    screen: Screen,
    /// The sentences, in the form's locale.
    pub(super) texts: Translations,
    accent: Option<Color32>,
    on_accent: Option<Color32>,
}

impl Fields {
    /// The sentence for `key` in the form's locale.
    pub(super) fn t<'a>(&'a self, key: &'a str) -> &'a str {
        self.texts.get(key)
    }

    /// A single-line field labelled with `key`'s sentence; Enter in it
    /// submits the screen.
    pub(super) fn text(
        &mut self,
        ui: &mut Ui,
        key: &str,
        text: &mut String,
        masked: bool,
    ) -> Response {
        debug_assert!(FIELD_KEYS.contains(&key), "{key} has no id to forget");
        let id = field_id(self.epoch, self.screen, key);
        let label = ui.label(self.texts.get(key));
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
        key: &str,
        text: &mut String,
        shown: bool,
    ) -> Response {
        self.text(ui, key, text, !shown)
    }

    /// The screen's main button, as wide as the panel, in the accent colour
    /// (the game's button colours when the theme has none).
    pub(super) fn submit(&mut self, ui: &mut Ui, key: &str) -> bool {
        ui.add_space(ui.spacing().item_spacing.y);
        let mut label = RichText::new(self.texts.get(key)).strong();
        if let Some(color) = self.on_accent.filter(|_| self.accent.is_some()) {
            label = label.color(color);
        }
        let size = egui::vec2(ui.available_width(), ui.spacing().interact_size.y);
        let mut button = egui::Button::new(label).min_size(size);
        if let Some(accent) = self.accent {
            button = button.fill(accent);
        }
        let clicked = ui.add(button).clicked();
        std::mem::take(&mut self.submitted) || clicked
    }

    /// A link to another screen, labelled with `key`'s sentence.
    pub(super) fn link(&self, ui: &mut Ui, key: &str, to: Screen, next: &mut Option<Screen>) {
        // A selectable label's text selection names its node a label,
        // which would hide the link from a screen reader's list of links.
        // A link that does not fit the rest of its row starts the next one,
        // whole, instead of running down the panel's edge a letter at a time.
        let text = egui::WidgetText::from(self.t(key)).into_galley(
            ui,
            Some(egui::TextWrapMode::Extend),
            f32::INFINITY,
            egui::TextStyle::Body,
        );
        if ui.cursor().min.x > ui.max_rect().min.x
            && text.size().x > ui.available_size_before_wrap().x
        {
            ui.end_row();
        }
        let clicked = ui
            .scope(|ui| {
                ui.style_mut().interaction.selectable_labels = false;
                ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Extend);
                ui.link(self.t(key)).clicked()
            })
            .inner;
        if clicked {
            *next = Some(to);
        }
    }
}

pub(super) fn checked<T>(form: &mut LoginForm, result: Result<T, String>) -> Option<T> {
    result.map_err(|message| form.error = Some(message)).ok()
}

/// `value` trimmed, or `missing`'s sentence when it is empty.
pub(super) fn required(value: &str, fields: &Fields, missing: &str) -> Result<String, String> {
    let value = value.trim();
    if value.is_empty() {
        Err(fields.t(missing).to_owned())
    } else {
        Ok(value.to_owned())
    }
}

/// A required email address that looks like one.
pub(super) fn email_address(value: &str, fields: &Fields, missing: &str) -> Result<String, String> {
    let email = required(value, fields, missing)?;
    if looks_like_email(&email) {
        Ok(email)
    } else {
        Err(fields.t("menu.check.email-looks-wrong").to_owned())
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
pub(super) fn new_password(form: &LoginForm, fields: &Fields) -> Result<Password, String> {
    if form.password.is_empty() {
        return Err(fields.t("menu.check.choose-password").to_owned());
    }
    let policy = &form.settings.password_policy;
    if let Some(unmet) = policy.first_unmet_in(&form.password, &fields.texts) {
        return Err(unmet);
    }
    if form.password != form.repeat {
        return Err(fields.t("menu.check.passwords-differ").to_owned());
    }
    Ok(Password::new(form.password.clone()))
}

pub(super) fn show_toggle(ui: &mut Ui, form: &mut LoginForm, fields: &Fields) {
    ui.checkbox(&mut form.show_password, fields.t("menu.show-password"));
}

/// A new password, its repetition, the show toggle and the live checklist.
pub(super) fn new_password_fields(
    ui: &mut Ui,
    form: &mut LoginForm,
    fields: &mut Fields,
    key: &str,
) {
    fields.password(ui, key, &mut form.password, form.show_password);
    let repeat = "menu.field.repeat-password";
    fields.password(ui, repeat, &mut form.repeat, form.show_password);
    show_toggle(ui, form, fields);
    policy_checklist(ui, form, fields);
}

fn policy_checklist(ui: &mut Ui, form: &LoginForm, fields: &Fields) {
    let policy = &form.settings.password_policy;
    for check in policy.checks_in(&form.password, &fields.texts) {
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
pub(super) fn resend_button(ui: &mut Ui, form: &LoginForm, fields: &Fields, now: f64) -> bool {
    let wait = (form.resend_ready_at - now).ceil();
    if wait > 0.0 {
        ui.ctx().request_repaint_after(Duration::from_millis(250));
        let seconds = format!("{wait:.0}");
        let label = fields
            .texts
            .format("menu.button.resend-code-wait", &[("seconds", &seconds)]);
        ui.add_enabled(false, egui::Button::new(label));
        false
    } else {
        ui.button(fields.t("menu.button.resend-code")).clicked()
    }
}

/// An authenticator app's secret as a QR code of its `otpauth://` URI and
/// as a key to type.
pub(super) fn authenticator_key(
    ui: &mut Ui,
    fields: &Fields,
    secret: &AuthenticatorSecret,
    game_name: &str,
    account: &str,
) {
    qr_code(ui, fields, &secret.uri(game_name, account));
    ui.horizontal_wrapped(|ui| {
        ui.label(fields.t("menu.authenticator.key"));
        // Selectable, to copy; drawn as a label, never kept in egui's memory.
        ui.add(egui::Label::new(egui::RichText::new(secret.expose()).monospace()).selectable(true));
    });
}

/// `text` as a QR code: dark modules painted as squares on a light field
/// with the standard four-module quiet zone.
fn qr_code(ui: &mut Ui, fields: &Fields, text: &str) {
    let Ok(code) = qrcode::QrCode::new(text.as_bytes()) else {
        ui.label(fields.t("menu.authenticator.too-long"));
        return;
    };
    let width = code.width();
    let modules = width + 8;
    let module = (4.0 * super::theme::current_scale(ui)).round().max(2.0);
    let side = modules as f32 * module;
    let (rect, _) = ui.allocate_exact_size(egui::vec2(side, side), egui::Sense::hover());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 0.0, egui::Color32::WHITE);
    for (index, color) in code.to_colors().into_iter().enumerate() {
        if color == qrcode::Color::Dark {
            let (x, y) = ((index % width + 4) as f32, (index / width + 4) as f32);
            let min = rect.min + egui::vec2(x * module, y * module);
            painter.rect_filled(
                egui::Rect::from_min_size(min, egui::vec2(module, module)),
                0.0,
                egui::Color32::BLACK,
            );
        }
    }
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
