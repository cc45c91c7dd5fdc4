//! How sessions are kept ([`SessionSettings`]), the client's session made
//! from them, and the messages of a session's life.

use std::sync::Arc;
use std::time::Duration;

use bevy::prelude::*;
use cognito_login_client::{
    AuthWorker, KeychainStore, MakeStore, Session, SessionPolicy, SessionStore, StoreError,
    StoreThread,
};

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

/// The session was refreshed; [`AuthSession`](super::AuthSession) holds the
/// new tokens.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct TokensRefreshed {
    /// Whose session.
    pub username: String,
}

/// The login server cannot be reached: the player stays signed in
/// ([`AuthSession::offline`](super::AuthSession::offline)), and the session
/// is refreshed as soon as the server answers again ([`BackOnline`]).
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct WentOffline {
    /// Whose session.
    pub username: String,
}

/// The login server answers again: the session was refreshed
/// ([`TokensRefreshed`] came first) and is no longer
/// [`offline`](super::AuthSession::offline).
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

/// The client's session over `worker`, keeping sessions as `settings` say
/// (`None`: nothing kept, still refreshed).
pub(crate) fn session(
    worker: AuthWorker,
    settings: Option<&SessionSettings>,
    namespace: &str,
) -> Session {
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
    Session::new(worker, store, policy)
}
