//! The login menu with a gamepad. In egui's test harness, each
//! [`MenuInput`] a gamepad maps to moves the focus in reading order,
//! presses the focused button, goes back a screen or sends it. In a
//! headless App, a gamepad's button and stick messages (as `bevy_gilrs`
//! writes them) reach the menu as [`MenuNavigation`], held directions
//! repeat, and the menu goes back a screen on East.

use std::time::Duration;

use bevy::input::gamepad::{
    GamepadConnection, GamepadConnectionEvent, RawGamepadAxisChangedEvent,
    RawGamepadButtonChangedEvent, RawGamepadEvent,
};
use bevy::prelude::*;
use bevy_cognito_login::client::{AuthAction, AuthOutcome, AuthRequest};
use bevy_cognito_login::menu::{LoginForm, MenuAction, MenuInput, Navigated, Screen, draw};
use bevy_cognito_login::prelude::*;
use bevy_cognito_login::test_utils::{CannedTransport, TestApp};
use bevy_cognito_login::{LoginMenu, MenuNavigation};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable, by};

struct Menu {
    form: LoginForm,
    sent: Vec<AuthRequest>,
}

fn harness() -> Harness<'static, Menu> {
    let mut harness = Harness::new_ui_state(
        |ui, menu: &mut Menu| {
            if let Some(MenuAction::Send(request)) = draw(ui, &mut menu.form) {
                menu.sent.push(request);
            }
        },
        Menu {
            form: LoginForm::new(crate::support::english()),
            sent: Vec::new(),
        },
    );
    harness.run_steps(3);
    harness
}

/// What the plugin does with a gamepad's step: the form's own change, or
/// egui's key events for the next pass.
fn press(harness: &mut Harness<'_, Menu>, input: MenuInput) {
    let typing = harness.ctx.text_edit_focused();
    if let Navigated::Events(events) = harness.state_mut().form.navigate(input, typing) {
        for event in events {
            harness.event(event);
        }
    }
    harness.run_steps(2);
}

/// The label of the focused widget.
fn focused(harness: &Harness<'_, Menu>) -> String {
    harness
        .query_all(by().predicate(|node| node.is_focused()))
        .find_map(|node| node.accesskit_node().label())
        .unwrap_or_else(|| "nothing".to_owned())
}

#[test]
fn the_focus_moves_in_reading_order_and_back() {
    let mut harness = harness();
    assert_eq!(focused(&harness), "Username", "the first empty field");
    let mut order = Vec::new();
    for _ in 0..6 {
        press(&mut harness, MenuInput::Next);
        order.push(focused(&harness));
    }
    assert_eq!(
        order,
        [
            "Password",
            "Show password",
            "Sign in",
            "Forgot password?",
            "Create account",
            "I have a code"
        ]
    );
    press(&mut harness, MenuInput::Previous);
    assert_eq!(focused(&harness), "Create account");
}

#[test]
fn south_presses_the_focused_button_and_never_a_field_being_typed_in() {
    let mut harness = harness();
    harness.get_by_label("Username").type_text("ada");
    harness.run_steps(2);
    press(&mut harness, MenuInput::Activate);
    assert!(
        harness.state().sent.is_empty(),
        "typing: nothing is pressed"
    );
    assert_eq!(harness.state().form.error(), None);

    press(&mut harness, MenuInput::Next);
    harness.get_by_label("Password").type_text("Secret-Pass-1");
    harness.run_steps(2);
    press(&mut harness, MenuInput::Next);
    press(&mut harness, MenuInput::Next);
    assert_eq!(focused(&harness), "Sign in");
    press(&mut harness, MenuInput::Activate);
    assert_eq!(harness.state().form.error(), None);
    let sent = &harness.state().sent;
    assert!(
        matches!(sent.as_slice(), [AuthRequest::SignIn { username, .. }] if username == "ada"),
        "{sent:?}"
    );
    assert!(harness.state().form.is_busy());
    press(&mut harness, MenuInput::Submit);
    press(&mut harness, MenuInput::Back);
    assert_eq!(harness.state().sent.len(), 1, "nothing while busy");
    assert_eq!(harness.state().form.screen(), Screen::SignIn);
}

#[test]
fn start_sends_the_screen_and_east_goes_back() {
    let mut harness = harness();
    harness.get_by_label("Create account").click();
    harness.run_steps(2);
    assert_eq!(harness.state().form.screen(), Screen::SignUp);
    press(&mut harness, MenuInput::Submit);
    assert!(harness.state().sent.is_empty(), "an empty form is checked");
    assert!(harness.state().form.error().is_some());
    press(&mut harness, MenuInput::Back);
    assert_eq!(harness.state().form.screen(), Screen::SignIn);
    press(&mut harness, MenuInput::Back);
    assert_eq!(
        harness.state().form.screen(),
        Screen::SignIn,
        "the first screen stays"
    );

    for (label, text) in [("Username", "ada"), ("Password", "Secret-Pass-1")] {
        harness.get_by_label(label).click();
        harness.run_steps(2);
        harness.get_by_label(label).type_text(text);
        harness.run_steps(2);
    }
    press(&mut harness, MenuInput::Submit);
    assert_eq!(harness.state().sent.len(), 1);
    let follow_up = harness.state_mut().form.finish(
        AuthAction::SignIn,
        &Err(bevy_cognito_login::client::AuthError::Cancelled),
    );
    assert!(follow_up.is_empty());
    assert!(!harness.state().form.is_busy());
}

#[test]
fn back_from_the_account_overview_closes_the_account_screens() {
    let mut form = LoginForm::new(crate::support::english());
    form.show(Screen::Devices);
    assert_eq!(form.navigate(MenuInput::Back, false), Navigated::Nothing);
    assert_eq!(form.screen(), Screen::Account);
    assert_eq!(
        form.navigate(MenuInput::Back, false),
        Navigated::CloseAccount
    );
}

#[derive(Resource, Default)]
struct Seen(Vec<MenuInput>);

fn app() -> (App, Entity) {
    let transport = CannedTransport::new(|_| (Duration::from_secs(60), Ok(AuthOutcome::SignedOut)));
    let mut app = crate::support::headless_menu_app(
        bevy::window::WindowPlugin {
            primary_window: None,
            exit_condition: bevy::window::ExitCondition::DontExit,
            ..default()
        },
        CognitoLoginPlugin::new(transport.backend()).with_menu(crate::support::english()),
    );
    app.init_resource::<Seen>().add_systems(
        Update,
        |mut seen: ResMut<Seen>, mut navigation: MessageReader<MenuNavigation>| {
            seen.0.extend(navigation.read().map(|step| step.0));
        },
    );
    let gamepad = app.world_mut().spawn_empty().id();
    app.world_mut().write_message(GamepadConnectionEvent::new(
        gamepad,
        GamepadConnection::Connected {
            name: "Steam Deck".into(),
            vendor_id: Some(0x28de),
            product_id: Some(0x1205),
        },
    ));
    app.update_for(Duration::from_millis(50));
    (app, gamepad)
}

fn button(app: &mut App, gamepad: Entity, button: GamepadButton, value: f32) {
    app.world_mut()
        .write_message(RawGamepadEvent::Button(RawGamepadButtonChangedEvent::new(
            gamepad, button, value,
        )));
    app.update();
}

fn stick(app: &mut App, gamepad: Entity, value: f32) {
    app.world_mut()
        .write_message(RawGamepadEvent::Axis(RawGamepadAxisChangedEvent::new(
            gamepad,
            GamepadAxis::LeftStickY,
            value,
        )));
}

fn seen(app: &App) -> Vec<MenuInput> {
    app.world().resource::<Seen>().0.clone()
}

#[test]
fn a_gamepad_reaches_the_menu() {
    let (mut app, gamepad) = app();
    app.world_mut()
        .resource_mut::<LoginMenu>()
        .form
        .show(Screen::SignUp);

    button(&mut app, gamepad, GamepadButton::East, 1.0);
    button(&mut app, gamepad, GamepadButton::East, 0.0);
    assert_eq!(seen(&app), [MenuInput::Back]);
    assert_eq!(
        app.world().resource::<LoginMenu>().form.screen(),
        Screen::SignIn,
        "East went back a screen"
    );

    button(&mut app, gamepad, GamepadButton::South, 1.0);
    button(&mut app, gamepad, GamepadButton::South, 0.0);
    button(&mut app, gamepad, GamepadButton::Start, 1.0);
    button(&mut app, gamepad, GamepadButton::Start, 0.0);
    button(&mut app, gamepad, GamepadButton::DPadUp, 1.0);
    button(&mut app, gamepad, GamepadButton::DPadUp, 0.0);
    assert_eq!(
        seen(&app)[1..],
        [MenuInput::Activate, MenuInput::Submit, MenuInput::Previous]
    );

    // The stick held down: one step, then repeats.
    stick(&mut app, gamepad, -0.9);
    app.update_for(Duration::from_millis(900));
    let held = seen(&app)[4..].to_vec();
    assert!(
        held.len() >= 3 && held.iter().all(|step| *step == MenuInput::Next),
        "{held:?}"
    );
    stick(&mut app, gamepad, 0.0);
    app.update();
    let settled = seen(&app).len();
    app.update_for(Duration::from_millis(300));
    assert_eq!(seen(&app).len(), settled, "released: no more steps");
}
