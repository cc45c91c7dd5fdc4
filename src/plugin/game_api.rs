//! `GameApi`: calls to the game's own HTTP API as the signed-in player.

use std::time::{Instant, SystemTime};

use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use cognito_login_client::{
    ApiCall, ApiCallId, ApiError, ApiMethod, ApiQueue, AuthError, GameApiClient, GameApiConfig,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::AuthSession;
use super::client::AuthClient;

/// A call to the game's API ended.
#[derive(Message, Debug, Clone, PartialEq)]
pub struct ApiReplied {
    /// The id [`GameApi`] returned for the call.
    pub id: ApiCallId,
    /// The answer's JSON (`null` for an empty body), or why there is none.
    pub result: Result<Value, ApiError>,
}

impl ApiReplied {
    /// The answer read as `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        let value = self.result.clone()?;
        serde_json::from_value(value).map_err(|error| {
            ApiError::Failed(AuthError::Malformed {
                status: 200,
                reason: format!("the answer has an unexpected shape: {error}"),
                body: Default::default(),
            })
        })
    }
}

/// The game API's client and its calls.
#[derive(Resource, Debug)]
pub(crate) struct GameApiState {
    client: Result<GameApiClient, AuthError>,
    queue: ApiQueue,
}

/// Sets up the client for `config` on the worker's runtime.
pub(crate) fn build(app: &mut App, config: &GameApiConfig) {
    let client = match app.world().get_resource::<AuthClient>() {
        Some(auth) => GameApiClient::new(config.clone(), auth.session.worker())
            .map_err(|error| AuthError::Config(error.to_string())),
        None => Err(AuthError::Config("the login client is not running".into())),
    };
    if let Err(error) = &client {
        error!("the game API cannot be called: {error}");
    }
    app.add_message::<ApiReplied>()
        .insert_resource(GameApiState {
            client,
            queue: ApiQueue::default(),
        });
}

/// Each frame, after the session took its replies: the calls' answers in,
/// the calls whose refresh is over out, [`ApiReplied`] written.
pub(crate) fn pump(
    mut client: ResMut<AuthClient>,
    mut state: ResMut<GameApiState>,
    mut replied: MessageWriter<ApiReplied>,
) {
    let GameApiState { client: api, queue } = &mut *state;
    let Ok(api) = api else { return };
    let now = (Instant::now(), SystemTime::now());
    client.session.update_api(queue, api, now.0, now.1);
    while let Some(reply) = queue.next_reply() {
        replied.write(ApiReplied {
            id: reply.id,
            result: reply.result,
        });
    }
}

/// Calls the game's own API as the signed-in player
/// ([`CognitoLoginPlugin::game_api`](super::CognitoLoginPlugin::game_api)).
///
/// The session's token goes in `Authorization: Bearer`; a token about to
/// expire is refreshed first and a `401` refreshes once and tries once
/// more. The answer arrives as an [`ApiReplied`] with the returned id.
/// Signed out, a call fails at once with [`ApiError::SignedOut`].
///
/// ```no_run
/// # use bevy::prelude::*;
/// # use bevy_cognito_login::{ApiReplied, GameApi};
/// #[derive(serde::Deserialize)]
/// struct Profile { version: u64 }
///
/// fn load(mut api: GameApi) {
///     let _ = api.get("/profile");
/// }
///
/// fn loaded(mut replies: MessageReader<ApiReplied>) {
///     for reply in replies.read() {
///         match reply.json::<Profile>() {
///             Ok(profile) => info!("profile version {}", profile.version),
///             Err(error) => warn!("{}", error.player_message()),
///         }
///     }
/// }
/// ```
///
/// It takes no part of the session mutably, so a system may take it beside
/// [`AuthCommands`](super::AuthCommands); calls go out at the start of the
/// next frame.
#[derive(SystemParam)]
pub struct GameApi<'w> {
    session: Option<Res<'w, AuthSession>>,
    state: Option<ResMut<'w, GameApiState>>,
}

impl GameApi<'_> {
    /// `GET path`.
    pub fn get(&mut self, path: &str) -> Result<ApiCallId, ApiError> {
        self.call(ApiMethod::Get, path, None)
    }

    /// `DELETE path`.
    pub fn delete(&mut self, path: &str) -> Result<ApiCallId, ApiError> {
        self.call(ApiMethod::Delete, path, None)
    }

    /// `POST path` with `body` as JSON.
    pub fn post(&mut self, path: &str, body: &impl Serialize) -> Result<ApiCallId, ApiError> {
        self.call(ApiMethod::Post, path, Some(to_json(body)?))
    }

    /// `PUT path` with `body` as JSON.
    pub fn put(&mut self, path: &str, body: &impl Serialize) -> Result<ApiCallId, ApiError> {
        self.call(ApiMethod::Put, path, Some(to_json(body)?))
    }

    /// Any call.
    pub fn call(
        &mut self,
        method: ApiMethod,
        path: &str,
        body: Option<Value>,
    ) -> Result<ApiCallId, ApiError> {
        let Some(state) = &mut self.state else {
            return Err(ApiError::Failed(AuthError::Config(
                "the game API is not set up: give CognitoLoginPlugin a game_api".into(),
            )));
        };
        if let Err(error) = &state.client {
            return Err(ApiError::Failed(error.clone()));
        }
        if self.session.is_none() {
            return Err(ApiError::SignedOut);
        }
        Ok(state.queue.request(ApiCall {
            method,
            path: path.to_owned(),
            body,
        }))
    }
}

fn to_json(body: &impl Serialize) -> Result<Value, ApiError> {
    serde_json::to_value(body).map_err(|error| {
        ApiError::Failed(AuthError::Config(format!(
            "the body cannot be sent as JSON: {error}"
        )))
    })
}
