//! The template's password policy around the embedded emulator, which keeps
//! it in no pool (its data file cannot hold `Policies`) and checks no
//! password: a new password from either transport is held to the policy of
//! the template's `UserPool`, and refused as Cognito refuses it.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::template::Template;
use super::triggers::cognito_error;
use crate::handlers::MAX_REQUEST_BYTES;

/// The characters Cognito counts as symbols.
const SYMBOLS: &str = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ";

/// The template's `PasswordPolicy`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PasswordPolicy {
    min_length: usize,
    uppercase: bool,
    lowercase: bool,
    numbers: bool,
    symbols: bool,
}

impl PasswordPolicy {
    /// The policy of the template's `UserPool` at its default parameters.
    pub(super) fn of(template: &Template) -> Self {
        let pool = template.properties("UserPool");
        let policy = &pool["Policies"]["PasswordPolicy"];
        let on = |rule: &str| policy[rule].as_bool().unwrap_or(false);
        Self {
            min_length: policy["MinimumLength"]
                .as_u64()
                .and_then(|length| usize::try_from(length).ok())
                .unwrap_or(8),
            uppercase: on("RequireUppercase"),
            lowercase: on("RequireLowercase"),
            numbers: on("RequireNumbers"),
            symbols: on("RequireSymbols"),
        }
    }

    /// Cognito's words for the first rule `password` breaks, if any.
    pub(super) fn refusal(&self, password: &str) -> Option<&'static str> {
        let has = |test: fn(char) -> bool| password.chars().any(test);
        if password.chars().count() < self.min_length {
            Some("Password not long enough")
        } else if self.lowercase && !has(|c| c.is_ascii_lowercase()) {
            Some("Password must have lowercase characters")
        } else if self.uppercase && !has(|c| c.is_ascii_uppercase()) {
            Some("Password must have uppercase characters")
        } else if self.numbers && !has(|c| c.is_ascii_digit()) {
            Some("Password must have numeric characters")
        } else if self.symbols && !has(|c| SYMBOLS.contains(c)) {
            Some("Password must have symbol characters")
        } else {
            None
        }
    }
}

/// The new password a call sets, where it sets one.
fn new_password<'a>(operation: &str, call: &'a Value) -> Option<&'a str> {
    match operation {
        "SignUp" | "ConfirmForgotPassword" | "AdminSetUserPassword" => call["Password"].as_str(),
        "ChangePassword" => call["ProposedPassword"].as_str(),
        "AdminCreateUser" => call["TemporaryPassword"].as_str(),
        "RespondToAuthChallenge" | "AdminRespondToAuthChallenge" => {
            call["ChallengeResponses"]["NEW_PASSWORD"].as_str()
        }
        _ => None,
    }
}

/// Refuses a call whose new password breaks `policy`, with Cognito's
/// `InvalidPasswordException`; passes every other call on.
pub(super) async fn hold_to_policy(
    State(policy): State<PasswordPolicy>,
    request: Request,
    next: Next,
) -> Response {
    let operation = super::operation_of(&request);
    let sets_password = matches!(
        operation.as_str(),
        "SignUp"
            | "ConfirmForgotPassword"
            | "AdminSetUserPassword"
            | "ChangePassword"
            | "AdminCreateUser"
            | "RespondToAuthChallenge"
            | "AdminRespondToAuthChallenge"
    );
    if !sets_password {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_REQUEST_BYTES).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let call: Value = serde_json::from_slice(&body).unwrap_or_default();
    if let Some(refusal) = new_password(&operation, &call).and_then(|p| policy.refusal(p)) {
        return cognito_error(
            "InvalidPasswordException",
            &format!("Password did not conform with policy: {refusal}"),
        );
    }
    next.run(Request::from_parts(parts, Body::from(body))).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_templates_policy_is_cognitos_default_and_is_held_to() {
        let policy = PasswordPolicy::of(&Template::built_in());
        assert_eq!(
            policy,
            PasswordPolicy {
                min_length: 8,
                uppercase: true,
                lowercase: true,
                numbers: true,
                symbols: true,
            }
        );
        assert_eq!(policy.refusal("Secret-Pass-1"), None);
        assert_eq!(policy.refusal("Secret Pass 1"), None, "a space is a symbol");
        for (password, broken) in [
            ("Se-1", "long enough"),
            ("SECRET-PASS-1", "lowercase"),
            ("secret-pass-1", "uppercase"),
            ("Secret-Pass-X", "numeric"),
            ("SecretPass12", "symbol"),
        ] {
            assert!(
                policy
                    .refusal(password)
                    .is_some_and(|words| words.contains(broken)),
                "{password}"
            );
        }
    }
}
