//! Frame cost of the plugin, measured against a bare App in the same run.
//!
//! `cargo bench --bench frame` prints, for a headless App (`MinimalPlugins`
//! + `StatesPlugin`, menu off):
//! - the mean main-thread cost of a frame with the plugin, idle, over a bare App;
//! - the longest frame while a sign-up and a sign-in wait on a backend that
//!   answers after 300 ms, next to the longest frame of a bare App.

use std::time::{Duration, Instant};

use bevy::ecs::system::RunSystemOnce;
use bevy::prelude::*;
use bevy::state::app::StatesPlugin;
use bevy_cognito_login::prelude::*;

const FRAMES: u32 = 20_000;

fn bare() -> App {
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, StatesPlugin));
    app.update();
    app
}

fn with_plugin(url: &str) -> App {
    let mut app = bare();
    app.add_plugins(
        CognitoLoginPlugin::new(ApiGatewayConfig::unverified(url))
            .without_menu()
            .without_session(),
    );
    app.update();
    app
}

/// Mean and longest frame over `frames` updates.
fn frames(app: &mut App, frames: u32) -> (Duration, Duration) {
    let mut longest = Duration::ZERO;
    let start = Instant::now();
    for _ in 0..frames {
        let frame = Instant::now();
        app.update();
        longest = longest.max(frame.elapsed());
    }
    (start.elapsed() / frames, longest)
}

#[path = "../tests/it/support.rs"]
mod support;

fn main() {
    let url = support::slow_backend(Duration::from_millis(300));

    let (bare_mean, bare_longest) = frames(&mut bare(), FRAMES);
    let (plugin_mean, _) = frames(&mut with_plugin(&url), FRAMES);
    println!(
        "idle frame: bare App {:.2} µs, with the plugin {:.2} µs: {:+.2} µs per frame",
        micros(bare_mean),
        micros(plugin_mean),
        micros(plugin_mean) - micros(bare_mean)
    );

    let mut app = with_plugin(&url);
    let mut longest = Duration::ZERO;
    let mut flow = |app: &mut App, start: fn(&mut AuthCommands), done: fn(&World) -> bool| {
        app.world_mut()
            .run_system_once(move |mut auth: AuthCommands| start(&mut auth))
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !done(app.world()) {
            assert!(Instant::now() < deadline, "the slow backend did not answer");
            let frame = Instant::now();
            app.update();
            longest = longest.max(frame.elapsed());
        }
    };
    flow(
        &mut app,
        |auth| {
            auth.sign_up("b", "b@example.com", "Secret-Pass-1").unwrap();
        },
        // Done once the CodeSent message is written.
        |world| {
            !world
                .resource::<Messages<bevy_cognito_login::CodeSent>>()
                .is_empty()
        },
    );
    flow(
        &mut app,
        |auth| {
            auth.sign_in("b", "Secret-Pass-1").unwrap();
        },
        |world| world.contains_resource::<AuthSession>(),
    );
    println!(
        "longest frame during sign-up and sign-in with a 300 ms backend: {:.2} ms (bare App: {:.2} ms)",
        millis(longest),
        millis(bare_longest)
    );
}

fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}
