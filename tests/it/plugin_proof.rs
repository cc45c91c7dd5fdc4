//! Fresh proof before the account changes that could hand an account over:
//! a session restored at launch (the next person at a shared PC) may read
//! the account and play, but changing the email address, the sign-in codes,
//! deleting the account or remembering the computer waits for the password
//! typed again.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bevy::prelude::*;
use bevy::state::app::StatesPlugin;
use bevy_cognito_login::client::{
    AuthAction, AuthError, AuthOutcome, AuthRequest, BackendConfig, Challenge, ChallengeName,
    MfaMethod, ServerErrorKind,
};
use bevy_cognito_login::prelude::*;
use bevy_cognito_login::test_utils::{CannedTransport, MemoryStore, TestApp, unsigned_tokens};
use bevy_cognito_login::{AuthCommandError, PasswordConfirmed, SessionSettings, SignOutReason};
use cognito_login_backend::{CodePurpose, LocalConfig, LocalEndpoints, LocalStack};

const PASSWORD: &str = "Secret-Pass-1";

#[derive(Resource, Default)]
struct Seen {
    signed_in: usize,
    signed_out: Vec<SignOutReason>,
    failed: Vec<AuthFailed>,
    confirmed: Vec<PasswordConfirmed>,
}

fn app(backend: impl Into<BackendConfig>, store: Arc<MemoryStore>) -> App {
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, StatesPlugin))
        .add_plugins(
            CognitoLoginPlugin::new(backend)
                .without_menu()
                .with_session(SessionSettings {
                    store: Some(store),
                    ..SessionSettings::default()
                }),
        )
        .init_resource::<Seen>()
        .add_systems(
            Update,
            |mut seen: ResMut<Seen>,
             mut signed_in: MessageReader<SignedIn>,
             mut signed_out: MessageReader<SignedOut>,
             mut failed: MessageReader<AuthFailed>,
             mut confirmed: MessageReader<PasswordConfirmed>| {
                seen.signed_in += signed_in.read().count();
                seen.signed_out
                    .extend(signed_out.read().map(|m| m.reason.clone()));
                seen.failed.extend(failed.read().cloned());
                seen.confirmed.extend(confirmed.read().cloned());
            },
        );
    app
}

fn seen(app: &App) -> &Seen {
    app.world().resource::<Seen>()
}

fn recently_proven(app: &App) -> bool {
    app.world().resource::<AuthSession>().recently_proven()
}

/// Every account change that needs fresh proof, tried through its command.
fn refused_without_proof(app: &mut App) {
    let tries: [fn(&mut AuthCommands) -> Result<_, AuthCommandError>; 6] = [
        |auth| auth.delete_account(),
        |auth| auth.change_email("mallory@example.com"),
        |auth| auth.set_mfa(MfaMethod::Email, false),
        |auth| auth.set_mfa(MfaMethod::Authenticator, true),
        |auth| auth.add_authenticator(),
        |auth| {
            auth.send(AuthRequest::DeleteAccount {
                access_token: "any".to_owned().into(),
            })
        },
    ];
    for try_it in tries {
        assert_eq!(app.auth(try_it), Err(AuthCommandError::ProofNeeded));
        assert_eq!(app.auth(|auth| auth.running()), None, "nothing left");
    }
}

/// Signs `username` up, confirms and signs in through `config`, so `store`
/// holds the session the next launch restores.
fn stored_session(
    backend: &cognito_login_backend::BackgroundStack,
    config: &BackendConfig,
    store: &Arc<MemoryStore>,
    username: &'static str,
) {
    let mut app = app(config.clone(), store.clone());
    app.update_until("SignedOut", |app| app.auth_state() == AuthState::SignedOut);
    app.auth(move |auth| {
        auth.sign_up(username, format!("{username}@example.com"), PASSWORD)
            .unwrap()
    });
    app.update_until_idle();
    let code = backend
        .mailbox()
        .unwrap()
        .latest_code(username, CodePurpose::ConfirmSignUp)
        .unwrap();
    app.auth(move |auth| auth.confirm_sign_up(username, code).unwrap());
    app.update_until_idle();
    app.auth(move |auth| auth.sign_in(username, PASSWORD).unwrap());
    app.update_until("SignedIn", |app| app.auth_state() == AuthState::SignedIn);
    assert!(recently_proven(&app), "a sign-in is proof");
    app.update_until("the session stored", |_| store.stored().is_some());
}

#[test]
fn a_restored_session_needs_the_password_again_before_account_changes() {
    let backend = LocalStack::spawn(LocalConfig::default()).unwrap();
    type Config = fn(&LocalEndpoints) -> BackendConfig;
    let configs: [(Config, &'static str); 2] = [
        (|e| e.api_gateway_config().into(), "proof-routes"),
        (|e| e.user_pool_config().into(), "proof-pool"),
    ];
    for (config, username) in configs {
        let config = config(backend.endpoints());
        let store = MemoryStore::new();
        stored_session(&backend, &config, &store, username);

        let mut app = app(config, store);
        app.update_until("restored", |app| app.auth_state() == AuthState::SignedIn);
        assert!(!recently_proven(&app), "a restored session is no proof");
        let sub = app.world().resource::<AuthSession>().sub.clone();
        refused_without_proof(&mut app);
        // What cannot hand the account over goes on.
        app.auth(|auth| auth.read_account()).unwrap();
        app.update_until_idle();

        app.auth(|auth| auth.confirm_password("Wrong-Pass-9"))
            .unwrap();
        app.update_until("the refusal", |app| !seen(app).failed.is_empty());
        let failed = &seen(&app).failed[0];
        assert_eq!(failed.action, AuthAction::SignIn);
        assert_eq!(
            failed.error.server_kind(),
            Some(&ServerErrorKind::NotAuthorized)
        );
        refused_without_proof(&mut app);

        let request = app.auth(|auth| auth.confirm_password(PASSWORD)).unwrap();
        app.update_until("the proof", |app| !seen(app).confirmed.is_empty());
        assert_eq!(seen(&app).confirmed[0].request, request);
        assert_eq!(seen(&app).confirmed[0].username, username);
        assert!(recently_proven(&app));
        let session = app.world().resource::<AuthSession>();
        assert_eq!(session.sub, sub, "the same session goes on");
        assert_eq!(seen(&app).signed_in, 1, "no second SignedIn");
        assert_eq!(
            app.auth(move |auth| auth.sign_in(username, PASSWORD)),
            Err(AuthCommandError::AlreadySignedIn),
            "still one session"
        );

        app.auth(|auth| auth.delete_account()).unwrap();
        app.update_until("deleted", |app| !seen(app).signed_out.is_empty());
        assert_eq!(seen(&app).signed_out, [SignOutReason::AccountDeleted]);
    }
}

fn challenge(name: ChallengeName) -> AuthOutcome {
    AuthOutcome::Challenge(Challenge {
        name,
        session: "session".to_owned().into(),
        parameters: BTreeMap::new(),
        authenticator: None,
    })
}

#[test]
fn only_the_signed_in_players_password_is_proof() {
    let answer = Arc::new(Mutex::new(AuthOutcome::SignedOut));
    let transport = CannedTransport::new({
        let answer = answer.clone();
        move |request| {
            let outcome = match request {
                AuthRequest::SignIn { .. } => answer.lock().unwrap().clone(),
                AuthRequest::SignOut { .. } => AuthOutcome::SignedOut,
                _ => AuthOutcome::MfaSet,
            };
            (Duration::ZERO, Ok(outcome))
        }
    });
    let store = MemoryStore::holding(unsigned_tokens("ada", 3600, 3600));
    let mut app = app(transport.backend(), store);
    app.update_until("restored", |app| app.auth_state() == AuthState::SignedIn);

    // Another account's tokens prove nothing, and their session is revoked.
    *answer.lock().unwrap() = AuthOutcome::Tokens(unsigned_tokens("mallory", 3600, 3600));
    app.auth(|auth| auth.confirm_password(PASSWORD)).unwrap();
    app.update_until("the refusal", |app| !seen(app).failed.is_empty());
    assert!(matches!(
        seen(&app).failed[0].error,
        AuthError::InvalidToken(_)
    ));
    assert!(!recently_proven(&app));
    app.update_until("mallory's session revoked", |_| {
        transport.requests().iter().any(|request| {
            matches!(request, AuthRequest::SignOut { refresh_token: Some(token) }
                if token.expose() == "refresh-token-of-mallory")
        })
    });
    refused_without_proof(&mut app);
    let sign_ins: Vec<_> = transport
        .requests()
        .into_iter()
        .filter_map(|request| match request {
            AuthRequest::SignIn { username, .. } => Some(username),
            _ => None,
        })
        .collect();
    assert_eq!(sign_ins, ["ada"], "the check signs in as the player");

    // A challenge nobody knows is no proof either.
    *answer.lock().unwrap() = challenge(ChallengeName::Other("CUSTOM_CHALLENGE".into()));
    app.auth(|auth| auth.confirm_password(PASSWORD)).unwrap();
    app.update_until("the refusal", |app| seen(app).failed.len() == 2);
    refused_without_proof(&mut app);

    // A sign-in code asked for: the password was right.
    *answer.lock().unwrap() = challenge(ChallengeName::SoftwareTokenMfa);
    app.auth(|auth| auth.confirm_password(PASSWORD)).unwrap();
    app.update_until("the proof", |app| !seen(app).confirmed.is_empty());
    assert!(recently_proven(&app));
    app.auth(|auth| auth.set_mfa(MfaMethod::Email, false))
        .unwrap();
    app.update_until_idle();
    assert!(
        transport
            .requests()
            .iter()
            .any(|request| matches!(request, AuthRequest::SetMfa { enabled: false, .. }))
    );
    assert_eq!(seen(&app).signed_in, 1);
    assert_eq!(
        app.world().resource::<AuthSession>().sub,
        "ada",
        "ada's session goes on"
    );
}

#[test]
fn a_password_check_that_ends_after_a_sign_out_proves_nothing() {
    let transport = CannedTransport::new(|request| match request {
        AuthRequest::SignIn { .. } => (
            Duration::from_millis(300),
            Ok(AuthOutcome::Tokens(unsigned_tokens("ada", 3600, 3600))),
        ),
        _ => (Duration::ZERO, Ok(AuthOutcome::SignedOut)),
    });
    let store = MemoryStore::holding(unsigned_tokens("ada", 3600, 3600));
    let mut app = app(transport.backend(), store);
    app.update_until("restored", |app| app.auth_state() == AuthState::SignedIn);
    app.auth(|auth| auth.confirm_password(PASSWORD)).unwrap();
    app.auth(|auth| auth.sign_out()).unwrap();
    app.update_until("the late answer", |app| !seen(app).failed.is_empty());
    assert_eq!(seen(&app).failed[0].error, AuthError::Cancelled);
    assert!(seen(&app).confirmed.is_empty());
    assert!(!app.world().contains_resource::<AuthSession>());
    assert_eq!(seen(&app).signed_in, 1, "the answer starts no session");
    app.update_until("its session revoked", |_| {
        transport
            .requests()
            .iter()
            .filter(|request| matches!(request, AuthRequest::SignOut { .. }))
            .count()
            == 2
    });
}
