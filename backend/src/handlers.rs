//! The API Gateway contract served by handler functions over Cognito.
//!
//! Each handler reads the route's JSON body, makes one Cognito call through
//! the AWS SDK and answers with Cognito's own response shape, or with a
//! 4xx/5xx `{"__type", "message"}` that keeps Cognito's error type.

use aws_sdk_cognitoidentityprovider as cognito;
use cognito::types::{
    AttributeType, AuthFlowType, AuthenticationResultType, ChallengeNameType,
    DeviceRememberedStatusType, DeviceSecretVerifierConfigType, VerifySoftwareTokenResponseType,
};
use cognito_login_client::{
    AUTHENTICATOR_NAME, AuthAction, AuthRequest, ChallengeName, ConfigError, UserPoolApi, body,
};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;

pub use crate::answer::ApiResponse;
use crate::answer::not_found;
use crate::limit::{AddressLimiter, LimitKind};
use crate::profile::{self, ProfileStore};

mod account;
mod reply;
mod request;
mod server_client;
mod sign_in;

pub use server_client::{Caller, ServerClient};

use reply::{auth_response, cognito_error, delivery_json, delivery_response};
#[cfg(fuzzing)]
pub(crate) use request::fuzz;
use request::{parse, parse_request, refuse};

/// The largest request body the handlers read.
pub const MAX_REQUEST_BYTES: usize = 16 * 1024;

/// The handlers, bound to one user pool app client.
#[derive(Debug, Clone)]
pub struct Handlers {
    cognito: cognito::Client,
    /// Where the account's actions are forwarded.
    user_pool: Result<UserPoolApi, ConfigError>,
    client_id: String,
    refresh_token_rotation: bool,
    profiles: Option<Arc<dyn ProfileStore>>,
    limiter: Option<AddressLimiter>,
    server: Option<ServerClient>,
}

impl Handlers {
    /// Handlers that call Cognito through `cognito` for the app client
    /// `client_id`. The account's actions, which a player's access token
    /// authorizes by itself, are forwarded to Cognito in the client's
    /// region ([`UserPoolApi`]); an SDK client built with an
    /// `endpoint_url` needs the same URL in
    /// [`with_cognito_endpoint`](Self::with_cognito_endpoint).
    pub fn new(cognito: cognito::Client, client_id: impl Into<String>) -> Self {
        let region = cognito.config().region().map(ToString::to_string);
        let user_pool = match region {
            Some(region) => user_pool_api(&UserPoolApi::regional_endpoint(&region)),
            None => Err(ConfigError("the Cognito client has no region".into())),
        };
        Self {
            cognito,
            user_pool,
            client_id: client_id.into(),
            refresh_token_rotation: false,
            profiles: None,
            limiter: None,
            server: None,
        }
    }

    /// The same handlers signing players up and in through `server`, an
    /// app client with a secret: sign-in with `AdminInitiateAuth`
    /// (`ADMIN_USER_PASSWORD_AUTH`), a `SECRET_HASH` on every call that
    /// takes one, and the player's address and software handed to
    /// Cognito's threat protection. Refreshes and sign-outs of sessions the
    /// public client made (browser sign-ins) still go through it.
    pub fn with_server_client(self, server: ServerClient) -> Self {
        Self {
            server: Some(server),
            ..self
        }
    }

    /// The same handlers forwarding the account's actions to the user-pool
    /// API at `endpoint` (an emulator's), where the SDK client calls too.
    pub fn with_cognito_endpoint(self, endpoint: &str) -> Self {
        Self {
            user_pool: user_pool_api(endpoint),
            ..self
        }
    }

    /// The same handlers serving `GET` and `PUT /profile` from `store`.
    pub fn with_profiles(self, store: Arc<dyn ProfileStore>) -> Self {
        Self {
            profiles: Some(store),
            ..self
        }
    }

    /// The same handlers limiting each client address's sign-ins and
    /// sign-ups with `limiter` (see [`crate::limit`]), in
    /// [`handle_from`](Self::handle_from).
    pub fn with_address_limits(self, limiter: AddressLimiter) -> Self {
        Self {
            limiter: Some(limiter),
            ..self
        }
    }

    /// `GET /profile` for the player `sub`, whose token was checked (by
    /// API Gateway's JWT authorizer, or the local server).
    pub async fn get_profile(&self, sub: &str) -> ApiResponse {
        match &self.profiles {
            Some(store) => profile::handle_get(store.as_ref(), sub).await,
            None => not_found(),
        }
    }

    /// `PUT /profile` for the player `sub`, whose token was checked.
    pub async fn put_profile(&self, sub: &str, body: &[u8]) -> ApiResponse {
        match &self.profiles {
            Some(store) => profile::handle_put(store.as_ref(), sub, body).await,
            None => not_found(),
        }
    }

    /// The same handlers refreshing with `GetTokensFromRefreshToken` when
    /// `rotation` is on, as an app client that rotates refresh tokens
    /// needs: the answer then carries the next refresh token.
    pub fn with_refresh_token_rotation(self, rotation: bool) -> Self {
        Self {
            refresh_token_rotation: rotation,
            ..self
        }
    }

    /// The app client id the handlers sign players in to.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// Serves one route of the contract, from no known address: no
    /// address limit applies.
    pub async fn handle(&self, action: AuthAction, body: &[u8]) -> ApiResponse {
        self.handle_from(action, body, &Caller::default()).await
    }

    /// Serves one route of the contract for `caller` (at the TCP peer's
    /// address, or API Gateway's `sourceIp`), within its address limits.
    pub async fn handle_from(
        &self,
        action: AuthAction,
        body: &[u8],
        caller: &Caller,
    ) -> ApiResponse {
        if body.len() > MAX_REQUEST_BYTES {
            return ApiResponse::error(
                413,
                "InvalidParameterException",
                "the request body is too large",
            );
        }
        let start = std::time::Instant::now();
        let response = match (&self.limiter, LimitKind::of(action), caller.address) {
            (Some(limiter), Some(kind), Some(address)) if !limiter.admit(kind, address).await => {
                ApiResponse::error(
                    429,
                    "TooManyRequestsException",
                    "Too many requests from this address; try again in a minute",
                )
            }
            _ => self
                .dispatch(action, body, caller)
                .await
                .unwrap_or_else(|error| error),
        };
        // The outcome is an error's type, never its message or the body.
        tracing::info!(
            route = action.default_route(),
            status = response.status,
            outcome = response.body["__type"].as_str().unwrap_or("ok"),
            latency_ms = start.elapsed().as_millis() as u64,
            "handled"
        );
        response
    }

    async fn dispatch(&self, action: AuthAction, body: &[u8], caller: &Caller) -> Handled {
        // The three routes whose bodies carry what the game's transport
        // adds to the request: a device's key, its proof, its verifier.
        match action {
            AuthAction::SignIn => return self.sign_in(parse(body)?, caller).await,
            AuthAction::RespondToChallenge => return self.challenge(parse(body)?, caller).await,
            AuthAction::RememberDevice => return self.remember_device(parse(body)?).await,
            _ => {}
        }
        match parse_request(action, body)? {
            AuthRequest::SignUp {
                username,
                password,
                email,
                locale,
            } => {
                self.sign_up(username, password, email, locale, caller)
                    .await
            }
            AuthRequest::ConfirmSignUp { username, code } => {
                self.confirm(username, code, caller).await
            }
            AuthRequest::ResendCode { username } => self.resend(username, caller).await,
            AuthRequest::Refresh { refresh_token, .. } => self.refresh(refresh_token).await,
            AuthRequest::ForgotPassword { username } => self.forgot(username, caller).await,
            AuthRequest::ResetPassword {
                username,
                code,
                password,
            } => self.reset(username, code, password, caller).await,
            AuthRequest::SignOut {
                refresh_token: Some(refresh_token),
            } => self.sign_out(refresh_token).await,
            AuthRequest::SignOut {
                refresh_token: None,
            } => Err(refuse("missing field `refreshToken`".into())),
            // The account's actions, forwarded to Cognito as they are.
            request => self.account(request).await,
        }
    }
}

/// The user-pool API at `endpoint`, with the time the SDK's calls get.
fn user_pool_api(endpoint: &str) -> Result<UserPoolApi, ConfigError> {
    UserPoolApi::new(endpoint, COGNITO_TIMEOUT)
}

/// How long a forwarded call may take: a Lambda's answer must come back
/// within API Gateway's 30 seconds.
const COGNITO_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// A handler's answer; `Err` holds an error answer so `?` can return it.
type Handled = Result<ApiResponse, ApiResponse>;
