//! A launch's restore: the stored session loaded, checked, refreshed when
//! its time is up, kept offline when the server cannot be reached.

use super::*;

impl SessionMachine {
    pub(super) fn loaded(
        &mut self,
        io: &mut impl SessionIo,
        result: Result<Option<Tokens>, StoreError>,
    ) {
        if !matches!(self.phase, Phase::Restoring { .. }) {
            return;
        }
        match result {
            Ok(Some(tokens)) => {
                let id = io.check_stored(tokens.clone());
                self.sent.push(Awaiting {
                    id,
                    generation: self.generation,
                    what: Asked::Check,
                });
                self.phase = Phase::Restoring {
                    loading_until: None,
                    stored: Some(tokens),
                    verified: false,
                };
            }
            Ok(None) => self.not_restored(),
            Err(StoreError::Corrupt(reason)) => {
                tracing::warn!("the stored session is unreadable ({reason}); it is forgotten");
                self.forget(io);
                self.not_restored();
            }
            Err(error) => {
                self.store_failed(&error);
                self.not_restored();
            }
        }
    }

    /// The stored session's check answered: signed in when its tokens are
    /// verified and unexpired; refreshed when they expired or could not be
    /// checked (the refresh's tokens are verified in turn). Tokens checked
    /// against the keys stored with them (the pool's could not be fetched)
    /// make an offline session.
    pub(super) fn checked(
        &mut self,
        io: &mut impl SessionIo,
        checked: Result<Tokens, AuthError>,
        now: Instant,
        wall: SystemTime,
    ) {
        let Phase::Restoring { stored, .. } = &mut self.phase else {
            return;
        };
        let Some(stored) = stored.take() else {
            self.not_restored();
            return;
        };
        // What to refresh, whether it passed the check, and whether to
        // forget it when it cannot be refreshed.
        let (candidate, verified, forget) = match checked {
            Ok(mut tokens) => {
                tokens.from_browser = stored.from_browser;
                if tokens.expires_at.is_some_and(|expires| wall < expires) {
                    tracing::info!("signed in from the store");
                    let offline = checked_offline(&tokens);
                    self.enter(tokens, true, wall);
                    if offline {
                        self.went_offline(now);
                    }
                    return;
                }
                (tokens, true, true)
            }
            Err(error) => {
                tracing::warn!(%error, "the stored session could not be verified; refreshing it");
                let forget = matches!(error, AuthError::InvalidToken(_));
                (stored, false, forget)
            }
        };
        if candidate.refresh_token.is_some() {
            self.send(io, refresh_request(&candidate), Asked::Refresh);
            // Its answer carries on this session.
            self.phase = Phase::Restoring {
                loading_until: None,
                stored: Some(candidate),
                verified,
            };
        } else {
            if forget {
                self.forget(io);
            }
            self.not_restored();
        }
    }

    /// The restore's refresh answered: signed in; signed out with the stored
    /// session forgotten (refused) or kept for later (no answer, tokens never
    /// verified); or, when the stored tokens were verified and only their
    /// time is up, signed in offline until the server answers.
    pub(super) fn restore_refreshed(
        &mut self,
        io: &mut impl SessionIo,
        refreshed: Result<Tokens, AuthError>,
        now: Instant,
        wall: SystemTime,
    ) {
        let Phase::Restoring {
            stored, verified, ..
        } = &mut self.phase
        else {
            return;
        };
        let (stored, verified) = (stored.take(), *verified);
        let refreshed = match (refreshed, &stored) {
            (Ok(tokens), Some(old)) => same_player(old, tokens),
            (other, _) => other,
        };
        match (refreshed, stored) {
            (Ok(mut tokens), stored) => {
                tracing::info!("signed in from the store after a refresh");
                tokens.from_browser = stored.is_some_and(|stored| stored.from_browser);
                self.save(io, &tokens);
                self.enter(tokens, true, wall);
            }
            (Err(error), _) if error.ends_session() => {
                tracing::info!(%error, "the stored session has ended; it is forgotten");
                self.forget(io);
                self.not_restored();
            }
            (Err(error), Some(stored)) if verified && unreachable(&error) => {
                tracing::warn!(%error, "the login server cannot be reached; signed in from the store, offline");
                self.enter(stored, true, wall);
                self.went_offline(now);
            }
            (Err(error), _) => {
                tracing::warn!(%error, "the stored session could not be refreshed; it is kept for later");
                self.not_restored();
            }
        }
    }
}
