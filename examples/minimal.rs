//! The smallest game with an account menu: the local login backend, the
//! plugin, and a greeting once signed in. Run: `cargo run --example minimal`.

use bevy::prelude::*;
use bevy_cognito_login::prelude::*;
use cognito_login_backend::{LocalConfig, LocalStack};

fn main() -> AppExit {
    // The login backend over an embedded Cognito emulator; codes are in the log.
    let backend = LocalStack::spawn(LocalConfig::default()).expect("the local backend starts");
    App::new()
        .add_plugins(DefaultPlugins)
        .add_plugins(CognitoLoginPlugin::new(
            backend.endpoints().api_gateway_config(),
        ))
        .add_systems(Startup, |mut commands: Commands| {
            commands.spawn(Camera2d);
        })
        .add_systems(OnEnter(AuthState::SignedIn), |session: Res<AuthSession>| {
            info!("signed in as {} ({})", session.username, session.sub);
        })
        .run()
}
