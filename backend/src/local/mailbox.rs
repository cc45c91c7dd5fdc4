//! The codes the embedded emulator "sends", copied into a [`DevMailbox`],
//! each with the email the pool's custom message trigger writes for it when
//! the stack runs that trigger.

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
    pub(super) triggers: crate::triggers::TriggerConfig,
}

/// Wraps the embedded emulator: after a call that sends a code (from the
/// login routes or straight from a game on the user-pool transport), copies
/// that code into the mailbox.
pub(super) async fn collect_codes(
    State(tap): State<CodeTap>,
    request: Request,
    next: Next,
) -> Response {
    let operation = super::operation_of(&request);
    let purpose = match operation.as_str() {
        "SignUp" | "ResendConfirmationCode" => CodePurpose::ConfirmSignUp,
        "ForgotPassword" => CodePurpose::ResetPassword,
        "UpdateUserAttributes" | "GetUserAttributeVerificationCode" => CodePurpose::VerifyEmail,
        _ => return next.run(request).await,
    };
    let updates_email = operation == "UpdateUserAttributes";
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
            let email = self.triggers.translated_emails.then(|| {
                let locale = user
                    .attributes
                    .iter()
                    .find(|attribute| attribute.name == "locale")
                    .and_then(|attribute| attribute.value.clone());
                let source = match purpose {
                    CodePurpose::ConfirmSignUp => "CustomMessage_SignUp",
                    CodePurpose::ResetPassword => "CustomMessage_ForgotPassword",
                    CodePurpose::VerifyEmail => "CustomMessage_UpdateUserAttribute",
                };
                let event = crate::triggers::custom_message_event(
                    client.user_pool_id.as_ref(),
                    client_id.as_ref(),
                    &username,
                    source,
                    locale.as_deref(),
                );
                let written = serde_json::from_value(event)
                    .map(crate::triggers::custom_message)
                    .map(|event| event.response)
                    .unwrap_or_default();
                // Cognito puts the code where the trigger left its placeholder.
                let filled =
                    |text: Option<String>| text.unwrap_or_default().replace("{####}", &code);
                DevEmail {
                    subject: filled(written.email_subject),
                    body: filled(written.email_message),
                }
            });
            self.mailbox.push(DevMail {
                username,
                code,
                purpose,
                email,
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
    /// The email the custom message trigger wrote for it, the code filled
    /// in (when the stack runs that trigger,
    /// [`TriggerConfig::translated_emails`](crate::triggers::TriggerConfig::translated_emails)).
    pub email: Option<DevEmail>,
    /// When it was sent.
    pub sent_at: SystemTime,
}

/// An email as the player would read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevEmail {
    /// Its subject.
    pub subject: String,
    /// Its body (HTML).
    pub body: String,
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
