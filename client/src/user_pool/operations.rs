//! Each request as the user-pool operation that performs it and that
//! operation's body, with `SECRET_HASH` where Cognito wants it.

use super::*;

impl UserPoolTransport {
    /// `SECRET_HASH` for `username`, when the client has a secret.
    pub(super) fn secret_hash(&self, username: &str) -> Option<String> {
        let secret = self.config.client_secret.as_ref()?;
        Some(srp::secret_hash(
            secret.expose(),
            username,
            &self.config.client_id,
        ))
    }

    /// The operation and body that perform `request`: the operation is the
    /// action's ([`AuthAction::operation`](crate::AuthAction::operation)),
    /// but for a refresh that rotates the refresh token.
    pub(super) fn operation(
        &self,
        request: &AuthRequest,
    ) -> Result<(&'static str, Value), AuthError> {
        let client_id = self.config.client_id.as_str();
        let with_hash = |mut body: Value, key: &str, username: &str| {
            if let (Some(hash), Some(fields)) = (self.secret_hash(username), body.as_object_mut()) {
                fields.insert(key.to_owned(), hash.into());
            }
            body
        };
        let rotation = self.config.refresh_token_rotation;
        let body = match request {
            AuthRequest::SignUp {
                username,
                password,
                email,
                locale,
            } => with_hash(
                json!({
                    "ClientId": client_id,
                    "Username": username,
                    "Password": password.expose(),
                    "UserAttributes": sign_up_attributes(email, locale.as_deref()),
                }),
                "SecretHash",
                username,
            ),
            AuthRequest::ConfirmSignUp { username, code } => with_hash(
                json!({"ClientId": client_id, "Username": username,
                    "ConfirmationCode": code.expose()}),
                "SecretHash",
                username,
            ),
            AuthRequest::ResendCode { username } | AuthRequest::ForgotPassword { username } => {
                with_hash(
                    json!({"ClientId": client_id, "Username": username}),
                    "SecretHash",
                    username,
                )
            }
            AuthRequest::ResetPassword {
                username,
                code,
                password,
            } => with_hash(
                json!({"ClientId": client_id, "Username": username,
                    "ConfirmationCode": code.expose(), "Password": password.expose()}),
                "SecretHash",
                username,
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
                json!({
                    "AuthFlow": "USER_PASSWORD_AUTH",
                    "ClientId": client_id,
                    "AuthParameters": with_hash(parameters, "SECRET_HASH", username),
                })
            }
            AuthRequest::Refresh { refresh_token, .. } if rotation => {
                let mut body = json!({"ClientId": client_id,
                    "RefreshToken": refresh_token.expose()});
                if let Some(secret) = &self.config.client_secret {
                    body["ClientSecret"] = secret.expose().into();
                }
                return Ok(("GetTokensFromRefreshToken", body));
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
                json!({"AuthFlow": "REFRESH_TOKEN_AUTH", "ClientId": client_id,
                    "AuthParameters": parameters})
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
                json!({
                    "ChallengeName": challenge.as_str(),
                    "ClientId": client_id,
                    "Session": session.expose(),
                    "ChallengeResponses": with_hash(responses, "SECRET_HASH", username),
                })
            }
            AuthRequest::SignOut { refresh_token } => {
                let refresh_token = refresh_token.as_ref().ok_or_else(|| {
                    AuthError::Config("signing out needs the session's refresh token".into())
                })?;
                let mut body = json!({"Token": refresh_token.expose(), "ClientId": client_id});
                if let Some(secret) = &self.config.client_secret {
                    body["ClientSecret"] = secret.expose().into();
                }
                body
            }
            // The verifier is added by `remember_device`, which makes the
            // device's password.
            AuthRequest::RememberDevice {
                access_token,
                device,
                name,
            } => json!({"AccessToken": access_token.expose(), "DeviceKey": device.key,
                "DeviceName": name}),
            _ => request.account_body().ok_or_else(|| {
                AuthError::Config(format!(
                    "the user-pool transport cannot {}",
                    request.action().describe()
                ))
            })?,
        };
        Ok((request.action().operation(), body))
    }
}

impl AuthRequest {
    /// The body of the user-pool operation that performs this request when
    /// the player's access token alone authorizes it: the account's
    /// actions, from a password change to a forgotten device. `None` for
    /// the actions that need the app client (signing up, in and out,
    /// refreshing, resetting a password) and for remembering a device,
    /// whose verifier the transport adds.
    pub(crate) fn account_body(&self) -> Option<Value> {
        Some(match self {
            AuthRequest::SignOutEverywhere { access_token } => {
                json!({"AccessToken": access_token.expose()})
            }
            AuthRequest::ChangePassword {
                access_token,
                previous,
                proposed,
            } => json!({"AccessToken": access_token.expose(),
                    "PreviousPassword": previous.expose(), "ProposedPassword": proposed.expose()}),
            AuthRequest::GetAccount { access_token } => {
                json!({"AccessToken": access_token.expose()})
            }
            AuthRequest::DeleteAccount { access_token } => {
                json!({"AccessToken": access_token.expose()})
            }
            AuthRequest::ChangeEmail {
                access_token,
                email,
            } => json!({"AccessToken": access_token.expose(),
                    "UserAttributes": [{"Name": "email", "Value": email}]}),
            AuthRequest::ResendEmailCode { access_token } => {
                json!({"AccessToken": access_token.expose(), "AttributeName": "email"})
            }
            AuthRequest::VerifyEmail { access_token, code } => {
                json!({"AccessToken": access_token.expose(), "AttributeName": "email",
                    "Code": code.expose()})
            }
            AuthRequest::AddAuthenticator { access_token } => {
                json!({"AccessToken": access_token.expose()})
            }
            AuthRequest::VerifyAuthenticator {
                access_token,
                code,
                device_name,
            } => json!({"AccessToken": access_token.expose(), "UserCode": code.expose(),
                    "FriendlyDeviceName": device_name}),
            AuthRequest::SetMfa {
                access_token,
                method,
                enabled,
            } => {
                let settings = match method {
                    MfaMethod::Authenticator => "SoftwareTokenMfaSettings",
                    MfaMethod::Email => "EmailMfaSettings",
                };
                json!({"AccessToken": access_token.expose(),
                    settings: {"Enabled": enabled, "PreferredMfa": enabled}})
            }
            // Cognito's largest page; nobody remembers sixty computers.
            AuthRequest::ListDevices { access_token } => {
                json!({"AccessToken": access_token.expose(), "Limit": 60})
            }
            AuthRequest::ForgetDevice {
                access_token,
                device_key,
            } => json!({"AccessToken": access_token.expose(), "DeviceKey": device_key}),
            _ => return None,
        })
    }
}

/// A sign-up's `UserAttributes`: the email address, and the player's
/// language when it has a language tag's shape.
pub(crate) fn sign_up_attributes(email: &str, locale: Option<&str>) -> serde_json::Value {
    let mut attributes = vec![json!({"Name": "email", "Value": email})];
    if let Some(locale) = locale.filter(|locale| crate::request::body::is_locale(locale)) {
        attributes.push(json!({"Name": "locale", "Value": locale}));
    }
    attributes.into()
}
