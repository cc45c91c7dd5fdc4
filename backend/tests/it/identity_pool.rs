//! The client's identity-pool calls against moto's cognito-identity server:
//! a guest identity and its credentials, and a signed-in player's. moto
//! checks no login and no pool setting (the guide's table), so what
//! Cognito refuses is tested against a loopback server with Cognito's
//! documented answers.

use std::time::SystemTime;

use cognito_login_client::{
    AuthError, IdentityPoolClient, IdentityPoolConfig, Login, ServerErrorKind,
};
use serde_json::{Value, json};

use crate::support::{self, Moto};

/// Creates an identity pool on `moto` for the user pool `user_pool_id`.
async fn identity_pool(moto: &Moto, user_pool_id: &str, guests: bool) -> String {
    let answer = support::http()
        .build()
        .unwrap()
        .post(&moto.endpoint)
        .header("content-type", "application/x-amz-json-1.1")
        .header(
            "x-amz-target",
            "AWSCognitoIdentityService.CreateIdentityPool",
        )
        .body(
            json!({"IdentityPoolName": "game", "AllowUnauthenticatedIdentities": guests,
                "CognitoIdentityProviders": [{"ProviderName": Login::provider_name(user_pool_id),
                    "ClientId": "1example23456789", "ServerSideTokenCheck": true}]})
            .to_string(),
        )
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let answer: Value = serde_json::from_slice(&answer).unwrap();
    answer["IdentityPoolId"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_and_a_player_get_credentials_for_their_identity() {
    let moto = Moto::start();
    let pool = identity_pool(&moto, "eu-west-1_Game", true).await;
    let client = IdentityPoolClient::new(
        IdentityPoolConfig::new(pool.clone()).with_endpoint(&moto.endpoint),
    )
    .unwrap();

    let guest = client.get_id(None).await.expect("a guest identity");
    assert!(
        guest.starts_with(pool.split(':').next().unwrap()),
        "{guest}"
    );
    let credentials = client.credentials(&guest, None).await.expect("credentials");
    assert_eq!(credentials.identity_id, guest);
    assert!(!credentials.access_key_id.is_empty());
    assert!(!credentials.secret_key.is_empty() && !credentials.session_token.is_empty());
    assert!(
        credentials
            .expiration
            .is_some_and(|at| at > SystemTime::now()),
        "{:?}",
        credentials.expiration
    );
    let printed = format!("{credentials:?}");
    for secret in [
        credentials.secret_key.expose(),
        credentials.session_token.expose(),
    ] {
        assert!(!printed.contains(secret), "{printed}");
    }

    let login = Login::user_pool("eu-west-1_Game", "header.claims.signature".into());
    assert_eq!(
        login.provider,
        "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Game"
    );
    let player = client.get_id(Some(&login)).await.expect("an identity");
    let credentials = client
        .credentials(&player, Some(&login))
        .await
        .expect("credentials");
    assert_eq!(credentials.identity_id, player);
}

/// Cognito's answers when a login already belongs to another identity and
/// when guests are not allowed, from a loopback server: the player's
/// message, and the error kind a game tells apart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cognitos_refusals_arrive_as_its_errors() {
    let app = axum::Router::new().fallback(|body: axum::body::Bytes| async move {
        let body: Value = serde_json::from_slice(&body).unwrap();
        let (kind, message) = match body.get("Logins") {
            Some(_) => (
                "ResourceConflictException",
                "Logins don't match. Please include at least one valid login for this identity or identity pool.",
            ),
            None => (
                "NotAuthorizedException",
                "Unauthenticated access is not supported for this identity pool.",
            ),
        };
        (
            axum::http::StatusCode::BAD_REQUEST,
            [("content-type", "application/x-amz-json-1.1")],
            json!({"__type": kind, "message": message}).to_string(),
        )
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let client = IdentityPoolClient::new(
        IdentityPoolConfig::new("eu-west-1:00000000-0000-0000-0000-000000000000")
            .with_endpoint(url),
    )
    .unwrap();
    match client.get_id(None).await {
        Err(AuthError::Server { kind, .. }) => assert_eq!(kind, ServerErrorKind::NotAuthorized),
        other => panic!("{other:?}"),
    }
    let login = Login::user_pool("eu-west-1_Game", "t".into());
    match client.credentials("eu-west-1:guest", Some(&login)).await {
        Err(AuthError::Server { kind, .. }) => assert_eq!(
            kind,
            ServerErrorKind::Unknown("ResourceConflictException".into())
        ),
        other => panic!("{other:?}"),
    }
    assert!(
        IdentityPoolClient::new(IdentityPoolConfig::new("no-region")).is_err(),
        "an id without its region"
    );
}

/// A session with an identity pool: each sign-in brings the player's
/// credentials, for the identity of that login; a sign-out drops them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_brings_the_signed_in_players_credentials() {
    use std::time::{Duration, Instant};

    use cognito_login_client::{
        AuthEvent, AuthOutcome, AuthRequest, AuthWorker, BoxFuture, Session, SessionPolicy, Tokens,
        Transport,
    };

    /// Signs anyone in with unsigned tokens (the identity pool's moto
    /// checks no login).
    struct Pool;
    impl Transport for Pool {
        fn send(&self, request: AuthRequest) -> BoxFuture<'_, Result<AuthOutcome, AuthError>> {
            Box::pin(async move {
                Ok(match request {
                    AuthRequest::SignIn { .. } => {
                        let claims = json!({"sub": "4f1c", "cognito:username": "ada"});
                        let jwt = format!(
                            "e30.{}.c2ln",
                            base64::Engine::encode(
                                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                                claims.to_string()
                            )
                        );
                        AuthOutcome::Tokens(Tokens::new(
                            jwt.clone().into(),
                            jwt.into(),
                            Some("r".into()),
                            Some(3600),
                            SystemTime::now(),
                        ))
                    }
                    _ => AuthOutcome::SignedOut,
                })
            })
        }
    }

    let moto = Moto::start();
    let pool = identity_pool(&moto, "eu-west-1_Game", false).await;
    let client =
        IdentityPoolClient::new(IdentityPoolConfig::new(pool).with_endpoint(&moto.endpoint))
            .unwrap();
    let mut session = Session::new(
        AuthWorker::spawn(Pool).unwrap(),
        None,
        SessionPolicy::default(),
    )
    .with_identity_pool(client, "eu-west-1_Game");
    session
        .send(AuthRequest::SignIn {
            username: "ada".into(),
            password: "Secret-Pass-1".into(),
            device: None,
        })
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = Vec::new();
    let issued = loop {
        session.update(Instant::now(), SystemTime::now());
        if let Some(event) = session.next_event() {
            if let AuthEvent::CredentialsIssued(credentials) = event {
                break credentials;
            }
            seen.push(event);
            continue;
        }
        assert!(Instant::now() < deadline, "no credentials; saw {seen:?}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    assert!(
        matches!(seen[0], AuthEvent::SignedIn { .. }),
        "the sign-in comes first: {seen:?}"
    );
    assert_eq!(session.credentials(), Some(&*issued));
    session.sign_out().unwrap();
    assert_eq!(session.credentials(), None, "a sign-out drops them");
}

/// The local stack's identity pool, over the local user pool: a guest's
/// identity carries on when the guest signs in (the upgrade), a second
/// guest cannot take that player's login (the conflict), a forged token is
/// refused, and a stack without guests gives none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_who_signs_in_keeps_their_identity_on_the_local_stack() {
    use cognito_login_backend::{LocalConfig, LocalStack};

    use crate::support::{Emulator, PASSWORD, Stack, Via, username};

    let local = LocalStack::start(LocalConfig {
        guest_access: true,
        ..LocalConfig::default()
    })
    .await
    .unwrap();
    let client = IdentityPoolClient::new(local.endpoints().identity_pool_config()).unwrap();
    let user_pool_id = local.user_pool_id().to_owned();
    let stack = Stack::over(Emulator::Cognitox, Via::ApiGateway, local);

    let guest = client.get_id(None).await.expect("a guest identity");
    let as_guest = client
        .credentials(&guest, None)
        .await
        .expect("guest credentials");
    assert!(
        as_guest.access_key_id.starts_with("LOCAL"),
        "only the local stack's"
    );

    let user = username("guest-upgrade");
    stack.sign_up(&user).await;
    stack.confirm(&user).await;
    let tokens = stack.sign_in(&user, PASSWORD).await.expect("signed in");
    let login = Login::user_pool(&user_pool_id, tokens.id_token.clone());
    let upgraded = client
        .credentials(&guest, Some(&login))
        .await
        .expect("the guest's identity takes the login");
    assert_eq!(upgraded.identity_id, guest, "the same identity carries on");
    assert_eq!(
        client.get_id(Some(&login)).await.unwrap(),
        guest,
        "the player's identity is the guest's"
    );
    // Without the login, the player's identity gives nothing.
    assert!(client.credentials(&guest, None).await.is_err());

    let other_guest = client.get_id(None).await.unwrap();
    assert_ne!(other_guest, guest);
    match client.credentials(&other_guest, Some(&login)).await {
        Err(AuthError::Server { kind, .. }) => assert_eq!(
            kind,
            ServerErrorKind::Unknown("ResourceConflictException".into()),
            "the login belongs to the first guest's identity"
        ),
        other => panic!("{other:?}"),
    }
    let forged = Login::user_pool(&user_pool_id, "e30.e30.c2ln".into());
    match client.get_id(Some(&forged)).await {
        Err(AuthError::Server { kind, .. }) => assert_eq!(kind, ServerErrorKind::NotAuthorized),
        other => panic!("{other:?}"),
    }

    let no_guests = LocalStack::start(LocalConfig::default()).await.unwrap();
    let client = IdentityPoolClient::new(no_guests.endpoints().identity_pool_config()).unwrap();
    match client.get_id(None).await {
        Err(AuthError::Server { kind, .. }) => assert_eq!(kind, ServerErrorKind::NotAuthorized),
        other => panic!("{other:?}"),
    }
}
