//! Cognito's answers and errors turned into the routes' answers, in
//! Cognito's own shapes.

use std::collections::HashMap;

use aws_sdk_cognitoidentityprovider::config::http::HttpResponse;
use aws_sdk_cognitoidentityprovider::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cognitoidentityprovider::types::{
    AuthenticationResultType, ChallengeNameType, CodeDeliveryDetailsType,
};
use cognito_login_client::ChallengeName;
use serde_json::{Map, Value, json};

use crate::answer::{ApiResponse, error_chain};

/// Keeps Cognito's error type and message, and its status for service errors.
pub(super) fn cognito_error<E>(error: SdkError<E, HttpResponse>) -> ApiResponse
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match &error {
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            let error = service.err();
            ApiResponse::error(
                if (400..600).contains(&status) {
                    status
                } else {
                    400
                },
                normalize_type(error.code().unwrap_or("UnknownError")),
                error.message().unwrap_or_default(),
            )
        }
        SdkError::TimeoutError(_) => ApiResponse::error(
            504,
            "InternalErrorException",
            "Cognito did not answer in time",
        ),
        _ => {
            tracing::warn!(error = %error_chain(&error), "Cognito call failed");
            ApiResponse::error(
                502,
                "InternalErrorException",
                "Cognito could not be reached",
            )
        }
    }
}

/// Cognito error codes as clients expect them: `NotAuthorizedException`.
fn normalize_type(code: &str) -> &str {
    code.rsplit('#').next().unwrap_or(code)
}

pub(super) fn delivery_json(details: &CodeDeliveryDetailsType) -> Value {
    let mut body = Map::new();
    if let Some(destination) = details.destination() {
        body.insert("Destination".into(), destination.into());
    }
    if let Some(medium) = details.delivery_medium() {
        body.insert("DeliveryMedium".into(), medium.as_str().into());
    }
    if let Some(attribute) = details.attribute_name() {
        body.insert("AttributeName".into(), attribute.into());
    }
    Value::Object(body)
}

pub(super) fn delivery_response(details: Option<&CodeDeliveryDetailsType>) -> ApiResponse {
    ApiResponse::answer(match details {
        Some(details) => json!({ "CodeDeliveryDetails": delivery_json(details) }),
        None => json!({}),
    })
}

pub(super) fn auth_response(
    result: Option<&AuthenticationResultType>,
    challenge: Option<&ChallengeNameType>,
    session: Option<&str>,
    parameters: Option<&HashMap<String, String>>,
    secret_code: Option<&str>,
) -> ApiResponse {
    let mut body = Map::new();
    if let Some(result) = result {
        let mut tokens = Map::new();
        for (key, value) in [
            ("AccessToken", result.access_token()),
            ("IdToken", result.id_token()),
            ("RefreshToken", result.refresh_token()),
            ("TokenType", result.token_type()),
        ] {
            if let Some(value) = value {
                tokens.insert(key.into(), value.into());
            }
        }
        // The SDK reads a missing ExpiresIn as 0: leave it out then.
        if result.expires_in() > 0 {
            tokens.insert("ExpiresIn".into(), result.expires_in().into());
        }
        if let Some(device) = result.new_device_metadata() {
            tokens.insert(
                "NewDeviceMetadata".into(),
                json!({"DeviceKey": device.device_key(), "DeviceGroupKey": device.device_group_key()}),
            );
        }
        body.insert("AuthenticationResult".into(), Value::Object(tokens));
    }
    if let Some(challenge) = challenge {
        body.insert(
            "ChallengeName".into(),
            ChallengeName::from(challenge.as_str().to_owned())
                .as_str()
                .into(),
        );
    }
    if let Some(session) = session {
        body.insert("Session".into(), session.into());
    }
    if let Some(parameters) = parameters {
        let parameters: Map<String, Value> = parameters
            .iter()
            .map(|(key, value)| (key.clone(), value.as_str().into()))
            .collect();
        body.insert("ChallengeParameters".into(), Value::Object(parameters));
    }
    if let Some(secret_code) = secret_code {
        body.insert("SecretCode".into(), secret_code.into());
    }
    ApiResponse::answer(Value::Object(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cognito_answers_leave_absent_members_out() {
        let answer = ApiResponse::answer(json!({"SecretCode": null, "Devices": [
            {"DeviceKey": "k", "DeviceCreateDate": null, "DeviceAttributes": [{"Name": "n", "Value": null}]}]}));
        assert_eq!(
            answer.body,
            json!({"Devices": [{"DeviceKey": "k", "DeviceAttributes": [{"Name": "n"}]}]})
        );
    }
}
