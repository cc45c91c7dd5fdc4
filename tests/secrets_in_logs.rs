//! A whole session at the most verbose log level, every crate included:
//! sign up, confirm, sign in (remembered), a refresh ahead of expiry and a
//! sign-out. No password and no token may appear in the log.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use bevy::ecs::system::RunSystemOnce;
use bevy::prelude::*;
use bevy::state::app::StatesPlugin;
use bevy_cognito_login::client::{KeychainStore, SessionStore};
use bevy_cognito_login::prelude::*;
use bevy_cognito_login::{SessionSettings, TokensRefreshed};
use cognito_login_backend::{CodePurpose, LocalConfig, LocalStack};

const PASSWORD: &str = "Secret-Pass-1";

/// Everything logged, from every thread.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl Write for Log {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn run(app: &mut App, what: &str, done: impl Fn(&mut App) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done(app) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        app.update();
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn idle(app: &mut App) -> bool {
    app.world_mut()
        .run_system_once(|auth: AuthCommands| auth.running())
        .unwrap()
        .is_none()
}

#[derive(Resource, Default)]
struct Refreshed(usize);

#[test]
fn a_full_session_logs_no_secret() {
    let log = Log::default();
    let writer = log.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();

    let backend = LocalStack::spawn(LocalConfig::default()).unwrap();
    let mock = keyring_core_mock();
    let store = Arc::new(KeychainStore::new(
        mock,
        "secrets test",
        &backend.endpoints().url,
    ));
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, StatesPlugin))
        .add_plugins(CognitoLoginPlugin {
            session: Some(SessionSettings {
                store: Some(store.clone()),
                ..SessionSettings::default()
            }),
            ..CognitoLoginPlugin::new(backend.endpoints().api_gateway_config()).without_menu()
        })
        .init_resource::<Refreshed>()
        .add_systems(
            Update,
            |mut seen: ResMut<Refreshed>, mut messages: MessageReader<TokensRefreshed>| {
                seen.0 += messages.read().count();
            },
        );
    run(&mut app, "the restore", |app| {
        *app.world().resource::<State<AuthState>>().get() == AuthState::SignedOut
    });

    app.world_mut()
        .run_system_once(|mut auth: AuthCommands| {
            auth.sign_up("quiet", "quiet@example.com", PASSWORD)
                .unwrap()
        })
        .unwrap();
    run(&mut app, "the sign-up", idle);
    let code = backend
        .mailbox()
        .unwrap()
        .latest_code("quiet", CodePurpose::ConfirmSignUp)
        .unwrap();
    app.world_mut()
        .run_system_once(move |mut auth: AuthCommands| {
            auth.confirm_sign_up("quiet", code.clone()).unwrap()
        })
        .unwrap();
    run(&mut app, "the confirmation", idle);
    app.world_mut()
        .run_system_once(|mut auth: AuthCommands| auth.sign_in("quiet", PASSWORD).unwrap())
        .unwrap();
    run(&mut app, "the sign-in", |app| {
        app.world().contains_resource::<AuthSession>()
    });
    let first = app.world().resource::<AuthSession>().clone();

    // Due for a refresh: inside the five-minute margin.
    app.world_mut().resource_mut::<AuthSession>().expires_at =
        Some(SystemTime::now() + Duration::from_secs(60));
    run(&mut app, "the refresh", |app| {
        app.world().resource::<Refreshed>().0 == 1
    });
    let second = app.world().resource::<AuthSession>().clone();
    let stored = store.load().unwrap().expect("the session is remembered");

    app.world_mut()
        .run_system_once(|mut auth: AuthCommands| auth.sign_out().map(drop))
        .unwrap()
        .unwrap();
    for _ in 0..50 {
        app.update();
        std::thread::sleep(Duration::from_millis(5));
    }
    drop(app);
    drop(backend);

    let log = String::from_utf8_lossy(&log.0.lock().unwrap()).into_owned();
    assert!(
        log.contains("signed in") && log.contains("signed out"),
        "the log was captured"
    );
    let mut secrets = vec![PASSWORD.to_owned()];
    for session in [&first, &second] {
        secrets.push(session.access_token.expose().to_owned());
        secrets.push(session.id_token.expose().to_owned());
    }
    secrets.push(
        stored
            .refresh_token
            .expect("a refresh token")
            .expose()
            .to_owned(),
    );
    for secret in &secrets {
        // A token's signature alone is enough to count as a leak.
        let tail = &secret[secret.len().saturating_sub(24)..];
        assert!(
            !log.contains(tail),
            "a secret is in the log ({} lines)",
            log.lines().count()
        );
    }
}

fn keyring_core_mock() -> Arc<keyring_core::mock::Store> {
    keyring_core::mock::Store::new().unwrap()
}
