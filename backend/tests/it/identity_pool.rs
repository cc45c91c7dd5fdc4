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
    let local_endpoints = local.endpoints().clone();
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
    // The guest keeps a best score in the player data, signed.
    let data = local_endpoints.player_data_service();
    let row = |identity: &str| json!({"identity": {"S": identity}, "item": {"S": "best"}});
    let mut item = row(&guest);
    item["score"] = json!({"N": "7"});
    data.call(
        &as_guest,
        "PutItem",
        &json!({"TableName": "PlayerData", "Item": item}),
    )
    .await
    .expect("the guest's own row");
    let refusal = |result: Result<Value, AuthError>| match result {
        Err(AuthError::Server { kind, .. }) => kind,
        other => panic!("{other:?}"),
    };
    let theirs = data
        .call(
            &as_guest,
            "GetItem",
            &json!({"TableName": "PlayerData", "Key": row("local:someone-else")}),
        )
        .await;
    assert_eq!(
        refusal(theirs),
        ServerErrorKind::Unknown("AccessDeniedException".into())
    );
    let forged = cognito_login_client::AwsCredentials {
        secret_key: cognito_login_client::AwsSecretKey::new("not-the-secret"),
        ..as_guest.clone()
    };
    let forged = data
        .call(
            &forged,
            "GetItem",
            &json!({"TableName": "PlayerData", "Key": row(&guest)}),
        )
        .await;
    assert_eq!(
        refusal(forged),
        ServerErrorKind::Unknown("InvalidSignatureException".into())
    );
    let unknown = cognito_login_client::AwsCredentials {
        access_key_id: "ASIAAWSKEY".into(),
        ..as_guest.clone()
    };
    let unknown = data
        .call(
            &unknown,
            "GetItem",
            &json!({"TableName": "PlayerData", "Key": row(&guest)}),
        )
        .await;
    assert_eq!(
        refusal(unknown),
        ServerErrorKind::Unknown("UnrecognizedClientException".into())
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
    let kept = data
        .call(
            &upgraded,
            "GetItem",
            &json!({"TableName": "PlayerData", "Key": row(&guest)}),
        )
        .await
        .expect("the player reads the guest's row");
    assert_eq!(
        kept["Item"]["score"]["N"], "7",
        "what the guest kept is the player's"
    );
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

/// Guest play through the client's session on the local stack: the guest
/// kept in the store comes back at the next launch, keeps their identity
/// when they sign in, and a later guest who signs in to the same account
/// hears both ids (the conflict), their own identity still kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_session_comes_back_and_becomes_the_players_on_the_local_stack() {
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    use cognito_login_backend::{LocalConfig, LocalStack};
    use cognito_login_client::{
        AuthEvent, AuthRequest, BackendConfig, Session, SessionPolicy, SessionStore, StoreError,
        StoreThread, Tokens,
    };

    use crate::support::{Emulator, PASSWORD, Stack, Via, username, worker};

    /// Keeps only the guest.
    #[derive(Default)]
    struct Guest(Mutex<Option<String>>);
    impl SessionStore for Guest {
        fn load(&self) -> Result<Option<Tokens>, StoreError> {
            Ok(None)
        }
        fn save(&self, _: &Tokens) -> Result<(), StoreError> {
            Ok(())
        }
        fn clear(&self) -> Result<(), StoreError> {
            Ok(())
        }
        fn load_guest(&self) -> Result<Option<String>, StoreError> {
            Ok(self.0.lock().unwrap().clone())
        }
        fn save_guest(&self, id: Option<&str>) -> Result<(), StoreError> {
            *self.0.lock().unwrap() = id.map(str::to_owned);
            Ok(())
        }
    }

    /// Updates `session` until an event `done` takes; returns the events.
    async fn until(session: &mut Session, done: impl Fn(&AuthEvent) -> bool) -> Vec<AuthEvent> {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut seen = Vec::new();
        loop {
            session.update(Instant::now(), SystemTime::now());
            while let Some(event) = session.next_event() {
                let last = done(&event);
                seen.push(event);
                if last {
                    return seen;
                }
            }
            assert!(Instant::now() < deadline, "not yet; saw {seen:?}");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    async fn kept(store: &Guest, want: Option<&str>) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while store.0.lock().unwrap().as_deref() != want {
            assert!(Instant::now() < deadline, "the store never kept {want:?}");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    let local = LocalStack::start(LocalConfig {
        guest_access: true,
        ..LocalConfig::default()
    })
    .await
    .unwrap();
    let backend: BackendConfig = local.endpoints().api_gateway_config().into();
    let pool = local.endpoints().identity_pool_config();
    let user_pool_id = local.user_pool_id().to_owned();
    let stack = Stack::over(Emulator::Cognitox, Via::ApiGateway, local);
    let store = Arc::new(Guest::default());
    let launch = || {
        let store = Arc::clone(&store);
        let thread =
            StoreThread::spawn(Box::new(move || Ok(store as Arc<dyn SessionStore>))).unwrap();
        Session::new(worker(&backend), Some(thread), SessionPolicy::default()).with_identity_pool(
            IdentityPoolClient::new(pool.clone()).unwrap(),
            &user_pool_id,
        )
    };
    let issued = |event: &AuthEvent| matches!(event, AuthEvent::CredentialsIssued(_));

    let mut session = launch();
    session.play_as_guest().unwrap();
    let events = until(&mut session, issued).await;
    let [
        AuthEvent::GuestPlaying { identity_id: guest },
        AuthEvent::CredentialsIssued(first),
    ] = events.as_slice()
    else {
        panic!("{events:?}")
    };
    let guest = guest.clone();
    assert_eq!(first.identity_id, guest);
    assert!(first.access_key_id.starts_with("LOCAL"));
    assert_eq!(session.guest(), Some(guest.as_str()));
    kept(&store, Some(&guest)).await;
    drop(session);

    // The next launch: the same guest.
    let mut session = launch();
    session.play_as_guest().unwrap();
    let events = until(&mut session, issued).await;
    assert!(
        matches!(&events[0], AuthEvent::GuestPlaying { identity_id } if *identity_id == guest),
        "{events:?}"
    );

    // The guest makes an account and signs in: the identity carries on.
    let user = username("guest-session");
    stack.sign_up(&user).await;
    stack.confirm(&user).await;
    session
        .send(AuthRequest::SignIn {
            username: user.clone(),
            password: PASSWORD.into(),
            device: None,
        })
        .unwrap();
    let events = until(&mut session, |event| {
        matches!(event, AuthEvent::GuestLinked { .. })
    })
    .await;
    let issued_to: Vec<_> = events
        .iter()
        .filter_map(|event| match event {
            AuthEvent::CredentialsIssued(credentials) => Some(credentials.identity_id.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(issued_to, std::slice::from_ref(&guest), "{events:?}");
    assert!(
        matches!(events.last(), Some(AuthEvent::GuestLinked { identity_id }) if *identity_id == guest)
    );
    assert_eq!(session.guest(), None, "a player now, not a guest");
    kept(&store, None).await;
    session.sign_out().unwrap();
    drop(session);

    // A new guest signs in to that account: their identity stays apart.
    let mut session = launch();
    session.play_as_guest().unwrap();
    let events = until(&mut session, issued).await;
    let AuthEvent::GuestPlaying {
        identity_id: second,
    } = &events[0]
    else {
        panic!("{events:?}")
    };
    let second = second.clone();
    assert_ne!(second, guest, "a new guest");
    session
        .send(AuthRequest::SignIn {
            username: user,
            password: PASSWORD.into(),
            device: None,
        })
        .unwrap();
    let events = until(&mut session, |event| {
        matches!(event, AuthEvent::GuestNotLinked { .. })
    })
    .await;
    assert!(
        events.contains(&AuthEvent::GuestNotLinked {
            guest_identity_id: second.clone(),
            player_identity_id: guest.clone(),
        }),
        "{events:?}"
    );
    assert_eq!(session.credentials().unwrap().identity_id, guest);
    kept(&store, Some(&second)).await;
}

/// Calls signed with a player's temporary credentials (moto's STS stands in
/// for the identity pool's, which moto's IAM does not know) pass moto's
/// signature and policy checks; a forged secret and an action the role does
/// not allow are refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_players_signed_calls_pass_the_signature_check_and_forged_ones_do_not() {
    use cognito_login_client::{AwsCredentials, AwsJsonService, AwsSecretKey, AwsSessionToken};

    /// A query-protocol call (IAM, STS) signed as `caller`; the XML answer.
    async fn query(
        moto: &Moto,
        caller: &AwsCredentials,
        service: &str,
        form: &[(&str, &str)],
    ) -> String {
        let encode = |text: &str| {
            text.bytes()
                .map(|byte| match byte {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                        char::from(byte).to_string()
                    }
                    _ => format!("%{byte:02X}"),
                })
                .collect::<String>()
        };
        let body = form
            .iter()
            .map(|(name, value)| format!("{name}={}", encode(value)))
            .collect::<Vec<_>>()
            .join("&");
        let http = support::http().build().unwrap();
        let mut request = http
            .post(&moto.endpoint)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .build()
            .unwrap();
        caller
            .sign(&mut request, "us-east-1", service, SystemTime::now())
            .unwrap();
        let answer = http.execute(request).await.unwrap();
        assert!(
            answer.status().is_success(),
            "{form:?}: {}",
            answer.status()
        );
        answer.text().await.unwrap()
    }

    fn between(xml: &str, tag: &str) -> String {
        let start = xml.find(&format!("<{tag}>")).unwrap() + tag.len() + 2;
        let end = xml[start..].find(&format!("</{tag}>")).unwrap() + start;
        xml[start..end].to_owned()
    }

    let moto = Moto::start();
    // Before the checks are on, anyone may set up the role.
    let setup = AwsCredentials {
        identity_id: "setup".into(),
        access_key_id: "AKIASETUP".into(),
        secret_key: AwsSecretKey::new("setup"),
        session_token: AwsSessionToken::new(""),
        expiration: None,
    };
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]})
    .to_string();
    let iam = [("Version", "2010-05-08"), ("RoleName", "player")];
    query(
        &moto,
        &setup,
        "iam",
        &[
            &iam[..],
            &[
                ("Action", "CreateRole"),
                ("AssumeRolePolicyDocument", &trust),
            ],
        ]
        .concat(),
    )
    .await;
    let reach = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Action": ["dynamodb:PutItem", "dynamodb:GetItem"], "Resource": "*"}]})
    .to_string();
    query(
        &moto,
        &setup,
        "iam",
        &[
            &iam[..],
            &[
                ("Action", "PutRolePolicy"),
                ("PolicyName", "data"),
                ("PolicyDocument", &reach),
            ],
        ]
        .concat(),
    )
    .await;
    let assumed = query(
        &moto,
        &setup,
        "sts",
        &[
            ("Action", "AssumeRole"),
            ("Version", "2011-06-15"),
            ("RoleArn", "arn:aws:iam::123456789012:role/player"),
            ("RoleSessionName", "ada"),
        ],
    )
    .await;
    let player = AwsCredentials {
        identity_id: "us-east-1:ada".into(),
        access_key_id: between(&assumed, "AccessKeyId"),
        secret_key: AwsSecretKey::new(between(&assumed, "SecretAccessKey")),
        session_token: AwsSessionToken::new(between(&assumed, "SessionToken")),
        expiration: None,
    };
    assert!(!player.session_token.is_empty());
    let dynamodb = AwsJsonService::dynamodb("us-east-1")
        .unwrap()
        .with_endpoint(&moto.endpoint)
        .unwrap();
    dynamodb
        .call(
            &setup,
            "CreateTable",
            &json!({"TableName": "PlayerData", "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]}),
        )
        .await
        .expect("the table");

    // From here on moto checks every call's signature and the caller's
    // policies.
    let on = support::http()
        .build()
        .unwrap()
        .post(format!("{}/moto-api/reset-auth", moto.endpoint))
        .body("0")
        .send()
        .await
        .unwrap();
    assert!(on.status().is_success());

    let key = json!({"id": {"S": "us-east-1:ada"}});
    dynamodb
        .call(
            &player,
            "PutItem",
            &json!({"TableName": "PlayerData", "Item": {"id": {"S": "us-east-1:ada"}, "best": {"N": "42"}}}),
        )
        .await
        .expect("a signed call passes");
    let item = dynamodb
        .call(
            &player,
            "GetItem",
            &json!({"TableName": "PlayerData", "Key": key}),
        )
        .await
        .expect("and reads back");
    assert_eq!(item["Item"]["best"]["N"], "42");

    let denied = dynamodb
        .call(&player, "DeleteTable", &json!({"TableName": "PlayerData"}))
        .await;
    // moto answers in XML where DynamoDB answers JSON (the guide's table).
    let said = format!("{denied:?}");
    assert!(
        matches!(denied, Err(AuthError::Malformed { status: 403, .. }))
            && said.contains("AccessDenied"),
        "the role does not allow it: {said}"
    );
    let forged = AwsCredentials {
        secret_key: AwsSecretKey::new("not-the-secret"),
        ..player.clone()
    };
    let refused = dynamodb
        .call(
            &forged,
            "GetItem",
            &json!({"TableName": "PlayerData", "Key": key}),
        )
        .await;
    let said = format!("{refused:?}");
    assert!(
        matches!(refused, Err(AuthError::Malformed { status: 403, .. }))
            && said.contains("SignatureDoesNotMatch"),
        "a forged signature: {said}"
    );
}
