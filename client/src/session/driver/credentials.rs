//! AWS credentials from an identity pool, bound to whoever plays: the
//! signed-in player's, asked for at each sign-in and again before they
//! expire, and a guest's, whose identity is kept on this computer and
//! linked to the account the guest signs in to.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crossbeam_channel::{Receiver, Sender};

use super::Session;
use crate::error::{AuthError, ServerErrorKind};
use crate::identity_pool::{AwsCredentials, IdentityPoolClient, Login};
use crate::session::{AuthEvent, CommandError, StoreJob};

/// The identity pool behind a session.
#[derive(Debug)]
pub(super) struct IdentityLink {
    client: Arc<IdentityPoolClient>,
    /// The user pool whose ID tokens the identity pool takes.
    user_pool_id: String,
    answers: (Sender<Issued>, Receiver<Issued>),
    /// Bumped whenever whose credentials they are changes (a sign-in, a
    /// sign-out, a guest's start or end): an answer asked for before
    /// reaches nobody.
    holder: u64,
    /// An ask for this holder is on its way.
    asking: bool,
    /// The holder's, once issued.
    credentials: Option<AwsCredentials>,
    /// After a failure: no ask before then.
    retry_at: Option<SystemTime>,
    guest: Guest,
    /// The identity of the guest who just signed in, to link to the
    /// player's login until that succeeds.
    linking: Option<String>,
}

/// Where guest play is.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
enum Guest {
    /// Nobody plays as a guest.
    #[default]
    None,
    /// The kept guest is being read from the store.
    Loading,
    /// Its first credentials are asked for.
    Starting {
        /// The guest kept on this computer, if any.
        kept: Option<String>,
    },
    /// A guest plays as this identity.
    Playing(String),
}

/// What the identity pool issued, and what became of a guest who signed
/// in.
#[derive(Debug)]
struct Issue {
    credentials: AwsCredentials,
    linked: Option<Linked>,
}

impl IdentityLink {
    /// Runs `ask` on `runtime` for the present holder; its answer comes
    /// back through `answers`.
    fn ask<F, Fut>(&mut self, runtime: &tokio::runtime::Handle, ask: F)
    where
        F: FnOnce(Arc<IdentityPoolClient>) -> Fut,
        Fut: Future<Output = Result<Issue, AuthError>> + Send + 'static,
    {
        self.asking = true;
        let (answers, holder) = (self.answers.0.clone(), self.holder);
        let asked = ask(Arc::clone(&self.client));
        runtime.spawn(async move {
            let _ = answers.send((holder, asked.await));
        });
    }
}

/// What became of the identity of a guest who signed in.
#[derive(Debug)]
enum Linked {
    /// The player's login now belongs to the guest's identity.
    Linked,
    /// The login belongs to another identity already: the guest's stays
    /// apart.
    Conflict { guest_identity_id: String },
}

/// The identity pool's answer for a holder.
type Issued = (u64, Result<Issue, AuthError>);

/// After the identity pool gave no credentials, the next ask waits this
/// long.
const CREDENTIALS_RETRY: Duration = Duration::from_secs(30);

/// Credentials are asked for again this long before they expire.
const CREDENTIALS_MARGIN: Duration = Duration::from_secs(5 * 60);

impl Session {
    /// With temporary AWS credentials from `client`'s identity pool, which
    /// takes the ID tokens of the user pool `user_pool_id`:
    /// [`AuthEvent::CredentialsIssued`] after each sign-in (and for a guest,
    /// [`play_as_guest`](Self::play_as_guest)) and again before they expire,
    /// bound to whoever plays (an answer asked for before a sign-in or a
    /// sign-out is dropped; a sign-out drops them).
    pub fn with_identity_pool(mut self, client: IdentityPoolClient, user_pool_id: &str) -> Self {
        self.identity_pool = Some(IdentityLink {
            client: Arc::new(client),
            user_pool_id: user_pool_id.to_owned(),
            answers: crossbeam_channel::unbounded(),
            holder: 0,
            asking: false,
            credentials: None,
            retry_at: None,
            guest: Guest::None,
            linking: None,
        });
        self
    }

    /// The AWS credentials of whoever plays (the signed-in player, or the
    /// guest), once issued.
    pub fn credentials(&self) -> Option<&AwsCredentials> {
        self.identity_pool.as_ref()?.credentials.as_ref()
    }

    /// The identity id of the guest playing, once the identity pool gave
    /// the guest credentials.
    pub fn guest(&self) -> Option<&str> {
        match &self.identity_pool.as_ref()?.guest {
            Guest::Playing(id) => Some(id),
            _ => None,
        }
    }

    /// Plays without an account: the identity pool's unauthenticated
    /// identity kept on this computer (the same guest as last time), or a
    /// new one, and its credentials. Answered by
    /// [`AuthEvent::GuestPlaying`] then [`AuthEvent::CredentialsIssued`],
    /// or [`AuthEvent::GuestFailed`]. When the guest later signs in or
    /// signs up, their identity is linked to the account
    /// ([`AuthEvent::GuestLinked`], or [`AuthEvent::GuestNotLinked`]).
    /// Asking again while the guest starts or plays does nothing.
    pub fn play_as_guest(&mut self) -> Result<(), CommandError> {
        if self.player.is_some() {
            return Err(CommandError::AlreadySignedIn);
        }
        self.ready()?;
        let Some(link) = &mut self.identity_pool else {
            return Err(CommandError::NoGuestPlay);
        };
        if link.guest != Guest::None {
            return Ok(());
        }
        match &self.store {
            Some(store) => {
                link.guest = Guest::Loading;
                store.run(self.machine.generation(), StoreJob::LoadGuest);
            }
            None => self.start_guest(None),
        }
        Ok(())
    }

    /// Ends guest play: the credentials are dropped, and the guest stays
    /// kept for the next [`play_as_guest`](Self::play_as_guest).
    /// [`AuthEvent::GuestEnded`] follows.
    pub fn end_guest_play(&mut self) -> Result<(), CommandError> {
        let playing = self
            .identity_pool
            .as_ref()
            .is_some_and(|link| link.guest != Guest::None);
        if !playing {
            return Err(CommandError::NotSignedIn);
        }
        self.drop_credentials();
        // The next player to sign in here is not this guest.
        if let Some(link) = &mut self.identity_pool {
            link.linking = None;
        }
        self.events.push_back(AuthEvent::GuestEnded);
        Ok(())
    }

    /// Asks for the first credentials of the guest `kept` on this computer,
    /// or of a new guest.
    fn start_guest(&mut self, kept: Option<String>) {
        let Some(link) = &mut self.identity_pool else {
            return;
        };
        link.guest = Guest::Starting { kept: kept.clone() };
        link.holder += 1;
        link.ask(self.worker.runtime(), |client| async move {
            let issued = async {
                if let Some(id) = kept {
                    match client.credentials(&id, None).await {
                        // Linked to an account since, or gone: a new guest.
                        Err(error) if is_gone(&error) => {}
                        issued => return issued,
                    }
                }
                let id = client.get_id(None).await?;
                client.credentials(&id, None).await
            };
            issued.await.map(|credentials| Issue {
                credentials,
                linked: None,
            })
        });
    }

    /// Asks the identity pool for the credentials of whoever plays, unless
    /// an ask is on its way.
    pub(super) fn ask_for_credentials(&mut self) {
        let Some(link) = &mut self.identity_pool else {
            return;
        };
        if link.asking {
            return;
        }
        let login = match (&link.guest, self.machine.tokens()) {
            (Guest::Playing(_), _) => None,
            (Guest::None, Some(tokens)) => Some(Login::user_pool(
                &link.user_pool_id,
                tokens.id_token.clone(),
            )),
            _ => return,
        };
        let known = link.credentials.as_ref().map(|c| c.identity_id.clone());
        let linking = link.linking.clone();
        link.ask(self.worker.runtime(), |client| async move {
            let login = login.as_ref();
            if let Some(guest) = linking.filter(|_| login.is_some()) {
                // The guest signed in: the same identity carries on,
                // unless the login has one already.
                match client.credentials(&guest, login).await {
                    Ok(credentials) => {
                        let linked = Some(Linked::Linked);
                        return Ok(Issue {
                            credentials,
                            linked,
                        });
                    }
                    Err(error) if is_conflict(&error) => {
                        let id = client.get_id(login).await?;
                        let credentials = client.credentials(&id, login).await?;
                        let linked = Some(Linked::Conflict {
                            guest_identity_id: guest,
                        });
                        return Ok(Issue {
                            credentials,
                            linked,
                        });
                    }
                    Err(error) => return Err(error),
                }
            }
            let identity_id = match known {
                Some(id) => id,
                None => client.get_id(login).await?,
            };
            let credentials = client.credentials(&identity_id, login).await?;
            Ok(Issue {
                credentials,
                linked: None,
            })
        });
    }

    /// The store's and the identity pool's answers, and credentials that
    /// are due again.
    pub(super) fn update_credentials(&mut self, wall: SystemTime) {
        while let Some(kept) = self.store.as_ref().and_then(|store| store.try_recv_guest()) {
            let loading = self
                .identity_pool
                .as_ref()
                .is_some_and(|link| link.guest == Guest::Loading);
            if loading {
                let kept = kept.unwrap_or_else(|error| {
                    tracing::warn!(%error, "the kept guest is unreadable; a new guest plays");
                    None
                });
                self.start_guest(kept);
            }
        }
        let Some(link) = &mut self.identity_pool else {
            return;
        };
        while let Ok((holder, answer)) = link.answers.1.try_recv() {
            // An answer for an earlier holder reaches nobody.
            if holder != link.holder {
                continue;
            }
            link.asking = false;
            match answer {
                Ok(Issue {
                    credentials,
                    linked,
                }) => {
                    link.retry_at = None;
                    let identity_id = credentials.identity_id.clone();
                    if let Guest::Starting { kept } = &link.guest {
                        if kept.as_ref() != Some(&identity_id)
                            && let Some(store) = &self.store
                        {
                            let job = StoreJob::SaveGuest(Some(identity_id.clone()));
                            store.run(self.machine.generation(), job);
                        }
                        link.guest = Guest::Playing(identity_id.clone());
                        self.events.push_back(AuthEvent::GuestPlaying {
                            identity_id: identity_id.clone(),
                        });
                    }
                    link.credentials = Some(credentials.clone());
                    self.events
                        .push_back(AuthEvent::CredentialsIssued(Box::new(credentials)));
                    link.linking = None;
                    match linked {
                        Some(Linked::Linked) => {
                            // The identity is the account's now, not a guest's.
                            if let Some(store) = &self.store {
                                store.run(self.machine.generation(), StoreJob::SaveGuest(None));
                            }
                            self.events
                                .push_back(AuthEvent::GuestLinked { identity_id });
                        }
                        Some(Linked::Conflict { guest_identity_id }) => {
                            self.events.push_back(AuthEvent::GuestNotLinked {
                                guest_identity_id,
                                player_identity_id: identity_id,
                            });
                        }
                        None => {}
                    }
                }
                Err(error) if matches!(link.guest, Guest::Starting { .. }) => {
                    link.guest = Guest::None;
                    tracing::warn!(%error, "the identity pool gave the guest no identity");
                    self.events.push_back(AuthEvent::GuestFailed(error));
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
        let playing = self.player.is_some() || matches!(link.guest, Guest::Playing(_));
        if due && !waiting && playing {
            self.ask_for_credentials();
        }
    }

    /// Forgets the credentials: whoever held them no longer plays. A guest
    /// playing until now is remembered, to link to the login of a player who
    /// signs in next.
    pub(super) fn drop_credentials(&mut self) {
        if let Some(link) = &mut self.identity_pool {
            link.linking = match std::mem::take(&mut link.guest) {
                Guest::Playing(id) => Some(id),
                _ => None,
            };
            link.holder += 1;
            link.credentials = None;
            link.asking = false;
            link.retry_at = None;
        }
    }
}

/// Cognito's answer when a login belongs to another identity already.
fn is_conflict(error: &AuthError) -> bool {
    matches!(error.server_kind(), Some(ServerErrorKind::Unknown(name)) if name == "ResourceConflictException")
}

/// A kept guest identity that gives no credentials any more: linked to an
/// account (its logins do not match), or deleted.
fn is_gone(error: &AuthError) -> bool {
    match error.server_kind() {
        Some(ServerErrorKind::NotAuthorized) => true,
        Some(ServerErrorKind::Unknown(name)) => name == "ResourceNotFoundException",
        _ => false,
    }
}
