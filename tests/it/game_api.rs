//! `GameApi` in a headless App: the signed-in player's profile read and
//! written through the local backend's `/profile`, over real loopback HTTP.

use bevy::ecs::system::RunSystemOnce;
use bevy::prelude::*;
use bevy::state::app::StatesPlugin;
use bevy_cognito_login::client::{ApiCallId, ApiError, GameApiConfig};
use bevy_cognito_login::prelude::*;
use bevy_cognito_login::test_utils::TestApp;
use bevy_cognito_login::{AccountConfirmed, ApiReplied, GameApi};
use cognito_login_backend::{CodePurpose, LocalConfig, LocalStack};
use serde_json::{Value, json};

const PASSWORD: &str = "Secret-Pass-1";

#[derive(Resource, Default)]
struct Replies(Vec<ApiReplied>, usize);

#[derive(serde::Deserialize, Debug, PartialEq)]
struct Profile {
    version: u64,
    data: Value,
}

fn api<T: 'static>(
    app: &mut App,
    call: impl FnOnce(&mut GameApi) -> T + Send + Sync + 'static,
) -> T {
    let mut call = Some(call);
    app.world_mut()
        .run_system_once(move |mut api: GameApi| (call.take().expect("runs once"))(&mut api))
        .unwrap()
}

fn reply(app: &mut App, id: ApiCallId) -> ApiReplied {
    app.update_until("the API's answer", move |app| {
        app.world()
            .resource::<Replies>()
            .0
            .iter()
            .any(|r| r.id == id)
    });
    let replies = &app.world().resource::<Replies>().0;
    replies.iter().find(|r| r.id == id).unwrap().clone()
}

#[test]
fn the_signed_in_player_keeps_a_profile_through_the_game_api() {
    let backend = LocalStack::spawn(LocalConfig::default()).unwrap();
    let endpoints = backend.endpoints();
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, StatesPlugin))
        .add_plugins(
            CognitoLoginPlugin::new(endpoints.api_gateway_config())
                .without_menu()
                .without_session()
                .with_game_api(GameApiConfig::new(&endpoints.url)),
        )
        .init_resource::<Replies>()
        .add_systems(
            Update,
            |mut replies: ResMut<Replies>,
             mut read: MessageReader<ApiReplied>,
             mut confirmed: MessageReader<AccountConfirmed>| {
                replies.0.extend(read.read().cloned());
                replies.1 += confirmed.read().count();
            },
        );
    app.update();
    assert_eq!(
        api(&mut app, |api| api.get("/profile")),
        Err(ApiError::SignedOut),
        "signed out, a call fails at once"
    );

    app.auth(|auth| auth.sign_up("ada", "ada@example.com", PASSWORD))
        .unwrap();
    app.update_until("the code", |_| {
        backend
            .mailbox()
            .unwrap()
            .latest_code("ada", CodePurpose::ConfirmSignUp)
            .is_some()
    });
    // The sign-up's answer follows its code.
    app.update_until_idle();
    let code = backend
        .mailbox()
        .unwrap()
        .latest_code("ada", CodePurpose::ConfirmSignUp)
        .unwrap();
    let confirmed = app
        .world_mut()
        .register_system(|mut read: MessageReader<AccountConfirmed>| read.read().count());
    app.auth(move |auth| auth.confirm_sign_up("ada", code))
        .unwrap();
    let mut seen = 0;
    app.update_until("the confirmation", |_| true);
    while seen == 0 {
        app.update();
        seen += app.world_mut().run_system(confirmed).unwrap();
    }
    app.auth(|auth| auth.sign_in("ada", PASSWORD)).unwrap();
    app.update_until("signed in", |app| app.auth_state() == AuthState::SignedIn);

    let write = api(&mut app, |api| {
        api.put("/profile", &json!({"version": 0, "data": {"best": 12}}))
    })
    .unwrap();
    assert_eq!(reply(&mut app, write).result, Ok(json!({"version": 1})));
    let read = api(&mut app, |api| api.get("/profile")).unwrap();
    assert_eq!(
        reply(&mut app, read).json::<Profile>(),
        Ok(Profile {
            version: 1,
            data: json!({"best": 12})
        })
    );
    let stale = api(&mut app, |api| {
        api.put("/profile", &json!({"version": 0, "data": {"best": 1}}))
    })
    .unwrap();
    let error = reply(&mut app, stale).result.unwrap_err();
    assert!(
        error.player_message().contains("changed since version 0"),
        "{}",
        error.player_message()
    );

    app.auth(|auth| auth.sign_out()).unwrap();
    app.update();
    assert_eq!(
        api(&mut app, |api| api.get("/profile")),
        Err(ApiError::SignedOut)
    );
}

#[test]
fn without_a_game_api_the_calls_say_so() {
    let backend = LocalStack::spawn(LocalConfig::default()).unwrap();
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, StatesPlugin)).add_plugins(
        CognitoLoginPlugin::new(backend.endpoints().api_gateway_config())
            .without_menu()
            .without_session(),
    );
    app.update();
    let error = api(&mut app, |api| api.get("/profile")).unwrap_err();
    assert!(error.to_string().contains("game_api"), "{error}");
}

/// A game's system may take `AuthCommands` and `GameApi` together.
#[test]
fn one_system_can_take_both_auth_commands_and_the_game_api() {
    let backend = LocalStack::spawn(LocalConfig::default()).unwrap();
    let endpoints = backend.endpoints();
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, StatesPlugin)).add_plugins(
        CognitoLoginPlugin::new(endpoints.api_gateway_config())
            .without_menu()
            .without_session()
            .with_game_api(GameApiConfig::new(&endpoints.url)),
    );
    app.update();
    let result = app
        .world_mut()
        .run_system_once(|auth: AuthCommands, mut api: GameApi| {
            (auth.running(), api.get("/profile"))
        })
        .expect("the two parameters do not conflict");
    assert_eq!(result, (None, Err(ApiError::SignedOut)));
}
