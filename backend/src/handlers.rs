//! The API Gateway contract served by handler functions over Cognito.
//!
//! Each handler reads the route's JSON body, makes one Cognito call through
//! the AWS SDK and answers with Cognito's own response shape, or with a
//! 4xx/5xx `{"__type", "message"}` that keeps Cognito's error type.

use aws_sdk_cognitoidentityprovider as cognito;
use cognito::config::http::HttpResponse;
use cognito::error::{ProvideErrorMetadata, SdkError};
use cognito::types::{
    AttributeType, AuthFlowType, AuthenticationResultType, ChallengeNameType,
    CodeDeliveryDetailsType, DeviceRememberedStatusType, DeviceSecretVerifierConfigType,
    EmailMfaSettingsType, SoftwareTokenMfaSettingsType, VerifySoftwareTokenResponseType,
};
use cognito_login_client::{AUTHENTICATOR_NAME, AuthAction, ChallengeName, MfaMethod, body};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

pub use crate::answer::ApiResponse;
use crate::answer::{error_chain, not_found};
use crate::limit::{AddressLimiter, LimitKind};
use crate::profile::{self, ProfileStore};

/// The largest request body the handlers read.
pub const MAX_REQUEST_BYTES: usize = 16 * 1024;

/// The handlers, bound to one user pool app client.
#[derive(Debug, Clone)]
pub struct Handlers {
    cognito: cognito::Client,
    client_id: String,
    refresh_token_rotation: bool,
    profiles: Option<Arc<dyn ProfileStore>>,
    limiter: Option<AddressLimiter>,
}

impl Handlers {
    /// Handlers that call Cognito through `cognito` for the app client `client_id`.
    pub fn new(cognito: cognito::Client, client_id: impl Into<String>) -> Self {
        Self {
            cognito,
            client_id: client_id.into(),
            refresh_token_rotation: false,
            profiles: None,
            limiter: None,
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
        self.handle_from(action, body, None).await
    }

    /// Serves one route of the contract for a client at `address` (the
    /// TCP peer, or API Gateway's `sourceIp`), within its address limits.
    pub async fn handle_from(
        &self,
        action: AuthAction,
        body: &[u8],
        address: Option<IpAddr>,
    ) -> ApiResponse {
        if body.len() > MAX_REQUEST_BYTES {
            return ApiResponse::error(
                413,
                "InvalidParameterException",
                "the request body is too large",
            );
        }
        let start = std::time::Instant::now();
        let response = match (&self.limiter, LimitKind::of(action), address) {
            (Some(limiter), Some(kind), Some(address)) if !limiter.admit(kind, address).await => {
                ApiResponse::error(
                    429,
                    "TooManyRequestsException",
                    "Too many requests from this address; try again in a minute",
                )
            }
            _ => self
                .dispatch(action, body)
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

    async fn dispatch(&self, action: AuthAction, body: &[u8]) -> Handled {
        match action {
            AuthAction::SignUp => self.sign_up(parse(body)?).await,
            AuthAction::ConfirmSignUp => self.confirm(parse(body)?).await,
            AuthAction::ResendCode => self.resend(parse(body)?).await,
            AuthAction::SignIn => self.sign_in(parse(body)?).await,
            AuthAction::RespondToChallenge => self.challenge(parse(body)?).await,
            AuthAction::Refresh => self.refresh(parse(body)?).await,
            AuthAction::ForgotPassword => self.forgot(parse(body)?).await,
            AuthAction::ResetPassword => self.reset(parse(body)?).await,
            AuthAction::SignOut => self.sign_out(parse(body)?).await,
            AuthAction::SignOutEverywhere => self.sign_out_everywhere(parse(body)?).await,
            AuthAction::ChangePassword => self.change_password(parse(body)?).await,
            AuthAction::GetAccount => self.get_account(parse(body)?).await,
            AuthAction::DeleteAccount => self.delete_account(parse(body)?).await,
            AuthAction::ChangeEmail => self.change_email(parse(body)?).await,
            AuthAction::ResendEmailCode => self.resend_email_code(parse(body)?).await,
            AuthAction::VerifyEmail => self.verify_email(parse(body)?).await,
            AuthAction::AddAuthenticator => self.add_authenticator(parse(body)?).await,
            AuthAction::VerifyAuthenticator => self.verify_authenticator(parse(body)?).await,
            AuthAction::SetMfa => self.set_mfa(parse(body)?).await,
            AuthAction::RememberDevice => self.remember_device(parse(body)?).await,
            AuthAction::ListDevices => self.list_devices(parse(body)?).await,
            AuthAction::ForgetDevice => self.forget_device(parse(body)?).await,
            // An action of a newer client crate: the routes do not serve it.
            _ => Err(not_found()),
        }
    }

    async fn sign_up(&self, request: body::SignUp) -> Handled {
        let email = AttributeType::builder()
            .name("email")
            .value(request.email)
            .build()
            .map_err(|error| {
                ApiResponse::error(400, "InvalidParameterException", error.to_string())
            })?;
        let output = self
            .cognito
            .sign_up()
            .client_id(&self.client_id)
            .username(request.username)
            .password(request.password.expose())
            .user_attributes(email)
            .send()
            .await
            .map_err(cognito_error)?;
        let mut body =
            json!({ "UserConfirmed": output.user_confirmed(), "UserSub": output.user_sub() });
        if let Some(details) = output.code_delivery_details() {
            body["CodeDeliveryDetails"] = delivery_json(details);
        }
        Ok(ApiResponse::answer(body))
    }

    async fn confirm(&self, request: body::Confirm) -> Handled {
        self.cognito
            .confirm_sign_up()
            .client_id(&self.client_id)
            .username(request.username)
            .confirmation_code(request.code.expose())
            .send()
            .await
            .map_err(cognito_error)?;
        Ok(ApiResponse::answer(json!({})))
    }

    async fn resend(&self, request: body::Username) -> Handled {
        let output = self
            .cognito
            .resend_confirmation_code()
            .client_id(&self.client_id)
            .username(request.username)
            .send()
            .await
            .map_err(cognito_error)?;
        Ok(delivery_response(output.code_delivery_details()))
    }

    /// `USER_PASSWORD_AUTH`, with the remembered device's key when the game
    /// sent one: the pool may then answer `DEVICE_SRP_AUTH`, which the game
    /// answers through `/challenge`. A key the pool no longer knows is left
    /// out and the sign-in tried once more without it.
    async fn sign_in(&self, request: body::SignIn) -> Handled {
        let mut parameters = vec![
            ("USERNAME", request.username.as_str()),
            ("PASSWORD", request.password.expose()),
        ];
        if let Some(device) = &request.device_key {
            parameters.push(("DEVICE_KEY", device));
            match self
                .initiate_auth(AuthFlowType::UserPasswordAuth, parameters.clone())
                .await
            {
                Err(error) if error.body["__type"] == "ResourceNotFoundException" => {
                    parameters.pop();
                }
                answer => return answer,
            }
        }
        self.initiate_auth(AuthFlowType::UserPasswordAuth, parameters)
            .await
    }

    async fn initiate_auth(
        &self,
        flow: AuthFlowType,
        parameters: impl IntoIterator<Item = (&str, &str)>,
    ) -> Handled {
        let mut call = self
            .cognito
            .initiate_auth()
            .client_id(&self.client_id)
            .auth_flow(flow);
        for (key, value) in parameters {
            call = call.auth_parameters(key, value);
        }
        let output = call.send().await.map_err(cognito_error)?;
        self.auth_step(
            output.authentication_result(),
            output.challenge_name(),
            output.session(),
            output.challenge_parameters(),
        )
        .await
    }

    /// The answer to a step of a sign-in. A `MFA_SETUP` challenge that lets
    /// the account add an authenticator app gets the app's secret first
    /// (`AssociateSoftwareToken` with the challenge's session), in the
    /// body's `SecretCode`, so the game can show it at once.
    async fn auth_step(
        &self,
        result: Option<&AuthenticationResultType>,
        challenge: Option<&ChallengeNameType>,
        session: Option<&str>,
        parameters: Option<&HashMap<String, String>>,
    ) -> Handled {
        let can_set_up = challenge == Some(&ChallengeNameType::MfaSetup)
            && parameters
                .and_then(|parameters| parameters.get("MFAS_CAN_SETUP"))
                .is_some_and(|methods| methods.contains("SOFTWARE_TOKEN_MFA"));
        if !can_set_up {
            return Ok(auth_response(result, challenge, session, parameters, None));
        }
        let output = self
            .cognito
            .associate_software_token()
            .set_session(session.map(str::to_owned))
            .send()
            .await
            .map_err(cognito_error)?;
        Ok(auth_response(
            None,
            challenge,
            output.session().or(session),
            parameters,
            output.secret_code(),
        ))
    }

    async fn challenge(&self, request: body::Challenge) -> Handled {
        // `MFA_SETUP` is answered with no key: its code verifies the new
        // authenticator first, and the session that returns answers it.
        let (session, answer) = match request.challenge_name.answer_key() {
            _ if request.challenge_name == ChallengeName::MfaSetup => {
                (self.verify_new_authenticator(&request).await?, None)
            }
            Some(key) => (request.session.expose().to_owned(), Some(key)),
            // A remembered device's proof: the game sends the responses.
            None if is_device_step(&request.challenge_name) => {
                (request.session.expose().to_owned(), None)
            }
            None => {
                return Err(ApiResponse::error(
                    400,
                    "InvalidParameterException",
                    format!(
                        "the challenge {} is not supported",
                        request.challenge_name.as_str()
                    ),
                ));
            }
        };
        let mut call = self
            .cognito
            .respond_to_auth_challenge()
            .client_id(&self.client_id)
            .challenge_name(ChallengeNameType::from(request.challenge_name.as_str()))
            .session(session)
            .challenge_responses("USERNAME", request.username);
        if let Some(key) = answer {
            call = call.challenge_responses(key, request.answer.expose());
        }
        if is_device_step(&request.challenge_name) {
            for (key, value) in &request.responses {
                if !DEVICE_RESPONSES.contains(&key.as_str()) {
                    return Err(ApiResponse::error(
                        400,
                        "InvalidParameterException",
                        format!(
                            "{key} is not a response of {}",
                            request.challenge_name.as_str()
                        ),
                    ));
                }
                call = call.challenge_responses(key, value);
            }
        }
        let output = call.send().await.map_err(cognito_error)?;
        self.auth_step(
            output.authentication_result(),
            output.challenge_name(),
            output.session(),
            output.challenge_parameters(),
        )
        .await
    }

    /// Verifies the authenticator a `MFA_SETUP` sign-in added with its
    /// first code (`VerifySoftwareToken`); returns the session that answers
    /// the challenge.
    async fn verify_new_authenticator(
        &self,
        request: &body::Challenge,
    ) -> Result<String, ApiResponse> {
        let verified = self
            .cognito
            .verify_software_token()
            .session(request.session.expose())
            .user_code(request.answer.expose())
            .friendly_device_name(AUTHENTICATOR_NAME)
            .send()
            .await
            .map_err(cognito_error)?;
        if verified.status() == Some(&VerifySoftwareTokenResponseType::Error) {
            return Err(ApiResponse::error(
                400,
                "CodeMismatchException",
                "the authenticator code was not accepted",
            ));
        }
        Ok(verified
            .session()
            .unwrap_or(request.session.expose())
            .to_owned())
    }

    async fn refresh(&self, request: body::Refresh) -> Handled {
        if self.refresh_token_rotation {
            let output = self
                .cognito
                .get_tokens_from_refresh_token()
                .client_id(&self.client_id)
                .refresh_token(request.refresh_token.expose())
                .send()
                .await
                .map_err(cognito_error)?;
            return Ok(auth_response(
                output.authentication_result(),
                None,
                None,
                None,
                None,
            ));
        }
        let parameters = [("REFRESH_TOKEN", request.refresh_token.expose())];
        self.initiate_auth(AuthFlowType::RefreshTokenAuth, parameters)
            .await
    }

    async fn forgot(&self, request: body::Username) -> Handled {
        let output = self
            .cognito
            .forgot_password()
            .client_id(&self.client_id)
            .username(request.username)
            .send()
            .await
            .map_err(cognito_error)?;
        Ok(delivery_response(output.code_delivery_details()))
    }

    async fn reset(&self, request: body::Reset) -> Handled {
        self.cognito
            .confirm_forgot_password()
            .client_id(&self.client_id)
            .username(request.username)
            .confirmation_code(request.code.expose())
            .password(request.password.expose())
            .send()
            .await
            .map_err(cognito_error)?;
        Ok(ApiResponse::answer(json!({})))
    }

    async fn sign_out(&self, request: body::SignOut) -> Handled {
        self.cognito
            .revoke_token()
            .client_id(&self.client_id)
            .token(request.refresh_token.expose())
            .send()
            .await
            .map_err(cognito_error)?;
        Ok(ApiResponse::answer(json!({})))
    }

    async fn sign_out_everywhere(&self, request: body::Session) -> Handled {
        self.cognito
            .global_sign_out()
            .access_token(request.access_token.expose())
            .send()
            .await
            .map_err(cognito_error)?;
        Ok(ApiResponse::answer(json!({})))
    }

    async fn change_password(&self, request: body::ChangePassword) -> Handled {
        self.cognito
            .change_password()
            .access_token(request.access_token.expose())
            .previous_password(request.previous_password.expose())
            .proposed_password(request.proposed_password.expose())
            .send()
            .await
            .map_err(cognito_error)?;
        Ok(ApiResponse::answer(json!({})))
    }

    async fn get_account(&self, request: body::Session) -> Handled {
        let output = self
            .cognito
            .get_user()
            .access_token(request.access_token.expose())
            .send()
            .await
            .map_err(cognito_error)?;
        let attributes: Vec<Value> = output
            .user_attributes()
            .iter()
            .map(|attribute| json!({"Name": attribute.name(), "Value": attribute.value()}))
            .collect();
        let mut body = json!({
            "Username": output.username(),
            "UserAttributes": attributes,
            "UserMFASettingList": output.user_mfa_setting_list(),
        });
        if let Some(preferred) = output.preferred_mfa_setting() {
            body["PreferredMfaSetting"] = preferred.into();
        }
        Ok(ApiResponse::answer(body))
    }

    async fn change_email(&self, request: body::ChangeEmail) -> Handled {
        let email = AttributeType::builder()
            .name("email")
            .value(request.email)
            .build()
            .map_err(|error| {
                ApiResponse::error(400, "InvalidParameterException", error.to_string())
            })?;
        let output = self
            .cognito
            .update_user_attributes()
            .access_token(request.access_token.expose())
            .user_attributes(email)
            .send()
            .await
            .map_err(cognito_error)?;
        let list: Vec<Value> = output
            .code_delivery_details_list()
            .iter()
            .map(delivery_json)
            .collect();
        Ok(ApiResponse::answer(
            json!({ "CodeDeliveryDetailsList": list }),
        ))
    }

    async fn resend_email_code(&self, request: body::Session) -> Handled {
        let output = self
            .cognito
            .get_user_attribute_verification_code()
            .access_token(request.access_token.expose())
            .attribute_name("email")
            .send()
            .await
            .map_err(cognito_error)?;
        Ok(delivery_response(output.code_delivery_details()))
    }

    async fn verify_email(&self, request: body::VerifyEmail) -> Handled {
        self.cognito
            .verify_user_attribute()
            .access_token(request.access_token.expose())
            .attribute_name("email")
            .code(request.code.expose())
            .send()
            .await
            .map_err(cognito_error)?;
        Ok(ApiResponse::answer(json!({})))
    }

    async fn add_authenticator(&self, request: body::Session) -> Handled {
        let output = self
            .cognito
            .associate_software_token()
            .access_token(request.access_token.expose())
            .send()
            .await
            .map_err(cognito_error)?;
        Ok(ApiResponse::answer(
            json!({ "SecretCode": output.secret_code() }),
        ))
    }

    async fn verify_authenticator(&self, request: body::VerifyAuthenticator) -> Handled {
        let output = self
            .cognito
            .verify_software_token()
            .access_token(request.access_token.expose())
            .user_code(request.code.expose())
            .friendly_device_name(request.device_name)
            .send()
            .await
            .map_err(cognito_error)?;
        Ok(ApiResponse::answer(
            json!({ "Status": output.status().map(|status| status.as_str()) }),
        ))
    }

    async fn set_mfa(&self, request: body::SetMfa) -> Handled {
        let call = self
            .cognito
            .set_user_mfa_preference()
            .access_token(request.access_token.expose());
        let call = match request.method {
            MfaMethod::Authenticator => call.software_token_mfa_settings(
                SoftwareTokenMfaSettingsType::builder()
                    .enabled(request.enabled)
                    .preferred_mfa(request.enabled)
                    .build(),
            ),
            MfaMethod::Email => call.email_mfa_settings(
                EmailMfaSettingsType::builder()
                    .enabled(request.enabled)
                    .preferred_mfa(request.enabled)
                    .build(),
            ),
        };
        call.send().await.map_err(cognito_error)?;
        Ok(ApiResponse::answer(json!({})))
    }

    /// `ConfirmDevice` with the game's verifier, then `UpdateDeviceStatus`
    /// where the pool remembers a device only when the player asks.
    async fn remember_device(&self, request: body::RememberDevice) -> Handled {
        let verifier = DeviceSecretVerifierConfigType::builder()
            .password_verifier(request.password_verifier)
            .salt(request.salt)
            .build();
        let output = self
            .cognito
            .confirm_device()
            .access_token(request.access_token.expose())
            .device_key(&request.device_key)
            .device_name(request.device_name)
            .device_secret_verifier_config(verifier)
            .send()
            .await
            .map_err(cognito_error)?;
        if output.user_confirmation_necessary() {
            self.cognito
                .update_device_status()
                .access_token(request.access_token.expose())
                .device_key(&request.device_key)
                .device_remembered_status(DeviceRememberedStatusType::Remembered)
                .send()
                .await
                .map_err(cognito_error)?;
        }
        Ok(ApiResponse::answer(json!({})))
    }

    async fn list_devices(&self, request: body::Session) -> Handled {
        let output = self
            .cognito
            .list_devices()
            .access_token(request.access_token.expose())
            .limit(60)
            .send()
            .await
            .map_err(cognito_error)?;
        let seconds =
            |date: Option<&cognito::primitives::DateTime>| date.map(|date| date.as_secs_f64());
        let devices: Vec<Value> = output
            .devices()
            .iter()
            .map(|device| {
                let attributes: Vec<Value> = device
                    .device_attributes()
                    .iter()
                    .map(|attribute| json!({"Name": attribute.name(), "Value": attribute.value()}))
                    .collect();
                json!({
                    "DeviceKey": device.device_key(),
                    "DeviceAttributes": attributes,
                    "DeviceCreateDate": seconds(device.device_create_date()),
                    "DeviceLastAuthenticatedDate": seconds(device.device_last_authenticated_date()),
                })
            })
            .collect();
        Ok(ApiResponse::answer(json!({ "Devices": devices })))
    }

    async fn forget_device(&self, request: body::ForgetDevice) -> Handled {
        self.cognito
            .forget_device()
            .access_token(request.access_token.expose())
            .device_key(request.device_key)
            .send()
            .await
            .map_err(cognito_error)?;
        Ok(ApiResponse::answer(json!({})))
    }

    /// `DeleteUser`, then the player's profile is closed: the `sub` is the
    /// token's, which Cognito has just accepted.
    async fn delete_account(&self, request: body::Session) -> Handled {
        self.cognito
            .delete_user()
            .access_token(request.access_token.expose())
            .send()
            .await
            .map_err(cognito_error)?;
        if let Some(store) = &self.profiles {
            let sub = cognito_login_client::unverified_claims(request.access_token.expose())
                .and_then(|claims| claims.get("sub")?.as_str().map(str::to_owned));
            let closed = match sub {
                Some(sub) => store.close(&sub).await,
                None => Err(profile::ProfileError::Store(
                    "the token names no player".into(),
                )),
            };
            if let Err(error) = closed {
                tracing::error!(%error, "a deleted account's profile is still kept");
            }
        }
        Ok(ApiResponse::answer(json!({})))
    }
}

/// The responses a game may send for a remembered device's proof.
/// `USERNAME`, the one the challenge named, replaces the body's.
const DEVICE_RESPONSES: [&str; 6] = [
    "USERNAME",
    "DEVICE_KEY",
    "SRP_A",
    "PASSWORD_CLAIM_SIGNATURE",
    "PASSWORD_CLAIM_SECRET_BLOCK",
    "TIMESTAMP",
];

fn is_device_step(challenge: &ChallengeName) -> bool {
    matches!(
        challenge.as_str(),
        "DEVICE_SRP_AUTH" | "DEVICE_PASSWORD_VERIFIER"
    )
}

/// A handler's answer; `Err` holds an error answer so `?` can return it.
type Handled = Result<ApiResponse, ApiResponse>;

/// Reads a route's JSON body, held to [`MEMBER_LIMITS`], or answers 400
/// `InvalidParameterException` naming what is wrong, never a value.
fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiResponse> {
    let refuse = |problem: String| {
        ApiResponse::error(
            400,
            "InvalidParameterException",
            format!("invalid request body: {problem}"),
        )
    };
    let value: Value =
        serde_json::from_slice(body).map_err(|error| refuse(syntax_problem(&error)))?;
    if let Value::Object(members) = &value {
        for (name, member) in members {
            check_member(name, member).map_err(refuse)?;
        }
    }
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let message = error.inner().to_string();
        // serde's message quotes a value of the wrong type or an unknown
        // variant, which may be a password: only the member is named.
        refuse(if message.starts_with("missing field") {
            message
        } else if path == "." {
            "the body is not a JSON object of the route's members".to_owned()
        } else {
            format!("{path} has the wrong type or value")
        })
    })
}

/// Reads `body` as every route's body type does, and as `PUT /profile`
/// does into an in-memory store. No input may panic.
#[cfg(fuzzing)]
pub(crate) fn fuzz(body: &[u8]) {
    let _ = parse::<body::SignUp>(body);
    let _ = parse::<body::Confirm>(body);
    let _ = parse::<body::Username>(body);
    let _ = parse::<body::SignIn>(body);
    let _ = parse::<body::Challenge>(body);
    let _ = parse::<body::RememberDevice>(body);
    let _ = parse::<body::ForgetDevice>(body);
    let _ = parse::<body::Refresh>(body);
    let _ = parse::<body::Reset>(body);
    let _ = parse::<body::SignOut>(body);
    let _ = parse::<body::Session>(body);
    let _ = parse::<body::ChangeEmail>(body);
    let _ = parse::<body::VerifyEmail>(body);
    let _ = parse::<body::VerifyAuthenticator>(body);
    let _ = parse::<body::SetMfa>(body);
    let _ = parse::<body::ChangePassword>(body);
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    let runtime = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime starts")
    });
    let store = crate::LocalProfiles::new(None);
    runtime.block_on(crate::profile::handle_put(&store, "fuzz", body));
}

/// What is wrong with a body that is not JSON, without its text.
fn syntax_problem(error: &serde_json::Error) -> String {
    if error.is_eof() {
        "the JSON ends early".to_owned()
    } else {
        format!(
            "not JSON at line {} column {}",
            error.line(),
            error.column()
        )
    }
}

/// The characters a member may hold.
#[derive(Clone, Copy)]
enum Chars {
    Any,
    /// Cognito's `TokenModelType`: `[A-Za-z0-9-_=.]+`.
    Token,
    /// Cognito's `DeviceKeyType`: `[\w-]+_[0-9a-f-]+`.
    DeviceKey,
}

/// The limits on the string members of the request bodies, by name, in
/// characters: Cognito's own (its API model's) where it has them, so a
/// body is refused here as Cognito would refuse it, whichever Cognito (or
/// emulator) is behind, and garbage spends none of the account's Cognito
/// request quota. `backend/openapi.yaml` states the same limits;
/// `the_routes_hold_members_to_the_documents_limits` tries both sides of
/// each bound.
const MEMBER_LIMITS: [(&str, usize, usize, Chars); 15] = [
    ("username", 1, 128, Chars::Any),
    ("password", 1, 256, Chars::Any),
    ("previousPassword", 1, 256, Chars::Any),
    ("proposedPassword", 1, 256, Chars::Any),
    ("code", 1, 2048, Chars::Any),
    ("email", 1, 2048, Chars::Any),
    ("session", 20, 2048, Chars::Any),
    ("answer", 0, 256, Chars::Any),
    ("accessToken", 1, 8192, Chars::Token),
    ("refreshToken", 1, 8192, Chars::Token),
    ("deviceKey", 1, 55, Chars::DeviceKey),
    ("deviceName", 1, 1024, Chars::Any),
    ("passwordVerifier", 1, 4096, Chars::Any),
    ("salt", 1, 4096, Chars::Any),
    ("responses", 0, 8192, Chars::Any),
];

/// Checks one top-level member against [`MEMBER_LIMITS`] (each value of
/// an object member, for `responses`); a message naming it, never its value.
fn check_member(name: &str, member: &Value) -> Result<(), String> {
    let Some(&(_, min, max, chars)) = MEMBER_LIMITS.iter().find(|limit| limit.0 == name) else {
        return Ok(());
    };
    let values: Vec<&str> = match member {
        Value::String(text) => vec![text],
        Value::Object(values) => values.values().filter_map(Value::as_str).collect(),
        _ => return Ok(()),
    };
    for text in values {
        let length = text.chars().count();
        if length < min || length > max {
            return Err(format!("{name} needs {min} to {max} characters"));
        }
        let token_char = |c: char| c.is_ascii_alphanumeric() || "-_=.".contains(c);
        let well_formed = match chars {
            Chars::Any => true,
            Chars::Token => text.chars().all(token_char),
            Chars::DeviceKey => text.rsplit_once('_').is_some_and(|(region, id)| {
                !region.is_empty()
                    && region
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c))
                    && !id.is_empty()
                    && id
                        .chars()
                        .all(|c| c.is_ascii_digit() || "abcdef-".contains(c))
            }),
        };
        if !well_formed {
            return Err(format!("{name} has characters it cannot have"));
        }
    }
    Ok(())
}

/// Keeps Cognito's error type and message, and its status for service errors.
fn cognito_error<E>(error: SdkError<E, HttpResponse>) -> ApiResponse
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match &error {
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            let error = service.err();
            ApiResponse::error(
                if (400..600).contains(&status) {
                    status
                } else {
                    400
                },
                normalize_type(error.code().unwrap_or("UnknownError")),
                error.message().unwrap_or_default(),
            )
        }
        SdkError::TimeoutError(_) => ApiResponse::error(
            504,
            "InternalErrorException",
            "Cognito did not answer in time",
        ),
        _ => {
            tracing::warn!(error = %error_chain(&error), "Cognito call failed");
            ApiResponse::error(
                502,
                "InternalErrorException",
                "Cognito could not be reached",
            )
        }
    }
}

/// Cognito error codes as clients expect them: `NotAuthorizedException`.
fn normalize_type(code: &str) -> &str {
    code.rsplit('#').next().unwrap_or(code)
}

fn delivery_json(details: &CodeDeliveryDetailsType) -> Value {
    let mut body = Map::new();
    if let Some(destination) = details.destination() {
        body.insert("Destination".into(), destination.into());
    }
    if let Some(medium) = details.delivery_medium() {
        body.insert("DeliveryMedium".into(), medium.as_str().into());
    }
    if let Some(attribute) = details.attribute_name() {
        body.insert("AttributeName".into(), attribute.into());
    }
    Value::Object(body)
}

fn delivery_response(details: Option<&CodeDeliveryDetailsType>) -> ApiResponse {
    ApiResponse::answer(match details {
        Some(details) => json!({ "CodeDeliveryDetails": delivery_json(details) }),
        None => json!({}),
    })
}

fn auth_response(
    result: Option<&AuthenticationResultType>,
    challenge: Option<&ChallengeNameType>,
    session: Option<&str>,
    parameters: Option<&HashMap<String, String>>,
    secret_code: Option<&str>,
) -> ApiResponse {
    let mut body = Map::new();
    if let Some(result) = result {
        let mut tokens = Map::new();
        for (key, value) in [
            ("AccessToken", result.access_token()),
            ("IdToken", result.id_token()),
            ("RefreshToken", result.refresh_token()),
            ("TokenType", result.token_type()),
        ] {
            if let Some(value) = value {
                tokens.insert(key.into(), value.into());
            }
        }
        // The SDK reads a missing ExpiresIn as 0: leave it out then.
        if result.expires_in() > 0 {
            tokens.insert("ExpiresIn".into(), result.expires_in().into());
        }
        if let Some(device) = result.new_device_metadata() {
            tokens.insert(
                "NewDeviceMetadata".into(),
                json!({"DeviceKey": device.device_key(), "DeviceGroupKey": device.device_group_key()}),
            );
        }
        body.insert("AuthenticationResult".into(), Value::Object(tokens));
    }
    if let Some(challenge) = challenge {
        body.insert(
            "ChallengeName".into(),
            ChallengeName::from(challenge.as_str().to_owned())
                .as_str()
                .into(),
        );
    }
    if let Some(session) = session {
        body.insert("Session".into(), session.into());
    }
    if let Some(parameters) = parameters {
        let parameters: Map<String, Value> = parameters
            .iter()
            .map(|(key, value)| (key.clone(), value.as_str().into()))
            .collect();
        body.insert("ChallengeParameters".into(), Value::Object(parameters));
    }
    if let Some(secret_code) = secret_code {
        body.insert("SecretCode".into(), secret_code.into());
    }
    ApiResponse::answer(Value::Object(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_body_is_named_without_its_values() {
        let refused = |body: &[u8]| match parse::<body::SetMfa>(body) {
            Err(answer) => answer.body["message"].as_str().unwrap().to_owned(),
            Ok(_) => panic!("{} was taken", String::from_utf8_lossy(body)),
        };
        for (body, secret, member) in [
            (
                &br#"{"accessToken":"t","method":"Hunter2-secret","enabled":true}"#[..],
                "Hunter2",
                "method",
            ),
            (
                br#"{"accessToken":12345678,"method":"Email","enabled":true}"#,
                "12345678",
                "accessToken",
            ),
            (
                br#"{"accessToken":"t","method":"Email","enabled":"Hunter2"}"#,
                "Hunter2",
                "enabled",
            ),
            (
                br#"{"accessToken":"Hunter2 secret","method":"Email","enabled":true}"#,
                "Hunter2",
                "accessToken",
            ),
            (br#"["Hunter2-secret"]"#, "Hunter2", "object"),
        ] {
            let message = refused(body);
            assert!(!message.contains(secret), "{message}");
            assert!(message.contains(member), "{message}");
        }
        assert_eq!(
            refused(br#"{"method":"Email","enabled":true}"#),
            "invalid request body: missing field `accessToken`"
        );
        assert_eq!(
            refused(b"{\"acc"),
            "invalid request body: the JSON ends early"
        );
        assert_eq!(
            refused(b"{]"),
            "invalid request body: not JSON at line 1 column 2"
        );
    }

    #[test]
    fn members_are_held_to_cognitos_limits_before_cognito_sees_them() {
        let sign_in = |username: &str, device_key: &str| {
            let body = json!({"username": username, "password": "p", "deviceKey": device_key});
            parse::<body::SignIn>(body.to_string().as_bytes())
                .map(|_| ())
                .map_err(|answer| answer.body["message"].as_str().unwrap().to_owned())
        };
        let key = "eu-west-1_0a1b2c3d-0000-4000-8000-00000000abcd";
        assert_eq!(sign_in("ü".repeat(128).as_str(), key), Ok(()));
        assert_eq!(
            sign_in("ü".repeat(129).as_str(), key),
            Err("invalid request body: username needs 1 to 128 characters".into())
        );
        assert_eq!(
            sign_in("", key),
            Err("invalid request body: username needs 1 to 128 characters".into())
        );
        for bad in [
            "eu-west-1_",
            "_0a1b",
            "eu-west-1_0A1B",
            "eu west_0a1b",
            "eu-west-1",
        ] {
            assert_eq!(
                sign_in("player", bad),
                Err("invalid request body: deviceKey has characters it cannot have".into()),
                "{bad}"
            );
        }
    }

    #[test]
    fn cognito_answers_leave_absent_members_out() {
        let answer = ApiResponse::answer(json!({"SecretCode": null, "Devices": [
            {"DeviceKey": "k", "DeviceCreateDate": null, "DeviceAttributes": [{"Name": "n", "Value": null}]}]}));
        assert_eq!(
            answer.body,
            json!({"Devices": [{"DeviceKey": "k", "DeviceAttributes": [{"Name": "n"}]}]})
        );
    }
}
