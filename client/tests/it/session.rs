//! The client's `Session` alone, without an engine: a whole sign-in with a
//! remembered device, from one launch to the next, as one ordered stream of
//! events.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cognito_login_client::{
    Answer, AuthAction, AuthError, AuthEvent, AuthOutcome, AuthRequest, AuthWorker, BoxFuture,
    CommandError, NewDevice, RememberedDevices, Session, SessionPolicy, SessionStore, StoreError,
    StoreThread, Tokens, Transport,
};

/// A pool where "ada" (or ada@example.com) signs in; a sign-in that proves
/// no device is offered `dev-ada`.
#[derive(Clone, Default)]
struct Pool {
    requests: Arc<Mutex<Vec<AuthRequest>>>,
}

impl Transport for Pool {
    fn send(&self, request: AuthRequest) -> BoxFuture<'_, Result<AuthOutcome, AuthError>> {
        self.requests.lock().unwrap().push(request.clone());
        Box::pin(async move {
            match request {
                AuthRequest::SignIn { device, .. } => {
                    Ok(AuthOutcome::Tokens(tokens(device.is_none())))
                }
                AuthRequest::RememberDevice { .. } => Ok(AuthOutcome::DeviceRemembered),
                AuthRequest::SignOut { .. } => Ok(AuthOutcome::SignedOut),
                other => Err(AuthError::Unsupported(format!("{:?}", other.action()))),
            }
        })
    }
}

fn tokens(offer_device: bool) -> Tokens {
    let exp = (SystemTime::now() + Duration::from_secs(3600))
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = serde_json::json!({"sub": "4f1c-ada", "cognito:username": "ada",
        "email": "ada@example.com", "iat": exp - 3600, "exp": exp});
    let jwt = format!("e30.{}.c2ln", URL_SAFE_NO_PAD.encode(claims.to_string()));
    let mut tokens = Tokens::new(
        jwt.clone().into(),
        jwt.into(),
        Some("refresh-ada".into()),
        None,
        SystemTime::now(),
    );
    tokens.new_device = offer_device.then(|| NewDevice {
        key: "eu-west-1_dev-ada".into(),
        group_key: "-group".into(),
    });
    tokens
}

/// A store in memory, shared by the launches.
#[derive(Default)]
struct Memory {
    session: Mutex<Option<Tokens>>,
    devices: Mutex<RememberedDevices>,
}

impl SessionStore for Memory {
    fn load(&self) -> Result<Option<Tokens>, StoreError> {
        Ok(self.session.lock().unwrap().clone())
    }
    fn save(&self, tokens: &Tokens) -> Result<(), StoreError> {
        *self.session.lock().unwrap() = Some(tokens.clone());
        Ok(())
    }
    fn clear(&self) -> Result<(), StoreError> {
        *self.session.lock().unwrap() = None;
        Ok(())
    }
    fn load_devices(&self) -> Result<RememberedDevices, StoreError> {
        Ok(self.devices.lock().unwrap().clone())
    }
    fn save_devices(&self, devices: &RememberedDevices) -> Result<(), StoreError> {
        *self.devices.lock().unwrap() = devices.clone();
        Ok(())
    }
}

/// One launch of the game: a session over `pool`, kept in `store`.
fn launch(pool: &Pool, store: &Arc<Memory>) -> Session {
    let store = Arc::clone(store);
    let thread = StoreThread::spawn(Box::new(move || Ok(store as Arc<dyn SessionStore>))).unwrap();
    let mut session = Session::new(
        AuthWorker::spawn(pool.clone()).unwrap(),
        Some(thread),
        SessionPolicy::default(),
    );
    session.restore(Instant::now());
    let mut events = events_until(&mut session, |event| *event == AuthEvent::NotRestored);
    // The devices, asked for first, are in by the end of the update that
    // ends the restore, if not before.
    events.extend(std::iter::from_fn(|| session.next_event()));
    // In either order: the devices may come in an update of their own.
    events.sort_by_key(|event| *event == AuthEvent::NotRestored);
    assert_eq!(events, [AuthEvent::DevicesChanged, AuthEvent::NotRestored]);
    session
}

/// Updates `session` until `done` is among its events; returns them all.
fn events_until(session: &mut Session, done: impl Fn(&AuthEvent) -> bool) -> Vec<AuthEvent> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut events = Vec::new();
    loop {
        session.update(Instant::now(), SystemTime::now());
        while let Some(event) = session.next_event() {
            let finished = done(&event);
            events.push(event);
            if finished {
                return events;
            }
        }
        assert!(Instant::now() < deadline, "no such event; saw {events:?}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn replied(action: AuthAction) -> impl Fn(&AuthEvent) -> bool {
    move |event| matches!(event, AuthEvent::Replied(Answer { action: a, .. }) if *a == action)
}

fn proved(pool: &Pool) -> Option<String> {
    pool.requests
        .lock()
        .unwrap()
        .iter()
        .rev()
        .find_map(|request| match request {
            AuthRequest::SignIn { device, .. } => Some(device.as_ref()?.key.clone()),
            _ => None,
        })
}

#[test]
fn a_sign_in_remembers_its_device_and_the_next_launch_proves_it() {
    let pool = Pool::default();
    let store = Arc::new(Memory::default());

    let mut session = launch(&pool, &store);
    let id = session.send(sign_in("ada")).unwrap();
    assert_eq!(session.running(), Some(AuthAction::SignIn));
    assert_eq!(
        session.send(sign_in("ada")),
        Err(CommandError::Busy(AuthAction::SignIn)),
        "one request at a time"
    );
    let events = events_until(&mut session, replied(AuthAction::SignIn));
    // The session starts, then the answer is reported: one stream, in order.
    match &events[..] {
        [
            AuthEvent::SignedIn {
                player,
                request: Some(signed_in),
                restored: false,
                kept: true,
            },
            AuthEvent::Replied(answer),
        ] => {
            assert_eq!(player.identity.username, "ada");
            assert_eq!(player.identity.email.as_deref(), Some("ada@example.com"));
            assert_eq!((answer.id, *signed_in), (id, id));
            assert!(answer.awaited && !answer.proof);
        }
        other => panic!("unexpected events: {other:?}"),
    }
    assert_eq!(session.running(), None);
    assert_eq!(proved(&pool), None, "nothing was remembered yet");
    assert_eq!(
        session.new_device().map(|device| device.key.as_str()),
        Some("eu-west-1_dev-ada")
    );

    session.remember_device("Ada's PC").unwrap();
    events_until(&mut session, replied(AuthAction::RememberDevice));
    events_until(&mut session, |event| *event == AuthEvent::DevicesChanged);
    assert_eq!(session.new_device(), None, "taken");
    assert_eq!(session.this_device(), Some("eu-west-1_dev-ada"));

    // A sign-out keeps the device and forgets the session.
    session.sign_out().unwrap();
    assert_eq!(session.username(), Err(CommandError::NotSignedIn));
    events_until(&mut session, replied(AuthAction::SignOut));
    drop(session);
    assert!(store.session.lock().unwrap().is_none());

    // The next launch: the email address finds the device, and the sign-in
    // proves it.
    let mut session = launch(&pool, &store);
    session.send(sign_in("ada@example.com")).unwrap();
    let events = events_until(&mut session, replied(AuthAction::SignIn));
    assert!(
        matches!(events[0], AuthEvent::SignedIn { .. }),
        "{events:?}"
    );
    assert_eq!(proved(&pool).as_deref(), Some("eu-west-1_dev-ada"));
    assert_eq!(session.new_device(), None, "a proven device is not offered");
}

fn sign_in(name: &str) -> AuthRequest {
    AuthRequest::SignIn {
        username: name.into(),
        password: "Secret-Pass-1".into(),
        device: None,
    }
}
