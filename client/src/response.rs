//! Reading Cognito-shaped answers: the success bodies of each action and the
//! error shapes of Cognito, API Gateway and tutorial-style Lambdas.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::device::{Device, NewDevice, epoch_seconds};
use crate::error::{AuthError, RawBody, ServerErrorKind};
use crate::outcome::{Account, AuthOutcome, Challenge, CodeDelivery, Tokens};
use crate::request::AuthRequest;
use crate::secret::{AccessToken, AuthenticatorSecret, ChallengeSession, IdToken, RefreshToken};

/// One HTTP answer, as far as the parser needs it.
#[derive(Debug, Clone, Copy)]
pub struct Answer<'a> {
    /// The HTTP status.
    pub status: u16,
    /// The `x-amzn-ErrorType` header, if any.
    pub error_type_header: Option<&'a str>,
    /// The whole body.
    pub body: &'a [u8],
}

impl<'a> Answer<'a> {
    /// The answer as the user-pool API's protocol (`awsJson1_1`) means it:
    /// a success with an empty body is an output with no members, `{}`.
    /// Cognito may answer so an operation the AWS API model gives no output
    /// (`DeleteUser`, `ForgetDevice`). The login routes always answer JSON,
    /// so their empty body stays an error.
    pub fn aws_json(self) -> Self {
        if (200..300).contains(&self.status) && self.body.iter().all(u8::is_ascii_whitespace) {
            Self {
                body: b"{}",
                ..self
            }
        } else {
            self
        }
    }
}

/// The JSON object of a successful answer, or the error the answer is:
/// Cognito's typed errors, API Gateway's and a Lambda's failures, and
/// bodies that are not JSON objects.
pub(crate) fn checked_json(answer: Answer<'_>) -> Result<Value, AuthError> {
    let Answer {
        status,
        error_type_header,
        body,
    } = answer;
    let malformed = |reason: &str| AuthError::Malformed {
        status,
        reason: reason.to_owned(),
        body: RawBody::new(body),
    };
    let json = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Some(map),
        Ok(_) => return Err(malformed("the body is JSON but not an object")),
        Err(_) if body.iter().all(u8::is_ascii_whitespace) => None,
        Err(error) if error.is_eof() => return Err(malformed("the body is cut off")),
        Err(_) => None,
    };

    if !(200..300).contains(&status) {
        let Some(json) = json else {
            return match error_type_header {
                Some(error_type) => Err(server_error(error_type, String::new(), status)),
                None if body.iter().all(u8::is_ascii_whitespace) => {
                    Err(malformed("an error with an empty body"))
                }
                None => Err(malformed("an error whose body is not JSON")),
            };
        };
        let message = message_of(&json);
        return Err(match type_of(&json).or(error_type_header) {
            Some(error_type) => server_error(error_type, message, status),
            None => AuthError::Server {
                kind: untyped_kind(status),
                message,
                status,
            },
        });
    }

    let Some(json) = json else {
        return Err(if body.iter().all(u8::is_ascii_whitespace) {
            malformed("the body is empty")
        } else {
            malformed("the body is not JSON")
        });
    };
    // A Lambda failure passed through with status 200: {"errorType", "errorMessage"}.
    if let Some(error_type) = type_of(&json) {
        return Err(server_error(error_type, message_of(&json), status));
    }
    if json.contains_key("errorMessage") {
        return Err(AuthError::Server {
            kind: ServerErrorKind::InternalError,
            message: message_of(&json),
            status,
        });
    }

    Ok(Value::Object(json))
}

/// Turns the answer to `request` into its outcome or its error.
pub fn parse(
    request: &AuthRequest,
    answer: Answer<'_>,
    now: SystemTime,
) -> Result<AuthOutcome, AuthError> {
    let value = checked_json(answer)?;
    let malformed = |reason: &str| AuthError::Malformed {
        status: answer.status,
        reason: reason.to_owned(),
        body: RawBody::new(answer.body),
    };
    let decode_error = |error: serde_json::Error| malformed(&format!("unexpected shape: {error}"));
    match request {
        AuthRequest::SignUp { .. } => {
            let body: SignUpBody = serde_json::from_value(value).map_err(decode_error)?;
            Ok(AuthOutcome::SignedUp {
                confirmed: body.user_confirmed,
                user_sub: body.user_sub,
                delivery: body.code_delivery_details.map(Into::into),
            })
        }
        AuthRequest::ConfirmSignUp { .. } => Ok(AuthOutcome::Confirmed),
        AuthRequest::ResetPassword { .. } => Ok(AuthOutcome::PasswordReset),
        AuthRequest::SignOut { .. } | AuthRequest::SignOutEverywhere { .. } => {
            Ok(AuthOutcome::SignedOut)
        }
        AuthRequest::ChangePassword { .. } => Ok(AuthOutcome::PasswordChanged),
        AuthRequest::SetMfa { .. } => Ok(AuthOutcome::MfaSet),
        AuthRequest::VerifyEmail { .. } => Ok(AuthOutcome::EmailVerified),
        AuthRequest::ChangeEmail { .. } => {
            #[derive(Deserialize)]
            #[serde(rename_all = "PascalCase")]
            struct Body {
                #[serde(default)]
                code_delivery_details_list: Vec<DeliveryDetails>,
            }
            let body: Body = serde_json::from_value(value).map_err(decode_error)?;
            Ok(AuthOutcome::CodeSent(
                body.code_delivery_details_list
                    .into_iter()
                    .next()
                    .map(Into::into)
                    .unwrap_or_default(),
            ))
        }
        AuthRequest::AddAuthenticator { .. } => {
            #[derive(Deserialize)]
            #[serde(rename_all = "PascalCase")]
            struct Body {
                secret_code: String,
            }
            let body: Body = serde_json::from_value(value).map_err(decode_error)?;
            Ok(AuthOutcome::AuthenticatorSecret(AuthenticatorSecret::new(
                body.secret_code,
            )))
        }
        AuthRequest::VerifyAuthenticator { .. } => {
            #[derive(Deserialize)]
            #[serde(rename_all = "PascalCase")]
            struct Body {
                status: Option<String>,
            }
            let body: Body = serde_json::from_value(value).map_err(decode_error)?;
            match body.status.as_deref() {
                Some("SUCCESS") | None => Ok(AuthOutcome::AuthenticatorVerified),
                Some(_) => Err(AuthError::Server {
                    kind: ServerErrorKind::CodeMismatch,
                    message: "the authenticator code was not accepted".into(),
                    status: answer.status,
                }),
            }
        }
        AuthRequest::DeleteAccount { .. } => Ok(AuthOutcome::AccountDeleted),
        AuthRequest::RememberDevice { .. } => Ok(AuthOutcome::DeviceRemembered),
        AuthRequest::ForgetDevice { .. } => Ok(AuthOutcome::DeviceForgotten),
        AuthRequest::ListDevices { .. } => {
            let body: DevicesBody = serde_json::from_value(value).map_err(decode_error)?;
            Ok(AuthOutcome::Devices(
                body.devices
                    .into_iter()
                    // A device without a key (the model allows it) cannot
                    // be forgotten or marked: the list goes on without it.
                    .filter_map(|device| {
                        Some(Device {
                            name: device
                                .device_attributes
                                .into_iter()
                                .find(|attribute| attribute.name == "device_name")
                                .and_then(|attribute| attribute.value),
                            key: device.device_key?,
                            created: device.device_create_date.and_then(epoch_seconds),
                            last_signed_in: device
                                .device_last_authenticated_date
                                .and_then(epoch_seconds),
                        })
                    })
                    .collect(),
            ))
        }
        AuthRequest::GetAccount { .. } => {
            let body: AccountBody = serde_json::from_value(value).map_err(decode_error)?;
            Ok(AuthOutcome::Account(Account {
                username: body.username,
                attributes: body
                    .user_attributes
                    .into_iter()
                    .map(|attribute| (attribute.name, attribute.value.unwrap_or_default()))
                    .collect(),
                mfa_methods: body.user_mfa_setting_list,
                preferred_mfa: body.preferred_mfa_setting,
            }))
        }
        AuthRequest::ResendCode { .. }
        | AuthRequest::ForgotPassword { .. }
        | AuthRequest::ResendEmailCode { .. } => {
            let body: DeliveryBody = serde_json::from_value(value).map_err(decode_error)?;
            Ok(AuthOutcome::CodeSent(
                body.code_delivery_details
                    .map(Into::into)
                    .unwrap_or_default(),
            ))
        }
        AuthRequest::SignIn { .. }
        | AuthRequest::RespondToChallenge { .. }
        | AuthRequest::Refresh { .. } => {
            let body: AuthBody = serde_json::from_value(value).map_err(decode_error)?;
            if let Some(result) = body.authentication_result {
                let refresh_token =
                    result
                        .refresh_token
                        .map(RefreshToken::new)
                        .or_else(|| match request {
                            AuthRequest::Refresh { refresh_token, .. } => {
                                Some(refresh_token.clone())
                            }
                            _ => None,
                        });
                let mut tokens = Tokens::new(
                    AccessToken::new(result.access_token),
                    IdToken::new(result.id_token),
                    refresh_token,
                    result.expires_in,
                    now,
                );
                // The model leaves both keys optional: a device without one
                // cannot be remembered, and the sign-in stands.
                tokens.new_device = result.new_device_metadata.and_then(|device| {
                    Some(NewDevice {
                        key: device.device_key?,
                        group_key: device.device_group_key?,
                    })
                });
                return Ok(AuthOutcome::Tokens(tokens));
            }
            match (body.challenge_name, body.session) {
                (Some(name), session) => Ok(AuthOutcome::Challenge(Challenge {
                    name: name.into(),
                    session: ChallengeSession::new(session.unwrap_or_default()),
                    parameters: body
                        .challenge_parameters
                        .into_iter()
                        .map(|(key, value)| match value {
                            Value::String(text) => (key, text),
                            other => (key, other.to_string()),
                        })
                        .collect(),
                    authenticator: body.secret_code.map(AuthenticatorSecret::new),
                })),
                (None, _) => Err(malformed("neither tokens nor a challenge")),
            }
        }
    }
}

fn server_error(error_type: &str, message: String, status: u16) -> AuthError {
    AuthError::Server {
        kind: ServerErrorKind::from_type(error_type),
        message,
        status,
    }
}

/// The kind of an error that names no type: API Gateway's own answers.
fn untyped_kind(status: u16) -> ServerErrorKind {
    match status {
        429 => ServerErrorKind::TooManyRequests,
        404 | 405 | 501 => ServerErrorKind::Unsupported,
        500.. => ServerErrorKind::InternalError,
        _ => ServerErrorKind::Unknown(format!("HTTP {status}")),
    }
}

fn type_of(json: &Map<String, Value>) -> Option<&str> {
    ["__type", "errorType", "code"]
        .iter()
        .find_map(|key| json.get(*key)?.as_str())
        .filter(|name| !name.is_empty())
}

fn message_of(json: &Map<String, Value>) -> String {
    ["message", "Message", "errorMessage"]
        .iter()
        .find_map(|key| json.get(*key)?.as_str())
        .unwrap_or_default()
        .to_owned()
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SignUpBody {
    #[serde(default)]
    user_confirmed: bool,
    user_sub: Option<String>,
    code_delivery_details: Option<DeliveryDetails>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeliveryBody {
    code_delivery_details: Option<DeliveryDetails>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeliveryDetails {
    destination: Option<String>,
    delivery_medium: Option<String>,
    attribute_name: Option<String>,
}

impl From<DeliveryDetails> for CodeDelivery {
    fn from(details: DeliveryDetails) -> Self {
        Self {
            destination: details.destination.unwrap_or_default(),
            medium: details.delivery_medium.unwrap_or_default(),
            attribute: details.attribute_name.unwrap_or_default(),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AuthBody {
    authentication_result: Option<AuthResult>,
    challenge_name: Option<String>,
    session: Option<String>,
    #[serde(default)]
    challenge_parameters: BTreeMap<String, Value>,
    /// The login routes' own field: the authenticator secret of a
    /// `MFA_SETUP` challenge the backend started.
    secret_code: Option<String>,
}

/// `GetUser`'s answer.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AccountBody {
    username: String,
    #[serde(default)]
    user_attributes: Vec<AttributeBody>,
    #[serde(default, rename = "UserMFASettingList")]
    user_mfa_setting_list: Vec<String>,
    preferred_mfa_setting: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AttributeBody {
    name: String,
    value: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AuthResult {
    access_token: String,
    id_token: String,
    refresh_token: Option<String>,
    expires_in: Option<u64>,
    new_device_metadata: Option<NewDeviceBody>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct NewDeviceBody {
    device_key: Option<String>,
    device_group_key: Option<String>,
}

/// `ListDevices`' answer.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DevicesBody {
    #[serde(default)]
    devices: Vec<DeviceBody>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeviceBody {
    device_key: Option<String>,
    #[serde(default)]
    device_attributes: Vec<AttributeBody>,
    device_create_date: Option<f64>,
    device_last_authenticated_date: Option<f64>,
}

#[cfg(test)]
mod tests;
