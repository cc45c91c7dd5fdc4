//! Gamepads drive the login menu: the D-pad and the left stick move the
//! focus in reading order (held, they repeat), South (A) presses the focused
//! button, East (B) goes back a screen, Start sends the screen. Each step is
//! a [`MenuNavigation`] message, which a game with its own input mapping may
//! write as well.

use bevy::input::InputSystems;
use bevy::prelude::*;
use bevy_egui::input::EguiInputEvent;
use bevy_egui::{EguiContext, EguiInputSet, PrimaryEguiContext};

use super::AuthState;
use super::menu_window::LoginMenu;
use crate::menu::{MenuInput, Navigated};

/// One step of navigation through the login menu: what a gamepad asked
/// for, or what the game's own input mapping writes. Applied while the menu
/// is drawn (signed out, or with the account screens open).
#[derive(Message, Debug, Clone, Copy, PartialEq, Eq)]
pub struct MenuNavigation(pub MenuInput);

/// How far the left stick leans before it moves the focus.
const STICK_THRESHOLD: f32 = 0.5;
/// A held direction repeats after this long…
const REPEAT_DELAY: f64 = 0.4;
/// …every this long.
const REPEAT_EVERY: f64 = 0.12;

pub(super) fn build(app: &mut App) {
    app.add_message::<MenuNavigation>().add_systems(
        PreUpdate,
        (
            read_gamepads.after(InputSystems),
            apply_navigation
                .after(read_gamepads)
                .in_set(EguiInputSet::ReadBevyMessages),
        ),
    );
}

/// The direction held, and when it next repeats.
#[derive(Default)]
struct Held {
    direction: Option<MenuInput>,
    next_at: f64,
}

/// Every connected gamepad's presses, as [`MenuNavigation`]. Real time, so
/// a paused game's menu still repeats.
fn read_gamepads(
    gamepads: Query<&Gamepad>,
    time: Res<Time<Real>>,
    mut held: Local<Held>,
    mut navigation: MessageWriter<MenuNavigation>,
) {
    let now = time.elapsed_secs_f64();
    let mut direction = None;
    for gamepad in &gamepads {
        let lean = gamepad.dpad() + gamepad.left_stick();
        // Up or left: back through the reading order; down or right: on.
        if lean.y > STICK_THRESHOLD || lean.x < -STICK_THRESHOLD {
            direction = Some(MenuInput::Previous);
        } else if lean.y < -STICK_THRESHOLD || lean.x > STICK_THRESHOLD {
            direction = Some(MenuInput::Next);
        }
        for (button, input) in [
            (GamepadButton::South, MenuInput::Activate),
            (GamepadButton::East, MenuInput::Back),
            (GamepadButton::Start, MenuInput::Submit),
        ] {
            if gamepad.just_pressed(button) {
                navigation.write(MenuNavigation(input));
            }
        }
    }
    match direction {
        Some(input) if held.direction != Some(input) => {
            navigation.write(MenuNavigation(input));
            *held = Held {
                direction,
                next_at: now + REPEAT_DELAY,
            };
        }
        Some(input) if now >= held.next_at => {
            navigation.write(MenuNavigation(input));
            held.next_at = now + REPEAT_EVERY;
        }
        Some(_) => {}
        None => held.direction = None,
    }
}

/// Carries the navigation out on the menu that is drawn: the form's own
/// steps (back, send), or egui's keyboard events for its focus.
fn apply_navigation(
    mut navigation: MessageReader<MenuNavigation>,
    menu: Option<ResMut<LoginMenu>>,
    state: Res<State<AuthState>>,
    mut contexts: Query<(Entity, &mut EguiContext), With<PrimaryEguiContext>>,
    mut egui_events: MessageWriter<EguiInputEvent>,
) {
    let Some(mut menu) = menu else {
        navigation.clear();
        return;
    };
    let shown = menu.is_shown(*state.get());
    if !shown {
        navigation.clear();
        return;
    }
    let mut context = contexts.single_mut().ok();
    for MenuNavigation(input) in navigation.read() {
        let typing = context
            .as_mut()
            .is_some_and(|(_, ctx)| ctx.get_mut().text_edit_focused());
        match menu.form.navigate(*input, typing) {
            Navigated::Nothing => {}
            Navigated::CloseAccount => menu.close_account(),
            Navigated::Events(events) => {
                if let Some((entity, _)) = &context {
                    for event in events {
                        egui_events.write(EguiInputEvent {
                            context: *entity,
                            event,
                        });
                    }
                }
            }
        }
    }
}
