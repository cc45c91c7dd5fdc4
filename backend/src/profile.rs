//! The player profile (a small cloud save): `GET /profile` and
//! `PUT /profile`, one JSON document per player keyed by the token's `sub`,
//! with a version so a stale write is refused.
//!
//! The routes trust the `sub` they are given: on AWS, API Gateway's JWT
//! authorizer checked the token; locally, the local server checks it with
//! [`TokenVerifier`](cognito_login_client::TokenVerifier).

use std::collections::HashMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::handlers::ApiResponse;

/// The profile's route, for `GET` and `PUT`.
pub const PROFILE_ROUTE: &str = "/profile";
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
    /// The store failed.
    #[error("the profile store failed: {0}")]
    Store(String),
}

/// Where profiles are kept: files in a folder, or memory.
#[derive(Debug)]
pub struct LocalProfiles {
    dir: Option<PathBuf>,
    memory: tokio::sync::Mutex<HashMap<String, Profile>>,
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

    /// The player's profile (version 0 and `null` when there is none).
    pub async fn get(&self, sub: &str) -> Result<Profile, ProfileError> {
        let memory = self.memory.lock().await;
        self.read(&memory, sub)
    }

    fn read(&self, memory: &HashMap<String, Profile>, sub: &str) -> Result<Profile, ProfileError> {
        let empty = Profile {
            version: 0,
            data: Value::Null,
        };
        if self.dir.is_none() {
            return Ok(memory.get(sub).cloned().unwrap_or(empty));
        }
        let path = self
            .path(sub)
            .ok_or_else(|| ProfileError::Store("not a player id".into()))?;
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|error| ProfileError::Store(format!("{}: {error}", path.display()))),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(empty),
            Err(error) => Err(ProfileError::Store(format!("{}: {error}", path.display()))),
        }
    }

    /// Writes the player's profile if it is still at `version`; returns the
    /// new version.
    pub async fn put(&self, sub: &str, version: u64, data: Value) -> Result<u64, ProfileError> {
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
                memory.insert(sub.to_owned(), profile);
            }
            None => return Err(ProfileError::Store("not a player id".into())),
            Some(path) => {
                let store = |error: std::io::Error| {
                    ProfileError::Store(format!("{}: {error}", path.display()))
                };
                let dir = path.parent().expect("a profile file is in a folder");
                std::fs::create_dir_all(dir).map_err(store)?;
                // Written whole, then renamed over the old one.
                let partial = path.with_extension("json.partial");
                let bytes = serde_json::to_vec(&profile).expect("JSON values always serialize");
                std::fs::write(&partial, bytes).map_err(store)?;
                std::fs::rename(&partial, &path).map_err(store)?;
            }
        }
        Ok(version + 1)
    }

    /// `GET /profile` for the player `sub`.
    pub async fn handle_get(&self, sub: &str) -> ApiResponse {
        match self.get(sub).await {
            Ok(profile) => ApiResponse::ok(json!(profile)),
            Err(error) => store_failure(&error),
        }
    }

    /// `PUT /profile` for the player `sub`.
    pub async fn handle_put(&self, sub: &str, body: &[u8]) -> ApiResponse {
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
        match self.put(sub, write.version, write.data).await {
            Ok(version) => ApiResponse::ok(json!({ "version": version })),
            Err(error @ ProfileError::Conflict(_)) => {
                ApiResponse::error(409, "ConflictException", error.to_string())
            }
            Err(error) => store_failure(&error),
        }
    }
}

fn store_failure(error: &ProfileError) -> ApiResponse {
    tracing::error!(%error, "profile store failed");
    ApiResponse::error(
        500,
        "InternalErrorException",
        "the profile could not be kept",
    )
}
