//! `AwsCalls`: calls to AWS services as whoever plays, with their
//! identity-pool credentials (feature `aws-calls`).

use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use cognito_login_client::{AuthError, AwsCallId, AwsCallQueue, AwsJsonService, AwsReply};
use serde_json::Value;

use super::PlayerCredentials;
use super::client::AuthClient;

/// An AWS call ended ([`AwsCalls`]).
#[derive(Message, Debug, Clone, PartialEq)]
pub struct AwsReplied(pub AwsReply);

/// The calls under way.
#[derive(Resource, Debug, Default)]
pub(crate) struct AwsCallState(AwsCallQueue);

/// Calls an AWS service's JSON API as the signed-in player or the guest,
/// with [`PlayerCredentials`] (an identity pool:
/// [`CognitoLoginPlugin::with_identity_pool`](super::CognitoLoginPlugin::with_identity_pool)),
/// signed with SigV4, never on the frame. The answer arrives as an
/// [`AwsReplied`] with the returned id and the identity it was made as.
///
/// ```no_run
/// # use bevy::prelude::*;
/// # use bevy_cognito_login::{AwsCalls, AwsReplied, PlayerCredentials};
/// # use bevy_cognito_login::client::AwsJsonService;
/// /// Made once (it holds an HTTP client): `AwsJsonService::dynamodb(region)`.
/// #[derive(Resource)]
/// struct DynamoDb(AwsJsonService);
///
/// fn save_best(mut aws: AwsCalls, dynamodb: Res<DynamoDb>, credentials: Res<PlayerCredentials>) {
///     // The template's PlayerDataTable: the identity id, then the item.
///     let item = serde_json::json!({"TableName": "PlayerData", "Item": {
///         "identity": {"S": credentials.0.identity_id}, "item": {"S": "best"},
///         "score": {"N": "42"}}});
///     let _ = aws.call(&dynamodb.0, "PutItem", item);
/// }
///
/// fn saved(mut replies: MessageReader<AwsReplied>) {
///     for AwsReplied(reply) in replies.read() {
///         if let Err(error) = &reply.result {
///             warn!("not saved: {error}");
///         }
///     }
/// }
/// ```
#[derive(SystemParam)]
pub struct AwsCalls<'w> {
    credentials: Option<Res<'w, PlayerCredentials>>,
    client: Option<Res<'w, AuthClient>>,
    calls: ResMut<'w, AwsCallState>,
}

impl AwsCalls<'_> {
    /// Calls `operation` of `service` with `body` as whoever plays; fails at
    /// once when nobody has credentials yet.
    pub fn call(
        &mut self,
        service: &AwsJsonService,
        operation: &str,
        body: Value,
    ) -> Result<AwsCallId, AuthError> {
        let Some(client) = &self.client else {
            return Err(AuthError::Config("the login client is not running".into()));
        };
        let Some(credentials) = &self.credentials else {
            return Err(AuthError::Config(
                "nobody plays with AWS credentials yet (PlayerCredentials)".into(),
            ));
        };
        let worker = client.session.worker();
        Ok(self
            .calls
            .0
            .start(worker, service, &credentials.0, operation, body))
    }
}

/// Each frame: the calls that ended, as [`AwsReplied`].
pub(crate) fn pump(calls: Res<AwsCallState>, mut replied: MessageWriter<AwsReplied>) {
    while let Some(reply) = calls.0.next_reply() {
        replied.write(AwsReplied(reply));
    }
}
