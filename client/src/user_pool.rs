//! The direct transport: the Cognito user-pool JSON API, as Amplify and the
//! AWS SDKs call it, with SRP sign-in and app-client secrets.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::Url;
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use serde_json::{Value, json};

use crate::device::RememberedDevice;
use crate::device::proof::{answer_device, device_refused, parameter, unknown_device};
use crate::error::{AuthError, ConfigError, RawBody, ServerErrorKind};
use crate::http::{ReadAnswer, checked_url, http_client, read_answer, transport_error};
use crate::outcome::{AuthOutcome, Tokens};
use crate::request::{AuthRequest, ChallengeName, MfaMethod};
use crate::response;
use crate::secret::{AccessToken, AuthenticatorSecret, ChallengeSession, ClientSecret, Password};
use crate::srp::{self, SrpClient, VerifierChallenge};
use crate::transport::{BoxFuture, Transport, connect, finish, new_srp, prove};
use crate::verify::{Issued, TokenCheck, TokenVerifier};

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
            endpoint: format!("https://cognito-idp.{region}.amazonaws.com/"),
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
    http: reqwest::Client,
    endpoint: Url,
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
        let endpoint = checked_url("endpoint", &config.endpoint)?;
        let http = http_client(&endpoint, config.timeout)?;
        let verifier = TokenVerifier::with_http(config.tokens.clone(), http.clone())?;
        Ok(Self {
            http,
            endpoint,
            config: Arc::new(config),
            verifier: Arc::new(verifier),
            next_srp: Arc::default(),
        })
    }

    /// The SRP client made ahead for this sign-in, or a new one; the next
    /// one is then made in the background.
    async fn take_srp(&self) -> Result<SrpClient, AuthError> {
        let ready = self
            .next_srp
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        let srp = match ready {
            Some(srp) => srp,
            None => new_srp().await?,
        };
        self.make_next_srp();
        Ok(srp)
    }

    /// Makes the next sign-in's SRP client on the blocking pool, so its
    /// modular power is done before the player clicks.
    fn make_next_srp(&self) {
        if self.config.sign_in_flow != SignInFlow::Srp {
            return;
        }
        let next = Arc::clone(&self.next_srp);
        drop(tokio::task::spawn_blocking(move || {
            if let Ok(srp) = SrpClient::new() {
                next.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .get_or_insert(srp);
            }
        }));
    }

    /// `SECRET_HASH` for `username`, when the client has a secret.
    fn secret_hash(&self, username: &str) -> Option<String> {
        let secret = self.config.client_secret.as_ref()?;
        Some(srp::secret_hash(
            secret.expose(),
            username,
            &self.config.client_id,
        ))
    }

    /// The operation and body that perform `request`.
    fn operation(&self, request: &AuthRequest) -> Result<(&'static str, Value), AuthError> {
        let client_id = self.config.client_id.as_str();
        let with_hash = |mut body: Value, key: &str, username: &str| {
            if let (Some(hash), Some(fields)) = (self.secret_hash(username), body.as_object_mut()) {
                fields.insert(key.to_owned(), hash.into());
            }
            body
        };
        Ok(match request {
            AuthRequest::SignUp {
                username,
                password,
                email,
            } => (
                "SignUp",
                with_hash(
                    json!({
                        "ClientId": client_id,
                        "Username": username,
                        "Password": password.expose(),
                        "UserAttributes": [{"Name": "email", "Value": email}],
                    }),
                    "SecretHash",
                    username,
                ),
            ),
            AuthRequest::ConfirmSignUp { username, code } => (
                "ConfirmSignUp",
                with_hash(
                    json!({"ClientId": client_id, "Username": username,
                        "ConfirmationCode": code.expose()}),
                    "SecretHash",
                    username,
                ),
            ),
            AuthRequest::ResendCode { username } => (
                "ResendConfirmationCode",
                with_hash(
                    json!({"ClientId": client_id, "Username": username}),
                    "SecretHash",
                    username,
                ),
            ),
            AuthRequest::ForgotPassword { username } => (
                "ForgotPassword",
                with_hash(
                    json!({"ClientId": client_id, "Username": username}),
                    "SecretHash",
                    username,
                ),
            ),
            AuthRequest::ResetPassword {
                username,
                code,
                password,
            } => (
                "ConfirmForgotPassword",
                with_hash(
                    json!({"ClientId": client_id, "Username": username,
                        "ConfirmationCode": code.expose(), "Password": password.expose()}),
                    "SecretHash",
                    username,
                ),
            ),
            AuthRequest::SignIn {
                username,
                password,
                device,
            } => {
                let mut parameters = json!({"USERNAME": username, "PASSWORD": password.expose()});
                if let Some(device) = device {
                    parameters["DEVICE_KEY"] = device.key.clone().into();
                }
                (
                    "InitiateAuth",
                    json!({
                        "AuthFlow": "USER_PASSWORD_AUTH",
                        "ClientId": client_id,
                        "AuthParameters": with_hash(parameters, "SECRET_HASH", username),
                    }),
                )
            }
            AuthRequest::Refresh { refresh_token, .. } if self.config.refresh_token_rotation => {
                let mut body = json!({"ClientId": client_id,
                    "RefreshToken": refresh_token.expose()});
                if let Some(secret) = &self.config.client_secret {
                    body["ClientSecret"] = secret.expose().into();
                }
                ("GetTokensFromRefreshToken", body)
            }
            AuthRequest::Refresh {
                refresh_token,
                username,
            } => {
                let mut parameters = json!({"REFRESH_TOKEN": refresh_token.expose()});
                if self.config.client_secret.is_some() {
                    let username = username.as_deref().ok_or_else(|| {
                        AuthError::Config(
                            "a refresh with a client secret needs the internal username".into(),
                        )
                    })?;
                    parameters = with_hash(parameters, "SECRET_HASH", username);
                }
                (
                    "InitiateAuth",
                    json!({"AuthFlow": "REFRESH_TOKEN_AUTH", "ClientId": client_id,
                        "AuthParameters": parameters}),
                )
            }
            AuthRequest::RespondToChallenge {
                username,
                challenge,
                session,
                answer,
            } => {
                let key = challenge
                    .answer_key()
                    .ok_or_else(|| unsupported(challenge))?;
                let responses = json!({"USERNAME": username, key: answer.expose()});
                (
                    "RespondToAuthChallenge",
                    json!({
                        "ChallengeName": challenge.as_str(),
                        "ClientId": client_id,
                        "Session": session.expose(),
                        "ChallengeResponses": with_hash(responses, "SECRET_HASH", username),
                    }),
                )
            }
            AuthRequest::SignOut { refresh_token } => {
                let refresh_token = refresh_token.as_ref().ok_or_else(|| {
                    AuthError::Config("signing out needs the session's refresh token".into())
                })?;
                let mut body = json!({"Token": refresh_token.expose(), "ClientId": client_id});
                if let Some(secret) = &self.config.client_secret {
                    body["ClientSecret"] = secret.expose().into();
                }
                ("RevokeToken", body)
            }
            AuthRequest::SignOutEverywhere { access_token } => (
                "GlobalSignOut",
                json!({"AccessToken": access_token.expose()}),
            ),
            AuthRequest::ChangePassword {
                access_token,
                previous,
                proposed,
            } => (
                "ChangePassword",
                json!({"AccessToken": access_token.expose(),
                    "PreviousPassword": previous.expose(), "ProposedPassword": proposed.expose()}),
            ),
            AuthRequest::GetAccount { access_token } => {
                ("GetUser", json!({"AccessToken": access_token.expose()}))
            }
            AuthRequest::DeleteAccount { access_token } => {
                ("DeleteUser", json!({"AccessToken": access_token.expose()}))
            }
            AuthRequest::ChangeEmail {
                access_token,
                email,
            } => (
                "UpdateUserAttributes",
                json!({"AccessToken": access_token.expose(),
                    "UserAttributes": [{"Name": "email", "Value": email}]}),
            ),
            AuthRequest::ResendEmailCode { access_token } => (
                "GetUserAttributeVerificationCode",
                json!({"AccessToken": access_token.expose(), "AttributeName": "email"}),
            ),
            AuthRequest::VerifyEmail { access_token, code } => (
                "VerifyUserAttribute",
                json!({"AccessToken": access_token.expose(), "AttributeName": "email",
                    "Code": code.expose()}),
            ),
            AuthRequest::AddAuthenticator { access_token } => (
                "AssociateSoftwareToken",
                json!({"AccessToken": access_token.expose()}),
            ),
            AuthRequest::VerifyAuthenticator {
                access_token,
                code,
                device_name,
            } => (
                "VerifySoftwareToken",
                json!({"AccessToken": access_token.expose(), "UserCode": code.expose(),
                    "FriendlyDeviceName": device_name}),
            ),
            AuthRequest::SetMfa {
                access_token,
                method,
                enabled,
            } => {
                let settings = match method {
                    MfaMethod::Authenticator => "SoftwareTokenMfaSettings",
                    MfaMethod::Email => "EmailMfaSettings",
                };
                (
                    "SetUserMFAPreference",
                    json!({"AccessToken": access_token.expose(),
                        settings: {"Enabled": enabled, "PreferredMfa": enabled}}),
                )
            }
            // The verifier is added by `remember_device`, which makes the
            // device's password.
            AuthRequest::RememberDevice {
                access_token,
                device,
                name,
            } => (
                "ConfirmDevice",
                json!({"AccessToken": access_token.expose(), "DeviceKey": device.key,
                    "DeviceName": name}),
            ),
            // Cognito's largest page; nobody remembers sixty computers.
            AuthRequest::ListDevices { access_token } => (
                "ListDevices",
                json!({"AccessToken": access_token.expose(), "Limit": 60}),
            ),
            AuthRequest::ForgetDevice {
                access_token,
                device_key,
            } => (
                "ForgetDevice",
                json!({"AccessToken": access_token.expose(), "DeviceKey": device_key}),
            ),
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
        let target = format!("AWSCognitoIdentityProviderService.{operation}");
        let response = self
            .http
            .post(self.endpoint.clone())
            .header(
                CONTENT_TYPE,
                HeaderValue::from_static("application/x-amz-json-1.1"),
            )
            .header("x-amz-target", target)
            .body(serde_json::to_vec(body).expect("JSON values always serialize"))
            .send()
            .await
            .map_err(|error| transport_error(error, ""))?;
        let answer = read_answer(response, self.config.max_body_bytes).await?;
        tracing::debug!(
            operation,
            status = answer.status,
            bytes = answer.body.len(),
            "user pool answered"
        );
        Ok(answer)
    }

    /// Calls `operation` for a step of `MFA_SETUP` and returns the answer's
    /// string fields `names`.
    async fn setup_step<const N: usize>(
        &self,
        operation: &str,
        body: &Value,
        names: [&str; N],
    ) -> Result<[Option<String>; N], AuthError> {
        let answer = self.post(operation, body).await?;
        let value = response::checked_json(answer.answer().aws_json())?;
        Ok(names.map(|name| value.get(name).and_then(Value::as_str).map(str::to_owned)))
    }

    /// A `MFA_SETUP` challenge that lets the account add an authenticator
    /// app: asks Cognito for the app's secret (`AssociateSoftwareToken` with
    /// the challenge's session), so the challenge reaches the game ready to
    /// show. Any other outcome passes through.
    async fn start_authenticator(&self, outcome: AuthOutcome) -> Result<AuthOutcome, AuthError> {
        let AuthOutcome::Challenge(mut challenge) = outcome else {
            return Ok(outcome);
        };
        if challenge.can_set_up_authenticator() && challenge.authenticator.is_none() {
            let body = json!({"Session": challenge.session.expose()});
            let [secret, session] = self
                .setup_step("AssociateSoftwareToken", &body, ["SecretCode", "Session"])
                .await?;
            let secret = secret.ok_or_else(|| AuthError::Malformed {
                status: 200,
                reason: "AssociateSoftwareToken answered without a SecretCode".into(),
                body: RawBody::default(),
            })?;
            challenge.authenticator = Some(AuthenticatorSecret::new(secret));
            if let Some(session) = session {
                challenge.session = ChallengeSession::new(session);
            }
        }
        Ok(AuthOutcome::Challenge(challenge))
    }

    /// Answers `MFA_SETUP`: the app's first code verifies the authenticator
    /// (`VerifySoftwareToken`), then the challenge is answered with the
    /// session that returns.
    async fn answer_mfa_setup(
        &self,
        request: &AuthRequest,
        username: &str,
        session: &ChallengeSession,
        code: &Password,
    ) -> Result<(AuthOutcome, Option<SystemTime>), AuthError> {
        let body = json!({"Session": session.expose(), "UserCode": code.expose(),
            "FriendlyDeviceName": AUTHENTICATOR_NAME});
        let [status, next] = self
            .setup_step("VerifySoftwareToken", &body, ["Status", "Session"])
            .await?;
        if status.as_deref().is_some_and(|status| status != "SUCCESS") {
            return Err(AuthError::Server {
                kind: ServerErrorKind::CodeMismatch,
                message: "the authenticator code was not accepted".into(),
                status: 200,
            });
        }
        let session = next.unwrap_or_else(|| session.expose().to_owned());
        let mut responses = json!({"USERNAME": username});
        if let Some(hash) = self.secret_hash(username) {
            responses["SECRET_HASH"] = hash.into();
        }
        let body = json!({"ChallengeName": "MFA_SETUP", "ClientId": self.config.client_id,
            "Session": session, "ChallengeResponses": responses});
        self.call(request, "RespondToAuthChallenge", &body).await
    }

    /// `USER_SRP_AUTH`, then the answer to its `PASSWORD_VERIFIER` challenge.
    async fn srp_sign_in(
        &self,
        request: &AuthRequest,
        username: &str,
        password: &Password,
        device: Option<&RememberedDevice>,
    ) -> Result<(AuthOutcome, Option<SystemTime>), AuthError> {
        let srp = self.take_srp().await?;
        let mut parameters = json!({"USERNAME": username, "SRP_A": srp.public_a()});
        if let Some(device) = device {
            parameters["DEVICE_KEY"] = device.key.clone().into();
        }
        if let Some(hash) = self.secret_hash(username) {
            parameters["SECRET_HASH"] = hash.into();
        }
        let body = json!({"AuthFlow": "USER_SRP_AUTH", "ClientId": self.config.client_id,
            "AuthParameters": parameters});
        let (challenge, server_time) = match self.call(request, "InitiateAuth", &body).await? {
            (AuthOutcome::Challenge(challenge), server_time)
                if challenge.name == ChallengeName::Other("PASSWORD_VERIFIER".into()) =>
            {
                (challenge, server_time)
            }
            other => return Ok(other),
        };

        let parameter = |name| parameter(&challenge, name);
        let (user_id, salt, srp_b, secret_block) = (
            parameter("USER_ID_FOR_SRP")?,
            parameter("SALT")?,
            parameter("SRP_B")?,
            parameter("SECRET_BLOCK")?,
        );
        // The server's clock where it told it: a player's clock may be off.
        let timestamp = srp::timestamp(server_time.unwrap_or_else(SystemTime::now));
        let pool_id = self.config.user_pool_id.clone();
        let password = password.clone();
        let signature = {
            let (user_id, timestamp, secret_block) =
                (user_id.clone(), timestamp.clone(), secret_block.clone());
            prove(move || {
                let challenge = VerifierChallenge {
                    user_id: &user_id,
                    salt: &salt,
                    srp_b: &srp_b,
                    secret_block: &secret_block,
                };
                srp.password_signature(&pool_id, password.expose(), &challenge, &timestamp)
            })
            .await?
        };
        let mut responses = json!({
            "USERNAME": user_id,
            "TIMESTAMP": timestamp,
            "PASSWORD_CLAIM_SECRET_BLOCK": secret_block,
            "PASSWORD_CLAIM_SIGNATURE": signature,
        });
        if let Some(device) = device {
            responses["DEVICE_KEY"] = device.key.clone().into();
        }
        if let Some(hash) = self.secret_hash(&user_id) {
            responses["SECRET_HASH"] = hash.into();
        }
        let mut body = json!({"ChallengeName": "PASSWORD_VERIFIER",
            "ClientId": self.config.client_id, "ChallengeResponses": responses});
        if !challenge.session.is_empty() {
            body["Session"] = challenge.session.expose().into();
        }
        let mut step = self.call(request, "RespondToAuthChallenge", &body).await?;
        // The next answer (a device's proof, an MFA code) names the player
        // by the internal username too.
        if let (AuthOutcome::Challenge(next), _) = &mut step {
            next.parameters
                .entry("USER_ID_FOR_SRP".into())
                .or_insert(user_id);
        }
        Ok(step)
    }

    /// A sign-in, with the remembered device's own proof when the pool asks
    /// for it. A device the pool no longer knows (forgotten from another
    /// computer), or whose proof it refuses, is left out and the sign-in
    /// tried once more without it: the player then answers the MFA code as
    /// on any other computer.
    async fn sign_in(
        &self,
        request: &AuthRequest,
        username: &str,
        password: &Password,
        device: Option<&RememberedDevice>,
    ) -> Result<(AuthOutcome, Option<SystemTime>), AuthError> {
        let step = match self.config.sign_in_flow {
            SignInFlow::Srp => self.srp_sign_in(request, username, password, device).await,
            SignInFlow::UserPassword => {
                let (operation, body) = self.operation(request)?;
                self.call(request, operation, &body).await
            }
        };
        let step = match step {
            Err(error) if device.is_some() && unknown_device(&error) => {
                return self.without_device(username, password).await;
            }
            step => step?,
        };
        let answered = answer_device(step, device, username, |name, session, responses| {
            let mut responses: serde_json::Map<String, Value> = responses
                .into_iter()
                .map(|(key, value)| (key, value.into()))
                .collect();
            let user = responses["USERNAME"]
                .as_str()
                .unwrap_or(username)
                .to_owned();
            if let Some(hash) = self.secret_hash(&user) {
                responses.insert("SECRET_HASH".into(), hash.into());
            }
            let body = json!({"ChallengeName": name, "ClientId": self.config.client_id,
                "Session": session.expose(), "ChallengeResponses": responses});
            Box::pin(async move { self.call(request, "RespondToAuthChallenge", &body).await })
        })
        .await;
        match answered {
            Err(error) if device.is_some() && device_refused(&error) => {
                self.without_device(username, password).await
            }
            answered => answered,
        }
    }

    /// The sign-in again, without the device.
    async fn without_device(
        &self,
        username: &str,
        password: &Password,
    ) -> Result<(AuthOutcome, Option<SystemTime>), AuthError> {
        tracing::info!("the pool does not take this device; signing in without it");
        let without = AuthRequest::SignIn {
            username: username.to_owned(),
            password: password.clone(),
            device: None,
        };
        Box::pin(self.sign_in(&without, username, password, None)).await
    }

    /// `ConfirmDevice`, then `UpdateDeviceStatus` where the pool remembers
    /// a device only when the player asks (`UserConfirmationNecessary`).
    async fn remember_device(
        &self,
        request: &AuthRequest,
        access_token: &AccessToken,
        device: &RememberedDevice,
    ) -> Result<(AuthOutcome, Option<SystemTime>), AuthError> {
        let verifier = device.verifier().await?;
        let (operation, mut body) = self.operation(request)?;
        body["DeviceSecretVerifierConfig"] =
            json!({"PasswordVerifier": verifier.password_verifier, "Salt": verifier.salt});
        let answer = self.post(operation, &body).await?;
        let confirmed = response::checked_json(answer.answer().aws_json())?;
        if confirmed["UserConfirmationNecessary"] == true {
            let body = json!({"AccessToken": access_token.expose(), "DeviceKey": device.key,
                "DeviceRememberedStatus": "remembered"});
            let answer = self.post("UpdateDeviceStatus", &body).await?;
            response::checked_json(answer.answer().aws_json())?;
        }
        Ok((AuthOutcome::DeviceRemembered, answer.date))
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
        Box::pin(connect(&self.http, &self.endpoint, Some(&self.verifier)))
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
