//! Turning the worker's replies into state, the session resource and
//! messages, once per frame, without blocking.

use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use cognito_login_client::{AuthOutcome, Reply};

use super::commands::{AuthClient, PendingRequest, Running};
use super::keychain::{Keeping, refresh_answered};
use super::{
    AccountConfirmed, AuthFailed, AuthSession, AuthState, ChallengeRequired, CodeSent,
    PasswordChanged, SignedIn, SignedUp,
};

/// Every message the replies can produce.
#[derive(SystemParam)]
pub(crate) struct ReplyMessages<'w> {
    failed: MessageWriter<'w, AuthFailed>,
    signed_up: MessageWriter<'w, SignedUp>,
    code_sent: MessageWriter<'w, CodeSent>,
    confirmed: MessageWriter<'w, AccountConfirmed>,
    password_changed: MessageWriter<'w, PasswordChanged>,
    challenge: MessageWriter<'w, ChallengeRequired>,
}

/// A reply together with the request it answers, when the player was
/// waiting for it.
pub(crate) struct Answered {
    pub(crate) reply: Reply,
    pub(crate) running: Option<Running>,
}

/// The replies drained this frame, for the menu to read after
/// [`AuthSystems::Receive`](super::AuthSystems::Receive).
#[derive(Resource, Default)]
pub(crate) struct ReceivedReplies(pub(crate) Vec<Answered>);

#[allow(clippy::too_many_arguments)]
pub(crate) fn receive_replies(
    client: Res<AuthClient>,
    mut pending: ResMut<PendingRequest>,
    mut received: ResMut<ReceivedReplies>,
    mut next_state: ResMut<NextState<AuthState>>,
    mut commands: Commands,
    mut messages: ReplyMessages,
    mut keeping: Keeping,
) {
    received.0.clear();
    while let Some(mut reply) = client.worker.try_recv() {
        if keeping
            .refresh
            .as_ref()
            .is_some_and(|refresh| refresh.in_flight == Some(reply.id))
        {
            refresh_answered(
                &mut keeping,
                reply.result,
                &client,
                &mut next_state,
                &mut commands,
            );
            continue;
        }
        let running = pending.running.take_if(|running| running.id == reply.id);
        let username = running
            .as_ref()
            .map(|r| r.username.clone())
            .unwrap_or_default();
        if let Ok(AuthOutcome::Tokens(tokens)) = &reply.result {
            match AuthSession::from_tokens(tokens.clone()) {
                Ok(session) => {
                    info!(username = %session.username, "signed in");
                    if let Some(keychain) = &keeping.keychain {
                        keychain.keep(&client, tokens);
                    }
                    keeping.messages.signed_in.write(SignedIn {
                        username: session.username.clone(),
                    });
                    commands.insert_resource(session);
                    next_state.set(AuthState::SignedIn);
                }
                // Tokens the game cannot read are a failed sign-in.
                Err(error) => reply.result = Err(error),
            }
        }
        match &reply.result {
            Ok(AuthOutcome::Tokens(_) | AuthOutcome::SignedOut) => {}
            Ok(AuthOutcome::SignedUp {
                confirmed,
                delivery,
                ..
            }) => {
                messages.signed_up.write(SignedUp {
                    username: username.clone(),
                    confirmed: *confirmed,
                });
                if let Some(delivery) = delivery {
                    messages.code_sent.write(CodeSent {
                        username,
                        destination: delivery.clone(),
                    });
                }
            }
            Ok(AuthOutcome::CodeSent(delivery)) => {
                messages.code_sent.write(CodeSent {
                    username,
                    destination: delivery.clone(),
                });
            }
            Ok(AuthOutcome::Confirmed) => {
                messages.confirmed.write(AccountConfirmed { username });
            }
            Ok(AuthOutcome::PasswordReset) => {
                messages
                    .password_changed
                    .write(PasswordChanged { username });
            }
            Ok(AuthOutcome::Challenge(challenge)) => {
                messages.challenge.write(ChallengeRequired {
                    username,
                    challenge: challenge.clone(),
                });
            }
            Err(error) => {
                warn!(action = reply.action.describe(), %error, "login request failed");
                messages.failed.write(AuthFailed {
                    action: reply.action,
                    error: error.clone(),
                });
            }
        }
        received.0.push(Answered { reply, running });
    }
}
