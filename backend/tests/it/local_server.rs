//! The local server itself: what it answers to bad requests, and users that
//! survive a restart when a data file is given.

use crate::support;

use cognito_login_backend::{LocalConfig, LocalStack};
use serde_json::Value;
use support::{Emulator, PASSWORD, Stack, Via, username};

async fn post(url: &str, body: impl Into<reqwest::Body>) -> (u16, Value) {
    let response = support::http()
        .build()
        .unwrap()
        .post(url)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let json = serde_json::from_slice(&response.bytes().await.unwrap()).expect("a JSON body");
    (status, json)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_cognito_shaped_errors() {
    let stack = Stack::start(Emulator::Cognitox).await;
    let url = stack.local.url();

    let (status, body) = post(&format!("{url}/signin"), "{not json").await;
    assert_eq!(
        (status, body["__type"].as_str()),
        (400, Some("InvalidParameterException"))
    );

    let (status, body) = post(&format!("{url}/signup"), r#"{"username":"ada"}"#).await;
    assert_eq!(status, 400);
    assert!(
        body["message"].as_str().unwrap().contains("password"),
        "{body}"
    );

    let (status, body) = post(&format!("{url}/no-such-route"), "{}").await;
    assert_eq!((status, body["message"].as_str()), (404, Some("Not Found")));

    let (status, _) = post(&format!("{url}/signin"), vec![b' '; 1 << 20]).await;
    assert_eq!(status, 413);

    // A device's proof carries only the device's own responses: nothing
    // that would answer another challenge for it.
    let smuggled = r#"{"username":"ada","session":"a-session-of-twenty-chars","challengeName":"DEVICE_SRP_AUTH",
        "answer":"","responses":{"NEW_PASSWORD":"Taken-Over-1"}}"#;
    let (status, body) = post(&format!("{url}/challenge"), smuggled).await;
    assert_eq!(
        (status, body["__type"].as_str()),
        (400, Some("InvalidParameterException"))
    );
    assert!(
        body["message"].as_str().unwrap().contains("NEW_PASSWORD"),
        "{body}"
    );

    // Nothing above broke the server.
    let user = username("after-bad-requests");
    stack.sign_up(&user).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_survive_a_restart_with_a_data_file() {
    let dir = tempfile::tempdir().unwrap();
    let data_file = dir.path().join("local-data").join("users.json");
    let config = LocalConfig {
        data_file: Some(data_file.clone()),
        ..LocalConfig::default()
    };
    let user = username("persisted");

    let first = LocalStack::start(config.clone()).await.unwrap();
    let stack = Stack::over(Emulator::Cognitox, Via::ApiGateway, first);
    stack.sign_up(&user).await;
    stack.confirm(&user).await;
    let (pool, client) = (
        stack.local.user_pool_id().to_owned(),
        stack.local.client_id().to_owned(),
    );
    stack.local.shutdown().await;
    #[cfg(unix)]
    {
        // Password hashes, refresh tokens and pending codes: this user's only.
        use std::os::unix::fs::PermissionsExt;
        let mode =
            |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(data_file.parent().unwrap()), 0o700);
        assert_eq!(mode(&data_file), 0o600);
    }

    let second = LocalStack::start(config).await.unwrap();
    assert_eq!(
        (second.user_pool_id(), second.client_id()),
        (pool.as_str(), client.as_str())
    );
    let stack = Stack::over(Emulator::Cognitox, Via::ApiGateway, second);
    stack
        .sign_in(&user, PASSWORD)
        .await
        .expect("the account is still there");
}

/// An address past its limit is answered `TooManyRequestsException` (429),
/// which the game reads as throttling; another address, and the routes of
/// a signed-in player, are not counted with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_past_its_limit_is_told_to_wait_and_no_other_is() {
    use cognito_login_backend::limit::AddressLimits;
    use cognito_login_client::{AuthOutcome, AuthRequest, ServerErrorKind};
    // One window for the whole test: no boundary to cross mid-test.
    let limits = AddressLimits {
        sign_in: 3,
        sign_up: 2,
        window: std::time::Duration::from_secs(1 << 33),
    };
    let local = LocalStack::start(LocalConfig {
        address_limits: Some(limits),
        ..LocalConfig::default()
    })
    .await
    .unwrap();
    let url = local.url().to_owned();
    let stack = Stack::over(Emulator::Cognitox, Via::ApiGateway, local);
    let user = username("limited");
    stack.sign_up(&user).await;
    stack.confirm(&user).await;
    let throttled = |result: Result<AuthOutcome, _>| {
        let error: cognito_login_client::AuthError = result.expect_err("refused past the limit");
        assert_eq!(
            error.server_kind(),
            Some(&ServerErrorKind::TooManyRequests),
            "{error:?}"
        );
    };
    throttled(
        stack
            .ask(AuthRequest::ResendCode {
                username: user.clone(),
            })
            .await,
    );

    let mut tokens = None;
    for _ in 0..3 {
        tokens = Some(
            stack
                .sign_in(&user, PASSWORD)
                .await
                .expect("within the limit"),
        );
    }
    throttled(
        stack
            .sign_in(&user, PASSWORD)
            .await
            .map(AuthOutcome::Tokens),
    );
    let refreshed = stack
        .ask(AuthRequest::Refresh {
            refresh_token: tokens.unwrap().refresh_token.unwrap(),
            username: None,
        })
        .await;
    assert!(
        matches!(refreshed, Ok(AuthOutcome::Tokens(_))),
        "{refreshed:?}"
    );

    // Another loopback address is another player.
    let other = support::http()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .unwrap()
        .post(format!("{url}/signin"))
        .body(format!(
            r#"{{"username":"{user}","password":"{PASSWORD}"}}"#
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 200);
}

/// Calls an operation of the emulator's user-pool API with a JSON body, as
/// the AWS SDKs do (`awsJson1_1`), and returns its answer.
async fn cognito_call(endpoint: &str, operation: &str, body: Value) -> Value {
    let response = support::http()
        .build()
        .unwrap()
        .post(endpoint)
        .header("content-type", "application/x-amz-json-1.1")
        .header(
            "x-amz-target",
            format!("AWSCognitoIdentityProviderService.{operation}"),
        )
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{operation}: {}",
        response.status()
    );
    serde_json::from_slice(&response.bytes().await.unwrap()).unwrap()
}

/// Whether every member of `expected` is in `actual` with the same value
/// (`actual` may hold more, as the service's defaults).
fn holds(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Object(actual), Value::Object(expected)) => expected
            .iter()
            .all(|(key, value)| actual.get(key).is_some_and(|found| holds(found, value))),
        _ => actual == expected,
    }
}

/// One pool definition: the local stack's pool and app client are made
/// from the template's `UserPool` and `GameClient` at their default
/// parameters, so what the tests exercise is what a studio deploys (as far
/// as the emulator acts on it: the guide's table).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_pool_is_the_templates() {
    use cognito_login_backend::local::Template;
    let stack = Stack::start(Emulator::Cognitox).await;
    let endpoint = stack.local.cognito_endpoint().to_owned();
    let template = Template::built_in();

    let mut pool = cognito_call(
        &endpoint,
        "DescribeUserPool",
        serde_json::json!({"UserPoolId": stack.local.user_pool_id()}),
    )
    .await["UserPool"]
        .take();
    // cognitox spells the recovery options in capitals (the guide's table).
    for mechanism in pool["AccountRecoverySetting"]["RecoveryMechanisms"]
        .as_array_mut()
        .into_iter()
        .flatten()
    {
        let name = mechanism["Name"]
            .as_str()
            .unwrap_or_default()
            .to_lowercase();
        mechanism["Name"] = name.into();
    }
    let defined = template.properties("UserPool");
    // Every setting the template gives the pool is compared below, but for
    // what only AWS acts on (the tier, the MFA methods, the triggers) and
    // what cognitox's data file cannot hold (the guide's table).
    let compared = [
        "UsernameConfiguration",
        "AliasAttributes",
        "AutoVerifiedAttributes",
        "MfaConfiguration",
        "DeviceConfiguration",
        "AccountRecoverySetting",
        "UserAttributeUpdateSettings",
        "DeletionProtection",
    ];
    let not_compared = [
        "UserPoolTier",
        "EnabledMfas",
        "Policies",
        "Schema",
        "VerificationMessageTemplate",
        "EmailConfiguration",
    ];
    for setting in defined.keys() {
        assert!(
            compared.contains(&setting.as_str()) || not_compared.contains(&setting.as_str()),
            "the template's {setting} is neither compared nor a known exception"
        );
    }
    for setting in compared
        .into_iter()
        .filter(|setting| !not_compared.contains(setting))
    {
        let expected = defined
            .get(setting)
            .unwrap_or_else(|| panic!("the template sets {setting}"));
        assert!(
            holds(&pool[setting], expected),
            "{setting}: the local pool has {}, the template {expected}",
            pool[setting]
        );
    }

    let client = &cognito_call(
        &endpoint,
        "DescribeUserPoolClient",
        serde_json::json!({"UserPoolId": stack.local.user_pool_id(),
            "ClientId": stack.local.client_id()}),
    )
    .await["UserPoolClient"];
    let defined = template.properties("GameClient");
    for setting in [
        "ExplicitAuthFlows",
        "EnableTokenRevocation",
        "PreventUserExistenceErrors",
        "AccessTokenValidity",
        "IdTokenValidity",
        "RefreshTokenValidity",
        "TokenValidityUnits",
        "AllowedOAuthFlows",
        "AllowedOAuthScopes",
        "SupportedIdentityProviders",
    ] {
        let expected = defined
            .get(setting)
            .unwrap_or_else(|| panic!("the template sets {setting}"));
        assert!(
            holds(&client[setting], expected),
            "{setting}: the local client has {}, the template {expected}",
            client[setting]
        );
    }
}

/// The emulator keeps no password policy (its data file cannot hold
/// `Policies`); the local stack holds new passwords to the template's, on
/// both transports, with Cognito's error and words.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_passwords_are_held_to_the_templates_policy() {
    use cognito_login_client::{AuthError, AuthRequest, ServerErrorKind};
    for via in [Via::ApiGateway, Via::UserPool] {
        let local = LocalStack::start(LocalConfig::default()).await.unwrap();
        let stack = Stack::over(Emulator::Cognitox, via, local);
        let user = username(&format!("policy-{via:?}"));
        let weak = |password: &str| AuthRequest::SignUp {
            username: user.clone(),
            password: password.into(),
            email: format!("{user}@example.com"),
            locale: None,
        };
        for (password, words) in [
            ("Se-1", "Password not long enough"),
            ("secret-pass-1", "Password must have uppercase characters"),
            ("SecretPass12", "Password must have symbol characters"),
        ] {
            match stack.ask(weak(password)).await {
                Err(AuthError::Server { kind, message, .. }) => {
                    assert_eq!(kind, ServerErrorKind::InvalidPassword, "{via:?} {password}");
                    assert_eq!(
                        message,
                        format!("Password did not conform with policy: {words}"),
                        "{via:?}"
                    );
                }
                other => panic!("{via:?} {password}: expected a refusal, got {other:?}"),
            }
        }
        // No account was made; a password that keeps the policy makes one,
        // and a change to a weak one is refused too.
        stack.sign_up(&user).await;
        stack.confirm(&user).await;
        let tokens = stack.sign_in(&user, PASSWORD).await.expect("signed in");
        let changed = stack
            .ask(AuthRequest::ChangePassword {
                access_token: tokens.access_token.clone(),
                previous: PASSWORD.into(),
                proposed: "password".into(),
            })
            .await;
        assert!(
            matches!(
                &changed,
                Err(AuthError::Server {
                    kind: ServerErrorKind::InvalidPassword,
                    ..
                })
            ),
            "{via:?}: {changed:?}"
        );
    }
}
