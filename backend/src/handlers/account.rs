//! The routes of a signed-in player's account: password, email, sign-in
//! codes, remembered devices, deletion.

use super::*;

impl Handlers {
    pub(super) async fn change_password(&self, request: body::ChangePassword) -> Handled {
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

    pub(super) async fn get_account(&self, request: body::Session) -> Handled {
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

    pub(super) async fn change_email(&self, request: body::ChangeEmail) -> Handled {
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

    pub(super) async fn resend_email_code(&self, request: body::Session) -> Handled {
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

    pub(super) async fn verify_email(&self, request: body::VerifyEmail) -> Handled {
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

    pub(super) async fn add_authenticator(&self, request: body::Session) -> Handled {
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

    pub(super) async fn verify_authenticator(&self, request: body::VerifyAuthenticator) -> Handled {
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

    pub(super) async fn set_mfa(&self, request: body::SetMfa) -> Handled {
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
    pub(super) async fn remember_device(&self, request: body::RememberDevice) -> Handled {
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

    pub(super) async fn list_devices(&self, request: body::Session) -> Handled {
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

    pub(super) async fn forget_device(&self, request: body::ForgetDevice) -> Handled {
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
    pub(super) async fn delete_account(&self, request: body::Session) -> Handled {
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
