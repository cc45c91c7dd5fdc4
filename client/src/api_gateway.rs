//! The transport for the API Gateway routes of the classic
//! "API Gateway + Lambda + Cognito" login backend.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::Url;
use reqwest::header::{CONTENT_TYPE, HeaderValue};

use crate::device::proof::{Step, answer_device, device_refused};
use crate::error::{AuthError, ConfigError};
use crate::http::{checked_url, http_client, read_answer, transport_error};
use crate::outcome::{AuthOutcome, Tokens};
use crate::request::{AuthAction, AuthRequest, ChallengeName, body, with_actions};
use crate::response;
use crate::secret::Password;
use crate::transport::{BoxFuture, Transport, connect, finish};
use crate::verify::{Issued, TokenCheck, TokenVerifier, read_stored};

/// Where the routes of a login backend live and how long to wait for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiGatewayConfig {
    /// The base URL, stage included: `https://abc123.execute-api.eu-west-1.amazonaws.com/prod`.
    /// `http://` is accepted for loopback hosts only.
    pub base_url: String,
    /// The path of each action below the base URL.
    pub routes: Routes,
    /// The longest a request may take, connection and whole body included.
    pub timeout: Duration,
    /// Answers longer than this are refused as malformed.
    pub max_body_bytes: usize,
    /// How the tokens the backend returns are verified; `None` hands them
    /// out unchecked.
    pub tokens: Option<TokenCheck>,
}

impl ApiGatewayConfig {
    /// The backend at `base_url`, whose tokens must pass `tokens`: the
    /// default routes, a 10 second timeout and a 256 KiB answer cap.
    ///
    /// For the deployment template's backend, `tokens` is
    /// `TokenCheck::for_pool(user_pool_id, client_id)` (its `UserPoolId` and
    /// `ClientId` outputs).
    pub fn new(base_url: impl Into<String>, tokens: TokenCheck) -> Self {
        Self {
            tokens: Some(tokens),
            ..Self::unverified(base_url)
        }
    }

    /// The backend at `base_url` with its tokens handed out unchecked: for
    /// tests and tools, not for a game players download.
    pub fn unverified(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            routes: Routes::default(),
            timeout: Duration::from_secs(10),
            max_body_bytes: 256 * 1024,
            tokens: None,
        }
    }
}

macro_rules! routes {
    ($($action:ident, $field:ident, $route:literal, $operation:literal, $words:literal, $proof:literal;)*) => {
        /// The path of each action; [`Default`] gives the contract's routes.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct Routes {
            $(
                #[doc = concat!("The route to ", $words, " (`", $route, "`).")]
                pub $field: String,
            )*
        }

        impl Routes {
            /// The path of `action`.
            pub fn get(&self, action: AuthAction) -> &str {
                match action {
                    $(AuthAction::$action => &self.$field,)*
                }
            }
        }

        impl Default for Routes {
            fn default() -> Self {
                Self {
                    $($field: AuthAction::$action.default_route().to_owned(),)*
                }
            }
        }
    };
}

with_actions!(routes);

/// Sends requests as JSON `POST`s to the routes of an [`ApiGatewayConfig`].
#[derive(Debug, Clone)]
pub struct ApiGatewayTransport {
    http: reqwest::Client,
    urls: [Url; AuthAction::ALL.len()],
    max_body_bytes: usize,
    verifier: Option<Arc<TokenVerifier>>,
}

impl ApiGatewayTransport {
    /// Checks the configuration and builds the HTTP client.
    pub fn new(config: ApiGatewayConfig) -> Result<Self, ConfigError> {
        let base = checked_url("base URL", &config.base_url)?;
        let mut urls = Vec::with_capacity(AuthAction::ALL.len());
        for action in AuthAction::ALL {
            let route = config.routes.get(action);
            if !route.starts_with('/') {
                return Err(ConfigError(format!(
                    "the route for {} must start with '/', got {route:?}",
                    action.describe()
                )));
            }
            let url = format!("{}{route}", base.as_str().trim_end_matches('/'));
            urls.push(
                Url::parse(&url)
                    .map_err(|error| ConfigError(format!("route {route:?}: {error}")))?,
            );
        }
        let http = http_client(&base, config.timeout)?;
        let verifier = match config.tokens {
            Some(check) => Some(Arc::new(TokenVerifier::with_http(check, http.clone())?)),
            None => None,
        };
        Ok(Self {
            http,
            urls: urls.try_into().expect("one URL per action"),
            max_body_bytes: config.max_body_bytes,
            verifier,
        })
    }

    /// The URL an action is sent to.
    pub fn url(&self, action: AuthAction) -> &Url {
        &self.urls[AuthAction::ALL
            .iter()
            .position(|a| *a == action)
            .expect("every action is listed")]
    }

    async fn perform(&self, request: AuthRequest) -> Result<AuthOutcome, AuthError> {
        if let AuthRequest::SignOut {
            refresh_token: None,
        } = request
        {
            // Nothing to revoke: the access token expires on its own.
            return Ok(AuthOutcome::SignedOut);
        }
        let mut body = request.to_body();
        if let AuthRequest::RememberDevice { device, .. } = &request {
            // The device's password stays here; its verifier is sent.
            let verifier = device.verifier().await?;
            body["passwordVerifier"] = verifier.password_verifier.into();
            body["salt"] = verifier.salt.into();
        }
        let step = self.post(&request, request.action(), body).await?;
        let (outcome, server_time) = match &request {
            AuthRequest::SignIn {
                username,
                password,
                device,
            } => {
                // The device's proof goes through `/challenge`; its
                // password stays here.
                let answered = answer_device(
                    step,
                    device.as_ref(),
                    username,
                    |name, session, responses| {
                        let body = body::Challenge {
                            username: username.clone(),
                            session,
                            challenge_name: ChallengeName::Other(name.into()),
                            answer: Password::default(),
                            responses,
                        };
                        let body =
                            serde_json::to_value(body).expect("request bodies always serialize");
                        Box::pin(self.post(&request, AuthAction::RespondToChallenge, body))
                    },
                )
                .await;
                match answered {
                    // A proof the pool refuses: once more without the device
                    // (the backend leaves out a device the pool does not know).
                    Err(error) if device.is_some() && device_refused(&error) => {
                        tracing::info!("the pool does not take this device; signing in without it");
                        let without = AuthRequest::SignIn {
                            username: username.clone(),
                            password: password.clone(),
                            device: None,
                        };
                        return Box::pin(self.perform(without)).await;
                    }
                    answered => answered?,
                }
            }
            _ => step,
        };
        finish(outcome, self.verifier.as_deref(), server_time).await
    }

    /// Posts `body` to the route of `action` and reads the answer as the
    /// answer to `request`.
    async fn post(
        &self,
        request: &AuthRequest,
        action: AuthAction,
        body: serde_json::Value,
    ) -> Result<Step, AuthError> {
        let body = serde_json::to_vec(&body).expect("request bodies always serialize");
        let response = self
            .http
            .post(self.url(action).clone())
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .body(body)
            .send()
            .await
            .map_err(|error| transport_error(error, ""))?;
        let answer = read_answer(response, self.max_body_bytes).await?;
        tracing::debug!(
            ?action,
            status = answer.status,
            bytes = answer.body.len(),
            "login backend answered"
        );
        let outcome = response::parse(request, answer.answer(), SystemTime::now())?;
        Ok((outcome, answer.date))
    }
}

impl Transport for ApiGatewayTransport {
    fn send(&self, request: AuthRequest) -> BoxFuture<'_, Result<AuthOutcome, AuthError>> {
        Box::pin(self.perform(request))
    }

    fn check_stored(&self, tokens: Tokens) -> BoxFuture<'_, Result<Tokens, AuthError>> {
        Box::pin(async move {
            match &self.verifier {
                Some(verifier) => verifier.verify(tokens, Issued::Stored).await,
                None => read_stored(tokens),
            }
        })
    }

    fn connect(&self) -> BoxFuture<'_, ()> {
        Box::pin(connect(&self.http, &self.urls[0], self.verifier.as_deref()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_is_required_except_on_loopback() {
        for ok in [
            "https://abc.execute-api.eu-west-1.amazonaws.com/prod",
            "http://127.0.0.1:8080",
            "http://localhost:3000/dev/",
            "http://[::1]:9000",
        ] {
            assert!(
                ApiGatewayTransport::new(ApiGatewayConfig::unverified(ok)).is_ok(),
                "{ok}"
            );
        }
        for bad in [
            "http://example.com",
            "http://10.0.0.1",
            "ftp://127.0.0.1",
            "not a url",
        ] {
            let error = ApiGatewayTransport::new(ApiGatewayConfig::unverified(bad)).unwrap_err();
            assert!(error.to_string().contains("base URL"), "{bad}: {error}");
        }
    }

    #[test]
    fn routes_join_below_the_stage() {
        let transport =
            ApiGatewayTransport::new(ApiGatewayConfig::unverified("https://h.example/prod/"))
                .unwrap();
        assert_eq!(
            transport.url(AuthAction::SignIn).as_str(),
            "https://h.example/prod/signin"
        );
        let mut config = ApiGatewayConfig::unverified("https://h.example");
        config.routes.sign_in = "signin".into();
        assert!(ApiGatewayTransport::new(config).is_err());
    }
}
