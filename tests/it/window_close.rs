//! Closing the window with the menu on: the game exits, nothing panics.
//!
//! In `Last`, bevy_winit 0.19 gives every window whose cursor icon changed
//! a pending cursor with a plain `insert`, unordered against
//! `close_when_requested`, which despawns the window closed the frame
//! before. When egui changes the cursor in that frame and the despawn is
//! applied first, Bevy's default error handler panics: the game crashed on
//! quit now and then. bevy_winit's system is private and needs an event
//! loop, so a stand-in does the same here, ordered so that the despawn is
//! always applied first: the losing order of the race, every time.

use bevy::prelude::*;
use bevy::window::{
    CursorIcon, ExitCondition, ExitSystems, SystemCursorIcon, WindowCloseRequested, WindowPlugin,
    close_when_requested,
};
use bevy_cognito_login::client::AuthOutcome;
use bevy_cognito_login::prelude::*;
use bevy_cognito_login::test_utils::CannedTransport;
use bevy_egui::EguiPostUpdateSet;
use std::time::Duration;

/// What bevy_winit's `update_cursors` inserts.
#[derive(Component)]
struct PendingCursor;

/// bevy_winit's `update_cursors`: a pending cursor for each window whose
/// icon changed.
fn update_cursors(windows: Query<(Entity, Ref<CursorIcon>), With<Window>>, mut commands: Commands) {
    for (window, icon) in &windows {
        if icon.is_changed() {
            commands.entity(window).insert(PendingCursor);
        }
    }
}

/// bevy_egui's output when the pointer is over a text field: a new icon
/// on the window, every frame.
fn egui_changes_the_cursor(windows: Query<Entity, With<Window>>, mut commands: Commands) {
    for window in &windows {
        commands
            .entity(window)
            .try_insert(CursorIcon::System(SystemCursorIcon::Text));
    }
}

#[test]
fn closing_the_window_while_egui_changes_the_cursor_exits_cleanly() {
    let transport = CannedTransport::new(|_| (Duration::from_secs(60), Ok(AuthOutcome::SignedOut)));
    let mut app = crate::support::headless_menu_app(
        WindowPlugin {
            exit_condition: ExitCondition::OnPrimaryClosed,
            ..default()
        },
        CognitoLoginPlugin::new(transport.backend()).with_menu(crate::support::english()),
    );
    app.add_systems(
        PostUpdate,
        egui_changes_the_cursor.in_set(EguiPostUpdateSet::ProcessOutput),
    )
    .add_systems(
        Last,
        update_cursors
            .after_ignore_deferred(close_when_requested)
            .before(ExitSystems),
    );
    app.update();
    let window = app
        .world_mut()
        .query_filtered::<Entity, With<Window>>()
        .single(app.world())
        .unwrap();
    assert!(
        app.world().get::<PendingCursor>(window).is_some(),
        "the stand-in sees egui's cursor"
    );

    app.world_mut()
        .write_message(WindowCloseRequested { window });
    app.update(); // marks the window as closing
    assert_eq!(app.should_exit(), None);
    app.update(); // despawns it, with egui still changing the cursor
    assert!(
        app.world().get_entity(window).is_err(),
        "the window is gone"
    );
    assert_eq!(app.should_exit(), Some(AppExit::Success));
}
