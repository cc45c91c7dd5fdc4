//! The routes of a signed-in player's account: password, email, sign-in
//! codes, remembered devices, deletion. The player's access token alone
//! authorizes each of them at Cognito, so each is forwarded as the direct
//! transport sends it ([`UserPoolApi::call_account`]) and Cognito's answer
//! is the route's. Two do more: remembering a device takes the verifier
//! the game made, and a deleted account's profile is closed.

use cognito_login_client::{AccessToken, AuthError, AuthRequest, TransportErrorKind};

use super::*;

impl Handlers {
    /// Forwards an account action to Cognito.
    pub(super) async fn account(&self, request: AuthRequest) -> Handled {
        let answer = self.forward(&request).await?;
        if let AuthRequest::DeleteAccount { access_token } = &request {
            self.close_profile(access_token).await;
        }
        Ok(answer)
    }

    async fn forward(&self, request: &AuthRequest) -> Handled {
        let api = self.user_pool.as_ref().map_err(|error| {
            tracing::error!(%error, "the user pool's API is not set up");
            ApiResponse::error(
                500,
                "InternalErrorException",
                "the user pool's API is not set up",
            )
        })?;
        match api.call_account(request).await {
            // An action of a newer client crate: the routes do not serve it.
            None => Err(not_found()),
            Some(Ok((status, body))) if (200..300).contains(&status) => {
                Ok(ApiResponse::answer(body))
            }
            Some(Ok((status, body))) => Err(ApiResponse::error(
                if (400..600).contains(&status) {
                    status
                } else {
                    400
                },
                body["__type"].as_str().unwrap_or("UnknownError"),
                body["message"].as_str().unwrap_or_default(),
            )),
            Some(Err(AuthError::Transport {
                kind: TransportErrorKind::Timeout,
                ..
            })) => Err(ApiResponse::error(
                504,
                "InternalErrorException",
                "Cognito did not answer in time",
            )),
            Some(Err(error)) => {
                tracing::warn!(%error, "Cognito call failed");
                Err(ApiResponse::error(
                    502,
                    "InternalErrorException",
                    "Cognito could not be reached",
                ))
            }
        }
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

    /// After `DeleteUser`, the player's profile is closed: the `sub` is
    /// the token's, which Cognito has just accepted.
    async fn close_profile(&self, access_token: &AccessToken) {
        let Some(store) = &self.profiles else {
            return;
        };
        let sub = cognito_login_client::unverified_claims(access_token.expose())
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
}
