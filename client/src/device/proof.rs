//! A remembered device's proof at sign-in (`DEVICE_SRP_AUTH`, then
//! `DEVICE_PASSWORD_VERIFIER`), the same on both transports.

use std::collections::BTreeMap;
use std::time::SystemTime;

use super::RememberedDevice;
use crate::error::{AuthError, RawBody, ServerErrorKind};
use crate::outcome::{AuthOutcome, Challenge};
use crate::secret::ChallengeSession;
use crate::srp::{self, VerifierChallenge};
use crate::transport::{BoxFuture, new_srp, prove};

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

/// Cognito's answer to a `DEVICE_KEY` it does not know
/// (`ResourceNotFoundException: Device does not exist.`).
pub(crate) fn unknown_device(error: &AuthError) -> bool {
    matches!(error, AuthError::Server { kind: ServerErrorKind::Unknown(kind), message, .. }
        if kind.starts_with("ResourceNotFound") && message.to_ascii_lowercase().contains("device"))
}

/// The pool's answer to a device's proof it does not take: the device is
/// unknown, or its password is not the one the pool holds the verifier of
/// (another instance of the game remembered it anew, a keychain entry
/// written over).
pub(crate) fn device_refused(error: &AuthError) -> bool {
    unknown_device(error) || error.server_kind() == Some(&ServerErrorKind::NotAuthorized)
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
