//! The player profile (a small cloud save): `GET /profile` and
//! `PUT /profile`, one JSON document per player keyed by the token's `sub`,
//! with a version so a stale write is refused.
//!
//! The routes trust the `sub` they are given: on AWS, API Gateway's JWT
//! authorizer checked the token; locally, the local server checks it with
//! [`TokenVerifier`](cognito_login_client::TokenVerifier).

use std::collections::HashMap;
use std::path::PathBuf;

use cognito_login_client::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::answer::ApiResponse;

/// Where profiles are kept: [`LocalProfiles`] (files or memory), or a
/// DynamoDB table on AWS (`DynamoProfiles`, feature `lambda`).
pub trait ProfileStore: Send + Sync + std::fmt::Debug + 'static {
    /// The player's profile (version 0 and `null` when there is none).
    fn get<'a>(&'a self, sub: &'a str) -> BoxFuture<'a, Result<Profile, ProfileError>>;
    /// Writes the player's profile if it is still at `version`; returns the
    /// new version.
    fn put<'a>(
        &'a self,
        sub: &'a str,
        version: u64,
        data: Value,
    ) -> BoxFuture<'a, Result<u64, ProfileError>>;
    /// Ends the profile of a deleted account: the document is gone, and no
    /// later read or write finds or makes one, even with an access token
    /// issued before the deletion (valid until it expires).
    fn close<'a>(&'a self, sub: &'a str) -> BoxFuture<'a, Result<(), ProfileError>>;
}

/// The profile's route, for `GET` and `PUT`.
pub const PROFILE_ROUTE: &str = "/profile";
/// Any player's profile by `sub`, for `GET` by the [`ADMIN_GROUP`]'s
/// members only (support staff): `/admin/profiles/{sub}`.
pub const ADMIN_PROFILE_ROUTE: &str = "/admin/profiles/{sub}";
/// The group whose members may call the admin routes (`cognito:groups`).
pub const ADMIN_GROUP: &str = "admins";
/// The largest profile document, in bytes of JSON.
pub const MAX_PROFILE_BYTES: usize = 64 * 1024;
/// The largest `PUT /profile` body: the document and its envelope.
pub const MAX_PROFILE_REQUEST_BYTES: usize = MAX_PROFILE_BYTES + 1024;

/// One player's profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// Counts the writes: 0 for a player with no profile yet.
    pub version: u64,
    /// The document; `null` before the first write.
    pub data: Value,
}

/// `PUT /profile`'s body: the document, and the version it was read at.
#[derive(Debug, Deserialize)]
pub struct ProfileWrite {
    /// The version the game read (0 for a first write).
    pub version: u64,
    /// The new document.
    pub data: Value,
}

/// Why a profile could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// Someone wrote since the version the game read.
    #[error("the profile changed since version {0}: read it again")]
    Conflict(u64),
    /// The player's account was deleted, and the profile with it.
    #[error("the account was deleted")]
    Closed,
    /// The store failed.
    #[error("the profile store failed: {0}")]
    Store(String),
}

/// Where profiles are kept: files in a folder (`{sub}.json`, and
/// `{sub}.closed` once the account is deleted), or memory.
#[derive(Debug)]
pub struct LocalProfiles {
    dir: Option<PathBuf>,
    memory: tokio::sync::Mutex<Kept>,
}

/// The profiles in memory, and the players whose profiles are closed.
#[derive(Debug, Default)]
struct Kept {
    profiles: HashMap<String, Profile>,
    closed: std::collections::HashSet<String>,
}

impl LocalProfiles {
    /// Profiles kept as `{dir}/{sub}.json`, or in memory when `dir` is `None`.
    pub fn new(dir: Option<PathBuf>) -> Self {
        Self {
            dir,
            memory: Default::default(),
        }
    }

    fn path(&self, sub: &str) -> Option<PathBuf> {
        // A `sub` is a UUID; anything else never names a file.
        let safe = !sub.is_empty()
            && sub
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_');
        Some(
            self.dir
                .as_ref()?
                .join(format!("{}.json", safe.then_some(sub)?)),
        )
    }

    async fn get(&self, sub: &str) -> Result<Profile, ProfileError> {
        let memory = self.memory.lock().await;
        self.read(&memory, sub)
    }

    fn read(&self, memory: &Kept, sub: &str) -> Result<Profile, ProfileError> {
        let empty = Profile {
            version: 0,
            data: Value::Null,
        };
        if self.dir.is_none() {
            if memory.closed.contains(sub) {
                return Err(ProfileError::Closed);
            }
            return Ok(memory.profiles.get(sub).cloned().unwrap_or(empty));
        }
        let path = self
            .path(sub)
            .ok_or_else(|| ProfileError::Store("not a player id".into()))?;
        if path.with_extension("closed").exists() {
            return Err(ProfileError::Closed);
        }
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|error| ProfileError::Store(format!("{}: {error}", path.display()))),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(empty),
            Err(error) => Err(ProfileError::Store(format!("{}: {error}", path.display()))),
        }
    }

    async fn put(&self, sub: &str, version: u64, data: Value) -> Result<u64, ProfileError> {
        // One writer at a time: the version check and the write are one step.
        let mut memory = self.memory.lock().await;
        let current = self.read(&memory, sub)?;
        if current.version != version {
            return Err(ProfileError::Conflict(version));
        }
        let profile = Profile {
            version: version + 1,
            data,
        };
        match self.path(sub) {
            None if self.dir.is_none() => {
                memory.profiles.insert(sub.to_owned(), profile);
            }
            None => return Err(ProfileError::Store("not a player id".into())),
            Some(path) => {
                let store = |error: std::io::Error| {
                    ProfileError::Store(format!("{}: {error}", path.display()))
                };
                let dir = path.parent().expect("a profile file is in a folder");
                private_dir(dir).map_err(store)?;
                // Written whole, then renamed over the old one.
                let partial = path.with_extension("json.partial");
                let bytes = serde_json::to_vec(&profile).expect("JSON values always serialize");
                write_private(&partial, &bytes).map_err(store)?;
                std::fs::rename(&partial, &path).map_err(store)?;
            }
        }
        Ok(version + 1)
    }

    async fn close(&self, sub: &str) -> Result<(), ProfileError> {
        let mut memory = self.memory.lock().await;
        let Some(dir) = &self.dir else {
            memory.profiles.remove(sub);
            memory.closed.insert(sub.to_owned());
            return Ok(());
        };
        let path = self
            .path(sub)
            .ok_or_else(|| ProfileError::Store("not a player id".into()))?;
        let store =
            |error: std::io::Error| ProfileError::Store(format!("{}: {error}", path.display()));
        private_dir(dir).map_err(store)?;
        write_private(&path.with_extension("closed"), b"").map_err(store)?;
        match std::fs::remove_file(&path) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(store(error)),
            _ => Ok(()),
        }
    }
}

/// The profiles' folder, readable by this user only: profiles are players'
/// data, and the folder sits beside the users file.
fn private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Writes `bytes` to `path` as a file of this user's only (mode `0600`),
/// never readable by others, even between writes.
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    std::io::Write::write_all(&mut options.open(path)?, bytes)
}

impl ProfileStore for LocalProfiles {
    fn get<'a>(&'a self, sub: &'a str) -> BoxFuture<'a, Result<Profile, ProfileError>> {
        Box::pin(LocalProfiles::get(self, sub))
    }

    fn put<'a>(
        &'a self,
        sub: &'a str,
        version: u64,
        data: Value,
    ) -> BoxFuture<'a, Result<u64, ProfileError>> {
        Box::pin(LocalProfiles::put(self, sub, version, data))
    }

    fn close<'a>(&'a self, sub: &'a str) -> BoxFuture<'a, Result<(), ProfileError>> {
        Box::pin(LocalProfiles::close(self, sub))
    }
}

/// `GET /profile` for the player `sub`.
pub(crate) async fn handle_get(store: &dyn ProfileStore, sub: &str) -> ApiResponse {
    match store.get(sub).await {
        Ok(profile) => ApiResponse::ok(json!(profile)),
        Err(ProfileError::Closed) => closed(),
        Err(error) => store_failure(&error),
    }
}

/// `PUT /profile` for the player `sub`.
pub(crate) async fn handle_put(store: &dyn ProfileStore, sub: &str, body: &[u8]) -> ApiResponse {
    let write: ProfileWrite = match serde_json::from_slice(body) {
        Ok(write) => write,
        Err(error) => {
            return ApiResponse::error(
                400,
                "InvalidParameterException",
                format!("the body must be {{\"version\", \"data\"}}: {error}"),
            );
        }
    };
    let size = serde_json::to_vec(&write.data).map_or(usize::MAX, |bytes| bytes.len());
    if size > MAX_PROFILE_BYTES {
        return ApiResponse::error(
            413,
            "InvalidParameterException",
            format!("a profile holds at most {MAX_PROFILE_BYTES} bytes of JSON"),
        );
    }
    match store.put(sub, write.version, write.data).await {
        Ok(version) => ApiResponse::ok(json!({ "version": version })),
        Err(error @ ProfileError::Conflict(_)) => {
            ApiResponse::error(409, "ConflictException", error.to_string())
        }
        Err(ProfileError::Closed) => closed(),
        Err(error) => store_failure(&error),
    }
}

/// The answer for a deleted account's profile.
fn closed() -> ApiResponse {
    ApiResponse::error(404, "ResourceNotFoundException", "the account was deleted")
}

fn store_failure(error: &ProfileError) -> ApiResponse {
    tracing::error!(%error, "profile store failed");
    ApiResponse::error(
        500,
        "InternalErrorException",
        "the profile could not be kept",
    )
}

/// Profiles in a DynamoDB table keyed by `sub` (a string): each item holds
/// `version` (a number) and `data` (the document as JSON text). A write is
/// conditional on the version it read, so a stale one is refused by the
/// table itself, whichever function instance made it.
#[cfg(feature = "lambda")]
#[derive(Debug, Clone)]
pub struct DynamoProfiles {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

#[cfg(feature = "lambda")]
impl DynamoProfiles {
    /// Profiles in `table`, reached through `client`.
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    async fn get(&self, sub: &str) -> Result<Profile, ProfileError> {
        use aws_sdk_dynamodb::types::AttributeValue;
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("sub", AttributeValue::S(sub.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|error| ProfileError::Store(crate::answer::error_chain(&error)))?;
        let Some(item) = output.item else {
            return Ok(Profile {
                version: 0,
                data: Value::Null,
            });
        };
        if item.contains_key("closed") {
            return Err(ProfileError::Closed);
        }
        let unreadable = || ProfileError::Store(format!("the profile of {sub} is unreadable"));
        let version = match item.get("version") {
            Some(AttributeValue::N(number)) => number.parse().map_err(|_| unreadable())?,
            _ => return Err(unreadable()),
        };
        let data = match item.get("data") {
            Some(AttributeValue::S(text)) => {
                serde_json::from_str(text).map_err(|_| unreadable())?
            }
            _ => return Err(unreadable()),
        };
        Ok(Profile { version, data })
    }

    async fn put(&self, sub: &str, version: u64, data: Value) -> Result<u64, ProfileError> {
        use aws_sdk_dynamodb::types::AttributeValue;
        let next = version + 1;
        let mut call = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("sub", AttributeValue::S(sub.to_owned()))
            .item("version", AttributeValue::N(next.to_string()))
            .item("data", AttributeValue::S(data.to_string()));
        call = if version == 0 {
            call.condition_expression("attribute_not_exists(#sub)")
                .expression_attribute_names("#sub", "sub")
        } else {
            call.condition_expression("#version = :read")
                .expression_attribute_names("#version", "version")
                .expression_attribute_values(":read", AttributeValue::N(version.to_string()))
        };
        match call.send().await {
            Ok(_) => Ok(next),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|error| error.is_conditional_check_failed_exception()) =>
            {
                // A closed profile fails the condition too.
                match self.get(sub).await {
                    Err(ProfileError::Closed) => Err(ProfileError::Closed),
                    _ => Err(ProfileError::Conflict(version)),
                }
            }
            Err(error) => Err(ProfileError::Store(crate::answer::error_chain(&error))),
        }
    }

    /// Replaces the item with a marker that the table's time to live
    /// (`expires`) removes two days later, after every access token issued
    /// before it has expired (they live a day at most).
    async fn close(&self, sub: &str) -> Result<(), ProfileError> {
        use aws_sdk_dynamodb::types::AttributeValue;
        let expires = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |now| now.as_secs())
            + 2 * 24 * 60 * 60;
        self.client
            .put_item()
            .table_name(&self.table)
            .item("sub", AttributeValue::S(sub.to_owned()))
            .item("closed", AttributeValue::Bool(true))
            .item("expires", AttributeValue::N(expires.to_string()))
            .send()
            .await
            .map(|_| ())
            .map_err(|error| ProfileError::Store(crate::answer::error_chain(&error)))
    }
}

#[cfg(feature = "lambda")]
impl ProfileStore for DynamoProfiles {
    fn get<'a>(&'a self, sub: &'a str) -> BoxFuture<'a, Result<Profile, ProfileError>> {
        Box::pin(DynamoProfiles::get(self, sub))
    }

    fn put<'a>(
        &'a self,
        sub: &'a str,
        version: u64,
        data: Value,
    ) -> BoxFuture<'a, Result<u64, ProfileError>> {
        Box::pin(DynamoProfiles::put(self, sub, version, data))
    }

    fn close<'a>(&'a self, sub: &'a str) -> BoxFuture<'a, Result<(), ProfileError>> {
        Box::pin(DynamoProfiles::close(self, sub))
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[tokio::test]
    async fn local_profiles_are_readable_by_their_user_only() {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join("profiles");
        let profiles = LocalProfiles::new(Some(dir.clone()));
        let sub = "4f1c-0000";
        profiles
            .put(sub, 0, serde_json::json!({"best": 1}))
            .await
            .unwrap();
        let mode =
            |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join(format!("{sub}.json"))), 0o600);
        profiles.close(sub).await.unwrap();
        assert_eq!(mode(&dir.join(format!("{sub}.closed"))), 0o600);
    }
}
