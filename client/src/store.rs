//! Where a signed-in session is kept between launches: the OS keychain
//! through `keyring-core`, one entry per token.
//!
//! The calls block (a Secret Service write takes milliseconds, a locked
//! keychain may wait on a prompt), so they belong on the worker, never on a
//! frame.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use keyring_core::{CredentialStore, Entry, Error};

use crate::outcome::Tokens;
use crate::secret::{AccessToken, IdToken, RefreshToken};

/// Keeps one session between launches.
pub trait SessionStore: Send + Sync + 'static {
    /// The stored session, `Ok(None)` when there is none.
    fn load(&self) -> Result<Option<Tokens>, StoreError>;
    /// Replaces the stored session.
    fn save(&self, tokens: &Tokens) -> Result<(), StoreError>;
    /// Forgets the stored session; forgetting nothing is fine.
    fn clear(&self) -> Result<(), StoreError>;
}

/// Why the session store failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// No keychain answers, or it is locked.
    #[error("the keychain is not available: {0}")]
    Unavailable(String),
    /// An entry is there but cannot be read as a session.
    #[error("the stored session is unreadable: {0}")]
    Corrupt(String),
    /// Any other keychain failure.
    #[error("keychain failure: {0}")]
    Failed(String),
}

impl From<Error> for StoreError {
    fn from(error: Error) -> Self {
        match error {
            Error::NoStorageAccess(_) | Error::NoDefaultStore => {
                Self::Unavailable(error.to_string())
            }
            Error::BadEncoding(_) | Error::BadDataFormat(..) | Error::Ambiguous(_) => {
                Self::Corrupt(error.to_string())
            }
            other => Self::Failed(other.to_string()),
        }
    }
}

/// The entries of a session, by user name within the service.
const ACCESS: &str = "access-token";
const ID: &str = "id-token";
const REFRESH: &str = "refresh-token";
const EXPIRES: &str = "expires-at";
const ALL: [&str; 4] = [ACCESS, ID, REFRESH, EXPIRES];

/// A [`SessionStore`] over a `keyring-core` credential store (the OS
/// keychain, or the mock store in tests).
///
/// Entries are named `{service}` / `{namespace}` so two games, or a test and
/// a production backend, never share a session. Each token is one entry
/// (Windows limits an entry to 2560 bytes).
pub struct KeychainStore {
    store: Arc<CredentialStore>,
    service: String,
}

impl KeychainStore {
    /// A store in `store` for the game `service` and the backend `namespace`
    /// (its base URL, or pool and client ids).
    pub fn new(store: Arc<CredentialStore>, service: &str, namespace: &str) -> Self {
        Self {
            store,
            service: format!("{service} ({namespace})"),
        }
    }

    /// The platform's keychain: the Secret Service on Linux (falling back to
    /// the kernel keyutils store when none answers), the macOS keychain, the
    /// Windows credential manager. The store is this crate's own: the
    /// process-wide default store of `keyring-core` is left alone.
    pub fn os_store() -> Result<Arc<CredentialStore>, StoreError> {
        #[cfg(target_os = "linux")]
        {
            match zbus_secret_service_keyring_store::Store::new() {
                Ok(store) => Ok(store),
                Err(secret_service) => linux_keyutils_keyring_store::Store::new()
                    .map(|store| store as Arc<CredentialStore>)
                    .map_err(|keyutils| {
                        StoreError::Unavailable(format!(
                            "Secret Service: {secret_service}; keyutils: {keyutils}"
                        ))
                    }),
            }
        }
        #[cfg(target_os = "macos")]
        {
            Ok(apple_native_keyring_store::keychain::Store::new()?)
        }
        #[cfg(target_os = "windows")]
        {
            Ok(windows_native_keyring_store::Store::new()?)
        }
        #[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
        {
            Err(StoreError::Unavailable(
                "no keychain on this platform".into(),
            ))
        }
    }

    fn entry(&self, name: &str) -> Result<Entry, StoreError> {
        Ok(self.store.build(&self.service, name, None)?)
    }

    fn read(&self, name: &str) -> Result<Option<String>, StoreError> {
        match self.entry(name)?.get_secret() {
            Ok(bytes) => String::from_utf8(bytes)
                .map(Some)
                .map_err(|_| StoreError::Corrupt(format!("{name} is not text"))),
            Err(Error::NoEntry) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    fn write(&self, name: &str, value: &str) -> Result<(), StoreError> {
        Ok(self.entry(name)?.set_secret(value.as_bytes())?)
    }
}

impl SessionStore for KeychainStore {
    fn load(&self) -> Result<Option<Tokens>, StoreError> {
        let Some(access) = self.read(ACCESS)? else {
            return Ok(None);
        };
        let id = self
            .read(ID)?
            .ok_or_else(|| StoreError::Corrupt("the ID token is missing".into()))?;
        let refresh = self.read(REFRESH)?;
        let expires_at = match self.read(EXPIRES)? {
            Some(seconds) => Some(
                seconds
                    .parse::<u64>()
                    .map(|seconds| UNIX_EPOCH + Duration::from_secs(seconds))
                    .map_err(|_| StoreError::Corrupt("the expiry is not a number".into()))?,
            ),
            None => None,
        };
        if access.is_empty() || id.is_empty() {
            return Err(StoreError::Corrupt("an empty token".into()));
        }
        Ok(Some(Tokens {
            access_token: AccessToken::new(access),
            id_token: IdToken::new(id),
            refresh_token: refresh.map(RefreshToken::new),
            expires_at,
        }))
    }

    fn save(&self, tokens: &Tokens) -> Result<(), StoreError> {
        self.clear()?;
        self.write(ID, tokens.id_token.expose())?;
        if let Some(refresh) = &tokens.refresh_token {
            self.write(REFRESH, refresh.expose())?;
        }
        if let Some(expires_at) = tokens.expires_at {
            let seconds = expires_at
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_secs();
            self.write(EXPIRES, &seconds.to_string())?;
        }
        // The access token goes last: `load` reads a session only once it is there.
        self.write(ACCESS, tokens.access_token.expose())
    }

    fn clear(&self) -> Result<(), StoreError> {
        for name in ALL {
            match self.entry(name)?.delete_credential() {
                Ok(()) | Err(Error::NoEntry) => {}
                Err(error) => return Err(error.into()),
            }
        }
        Ok(())
    }
}

impl std::fmt::Debug for KeychainStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeychainStore")
            .field("store", &self.store.vendor())
            .field("service", &self.service)
            .finish()
    }
}

/// Whether `tokens` are still good at `now`, `margin` before they expire.
pub fn still_valid(tokens: &Tokens, now: SystemTime, margin: Duration) -> bool {
    tokens
        .expires_at
        .and_then(|expires_at| expires_at.checked_sub(margin))
        .is_some_and(|deadline| now < deadline)
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyring_core::mock;

    fn tokens(expires_in: u64) -> Tokens {
        Tokens {
            access_token: "access.jwt.sig".into(),
            id_token: "id.jwt.sig".into(),
            refresh_token: Some("refresh".into()),
            expires_at: Some(UNIX_EPOCH + Duration::from_secs(1_800_000_000 + expires_in)),
        }
    }

    fn store() -> (KeychainStore, Arc<mock::Store>) {
        let mock = mock::Store::new().unwrap();
        (
            KeychainStore::new(mock.clone(), "game", "http://127.0.0.1:1"),
            mock,
        )
    }

    #[test]
    fn saves_loads_and_clears() {
        let (store, _) = store();
        assert_eq!(store.load(), Ok(None));
        store.save(&tokens(60)).unwrap();
        assert_eq!(store.load(), Ok(Some(tokens(60))));
        store.clear().unwrap();
        assert_eq!(store.load(), Ok(None));
        store.clear().expect("clearing nothing is fine");
    }

    #[test]
    fn namespaces_keep_sessions_apart() {
        let mock = mock::Store::new().unwrap();
        let test = KeychainStore::new(mock.clone(), "game", "http://127.0.0.1:1");
        let production = KeychainStore::new(mock, "game", "https://api.example.com");
        test.save(&tokens(60)).unwrap();
        assert_eq!(production.load(), Ok(None));
    }

    #[test]
    fn corrupt_entries_are_reported() {
        let (store, _) = store();
        store.save(&tokens(60)).unwrap();
        store.write(EXPIRES, "soon").unwrap();
        assert!(matches!(store.load(), Err(StoreError::Corrupt(_))));
        store
            .entry(ACCESS)
            .unwrap()
            .set_secret(&[0xff, 0xfe])
            .unwrap();
        assert!(matches!(store.load(), Err(StoreError::Corrupt(_))));
        store
            .save(&tokens(60))
            .expect("a corrupt session is replaced");
        assert_eq!(store.load(), Ok(Some(tokens(60))));
    }

    #[test]
    fn keychain_failures_are_errors_not_panics() {
        let (store, _) = store();
        store.save(&tokens(60)).unwrap();
        let entry = store.entry(ACCESS).unwrap();
        let cred: &mock::Cred = entry.as_any().downcast_ref().unwrap();
        cred.set_error(Error::NoStorageAccess("locked".into()));
        assert!(matches!(store.load(), Err(StoreError::Unavailable(_))));
        assert_eq!(store.load(), Ok(Some(tokens(60))), "the next call works");
    }

    #[test]
    fn validity_keeps_a_margin() {
        let t = tokens(600);
        let expires = t.expires_at.unwrap();
        let margin = Duration::from_secs(300);
        assert!(still_valid(&t, expires - Duration::from_secs(301), margin));
        assert!(!still_valid(&t, expires - Duration::from_secs(299), margin));
        let unknown = Tokens {
            expires_at: None,
            ..t
        };
        assert!(!still_valid(&unknown, expires, margin));
    }
}
