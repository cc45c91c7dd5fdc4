//! Turning the worker's replies into state, the session resource and
//! messages, once per frame, without blocking.

use std::time::{Instant, SystemTime};

use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use cognito_login_client::{
    AuthAction, AuthError, AuthOutcome, AuthRequest, ChallengeName, DeviceChange, Identity,
    RefreshToken, Reply, StoreJob, WorkerIo,
};

use super::client::AuthClient;
use super::commands::leave_session;
use super::commands::{PendingRequest, Running};
use super::lifecycle::Lifecycle;
use super::{
    AccountConfirmed, AccountRead, AuthFailed, AuthSession, AuthState, AuthenticatorSecretIssued,
    ChallengeRequired, CodeSent, DeviceForgotten, DeviceRemembered, DevicesListed, EmailVerified,
    MfaChanged, PasswordChanged, PasswordConfirmed, SignOutReason, SignedOut, SignedUp,
};

/// Every message the replies can produce, and the session they can end.
#[derive(SystemParam)]
pub(crate) struct ReplyMessages<'w, 's> {
    commands: Commands<'w, 's>,
    next_state: ResMut<'w, NextState<AuthState>>,
    failed: MessageWriter<'w, AuthFailed>,
    signed_out: MessageWriter<'w, SignedOut>,
    account_read: MessageWriter<'w, AccountRead>,
    authenticator_secret: MessageWriter<'w, AuthenticatorSecretIssued>,
    mfa_changed: MessageWriter<'w, MfaChanged>,
    devices_listed: MessageWriter<'w, DevicesListed>,
    device_forgotten: MessageWriter<'w, DeviceForgotten>,
    device_remembered: MessageWriter<'w, DeviceRemembered>,
    email_verified: MessageWriter<'w, EmailVerified>,
    signed_up: MessageWriter<'w, SignedUp>,
    code_sent: MessageWriter<'w, CodeSent>,
    confirmed: MessageWriter<'w, AccountConfirmed>,
    password_changed: MessageWriter<'w, PasswordChanged>,
    challenge: MessageWriter<'w, ChallengeRequired>,
    password_confirmed: MessageWriter<'w, PasswordConfirmed>,
}

/// A reply together with the request it answers, when the player was
/// waiting for it.
#[cfg_attr(not(feature = "menu"), allow(dead_code))]
pub(crate) struct Answered {
    pub(crate) reply: Reply,
    pub(crate) running: Option<Running>,
}

/// The replies drained this frame, for the menu to read after
/// [`AuthSystems::Receive`](super::AuthSystems::Receive).
#[derive(Resource, Default)]
pub(crate) struct ReceivedReplies(pub(crate) Vec<Answered>);

pub(crate) fn receive_replies(
    client: Res<AuthClient>,
    mut lifecycle: ResMut<Lifecycle>,
    mut pending: ResMut<PendingRequest>,
    mut received: ResMut<ReceivedReplies>,
    mut session: Option<ResMut<AuthSession>>,
    mut messages: ReplyMessages,
) {
    received.0.clear();
    let Lifecycle {
        machine,
        store,
        devices,
        device_change,
        signed_in_as,
    } = &mut *lifecycle;
    let mut io = WorkerIo {
        worker: &client.worker,
        store: store.as_ref(),
    };
    while let Some(reply) = client.worker.try_recv() {
        // The session's own requests (refreshes, restore checks), whatever
        // their generation: the machine applies or drops them.
        let Some(mut reply) = machine.reply(&mut io, reply, Instant::now()) else {
            continue;
        };
        if let Some(at) = pending.revoking.iter().position(|id| *id == reply.id) {
            pending.revoking.swap_remove(at);
            if let Err(error) = &reply.result {
                warn!(%error, "the extra session of a password check was not revoked");
            }
            continue;
        }
        let running = pending.running.take_if(|running| running.id == reply.id);
        let username = running
            .as_ref()
            .map(|r| r.username.clone())
            .unwrap_or_default();
        if running.as_ref().is_some_and(|running| running.proof) {
            let revoke = proof_of(&mut reply.result, session.as_deref_mut());
            if let Some(refresh_token) = revoke {
                let id = client.worker.send(AuthRequest::SignOut {
                    refresh_token: Some(refresh_token),
                });
                pending.revoking.push(id);
            }
            match &reply.result {
                Ok(_) => {
                    info!(%username, "the password was confirmed");
                    messages.password_confirmed.write(PasswordConfirmed {
                        request: reply.id,
                        username,
                    });
                }
                Err(error) => {
                    warn!(%error, "the password was not confirmed");
                    messages.failed.write(AuthFailed {
                        request: reply.id,
                        action: reply.action,
                        error: error.clone(),
                    });
                }
            }
            received.0.push(Answered { reply, running });
            continue;
        }
        if let Ok(AuthOutcome::Tokens(tokens)) = &reply.result {
            // Tokens start a session only as the answer to the sign-in the
            // player is waiting for; tokens the game cannot read fail it.
            let signing_in = running.as_ref().is_some_and(|running| {
                matches!(
                    running.action,
                    AuthAction::SignIn | AuthAction::RespondToChallenge
                )
            });
            match Identity::of(tokens) {
                Ok(_) if signing_in => {
                    machine.signed_in(&mut io, tokens.clone(), SystemTime::now());
                    // A browser sign-in names no account here.
                    *signed_in_as = Some(username.clone()).filter(|name| !name.is_empty());
                    // The pool took this sign-in for a new device: the one
                    // kept for the account is gone from it.
                    if let (Some(offered), Some(kept), Some(store)) =
                        (&tokens.new_device, devices.for_sign_in(&username), io.store)
                        && offered.key != kept.key
                    {
                        let stale = DeviceChange::ForgetKey(kept.key.clone());
                        store.run(machine.generation(), StoreJob::ChangeDevices(stale));
                    }
                }
                Ok(_) => {
                    debug!("dropped tokens nobody was waiting for");
                    continue;
                }
                Err(error) => reply.result = Err(error),
            }
        }
        // Signed out everywhere, or deleted: the session ends here too, when
        // it is still the one the player asked about.
        let ends_session = match (&reply.result, &running) {
            (Ok(AuthOutcome::SignedOut), Some(running))
                if running.action == AuthAction::SignOutEverywhere =>
            {
                Some(SignOutReason::Everywhere)
            }
            (Ok(AuthOutcome::AccountDeleted), Some(_)) => Some(SignOutReason::AccountDeleted),
            _ => None,
        };
        if let Some(reason) = ends_session
            && session
                .as_ref()
                .is_some_and(|session| session.username == username)
        {
            info!(%username, ?reason, "the session ended");
            machine.sign_out(&mut io);
            if let Some(ended) = session.take() {
                client.end_browser_session(&ended);
            }
            leave_session(
                &mut messages.commands,
                &mut messages.next_state,
                &mut messages.signed_out,
                reason,
            );
        }
        if let Some((_, change)) = device_change.take_if(|(id, _)| *id == reply.id)
            && reply.result.is_ok()
            && let Some(store) = io.store
        {
            store.run(machine.generation(), StoreJob::ChangeDevices(change));
        }
        let request = reply.id;
        match &reply.result {
            Ok(AuthOutcome::DeviceRemembered) => {
                if let Some(session) = session.as_mut() {
                    session.new_device = None;
                }
                messages
                    .device_remembered
                    .write(DeviceRemembered { request, username });
            }
            Ok(AuthOutcome::Devices(devices)) => {
                messages.devices_listed.write(DevicesListed {
                    request,
                    username,
                    devices: devices.clone(),
                });
            }
            Ok(AuthOutcome::DeviceForgotten) => {
                messages
                    .device_forgotten
                    .write(DeviceForgotten { request, username });
            }
            Ok(AuthOutcome::AuthenticatorSecret(secret)) => {
                messages
                    .authenticator_secret
                    .write(AuthenticatorSecretIssued {
                        request,
                        secret: secret.clone(),
                    });
            }
            Ok(AuthOutcome::AuthenticatorVerified | AuthOutcome::MfaSet) => {
                messages.mfa_changed.write(MfaChanged {
                    request,
                    username,
                    action: reply.action,
                });
            }
            Ok(AuthOutcome::EmailVerified) => {
                // The ID token names the address as verified once refreshed.
                machine.refresh_now(&mut io, Instant::now());
                messages
                    .email_verified
                    .write(EmailVerified { request, username });
            }
            Ok(AuthOutcome::PasswordChanged) => {
                messages
                    .password_changed
                    .write(PasswordChanged { request, username });
            }
            Ok(AuthOutcome::Account(account)) => {
                info!(%username, mfa = ?account.mfa_methods, "read the account");
                if let Some(session) = session
                    .as_mut()
                    .filter(|session| session.username == username)
                {
                    session.account = Some(account.clone());
                }
                messages.account_read.write(AccountRead {
                    request,
                    account: account.clone(),
                });
            }
            Ok(AuthOutcome::SignedUp {
                confirmed,
                delivery,
                ..
            }) => {
                messages.signed_up.write(SignedUp {
                    request,
                    username: username.clone(),
                    confirmed: *confirmed,
                });
                if let Some(delivery) = delivery {
                    messages.code_sent.write(CodeSent {
                        request,
                        username,
                        destination: delivery.clone(),
                    });
                }
            }
            Ok(AuthOutcome::CodeSent(delivery)) => {
                messages.code_sent.write(CodeSent {
                    request,
                    username,
                    destination: delivery.clone(),
                });
            }
            Ok(AuthOutcome::Confirmed) => {
                messages
                    .confirmed
                    .write(AccountConfirmed { request, username });
            }
            Ok(AuthOutcome::PasswordReset) => {
                messages
                    .password_changed
                    .write(PasswordChanged { request, username });
            }
            Ok(AuthOutcome::Challenge(challenge)) => {
                messages.challenge.write(ChallengeRequired {
                    request,
                    username,
                    challenge: challenge.clone(),
                });
            }
            // Tokens, a sign-out and a deletion changed the session above.
            Ok(_) => {}
            Err(error) => {
                warn!(action = reply.action.describe(), %error, "login request failed");
                messages.failed.write(AuthFailed {
                    request,
                    action: reply.action,
                    error: error.clone(),
                });
            }
        }
        received.0.push(Answered { reply, running });
    }
}

/// Reads the answer to a password check
/// ([`AuthCommands::confirm_password`](super::AuthCommands::confirm_password)):
/// on proof, `result` stays `Ok` and the session is marked proven now;
/// otherwise it becomes the failure. Returns the refresh token of the
/// extra session the check made, to revoke.
///
/// Tokens are proof when they are the signed-in player's (the same `sub`).
/// A challenge for a sign-in code or a new password is proof too: both
/// transports ask for those only after the password checked out (SRP's
/// `PASSWORD_VERIFIER` and a remembered device's challenges are answered
/// inside the transport).
fn proof_of(
    result: &mut Result<AuthOutcome, AuthError>,
    session: Option<&mut AuthSession>,
) -> Option<RefreshToken> {
    let Some(session) = session else {
        // Signed out meanwhile: the check proves nothing any more.
        let revoke = match result {
            Ok(AuthOutcome::Tokens(tokens)) => tokens.refresh_token.clone(),
            _ => None,
        };
        if result.is_ok() {
            *result = Err(AuthError::Cancelled);
        }
        return revoke;
    };
    let (proven, revoke) = match &*result {
        Ok(AuthOutcome::Tokens(tokens)) => {
            let same = Identity::of(tokens).is_ok_and(|identity| identity.sub == session.sub);
            (same, tokens.refresh_token.clone())
        }
        Ok(AuthOutcome::Challenge(challenge)) => {
            (!matches!(challenge.name, ChallengeName::Other(_)), None)
        }
        _ => (false, None),
    };
    if proven {
        session.proven_at = Some(Instant::now());
    } else if result.is_ok() {
        *result = Err(AuthError::InvalidToken(
            "the password check did not prove this account".into(),
        ));
    }
    revoke
}
