//! Helpers for testing a game that uses the plugin, and for this crate's
//! own tests (feature `test-utils`): a session store in memory, a transport
//! that answers from a script, unsigned tokens for backends configured
//! without token checks, and headless-App helpers.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bevy::ecs::system::RunSystemOnce;
use bevy::prelude::*;
use cognito_login_client::{
    AuthError, AuthOutcome, AuthRequest, BoxFuture, CustomTransport, RememberedDevices,
    SessionStore, StoreError, Tokens, Transport,
};

use crate::{AuthCommands, AuthState};

/// A [`SessionStore`] in memory that counts its calls and can be told to
/// fail or to stall.
#[derive(Default)]
pub struct MemoryStore {
    tokens: Mutex<Option<Tokens>>,
    devices: Mutex<RememberedDevices>,
    guest: Mutex<Option<String>>,
    failure: Mutex<Option<StoreError>>,
    stall: Mutex<Option<Duration>>,
    calls: AtomicUsize,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Arc<Self> {
        Arc::default()
    }

    /// A store holding `tokens`.
    pub fn holding(tokens: Tokens) -> Arc<Self> {
        let store = Self::new();
        store.set(Some(tokens));
        store
    }

    /// What the store holds.
    pub fn stored(&self) -> Option<Tokens> {
        self.tokens.lock().unwrap().clone()
    }

    /// Replaces what the store holds (another instance of the game, or
    /// something planted).
    pub fn set(&self, tokens: Option<Tokens>) {
        *self.tokens.lock().unwrap() = tokens;
    }

    /// The remembered devices the store holds.
    pub fn devices(&self) -> RememberedDevices {
        self.devices.lock().unwrap().clone()
    }

    /// The guest identity id the store keeps.
    pub fn guest(&self) -> Option<String> {
        self.guest.lock().unwrap().clone()
    }

    /// Every later call fails with `error` (`None`: works again).
    pub fn fail_with(&self, error: Option<StoreError>) {
        *self.failure.lock().unwrap() = error;
    }

    /// Every later call first waits `delay` (a keychain prompt nobody
    /// answers); `None` answers at once again.
    pub fn stall_for(&self, delay: Option<Duration>) {
        *self.stall.lock().unwrap() = delay;
    }

    /// How many calls were made.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    fn answer(&self) -> Result<(), StoreError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let stall = *self.stall.lock().unwrap();
        if let Some(delay) = stall {
            std::thread::sleep(delay);
        }
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
        self.set(Some(tokens.clone()));
        Ok(())
    }

    fn clear(&self) -> Result<(), StoreError> {
        self.answer()?;
        self.set(None);
        Ok(())
    }

    fn load_devices(&self) -> Result<RememberedDevices, StoreError> {
        self.answer()?;
        Ok(self.devices())
    }

    fn save_devices(&self, devices: &RememberedDevices) -> Result<(), StoreError> {
        self.answer()?;
        *self.devices.lock().unwrap() = devices.clone();
        Ok(())
    }

    fn load_guest(&self) -> Result<Option<String>, StoreError> {
        self.answer()?;
        Ok(self.guest())
    }

    fn save_guest(&self, identity_id: Option<&str>) -> Result<(), StoreError> {
        self.answer()?;
        *self.guest.lock().unwrap() = identity_id.map(str::to_owned);
        Ok(())
    }
}

/// A JWT with `claims` and no valid signature: for backends configured
/// without token checks (`ApiGatewayConfig::unverified`, [`CannedTransport`]).
pub fn unsigned_jwt(claims: &serde_json::Value) -> String {
    format!(
        "e30.{}.c2ln",
        URL_SAFE_NO_PAD.encode(claims.to_string().as_bytes())
    )
}

/// Unsigned tokens of player `sub` (also its username), issued `lifetime`
/// seconds before they expire, `left` seconds from now.
pub fn unsigned_tokens(sub: &str, lifetime: u64, left: i64) -> Tokens {
    let now = SystemTime::now();
    let expires_at = if left >= 0 {
        now + Duration::from_secs(left as u64)
    } else {
        now - Duration::from_secs(left.unsigned_abs())
    };
    let exp = expires_at.duration_since(UNIX_EPOCH).unwrap().as_secs();
    let claims = serde_json::json!({
        "sub": sub, "cognito:username": sub, "iat": exp.saturating_sub(lifetime), "exp": exp,
    });
    let mut tokens = Tokens::new(
        unsigned_jwt(&claims).into(),
        unsigned_jwt(&claims).into(),
        Some(format!("refresh-token-of-{sub}").into()),
        None,
        now,
    );
    tokens.expires_at = Some(expires_at);
    tokens
}

type Script = dyn Fn(&AuthRequest) -> (Duration, Result<AuthOutcome, AuthError>) + Send + Sync;

/// A [`Transport`] that answers each request from a script, after the delay
/// the script gives, and counts the requests by action. Stored sessions are
/// read without verification.
#[derive(Clone)]
pub struct CannedTransport {
    script: Arc<Script>,
    requests: Arc<Mutex<Vec<AuthRequest>>>,
}

impl CannedTransport {
    /// A transport answering with `script`.
    pub fn new(
        script: impl Fn(&AuthRequest) -> (Duration, Result<AuthOutcome, AuthError>)
        + Send
        + Sync
        + 'static,
    ) -> Self {
        Self {
            script: Arc::new(script),
            requests: Arc::default(),
        }
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<AuthRequest> {
        self.requests.lock().unwrap().clone()
    }

    /// This transport as a plugin backend.
    pub fn backend(&self) -> CustomTransport {
        CustomTransport {
            verifies_tokens: false,
            ..CustomTransport::new("canned", self.clone())
        }
    }
}

impl Transport for CannedTransport {
    fn send(&self, request: AuthRequest) -> BoxFuture<'_, Result<AuthOutcome, AuthError>> {
        self.requests.lock().unwrap().push(request.clone());
        let (delay, answer) = (self.script)(&request);
        Box::pin(async move {
            tokio::time::sleep(delay).await;
            answer
        })
    }
}

/// What tests do with a headless App.
pub trait TestApp {
    /// Updates until `done` holds; panics after 20 seconds.
    fn update_until(&mut self, what: &str, done: impl Fn(&App) -> bool);
    /// Updates until no request of the player runs (its answer has
    /// arrived); panics after 20 seconds.
    fn update_until_idle(&mut self);
    /// Updates for `duration`.
    fn update_for(&mut self, duration: Duration);
    /// The auth state.
    fn auth_state(&self) -> AuthState;
    /// Runs `command` with [`AuthCommands`].
    fn auth<T: 'static>(
        &mut self,
        command: impl FnOnce(&mut AuthCommands) -> T + Send + Sync + 'static,
    ) -> T;
}

impl TestApp for App {
    fn update_until(&mut self, what: &str, done: impl Fn(&App) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !done(self) {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what} (state {:?})",
                self.auth_state()
            );
            self.update();
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    fn update_until_idle(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.auth(|auth| auth.running()).is_some() {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for the answer (state {:?})",
                self.auth_state()
            );
            self.update();
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    fn update_for(&mut self, duration: Duration) {
        let until = Instant::now() + duration;
        while Instant::now() < until {
            self.update();
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    fn auth_state(&self) -> AuthState {
        *self.world().resource::<State<AuthState>>().get()
    }

    fn auth<T: 'static>(
        &mut self,
        command: impl FnOnce(&mut AuthCommands) -> T + Send + Sync + 'static,
    ) -> T {
        let mut command = Some(command);
        self.world_mut()
            .run_system_once(move |mut auth: AuthCommands| {
                (command.take().expect("runs once"))(&mut auth)
            })
            .expect("AuthCommands is available")
    }
}
