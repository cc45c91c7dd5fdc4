//! The routes that create an account and start, continue or end a
//! session: sign-up and its confirmation, sign-in and its challenges
//! (a remembered device's proof among them), refresh, password reset,
//! sign-out.

use super::*;
use cognito::types::UserContextDataType;
use cognito_login_client::{Code, Password, RefreshToken};

impl Handlers {
    pub(super) async fn sign_up(
        &self,
        username: String,
        password: Password,
        email: String,
        locale: Option<String>,
        caller: &Caller,
    ) -> Handled {
        let attribute = |name: &str, value: String| {
            AttributeType::builder()
                .name(name)
                .value(value)
                .build()
                .map_err(|error| {
                    ApiResponse::error(400, "InvalidParameterException", error.to_string())
                })
        };
        let mut attributes = vec![attribute("email", email)?];
        // Its shape was checked with the body's other members.
        if let Some(locale) = locale {
            attributes.push(attribute("locale", locale)?);
        }
        let output = self
            .cognito
            .sign_up()
            .client_id(self.front_client())
            .set_secret_hash(self.secret_hash(&username))
            .set_user_context_data(self.user_context(caller))
            .username(username)
            .password(password.expose())
            .set_user_attributes(Some(attributes))
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

    pub(super) async fn confirm(&self, username: String, code: Code, caller: &Caller) -> Handled {
        self.cognito
            .confirm_sign_up()
            .client_id(self.front_client())
            .set_secret_hash(self.secret_hash(&username))
            .set_user_context_data(self.user_context(caller))
            .username(username)
            .confirmation_code(code.expose())
            .send()
            .await
            .map_err(cognito_error)?;
        Ok(ApiResponse::answer(json!({})))
    }

    pub(super) async fn resend(&self, username: String, caller: &Caller) -> Handled {
        let output = self
            .cognito
            .resend_confirmation_code()
            .client_id(self.front_client())
            .set_secret_hash(self.secret_hash(&username))
            .set_user_context_data(self.user_context(caller))
            .username(username)
            .send()
            .await
            .map_err(cognito_error)?;
        Ok(delivery_response(output.code_delivery_details()))
    }

    /// `USER_PASSWORD_AUTH` (`ADMIN_USER_PASSWORD_AUTH` through the server
    /// client), with the remembered device's key when the game sent one:
    /// the pool may then answer `DEVICE_SRP_AUTH`, which the game answers
    /// through `/challenge`. A key the pool no longer knows is left out and
    /// the sign-in tried once more without it.
    pub(super) async fn sign_in(&self, request: body::SignIn, caller: &Caller) -> Handled {
        let mut parameters = vec![
            ("USERNAME", request.username.as_str()),
            ("PASSWORD", request.password.expose()),
        ];
        if let Some(device) = &request.device_key {
            parameters.push(("DEVICE_KEY", device));
            match self.password_auth(&parameters, caller).await {
                Err(error) if error.body["__type"] == "ResourceNotFoundException" => {
                    parameters.pop();
                }
                answer => return answer,
            }
        }
        self.password_auth(&parameters, caller).await
    }

    /// A password sign-in with `parameters`, through the server client when
    /// there is one.
    async fn password_auth(&self, parameters: &[(&str, &str)], caller: &Caller) -> Handled {
        let Some(server) = &self.server else {
            return self
                .initiate_auth(AuthFlowType::UserPasswordAuth, parameters.iter().copied())
                .await;
        };
        let mut call = self
            .cognito
            .admin_initiate_auth()
            .user_pool_id(&server.user_pool_id)
            .client_id(&server.client_id)
            .auth_flow(AuthFlowType::AdminUserPasswordAuth)
            .set_context_data(caller.context_data(AuthAction::SignIn));
        for (key, value) in parameters {
            call = call.auth_parameters(*key, *value);
            if *key == "USERNAME" {
                call = call.auth_parameters("SECRET_HASH", server.secret_hash(value));
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

    /// The app client that signs players up and in: the server client when
    /// there is one.
    fn front_client(&self) -> &str {
        self.server
            .as_ref()
            .map_or(&self.client_id, |server| &server.client_id)
    }

    /// `SECRET_HASH` for `username`, where the server client needs one.
    fn secret_hash(&self, username: &str) -> Option<String> {
        Some(self.server.as_ref()?.secret_hash(username))
    }

    /// The player's address for a public call, where the server client
    /// propagates it (a public client's is ignored by Cognito).
    fn user_context(&self, caller: &Caller) -> Option<UserContextDataType> {
        self.server.as_ref()?;
        caller.user_context_data()
    }

    pub(super) async fn initiate_auth(
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
    pub(super) async fn auth_step(
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

    pub(super) async fn challenge(&self, request: body::Challenge, caller: &Caller) -> Handled {
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
        let mut responses = HashMap::from([("USERNAME".to_owned(), request.username.clone())]);
        if let Some(key) = answer {
            responses.insert(key.to_owned(), request.answer.expose().to_owned());
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
                responses.insert(key.clone(), value.clone());
            }
        }
        let name = ChallengeNameType::from(request.challenge_name.as_str());
        let Some(server) = &self.server else {
            let output = self
                .cognito
                .respond_to_auth_challenge()
                .client_id(&self.client_id)
                .challenge_name(name)
                .session(session)
                .set_challenge_responses(Some(responses))
                .send()
                .await
                .map_err(cognito_error)?;
            return self
                .auth_step(
                    output.authentication_result(),
                    output.challenge_name(),
                    output.session(),
                    output.challenge_parameters(),
                )
                .await;
        };
        let hash = server.secret_hash(&responses["USERNAME"]);
        responses.insert("SECRET_HASH".to_owned(), hash);
        let output = self
            .cognito
            .admin_respond_to_auth_challenge()
            .user_pool_id(&server.user_pool_id)
            .client_id(&server.client_id)
            .challenge_name(name)
            .session(session)
            .set_challenge_responses(Some(responses))
            .set_context_data(caller.context_data(AuthAction::RespondToChallenge))
            .send()
            .await
            .map_err(cognito_error)?;
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
    pub(super) async fn verify_new_authenticator(
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

    /// A refresh through the server client when there is one; a token it
    /// does not know (a browser sign-in's, made by the public client) is
    /// refreshed through the public client.
    pub(super) async fn refresh(&self, refresh_token: RefreshToken) -> Handled {
        if let Some(server) = &self.server {
            let answer = self
                .cognito
                .get_tokens_from_refresh_token()
                .client_id(&server.client_id)
                .client_secret(server.secret.expose())
                .refresh_token(refresh_token.expose())
                .send()
                .await
                .map_err(cognito_error);
            match answer {
                Err(error) if error.body["__type"] == "NotAuthorizedException" => {}
                answer => {
                    return Ok(auth_response(
                        answer?.authentication_result(),
                        None,
                        None,
                        None,
                        None,
                    ));
                }
            }
        }
        if self.refresh_token_rotation {
            let output = self
                .cognito
                .get_tokens_from_refresh_token()
                .client_id(&self.client_id)
                .refresh_token(refresh_token.expose())
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
        let parameters = [("REFRESH_TOKEN", refresh_token.expose())];
        self.initiate_auth(AuthFlowType::RefreshTokenAuth, parameters)
            .await
    }

    pub(super) async fn forgot(&self, username: String, caller: &Caller) -> Handled {
        let output = self
            .cognito
            .forgot_password()
            .client_id(self.front_client())
            .set_secret_hash(self.secret_hash(&username))
            .set_user_context_data(self.user_context(caller))
            .username(username)
            .send()
            .await
            .map_err(cognito_error)?;
        Ok(delivery_response(output.code_delivery_details()))
    }

    pub(super) async fn reset(
        &self,
        username: String,
        code: Code,
        password: Password,
        caller: &Caller,
    ) -> Handled {
        self.cognito
            .confirm_forgot_password()
            .client_id(self.front_client())
            .set_secret_hash(self.secret_hash(&username))
            .set_user_context_data(self.user_context(caller))
            .username(username)
            .confirmation_code(code.expose())
            .password(password.expose())
            .send()
            .await
            .map_err(cognito_error)?;
        Ok(ApiResponse::answer(json!({})))
    }

    /// Revokes the refresh token through the client that made it: the
    /// server client's first when there is one, then the public one.
    pub(super) async fn sign_out(&self, refresh_token: RefreshToken) -> Handled {
        if let Some(server) = &self.server {
            let answer = self
                .cognito
                .revoke_token()
                .client_id(&server.client_id)
                .client_secret(server.secret.expose())
                .token(refresh_token.expose())
                .send()
                .await
                .map_err(cognito_error);
            match answer {
                Ok(_) => return Ok(ApiResponse::answer(json!({}))),
                Err(error)
                    if !matches!(
                        error.body["__type"].as_str(),
                        Some("NotAuthorizedException" | "UnauthorizedException")
                    ) =>
                {
                    return Err(error);
                }
                Err(_) => {}
            }
        }
        self.cognito
            .revoke_token()
            .client_id(&self.client_id)
            .token(refresh_token.expose())
            .send()
            .await
            .map_err(cognito_error)?;
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
