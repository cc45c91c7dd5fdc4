//! Sessions kept across launches, in headless Apps with an in-memory store:
//! restore at launch, refresh ahead of expiry, sign-out that forgets, and a
//! keychain that fails. (The real keychains are tested in the client crate.)

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use bevy::ecs::system::RunSystemOnce;
use bevy::prelude::*;
use bevy::state::app::StatesPlugin;
use bevy_cognito_login::client::{SessionStore, StoreError, Tokens};
use bevy_cognito_login::prelude::*;
use bevy_cognito_login::{SessionSettings, SignOutReason, TokensRefreshed};
use cognito_login_backend::{CodePurpose, LocalConfig, LocalStack};
use support::counting_backend;

mod support;

/// `sub` "slow", `cognito:username` "slow": what the canned backend returns too.
const ID: &str = "e30.eyJzdWIiOiJzbG93IiwiY29nbml0bzp1c2VybmFtZSI6InNsb3cifQ.c2ln";

#[derive(Default)]
struct MemoryStore {
    tokens: Mutex<Option<Tokens>>,
    /// Every call fails with this, when set.
    failure: Mutex<Option<StoreError>>,
    calls: AtomicUsize,
}

impl MemoryStore {
    fn holding(tokens: Tokens) -> Arc<Self> {
        Arc::new(Self {
            tokens: Mutex::new(Some(tokens)),
            ..Self::default()
        })
    }

    fn failing(error: StoreError) -> Arc<Self> {
        Arc::new(Self {
            failure: Mutex::new(Some(error)),
            ..Self::default()
        })
    }

    fn stored(&self) -> Option<Tokens> {
        self.tokens.lock().unwrap().clone()
    }

    fn answer(&self) -> Result<(), StoreError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        match self.failure.lock().unwrap().clone() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

impl SessionStore for MemoryStore {
    fn load(&self) -> Result<Option<Tokens>, StoreError> {
        self.answer()?;
        Ok(self.stored())
    }

    fn save(&self, tokens: &Tokens) -> Result<(), StoreError> {
        self.answer()?;
        *self.tokens.lock().unwrap() = Some(tokens.clone());
        Ok(())
    }

    fn clear(&self) -> Result<(), StoreError> {
        self.answer()?;
        *self.tokens.lock().unwrap() = None;
        Ok(())
    }
}

fn tokens(id_token: &str, expires_in: i64) -> Tokens {
    let now = SystemTime::now();
    let expires_at = if expires_in >= 0 {
        now + Duration::from_secs(expires_in as u64)
    } else {
        now - Duration::from_secs(expires_in.unsigned_abs())
    };
    Tokens {
        access_token: "stored.access.token".into(),
        id_token: id_token.into(),
        refresh_token: Some("stored-refresh-token".into()),
        expires_at: Some(expires_at),
    }
}

#[derive(Resource, Default)]
struct Seen {
    signed_in: usize,
    signed_out: Vec<SignOutReason>,
    refreshed: usize,
}

fn app(backend: ApiGatewayConfig, store: Arc<MemoryStore>) -> App {
    let mut app = App::new();
    let session = SessionSettings {
        store: Some(store),
        ..SessionSettings::default()
    };
    app.add_plugins((MinimalPlugins, StatesPlugin))
        .add_plugins(CognitoLoginPlugin {
            session: Some(session),
            ..CognitoLoginPlugin::new(backend).without_menu()
        })
        .init_resource::<Seen>()
        .add_systems(
            Update,
            |mut seen: ResMut<Seen>,
             mut signed_in: MessageReader<SignedIn>,
             mut signed_out: MessageReader<SignedOut>,
             mut refreshed: MessageReader<TokensRefreshed>| {
                seen.signed_in += signed_in.read().count();
                seen.signed_out
                    .extend(signed_out.read().map(|m| m.reason.clone()));
                seen.refreshed += refreshed.read().count();
            },
        );
    app
}

fn state(app: &App) -> AuthState {
    *app.world().resource::<State<AuthState>>().get()
}

fn update_until(app: &mut App, what: &str, done: impl Fn(&App) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done(app) {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what} (state {:?})",
            state(app)
        );
        app.update();
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Updates until no request of the player runs.
fn wait_idle(app: &mut App) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while app
        .world_mut()
        .run_system_once(|auth: AuthCommands| auth.running())
        .unwrap()
        .is_some()
    {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for the request"
        );
        app.update();
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", listener.local_addr().unwrap())
}

#[test]
fn valid_stored_tokens_sign_in_with_zero_requests() {
    let (url, requests) = counting_backend(Duration::ZERO);
    let store = MemoryStore::holding(tokens(ID, 3600));
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
    let store = MemoryStore::holding(tokens(ID, -60));
    let mut app = app(ApiGatewayConfig::unverified(&url), store.clone());
    update_until(&mut app, "SignedIn", |app| {
        state(app) == AuthState::SignedIn
    });
    for _ in 0..20 {
        app.update();
    }
    assert_eq!(requests.load(Ordering::SeqCst), 1, "exactly one refresh");
    let stored = store.stored().expect("the refreshed session is stored");
    assert!(stored.expires_at.unwrap() > SystemTime::now());
    assert_eq!(
        stored.refresh_token,
        Some("r".into()),
        "the rotated refresh token is stored"
    );
}

#[test]
fn a_refused_refresh_signs_out_and_forgets_the_session() {
    let backend = LocalStack::spawn(LocalConfig::default()).unwrap();
    let store = MemoryStore::holding(tokens(ID, -60));
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
    let store = MemoryStore::failing(StoreError::Unavailable("locked".into()));
    let mut app = app(backend.endpoints().api_gateway_config(), store.clone());
    update_until(&mut app, "SignedOut", |app| {
        state(app) == AuthState::SignedOut
    });
    let calls_after_failure = store.calls.load(Ordering::SeqCst);

    let command = |app: &mut App, f: fn(&mut AuthCommands)| {
        app.world_mut()
            .run_system_once(move |mut auth: AuthCommands| f(&mut auth))
            .unwrap();
    };
    command(&mut app, |auth| {
        auth.sign_up("keyless", "k@example.com", "Secret-Pass-1")
            .unwrap();
    });
    let mailbox = backend.mailbox().unwrap().clone();
    wait_idle(&mut app);
    let code = mailbox
        .latest_code("keyless", CodePurpose::ConfirmSignUp)
        .unwrap();
    app.world_mut()
        .run_system_once(move |mut auth: AuthCommands| {
            auth.confirm_sign_up("keyless", code.clone()).unwrap()
        })
        .unwrap();
    wait_idle(&mut app);
    command(&mut app, |auth| {
        auth.sign_in("keyless", "Secret-Pass-1").unwrap();
    });
    update_until(&mut app, "SignedIn", |app| {
        state(app) == AuthState::SignedIn
    });
    assert_eq!(
        store.calls.load(Ordering::SeqCst),
        calls_after_failure,
        "no more keychain calls"
    );
}

#[test]
fn a_corrupt_session_is_treated_as_absent_and_cleared() {
    let store = MemoryStore::holding(tokens("not-a-jwt", 3600));
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
    let store = MemoryStore::holding(tokens(ID, 60));
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
    let store = MemoryStore::holding(tokens(ID, 60));
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
    let store = MemoryStore::holding(tokens(ID, 3600));
    let mut app = app(ApiGatewayConfig::unverified(closed_port()), store.clone());
    update_until(&mut app, "SignedIn", |app| {
        state(app) == AuthState::SignedIn
    });
    app.world_mut()
        .run_system_once(|mut auth: AuthCommands| auth.sign_out().map(drop))
        .unwrap()
        .unwrap();
    update_until(&mut app, "the store cleared", |_| store.stored().is_none());
    app.update();
    assert_eq!(state(&app), AuthState::SignedOut);
}

#[test]
fn without_remember_me_a_sign_in_writes_nothing() {
    let (url, _) = counting_backend(Duration::ZERO);
    let store = Arc::new(MemoryStore::default());
    let mut app = app(ApiGatewayConfig::unverified(&url), store.clone());
    update_until(&mut app, "SignedOut", |app| {
        state(app) == AuthState::SignedOut
    });
    app.world_mut()
        .run_system_once(|mut auth: AuthCommands| {
            auth.set_remember(false);
            auth.sign_in("slow", "Secret-Pass-1").unwrap();
        })
        .unwrap();
    update_until(&mut app, "SignedIn", |app| {
        state(app) == AuthState::SignedIn
    });
    wait_idle(&mut app);
    for _ in 0..20 {
        app.update();
        std::thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(store.stored(), None, "nothing written");

    // With it (the default), the same sign-in is kept.
    let (url, _) = counting_backend(Duration::ZERO);
    let store = Arc::new(MemoryStore::default());
    let mut app = self::app(ApiGatewayConfig::unverified(&url), store.clone());
    update_until(&mut app, "SignedOut", |app| {
        state(app) == AuthState::SignedOut
    });
    app.world_mut()
        .run_system_once(|mut auth: AuthCommands| auth.sign_in("slow", "Secret-Pass-1").map(drop))
        .unwrap()
        .unwrap();
    update_until(&mut app, "the session stored", |_| store.stored().is_some());
}

/// A keychain that waits on a prompt nobody answers.
struct StuckStore;

impl SessionStore for StuckStore {
    fn load(&self) -> Result<Option<Tokens>, StoreError> {
        std::thread::sleep(Duration::from_secs(3));
        Ok(Some(tokens(ID, 3600)))
    }

    fn save(&self, _: &Tokens) -> Result<(), StoreError> {
        Ok(())
    }

    fn clear(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

#[test]
fn a_keychain_that_never_answers_does_not_hold_up_the_launch() {
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, StatesPlugin))
        .add_plugins(CognitoLoginPlugin {
            session: Some(SessionSettings {
                store: Some(Arc::new(StuckStore)),
                restore_timeout: Duration::from_millis(200),
                ..SessionSettings::default()
            }),
            ..CognitoLoginPlugin::new(ApiGatewayConfig::unverified(closed_port())).without_menu()
        });
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
