//! Remembered devices: a computer the account trusts, so a sign-in from it
//! skips the MFA code. Cognito offers to remember a device after a sign-in
//! (`NewDeviceMetadata`); the game answers with a device password's
//! verifier (`ConfirmDevice`) and keeps the password; later sign-ins from
//! the device prove it with SRP (`DEVICE_SRP_AUTH`).

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::error::{AuthError, RawBody};
use crate::outcome::{AuthOutcome, Challenge};
use crate::secret::{ChallengeSession, DevicePassword};
use crate::srp::{self, DeviceVerifier, VerifierChallenge};
use crate::transport::{BoxFuture, new_srp, prove};

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
    /// A fresh password for `device`, and the verifier `ConfirmDevice`
    /// takes for it.
    pub fn new(device: NewDevice) -> Result<(Self, DeviceVerifier), getrandom::Error> {
        let mut random = [0u8; 56];
        getrandom::getrandom(&mut random)?;
        let (password, salt) = random.split_at(40);
        let password = STANDARD.encode(password);
        let verifier = srp::device_verifier(&device.group_key, &device.key, &password, salt);
        Ok((
            Self {
                key: device.key,
                group_key: device.group_key,
                password: DevicePassword::new(password),
            },
            verifier,
        ))
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

/// A step of a sign-in: its outcome, and the server's clock when it told it.
pub(crate) type Step = (AuthOutcome, Option<SystemTime>);

/// Answers the `DEVICE_SRP_AUTH` challenge a sign-in with a remembered
/// device meets, and the `DEVICE_PASSWORD_VERIFIER` that follows, with a
/// fresh SRP client; `respond` sends one answer (a challenge's name, its
/// session and responses) the transport's way. Any other step passes
/// through, and so does the challenge when no device was given (it is then
/// unsupported).
pub(crate) async fn answer_device<'a>(
    step: Step,
    device: Option<&RememberedDevice>,
    username: &str,
    respond: impl Fn(
        &'static str,
        ChallengeSession,
        BTreeMap<String, String>,
    ) -> BoxFuture<'a, Result<Step, AuthError>>,
) -> Result<Step, AuthError> {
    let (Some(device), (AuthOutcome::Challenge(challenge), _)) = (device, &step) else {
        return Ok(step);
    };
    if challenge.name.as_str() != "DEVICE_SRP_AUTH" {
        return Ok(step);
    }
    let username = ["USERNAME", "USER_ID_FOR_SRP"]
        .iter()
        .find_map(|name| challenge.parameters.get(*name))
        .map_or(username, String::as_str)
        .to_owned();
    let srp = new_srp().await?;
    let responses = BTreeMap::from([
        ("USERNAME".to_owned(), username.clone()),
        ("DEVICE_KEY".to_owned(), device.key.clone()),
        ("SRP_A".to_owned(), srp.public_a()),
    ]);
    let step = respond("DEVICE_SRP_AUTH", challenge.session.clone(), responses).await?;
    let (AuthOutcome::Challenge(challenge), server_time) = &step else {
        return Ok(step);
    };
    if challenge.name.as_str() != "DEVICE_PASSWORD_VERIFIER" {
        return Ok(step);
    }
    let [salt, srp_b, secret_block] =
        ["SALT", "SRP_B", "SECRET_BLOCK"].map(|name| parameter(challenge, name));
    let (salt, srp_b, secret_block) = (salt?, srp_b?, secret_block?);
    // The server's clock where it told it: a player's clock may be off.
    let timestamp = srp::timestamp(server_time.unwrap_or_else(SystemTime::now));
    let signature = {
        let (device, timestamp, secret_block) =
            (device.clone(), timestamp.clone(), secret_block.clone());
        prove(move || {
            let challenge = VerifierChallenge {
                user_id: &device.key,
                salt: &salt,
                srp_b: &srp_b,
                secret_block: &secret_block,
            };
            srp.device_signature(
                &device.group_key,
                device.password.expose(),
                &challenge,
                &timestamp,
            )
        })
        .await?
    };
    let username = challenge
        .parameters
        .get("USERNAME")
        .cloned()
        .unwrap_or(username);
    let responses = BTreeMap::from([
        ("USERNAME".to_owned(), username),
        ("DEVICE_KEY".to_owned(), device.key.clone()),
        ("TIMESTAMP".to_owned(), timestamp),
        ("PASSWORD_CLAIM_SECRET_BLOCK".to_owned(), secret_block),
        ("PASSWORD_CLAIM_SIGNATURE".to_owned(), signature),
    ]);
    respond(
        "DEVICE_PASSWORD_VERIFIER",
        challenge.session.clone(),
        responses,
    )
    .await
}

/// A parameter a challenge must have.
pub(crate) fn parameter(challenge: &Challenge, name: &str) -> Result<String, AuthError> {
    challenge
        .parameters
        .get(name)
        .cloned()
        .ok_or_else(|| AuthError::Malformed {
            status: 200,
            reason: format!("the {} challenge has no {name}", challenge.name.as_str()),
            body: RawBody::default(),
        })
}

/// Cognito's dates: seconds since 1970, possibly fractional.
pub(crate) fn epoch_seconds(seconds: f64) -> Option<SystemTime> {
    (seconds.is_finite() && seconds >= 0.0)
        .then(|| UNIX_EPOCH + Duration::from_secs_f64(seconds.min(1e12)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_device_gets_its_own_password() {
        let offered = NewDevice {
            key: "eu-west-1_0f3c".into(),
            group_key: "-AbCdEfGhI".into(),
        };
        let (first, verifier) = RememberedDevice::new(offered.clone()).unwrap();
        let (second, other) = RememberedDevice::new(offered).unwrap();
        assert_ne!(first.password, second.password);
        assert_ne!(verifier, other);
        assert_eq!(first.password.expose().len(), 56);
        assert!(!format!("{first:?}").contains(first.password.expose()));
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
