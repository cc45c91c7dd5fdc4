//! The routes' confidential server client: players sign up and in through
//! an app client whose secret only the routes hold, and Cognito is told the
//! player's address. End to end over the embedded emulator, and call by call
//! against a loopback Cognito that records what the SDK sends.

use std::net::IpAddr;

use cognito_login_backend::{Caller, Handlers, LocalConfig, LocalStack, ServerClient, local};
use cognito_login_client::{
    AuthAction, AuthError, AuthOutcome, AuthRequest, RefreshToken, ServerErrorKind, srp,
    unverified_claims,
};
use serde_json::{Value, json};

use crate::support::{self, Calls, Emulator, PASSWORD, Stack, Via, username};

fn claim(token: &str, name: &str) -> String {
    unverified_claims(token).unwrap()[name]
        .as_str()
        .unwrap()
        .to_owned()
}

fn not_authorized(result: &Result<AuthOutcome, AuthError>) -> bool {
    matches!(
        result,
        Err(AuthError::Server {
            kind: ServerErrorKind::NotAuthorized,
            ..
        })
    )
}

/// Through the routes: `refresh_token` is refreshed (the fresh tokens still
/// `client`'s), revoked, and then refused.
async fn refresh_then_revoke(stack: &Stack, refresh_token: RefreshToken, client: &str) {
    let refreshed = stack
        .ask(AuthRequest::Refresh {
            refresh_token: refresh_token.clone(),
            username: None,
        })
        .await;
    assert!(
        matches!(&refreshed, Ok(AuthOutcome::Tokens(fresh))
            if claim(fresh.access_token.expose(), "client_id") == client),
        "{refreshed:?}"
    );
    let signed_out = stack
        .ask(AuthRequest::SignOut {
            refresh_token: Some(refresh_token.clone()),
        })
        .await;
    assert_eq!(signed_out, Ok(AuthOutcome::SignedOut));
    let after = stack
        .ask(AuthRequest::Refresh {
            refresh_token,
            username: None,
        })
        .await;
    assert!(not_authorized(&after), "{after:?}");
}

/// A whole account's life through the routes, every call of it through the
/// server client; and a session of the public client (a browser sign-in's)
/// is still refreshed and revoked by the same routes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn players_sign_up_and_in_through_the_server_client() {
    let local = LocalStack::start(LocalConfig {
        server_client: true,
        ..LocalConfig::default()
    })
    .await
    .expect("the local stack starts");
    let endpoints = local.endpoints().clone();
    let server = endpoints.server_client_id.clone().expect("a server client");
    assert_ne!(server, endpoints.client_id);
    let public = support::worker(&endpoints.user_pool_config().into());
    let stack = Stack::over(Emulator::Cognitox, Via::ApiGateway, local);

    let user = username("server-client");
    assert!(matches!(
        stack.sign_up(&user).await,
        AuthOutcome::SignedUp {
            confirmed: false,
            ..
        }
    ));
    stack.confirm(&user).await;
    let tokens = stack.sign_in(&user, PASSWORD).await.expect("signed in");
    assert_eq!(claim(tokens.access_token.expose(), "client_id"), server);
    assert_eq!(claim(tokens.id_token.expose(), "aud"), server);

    // A password reset: its code and new password go through it too.
    let forgot = stack
        .ask(AuthRequest::ForgotPassword {
            username: user.clone(),
        })
        .await;
    assert!(matches!(forgot, Ok(AuthOutcome::CodeSent(_))), "{forgot:?}");
    let code = stack.code(&user, cognito_login_backend::CodePurpose::ResetPassword);
    let reset = stack
        .ask(AuthRequest::ResetPassword {
            username: user.clone(),
            code: code.into(),
            password: "Another-Pass-2".into(),
        })
        .await;
    assert_eq!(reset, Ok(AuthOutcome::PasswordReset));
    let tokens = stack
        .sign_in(&user, "Another-Pass-2")
        .await
        .expect("signed in with the new password");

    let refresh_token = tokens.refresh_token.clone().unwrap();
    refresh_then_revoke(&stack, refresh_token, &server).await;

    // The public client's session, as a browser sign-in makes one.
    let theirs = match support::ask(
        &public,
        AuthRequest::SignIn {
            username: user.clone(),
            password: "Another-Pass-2".into(),
            device: None,
        },
    )
    .await
    {
        Ok(AuthOutcome::Tokens(tokens)) => tokens,
        other => panic!("expected tokens, got {other:?}"),
    };
    assert_eq!(
        claim(theirs.access_token.expose(), "client_id"),
        endpoints.client_id
    );
    let refresh_token = theirs.refresh_token.unwrap();
    refresh_then_revoke(&stack, refresh_token, &endpoints.client_id).await;
}

/// A loopback "Cognito" that records each call and answers it as the API
/// model shapes the answer.
async fn recording_cognito() -> (String, Calls) {
    support::recording_cognito(|operation| {
        let tokens = json!({"AuthenticationResult": {"AccessToken": "a", "IdToken": "i",
            "RefreshToken": "r", "ExpiresIn": 3600, "TokenType": "Bearer"}});
        let answer = match operation {
            "SignUp" => json!({"UserConfirmed": false, "UserSub": "4f1c"}),
            "AdminInitiateAuth" | "GetTokensFromRefreshToken" => tokens,
            _ => json!({}),
        };
        (200, answer)
    })
    .await
}

/// Every call carries the hash of the secret (or the secret, where the API
/// takes it), and the player's address, as the API reference names them;
/// the secret itself never reaches an answer.
#[tokio::test]
async fn each_call_carries_the_secret_hash_and_the_players_address() {
    let (url, calls) = recording_cognito().await;
    let handlers = Handlers::new(local::sdk_client(&url), "public-client").with_server_client(
        ServerClient::new("eu-west-1_Pool", "server-client", "shh-secret"),
    );
    let player: IpAddr = "203.0.113.7".parse().unwrap();
    let caller = Caller::at(player).with_request(
        "api.example.com",
        [
            ("user-agent", "game/1.0"),
            ("authorization", "Bearer token"),
        ],
    );
    let hash = srp::secret_hash("shh-secret", "ada", "server-client");
    let handle = |action, body: Value| {
        let (handlers, caller, calls) = (&handlers, &caller, &calls);
        async move {
            let answer = handlers
                .handle_from(action, body.to_string().as_bytes(), caller)
                .await;
            assert_eq!(answer.status, 200, "{action:?}: {}", answer.body);
            assert!(!answer.body.to_string().contains("shh-secret"));
            calls.lock().unwrap().pop().unwrap()
        }
    };

    let (operation, sent) = handle(
        AuthAction::SignIn,
        json!({"username": "ada", "password": PASSWORD}),
    )
    .await;
    assert_eq!(operation, "AdminInitiateAuth");
    assert_eq!(sent["AuthFlow"], "ADMIN_USER_PASSWORD_AUTH");
    assert_eq!(sent["UserPoolId"], "eu-west-1_Pool");
    assert_eq!(sent["ClientId"], "server-client");
    assert_eq!(sent["AuthParameters"]["SECRET_HASH"], hash.as_str());
    assert_eq!(sent["ContextData"]["IpAddress"], "203.0.113.7");
    assert_eq!(sent["ContextData"]["ServerName"], "api.example.com");
    assert_eq!(sent["ContextData"]["ServerPath"], "/signin");
    assert_eq!(
        sent["ContextData"]["HttpHeaders"],
        json!([{"headerName": "user-agent", "headerValue": "game/1.0"}])
    );

    let (operation, sent) = handle(
        AuthAction::SignUp,
        json!({"username": "ada", "password": PASSWORD, "email": "ada@example.com"}),
    )
    .await;
    assert_eq!(operation, "SignUp");
    assert_eq!(sent["ClientId"], "server-client");
    assert_eq!(sent["SecretHash"], hash.as_str());
    assert_eq!(sent["UserContextData"]["IpAddress"], "203.0.113.7");

    for (action, body, name) in [
        (
            AuthAction::ConfirmSignUp,
            json!({"username": "ada", "code": "123456"}),
            "ConfirmSignUp",
        ),
        (
            AuthAction::ResendCode,
            json!({"username": "ada"}),
            "ResendConfirmationCode",
        ),
        (
            AuthAction::ForgotPassword,
            json!({"username": "ada"}),
            "ForgotPassword",
        ),
        (
            AuthAction::ResetPassword,
            json!({"username": "ada", "code": "123456", "password": PASSWORD}),
            "ConfirmForgotPassword",
        ),
    ] {
        let (operation, sent) = handle(action, body).await;
        assert_eq!(operation, name);
        assert_eq!(sent["SecretHash"], hash.as_str(), "{name}");
        assert_eq!(
            sent["UserContextData"]["IpAddress"], "203.0.113.7",
            "{name}"
        );
    }

    let (operation, sent) = handle(
        AuthAction::RespondToChallenge,
        json!({"username": "ada", "session": "s".repeat(20), "challengeName": "SOFTWARE_TOKEN_MFA",
            "answer": "123456"}),
    )
    .await;
    assert_eq!(operation, "AdminRespondToAuthChallenge");
    assert_eq!(sent["ChallengeResponses"]["SECRET_HASH"], hash.as_str());
    assert_eq!(
        sent["ChallengeResponses"]["SOFTWARE_TOKEN_MFA_CODE"],
        "123456"
    );
    assert_eq!(sent["ContextData"]["ServerPath"], "/challenge");

    let (operation, sent) = handle(AuthAction::Refresh, json!({"refreshToken": "r"})).await;
    assert_eq!(operation, "GetTokensFromRefreshToken");
    assert_eq!(
        (&sent["ClientId"], &sent["ClientSecret"]),
        (&json!("server-client"), &json!("shh-secret"))
    );
    let (operation, sent) = handle(AuthAction::SignOut, json!({"refreshToken": "r"})).await;
    assert_eq!(operation, "RevokeToken");
    assert_eq!(sent["ClientSecret"], "shh-secret");

    // Without an address (a call from no known peer) no context is made up.
    let answer = handlers
        .handle(
            AuthAction::SignIn,
            json!({"username": "ada", "password": PASSWORD})
                .to_string()
                .as_bytes(),
        )
        .await;
    assert_eq!(answer.status, 200);
    let (_, sent) = calls.lock().unwrap().pop().unwrap();
    assert!(sent.get("ContextData").is_none(), "{sent}");
}

/// The server client against moto, a second emulator with another reading
/// of the API: the secret made and read back from the pool, a sign-up with
/// its secret hash, the admin sign-in (`ADMIN_USER_PASSWORD_AUTH`) with the
/// player's context, and a wrong password refused, all through the routes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_client_signs_players_in_on_moto_too() {
    let moto = support::Moto::start();
    let sdk = local::sdk_client(&moto.endpoint);
    let pool = moto.create_pool("server-client").await;
    let local = LocalStack::start(LocalConfig {
        cognito_endpoint: Some(moto.endpoint.clone()),
        user_pool_id: Some(pool.clone()),
        server_client: true,
        ..LocalConfig::default()
    })
    .await
    .expect("the local stack starts over moto");
    let server = local
        .endpoints()
        .server_client_id
        .clone()
        .expect("a server client");
    let routes =
        support::worker(&cognito_login_client::ApiGatewayConfig::unverified(local.url()).into());

    let user = username("moto-server");
    let signed_up = support::ask(
        &routes,
        AuthRequest::SignUp {
            username: user.clone(),
            password: PASSWORD.into(),
            email: format!("{user}@example.com"),
            locale: None,
        },
    )
    .await;
    assert!(
        matches!(signed_up, Ok(AuthOutcome::SignedUp { .. })),
        "{signed_up:?}"
    );
    sdk.admin_confirm_sign_up()
        .user_pool_id(&pool)
        .username(&user)
        .send()
        .await
        .expect("moto confirms the account");
    let signed_in = support::ask(
        &routes,
        AuthRequest::SignIn {
            username: user.clone(),
            password: PASSWORD.into(),
            device: None,
        },
    )
    .await;
    let Ok(AuthOutcome::Tokens(tokens)) = signed_in else {
        panic!("expected tokens, got {signed_in:?}");
    };
    assert_eq!(claim(tokens.access_token.expose(), "client_id"), server);
    let wrong = support::ask(
        &routes,
        AuthRequest::SignIn {
            username: user.clone(),
            password: "Wrong-Pass-9".into(),
            device: None,
        },
    )
    .await;
    assert!(not_authorized(&wrong), "{wrong:?}");
    // moto has no GetTokensFromRefreshToken, the server client's refresh
    // (the guide's emulator table): cognitox's test refreshes.
}
