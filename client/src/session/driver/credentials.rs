//! The signed-in player's AWS credentials from an identity pool: asked for
//! at each sign-in and again before they expire, bound to the session.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crossbeam_channel::{Receiver, Sender};

use super::Session;
use crate::error::AuthError;
use crate::identity_pool::{AwsCredentials, IdentityPoolClient, Login};
use crate::session::{AuthEvent, Generation};

/// The identity pool behind a session: the player's AWS credentials, asked
/// for at each sign-in and again before they expire.
#[derive(Debug)]
pub(super) struct IdentityLink {
    client: Arc<IdentityPoolClient>,
    /// The user pool whose ID tokens the identity pool takes.
    user_pool_id: String,
    answers: (Sender<Issued>, Receiver<Issued>),
    /// The generation a request is on its way for.
    asked: Option<Generation>,
    /// The signed-in player's, once issued.
    credentials: Option<AwsCredentials>,
    /// After a failure: no ask before then.
    retry_at: Option<SystemTime>,
}

/// After the identity pool gave no credentials, the next ask waits this
/// long.
const CREDENTIALS_RETRY: Duration = Duration::from_secs(30);

/// The identity pool's answer for a session.
type Issued = (Generation, Result<AwsCredentials, AuthError>);

/// Credentials are asked for again this long before they expire.
const CREDENTIALS_MARGIN: Duration = Duration::from_secs(5 * 60);

impl Session {
    /// With temporary AWS credentials for each signed-in player from
    /// `client`'s identity pool, which takes the ID tokens of the user pool
    /// `user_pool_id`: [`AuthEvent::CredentialsIssued`] after each sign-in
    /// and again before they expire, bound to the session (an answer for an
    /// earlier session is dropped; a sign-out drops them).
    pub fn with_identity_pool(mut self, client: IdentityPoolClient, user_pool_id: &str) -> Self {
        self.identity_pool = Some(IdentityLink {
            client: Arc::new(client),
            user_pool_id: user_pool_id.to_owned(),
            answers: crossbeam_channel::unbounded(),
            asked: None,
            credentials: None,
            retry_at: None,
        });
        self
    }

    /// The signed-in player's AWS credentials, once issued.
    pub fn credentials(&self) -> Option<&AwsCredentials> {
        self.identity_pool.as_ref()?.credentials.as_ref()
    }

    /// Asks the identity pool for the signed-in player's credentials, unless
    /// an ask for this session is on its way.
    pub(super) fn ask_for_credentials(&mut self) {
        let generation = self.machine.generation();
        let (Some(link), Some(tokens)) = (&mut self.identity_pool, self.machine.tokens()) else {
            return;
        };
        if link.asked == Some(generation) {
            return;
        }
        link.asked = Some(generation);
        let login = Login::user_pool(&link.user_pool_id, tokens.id_token.clone());
        let known = link.credentials.as_ref().map(|c| c.identity_id.clone());
        let client = Arc::clone(&link.client);
        let answers = link.answers.0.clone();
        self.worker.runtime().spawn(async move {
            let issued = async {
                let identity_id = match known {
                    Some(id) => id,
                    None => client.get_id(Some(&login)).await?,
                };
                client.credentials(&identity_id, Some(&login)).await
            };
            let _ = answers.send((generation, issued.await));
        });
    }

    /// The identity pool's answers, and credentials that are due again.
    pub(super) fn update_credentials(&mut self, wall: SystemTime) {
        let generation = self.machine.generation();
        let Some(link) = &mut self.identity_pool else {
            return;
        };
        while let Ok((asked, answer)) = link.answers.1.try_recv() {
            if link.asked == Some(asked) {
                link.asked = None;
            }
            // An answer for an earlier session reaches nobody.
            if asked != generation || self.player.is_none() {
                continue;
            }
            match answer {
                Ok(credentials) => {
                    link.retry_at = None;
                    link.credentials = Some(credentials.clone());
                    self.events
                        .push_back(AuthEvent::CredentialsIssued(Box::new(credentials)));
                }
                Err(error) => {
                    link.retry_at = Some(wall + CREDENTIALS_RETRY);
                    tracing::warn!(%error, "the identity pool gave no credentials");
                    self.events.push_back(AuthEvent::CredentialsFailed(error));
                }
            }
        }
        // None yet (an ask failed), or about to expire; not while an
        // earlier failure waits out its pause.
        let due = link.credentials.as_ref().is_none_or(|credentials| {
            credentials
                .expiration
                .is_some_and(|expires| wall + CREDENTIALS_MARGIN >= expires)
        });
        let waiting = link.retry_at.is_some_and(|at| wall < at);
        if due && !waiting && self.player.is_some() {
            self.ask_for_credentials();
        }
    }

    /// Forgets the player's credentials: a session's end.
    pub(super) fn drop_credentials(&mut self) {
        if let Some(link) = &mut self.identity_pool {
            link.credentials = None;
            link.asked = None;
            link.retry_at = None;
        }
    }
}
