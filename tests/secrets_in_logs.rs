//! A whole session at the most verbose log level, every crate included, on
//! each transport: sign up, confirm, sign in (remembered), a refresh ahead of
//! expiry and a sign-out. No password and no token may appear in the log.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bevy::ecs::system::RunSystemOnce;
use bevy::prelude::*;
use bevy::state::app::StatesPlugin;
use bevy_cognito_login::client::{
    AuthRequest, AuthWorker, BackendConfig, KeychainStore, SessionStore, UserPoolTransport,
};
use bevy_cognito_login::prelude::*;
use bevy_cognito_login::test_utils::{MemoryStore, unsigned_tokens};
use bevy_cognito_login::{AuthenticatorSecretIssued, SessionSettings, TokensRefreshed};
use cognito_login_backend::{BackgroundStack, CodePurpose, LocalConfig, LocalStack};

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

/// The authenticator secrets the session was given.
#[derive(Resource, Default)]
struct Authenticators(Vec<String>);

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
    let endpoints = backend.endpoints();
    // The routes, then the user pool directly (its SRP sign-in included,
    // which the emulator refuses after the first step).
    let mut secrets = full_session(&backend, endpoints.api_gateway_config().into(), "quiet");
    secrets.extend(failing_flows(
        endpoints.api_gateway_config().into(),
        "quiet",
    ));
    secrets.extend(failing_flows(endpoints.user_pool_config().into(), "quiet"));
    secrets.extend(full_session(
        &backend,
        endpoints.user_pool_config().into(),
        "quiet-direct",
    ));
    srp_attempt(
        endpoints
            .user_pool_config()
            .with_sign_in_flow(SignInFlow::Srp),
    );
    drop(backend);

    let log = String::from_utf8_lossy(&log.0.lock().unwrap()).into_owned();
    assert!(
        log.contains("signed in") && log.contains("signed out"),
        "the log was captured"
    );
    assert!(
        log.contains("InitiateAuth"),
        "the direct transport was logged"
    );
    for secret in &secrets {
        // The whole secret, and a token's signature alone, count as a leak.
        let tail = &secret[secret.len().saturating_sub(24)..];
        assert!(
            !log.contains(secret.as_str()) && !log.contains(tail),
            "a secret is in the log ({} lines)",
            log.lines().count()
        );
    }
}

/// What fails: a wrong password, a wrong code, a reset with a wrong code,
/// a sign-up that exists already, a planted session that is refused;
/// returns the secrets they carried.
fn failing_flows(config: BackendConfig, user: &str) -> Vec<String> {
    const WRONG: &str = "Wrong-Password-77";
    const NEW: &str = "Never-Set-Password-88";
    let planted = unsigned_tokens(user, 3600, -60);
    let store = MemoryStore::holding(planted.clone());
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, StatesPlugin)).add_plugins(
        CognitoLoginPlugin::new(config)
            .without_menu()
            .with_session(SessionSettings {
                store: Some(store),
                ..SessionSettings::default()
            }),
    );
    run(&mut app, "the refused restore", |app| {
        *app.world().resource::<State<AuthState>>().get() == AuthState::SignedOut
    });
    let username = || user.to_owned();
    let failing = [
        AuthRequest::SignIn {
            username: username(),
            password: WRONG.into(),
            device: None,
        },
        AuthRequest::SignUp {
            username: username(),
            password: PASSWORD.into(),
            email: "x@example.com".into(),
            locale: None,
        },
        AuthRequest::ConfirmSignUp {
            username: username(),
            code: "WRONG-CODE-1234".into(),
        },
        AuthRequest::ResetPassword {
            username: username(),
            code: "WRONG-CODE-1234".into(),
            password: NEW.into(),
        },
    ];
    for request in failing {
        app.world_mut()
            .run_system_once(move |mut auth: AuthCommands| auth.send(request.clone()).unwrap())
            .unwrap();
        run(&mut app, "a failing request", idle);
    }
    vec![
        WRONG.to_owned(),
        NEW.to_owned(),
        planted.access_token.expose().to_owned(),
        planted.refresh_token.unwrap().expose().to_owned(),
    ]
}

/// An SRP sign-in, which the emulator answers `Unsupported` after `SRP_A`.
fn srp_attempt(config: UserPoolConfig) {
    let worker = AuthWorker::spawn(UserPoolTransport::new(config).unwrap()).unwrap();
    worker.send(AuthRequest::SignIn {
        username: "quiet".into(),
        password: PASSWORD.into(),
        device: None,
    });
    let reply = worker
        .replies()
        .recv_timeout(Duration::from_secs(20))
        .unwrap();
    assert!(reply.result.is_err(), "{:?}", reply.result);
}

/// Sign up, confirm, sign in (remembered), refresh, change the password,
/// read the account and sign out as `user`;
/// returns every secret the session had.
fn full_session(backend: &BackgroundStack, config: BackendConfig, user: &str) -> Vec<String> {
    let mock = keyring_core_mock();
    let store = Arc::new(KeychainStore::new(mock, "secrets test", user));
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, StatesPlugin))
        .add_plugins(
            CognitoLoginPlugin::new(config)
                .without_menu()
                .with_session(SessionSettings {
                    store: Some(store.clone()),
                    ..SessionSettings::default()
                }),
        )
        .init_resource::<Refreshed>()
        .init_resource::<Authenticators>()
        .add_systems(
            Update,
            (
                |mut seen: ResMut<Refreshed>, mut messages: MessageReader<TokensRefreshed>| {
                    seen.0 += messages.read().count();
                },
                |mut seen: ResMut<Authenticators>,
                 mut messages: MessageReader<AuthenticatorSecretIssued>| {
                    seen.0.extend(
                        messages
                            .read()
                            .map(|issued| issued.secret.expose().to_owned()),
                    );
                },
            ),
        );
    run(&mut app, "the restore", |app| {
        *app.world().resource::<State<AuthState>>().get() == AuthState::SignedOut
    });

    let owned = user.to_owned();
    app.world_mut()
        .run_system_once(move |mut auth: AuthCommands| {
            auth.sign_up(owned.clone(), format!("{owned}@example.com"), PASSWORD)
                .unwrap()
        })
        .unwrap();
    run(&mut app, "the sign-up", idle);
    let code = backend
        .mailbox()
        .unwrap()
        .latest_code(user, CodePurpose::ConfirmSignUp)
        .unwrap();
    let owned = user.to_owned();
    app.world_mut()
        .run_system_once(move |mut auth: AuthCommands| {
            auth.confirm_sign_up(owned.clone(), code.clone()).unwrap()
        })
        .unwrap();
    run(&mut app, "the confirmation", idle);
    let owned = user.to_owned();
    app.world_mut()
        .run_system_once(move |mut auth: AuthCommands| {
            auth.sign_in(owned.clone(), PASSWORD).unwrap()
        })
        .unwrap();
    run(&mut app, "the sign-in", |app| {
        app.world().contains_resource::<AuthSession>()
    });
    let first = app.world().resource::<AuthSession>().clone();

    app.world_mut()
        .run_system_once(|mut auth: AuthCommands| auth.refresh())
        .unwrap()
        .unwrap();
    run(&mut app, "the refresh", |app| {
        app.world().resource::<Refreshed>().0 == 1
    });
    let second = app.world().resource::<AuthSession>().clone();
    let stored = store.load().unwrap().expect("the session is remembered");

    // The account, read and its password changed (a wrong current one first).
    const CHANGED: &str = "Changed-Pass-55";
    for (current, proposed) in [("Not-The-Pass-66", "Never-Changed-44"), (PASSWORD, CHANGED)] {
        app.world_mut()
            .run_system_once(move |mut auth: AuthCommands| {
                auth.change_password(current, proposed).unwrap()
            })
            .unwrap();
        run(&mut app, "the password change", idle);
    }
    app.world_mut()
        .run_system_once(|mut auth: AuthCommands| auth.read_account().unwrap())
        .unwrap();
    run(&mut app, "the account", idle);
    assert!(
        app.world().resource::<AuthSession>().account.is_some(),
        "the account was read"
    );
    app.world_mut()
        .run_system_once(|mut auth: AuthCommands| auth.add_authenticator().unwrap())
        .unwrap();
    run(&mut app, "the authenticator secret", |app| {
        !app.world().resource::<Authenticators>().0.is_empty()
    });
    let authenticator = app.world().resource::<Authenticators>().0[0].clone();

    app.world_mut()
        .run_system_once(|mut auth: AuthCommands| auth.sign_out().map(drop))
        .unwrap()
        .unwrap();
    for _ in 0..50 {
        app.update();
        std::thread::sleep(Duration::from_millis(5));
    }
    drop(app);

    let mut secrets = vec![
        PASSWORD.to_owned(),
        CHANGED.to_owned(),
        "Not-The-Pass-66".to_owned(),
        "Never-Changed-44".to_owned(),
        authenticator,
    ];
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
    secrets
}

fn keyring_core_mock() -> Arc<keyring_core::mock::Store> {
    keyring_core::mock::Store::new().unwrap()
}
