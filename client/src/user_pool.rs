//! The direct transport: the Cognito user-pool JSON API, as Amplify and the
//! AWS SDKs call it, with SRP sign-in and app-client secrets.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};

use crate::device::RememberedDevice;
use crate::device::proof::{answer_device, device_refused, parameter, unknown_device};
use crate::error::{AuthError, ConfigError, RawBody, ServerErrorKind};
use crate::http::ReadAnswer;
use crate::outcome::{AuthOutcome, Tokens};
use crate::request::{AuthRequest, ChallengeName, MfaMethod};
use crate::response;
use crate::secret::{AccessToken, AuthenticatorSecret, ChallengeSession, ClientSecret, Password};
use crate::srp::{self, SrpClient, VerifierChallenge};
use crate::transport::{BoxFuture, Transport, connect, finish, new_srp, prove};
use crate::verify::{Issued, TokenCheck, TokenVerifier};

mod api;
mod operations;
mod sign_in;

pub use api::UserPoolApi;

/// The name an authenticator app added at sign-in gets in the account's
/// settings.
pub const AUTHENTICATOR_NAME: &str = "Authenticator app";

/// How the password reaches Cognito at sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignInFlow {
    /// `USER_SRP_AUTH`: the password never leaves the game; app clients
    /// allow it by default.
    #[default]
    Srp,
    /// `USER_PASSWORD_AUTH`: the password is sent over TLS. Needed by
    /// emulators without SRP; the app client must allow it.
    UserPassword,
}

/// A Cognito user pool and app client, called directly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPoolConfig {
    /// The pool's region: `eu-west-1`.
    pub region: String,
    /// The pool id: `eu-west-1_AbC123`.
    pub user_pool_id: String,
    /// The app client id.
    pub client_id: String,
    /// The app client's secret, when it has one. A game ships its binary to
    /// players, so a secret in it is not secret: prefer a public client.
    pub client_secret: Option<ClientSecret>,
    /// The API endpoint: `https://cognito-idp.{region}.amazonaws.com/`, or
    /// an emulator's (`http://` on loopback only).
    pub endpoint: String,
    /// SRP (the default) or a plain password.
    pub sign_in_flow: SignInFlow,
    /// How tokens are verified; derived from the pool by default.
    pub tokens: TokenCheck,
    /// The longest a call may take, connection and whole body included.
    pub timeout: Duration,
    /// Answers longer than this are refused as malformed.
    pub max_body_bytes: usize,
    /// Whether the app client rotates refresh tokens: refreshes then call
    /// `GetTokensFromRefreshToken`, whose answer carries the next refresh
    /// token (stored before the old one is dropped).
    pub refresh_token_rotation: bool,
}

impl UserPoolConfig {
    /// The pool `user_pool_id` in `region` with the public app client
    /// `client_id`: SRP sign-in, tokens checked against the pool's keys.
    pub fn new(
        region: impl Into<String>,
        user_pool_id: impl Into<String>,
        client_id: impl Into<String>,
    ) -> Self {
        let (region, user_pool_id, client_id) =
            (region.into(), user_pool_id.into(), client_id.into());
        let issuer = format!("https://cognito-idp.{region}.amazonaws.com/{user_pool_id}");
        Self {
            endpoint: UserPoolApi::regional_endpoint(&region),
            tokens: TokenCheck::new(issuer, client_id.clone()),
            region,
            user_pool_id,
            client_id,
            client_secret: None,
            sign_in_flow: SignInFlow::Srp,
            timeout: Duration::from_secs(10),
            max_body_bytes: 256 * 1024,
            refresh_token_rotation: false,
        }
    }

    /// The same pool with an app client that rotates refresh tokens.
    pub fn with_refresh_token_rotation(self) -> Self {
        Self {
            refresh_token_rotation: true,
            ..self
        }
    }

    /// The same pool with an app client that has a secret.
    pub fn with_client_secret(self, secret: impl Into<String>) -> Self {
        Self {
            client_secret: Some(ClientSecret::new(secret)),
            ..self
        }
    }

    /// The same pool served at `endpoint`, for emulators.
    pub fn with_endpoint(self, endpoint: impl Into<String>) -> Self {
        Self {
            endpoint: endpoint.into(),
            ..self
        }
    }

    /// The same pool with another sign-in flow.
    pub fn with_sign_in_flow(self, sign_in_flow: SignInFlow) -> Self {
        Self {
            sign_in_flow,
            ..self
        }
    }

    /// The same pool with tokens checked by `tokens`, for emulators whose
    /// issuer or key location differ from Cognito's.
    pub fn with_token_check(self, tokens: TokenCheck) -> Self {
        Self { tokens, ..self }
    }
}

/// Calls the Cognito user-pool API of a [`UserPoolConfig`].
#[derive(Debug, Clone)]
pub struct UserPoolTransport {
    api: UserPoolApi,
    config: Arc<UserPoolConfig>,
    verifier: Arc<TokenVerifier>,
    /// An SRP client made ahead of the next sign-in (its `A` computed off
    /// the click), taken by that sign-in and never used twice.
    next_srp: Arc<std::sync::Mutex<Option<SrpClient>>>,
}

impl UserPoolTransport {
    /// Checks the configuration and builds the HTTP client.
    pub fn new(config: UserPoolConfig) -> Result<Self, ConfigError> {
        for (what, value) in [
            ("region", &config.region),
            ("user pool id", &config.user_pool_id),
            ("app client id", &config.client_id),
        ] {
            if value.trim().is_empty() {
                return Err(ConfigError(format!("the {what} is empty")));
            }
        }
        if !config.user_pool_id.contains('_') {
            return Err(ConfigError(format!(
                "the user pool id {:?} is not of the form region_Id",
                config.user_pool_id
            )));
        }
        let api =
            UserPoolApi::with_max_body(&config.endpoint, config.timeout, config.max_body_bytes)?;
        let verifier = TokenVerifier::with_http(config.tokens.clone(), api.http.clone())?;
        Ok(Self {
            api,
            config: Arc::new(config),
            verifier: Arc::new(verifier),
            next_srp: Arc::default(),
        })
    }

    /// Calls `operation` and reads the answer as the answer to `request`,
    /// with the server's clock when the answer tells it.
    async fn call(
        &self,
        request: &AuthRequest,
        operation: &str,
        body: &Value,
    ) -> Result<(AuthOutcome, Option<SystemTime>), AuthError> {
        let answer = self.post(operation, body).await?;
        let outcome = response::parse(request, answer.answer().aws_json(), SystemTime::now())?;
        Ok((outcome, answer.date))
    }

    /// Calls `operation` and returns its answer unread.
    async fn post(&self, operation: &str, body: &Value) -> Result<ReadAnswer, AuthError> {
        self.api.post(operation, body).await
    }

    async fn perform(&self, request: AuthRequest) -> Result<AuthOutcome, AuthError> {
        if let AuthRequest::SignOut {
            refresh_token: None,
        } = request
        {
            // Nothing to revoke: the access token expires on its own.
            return Ok(AuthOutcome::SignedOut);
        }
        let (outcome, server_time) = match &request {
            AuthRequest::SignIn {
                username,
                password,
                device,
            } => {
                self.sign_in(&request, username, password, device.as_ref())
                    .await
            }
            AuthRequest::RememberDevice {
                access_token,
                device,
                ..
            } => self.remember_device(&request, access_token, device).await,
            AuthRequest::RespondToChallenge {
                username,
                challenge: ChallengeName::MfaSetup,
                session,
                answer,
            } => {
                self.answer_mfa_setup(&request, username, session, answer)
                    .await
            }
            _ => {
                let (operation, body) = self.operation(&request)?;
                self.call(&request, operation, &body).await
            }
        }?;
        let outcome = self.start_authenticator(outcome).await?;
        finish(outcome, Some(&*self.verifier), server_time).await
    }
}

impl Transport for UserPoolTransport {
    fn send(&self, request: AuthRequest) -> BoxFuture<'_, Result<AuthOutcome, AuthError>> {
        Box::pin(self.perform(request))
    }

    fn check_stored(&self, tokens: Tokens) -> BoxFuture<'_, Result<Tokens, AuthError>> {
        Box::pin(self.verifier.verify(tokens, Issued::Stored))
    }

    fn warm_up(&self) {
        self.make_next_srp();
    }

    fn connect(&self) -> BoxFuture<'_, ()> {
        Box::pin(connect(
            &self.api.http,
            &self.api.endpoint,
            Some(&self.verifier),
        ))
    }
}

fn unsupported(challenge: &ChallengeName) -> AuthError {
    AuthError::Unsupported(format!(
        "answering the sign-in challenge {}",
        challenge.as_str()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transport(secret: Option<&str>) -> UserPoolTransport {
        let mut config = UserPoolConfig::new("eu-west-1", "eu-west-1_Pool", "client");
        config.client_secret = secret.map(ClientSecret::new);
        UserPoolTransport::new(config).unwrap()
    }

    #[test]
    fn a_rotating_client_refreshes_with_get_tokens_from_refresh_token() {
        let mut config = UserPoolConfig::new("eu-west-1", "eu-west-1_Pool", "client")
            .with_refresh_token_rotation();
        let refresh = AuthRequest::Refresh {
            refresh_token: "r".into(),
            username: None,
        };
        let (operation, body) = UserPoolTransport::new(config.clone())
            .unwrap()
            .operation(&refresh)
            .unwrap();
        assert_eq!(operation, "GetTokensFromRefreshToken");
        assert_eq!(
            body,
            serde_json::json!({"ClientId": "client", "RefreshToken": "r"})
        );
        config.client_secret = Some(ClientSecret::new("shh"));
        let (_, body) = UserPoolTransport::new(config)
            .unwrap()
            .operation(&refresh)
            .unwrap();
        assert_eq!(
            body["ClientSecret"], "shh",
            "this operation takes the secret itself"
        );
    }

    #[test]
    fn bodies_carry_secret_hashes_where_cognito_wants_them() {
        let with_secret = transport(Some("shh"));
        let (operation, body) = with_secret
            .operation(&AuthRequest::ConfirmSignUp {
                username: "ada".into(),
                code: "123".into(),
            })
            .unwrap();
        assert_eq!(operation, "ConfirmSignUp");
        assert_eq!(body["SecretHash"], srp::secret_hash("shh", "ada", "client"));

        // A refresh hashes the internal username it is given, not a typed one.
        let refresh = |username: Option<&str>| {
            with_secret.operation(&AuthRequest::Refresh {
                refresh_token: "r".into(),
                username: username.map(str::to_owned),
            })
        };
        let (_, body) = refresh(Some("4f1c-sub")).unwrap();
        assert_eq!(
            body["AuthParameters"]["SECRET_HASH"],
            srp::secret_hash("shh", "4f1c-sub", "client")
        );
        assert!(matches!(refresh(None), Err(AuthError::Config(_))));

        let (_, body) = transport(None)
            .operation(&AuthRequest::ForgotPassword {
                username: "ada".into(),
            })
            .unwrap();
        assert!(body.get("SecretHash").is_none());
    }

    #[test]
    fn a_choice_of_code_answers_select_mfa_type() {
        let (operation, body) = transport(None)
            .operation(&AuthRequest::RespondToChallenge {
                username: "ada".into(),
                challenge: ChallengeName::SelectMfaType,
                session: "s".into(),
                answer: "EMAIL_OTP".into(),
            })
            .unwrap();
        assert_eq!(operation, "RespondToAuthChallenge");
        assert_eq!(body["ChallengeName"], "SELECT_MFA_TYPE");
        assert_eq!(
            body["ChallengeResponses"],
            serde_json::json!({"USERNAME": "ada", "ANSWER": "EMAIL_OTP"})
        );
    }

    #[test]
    fn unknown_challenges_are_unsupported() {
        let error = transport(None)
            .operation(&AuthRequest::RespondToChallenge {
                username: "ada".into(),
                challenge: ChallengeName::Other("CUSTOM_CHALLENGE".into()),
                session: "s".into(),
                answer: "x".into(),
            })
            .unwrap_err();
        assert!(matches!(error, AuthError::Unsupported(_)), "{error:?}");
    }

    #[test]
    fn bad_configurations_are_refused() {
        let config = UserPoolConfig::new("eu-west-1", "nopool", "client");
        assert!(UserPoolTransport::new(config).is_err());
        let config = UserPoolConfig::new("eu-west-1", "eu-west-1_P", "c")
            .with_endpoint("http://cognito.example.com");
        assert!(UserPoolTransport::new(config).is_err());
    }
}
