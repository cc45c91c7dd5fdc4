//! The account's routes forward each action to Cognito as the game's direct
//! transport sends it, and answer with Cognito's answer as it came, against
//! a loopback Cognito that records every call.

use cognito_login_backend::{Handlers, local};
use cognito_login_client::{
    AuthAction, AuthError, AuthRequest, MfaMethod, ServerErrorKind, Transport, UserPoolConfig,
    UserPoolTransport,
};
use serde_json::{Value, json};

use crate::support;

/// What the loopback Cognito answers: a member no version of the backend
/// knows, a page token, and an error with its namespace.
fn cognito_answer(operation: &str) -> (u16, Value) {
    match operation {
        "GetUser" => (
            200,
            json!({"Username": "ada", "UserAttributes": [{"Name": "email", "Value": "ada@example.com"}],
                "UserMFASettingList": ["EMAIL_OTP"], "AMemberOfNextYear": {"kept": true}}),
        ),
        "ListDevices" => (200, json!({"Devices": [], "PaginationToken": "next-page"})),
        "ForgetDevice" => (
            400,
            json!({"__type": "com.amazonaws.cognito.identity.idp#NotAuthorizedException",
                "message": "Access Token has been revoked"}),
        ),
        _ => (200, json!({})),
    }
}

#[tokio::test]
async fn the_account_routes_send_the_direct_transports_calls_and_answer_cognitos_answers() {
    let (url, calls) = support::recording_cognito(cognito_answer).await;
    let routes =
        Handlers::new(local::sdk_client(&url), "public-client").with_cognito_endpoint(&url);
    let direct = UserPoolTransport::new(
        UserPoolConfig::new("eu-west-1", "eu-west-1_Pool", "public-client").with_endpoint(&url),
    )
    .unwrap();
    let access_token = || "the-players.access.token".into();
    let requests = [
        AuthRequest::SignOutEverywhere {
            access_token: access_token(),
        },
        AuthRequest::ChangePassword {
            access_token: access_token(),
            previous: "Old-Pass-1".into(),
            proposed: "New-Pass-2".into(),
        },
        AuthRequest::GetAccount {
            access_token: access_token(),
        },
        AuthRequest::DeleteAccount {
            access_token: access_token(),
        },
        AuthRequest::ChangeEmail {
            access_token: access_token(),
            email: "ada@example.org".into(),
        },
        AuthRequest::ResendEmailCode {
            access_token: access_token(),
        },
        AuthRequest::VerifyEmail {
            access_token: access_token(),
            code: "123456".into(),
        },
        AuthRequest::AddAuthenticator {
            access_token: access_token(),
        },
        AuthRequest::VerifyAuthenticator {
            access_token: access_token(),
            code: "654321".into(),
            device_name: "Phone".into(),
        },
        AuthRequest::SetMfa {
            access_token: access_token(),
            method: MfaMethod::Email,
            enabled: true,
        },
        AuthRequest::ListDevices {
            access_token: access_token(),
        },
        AuthRequest::ForgetDevice {
            access_token: access_token(),
            device_key: "eu-west-1_0a1b2c3d-0000-4000-8000-00000000abcd".into(),
        },
    ];
    for request in requests {
        let action = request.action();
        let answer = routes
            .handle(action, request.to_body().to_string().as_bytes())
            .await;
        let routed: Vec<_> = calls.lock().unwrap().drain(..).collect();
        let direct_result = direct.send(request.clone()).await;
        let sent: Vec<_> = calls.lock().unwrap().drain(..).collect();
        assert_eq!(routed.len(), 1, "{action:?}: {routed:?}");
        assert_eq!(routed[0].0, action.operation(), "{action:?}");
        assert_eq!(
            routed, sent,
            "{action:?}: the routes send what the game would"
        );

        let (status, cognito) = cognito_answer(action.operation());
        if status == 200 {
            assert_eq!(answer.status, 200, "{action:?}: {}", answer.body);
            assert_eq!(
                answer.body, cognito,
                "{action:?}: Cognito's answer as it came"
            );
        } else {
            assert_eq!(answer.status, 400, "{action:?}");
            assert_eq!(
                answer.body,
                json!({"__type": "NotAuthorizedException",
                    "message": "Access Token has been revoked"})
            );
            assert!(
                matches!(
                    direct_result,
                    Err(AuthError::Server {
                        kind: ServerErrorKind::NotAuthorized,
                        ..
                    })
                ),
                "{direct_result:?}"
            );
        }
    }
}

/// Each route's body is read as its request before Cognito is called: what
/// is missing or wrong is named, never its value.
#[tokio::test]
async fn a_body_that_is_not_its_request_is_refused_by_name() {
    let (url, calls) = support::recording_cognito(cognito_answer).await;
    let routes =
        Handlers::new(local::sdk_client(&url), "public-client").with_cognito_endpoint(&url);
    for (action, body, message) in [
        (
            AuthAction::SignOut,
            json!({}),
            "missing field `refreshToken`",
        ),
        (
            AuthAction::ForgetDevice,
            json!({"accessToken": "a"}),
            "missing field `deviceKey`",
        ),
        (
            AuthAction::SetMfa,
            json!({"accessToken": "a", "method": "Hunter2", "enabled": true}),
            "method has the wrong type or value",
        ),
        (
            AuthAction::SignUp,
            json!({"username": "ada", "password": 7, "email": "ada@example.com"}),
            "password has the wrong type or value",
        ),
        (
            AuthAction::ResetPassword,
            json!(["Hunter2"]),
            "the body is not a JSON object of the route's members",
        ),
    ] {
        let answer = routes.handle(action, body.to_string().as_bytes()).await;
        assert_eq!(answer.status, 400, "{action:?}");
        assert_eq!(
            answer.body,
            json!({"__type": "InvalidParameterException",
                "message": format!("invalid request body: {message}")}),
            "{action:?}"
        );
    }
    assert!(calls.lock().unwrap().is_empty(), "Cognito was never called");
}
