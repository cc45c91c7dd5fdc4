//! The routes that create an account and start, continue or end a
//! session: sign-up and its confirmation, sign-in and its challenges
//! (a remembered device's proof among them), refresh, password reset,
//! sign-out.

use super::*;

impl Handlers {
    pub(super) async fn sign_up(&self, request: body::SignUp) -> Handled {
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

    pub(super) async fn confirm(&self, request: body::Confirm) -> Handled {
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

    pub(super) async fn resend(&self, request: body::Username) -> Handled {
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
    pub(super) async fn sign_in(&self, request: body::SignIn) -> Handled {
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

    pub(super) async fn challenge(&self, request: body::Challenge) -> Handled {
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

    pub(super) async fn refresh(&self, request: body::Refresh) -> Handled {
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

    pub(super) async fn forgot(&self, request: body::Username) -> Handled {
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

    pub(super) async fn reset(&self, request: body::Reset) -> Handled {
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

    pub(super) async fn sign_out(&self, request: body::SignOut) -> Handled {
        self.cognito
            .revoke_token()
            .client_id(&self.client_id)
            .token(request.refresh_token.expose())
            .send()
            .await
            .map_err(cognito_error)?;
        Ok(ApiResponse::answer(json!({})))
    }

    pub(super) async fn sign_out_everywhere(&self, request: body::Session) -> Handled {
        self.cognito
            .global_sign_out()
            .access_token(request.access_token.expose())
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
