//! The signed-in player's AWS credentials from an identity pool.

use bevy::prelude::*;
use cognito_login_client::{AuthError, AwsCredentials, IdentityPoolConfig};

#[cfg(doc)]
use super::{AuthCommands, AuthState};

/// An identity pool that trades each sign-in for the player's temporary
/// AWS credentials ([`CognitoLoginPlugin::with_identity_pool`](super::CognitoLoginPlugin::with_identity_pool)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityPoolSettings {
    /// The identity pool (the template's `IdentityPoolId` output).
    pub pool: IdentityPoolConfig,
    /// The user pool whose ID tokens it takes (`region_Id`).
    pub user_pool_id: String,
    /// The pool allows guests: the menu offers "Play as guest"
    /// ([`AuthCommands::play_as_guest`] works either way, and fails as the
    /// pool answers).
    pub guests: bool,
}

/// The AWS credentials of whoever plays: present once the identity pool
/// issued them after a sign-in (or to a guest, in [`AuthState::Guest`]),
/// replaced before they expire, gone at sign-out and at a sign-in that
/// follows guest play, until the player's are issued. `Debug` redacts the secret key and the session token.
#[derive(Resource, Debug, Clone, PartialEq, Eq)]
pub struct PlayerCredentials(pub AwsCredentials);

/// The identity pool gave the signed-in player no credentials; the next
/// sign-in asks again, and so does the session after a short pause.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct CredentialsFailed {
    /// Why.
    pub error: AuthError,
}

/// Guest play could not start ([`AuthCommands::play_as_guest`]): the state
/// stays [`AuthState::SignedOut`].
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct GuestPlayFailed {
    /// Why.
    pub error: AuthError,
}

/// The guest signed in or signed up, and their identity is the account's
/// now: what the game kept for the guest under this id is the player's.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct GuestLinked {
    /// The identity id, the guest's and now the player's.
    pub identity_id: String,
}

/// The guest signed in to an account that has an identity of its own
/// already, so the guest's stays apart (and is kept on this computer for
/// the next guest play): the game may merge the guest's data into the
/// player's, or leave it. The menu says so on the account screen.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct GuestNotLinked {
    /// The guest's identity id.
    pub guest_identity_id: String,
    /// The account's identity id, whose credentials
    /// [`PlayerCredentials`] holds.
    pub player_identity_id: String,
}
