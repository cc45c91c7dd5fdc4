//! The plugin among others: where bevy_egui's `EguiPlugin` may go.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bevy::prelude::*;
use bevy::window::WindowPlugin;
use bevy_cognito_login::client::AuthOutcome;
use bevy_cognito_login::prelude::*;
use bevy_cognito_login::test_utils::CannedTransport;

/// A log that tests can read.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Log {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What `run` returned, and what it logged on this thread.
fn logged<R>(run: impl FnOnce() -> R) -> (R, String) {
    let log = Log::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let returned = tracing::subscriber::with_default(subscriber, run);
    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    (returned, text)
}

fn plugin(transport: &CannedTransport) -> CognitoLoginPlugin {
    CognitoLoginPlugin::new(transport.backend()).with_menu(crate::support::english())
}

#[test]
fn an_egui_plugin_added_after_this_one_is_explained_before_bevy_refuses_it() {
    let transport = CannedTransport::new(|_| (Duration::from_secs(60), Ok(AuthOutcome::SignedOut)));
    let (refused, log) = logged(|| {
        let mut app =
            crate::support::headless_menu_app(WindowPlugin::default(), plugin(&transport));
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            app.add_plugins(bevy_egui::EguiPlugin::default());
        }))
    });
    let panic = refused.expect_err("Bevy refuses a second EguiPlugin");
    let said = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(said.contains("EguiPlugin"), "{said}");
    assert!(
        log.contains(
            "bevy_cognito_login added bevy_egui's EguiPlugin: a game that adds its own adds it \
             before CognitoLoginPlugin"
        ),
        "{log}"
    );

    // Added before, the game's own is kept, and nothing is said.
    let ((), log) = logged(|| {
        let mut app = crate::support::headless_app(WindowPlugin::default());
        app.add_plugins(bevy_egui::EguiPlugin::default())
            .add_plugins(plugin(&transport));
        app.update();
    });
    assert!(!log.contains("added bevy_egui's EguiPlugin"), "{log}");
}
