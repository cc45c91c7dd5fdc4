//! The answers of the routes: a status and a JSON body, errors in
//! Cognito's shape.

use serde_json::{Value, json};

/// An HTTP answer of the contract: a status and a JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiResponse {
    /// The HTTP status.
    pub status: u16,
    /// The JSON body.
    pub body: Value,
}

impl ApiResponse {
    pub(crate) fn ok(body: Value) -> Self {
        Self { status: 200, body }
    }

    /// A Cognito operation's answer: members the SDK read as absent are
    /// left out, never `null`, as Cognito's own JSON does.
    pub(crate) fn answer(mut body: Value) -> Self {
        without_nulls(&mut body);
        Self::ok(body)
    }

    /// An error in Cognito's shape.
    pub fn error(status: u16, error_type: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            body: json!({ "__type": error_type, "message": message.into() }),
        }
    }
}

/// API Gateway's answer for a route it does not have.
pub(crate) fn not_found() -> ApiResponse {
    ApiResponse::error(404, "ResourceNotFoundException", "Not Found")
}

/// The answer to a valid token of a player a route is not for (an admin
/// route's caller outside its group), in API Gateway's words.
#[cfg(any(feature = "local", feature = "lambda"))]
pub(crate) fn forbidden() -> ApiResponse {
    ApiResponse {
        status: 403,
        body: json!({"message": "Forbidden"}),
    }
}

/// Removes every `null` member of the objects in `value`.
fn without_nulls(value: &mut Value) {
    match value {
        Value::Object(members) => {
            members.retain(|_, member| !member.is_null());
            members.values_mut().for_each(without_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(without_nulls),
        _ => {}
    }
}

/// An error and its causes, as one line for a log.
pub(crate) fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
