//! Draining the client session's events, once per frame, into the state,
//! the session resource and messages, without blocking.

use std::time::{Instant, SystemTime};

use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use cognito_login_client::{Answer, AuthEvent, AuthOutcome, SessionEnd};

use super::client::AuthClient;
use super::credentials::{
    CredentialsFailed, GuestLinked, GuestNotLinked, GuestPlayFailed, PlayerCredentials,
};
use super::lifecycle::{BackOnline, SessionNotForgotten, TokensRefreshed, WentOffline};
use super::{
    AccountConfirmed, AccountRead, AuthFailed, AuthReplied, AuthSession, AuthState,
    AuthenticatorSecretIssued, ChallengeRequired, CodeSent, DeviceForgotten, DeviceRemembered,
    DevicesListed, DevicesNotKept, EmailVerified, MfaChanged, PasswordChanged, PasswordConfirmed,
    SignOutReason, SignedIn, SignedOut, SignedUp,
};

/// The messages the session's events write.
#[derive(SystemParam)]
pub(crate) struct SessionMessages<'w> {
    signed_in: MessageWriter<'w, SignedIn>,
    signed_out: MessageWriter<'w, SignedOut>,
    refreshed: MessageWriter<'w, TokensRefreshed>,
    offline: MessageWriter<'w, WentOffline>,
    online: MessageWriter<'w, BackOnline>,
    not_forgotten: MessageWriter<'w, SessionNotForgotten>,
    devices_not_kept: MessageWriter<'w, DevicesNotKept>,
    credentials_failed: MessageWriter<'w, CredentialsFailed>,
    guest_failed: MessageWriter<'w, GuestPlayFailed>,
    guest_linked: MessageWriter<'w, GuestLinked>,
    guest_not_linked: MessageWriter<'w, GuestNotLinked>,
}

/// The messages the answers write.
#[derive(SystemParam)]
pub(crate) struct ReplyMessages<'w> {
    replied: MessageWriter<'w, AuthReplied>,
    failed: MessageWriter<'w, AuthFailed>,
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

/// The answers the player waited for this frame, for the menu to read
/// after [`AuthSystems::Receive`](super::AuthSystems::Receive).
#[derive(Resource, Default)]
pub(crate) struct ReceivedReplies(pub(crate) Vec<Answer>);

/// At launch: asks the keychain for the remembered devices and a stored
/// session.
pub(crate) fn start_restore(
    client: Option<ResMut<AuthClient>>,
    mut next: ResMut<NextState<AuthState>>,
) {
    match client {
        Some(mut client) => client.session.restore(Instant::now()),
        None => next.set(AuthState::SignedOut),
    }
}

/// Each frame: the session takes the keychain's and the worker's answers
/// and the clock acts; its events become state, the session resource and
/// messages, in the order they happened.
pub(crate) fn receive(
    mut client: ResMut<AuthClient>,
    mut received: ResMut<ReceivedReplies>,
    mut session: Option<ResMut<AuthSession>>,
    mut next: ResMut<NextState<AuthState>>,
    mut commands: Commands,
    mut messages: SessionMessages,
    mut replies: ReplyMessages,
) {
    received.0.clear();
    let client = &mut *client;
    client.session.update(Instant::now(), SystemTime::now());
    // A session signed in by these events, inserted at the end (an offline
    // event may follow its sign-in); `None` inside once it ended.
    let mut signed_in: Option<Option<AuthSession>> = None;
    while let Some(event) = client.session.next_event() {
        let current = match &mut signed_in {
            Some(fresh) => fresh.as_mut(),
            None => session.as_deref_mut(),
        };
        match event {
            AuthEvent::SignedIn {
                player,
                request,
                restored,
                kept,
            } => {
                let mut fresh = AuthSession::from_player(*player);
                // A sign-in is proof; a restored session is not.
                fresh.proven_at = (!restored).then(Instant::now);
                fresh.kept = kept;
                info!(username = %fresh.username, restored, "signed in");
                messages.signed_in.write(SignedIn {
                    request,
                    username: fresh.username.clone(),
                });
                signed_in = Some(Some(fresh));
                // A guest's credentials are not the player's.
                commands.remove_resource::<PlayerCredentials>();
                next.set(AuthState::SignedIn);
            }
            AuthEvent::Refreshed(player) => {
                if let Some(session) = current {
                    session.refreshed(*player);
                    messages.refreshed.write(TokensRefreshed {
                        username: session.username.clone(),
                    });
                }
            }
            AuthEvent::Offline | AuthEvent::Online => {
                let offline = event == AuthEvent::Offline;
                if let Some(session) = current {
                    session.offline = offline;
                    let username = session.username.clone();
                    if offline {
                        info!(%username, "offline: the login server cannot be reached");
                        messages.offline.write(WentOffline { username });
                    } else {
                        info!(%username, "back online");
                        messages.online.write(BackOnline { username });
                    }
                }
            }
            AuthEvent::Ended(end) => {
                let reason = match end {
                    SessionEnd::Everywhere => SignOutReason::Everywhere,
                    SessionEnd::AccountDeleted => SignOutReason::AccountDeleted,
                    SessionEnd::Refused(error) => {
                        info!("the session ended: {error}");
                        SignOutReason::SessionEnded(error)
                    }
                    _ => SignOutReason::Requested,
                };
                signed_in = Some(None);
                commands.remove_resource::<AuthSession>();
                commands.remove_resource::<PlayerCredentials>();
                next.set(AuthState::SignedOut);
                messages.signed_out.write(SignedOut { reason });
            }
            AuthEvent::NotRestored => next.set(AuthState::SignedOut),
            AuthEvent::ForgetFailed(error) => {
                messages.not_forgotten.write(SessionNotForgotten { error });
            }
            AuthEvent::DevicesNotKept(error) => {
                messages.devices_not_kept.write(DevicesNotKept { error });
            }
            AuthEvent::CredentialsIssued(credentials) => {
                commands.insert_resource(PlayerCredentials(*credentials));
            }
            AuthEvent::CredentialsFailed(error) => {
                messages
                    .credentials_failed
                    .write(CredentialsFailed { error });
            }
            AuthEvent::GuestPlaying { .. } => {
                // A guest's identity id gives that guest's credentials to
                // whoever holds it: never logged.
                info!("a guest plays");
                next.set(AuthState::Guest);
            }
            AuthEvent::GuestFailed(error) => {
                messages.guest_failed.write(GuestPlayFailed { error });
            }
            // The ids are the identities' credentials: never logged.
            AuthEvent::GuestLinked { identity_id } => {
                info!("the guest's identity is the player's now");
                messages.guest_linked.write(GuestLinked { identity_id });
            }
            AuthEvent::GuestNotLinked {
                guest_identity_id,
                player_identity_id,
            } => {
                info!("the account has an identity of its own: the guest's stays on this computer");
                messages.guest_not_linked.write(GuestNotLinked {
                    guest_identity_id,
                    player_identity_id,
                });
            }
            AuthEvent::GuestEnded => {
                commands.remove_resource::<PlayerCredentials>();
                next.set(AuthState::SignedOut);
            }
            AuthEvent::Replied(answer) => {
                write_answer(&answer, current, &mut replies);
                if answer.awaited {
                    received.0.push(answer);
                }
            }
            _ => {}
        }
    }
    if let Some(Some(fresh)) = signed_in {
        commands.insert_resource(fresh);
    }
}

/// The messages of one answer, and what it changes in the session.
fn write_answer(answer: &Answer, session: Option<&mut AuthSession>, messages: &mut ReplyMessages) {
    let request = answer.id;
    let username = answer.username.clone();
    messages.replied.write(AuthReplied {
        request,
        action: answer.action,
        username: username.clone(),
        result: answer.result.clone(),
    });
    if answer.proof {
        match &answer.result {
            Ok(_) => {
                info!(%username, "the password was confirmed");
                if let Some(session) = session {
                    session.proven_at = Some(Instant::now());
                }
                messages
                    .password_confirmed
                    .write(PasswordConfirmed { request, username });
            }
            Err(error) => {
                warn!(%error, "the password was not confirmed");
                messages.failed.write(AuthFailed {
                    request,
                    action: answer.action,
                    error: error.clone(),
                });
            }
        }
        return;
    }
    match &answer.result {
        Ok(AuthOutcome::DeviceRemembered) => {
            if let Some(session) = session {
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
                action: answer.action,
            });
        }
        Ok(AuthOutcome::EmailVerified) => {
            messages
                .email_verified
                .write(EmailVerified { request, username });
        }
        Ok(AuthOutcome::PasswordChanged | AuthOutcome::PasswordReset) => {
            messages
                .password_changed
                .write(PasswordChanged { request, username });
        }
        Ok(AuthOutcome::Account(account)) => {
            info!(%username, mfa = ?account.mfa_methods, "read the account");
            if let Some(session) = session.filter(|session| session.username == username) {
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
        Ok(AuthOutcome::Challenge(challenge)) => {
            messages.challenge.write(ChallengeRequired {
                request,
                username,
                challenge: challenge.clone(),
            });
        }
        // Tokens, a sign-out and a deletion changed the session already.
        Ok(_) => {}
        Err(error) => {
            warn!(action = answer.action.describe(), %error, "login request failed");
            messages.failed.write(AuthFailed {
                request,
                action: answer.action,
                error: error.clone(),
            });
        }
    }
}
