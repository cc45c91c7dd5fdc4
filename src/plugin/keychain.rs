//! Sessions that survive a restart: the keychain jobs (run on the worker),
//! restore at launch, refresh ahead of expiry, and forgetting at sign-out.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use bevy::prelude::*;
use cognito_login_client::{
    AuthError, AuthOutcome, AuthRequest, KeychainStore, RequestId, SessionStore, StoreError,
    Tokens, still_valid,
};
use crossbeam_channel::{Receiver, Sender};

use super::commands::AuthClient;
use super::{AuthSession, AuthState, SignOutReason, SignedIn, SignedOut};

/// How sessions are kept between launches.
#[derive(Clone)]
pub struct SessionSettings {
    /// Names the keychain entries: your game's name.
    pub service: String,
    /// Keeps sessions of different backends apart; `None` uses the
    /// backend's base URL.
    pub namespace: Option<String>,
    /// Tokens are refreshed this long before the access token expires.
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
        Self {
            service: "bevy_cognito_login".to_owned(),
            namespace: None,
            refresh_margin: Duration::from_secs(5 * 60),
            remember_by_default: true,
            restore_timeout: Duration::from_secs(5),
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

/// The session was refreshed; [`AuthSession`] holds the new tokens.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct TokensRefreshed {
    /// Whose session.
    pub username: String,
}

type MakeStore = dyn Fn() -> Result<Arc<dyn SessionStore>, StoreError> + Send + Sync;

enum Job {
    Load,
    Save(Tokens),
    Clear,
}

pub(crate) enum JobResult {
    Loaded(Result<Option<Tokens>, StoreError>),
    Done(Result<(), StoreError>),
}

/// The keychain, reached only through jobs on the worker.
#[derive(Resource)]
pub(crate) struct Keychain {
    store: Arc<OnceLock<Result<Arc<dyn SessionStore>, StoreError>>>,
    make: Arc<MakeStore>,
    results: Receiver<JobResult>,
    sender: Sender<JobResult>,
    /// Whether the current session is written to the keychain.
    pub(crate) remember: bool,
    /// Set after the first failure: one warning, then no more keychain calls.
    failed: bool,
    restore_timeout: Duration,
    /// While the launch waits for the stored session.
    restore_deadline: Option<Instant>,
}

impl Keychain {
    pub(crate) fn new(settings: &SessionSettings, namespace: &str) -> Self {
        let (sender, results) = crossbeam_channel::unbounded();
        let namespace = settings
            .namespace
            .clone()
            .unwrap_or_else(|| namespace.to_owned());
        let service = settings.service.clone();
        let make: Arc<MakeStore> = match settings.store.clone() {
            Some(store) => Arc::new(move || Ok(store.clone())),
            None => Arc::new(move || {
                let store = KeychainStore::os_store()?;
                Ok(Arc::new(KeychainStore::new(store, &service, &namespace))
                    as Arc<dyn SessionStore>)
            }),
        };
        Self {
            store: Arc::new(OnceLock::new()),
            make,
            results,
            sender,
            remember: settings.remember_by_default,
            failed: false,
            restore_timeout: settings.restore_timeout,
            restore_deadline: None,
        }
    }

    fn run(&self, client: &AuthClient, job: Job) {
        if self.failed {
            return;
        }
        let (store, make, sender) = (self.store.clone(), self.make.clone(), self.sender.clone());
        client.worker.run_blocking(move || {
            let store = store.get_or_init(|| make());
            let result = match (store, job) {
                (Err(error), Job::Load) => JobResult::Loaded(Err(error.clone())),
                (Err(error), _) => JobResult::Done(Err(error.clone())),
                (Ok(store), Job::Load) => JobResult::Loaded(store.load()),
                (Ok(store), Job::Save(tokens)) => JobResult::Done(store.save(&tokens)),
                (Ok(store), Job::Clear) => JobResult::Done(store.clear()),
            };
            let _ = sender.send(result);
        });
    }

    /// Writes the session when it is remembered, else makes sure none is kept.
    pub(crate) fn keep(&self, client: &AuthClient, tokens: &Tokens) {
        let job = if self.remember {
            Job::Save(tokens.clone())
        } else {
            Job::Clear
        };
        self.run(client, job);
    }

    pub(crate) fn forget(&self, client: &AuthClient) {
        self.run(client, Job::Clear);
    }

    fn fail(&mut self, error: &StoreError) {
        if !self.failed {
            warn!("{error}: the session will not be remembered");
            self.failed = true;
        }
    }
}

/// The refresh running or planned for the current session.
#[derive(Resource, Debug, Default)]
pub(crate) struct Refresh {
    pub(crate) in_flight: Option<RequestId>,
    retry_at: Option<Instant>,
    failures: u32,
    margin: Duration,
}

impl Refresh {
    pub(crate) fn new(margin: Duration) -> Self {
        Self {
            margin,
            ..Self::default()
        }
    }
}

/// At launch: asks the keychain for a stored session.
pub(crate) fn start_restore(
    client: Option<Res<AuthClient>>,
    mut keychain: ResMut<Keychain>,
    mut next: ResMut<NextState<AuthState>>,
) {
    match client {
        Some(client) => {
            keychain.restore_deadline = Some(Instant::now() + keychain.restore_timeout);
            keychain.run(&client, Job::Load);
        }
        None => next.set(AuthState::SignedOut),
    }
}

/// Applies the keychain's answers.
pub(crate) fn receive_keychain(
    client: Res<AuthClient>,
    mut keychain: ResMut<Keychain>,
    mut refresh: ResMut<Refresh>,
    mut next: ResMut<NextState<AuthState>>,
    mut commands: Commands,
    mut signed_in: MessageWriter<SignedIn>,
) {
    if keychain
        .restore_deadline
        .is_some_and(|deadline| Instant::now() >= deadline)
    {
        keychain.restore_deadline = None;
        keychain.fail(&StoreError::Unavailable("no answer in time".into()));
        next.set(AuthState::SignedOut);
    }
    while let Ok(result) = keychain.results.try_recv() {
        if let JobResult::Loaded(_) = result
            && keychain.restore_deadline.take().is_none()
        {
            continue; // The launch gave up waiting for this answer.
        }
        match result {
            JobResult::Loaded(Ok(Some(tokens)))
                if still_valid(&tokens, SystemTime::now(), Duration::ZERO) =>
            {
                match AuthSession::from_tokens(tokens) {
                    Ok(session) => {
                        info!(username = %session.username, "signed in from the keychain");
                        signed_in.write(SignedIn {
                            username: session.username.clone(),
                        });
                        commands.insert_resource(session);
                        next.set(AuthState::SignedIn);
                    }
                    Err(_) => {
                        warn!("the stored session is unreadable; it is forgotten");
                        keychain.forget(&client);
                        next.set(AuthState::SignedOut);
                    }
                }
            }
            JobResult::Loaded(Ok(Some(
                tokens @ Tokens {
                    refresh_token: Some(_),
                    ..
                },
            ))) => {
                // Expired: exactly one refresh; its answer ends the restore.
                refresh.in_flight = Some(client.worker.send(AuthRequest::Refresh {
                    username: tokens.internal_username(),
                    refresh_token: tokens.refresh_token.expect("matched above"),
                }));
            }
            JobResult::Loaded(Ok(_)) => {
                next.set(AuthState::SignedOut);
            }
            JobResult::Loaded(Err(StoreError::Corrupt(reason))) => {
                warn!("the stored session is unreadable ({reason}); it is forgotten");
                keychain.forget(&client);
                next.set(AuthState::SignedOut);
            }
            JobResult::Loaded(Err(error)) => {
                keychain.fail(&error);
                next.set(AuthState::SignedOut);
            }
            JobResult::Done(Err(error)) => keychain.fail(&error),
            JobResult::Done(Ok(())) => {}
        }
    }
}

/// While signed in: refreshes the tokens `margin` before they expire, one
/// refresh at a time, backing off after failures.
pub(crate) fn refresh_ahead(
    client: Res<AuthClient>,
    session: Res<AuthSession>,
    mut refresh: ResMut<Refresh>,
) {
    if refresh.in_flight.is_some() || refresh.retry_at.is_some_and(|at| Instant::now() < at) {
        return;
    }
    let (Some(refresh_token), Some(expires_at)) = (&session.refresh_token, session.expires_at)
    else {
        return;
    };
    let due = expires_at
        .checked_sub(refresh.margin)
        .is_none_or(|due| SystemTime::now() >= due);
    if due {
        refresh.in_flight = Some(client.worker.send(AuthRequest::Refresh {
            refresh_token: refresh_token.clone(),
            username: Some(session.username.clone()),
        }));
    }
}

/// Applies the answer to a refresh: new tokens in place (or, at launch,
/// the restored session); a refused refresh ends the session; no answer
/// backs off while signed in, or signs out at launch.
pub(crate) fn refresh_answered(
    keeping: &mut Keeping,
    result: Result<AuthOutcome, AuthError>,
    client: &AuthClient,
    next: &mut NextState<AuthState>,
    commands: &mut Commands,
) {
    let Keeping {
        keychain,
        refresh,
        session,
        messages,
    } = keeping;
    let (keychain, session) = (keychain.as_deref(), session.as_deref_mut());
    let Some(refresh) = refresh.as_deref_mut() else {
        return;
    };
    refresh.in_flight = None;
    let restoring = session.is_none();
    let tokens = match result {
        Ok(AuthOutcome::Tokens(tokens)) => Ok(tokens),
        Ok(other) => Err(AuthError::Unsupported(format!(
            "a refresh answered {other:?}"
        ))),
        Err(error) => Err(error),
    };
    let fresh = tokens.and_then(|tokens| {
        let fresh = AuthSession::from_tokens(tokens.clone())?;
        if let Some(keychain) = keychain {
            keychain.keep(client, &tokens);
        }
        Ok(fresh)
    });
    match (fresh, session) {
        (Ok(fresh), Some(session)) => {
            *refresh = Refresh::new(refresh.margin);
            *session = fresh;
            messages.tokens_refreshed.write(TokensRefreshed {
                username: session.username.clone(),
            });
        }
        (Ok(fresh), None) => {
            info!(username = %fresh.username, "signed in from the keychain after a refresh");
            messages.signed_in.write(SignedIn {
                username: fresh.username.clone(),
            });
            commands.insert_resource(fresh);
            next.set(AuthState::SignedIn);
        }
        (Err(error), _) if !error.is_retryable() => {
            info!("the session ended: {error}");
            if let Some(keychain) = keychain {
                keychain.forget(client);
            }
            commands.remove_resource::<AuthSession>();
            next.set(AuthState::SignedOut);
            if !restoring {
                messages.signed_out.write(SignedOut {
                    reason: SignOutReason::SessionEnded(error),
                });
            }
        }
        (Err(error), Some(_)) => {
            refresh.failures += 1;
            let backoff =
                Duration::from_secs(5 << refresh.failures.min(6)).min(Duration::from_secs(300));
            refresh.retry_at = Some(Instant::now() + backoff);
            warn!(%error, ?backoff, "the session could not be refreshed; trying again later");
        }
        (Err(error), None) => {
            // At launch with no answer: play signed out, keep the stored session.
            warn!(%error, "the stored session could not be refreshed");
            next.set(AuthState::SignedOut);
        }
    }
}

/// The session's keeping: the keychain and the refresh, when enabled.
#[derive(bevy::ecs::system::SystemParam)]
pub(crate) struct Keeping<'w> {
    pub(crate) keychain: Option<Res<'w, Keychain>>,
    pub(crate) refresh: Option<ResMut<'w, Refresh>>,
    pub(crate) session: Option<ResMut<'w, AuthSession>>,
    pub(crate) messages: SessionMessages<'w>,
}

/// The messages a refresh can write.
#[derive(bevy::ecs::system::SystemParam)]
pub(crate) struct SessionMessages<'w> {
    pub(crate) signed_in: MessageWriter<'w, SignedIn>,
    pub(crate) signed_out: MessageWriter<'w, SignedOut>,
    pub(crate) tokens_refreshed: MessageWriter<'w, TokensRefreshed>,
}
