//! The menu's look and languages, with no window: every screen in every
//! shipped locale fits the themed panel at 720p and at 4K; every sentence
//! has its glyphs; every key the code asks for exists; fields and buttons
//! have names and roles for screen readers and errors are announced; the
//! locale switches at run time.

use std::collections::BTreeMap;

use bevy_cognito_login::menu::{
    AccountView, LoginForm, MenuSettings, MenuTheme, Screen, clipped_text, draw, draw_account,
    panel, panel_layout,
};
use cognito_login_client::{
    AuthAction, AuthError, AuthOutcome, AuthenticatorSecret, Challenge, ChallengeName, Device,
    IdentityProvider, ServerErrorKind, Translations,
};
use egui::accesskit::{Live, Role};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};

const ACCOUNT: AccountView<'static> = AccountView {
    username: "ada_lovelace",
    email: Some("ada.lovelace@example.com"),
    email_verified: true,
    authenticator: Some(false),
    email_codes: Some(false),
    this_device: Some("eu-west-1_device"),
    offline: false,
};

/// The form in `locale`, with "Remember me" and two browser sign-in
/// providers on its sign-in screen.
fn form_in(locale: &str) -> LoginForm {
    let mut form = LoginForm::new(MenuSettings {
        title: "Coin Game".into(),
        translations: Translations::shipped_in(locale),
        theme: MenuTheme::default(),
        ..MenuSettings::default()
    });
    form.offer_remember(Some(true));
    let provider = |name: &str, label: &str| IdentityProvider {
        name: name.into(),
        label: label.into(),
    };
    form.offer_browser(Some(vec![
        provider("Google", "Google"),
        provider("SignInWithApple", "Apple"),
    ]));
    form
}

/// `form` on `screen` in the state that shows the most text: a challenge
/// with its hint, a password breaking every rule, a device list, an error.
fn fill(form: &mut LoginForm, screen: Screen) {
    match screen {
        Screen::NewPassword
        | Screen::OneTimeCode
        | Screen::ChooseMfa
        | Screen::AuthenticatorSetup => {
            let name = match screen {
                Screen::NewPassword => ChallengeName::NewPasswordRequired,
                Screen::OneTimeCode => ChallengeName::SmsMfa,
                Screen::ChooseMfa => ChallengeName::SelectMfaType,
                _ => ChallengeName::MfaSetup,
            };
            form.show_challenge(Challenge {
                name,
                session: "session".into(),
                parameters: BTreeMap::from([
                    (
                        "CODE_DELIVERY_DESTINATION".to_owned(),
                        "+********4321".to_owned(),
                    ),
                    (
                        "MFAS_CAN_CHOOSE".to_owned(),
                        r#"["SOFTWARE_TOKEN_MFA","EMAIL_OTP","SMS_MFA"]"#.to_owned(),
                    ),
                ]),
                authenticator: Some(AuthenticatorSecret::new("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")),
            });
        }
        Screen::Devices => {
            form.show(screen);
            let device = |key: &str, name: &str| Device {
                key: key.into(),
                name: Some(name.into()),
                created: None,
                last_signed_in: Some(std::time::UNIX_EPOCH),
            };
            form.finish(
                AuthAction::ListDevices,
                &Ok(AuthOutcome::Devices(vec![
                    device("eu-west-1_device", "Coin Game on Linux"),
                    device("eu-west-1_other", "Coin Game on Windows"),
                ])),
            );
        }
        Screen::Authenticator => {
            form.show(Screen::Account);
            let secret = AuthenticatorSecret::new("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP");
            form.finish(
                AuthAction::AddAuthenticator,
                &Ok(AuthOutcome::AuthenticatorSecret(secret)),
            );
        }
        Screen::Browser => {
            // Its end, an error included, opens the sign-in screen.
            form.show(screen);
            return;
        }
        _ => form.show(screen),
    }
    let error = AuthError::Server {
        kind: ServerErrorKind::TooManyFailedAttempts,
        message: String::new(),
        status: 400,
    };
    let action = if screen.is_account() {
        AuthAction::ChangePassword
    } else {
        AuthAction::SignIn
    };
    form.finish(action, &Err(error));
}

/// Runs the panel with `form` at `size` (points) and returns the texts
/// that do not fit it.
fn clipped(form: LoginForm, size: egui::Vec2) -> (Vec<String>, egui::Rect) {
    let account = form.screen().is_account();
    let name = if account { "Account" } else { "Sign in" };
    let mut harness = Harness::builder().with_size(size).build_ui_state(
        move |ui, form: &mut LoginForm| {
            let theme = form.settings().theme.clone();
            panel(ui.ctx(), &theme, name, |ui| {
                if account {
                    draw_account(ui, form, ACCOUNT).map(drop)
                } else {
                    draw(ui, form).map(drop)
                }
            });
        },
        form,
    );
    // The fonts arrive on the second pass, the window's size on the third.
    harness.run_steps(8);
    let layout = panel_layout(&harness.ctx, name).expect("the panel was drawn");
    let mut cut = clipped_text(layout.rect, &harness.output().shapes);
    if layout.scrolls {
        cut.push("(the panel scrolls)".to_owned());
    }
    (cut, layout.rect)
}

#[test]
fn every_screen_fits_its_panel_in_every_locale_at_720p_and_4k() {
    let mut failures = Vec::new();
    for locale in Translations::shipped_in("en").locales() {
        let sizes = [
            egui::vec2(1280.0, 720.0),
            egui::vec2(3840.0, 2160.0),
            // Scaled by 0.89: the example game's window.
            egui::vec2(960.0, 640.0),
        ];
        for size in sizes {
            for screen in Screen::ALL {
                let mut form = form_in(locale);
                fill(&mut form, screen);
                assert_eq!(form.screen(), screen);
                let (cut, rect) = clipped(form, size);
                assert!(rect.width() > size.x / 5.0, "{locale} {screen:?}: {rect:?}");
                if !cut.is_empty() {
                    failures.push(format!("{locale} {screen:?} at {size:?}: {cut:?}"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "text cut off:\n{}",
        failures.join("\n")
    );
}

#[test]
fn the_layout_check_sees_text_that_does_not_fit() {
    let mut form = form_in("de");
    form.theme_mut().panel_width = 60.0;
    form.theme_mut().reference_height = None;
    fill(&mut form, Screen::SignUp);
    let (cut, _) = clipped(form, egui::vec2(400.0, 300.0));
    assert!(
        !cut.is_empty(),
        "a 60-point panel 300 points tall fits nothing"
    );
}

#[test]
fn the_panel_grows_with_the_window() {
    let small = clipped(form_in("en"), egui::vec2(1280.0, 720.0)).1;
    let large = clipped(form_in("en"), egui::vec2(3840.0, 2160.0)).1;
    assert!(
        large.width() > 2.5 * small.width(),
        "{small:?} at 720p, {large:?} at 4K"
    );
}

#[test]
fn every_shipped_sentence_has_its_glyphs() {
    let texts = Translations::shipped_in("en");
    let mut harness = Harness::new_ui(|ui| {
        bevy_cognito_login::menu::install_fonts(ui.ctx(), &MenuTheme::default());
    });
    harness.run_steps(2);
    let ctx = harness.ctx.clone();
    let font = egui::FontId::proportional(15.0);
    for locale in texts.locales() {
        // The pool's emails are sent, never drawn.
        for key in texts.keys(locale).filter(|key| !key.starts_with("email.")) {
            let text = texts.get_in(locale, key).unwrap();
            let missing: String = text
                .chars()
                .filter(|c| !ctx.fonts_mut(|fonts| fonts.has_glyphs(&font, &c.to_string())))
                .collect();
            assert!(
                missing.is_empty(),
                "{locale} {key}: no glyph for {missing:?}"
            );
        }
    }
}

/// Every `"menu.…"`, `"error.…"` and `"api.…"` key in the code has an
/// English sentence.
#[test]
fn every_key_the_code_uses_has_a_sentence() {
    let texts = Translations::shipped_in("en");
    let mut used = 0;
    let mut dirs = vec![
        std::path::PathBuf::from("src"),
        std::path::PathBuf::from("client/src"),
    ];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let source = std::fs::read_to_string(&path).unwrap();
            for literal in source.split('"').skip(1).step_by(2) {
                let is_key = ["menu.", "error.", "api."]
                    .iter()
                    .any(|prefix| literal.starts_with(prefix))
                    && literal
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c == '.' || c == '-');
                if is_key {
                    used += 1;
                    assert!(
                        texts.get_in("en", literal).is_some(),
                        "{} asks for {literal}, which has no sentence",
                        path.display()
                    );
                }
            }
        }
    }
    assert!(used > 100, "only {used} keys found");
}

#[test]
fn the_locale_switches_at_run_time() {
    let mut harness = Harness::builder().build_ui_state(
        |ui, form: &mut LoginForm| {
            draw(ui, form);
        },
        form_in("en"),
    );
    harness.run();
    harness.get_by_role_and_label(Role::Button, "Sign in");
    assert_eq!(harness.state_mut().select_locale("de-AT"), "de");
    harness.run();
    harness.get_by_role_and_label(Role::Button, "Anmelden");
    harness.get_by_label("Benutzername");
    assert_eq!(harness.state_mut().select_locale("ja_JP.UTF-8"), "ja");
    harness.run();
    harness.get_by_role_and_label(Role::Button, "サインイン");
    // An empty form is checked in the player's language.
    harness
        .get_by_role_and_label(Role::Button, "サインイン")
        .click();
    harness.run();
    assert_eq!(
        harness.state().error(),
        Some("ユーザー名を入力してください。")
    );
}

#[test]
fn server_words_keep_a_translated_lead() {
    let error = AuthError::Server {
        kind: ServerErrorKind::NotAuthorized,
        message: "Incorrect username or password.".into(),
        status: 400,
    };
    assert_eq!(error.player_message(), "Incorrect username or password.");
    let german = Translations::shipped_in("de");
    assert_eq!(
        error.player_message_in(&german),
        "Anmeldung abgelehnt: Incorrect username or password."
    );
    let mut form = form_in("pt-BR");
    form.finish(AuthAction::SignIn, &Err(error));
    assert_eq!(
        form.error(),
        Some("Login recusado: Incorrect username or password.")
    );
}

/// Every field and button of every screen has a name and its role; the
/// error is announced (an assertive live region) and a notice politely.
#[test]
fn screen_readers_get_names_roles_and_announcements() {
    for screen in Screen::ALL {
        let mut form = form_in("en");
        fill(&mut form, screen);
        let account = screen.is_account();
        let mut harness = Harness::builder().build_ui_state(
            move |ui, form: &mut LoginForm| {
                if account {
                    draw_account(ui, form, ACCOUNT);
                } else {
                    draw(ui, form);
                }
            },
            form,
        );
        // The browser's wait spins: a fixed number of passes.
        harness.run_steps(4);
        let inputs: Vec<_> = harness.query_all_by_role(Role::TextInput).collect();
        let buttons: Vec<_> = harness.query_all_by_role(Role::Button).collect();
        let links: Vec<_> = harness.query_all_by_role(Role::Link).collect();
        assert!(!buttons.is_empty(), "{screen:?} has no button");
        if screen == Screen::SignIn {
            // "Forgot password?", "Create account", "I have a code".
            assert_eq!(links.len(), 3, "the sign-in screen's links");
        }
        for node in inputs.iter().chain(&buttons).chain(&links) {
            let label = node.accesskit_node().label().unwrap_or_default();
            assert!(!label.trim().is_empty(), "{screen:?}: a nameless {node:?}");
        }
        if screen == Screen::Browser {
            let wait = harness.get_by_label("Finish signing in in your browser…");
            assert_eq!(wait.accesskit_node().live(), Live::Polite);
            continue;
        }
        let error = harness.get_by_label("Too many failed attempts. Wait a while and try again.");
        assert_eq!(error.accesskit_node().live(), Live::Assertive, "{screen:?}");
    }

    let mut form = form_in("en");
    form.finish(AuthAction::SignOutEverywhere, &Ok(AuthOutcome::SignedOut));
    let mut harness = Harness::builder().build_ui_state(
        |ui, form: &mut LoginForm| {
            draw(ui, form);
        },
        form,
    );
    harness.run();
    let notice = harness.get_by_label("Signed out on every device.");
    assert_eq!(notice.accesskit_node().live(), Live::Polite);
}

/// The game's egui style, set with `game`, and the style the menu's panel
/// draws with over it.
fn panel_style(
    theme: MenuTheme,
    game: impl Fn(&mut egui::Style) + 'static,
) -> (egui::Style, egui::Style) {
    type Seen = Option<(egui::Style, egui::Style)>;
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1280.0, 720.0))
        .build_ui_state(
            move |ui, seen: &mut Seen| {
                ui.ctx().all_styles_mut(&game);
                let games = (*ui.ctx().global_style()).clone();
                panel(ui.ctx(), &theme, "Sign in", |ui| {
                    *seen = Some((games, (**ui.style()).clone()));
                    None::<()>
                });
            },
            None,
        );
    harness.run_steps(3);
    harness.state().clone().expect("the panel was drawn")
}

/// A studio's own egui look: its spacing, text, corners, margins, colours.
fn studio(style: &mut egui::Style) {
    style.spacing.item_spacing = egui::vec2(13.0, 11.0);
    style.spacing.button_padding = egui::vec2(9.0, 7.0);
    style.spacing.window_margin = egui::Margin::same(5);
    style
        .text_styles
        .insert(egui::TextStyle::Body, egui::FontId::monospace(19.0));
    style.visuals.window_corner_radius = egui::CornerRadius::same(3);
    style.visuals.hyperlink_color = egui::Color32::RED;
    style.visuals.selection.stroke.color = egui::Color32::RED;
}

#[test]
fn a_theme_on_the_games_style_changes_only_what_it_names() {
    // Nothing named: the game's style as it is (text wraps in the panel).
    let (mut game, menu) = panel_style(MenuTheme::game_style(), studio);
    assert_eq!(game.spacing.item_spacing, egui::vec2(13.0, 11.0));
    game.wrap_mode = Some(egui::TextWrapMode::Wrap);
    assert_eq!(menu, game);

    // Only the accent named: only the accent's colours change.
    let gold = egui::Color32::from_rgb(232, 168, 48);
    let theme = MenuTheme {
        accent: Some(gold),
        ..MenuTheme::game_style()
    };
    let (_, menu) = panel_style(theme, studio);
    assert_eq!(menu.visuals.hyperlink_color, gold);
    assert_eq!(menu.visuals.selection.stroke.color, gold);
    assert_eq!(menu.spacing, game.spacing);
    assert_eq!(menu.text_styles, game.text_styles);
    assert_eq!(
        menu.visuals.window_corner_radius,
        game.visuals.window_corner_radius
    );

    // The default theme sets its own sizes over the game's.
    let (_, menu) = panel_style(MenuTheme::default(), studio);
    assert_ne!(menu.spacing.item_spacing, game.spacing.item_spacing);
    assert_ne!(menu.text_styles, game.text_styles);
    assert_ne!(menu.visuals.hyperlink_color, egui::Color32::RED);
}

#[test]
fn every_screen_fits_a_panel_in_egui_s_own_style() {
    let mut failures = Vec::new();
    for locale in Translations::shipped_in("en").locales() {
        for screen in Screen::ALL {
            let mut form = form_in(locale);
            *form.theme_mut() = MenuTheme::game_style();
            fill(&mut form, screen);
            let (cut, _) = clipped(form, egui::vec2(1280.0, 720.0));
            if !cut.is_empty() {
                failures.push(format!("{locale} {screen:?}: {cut:?}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "text cut off:\n{}",
        failures.join("\n")
    );
}
