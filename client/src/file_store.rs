//! A `keyring-core` store over files, for machines with no keychain that
//! answers: SteamOS's Game Mode, a minimal Linux desktop, a container.
//!
//! Each entry is one file, readable and writable by its owner only (mode
//! `0600` in a `0700` folder), replaced whole by a rename so that a reader
//! sees the old entry or the new one, never half of each. An entry whose
//! file another user could read or that another user owns is refused, not
//! used. Nothing seals the contents: they are as safe as the user's files
//! (see the guide's "Sessions across launches" for when that is enough).

use std::any::Any;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use keyring_core::api::{Credential, CredentialApi, CredentialPersistence, CredentialStoreApi};
use keyring_core::{Entry, Error, Result};
use sha2::{Digest, Sha256};

/// Entries kept as files under one folder, a folder per service.
#[derive(Debug)]
pub struct FileStore {
    dir: PathBuf,
}

impl FileStore {
    /// A store in `dir` (created, readable by its owner only, when first
    /// written to).
    pub fn new(dir: impl Into<PathBuf>) -> Arc<Self> {
        Arc::new(Self { dir: dir.into() })
    }

    /// The store in the user's data folder: `$XDG_DATA_HOME/cognito-login`
    /// (else `~/.local/share/cognito-login`) on Linux, `%LOCALAPPDATA%` on
    /// Windows, `~/Library/Application Support` on macOS; `None` when the
    /// environment names no such folder.
    pub fn in_data_dir() -> Option<Arc<Self>> {
        let var = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty());
        let base = if cfg!(windows) {
            var("LOCALAPPDATA").map(PathBuf::from)
        } else if cfg!(target_os = "macos") {
            var("HOME").map(|home| Path::new(&home).join("Library/Application Support"))
        } else {
            var("XDG_DATA_HOME")
                .map(PathBuf::from)
                .or_else(|| var("HOME").map(|home| Path::new(&home).join(".local/share")))
        }?;
        Some(Self::new(base.join("cognito-login")))
    }

    /// The folder the entries are kept in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl CredentialStoreApi for FileStore {
    fn vendor(&self) -> String {
        "file store, cognito_login_client".into()
    }

    fn id(&self) -> String {
        self.dir.display().to_string()
    }

    fn build(
        &self,
        service: &str,
        user: &str,
        modifiers: Option<&HashMap<&str, &str>>,
    ) -> Result<Entry> {
        if modifiers.is_some_and(|modifiers| !modifiers.is_empty()) {
            return Err(Error::NotSupportedByStore("modifiers".into()));
        }
        Ok(Entry::new_with_credential(Arc::new(FileEntry {
            dir: self.dir.join(file_name(service)),
            file: file_name(user),
            service: service.into(),
            user: user.into(),
        })))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn persistence(&self) -> CredentialPersistence {
        CredentialPersistence::UntilDelete
    }
}

/// One entry: the file `dir/file`.
#[derive(Debug)]
struct FileEntry {
    dir: PathBuf,
    file: String,
    service: String,
    user: String,
}

impl FileEntry {
    fn path(&self) -> PathBuf {
        self.dir.join(&self.file)
    }
}

impl CredentialApi for FileEntry {
    fn set_secret(&self, secret: &[u8]) -> Result<()> {
        private_dir(&self.dir).map_err(|error| failure(&self.dir, error))?;
        // A new file of the owner's only, then renamed over the old one.
        let temporary = self.dir.join(format!(".{}.{}", self.file, unique()));
        let written = (|| {
            let mut file = private_file(&temporary)?;
            file.write_all(secret)?;
            file.sync_all()?;
            std::fs::rename(&temporary, self.path())
        })();
        written.map_err(|error| {
            let _ = std::fs::remove_file(&temporary);
            failure(&self.path(), error)
        })
    }

    fn get_secret(&self) -> Result<Vec<u8>> {
        let path = self.path();
        let metadata = match std::fs::symlink_metadata(&path) {
            Ok(metadata) => metadata,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::NoEntry);
            }
            Err(error) => return Err(failure(&path, error)),
        };
        if let Some(reason) = not_private(&metadata) {
            return Err(Error::NoStorageAccess(
                format!("{} {reason}: it is not used", path.display()).into(),
            ));
        }
        std::fs::read(&path).map_err(|error| failure(&path, error))
    }

    fn delete_credential(&self) -> Result<()> {
        match std::fs::remove_file(self.path()) {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Err(Error::NoEntry),
            Err(error) => Err(failure(&self.path(), error)),
        }
    }

    fn get_credential(&self) -> Result<Option<Arc<Credential>>> {
        self.get_secret().map(|_| None)
    }

    fn get_specifiers(&self) -> Option<(String, String)> {
        Some((self.service.clone(), self.user.clone()))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A file name for `name`: itself when it is short and plain, else its
/// SHA-256 (service names carry URLs).
fn file_name(name: &str) -> String {
    let plain = !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if plain && (1..=64).contains(&name.len()) {
        name.to_owned()
    } else {
        Sha256::digest(name.as_bytes())
            .iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// A suffix no other writer uses at the same time.
fn unique() -> String {
    let mut bytes = [0; 8];
    getrandom::getrandom(&mut bytes).unwrap_or_default();
    format!("{}-{}", std::process::id(), u64::from_le_bytes(bytes))
}

fn failure(path: &Path, error: std::io::Error) -> Error {
    Error::PlatformFailure(format!("{}: {error}", path.display()).into())
}

#[cfg(unix)]
fn private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    // The folder may have existed with wider permissions.
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

#[cfg(not(unix))]
fn private_dir(dir: &Path) -> std::io::Result<()> {
    // Under %LOCALAPPDATA%, the folder inherits the user's own access list.
    std::fs::create_dir_all(dir)
}

#[cfg(unix)]
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

/// Why a file may not hold a secret: someone else owns it, or others may
/// read or write it, or it is not a plain file.
#[cfg(unix)]
fn not_private(metadata: &std::fs::Metadata) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if !metadata.file_type().is_file() {
        Some("is not a plain file".into())
    } else if metadata.uid() != me {
        Some(format!(
            "belongs to user {}, not to this one",
            metadata.uid()
        ))
    } else if metadata.mode() & 0o077 != 0 {
        Some(format!(
            "can be read or changed by other users (mode {:o})",
            metadata.mode() & 0o777
        ))
    } else {
        None
    }
}

#[cfg(not(unix))]
fn not_private(metadata: &std::fs::Metadata) -> Option<String> {
    (!metadata.file_type().is_file()).then(|| "is not a plain file".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{KeychainStore, SessionStore, StoreError};
    use crate::{SigningKeys, Tokens};

    fn tokens() -> Tokens {
        let mut tokens = Tokens::new(
            "eyJ.access.sig".into(),
            "eyJ.id.sig".into(),
            Some("refresh".into()),
            None,
            std::time::SystemTime::now(),
        );
        tokens.signing_keys = Some(SigningKeys::stored(r#"{"keys":[]}"#));
        tokens
    }

    fn store(dir: &Path) -> KeychainStore {
        KeychainStore::new(FileStore::new(dir), "game", "https://example.com/prod")
    }

    /// Saves a session in `dir` and returns its file.
    fn saved_session(dir: &Path) -> PathBuf {
        store(dir).save(&tokens()).unwrap();
        let service = std::fs::read_dir(dir).unwrap().next().unwrap().unwrap();
        service.path().join("session")
    }

    #[test]
    fn a_session_survives_a_restart_in_files_of_the_owner_only() {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join("data/cognito-login");
        store(&dir).save(&tokens()).unwrap();
        // A new store on the same folder: the next launch.
        assert_eq!(store(&dir).load(), Ok(Some(tokens())));
        let service = std::fs::read_dir(&dir).unwrap().next().unwrap().unwrap();
        let files: Vec<_> = std::fs::read_dir(service.path())
            .unwrap()
            .map(|file| file.unwrap())
            .collect();
        assert_eq!(files.len(), 1, "one file, no temporary left behind");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&service.path()), 0o700);
            assert_eq!(mode(&files[0].path()), 0o600);
        }
        store(&dir).clear().unwrap();
        assert_eq!(store(&dir).load(), Ok(None));
        store(&dir).clear().expect("clearing nothing is fine");
    }

    #[cfg(unix)]
    #[test]
    fn a_file_others_can_read_is_refused_not_used() {
        use std::os::unix::fs::PermissionsExt;
        let home = tempfile::tempdir().unwrap();
        let file = saved_session(home.path());
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let refused = store(home.path()).load();
        let Err(StoreError::Unavailable(reason)) = &refused else {
            panic!("{refused:?}");
        };
        assert!(reason.contains("other users (mode 644)"), "{reason}");
        // A save writes a private file again.
        store(home.path()).save(&tokens()).unwrap();
        assert_eq!(store(home.path()).load(), Ok(Some(tokens())));

        std::fs::remove_file(&file).unwrap();
        std::os::unix::fs::symlink("/etc/hostname", &file).unwrap();
        assert!(matches!(
            store(home.path()).load(),
            Err(StoreError::Unavailable(reason)) if reason.contains("not a plain file")
        ));
    }

    #[test]
    fn a_corrupt_file_is_reported_never_a_panic() {
        let home = tempfile::tempdir().unwrap();
        let file = saved_session(home.path());
        for garbage in [&b"{\"access\": tru"[..], &[0xff, 0xfe, 0x00], b""] {
            std::fs::write(&file, garbage).unwrap();
            let loaded = store(home.path()).load();
            assert!(
                matches!(loaded, Err(StoreError::Corrupt(_))),
                "{garbage:?}: {loaded:?}"
            );
        }
    }

    #[test]
    fn games_and_backends_get_folders_of_their_own() {
        let home = tempfile::tempdir().unwrap();
        let other = KeychainStore::new(FileStore::new(home.path()), "game", "http://127.0.0.1:1");
        store(home.path()).save(&tokens()).unwrap();
        assert_eq!(other.load(), Ok(None));
        assert_eq!(file_name("session"), "session");
        assert_eq!(file_name("session.2"), "session.2");
        assert_eq!(file_name(".."), file_name("..").to_lowercase());
        assert_eq!(file_name("..").len(), 32);
        assert_eq!(file_name("../session").len(), 32);
        assert_eq!(file_name("game (https://example.com/prod)").len(), 32);
    }
}
