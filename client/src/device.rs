//! Remembered devices: a computer the account trusts, so a sign-in from it
//! skips the MFA code. Cognito offers to remember a device after a sign-in
//! (`NewDeviceMetadata`); the game answers with a device password's
//! verifier (`ConfirmDevice`) and keeps the password; later sign-ins from
//! the device prove it with SRP (`DEVICE_SRP_AUTH`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::error::AuthError;
use crate::secret::DevicePassword;
use crate::srp::{self, DeviceVerifier};

pub(crate) mod proof;

/// A device Cognito offers to remember after a sign-in
/// (`NewDeviceMetadata`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewDevice {
    /// `DeviceKey`: the device's id in the pool.
    pub key: String,
    /// `DeviceGroupKey`.
    pub group_key: String,
}

/// A device this computer remembers for one account: what answers
/// `DEVICE_SRP_AUTH`. Kept in the keychain beside the session; the password
/// is redacted in `Debug`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RememberedDevice {
    /// `DeviceKey`.
    pub key: String,
    /// `DeviceGroupKey`.
    pub group_key: String,
    /// The device's own password: 40 random bytes, base64, as Cognito's
    /// SDKs make it. It never leaves this computer; the pool keeps only
    /// its verifier.
    pub password: DevicePassword,
}

impl RememberedDevice {
    /// `device` with a fresh password: 40 random bytes, base64.
    pub fn new(device: NewDevice) -> Result<Self, getrandom::Error> {
        let mut password = [0u8; 40];
        getrandom::getrandom(&mut password)?;
        Ok(Self {
            key: device.key,
            group_key: device.group_key,
            password: DevicePassword::new(STANDARD.encode(password)),
        })
    }

    /// The verifier `ConfirmDevice` takes for the password, with a fresh
    /// salt; made on the blocking pool (a 3072-bit power).
    pub(crate) async fn verifier(&self) -> Result<DeviceVerifier, AuthError> {
        let device = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut salt = [0u8; 16];
            getrandom::getrandom(&mut salt)?;
            Ok(srp::device_verifier(
                &device.group_key,
                &device.key,
                device.password.expose(),
                &salt,
            ))
        })
        .await
        .map_err(|_| AuthError::Cancelled)?
        .map_err(|error: getrandom::Error| {
            AuthError::Unsupported(format!("no secure random numbers on this system: {error}"))
        })
    }
}

/// The devices this computer remembers, one per account, kept in the
/// keychain beside the session but apart from it: a sign-out keeps them
/// (that is what remembering a device is for); deleting an account, or
/// forgetting the device, removes its own.
///
/// Each is found by the names the player signs in with (the username and
/// the email address), compared without case, as a pool with case-insensitive
/// usernames does. The oldest go first beyond [`RememberedDevices::LIMIT`].
///
/// The names and the account are kept as digests, never as text: whoever
/// reads the keychain cannot list who plays at this computer (they can
/// still test a name they guess).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RememberedDevices {
    accounts: Vec<KeptDevice>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct KeptDevice {
    /// The digest of `cognito:username`.
    #[serde(deserialize_with = "digest_of_stored")]
    account: String,
    /// The digests of the names the player signs in with.
    #[serde(deserialize_with = "digests_of_stored")]
    names: Vec<String>,
    device: RememberedDevice,
}

/// A name's digest: SHA-256 of the trimmed, lower-case name behind this
/// crate's own prefix, its first 8 bytes in hex (64 bits tell eight
/// accounts apart, and keep eight devices within a Windows credential).
fn digest(name: &str) -> String {
    use sha2::{Digest, Sha256};
    let hash = Sha256::new()
        .chain_update(b"cognito_login remembered device name\0")
        .chain_update(name.trim().to_lowercase().as_bytes())
        .finalize();
    hash[..8].iter().map(|byte| format!("{byte:02x}")).collect()
}

/// A stored name or its digest: entries written before names were digested
/// hold the names themselves.
fn digest_stored(stored: String) -> String {
    let is_digest = stored.len() == 16
        && stored
            .bytes()
            .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte));
    if is_digest { stored } else { digest(&stored) }
}

fn digest_of_stored<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    String::deserialize(deserializer).map(digest_stored)
}

fn digests_of_stored<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<String>, D::Error> {
    let names = Vec::<String>::deserialize(deserializer)?;
    Ok(names.into_iter().map(digest_stored).collect())
}

/// A change to the [`RememberedDevices`] in a store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceChange {
    /// Keep `device` for `account` (its `cognito:username`), found again by
    /// `names` (what the player signs in with), in place of the account's
    /// earlier device.
    Remember {
        /// `cognito:username`.
        account: String,
        /// The names a sign-in may use for the account.
        names: Vec<String>,
        /// The device.
        device: RememberedDevice,
    },
    /// Forget the device of an account (its `cognito:username`).
    ForgetAccount(String),
    /// Forget the device with this key, whoever's it is.
    ForgetKey(String),
}

impl RememberedDevices {
    /// The most devices kept: a few players share a computer. (A store
    /// with small entries keeps fewer: a Windows credential holds 2560
    /// bytes.)
    pub const LIMIT: usize = 8;

    /// The device to prove at a sign-in as `name`, if this computer
    /// remembers one for that account.
    pub fn for_sign_in(&self, name: &str) -> Option<&RememberedDevice> {
        let name = digest(name);
        self.accounts
            .iter()
            .find(|kept| kept.names.contains(&name))
            .map(|kept| &kept.device)
    }

    /// The device kept for `account` (`cognito:username`), if any.
    pub fn of_account(&self, account: &str) -> Option<&RememberedDevice> {
        let account = digest(account);
        self.accounts
            .iter()
            .find(|kept| kept.account == account)
            .map(|kept| &kept.device)
    }

    /// Forgets the device remembered longest ago; whether there was one.
    pub(crate) fn drop_oldest(&mut self) -> bool {
        !self.accounts.is_empty() && {
            self.accounts.remove(0);
            true
        }
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    /// Applies `change`; whether anything changed.
    pub fn apply(&mut self, change: &DeviceChange) -> bool {
        let before = self.accounts.len();
        match change {
            DeviceChange::Remember {
                account,
                names,
                device,
            } => {
                let account = digest(account);
                let mut names: Vec<String> = names
                    .iter()
                    .filter(|name| !name.trim().is_empty())
                    .map(|name| digest(name))
                    .chain([account.clone()])
                    .collect();
                names.sort();
                names.dedup();
                // A name now names this account only.
                self.accounts.retain(|kept| {
                    kept.account != account && !kept.names.iter().any(|n| names.contains(n))
                });
                self.accounts.push(KeptDevice {
                    account,
                    names,
                    device: device.clone(),
                });
                let excess = self.accounts.len().saturating_sub(Self::LIMIT);
                self.accounts.drain(..excess);
                return true;
            }
            DeviceChange::ForgetAccount(account) => {
                let account = digest(account);
                self.accounts.retain(|kept| kept.account != account);
            }
            DeviceChange::ForgetKey(key) => {
                self.accounts.retain(|kept| kept.device.key != *key);
            }
        }
        self.accounts.len() != before
    }
}

/// A device of the signed-in account (`ListDevices`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// `DeviceKey`.
    pub key: String,
    /// The name it was remembered with (`device_name`), when it has one.
    pub name: Option<String>,
    /// When it was remembered.
    pub created: Option<SystemTime>,
    /// When the account last signed in from it.
    pub last_signed_in: Option<SystemTime>,
}

/// Cognito's dates: seconds since 1970, possibly fractional.
pub(crate) fn epoch_seconds(seconds: f64) -> Option<SystemTime> {
    (seconds.is_finite() && seconds >= 0.0)
        .then(|| UNIX_EPOCH + Duration::from_secs_f64(seconds.min(1e12)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn each_device_gets_its_own_password_and_salt() {
        let offered = NewDevice {
            key: "eu-west-1_0f3c".into(),
            group_key: "-AbCdEfGhI".into(),
        };
        let first = RememberedDevice::new(offered.clone()).unwrap();
        let second = RememberedDevice::new(offered).unwrap();
        assert_ne!(first.password, second.password);
        assert_eq!(first.password.expose().len(), 56);
        assert!(!format!("{first:?}").contains(first.password.expose()));
        let (one, two) = (
            first.verifier().await.unwrap(),
            first.verifier().await.unwrap(),
        );
        assert_ne!(one.salt, two.salt);
        assert_ne!(one.password_verifier, two.password_verifier);
    }

    fn device(key: &str) -> RememberedDevice {
        RememberedDevice::new(NewDevice {
            key: key.into(),
            group_key: "-g".into(),
        })
        .unwrap()
    }

    fn remember(account: &str, names: &[&str], key: &str) -> DeviceChange {
        DeviceChange::Remember {
            account: account.into(),
            names: names.iter().map(|name| (*name).to_owned()).collect(),
            device: device(key),
        }
    }

    #[test]
    fn devices_are_found_by_any_sign_in_name_and_forgotten_by_account_or_key() {
        let mut kept = RememberedDevices::default();
        assert!(kept.apply(&remember("4f1c-ada", &["Ada", "ada@example.com"], "d1")));
        assert!(kept.apply(&remember("77aa-bob", &["bob"], "d2")));
        for name in ["ada", " ADA ", "Ada@Example.com", "4f1c-ada"] {
            assert_eq!(
                kept.for_sign_in(name).map(|d| &*d.key),
                Some("d1"),
                "{name}"
            );
        }
        assert_eq!(kept.for_sign_in("eve"), None);
        // Remembering again replaces the account's device.
        kept.apply(&remember("4f1c-ada", &["ada"], "d3"));
        assert_eq!(kept.of_account("4f1c-ada").map(|d| &*d.key), Some("d3"));
        assert_eq!(kept.for_sign_in("ada@example.com"), None);
        assert!(kept.apply(&DeviceChange::ForgetKey("d2".into())));
        assert_eq!(kept.for_sign_in("bob"), None);
        assert!(!kept.apply(&DeviceChange::ForgetKey("d2".into())));
        assert!(kept.apply(&DeviceChange::ForgetAccount("4f1c-ada".into())));
        assert!(kept.is_empty());
    }

    #[test]
    fn a_name_taken_by_another_account_moves_to_it_and_the_oldest_go_first() {
        let mut kept = RememberedDevices::default();
        kept.apply(&remember("old-sam", &["sam"], "d1"));
        // The username was freed and taken by a new account.
        kept.apply(&remember("new-sam", &["sam"], "d2"));
        assert_eq!(kept.for_sign_in("sam").map(|d| &*d.key), Some("d2"));
        assert_eq!(kept.of_account("old-sam"), None);
        for n in 0..RememberedDevices::LIMIT {
            kept.apply(&remember(&format!("p{n}"), &[], &format!("k{n}")));
        }
        assert_eq!(kept.accounts.len(), RememberedDevices::LIMIT);
        assert_eq!(kept.of_account("new-sam"), None);
        assert!(kept.drop_oldest());
        assert_eq!(kept.of_account("p0"), None);
    }

    #[test]
    fn the_keychain_entry_names_no_player_and_entries_of_names_still_load() {
        let mut kept = RememberedDevices::default();
        kept.apply(&remember("4f1c-ada", &["Ada", "ada@example.com"], "d1"));
        let entry = serde_json::to_string(&kept).unwrap();
        for name in ["4f1c-ada", "ada", "Ada", "example.com"] {
            assert!(!entry.contains(name), "{name} is in {entry}");
        }
        let loaded: RememberedDevices = serde_json::from_str(&entry).unwrap();
        assert_eq!(loaded, kept);
        assert_eq!(
            loaded.for_sign_in(" ADA@example.com").map(|d| &*d.key),
            Some("d1")
        );

        // An entry written with the names themselves.
        let written_before = r#"{"accounts":[{"account":"4f1c-bob","names":["4f1c-bob","bob"],
            "device":{"key":"d2","group_key":"g","password":"cHc="}}]}"#;
        let mut loaded: RememberedDevices = serde_json::from_str(written_before).unwrap();
        assert_eq!(loaded.for_sign_in("Bob").map(|d| &*d.key), Some("d2"));
        assert_eq!(loaded.of_account("4f1c-bob").map(|d| &*d.key), Some("d2"));
        assert!(!serde_json::to_string(&loaded).unwrap().contains("bob"));
        assert!(loaded.apply(&DeviceChange::ForgetAccount("4f1c-bob".into())));
    }

    #[test]
    fn dates_out_of_range_are_none() {
        assert_eq!(epoch_seconds(-1.0), None);
        assert_eq!(epoch_seconds(f64::NAN), None);
        assert_eq!(
            epoch_seconds(1.5),
            Some(UNIX_EPOCH + Duration::from_millis(1500))
        );
    }
}
