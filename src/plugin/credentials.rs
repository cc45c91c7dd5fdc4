//! The signed-in player's AWS credentials from an identity pool.

use bevy::prelude::*;
use cognito_login_client::{AuthError, AwsCredentials, IdentityPoolConfig};

/// An identity pool that trades each sign-in for the player's temporary
/// AWS credentials ([`CognitoLoginPlugin::with_identity_pool`](super::CognitoLoginPlugin::with_identity_pool)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityPoolSettings {
    /// The identity pool (the template's `IdentityPoolId` output).
    pub pool: IdentityPoolConfig,
    /// The user pool whose ID tokens it takes (`region_Id`).
    pub user_pool_id: String,
}

/// The signed-in player's AWS credentials: present once the identity pool
/// issued them after a sign-in, replaced before they expire, gone at
/// sign-out. `Debug` redacts the secret key and the session token.
#[derive(Resource, Debug, Clone, PartialEq, Eq)]
pub struct PlayerCredentials(pub AwsCredentials);

/// The identity pool gave the signed-in player no credentials; the next
/// sign-in asks again, and so does the session after a short pause.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct CredentialsFailed {
    /// Why.
    pub error: AuthError,
}
