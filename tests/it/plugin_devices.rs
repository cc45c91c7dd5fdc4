//! Remembered devices in the plugin: the device a sign-in offers is
//! remembered on the player's word, kept in the store apart from the
//! session (a sign-out keeps it), proved at the next launch's sign-in with
//! the username or the email address, never offered to another player, and
//! forgotten with the account. The server's half of device SRP is tested
//! in the client crate (`srp_exchange`), `ConfirmDevice` against cognitox
//! (`flows`) and the keychain entry against a real Secret Service
//! (`keychain`).

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bevy::prelude::*;
use bevy::state::app::StatesPlugin;
use bevy_cognito_login::client::{
    AuthError, AuthOutcome, AuthRequest, NewDevice, RememberedDevice, ServerErrorKind, Tokens,
};
use bevy_cognito_login::prelude::*;
use bevy_cognito_login::test_utils::{CannedTransport, MemoryStore, TestApp, unsigned_jwt};
use bevy_cognito_login::{AuthCommandError, DeviceRemembered, SessionSettings, SignOutReason};

const ADA: &str = "4f1c0a2e-ada";
const BOB: &str = "77aa0b1c-bob";

/// Tokens of `account` with `email`, offering `device` to remember.
fn tokens(account: &str, email: &str, device: Option<&str>) -> Tokens {
    let exp = (SystemTime::now() + Duration::from_secs(3600))
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = serde_json::json!({"sub": account, "cognito:username": account,
        "email": email, "iat": exp - 3600, "exp": exp});
    let mut tokens = Tokens::new(
        unsigned_jwt(&claims).into(),
        unsigned_jwt(&claims).into(),
        Some(format!("refresh-{account}").into()),
        None,
        SystemTime::now(),
    );
    tokens.expires_at = None;
    tokens.new_device = device.map(|key| NewDevice {
        key: key.into(),
        group_key: "-group".into(),
    });
    tokens
}

/// A backend where "ada" (or her email) and "bob" sign in, each offered a
/// device; `remember` answers `RememberDevice`.
fn backend(remember: Result<AuthOutcome, AuthError>) -> CannedTransport {
    offering("dev-ada", remember)
}

/// The same, offering ada the device `ada_device`.
fn offering(ada_device: &'static str, remember: Result<AuthOutcome, AuthError>) -> CannedTransport {
    CannedTransport::new(move |request| {
        let answer = match request {
            AuthRequest::SignIn { username, .. } if username.to_lowercase().contains("bob") => Ok(
                AuthOutcome::Tokens(tokens(BOB, "bob@example.com", Some("dev-bob"))),
            ),
            AuthRequest::SignIn { .. } => Ok(AuthOutcome::Tokens(tokens(
                ADA,
                "ada@example.com",
                Some(ada_device),
            ))),
            AuthRequest::RememberDevice { .. } => remember.clone(),
            AuthRequest::SignOut { .. } => Ok(AuthOutcome::SignedOut),
            AuthRequest::DeleteAccount { .. } => Ok(AuthOutcome::AccountDeleted),
            other => Err(AuthError::Unsupported(format!("{:?}", other.action()))),
        };
        (Duration::ZERO, answer)
    })
}

#[derive(Resource, Default)]
struct Seen {
    remembered: usize,
    signed_out: Vec<SignOutReason>,
}

fn app(transport: &CannedTransport, store: &Arc<MemoryStore>) -> App {
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, StatesPlugin))
        .add_plugins(
            CognitoLoginPlugin::new(transport.backend())
                .without_menu()
                .with_session(SessionSettings {
                    store: Some(store.clone()),
                    ..SessionSettings::default()
                }),
        )
        .init_resource::<Seen>()
        .add_systems(
            Update,
            |mut seen: ResMut<Seen>,
             mut remembered: MessageReader<DeviceRemembered>,
             mut signed_out: MessageReader<SignedOut>| {
                seen.remembered += remembered.read().count();
                seen.signed_out
                    .extend(signed_out.read().map(|m| m.reason.clone()));
            },
        );
    // The restore ends after the remembered devices are read.
    app.update_until("the launch settles", |app| {
        app.auth_state() == AuthState::SignedOut
    });
    app
}

fn sign_in(app: &mut App, name: &'static str) {
    app.auth(move |auth| auth.sign_in(name, "Secret-Pass-1").unwrap());
    app.update_until("signed in", |app| app.auth_state() == AuthState::SignedIn);
}

/// The device the last sign-in proved.
fn proved(transport: &CannedTransport) -> Option<RememberedDevice> {
    transport
        .requests()
        .into_iter()
        .rev()
        .find_map(|request| match request {
            AuthRequest::SignIn { device, .. } => Some(device),
            _ => None,
        })?
}

/// Until no request runs and the store has had time to answer.
fn settle(app: &mut App) {
    app.update_until_idle();
    app.update_for(Duration::from_millis(100));
}

#[test]
fn a_remembered_device_outlives_sign_out_and_is_proved_at_the_next_launch() {
    let transport = backend(Ok(AuthOutcome::DeviceRemembered));
    let store = MemoryStore::new();
    let mut app = app(&transport, &store);
    sign_in(&mut app, "Ada");
    assert_eq!(proved(&transport), None, "nothing remembered yet");
    let offered = app.world().resource::<AuthSession>().new_device.clone();
    assert_eq!(offered.map(|device| device.key), Some("dev-ada".to_owned()));

    app.auth(|auth| auth.remember_device("Living-room PC").unwrap());
    app.update_until("DeviceRemembered", |app| {
        app.world().resource::<Seen>().remembered == 1
    });
    app.update_until("the device kept", |_| !store.devices().is_empty());
    app.update_for(Duration::from_millis(50));
    let kept = store.devices().of_account(ADA).cloned().expect("kept");
    let sent = transport
        .requests()
        .into_iter()
        .find_map(|request| match request {
            AuthRequest::RememberDevice { device, name, .. } => Some((device, name)),
            _ => None,
        });
    assert_eq!(sent, Some((kept.clone(), "Living-room PC".to_owned())));
    assert_eq!(kept.key, "dev-ada");
    assert_eq!(app.world().resource::<AuthSession>().new_device, None);
    assert_eq!(
        app.auth(|auth| auth.remember_device("again").map(drop)),
        Err(AuthCommandError::NoDeviceOffered)
    );
    assert_eq!(
        app.auth(|auth| auth.this_device().map(str::to_owned)),
        Some("dev-ada".into())
    );

    app.auth(|auth| auth.sign_out().unwrap());
    app.update_until("the session forgotten", |_| store.stored().is_none());
    settle(&mut app);
    assert_eq!(
        store.devices().of_account(ADA),
        Some(&kept),
        "a sign-out keeps it"
    );
    drop(app);

    // The next launch, by username in other case, then by email address.
    for name in ["ADA", "ada@example.com"] {
        let mut app = self::app(&transport, &store);
        sign_in(&mut app, name);
        assert_eq!(proved(&transport).as_ref(), Some(&kept), "{name}");
        app.auth(|auth| auth.sign_out().unwrap());
        settle(&mut app);
    }
}

#[test]
fn the_next_player_at_the_computer_proves_no_one_elses_device() {
    let transport = backend(Ok(AuthOutcome::DeviceRemembered));
    let store = MemoryStore::new();
    let mut app = app(&transport, &store);
    sign_in(&mut app, "ada");
    app.auth(|auth| auth.remember_device("PC").unwrap());
    app.update_until("the device kept", |_| !store.devices().is_empty());
    app.auth(|auth| auth.sign_out().unwrap());
    settle(&mut app);

    sign_in(&mut app, "bob");
    assert_eq!(proved(&transport), None, "bob proves nothing");
    assert_eq!(app.auth(|auth| auth.this_device().map(str::to_owned)), None);
    assert!(store.devices().for_sign_in("bob").is_none());
}

#[test]
fn a_refused_remember_keeps_nothing() {
    let transport = backend(Err(AuthError::Server {
        kind: ServerErrorKind::InvalidParameter,
        message: "Device does not exist.".into(),
        status: 400,
    }));
    let store = MemoryStore::new();
    let mut app = app(&transport, &store);
    sign_in(&mut app, "ada");
    app.auth(|auth| auth.remember_device("PC").unwrap());
    settle(&mut app);
    assert!(store.devices().is_empty());
    assert!(
        app.world().resource::<AuthSession>().new_device.is_some(),
        "the offer stands"
    );
}

#[test]
fn deleting_the_account_forgets_its_device_and_keeps_the_others() {
    let transport = backend(Ok(AuthOutcome::DeviceRemembered));
    let store = MemoryStore::new();
    let mut app = app(&transport, &store);
    for name in ["bob", "ada"] {
        sign_in(&mut app, name);
        app.auth(|auth| auth.remember_device("PC").unwrap());
        app.update_until("kept", |_| store.devices().for_sign_in(name).is_some());
        if name == "bob" {
            app.auth(|auth| auth.sign_out().unwrap());
            settle(&mut app);
        }
    }
    app.auth(|auth| auth.delete_account().unwrap());
    app.update_until("signed out", |app| app.auth_state() == AuthState::SignedOut);
    app.update_until("ada's device forgotten", |_| {
        store.devices().of_account(ADA).is_none()
    });
    assert!(store.stored().is_none());
    assert!(store.devices().of_account(BOB).is_some(), "bob's stays");
    assert_eq!(
        app.world().resource::<Seen>().signed_out.last(),
        Some(&SignOutReason::AccountDeleted)
    );
}

#[test]
fn a_device_the_pool_took_for_new_is_forgotten_here() {
    let store = MemoryStore::new();
    let first = backend(Ok(AuthOutcome::DeviceRemembered));
    let mut app = app(&first, &store);
    sign_in(&mut app, "ada");
    app.auth(|auth| auth.remember_device("PC").unwrap());
    app.update_until("kept", |_| !store.devices().is_empty());
    app.auth(|auth| auth.sign_out().unwrap());
    settle(&mut app);
    drop(app);

    // Forgotten from another computer: the pool offers a new device.
    let next = offering("dev-ada-2", Ok(AuthOutcome::DeviceRemembered));
    let mut app = self::app(&next, &store);
    sign_in(&mut app, "ada");
    assert_eq!(
        proved(&next).map(|device| device.key),
        Some("dev-ada".into())
    );
    app.update_until("the stale device forgotten", |_| store.devices().is_empty());
}
