//! The signed-in session as a resource.

use std::time::{Duration, Instant, SystemTime};

use bevy::prelude::*;
use cognito_login_client::{
    AccessToken, Account, AuthError, IdToken, Identity, NewDevice, RefreshToken, Session,
    SignedInPlayer, Tokens,
};
use serde_json::{Map, Value};

/// The signed-in player's session. Exists only while signed in: use
/// `Option<Res<AuthSession>>` or `resource_exists::<AuthSession>`.
///
/// The claims are those of the ID token, which the transport verified
/// against the pool's keys before the session was made (unless the backend
/// is configured with `ApiGatewayConfig::unverified`), a session restored
/// from the keychain included: it is verified again before it is restored,
/// and its expiry is the verified `exp`.
/// Tokens are redacted in `Debug`; read them with `expose()`.
#[derive(Resource, Debug, Clone, PartialEq)]
pub struct AuthSession {
    /// The player's username (`cognito:username`).
    pub username: String,
    /// The player's stable id (`sub`).
    pub sub: String,
    /// The player's email address, when the pool has one.
    pub email: Option<String>,
    /// Whether that email address is verified.
    pub email_verified: bool,
    /// The player's groups (`cognito:groups`).
    pub groups: Vec<String>,
    /// Every claim of the ID token.
    pub claims: Map<String, Value>,
    /// The access token, for the game's own servers.
    pub access_token: AccessToken,
    /// The ID token.
    pub id_token: IdToken,
    /// When the access token expires, when known.
    pub expires_at: Option<SystemTime>,
    /// The account as the server last described it: attributes with their
    /// verification state, MFA settings. `None` until
    /// [`AuthCommands::read_account`](super::AuthCommands::read_account)
    /// answers ([`AccountRead`](super::AccountRead)); kept across refreshes.
    pub account: Option<Account>,
    /// The device the pool offered to remember at this sign-in
    /// (`NewDeviceMetadata`), until
    /// [`AuthCommands::remember_device`](super::AuthCommands::remember_device)
    /// takes it. `None` for restored sessions, pools that track no devices
    /// and sign-ins that proved a remembered device.
    pub new_device: Option<NewDevice>,
    /// The session began with a browser sign-in
    /// ([`AuthCommands::sign_in_with_browser`](super::AuthCommands::sign_in_with_browser)),
    /// a restored one included: its sign-out also ends the managed login's
    /// session in the browser, so the next browser sign-in asks again.
    pub from_browser: bool,
    /// The login server could not be reached at the last try
    /// ([`WentOffline`](super::WentOffline)), at launch or since: the
    /// session is kept as it was verified, and refreshed as soon as the
    /// server answers ([`BackOnline`](super::BackOnline)). Its access token
    /// may have expired meanwhile, so calls to the game's servers may fail;
    /// what needs no server goes on.
    pub offline: bool,
    pub(crate) refresh_token: Option<RefreshToken>,
    /// When the player last proved to be the player here: typed the
    /// password (or went through the browser) in this run of the game.
    /// `None` for a restored session.
    pub(crate) proven_at: Option<Instant>,
    /// The session is kept for the next launch (restored, or signed in with
    /// "Remember me" and a keychain).
    pub(crate) kept: bool,
}

impl AuthSession {
    /// Builds the session from tokens the transport verified, reading the
    /// ID token's claims.
    pub fn from_tokens(tokens: Tokens) -> Result<Self, AuthError> {
        let identity = Identity::of(&tokens)?;
        Ok(Self::from_player(SignedInPlayer { identity, tokens }))
    }

    /// The session of a player the client read already.
    pub(crate) fn from_player(player: SignedInPlayer) -> Self {
        let SignedInPlayer {
            identity:
                Identity {
                    username,
                    sub,
                    email,
                    email_verified,
                    groups,
                    claims,
                },
            tokens,
        } = player;
        Self {
            username,
            sub,
            email,
            email_verified,
            groups,
            claims,
            access_token: tokens.access_token,
            id_token: tokens.id_token,
            expires_at: tokens.expires_at,
            account: None,
            new_device: tokens.new_device,
            from_browser: tokens.from_browser,
            offline: false,
            refresh_token: tokens.refresh_token,
            proven_at: None,
            kept: false,
        }
    }

    /// Takes refreshed tokens; what the client learnt of the account, the
    /// device on offer and the session's standing stay.
    pub(crate) fn refreshed(&mut self, player: SignedInPlayer) {
        let fresh = Self::from_player(player);
        *self = Self {
            account: self.account.take(),
            new_device: self.new_device.take(),
            offline: self.offline,
            proven_at: self.proven_at,
            kept: self.kept,
            ..fresh
        };
    }

    /// How long a sign-in, or a password typed again
    /// ([`AuthCommands::confirm_password`](super::AuthCommands::confirm_password)),
    /// counts as fresh proof for the account changes that need one
    /// ([`AuthAction::needs_fresh_proof`](cognito_login_client::AuthAction::needs_fresh_proof)).
    pub const PROOF_LASTS: Duration = Session::PROOF_LASTS;

    /// Whether the player proved to be the player at this computer within
    /// [`PROOF_LASTS`](Self::PROOF_LASTS): signed in (not restored from the
    /// keychain) or typed the password again. Measured on the monotonic
    /// clock, so a system clock hours off changes nothing. Until then,
    /// [`AuthCommands`](super::AuthCommands) refuses the account changes
    /// that need it with
    /// [`AuthCommandError::ProofNeeded`](super::AuthCommandError::ProofNeeded).
    pub fn recently_proven(&self) -> bool {
        self.proven_at
            .is_some_and(|at| at.elapsed() < Self::PROOF_LASTS)
    }

    /// Whether a refresh token came with the session.
    pub fn can_refresh(&self) -> bool {
        self.refresh_token.is_some()
    }
}
