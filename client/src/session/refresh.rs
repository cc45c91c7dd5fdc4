//! Refreshes: their answers, the backoff after failures, and going
//! offline and back.

use super::*;

impl SessionMachine {
    /// The server could not be reached: the session stays, and its refresh
    /// is tried again after a backoff, or as soon as a request gets through.
    pub(super) fn went_offline(&mut self, now: Instant) {
        self.failures += 1;
        self.retry_at = Some(now + self.backoff());
        if !self.offline {
            self.offline = true;
            self.events.push_back(SessionEvent::Offline);
        }
    }

    /// The wait before the next try after `failures` failures, jittered.
    pub(super) fn backoff(&self) -> Duration {
        let mut unit = [0; 2];
        // Without the OS's randomness the wait is the longest.
        let unit = getrandom::getrandom(&mut unit).map_or(1.0, |()| {
            f64::from(u16::from_le_bytes(unit)) / f64::from(u16::MAX)
        });
        retry_delay(self.failures, unit)
    }

    /// A refresh while signed in answered: new tokens in place, the end of
    /// the session on an explicit refusal, a backoff on anything else.
    pub(super) fn refreshed(
        &mut self,
        io: &mut impl SessionIo,
        refreshed: Result<Tokens, AuthError>,
        now: Instant,
        wall: SystemTime,
    ) {
        let refreshed = match (refreshed, &self.phase) {
            (Ok(tokens), Phase::SignedIn { tokens: old, .. }) => same_player(old, tokens),
            (other, _) => other,
        };
        match refreshed {
            Ok(mut tokens) => {
                if let Phase::SignedIn { tokens: old, .. } = &self.phase {
                    tokens.from_browser = old.from_browser;
                }
                self.failures = 0;
                self.retry_at = None;
                self.save(io, &tokens);
                self.phase = Phase::SignedIn {
                    lifetime: lifetime(&tokens, wall),
                    tokens: tokens.clone(),
                };
                self.events.push_back(SessionEvent::Refreshed(tokens));
                if std::mem::take(&mut self.offline) {
                    tracing::info!("the login server answers again");
                    self.events.push_back(SessionEvent::Online);
                }
            }
            Err(error) if error.ends_session() => {
                tracing::info!(%error, "the session was ended by the server");
                self.phase = Phase::SignedOut;
                self.next_generation();
                self.forget(io);
                self.events.push_back(SessionEvent::Ended(error));
            }
            Err(error) if unreachable(&error) => {
                tracing::warn!(%error, "the login server cannot be reached; the session is kept, offline");
                self.went_offline(now);
            }
            Err(error) => {
                self.failures += 1;
                let backoff = self.backoff();
                self.retry_at = Some(now + backoff);
                tracing::warn!(%error, ?backoff, "the session could not be refreshed; trying again later");
            }
        }
    }
}

/// How long to wait before the `failures`th refresh attempt is retried:
/// doubling from 10 s to at most 5 minutes, and spread over the upper half
/// of that by `unit` (in `[0, 1]`), so that players whose refreshes failed
/// together (an outage) do not all retry in the same second.
pub(crate) fn retry_delay(failures: u32, unit: f64) -> Duration {
    let ceiling = Duration::from_secs(5 << failures.clamp(1, 6)).min(Duration::from_secs(300));
    ceiling.mul_f64(0.5 + 0.5 * unit.clamp(0.0, 1.0))
}

/// `new`, when its ID token names the player of `old`'s: a refresh never
/// hands one player's session to another.
pub(super) fn same_player(old: &Tokens, new: Tokens) -> Result<Tokens, AuthError> {
    let sub = |tokens: &Tokens| {
        unverified_claims(tokens.id_token.expose())?
            .get("sub")?
            .as_str()
            .map(str::to_owned)
    };
    match (sub(old), sub(&new)) {
        (Some(old), Some(new_sub)) if old != new_sub => Err(AuthError::InvalidToken(
            "the refresh returned another player's tokens".into(),
        )),
        _ => Ok(new),
    }
}

/// Whether `error` says the server could not be reached (no answer, or a
/// fault of its own), as opposed to an answer that refused or throttled.
pub(super) fn unreachable(error: &AuthError) -> bool {
    error.is_retryable() && error.server_kind() != Some(&ServerErrorKind::TooManyRequests)
}

/// Whether a request's end shows the server answering.
pub(super) fn answered<T>(result: &Result<T, AuthError>) -> bool {
    match result {
        Ok(_) => true,
        Err(error) => matches!(error, AuthError::Server { .. }) && !unreachable(error),
    }
}

/// Whether `tokens` were verified against the keys stored with them, the
/// pool's being out of reach.
pub(super) fn checked_offline(tokens: &Tokens) -> bool {
    tokens
        .signing_keys
        .as_ref()
        .is_some_and(SigningKeys::is_stored_copy)
}

/// The refresh of `tokens`' session.
pub(super) fn refresh_request(tokens: &Tokens) -> AuthRequest {
    AuthRequest::Refresh {
        refresh_token: tokens
            .refresh_token
            .clone()
            .expect("only sessions with a refresh token are refreshed"),
        username: tokens.internal_username(),
    }
}

/// How long tokens like these live: the access token's `exp - iat`, else
/// what is left of them now.
pub(super) fn lifetime(tokens: &Tokens, wall: SystemTime) -> Duration {
    let claims = unverified_claims(tokens.access_token.expose());
    let seconds = |name: &str| claims.as_ref()?.get(name)?.as_u64();
    match (seconds("iat"), seconds("exp")) {
        (Some(iat), Some(exp)) if exp > iat => Duration::from_secs(exp - iat),
        _ => tokens
            .expires_at
            .and_then(|expires| expires.duration_since(wall).ok())
            .unwrap_or_default(),
    }
}

pub(super) fn outcome_name(outcome: &AuthOutcome) -> &'static str {
    match outcome {
        AuthOutcome::SignedUp { .. } => "a sign-up",
        AuthOutcome::Confirmed => "a confirmation",
        AuthOutcome::CodeSent(_) => "a code sent",
        AuthOutcome::Tokens(_) => "tokens",
        AuthOutcome::Challenge(_) => "a challenge",
        AuthOutcome::PasswordReset => "a password reset",
        AuthOutcome::SignedOut => "a sign-out",
        AuthOutcome::PasswordChanged => "a password change",
        AuthOutcome::Account(_) => "an account",
        AuthOutcome::AccountDeleted => "a deletion",
        AuthOutcome::AuthenticatorSecret(_) => "an authenticator secret",
        AuthOutcome::AuthenticatorVerified => "an authenticator check",
        AuthOutcome::MfaSet => "an MFA setting",
        AuthOutcome::EmailVerified => "an email verification",
        AuthOutcome::DeviceRemembered => "a remembered device",
        AuthOutcome::Devices(_) => "a list of devices",
        AuthOutcome::DeviceForgotten => "a forgotten device",
    }
}
