//! Sessions kept across launches, in headless Apps with an in-memory store:
//! restore (verified) at launch, refresh ahead of expiry, sign-out that
//! forgets, and everything that can go wrong around them: answers that
//! arrive after a sign-out, a second player, a second instance of the game,
//! a keychain that fails or never answers, a quit right after a sign-out.
//! (The real keychains are tested in the client crate.)

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime};

use bevy::prelude::*;
use bevy::state::app::StatesPlugin;
use bevy_cognito_login::client::{
    AuthError, AuthOutcome, AuthRequest, BackendConfig, ServerErrorKind, StoreError, Tokens,
};
use bevy_cognito_login::prelude::*;
use bevy_cognito_login::test_utils::{CannedTransport, MemoryStore, TestApp, unsigned_tokens};
use bevy_cognito_login::{
    BackOnline, SessionNotForgotten, SessionSettings, SignOutReason, TokensRefreshed, WentOffline,
};
use cognito_login_backend::{
    BackgroundStack, CodePurpose, LocalConfig, LocalEndpoints, LocalStack,
};
use support::{Gate, counting_backend};

use crate::support;

/// Tokens of player "slow", the canned HTTP backend's player, `left`
/// seconds from expiry.
fn tokens(left: i64) -> Tokens {
    unsigned_tokens("slow", 3600, left)
}

#[derive(Resource, Default)]
struct Seen {
    signed_in: usize,
    signed_out: Vec<SignOutReason>,
    refreshed: usize,
    not_forgotten: usize,
    went_offline: usize,
    back_online: usize,
}

fn app_with(backend: impl Into<BackendConfig>, session: Option<SessionSettings>) -> App {
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, StatesPlugin))
        .add_plugins({
            let plugin = CognitoLoginPlugin::new(backend).without_menu();
            match session {
                Some(session) => plugin.with_session(session),
                None => plugin.without_session(),
            }
        })
        .init_resource::<Seen>()
        .add_systems(
            Update,
            |mut seen: ResMut<Seen>,
             mut signed_in: MessageReader<SignedIn>,
             mut signed_out: MessageReader<SignedOut>,
             mut refreshed: MessageReader<TokensRefreshed>,
             mut not_forgotten: MessageReader<SessionNotForgotten>,
             mut offline: MessageReader<WentOffline>,
             mut online: MessageReader<BackOnline>| {
                seen.signed_in += signed_in.read().count();
                seen.signed_out
                    .extend(signed_out.read().map(|m| m.reason.clone()));
                seen.refreshed += refreshed.read().count();
                seen.not_forgotten += not_forgotten.read().count();
                seen.went_offline += offline.read().count();
                seen.back_online += online.read().count();
            },
        );
    app
}

fn app(backend: impl Into<BackendConfig>, store: Arc<MemoryStore>) -> App {
    app_with(
        backend,
        Some(SessionSettings {
            store: Some(store),
            ..SessionSettings::default()
        }),
    )
}

fn state(app: &App) -> AuthState {
    app.auth_state()
}

fn update_until(app: &mut App, what: &str, done: impl Fn(&App) -> bool) {
    app.update_until(what, done);
}

fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", listener.local_addr().unwrap())
}

fn sub(app: &App) -> Option<String> {
    app.world()
        .get_resource::<AuthSession>()
        .map(|session| session.sub.clone())
}

fn not_authorized() -> AuthError {
    AuthError::Server {
        kind: ServerErrorKind::NotAuthorized,
        message: "Refresh Token has been revoked".into(),
        status: 400,
    }
}

/// A backend whose sign-ins answer at once with `player`'s tokens and whose
/// refreshes answer after `refresh_delay` with `refresh`.
fn canned(
    player: &'static str,
    refresh_delay: Duration,
    refresh: impl Fn() -> Result<AuthOutcome, AuthError> + Send + Sync + 'static,
) -> CannedTransport {
    CannedTransport::new(move |request| match request {
        AuthRequest::Refresh { .. } => (refresh_delay, refresh()),
        AuthRequest::SignOut { .. } => (Duration::ZERO, Ok(AuthOutcome::SignedOut)),
        _ => (
            Duration::ZERO,
            Ok(AuthOutcome::Tokens(unsigned_tokens(player, 3600, 3600))),
        ),
    })
}

fn refreshes(transport: &CannedTransport) -> usize {
    transport
        .requests()
        .iter()
        .filter(|request| matches!(request, AuthRequest::Refresh { .. }))
        .count()
}

#[test]
fn valid_stored_tokens_sign_in_with_zero_requests() {
    let (url, requests) = counting_backend(Duration::ZERO);
    let store = MemoryStore::holding(tokens(3600));
    let mut app = app(ApiGatewayConfig::unverified(&url), store);
    let launched = Instant::now();
    update_until(&mut app, "SignedIn", |app| {
        state(app) == AuthState::SignedIn
    });
    eprintln!(
        "launch to SignedIn from the keychain: {:?}",
        launched.elapsed()
    );
    assert_eq!(app.world().resource::<AuthSession>().username, "slow");
    assert_eq!(app.world().resource::<Seen>().signed_in, 1);
    assert_eq!(requests.load(Ordering::SeqCst), 0, "no request");
}

#[test]
fn an_expired_access_token_is_refreshed_exactly_once() {
    let (url, requests) = counting_backend(Duration::ZERO);
    let store = MemoryStore::holding(tokens(-60));
    let mut app = app(ApiGatewayConfig::unverified(&url), store.clone());
    update_until(&mut app, "SignedIn", |app| {
        state(app) == AuthState::SignedIn
    });
    for _ in 0..20 {
        app.update();
    }
    assert_eq!(requests.load(Ordering::SeqCst), 1, "exactly one refresh");
    update_until(&mut app, "the refreshed session stored", |_| {
        store
            .stored()
            .is_some_and(|stored| stored.expires_at.unwrap() > SystemTime::now())
    });
    let stored = store.stored().expect("the refreshed session is stored");
    assert_eq!(
        stored.refresh_token,
        Some("r".into()),
        "the rotated refresh token is stored"
    );
}

#[test]
fn a_refused_refresh_signs_out_and_forgets_the_session() {
    let backend = LocalStack::spawn(LocalConfig::default()).unwrap();
    let store = MemoryStore::holding(tokens(-60));
    let mut app = app(backend.endpoints().api_gateway_config(), store.clone());
    update_until(&mut app, "SignedOut", |app| {
        state(app) == AuthState::SignedOut
    });
    update_until(&mut app, "the store cleared", |_| store.stored().is_none());
    assert!(!app.world().contains_resource::<AuthSession>());
}

#[test]
fn an_unreachable_keychain_warns_and_the_game_still_signs_in() {
    let backend = LocalStack::spawn(LocalConfig::default()).unwrap();
    let store = MemoryStore::new();
    store.fail_with(Some(StoreError::Unavailable("locked".into())));
    let mut app = app(backend.endpoints().api_gateway_config(), store.clone());
    update_until(&mut app, "SignedOut", |app| {
        state(app) == AuthState::SignedOut
    });
    let calls_after_failure = store.calls();

    app.auth(|auth| {
        auth.sign_up("keyless", "k@example.com", "Secret-Pass-1")
            .unwrap();
    });
    let mailbox = backend.mailbox().unwrap().clone();
    app.update_until_idle();
    let code = mailbox
        .latest_code("keyless", CodePurpose::ConfirmSignUp)
        .unwrap();
    app.auth(move |auth| auth.confirm_sign_up("keyless", code).unwrap());
    app.update_until_idle();
    app.auth(|auth| auth.sign_in("keyless", "Secret-Pass-1").unwrap());
    update_until(&mut app, "SignedIn", |app| {
        state(app) == AuthState::SignedIn
    });
    assert_eq!(store.calls(), calls_after_failure, "no more keychain calls");
}

#[test]
fn a_corrupt_session_is_treated_as_absent_and_cleared() {
    let mut unreadable = tokens(3600);
    unreadable.access_token = "not-a-jwt".into();
    unreadable.refresh_token = None;
    let store = MemoryStore::holding(unreadable);
    let mut app = app(ApiGatewayConfig::unverified(closed_port()), store.clone());
    update_until(&mut app, "SignedOut", |app| {
        state(app) == AuthState::SignedOut
    });
    update_until(&mut app, "the store cleared", |_| store.stored().is_none());
}

#[test]
fn tokens_are_refreshed_ahead_of_expiry_in_place() {
    let (url, requests) = counting_backend(Duration::ZERO);
    // Valid for one more minute: inside the 5-minute margin.
    let store = MemoryStore::holding(tokens(60));
    let mut app = app(ApiGatewayConfig::unverified(&url), store);
    update_until(&mut app, "SignedIn", |app| {
        state(app) == AuthState::SignedIn
    });
    update_until(&mut app, "TokensRefreshed", |app| {
        app.world().resource::<Seen>().refreshed == 1
    });
    let session = app.world().resource::<AuthSession>();
    assert!(session.expires_at.unwrap() > SystemTime::now() + Duration::from_secs(3000));
    assert_eq!(requests.load(Ordering::SeqCst), 1);
    assert_eq!(state(&app), AuthState::SignedIn);
}

#[test]
fn a_refresh_without_an_answer_keeps_the_player_signed_in() {
    let store = MemoryStore::holding(tokens(60));
    let mut app = app(ApiGatewayConfig::unverified(closed_port()), store);
    update_until(&mut app, "SignedIn", |app| {
        state(app) == AuthState::SignedIn
    });
    for _ in 0..200 {
        app.update();
        std::thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(state(&app), AuthState::SignedIn, "still signed in");
    assert!(app.world().resource::<Seen>().signed_out.is_empty());
}

#[test]
fn sign_out_forgets_the_stored_session() {
    let store = MemoryStore::holding(tokens(3600));
    let mut app = app(ApiGatewayConfig::unverified(closed_port()), store.clone());
    update_until(&mut app, "SignedIn", |app| {
        state(app) == AuthState::SignedIn
    });
    app.auth(|auth| auth.sign_out().unwrap());
    update_until(&mut app, "the store cleared", |_| store.stored().is_none());
    app.update();
    assert_eq!(state(&app), AuthState::SignedOut);
}

#[test]
fn without_remember_me_a_sign_in_writes_nothing() {
    let (url, _) = counting_backend(Duration::ZERO);
    let store = MemoryStore::new();
    let mut app = app(ApiGatewayConfig::unverified(&url), store.clone());
    update_until(&mut app, "SignedOut", |app| {
        state(app) == AuthState::SignedOut
    });
    app.auth(|auth| {
        auth.set_remember(false);
        auth.sign_in("slow", "Secret-Pass-1").unwrap();
    });
    update_until(&mut app, "SignedIn", |app| {
        state(app) == AuthState::SignedIn
    });
    app.update_until_idle();
    for _ in 0..20 {
        app.update();
        std::thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(store.stored(), None, "nothing written");

    // With it (the default), the same sign-in is kept.
    let (url, _) = counting_backend(Duration::ZERO);
    let store = MemoryStore::new();
    let mut app = self::app(ApiGatewayConfig::unverified(&url), store.clone());
    update_until(&mut app, "SignedOut", |app| {
        state(app) == AuthState::SignedOut
    });
    app.auth(|auth| auth.sign_in("slow", "Secret-Pass-1").unwrap());
    update_until(&mut app, "the session stored", |_| store.stored().is_some());
}

#[test]
fn a_keychain_that_never_answers_does_not_hold_up_the_launch() {
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, StatesPlugin)).add_plugins(
        CognitoLoginPlugin::new(ApiGatewayConfig::unverified(closed_port()))
            .without_menu()
            .with_session(SessionSettings {
                store: Some({
                    let store = MemoryStore::holding(tokens(3600));
                    store.stall_for(Some(Duration::from_secs(3)));
                    store
                }),
                restore_timeout: Duration::from_millis(200),
                ..SessionSettings::default()
            }),
    );
    let launched = Instant::now();
    update_until(&mut app, "SignedOut", |app| {
        state(app) == AuthState::SignedOut
    });
    assert!(
        launched.elapsed() < Duration::from_secs(2),
        "{:?}",
        launched.elapsed()
    );
    // The late answer is ignored: the player stays on the menu.
    while launched.elapsed() < Duration::from_secs(4) {
        app.update();
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(state(&app), AuthState::SignedOut);
}

#[test]
fn a_sign_out_during_a_slow_refresh_is_final() {
    // Stored tokens inside the refresh margin; the refresh takes 500 ms.
    let (url, requests) = counting_backend(Duration::from_millis(500));
    let store = MemoryStore::holding(tokens(60));
    let mut app = app(ApiGatewayConfig::unverified(&url), store.clone());
    update_until(&mut app, "SignedIn", |app| {
        state(app) == AuthState::SignedIn
    });
    app.update(); // the refresh goes out
    app.auth(|auth| auth.sign_out().unwrap());
    app.update_until("both answers", |_| requests.load(Ordering::SeqCst) >= 2);
    app.update_for(Duration::from_millis(300));
    assert_eq!(state(&app), AuthState::SignedOut);
    assert!(!app.world().contains_resource::<AuthSession>());
    assert_eq!(store.stored(), None, "nothing written again");
    let seen = app.world().resource::<Seen>();
    assert_eq!((seen.signed_in, seen.refreshed), (1, 0));
}

#[test]
fn stale_answers_never_touch_the_next_players_session() {
    for stale in [
        Ok(AuthOutcome::Tokens(unsigned_tokens("ada", 3600, 3600))),
        Err(not_authorized()),
    ] {
        let transport = canned("bea", Duration::from_millis(400), move || stale.clone());
        let store = MemoryStore::holding(unsigned_tokens("ada", 3600, 60));
        let mut app = app(transport.backend(), store.clone());
        update_until(&mut app, "ada signed in", |app| {
            sub(app).as_deref() == Some("ada")
        });
        app.update_until("the refresh", |_| refreshes(&transport) == 1);
        app.auth(|auth| auth.sign_out().unwrap());
        app.update();
        app.auth(|auth| auth.sign_in("bea", "Secret-Pass-1").unwrap());
        update_until(&mut app, "bea signed in", |app| {
            sub(app).as_deref() == Some("bea")
        });
        app.update_for(Duration::from_millis(700));
        assert_eq!(sub(&app).as_deref(), Some("bea"));
        assert_eq!(state(&app), AuthState::SignedIn);
        update_until(&mut app, "bea's session kept", |_| {
            store.stored().and_then(|stored| stored.refresh_token)
                == Some("refresh-token-of-bea".into())
        });
        assert_eq!(app.world().resource::<Seen>().signed_out.len(), 1);
    }
}

#[test]
fn a_second_instance_sees_one_whole_session_or_none() {
    let (url, requests) = counting_backend(Duration::ZERO);
    let store = MemoryStore::holding(tokens(3600));
    let mut first = app(ApiGatewayConfig::unverified(&url), store.clone());
    let mut second = app(ApiGatewayConfig::unverified(&url), store.clone());
    for app in [&mut first, &mut second] {
        update_until(app, "SignedIn", |app| state(app) == AuthState::SignedIn);
    }
    first.auth(|auth| auth.sign_out().unwrap());
    first.update_until("the store cleared", |_| store.stored().is_none());
    second.update_for(Duration::from_millis(100));
    assert_eq!(
        store.stored(),
        None,
        "the other instance writes nothing back"
    );
    let mut third = app(ApiGatewayConfig::unverified(&url), store.clone());
    update_until(&mut third, "SignedOut", |app| {
        state(app) == AuthState::SignedOut
    });
    assert_eq!(requests.load(Ordering::SeqCst), 1, "only the sign-out");
}

#[test]
fn a_keychain_failure_never_skips_the_forget() {
    // The keychain is slow at launch (an unlock prompt), so the launch gives
    // up on it; a later sign-out must still forget what it holds.
    let transport = canned("bea", Duration::ZERO, || Err(not_authorized()));
    let store = MemoryStore::holding(unsigned_tokens("ada", 3600, 3600));
    store.stall_for(Some(Duration::from_millis(600)));
    let mut app = app_with(
        transport.backend(),
        Some(SessionSettings {
            store: Some(store.clone()),
            restore_timeout: Duration::from_millis(100),
            ..SessionSettings::default()
        }),
    );
    update_until(&mut app, "SignedOut", |app| {
        state(app) == AuthState::SignedOut
    });
    store.stall_for(None);
    app.auth(|auth| auth.sign_in("bea", "Secret-Pass-1").unwrap());
    update_until(&mut app, "bea signed in", |app| {
        sub(app).as_deref() == Some("bea")
    });
    app.auth(|auth| auth.sign_out().unwrap());
    app.update_until("ada's session forgotten", |_| store.stored().is_none());
}

#[test]
fn a_clear_that_keeps_failing_is_reported() {
    let (url, _) = counting_backend(Duration::ZERO);
    let store = MemoryStore::holding(tokens(3600));
    let mut app = app(ApiGatewayConfig::unverified(&url), store.clone());
    update_until(&mut app, "SignedIn", |app| {
        state(app) == AuthState::SignedIn
    });
    store.fail_with(Some(StoreError::Failed("D-Bus went away".into())));
    let calls = store.calls();
    app.auth(|auth| auth.sign_out().unwrap());
    app.update_until("SessionNotForgotten", |app| {
        app.world().resource::<Seen>().not_forgotten == 1
    });
    assert_eq!(store.calls() - calls, 3, "tried three times");
}

#[test]
fn quitting_never_waits_for_a_silent_keychain_or_network() {
    let transport = CannedTransport::new(|_| {
        (
            Duration::from_secs(60),
            Ok(AuthOutcome::Tokens(unsigned_tokens("ada", 3600, 3600))),
        )
    });
    let store = MemoryStore::new();
    store.stall_for(Some(Duration::from_secs(60)));
    let mut app = app_with(
        transport.backend(),
        Some(SessionSettings {
            store: Some(store),
            restore_timeout: Duration::from_millis(100),
            ..SessionSettings::default()
        }),
    );
    update_until(&mut app, "SignedOut", |app| {
        state(app) == AuthState::SignedOut
    });
    app.auth(|auth| auth.sign_in("ada", "Secret-Pass-1").unwrap());
    app.update();
    let quit = Instant::now();
    app.world_mut().write_message(AppExit::Success);
    app.update();
    drop(app);
    assert!(
        quit.elapsed() < Duration::from_secs(4),
        "quitting took {:?}",
        quit.elapsed()
    );
}

#[test]
fn a_sign_out_just_before_quitting_still_reaches_the_server() {
    let (url, requests) = counting_backend(Duration::from_millis(300));
    let store = MemoryStore::holding(tokens(3600));
    let mut app = app(ApiGatewayConfig::unverified(&url), store);
    update_until(&mut app, "SignedIn", |app| {
        state(app) == AuthState::SignedIn
    });
    app.auth(|auth| auth.sign_out().unwrap());
    app.world_mut().write_message(AppExit::Success);
    app.update();
    assert_eq!(
        requests.load(Ordering::SeqCst),
        1,
        "the sign-out was answered before the worker stopped"
    );
}

#[test]
fn without_session_keeping_the_session_is_still_refreshed() {
    let transport = CannedTransport::new(|request| {
        let left = match request {
            AuthRequest::Refresh { .. } => 3600,
            _ => 10, // a sign-in whose tokens are inside the refresh margin
        };
        (
            Duration::ZERO,
            Ok(AuthOutcome::Tokens(unsigned_tokens("ada", 3600, left))),
        )
    });
    let mut app = app_with(transport.backend(), None);
    app.update();
    app.auth(|auth| auth.sign_in("ada", "Secret-Pass-1").unwrap());
    app.update_until("TokensRefreshed", |app| {
        app.world().resource::<Seen>().refreshed == 1
    });
}

#[test]
fn short_lived_tokens_are_not_refreshed_every_frame() {
    // Five-minute tokens, the default five-minute margin.
    let transport = CannedTransport::new(|_| {
        (
            Duration::ZERO,
            Ok(AuthOutcome::Tokens(unsigned_tokens("ada", 300, 300))),
        )
    });
    let store = MemoryStore::holding(unsigned_tokens("ada", 300, 100));
    let mut app = app(transport.backend(), store);
    app.update_until("TokensRefreshed", |app| {
        app.world().resource::<Seen>().refreshed == 1
    });
    app.update_for(Duration::from_secs(1));
    assert_eq!(refreshes(&transport), 1);
}

#[test]
fn only_an_explicit_refusal_ends_the_session() {
    let forbidden = || {
        Err(AuthError::Server {
            kind: ServerErrorKind::Unknown("Forbidden".into()),
            message: "Forbidden".into(),
            status: 403,
        })
    };
    let transport = canned("ada", Duration::ZERO, forbidden);
    let store = MemoryStore::holding(unsigned_tokens("ada", 3600, 60));
    let mut app = app(transport.backend(), store.clone());
    app.update_until("the refresh", |_| refreshes(&transport) == 1);
    app.update_for(Duration::from_millis(200));
    assert_eq!(
        state(&app),
        AuthState::SignedIn,
        "a WAF's 403 keeps the player"
    );
    assert!(store.stored().is_some());
    assert_eq!(refreshes(&transport), 1, "and backs off");
}

#[test]
fn a_planted_session_is_never_restored() {
    // The local backend verifies tokens against its emulator's keys: an
    // unsigned session planted in the keychain is refused, its refresh token
    // too, and it is forgotten.
    let backend = LocalStack::spawn(LocalConfig::default()).unwrap();
    let planted = unsigned_tokens("mallory", 3600, 3600);
    let store = MemoryStore::holding(planted);
    let mut app = app(backend.endpoints().api_gateway_config(), store.clone());
    update_until(&mut app, "SignedOut", |app| {
        state(app) == AuthState::SignedOut
    });
    update_until(&mut app, "the store cleared", |_| store.stored().is_none());
    assert_eq!(app.world().resource::<Seen>().signed_in, 0);
}

/// Signs `username` up, confirms and signs in through `config` against
/// `backend`, and waits until `store` holds the session.
fn real_session(
    backend: &BackgroundStack,
    config: impl Into<BackendConfig>,
    store: &Arc<MemoryStore>,
    username: &'static str,
) {
    let mut app = app(config, store.clone());
    update_until(&mut app, "SignedOut", |app| {
        state(app) == AuthState::SignedOut
    });
    app.auth(move |auth| {
        auth.sign_up(username, format!("{username}@example.com"), "Secret-Pass-1")
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
    app.auth(move |auth| auth.sign_in(username, "Secret-Pass-1").unwrap());
    update_until(&mut app, "the session stored", |_| store.stored().is_some());
}

/// The session resource names the player's groups, as the pool's tokens
/// do (`cognito:groups`): none before the player is in one, the group at
/// the next sign-in after.
#[test]
fn the_session_names_the_players_groups() {
    let backend = LocalStack::spawn(LocalConfig::default()).unwrap();
    let config = backend.endpoints().api_gateway_config();
    let first = MemoryStore::new();
    real_session(&backend, config.clone(), &first, "grouped");
    let claims =
        bevy_cognito_login::client::unverified_claims(first.stored().unwrap().id_token.expose())
            .unwrap();
    assert!(claims.get("cognito:groups").is_none(), "{claims:?}");
    let endpoints = backend.endpoints().clone();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(
            cognito_login_backend::local::sdk_client(&endpoints.cognito_endpoint)
                .admin_add_user_to_group()
                .user_pool_id(&endpoints.user_pool_id)
                .username("grouped")
                .group_name("testers")
                .send(),
        )
        .expect("the local pool has the template's testers group");

    let mut app = app(config, MemoryStore::new());
    update_until(&mut app, "SignedOut", |app| {
        state(app) == AuthState::SignedOut
    });
    app.auth(|auth| auth.sign_in("grouped", "Secret-Pass-1").unwrap());
    update_until(&mut app, "signed in", |app| {
        app.world().get_resource::<AuthSession>().is_some()
    });
    assert_eq!(app.world().resource::<AuthSession>().groups, ["testers"]);
}

#[test]
fn a_real_session_is_restored_verified_from_its_own_exp() {
    let backend = LocalStack::spawn(LocalConfig::default()).unwrap();
    let store = MemoryStore::new();
    real_session(
        &backend,
        backend.endpoints().api_gateway_config(),
        &store,
        "restored",
    );
    let mut stored = store.stored().unwrap();
    // Whatever expiry was kept, the restore reads the verified `exp`.
    stored.expires_at = Some(SystemTime::UNIX_EPOCH);
    store.set(Some(stored));

    let mut next = self::app(backend.endpoints().api_gateway_config(), store);
    update_until(&mut next, "SignedIn", |app| {
        state(app) == AuthState::SignedIn
    });
    let session = next.world().resource::<AuthSession>();
    assert_eq!(session.username, "restored");
    assert!(session.expires_at.unwrap() > SystemTime::now() + Duration::from_secs(600));
}

fn offline(app: &App) -> Option<bool> {
    app.world()
        .get_resource::<AuthSession>()
        .map(|session| session.offline)
}

#[test]
fn an_offline_launch_keeps_the_player_signed_in_until_the_server_answers() {
    let backend = LocalStack::spawn(LocalConfig::default()).unwrap();
    let endpoints = backend.endpoints();
    // The routes and the pool's keys, behind a network that can go down.
    let (routes, keys) = (
        Gate::new(&endpoints.url),
        Gate::new(&endpoints.cognito_endpoint),
    );
    let config = LocalEndpoints {
        url: routes.url.clone(),
        cognito_endpoint: keys.url.clone(),
        ..endpoints.clone()
    }
    .api_gateway_config();
    let store = MemoryStore::new();
    real_session(&backend, config.clone(), &store, "traveller");
    assert!(
        store.stored().unwrap().signing_keys.is_some(),
        "the pool's keys are kept with the session"
    );

    routes.cut();
    keys.cut();
    let mut app = app(config, store.clone());
    update_until(&mut app, "signed in, offline", |app| {
        offline(app) == Some(true)
    });
    assert_eq!(state(&app), AuthState::SignedIn);
    assert_eq!(app.world().resource::<AuthSession>().username, "traveller");
    let seen = app.world().resource::<Seen>();
    assert_eq!((seen.signed_in, seen.went_offline), (1, 1));
    assert!(store.stored().is_some(), "nothing is forgotten");

    // The network comes back: the session's refresh goes out by itself,
    // after its backoff, and confirms it with the server.
    routes.reconnect();
    keys.reconnect();
    update_until(&mut app, "back online", |app| offline(app) == Some(false));
    let seen = app.world().resource::<Seen>();
    assert_eq!((seen.back_online, seen.refreshed), (1, 1));
    assert!(seen.signed_out.is_empty());
}

#[test]
fn an_expired_session_launched_offline_stays_signed_in_and_unforgotten() {
    let store = MemoryStore::holding(tokens(-60));
    let mut app = app(ApiGatewayConfig::unverified(closed_port()), store.clone());
    update_until(&mut app, "signed in, offline", |app| {
        offline(app) == Some(true)
    });
    assert_eq!(state(&app), AuthState::SignedIn);
    let session = app.world().resource::<AuthSession>();
    assert!(session.expires_at.unwrap() < SystemTime::now(), "expired");
    assert_eq!(app.world().resource::<Seen>().went_offline, 1);
    assert!(store.stored().is_some(), "nothing is forgotten");
}
