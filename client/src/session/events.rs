//! What a [`Session`](super::Session) reports: its events, the answers to
//! requests, and why a request could not start.

use super::Identity;
#[cfg(doc)]
use super::Session;
use crate::error::AuthError;
use crate::identity_pool::AwsCredentials;
use crate::outcome::{AuthOutcome, Tokens};
use crate::request::AuthAction;
use crate::store::StoreError;
use crate::worker::RequestId;

/// Why a request could not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// Another request is still running.
    #[error("wait: the game is still trying to {}", .0.describe())]
    Busy(AuthAction),
    /// A player is signed in already.
    #[error("a player is already signed in")]
    AlreadySignedIn,
    /// Nobody is signed in.
    #[error("nobody is signed in")]
    NotSignedIn,
    /// The background worker could not start.
    #[error("the login client is not running")]
    Unavailable,
    /// The sign-in offered no device to remember, or it is remembered
    /// already.
    #[error("there is no device to remember")]
    NoDeviceOffered,
    /// The account change needs the player's password typed again
    /// ([`Session::confirm_password`]): the session was restored, or its
    /// sign-in is older than [`Session::PROOF_LASTS`] (see
    /// [`AuthAction::needs_fresh_proof`]).
    #[error("confirm your password first")]
    ProofNeeded,
    /// Browser sign-in is not configured, or its configuration does not
    /// check out (the reason).
    #[error("browser sign-in is not available: {0}")]
    NoBrowserSignIn(String),
    /// Guest play needs an identity pool
    /// ([`Session::with_identity_pool`](super::Session::with_identity_pool))
    /// that allows guests.
    #[error("guest play is not available")]
    NoGuestPlay,
}

/// Why a session ended without a sign-out asked for here.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionEnd {
    /// The account was signed out on every device.
    Everywhere,
    /// The account was deleted.
    AccountDeleted,
    /// The server refused to refresh the session (revoked, expired).
    Refused(AuthError),
}

/// Who signed in: read once from the ID token of a sign-in, a restore or a
/// refresh, with the tokens it was read from.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedInPlayer {
    /// Read from `tokens`' ID token.
    pub identity: Identity,
    /// The session's tokens, verified.
    pub tokens: Tokens,
}

/// The answer to a request, as the session applied it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The id the request was started with.
    pub id: RequestId,
    /// What was asked.
    pub action: AuthAction,
    /// How it ended. Tokens that could not start a session here (unreadable,
    /// or not the signed-in player's at a password check) arrive as the
    /// failure.
    pub result: Result<AuthOutcome, AuthError>,
    /// The account it was about: the name a sign-in used, or the signed-in
    /// player's; empty for a browser sign-in.
    pub username: String,
    /// The player was waiting for it: it was the running request
    /// ([`Session::running`]). A sign-out's revocation is answered to
    /// nobody.
    pub awaited: bool,
    /// It answered a password check ([`Session::confirm_password`]): `Ok`
    /// is proof.
    pub proof: bool,
}

/// What happened, in the order it happened.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum AuthEvent {
    /// A player is signed in.
    SignedIn {
        /// Who, and the session's tokens.
        player: Box<SignedInPlayer>,
        /// The sign-in request this answers; `None` for a restored session.
        request: Option<RequestId>,
        /// The session came from the store.
        restored: bool,
        /// The session is kept for the next launch (restored, or signed in
        /// with "Remember me" and a store).
        kept: bool,
    },
    /// The tokens were refreshed in place.
    Refreshed(Box<SignedInPlayer>),
    /// The login server cannot be reached; the session is kept, as verified
    /// before.
    Offline,
    /// The server answered again, and the session was refreshed.
    Online,
    /// The session ended here (it is forgotten and no longer refreshed).
    Ended(SessionEnd),
    /// The restore at launch found no session it could use.
    NotRestored,
    /// The stored session could not be forgotten: the next launch may
    /// restore it.
    ForgetFailed(StoreError),
    /// The remembered devices changed in the store (loaded, or changed by a
    /// request that succeeded).
    DevicesChanged,
    /// The remembered devices could not be read or kept.
    DevicesNotKept(StoreError),
    /// A request was answered.
    Replied(Answer),
    /// The identity pool issued the signed-in player's AWS credentials
    /// ([`Session::with_identity_pool`](super::Session::with_identity_pool)),
    /// after a sign-in or ahead of the last ones' expiry.
    CredentialsIssued(Box<AwsCredentials>),
    /// The identity pool gave none; the session asks again after a short
    /// pause, and at the next sign-in.
    CredentialsFailed(AuthError),
    /// A guest plays ([`Session::play_as_guest`](super::Session::play_as_guest)):
    /// the identity pool gave this unauthenticated identity (the guest kept
    /// on this computer, or a new one, now kept). Its credentials follow as
    /// [`CredentialsIssued`](Self::CredentialsIssued).
    GuestPlaying {
        /// The guest's identity id. It gives that guest's credentials to
        /// whoever holds it, so it is kept in the store, not logged.
        identity_id: String,
    },
    /// Guest play could not start: no identity, or no credentials for it.
    GuestFailed(AuthError),
    /// The guest signed in, and their identity is the account's now: what
    /// the game kept for the guest under this id is the player's.
    GuestLinked {
        /// The identity id, the same as the guest's.
        identity_id: String,
    },
    /// The guest signed in to an account whose login belongs to another
    /// identity already, so the guest's identity stays apart (and kept on
    /// this computer): the game may merge the guest's data into the
    /// player's, or leave it.
    GuestNotLinked {
        /// The guest's identity id.
        guest_identity_id: String,
        /// The account's identity id, whose credentials were issued.
        player_identity_id: String,
    },
    /// Guest play ended ([`Session::end_guest_play`](super::Session::end_guest_play)).
    GuestEnded,
}
