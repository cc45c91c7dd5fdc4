//! Where a signed-in session is kept between launches: the OS keychain
//! through `keyring-core`, one entry per session.
//!
//! The calls block (a Secret Service write takes milliseconds, a locked
//! keychain may wait on a prompt), so they belong on the worker, never on a
//! frame.

use std::sync::Arc;

use keyring_core::{CredentialStore, Entry, Error};

use crate::device::RememberedDevices;
use crate::outcome::Tokens;
use crate::secret::{AccessToken, IdToken, RefreshToken};
use crate::signing_keys::SigningKeys;

/// Keeps one session between launches.
pub trait SessionStore: Send + Sync + 'static {
    /// The stored session, `Ok(None)` when there is none.
    fn load(&self) -> Result<Option<Tokens>, StoreError>;
    /// Replaces the stored session.
    fn save(&self, tokens: &Tokens) -> Result<(), StoreError>;
    /// Forgets the stored session; forgetting nothing is fine. The
    /// remembered devices stay.
    fn clear(&self) -> Result<(), StoreError>;
    /// The devices this computer remembers. A store that keeps none (the
    /// default) has none.
    fn load_devices(&self) -> Result<RememberedDevices, StoreError> {
        Ok(RememberedDevices::default())
    }
    /// Replaces the remembered devices; an empty set leaves nothing behind.
    /// A store that keeps none (the default) refuses: sign-ins will ask for
    /// the MFA code as before.
    fn save_devices(&self, devices: &RememberedDevices) -> Result<(), StoreError> {
        if devices.is_empty() {
            Ok(())
        } else {
            Err(StoreError::Failed(
                "this session store keeps no remembered devices".into(),
            ))
        }
    }
    /// The guest identity this computer keeps (an identity pool's id; it
    /// gives that guest's credentials to whoever holds it), `Ok(None)` when
    /// there is none. A store that keeps none (the default) has none.
    fn load_guest(&self) -> Result<Option<String>, StoreError> {
        Ok(None)
    }
    /// Keeps `identity_id` as the guest of this computer, or forgets the
    /// guest (`None`). A store that keeps none (the default) refuses: the
    /// next guest is a new one.
    fn save_guest(&self, identity_id: Option<&str>) -> Result<(), StoreError> {
        match identity_id {
            None => Ok(()),
            Some(_) => Err(StoreError::Failed(
                "this session store keeps no guest".into(),
            )),
        }
    }
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

/// The entry that holds a session (or, where entries are small, its header).
const SESSION: &str = "session";
/// The entry that holds the remembered devices.
const DEVICES: &str = "devices";
/// The entry that holds the guest's identity id.
const GUEST: &str = "guest";
/// Entries of the one-entry-per-token format of earlier versions, removed
/// by [`SessionStore::clear`].
const LEGACY: [&str; 4] = ["access-token", "id-token", "refresh-token", "expires-at"];
/// Windows limits a credential to 2560 bytes.
const PLATFORM_ENTRY_LIMIT: Option<usize> = if cfg!(windows) { Some(2560) } else { None };

/// The stored form of a session: its three tokens, whether it began in the
/// browser, and the pool's keys they were verified with. The expiry is read
/// from the verified access token when the session is restored.
#[derive(serde::Serialize, serde::Deserialize)]
struct Stored {
    access: String,
    id: String,
    refresh: Option<String>,
    /// [`Tokens::from_browser`]; absent when false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    browser: bool,
    /// [`Tokens::signing_keys`]' JWKS document; absent when unverified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    keys: Option<String>,
}

/// A [`SessionStore`] over a `keyring-core` credential store (the OS
/// keychain, or the mock store in tests).
///
/// Entries are named `{service}` / `{namespace}` so two games, or a test and
/// a production backend, never share a session. A session is one entry
/// holding one JSON document, so a load sees one whole session or none, even
/// while another instance of the game writes. Where the platform limits an
/// entry's size (Windows: 2560 bytes), the document is split over numbered
/// entries that all carry the same random save id, checked on load.
pub struct KeychainStore {
    store: Arc<CredentialStore>,
    service: String,
    entry_limit: Option<usize>,
}

impl KeychainStore {
    /// A store in `store` for the game `service` and the backend `namespace`
    /// (its base URL, or pool and client ids, and the token issuer).
    pub fn new(store: Arc<CredentialStore>, service: &str, namespace: &str) -> Self {
        Self {
            store,
            service: format!("{service} ({namespace})"),
            entry_limit: PLATFORM_ENTRY_LIMIT,
        }
    }

    /// The same store with entries of at most `bytes` (the platform's limit
    /// by default): longer sessions are split over several entries.
    pub fn with_entry_limit(self, bytes: usize) -> Self {
        Self {
            entry_limit: Some(bytes.max(64)),
            ..self
        }
    }

    /// The platform's keychain: the Secret Service on Linux, the macOS
    /// keychain, the Windows credential manager. The store is this crate's
    /// own: the process-wide default store of `keyring-core` is left alone.
    /// Without the `keychain` feature there is none.
    ///
    /// Where no Secret Service answers (SteamOS's Game Mode, a minimal
    /// desktop), it is a [`FileStore`](crate::FileStore) in the user's data
    /// folder, with one warning: files only the user can read, which outlive
    /// a reboot, where the kernel's keyring would not.
    pub fn os_store() -> Result<Arc<CredentialStore>, StoreError> {
        #[cfg(all(feature = "keychain", target_os = "linux"))]
        {
            match crate::secret_service::SecretServiceStore::new() {
                Ok(store) => Ok(store as Arc<CredentialStore>),
                Err(secret_service) => match crate::FileStore::in_data_dir() {
                    Some(files) => {
                        tracing::warn!(
                            "no Secret Service answers ({secret_service}): the session is kept in {}, \
                             in files only this user can read",
                            files.dir().display()
                        );
                        Ok(files as Arc<CredentialStore>)
                    }
                    None => Err(StoreError::Unavailable(format!(
                        "Secret Service: {secret_service}; no data folder (HOME) for files"
                    ))),
                },
            }
        }
        #[cfg(all(feature = "keychain", target_os = "macos"))]
        {
            Ok(apple_native_keyring_store::keychain::Store::new()?)
        }
        #[cfg(all(feature = "keychain", target_os = "windows"))]
        {
            Ok(windows_native_keyring_store::Store::new()?)
        }
        #[cfg(not(all(
            feature = "keychain",
            any(target_os = "linux", target_os = "macos", target_os = "windows")
        )))]
        {
            Err(StoreError::Unavailable(
                "no OS keychain on this platform, or the `keychain` feature is off".into(),
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

    fn delete(&self, name: &str) -> Result<bool, StoreError> {
        match self.entry(name)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(Error::NoEntry) => Ok(false),
            Err(error) => Err(error.into()),
        }
    }

    /// Deletes the parts `from..` of an earlier, longer save.
    fn delete_parts(&self, from: usize) -> Result<(), StoreError> {
        let mut part = from;
        while self.delete(&part_name(part))? {
            part += 1;
        }
        Ok(())
    }
}

fn part_name(part: usize) -> String {
    format!("{SESSION}.{part}")
}

/// The header of a split session: `{save id} {parts}`.
fn split_header(id: &str, parts: usize) -> String {
    format!("split {id} {parts}")
}

impl SessionStore for KeychainStore {
    fn load(&self) -> Result<Option<Tokens>, StoreError> {
        let Some(text) = self.read(SESSION)? else {
            return Ok(None);
        };
        let document = match text.strip_prefix("split ") {
            None => text,
            Some(header) => {
                let (id, parts) = header
                    .split_once(' ')
                    .and_then(|(id, parts)| Some((id, parts.parse::<usize>().ok()?)))
                    .filter(|(_, parts)| (1..=64).contains(parts))
                    .ok_or_else(|| {
                        StoreError::Corrupt("the session header is unreadable".into())
                    })?;
                let mut document = String::new();
                for part in 1..=parts {
                    let piece = self.read(&part_name(part))?.unwrap_or_default();
                    match piece.split_once('\n') {
                        Some((part_id, piece)) if part_id == id => document.push_str(piece),
                        // Another instance is saving a session over this one:
                        // none is read rather than a mix of two.
                        _ => return Ok(None),
                    }
                }
                document
            }
        };
        let stored: Stored = serde_json::from_str(&document)
            .map_err(|error| StoreError::Corrupt(format!("the session is unreadable: {error}")))?;
        if stored.access.is_empty() || stored.id.is_empty() {
            return Err(StoreError::Corrupt("an empty token".into()));
        }
        Ok(Some(Tokens {
            access_token: AccessToken::new(stored.access),
            id_token: IdToken::new(stored.id),
            refresh_token: stored.refresh.map(RefreshToken::new),
            expires_at: None,
            new_device: None,
            from_browser: stored.browser,
            signing_keys: stored.keys.map(SigningKeys::stored),
        }))
    }

    fn save(&self, tokens: &Tokens) -> Result<(), StoreError> {
        let document = serde_json::to_string(&Stored {
            access: tokens.access_token.expose().to_owned(),
            id: tokens.id_token.expose().to_owned(),
            refresh: tokens.refresh_token.as_ref().map(|t| t.expose().to_owned()),
            browser: tokens.from_browser,
            keys: tokens
                .signing_keys
                .as_ref()
                .map(|keys| keys.document().to_owned()),
        })
        .expect("strings always serialize");
        let limit = self.entry_limit.unwrap_or(usize::MAX);
        if document.len() <= limit {
            self.write(SESSION, &document)?;
            return self.delete_parts(1);
        }
        // The parts first, the header that names them last: a load reads a
        // split session only once all its parts carry the header's id.
        let id = save_id()?;
        let pieces = split_at_chars(&document, limit - id.len() - 1);
        for (part, piece) in pieces.iter().enumerate() {
            self.write(&part_name(part + 1), &format!("{id}\n{piece}"))?;
        }
        self.write(SESSION, &split_header(&id, pieces.len()))?;
        self.delete_parts(pieces.len() + 1)
    }

    fn clear(&self) -> Result<(), StoreError> {
        // The header first: from then on no load sees a session.
        self.delete(SESSION)?;
        self.delete_parts(1)?;
        for name in LEGACY {
            self.delete(name)?;
        }
        Ok(())
    }

    fn load_devices(&self) -> Result<RememberedDevices, StoreError> {
        match self.read(DEVICES)? {
            None => Ok(RememberedDevices::default()),
            Some(text) => serde_json::from_str(&text).map_err(|error| {
                StoreError::Corrupt(format!("the remembered devices are unreadable: {error}"))
            }),
        }
    }

    fn save_devices(&self, devices: &RememberedDevices) -> Result<(), StoreError> {
        if devices.is_empty() {
            return self.delete(DEVICES).map(drop);
        }
        // One entry, so it is never split: the oldest go where it is small.
        let mut devices = devices.clone();
        let limit = self.entry_limit.unwrap_or(usize::MAX);
        loop {
            let document = serde_json::to_string(&devices).expect("devices always serialize");
            if document.len() <= limit {
                return self.write(DEVICES, &document);
            }
            if !devices.drop_oldest() {
                return self.delete(DEVICES).map(drop);
            }
        }
    }

    fn load_guest(&self) -> Result<Option<String>, StoreError> {
        let id = self.read(GUEST)?;
        match id {
            Some(id) if !is_identity_id(&id) => Err(StoreError::Corrupt(
                "the kept guest identity is not an identity id".into(),
            )),
            id => Ok(id),
        }
    }

    fn save_guest(&self, identity_id: Option<&str>) -> Result<(), StoreError> {
        match identity_id {
            Some(id) => self.write(GUEST, id),
            None => self.delete(GUEST).map(drop),
        }
    }
}

/// An identity pool's identity id: `region:uuid`, short and printable.
fn is_identity_id(id: &str) -> bool {
    id.len() <= 128
        && id
            .split_once(':')
            .is_some_and(|(region, rest)| !region.is_empty() && !rest.is_empty())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | ':' | '_'))
}

/// `text` in pieces of at most `room` bytes, never inside a character.
fn split_at_chars(text: &str, room: usize) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let mut end = room.min(rest.len());
        while !rest.is_char_boundary(end) {
            end -= 1;
        }
        let (piece, tail) = rest.split_at(end);
        pieces.push(piece);
        rest = tail;
    }
    pieces
}

/// A random id for one save of a split session.
fn save_id() -> Result<String, StoreError> {
    let mut bytes = [0u8; 8];
    getrandom::getrandom(&mut bytes)
        .map_err(|error| StoreError::Failed(format!("no random numbers: {error}")))?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

impl std::fmt::Debug for KeychainStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeychainStore")
            .field("store", &self.store.vendor())
            .field("service", &self.service)
            .finish()
    }
}

/// Loads a session and the remembered devices from entries holding
/// `data`'s NUL-separated pieces (the session, its first two parts, the
/// devices), as a launch does after another program wrote them. No input
/// may panic.
#[cfg(fuzzing)]
pub(crate) fn fuzz(data: &[u8]) {
    let store = KeychainStore::new(
        keyring_core::mock::Store::new().expect("the mock store opens"),
        "fuzz",
        "fuzz",
    );
    let text = String::from_utf8_lossy(data);
    let names = [
        SESSION.to_owned(),
        part_name(1),
        part_name(2),
        DEVICES.to_owned(),
    ];
    for (name, value) in names.iter().zip(text.split('\0')) {
        store.write(name, value).expect("the mock store writes");
    }
    let _ = store.load();
    let _ = store.load_devices();
}

#[cfg(test)]
mod tests;
