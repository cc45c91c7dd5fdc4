//! Sign-in challenges come back as typed outcomes on both transports, with
//! their session and parameters; a challenge this client cannot answer is a
//! clear "not supported" error, never a hang.

use std::sync::{Arc, Mutex};

use cognito_login_client::{
    ApiGatewayConfig, ApiGatewayTransport, AuthError, AuthOutcome, AuthRequest, ChallengeName,
    SignInFlow, TokenCheck, Transport, UserPoolConfig, UserPoolTransport,
};
use serde_json::json;

use crate::support;

fn transports(url: &str) -> Vec<(&'static str, Box<dyn Transport>)> {
    let check = TokenCheck::new("https://issuer.example/pool", "client");
    let pool = UserPoolConfig::new("eu-west-1", "eu-west-1_Test", "client")
        .with_endpoint(url)
        .with_sign_in_flow(SignInFlow::UserPassword)
        .with_token_check(check.clone());
    vec![
        (
            "API Gateway",
            Box::new(ApiGatewayTransport::new(ApiGatewayConfig::new(url, check)).unwrap()),
        ),
        ("user pool", Box::new(UserPoolTransport::new(pool).unwrap())),
    ]
}

#[tokio::test]
async fn challenges_are_typed_on_both_transports() {
    let answer = Arc::new(Mutex::new(String::new()));
    let url = support::serve({
        let answer = Arc::clone(&answer);
        Arc::new(move |_, _| (200, answer.lock().unwrap().clone()))
    })
    .await;
    let sign_in = || AuthRequest::SignIn {
        username: "ada".into(),
        password: "Correct-Horse-1".into(),
        device: None,
    };
    for (name, transport) in transports(&url) {
        for (cognito_name, typed) in [
            ("NEW_PASSWORD_REQUIRED", ChallengeName::NewPasswordRequired),
            ("SOFTWARE_TOKEN_MFA", ChallengeName::SoftwareTokenMfa),
            ("SMS_MFA", ChallengeName::SmsMfa),
            ("EMAIL_OTP", ChallengeName::EmailOtp),
        ] {
            *answer.lock().unwrap() = json!({"ChallengeName": cognito_name, "Session": "s-1",
                "ChallengeParameters": {"CODE_DELIVERY_DESTINATION": "a***@e***"}})
            .to_string();
            let outcome = transport.send(sign_in()).await;
            let Ok(AuthOutcome::Challenge(challenge)) = outcome else {
                panic!("{name}, {cognito_name}: {outcome:?}")
            };
            assert_eq!(challenge.name, typed, "{name}");
            assert_eq!(challenge.session.expose(), "s-1");
            assert_eq!(
                challenge.parameters["CODE_DELIVERY_DESTINATION"],
                "a***@e***"
            );
        }
        for unknown in ["CUSTOM_CHALLENGE", "MFA_SETUP", "SELECT_MFA_TYPE"] {
            *answer.lock().unwrap() =
                json!({"ChallengeName": unknown, "Session": "s-1"}).to_string();
            let result = transport.send(sign_in()).await;
            let Err(error @ AuthError::Unsupported(_)) = &result else {
                panic!("{name}, {unknown}: {result:?}")
            };
            assert!(error.to_string().contains(unknown), "{error}");
            assert!(error.player_message().contains("not supported"));
        }
    }
}
