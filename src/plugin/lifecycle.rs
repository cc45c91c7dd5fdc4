//! The glue between Bevy and the client's [`SessionMachine`]: it feeds the
//! machine the keychain's answers and a tick each frame, and turns its
//! events into [`AuthState`], the [`AuthSession`] resource and messages.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bevy::prelude::*;
use cognito_login_client::{
    DeviceChange, KeychainStore, MakeStore, RememberedDevices, RequestId, SessionEvent,
    SessionMachine, SessionPolicy, SessionStore, StoreError, StoreJob, StoreThread, WorkerIo,
};

use super::client::AuthClient;
use super::{AuthSession, AuthState, DevicesNotKept, SignOutReason, SignedIn, SignedOut};

/// How sessions are kept between launches.
#[derive(Clone)]
pub struct SessionSettings {
    /// Names the keychain entries: your game's name.
    pub service: String,
    /// Keeps sessions of different backends apart; `None` uses the
    /// backend's base URL (or pool and client) and the token issuer.
    pub namespace: Option<String>,
    /// Tokens are refreshed this long before the access token expires (or
    /// half their lifetime before, when that is shorter).
    pub refresh_margin: Duration,
    /// Whether "Remember me" starts checked.
    pub remember_by_default: bool,
    /// How long the launch waits for the keychain (a locked one may wait on
    /// a prompt forever) before it gives up and shows the menu.
    pub restore_timeout: Duration,
    /// The store; `None` uses the OS keychain
    /// ([`KeychainStore::os_store`]).
    pub store: Option<Arc<dyn SessionStore>>,
}

impl Default for SessionSettings {
    fn default() -> Self {
        let policy = SessionPolicy::default();
        Self {
            service: "bevy_cognito_login".to_owned(),
            namespace: None,
            refresh_margin: policy.refresh_margin,
            remember_by_default: policy.remember,
            restore_timeout: policy.restore_timeout,
            store: None,
        }
    }
}

impl std::fmt::Debug for SessionSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionSettings")
            .field("service", &self.service)
            .field("namespace", &self.namespace)
            .field("refresh_margin", &self.refresh_margin)
            .field("remember_by_default", &self.remember_by_default)
            .field("restore_timeout", &self.restore_timeout)
            .field("store", &self.store.as_ref().map(|_| "custom"))
            .finish()
    }
}

impl SessionSettings {
    fn policy(&self) -> SessionPolicy {
        SessionPolicy {
            refresh_margin: self.refresh_margin,
            remember: self.remember_by_default,
            restore_timeout: self.restore_timeout,
            ..SessionPolicy::default()
        }
    }

    /// The keychain thread, its store made on it.
    fn store_thread(&self, namespace: &str) -> std::io::Result<StoreThread> {
        let make: MakeStore = match self.store.clone() {
            Some(store) => Box::new(move || Ok(store)),
            None => {
                let service = self.service.clone();
                let namespace = self
                    .namespace
                    .clone()
                    .unwrap_or_else(|| namespace.to_owned());
                Box::new(move || {
                    let store = KeychainStore::os_store()?;
                    Ok(Arc::new(KeychainStore::new(store, &service, &namespace))
                        as Arc<dyn SessionStore>)
                })
            }
        };
        StoreThread::spawn(make)
    }
}

/// The session was refreshed; [`AuthSession`] holds the new tokens.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct TokensRefreshed {
    /// Whose session.
    pub username: String,
}

/// The login server cannot be reached: the player stays signed in
/// ([`AuthSession::offline`]), and the session is refreshed as soon as the
/// server answers again ([`BackOnline`]).
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct WentOffline {
    /// Whose session.
    pub username: String,
}

/// The login server answers again: the session was refreshed
/// ([`TokensRefreshed`] came first) and is no longer
/// [`offline`](AuthSession::offline).
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct BackOnline {
    /// Whose session.
    pub username: String,
}

/// The stored session could not be forgotten (after a sign-out, or after
/// the server ended it): the keychain failed even when tried again. The next
/// launch may restore it; the game may tell the player.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct SessionNotForgotten {
    /// Why.
    pub error: StoreError,
}

/// The session machine and, when sessions are kept, the keychain's thread
/// and the devices it remembers.
#[derive(Resource, Debug)]
pub(crate) struct Lifecycle {
    pub(crate) machine: SessionMachine,
    pub(crate) store: Option<StoreThread>,
    /// The remembered devices, as the keychain last answered.
    pub(crate) devices: RememberedDevices,
    /// What changes in `devices` once a request succeeds.
    pub(crate) device_change: Option<(RequestId, DeviceChange)>,
    /// The name the player signed in with, this session.
    pub(crate) signed_in_as: Option<String>,
}

impl Lifecycle {
    /// The machine for `settings` (`None`: nothing kept, still refreshed).
    pub(crate) fn new(settings: Option<&SessionSettings>, namespace: &str) -> Self {
        let policy = settings.map_or_else(
            || SessionPolicy {
                remember: false,
                ..SessionPolicy::default()
            },
            SessionSettings::policy,
        );
        let store = settings.and_then(|settings| match settings.store_thread(namespace) {
            Ok(thread) => Some(thread),
            Err(error) => {
                warn!("the keychain thread could not start ({error}): sessions are not kept");
                None
            }
        });
        Self {
            machine: SessionMachine::new(policy),
            store,
            devices: RememberedDevices::default(),
            device_change: None,
            signed_in_as: None,
        }
    }

    /// The machine and what it drives, borrowed together.
    pub(crate) fn split<'a>(
        &'a mut self,
        client: &'a AuthClient,
    ) -> (&'a mut SessionMachine, WorkerIo<'a>) {
        let io = WorkerIo {
            worker: &client.worker,
            store: self.store.as_ref(),
        };
        (&mut self.machine, io)
    }
}

/// At launch: asks the keychain for a stored session.
pub(crate) fn start_restore(
    client: Option<Res<AuthClient>>,
    mut lifecycle: ResMut<Lifecycle>,
    mut next: ResMut<NextState<AuthState>>,
) {
    match client {
        Some(client) => {
            let (machine, mut io) = lifecycle.split(&client);
            // The devices first: they are known by the time the restore
            // ends (see `drive`), so the first sign-in proves its device.
            if let Some(store) = io.store {
                store.run(machine.generation(), StoreJob::LoadDevices);
            }
            machine.restore(&mut io, Instant::now());
        }
        None => next.set(AuthState::SignedOut),
    }
}

/// Each frame: the keychain's answers, then the clock (a restore that waited
/// too long, a refresh that came due).
pub(crate) fn drive(
    client: Res<AuthClient>,
    mut lifecycle: ResMut<Lifecycle>,
    mut not_kept: MessageWriter<DevicesNotKept>,
) {
    let lifecycle = &mut *lifecycle;
    let (machine, mut io) = lifecycle.split(&client);
    while let Some(reply) = io.store.and_then(StoreThread::try_recv) {
        machine.stored(&mut io, reply);
    }
    machine.tick(&mut io, Instant::now(), SystemTime::now());
    // After the session's answers: a device job queued before a session
    // job has answered by the time that one has (one keychain thread, in
    // order), so the devices loaded at launch are in before the restore ends.
    while let Some(reply) = lifecycle
        .store
        .as_ref()
        .and_then(StoreThread::try_recv_devices)
    {
        match reply {
            Ok(devices) => lifecycle.devices = devices,
            Err(error) => {
                warn!(%error, "the remembered devices were not kept");
                not_kept.write(DevicesNotKept { error });
            }
        }
    }
}

/// The messages the session's events write.
#[derive(bevy::ecs::system::SystemParam)]
pub(crate) struct SessionMessages<'w> {
    signed_in: MessageWriter<'w, SignedIn>,
    signed_out: MessageWriter<'w, SignedOut>,
    refreshed: MessageWriter<'w, TokensRefreshed>,
    offline: MessageWriter<'w, WentOffline>,
    online: MessageWriter<'w, BackOnline>,
    not_forgotten: MessageWriter<'w, SessionNotForgotten>,
}

/// Turns the machine's events into state, the session resource and messages.
pub(crate) fn apply_events(
    mut lifecycle: ResMut<Lifecycle>,
    mut session: Option<ResMut<AuthSession>>,
    mut next: ResMut<NextState<AuthState>>,
    mut commands: Commands,
    mut messages: SessionMessages,
) {
    // A session signed in by these events, inserted at the end (an offline
    // event may follow its sign-in).
    let mut signed_in: Option<AuthSession> = None;
    while let Some(event) = lifecycle.machine.next_event() {
        let current = signed_in.as_mut().or(session.as_deref_mut());
        match event {
            SessionEvent::SignedIn { tokens, restored } => match AuthSession::from_tokens(tokens) {
                Ok(mut fresh) => {
                    // A sign-in is proof; a restored session is not.
                    fresh.proven_at = (!restored).then(Instant::now);
                    fresh.kept =
                        restored || (lifecycle.store.is_some() && lifecycle.machine.remembers());
                    info!(username = %fresh.username, restored, "signed in");
                    messages.signed_in.write(SignedIn {
                        username: fresh.username.clone(),
                    });
                    signed_in = Some(fresh);
                    next.set(AuthState::SignedIn);
                }
                Err(error) => {
                    // Verified tokens always carry a `sub`; an unverified
                    // backend's may not.
                    warn!(%error, "the session's ID token is unreadable");
                    next.set(AuthState::SignedOut);
                }
            },
            SessionEvent::Refreshed(tokens) => match (current, AuthSession::from_tokens(tokens)) {
                (Some(session), Ok(fresh)) => {
                    let account = session.account.take();
                    let new_device = session.new_device.take();
                    *session = AuthSession {
                        account,
                        new_device,
                        offline: session.offline,
                        proven_at: session.proven_at,
                        kept: session.kept,
                        ..fresh
                    };
                    messages.refreshed.write(TokensRefreshed {
                        username: session.username.clone(),
                    });
                }
                (_, Err(error)) => warn!(%error, "the refreshed ID token is unreadable"),
                (None, Ok(_)) => {}
            },
            SessionEvent::Offline | SessionEvent::Online => {
                let offline = event == SessionEvent::Offline;
                if let Some(session) = current {
                    session.offline = offline;
                    let username = session.username.clone();
                    if offline {
                        info!(%username, "offline: the login server cannot be reached");
                        messages.offline.write(WentOffline { username });
                    } else {
                        info!(%username, "back online");
                        messages.online.write(BackOnline { username });
                    }
                }
            }
            SessionEvent::Ended(error) => {
                info!("the session ended: {error}");
                signed_in = None;
                commands.remove_resource::<AuthSession>();
                next.set(AuthState::SignedOut);
                messages.signed_out.write(SignedOut {
                    reason: SignOutReason::SessionEnded(error),
                });
            }
            SessionEvent::NotRestored => next.set(AuthState::SignedOut),
            SessionEvent::ForgetFailed(error) => {
                messages.not_forgotten.write(SessionNotForgotten { error });
            }
            _ => {}
        }
    }
    if let Some(fresh) = signed_in {
        commands.insert_resource(fresh);
    }
}
