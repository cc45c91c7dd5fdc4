//! The sign-in: SRP (its client made ahead), a remembered device's proof,
//! the authenticator app set up during `MFA_SETUP`, and a device
//! remembered after it.

use super::*;

impl UserPoolTransport {
    /// The SRP client made ahead for this sign-in, or a new one; the next
    /// one is then made in the background.
    pub(super) async fn take_srp(&self) -> Result<SrpClient, AuthError> {
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
    pub(super) fn make_next_srp(&self) {
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

    /// Calls `operation` for a step of `MFA_SETUP` and returns the answer's
    /// string fields `names`.
    pub(super) async fn setup_step<const N: usize>(
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
    pub(super) async fn start_authenticator(
        &self,
        outcome: AuthOutcome,
    ) -> Result<AuthOutcome, AuthError> {
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
    pub(super) async fn answer_mfa_setup(
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
    pub(super) async fn srp_sign_in(
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
    pub(super) async fn sign_in(
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
    pub(super) async fn without_device(
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
    pub(super) async fn remember_device(
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
}
