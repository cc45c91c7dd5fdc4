//! The codes the embedded emulator "sends", copied into a [`DevMailbox`].

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use cognitox::storage::Storage;
use cognitox::types::ClientId;

use crate::handlers::MAX_REQUEST_BYTES;

/// What the emulator's code collector needs.
#[derive(Clone)]
pub(super) struct CodeTap {
    pub(super) mailbox: DevMailbox,
    pub(super) storage: Storage,
}

/// Wraps the embedded emulator: after a call that sends a code (from the
/// login routes or straight from a game on the user-pool transport), copies
/// that code into the mailbox.
pub(super) async fn collect_codes(
    State(tap): State<CodeTap>,
    request: Request,
    next: Next,
) -> Response {
    let operation = request
        .headers()
        .get("x-amz-target")
        .and_then(|target| target.to_str().ok())
        .and_then(|target| target.rsplit('.').next());
    let purpose = match operation {
        Some("SignUp" | "ResendConfirmationCode") => CodePurpose::ConfirmSignUp,
        Some("ForgotPassword") => CodePurpose::ResetPassword,
        Some("UpdateUserAttributes" | "GetUserAttributeVerificationCode") => {
            CodePurpose::VerifyEmail
        }
        _ => return next.run(request).await,
    };
    let updates_email = operation == Some("UpdateUserAttributes");
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_REQUEST_BYTES).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let response = next
        .run(Request::from_parts(parts, Body::from(body.clone())))
        .await;
    if response.status().is_success() {
        if updates_email {
            tap.send_email_code(&body).await;
        }
        tap.collect(purpose, &body).await;
    }
    response
}

impl CodeTap {
    /// Cognito sends a code when an auto-verified email address changes;
    /// cognitox only makes one when asked again: ask it, as Cognito would.
    async fn send_email_code(&self, body: &[u8]) {
        let Ok(call) = serde_json::from_slice::<serde_json::Value>(body) else {
            return;
        };
        let changes_email = call["UserAttributes"]
            .as_array()
            .is_some_and(|attributes| attributes.iter().any(|a| a["Name"] == "email"));
        if changes_email {
            let ask = serde_json::json!({
                "AccessToken": call["AccessToken"], "AttributeName": "email"});
            let _ = cognitox::action::user::get_user_attribute_verification_code::handler(
                &self.storage,
                ask,
            )
            .await;
        }
    }

    async fn collect(&self, purpose: CodePurpose, body: &[u8]) {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Call {
            username: Option<String>,
            client_id: Option<String>,
            access_token: Option<String>,
        }
        let Ok(call) = serde_json::from_slice::<Call>(body) else {
            return;
        };
        // Calls made as the player name them in the access token.
        let claims = call
            .access_token
            .as_deref()
            .and_then(cognito_login_client::unverified_claims);
        let claim = |name: &str| {
            claims
                .as_ref()
                .and_then(|claims| claims.get(name)?.as_str().map(str::to_owned))
        };
        let (Some(username), Some(client_id)) = (
            call.username.or_else(|| claim("username")),
            call.client_id.or_else(|| claim("client_id")),
        ) else {
            return;
        };
        let Ok(client_id) = ClientId::new(client_id) else {
            return;
        };
        let Some(client) = self.storage.get_user_pool_client(&client_id).await else {
            return;
        };
        let storage = &self.storage;
        let Some(user) = storage
            .get_user_by_username(&client.user_pool_id, &username)
            .await
        else {
            return;
        };
        let code = match purpose {
            CodePurpose::ConfirmSignUp | CodePurpose::VerifyEmail => storage
                .get_confirmation_code(&user.id)
                .await
                .map(|c| c.code),
            CodePurpose::ResetPassword => storage
                .get_password_reset_code(&user.id)
                .await
                .map(|c| c.code),
        };
        if let Some(code) = code {
            tracing::info!(%username, %code, ?purpose, "dev mailbox: code sent");
            self.mailbox.push(DevMail {
                username,
                code,
                purpose,
                sent_at: SystemTime::now(),
            });
        }
    }
}

/// What a code in the [`DevMailbox`] is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodePurpose {
    /// Confirms a new account.
    ConfirmSignUp,
    /// Resets a forgotten password.
    ResetPassword,
    /// Verifies a changed email address.
    VerifyEmail,
}

/// One code the local emulator "sent".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevMail {
    /// The account it was sent for.
    pub username: String,
    /// The code.
    pub code: String,
    /// What it is for.
    pub purpose: CodePurpose,
    /// When it was sent.
    pub sent_at: SystemTime,
}

/// The codes the embedded emulator sent, newest last. Cheap to clone; every
/// clone sees the same mail.
#[derive(Debug, Clone, Default)]
pub struct DevMailbox {
    mail: Arc<Mutex<Vec<DevMail>>>,
}

impl DevMailbox {
    fn push(&self, mail: DevMail) {
        self.mail
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .push(mail);
    }

    /// Every code sent so far, oldest first.
    pub fn messages(&self) -> Vec<DevMail> {
        self.mail
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .clone()
    }

    /// The newest code sent to `username` for `purpose`.
    pub fn latest_code(&self, username: &str, purpose: CodePurpose) -> Option<String> {
        let mail = self
            .mail
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        mail.iter()
            .rev()
            .find(|mail| mail.username == username && mail.purpose == purpose)
            .map(|mail| mail.code.clone())
    }
}
