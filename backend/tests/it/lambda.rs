//! The Lambda entry point with real API Gateway HTTP API (payload 2.0)
//! events, round-tripped through the handlers to the embedded emulator.

use crate::support;

use base64::Engine as _;
use cognito_login_backend::lambda;
use cognito_login_backend::local::sdk_client;
use cognito_login_backend::{Handlers, LocalConfig, LocalStack};
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use lambda_http::{Body, Response};
use serde_json::{Value, json};
use support::{Emulator, PASSWORD, Stack};

/// An HTTP API event for `POST {route}`, checked against the
/// `aws_lambda_events` type, as the Lambda runtime hands it over.
fn event(route: &str, body: &[u8], base64: bool) -> lambda_http::Request {
    event_from(route, body, base64, "203.0.113.7")
}

/// [`event`] from the client address `source_ip`.
fn event_from(route: &str, body: &[u8], base64: bool, source_ip: &str) -> lambda_http::Request {
    let route_key = format!("POST {route}");
    let body = if base64 {
        base64::engine::general_purpose::STANDARD.encode(body)
    } else {
        String::from_utf8(body.to_vec()).unwrap()
    };
    let raw = json!({
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": route,
        "rawQueryString": "",
        "headers": {"content-type": "application/json", "host": "abc123.execute-api.eu-west-1.amazonaws.com",
            "user-agent": "game/1.0", "authorization": "Bearer not-for-cognito"},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": "abc123",
            "http": {"method": "POST", "path": route, "protocol": "HTTP/1.1", "sourceIp": source_ip, "userAgent": "game"},
            "requestId": "JKJaXmPLvHcESHA=",
            "routeKey": route_key,
            "stage": "$default",
            "time": "22/Nov/2026:00:00:00 +0000",
            "timeEpoch": 1_795_305_600_000_u64
        },
        "body": body,
        "isBase64Encoded": base64
    });
    let typed: ApiGatewayV2httpRequest =
        serde_json::from_value(raw).expect("a valid HTTP API event");
    lambda_http::request::from_str(&serde_json::to_string(&typed).unwrap()).unwrap()
}

/// Cognito hears of the player API Gateway saw: its `sourceIp`, the API's
/// domain, and the software headers, never the credentials.
#[test]
fn the_caller_is_the_player_api_gateway_saw() {
    let caller = cognito_login_backend::lambda::caller(&event("/signin", b"{}", false));
    assert_eq!(
        caller,
        cognito_login_backend::Caller::at("203.0.113.7".parse().unwrap()).with_request(
            "abc123.execute-api.eu-west-1.amazonaws.com",
            [("user-agent", "game/1.0")]
        )
    );
}

fn json_of(response: &Response<Body>) -> (u16, Value) {
    let body: &[u8] = response.body().as_ref();
    (
        response.status().as_u16(),
        serde_json::from_slice(body).expect("a JSON body"),
    )
}

async fn handlers(stack: &LocalStack) -> Handlers {
    Handlers::new(sdk_client(stack.cognito_endpoint()), stack.client_id())
        .with_cognito_endpoint(stack.cognito_endpoint())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_round_trip_through_the_handlers() {
    let stack = Stack::start(Emulator::Cognitox).await;
    let handlers = handlers(&stack.local).await;
    let call = |route: &str, body: Value| {
        lambda::handle(&handlers, event(route, body.to_string().as_bytes(), false))
    };

    let (status, body) = json_of(
        &call(
            "/signup",
            json!({"username": "lambda", "password": PASSWORD, "email": "l@example.com"}),
        )
        .await,
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["UserConfirmed"], false);
    assert_eq!(body["CodeDeliveryDetails"]["DeliveryMedium"], "EMAIL");

    let (status, body) = json_of(
        &call(
            "/confirm",
            json!({"username": "lambda", "code": "0000-0000"}),
        )
        .await,
    );
    assert_eq!(
        (status, body["__type"].as_str()),
        (400, Some("CodeMismatchException"))
    );

    let (status, body) = json_of(
        &call(
            "/signin",
            json!({"username": "lambda", "password": PASSWORD}),
        )
        .await,
    );
    assert_eq!(
        (status, body["__type"].as_str()),
        (400, Some("UserNotConfirmedException"))
    );

    // Confirmed through the local server's route (its mailbox has the code),
    // then signed in through a Lambda event.
    stack.sign_up("lambda2").await;
    stack.confirm("lambda2").await;
    let response = lambda::handle(
        &handlers,
        event(
            "/signin",
            json!({"username": "lambda2", "password": PASSWORD})
                .to_string()
                .as_bytes(),
            true,
        ),
    )
    .await;
    assert_eq!(response.headers()["content-type"], "application/json");
    let (status, body) = json_of(&response);
    assert_eq!(status, 200, "{body}");
    assert!(
        body["AuthenticationResult"]["AccessToken"]
            .as_str()
            .is_some_and(|token| token.contains('.'))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_events_get_clear_errors() {
    let stack = LocalStack::start(LocalConfig::default()).await.unwrap();
    let handlers = handlers(&stack).await;

    let response = lambda::handle(&handlers, event("/signin", b"{\"username\": ", false)).await;
    let (status, body) = json_of(&response);
    assert_eq!(
        (status, body["__type"].as_str()),
        (400, Some("InvalidParameterException"))
    );

    let response = lambda::handle(
        &handlers,
        event("/reset", br#"{"username":"a","code":"1"}"#, false),
    )
    .await;
    let (status, body) = json_of(&response);
    assert_eq!(status, 400);
    assert!(
        body["message"].as_str().unwrap().contains("password"),
        "{body}"
    );

    let response = lambda::handle(&handlers, event("/admin", b"{}", false)).await;
    assert_eq!(
        json_of(&response),
        (
            404,
            json!({"__type": "ResourceNotFoundException", "message": "Not Found"})
        )
    );

    let huge = format!(r#"{{"username":"{}","password":"x"}}"#, "a".repeat(100_000));
    let response = lambda::handle(&handlers, event("/signin", huge.as_bytes(), false)).await;
    assert_eq!(json_of(&response).0, 413);
}

#[test]
fn the_runtime_never_logs_raw_events_even_at_trace() {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);
    impl Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(lambda::log_filter(Some("trace")))
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        // What lambda_runtime's api_response layer logs for each event.
        tracing::trace!(
            target: "lambda_runtime::layers::api_response",
            body = r#"{"password":"Hunter2-Secret"}"#,
            "raw JSON event received from Lambda"
        );
        tracing::trace!(target: "cognito_login_backend::handlers", "trace of our own");
    });
    let logged = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(!logged.contains("Hunter2-Secret"), "{logged}");
    assert!(
        logged.contains("trace of our own"),
        "RUST_LOG=trace still applies: {logged}"
    );
}

/// An HTTP API event for `{method} /profile`, with the claims a JWT
/// authorizer passes on for `sub` (none when the route has no authorizer).
fn profile_event(method: &str, sub: Option<&str>, body: &str) -> lambda_http::Request {
    from_raw(profile_raw(method, sub, body))
}

/// The request the runtime makes of the event `raw`, checked against the
/// `aws_lambda_events` type.
fn from_raw(raw: Value) -> lambda_http::Request {
    let typed: ApiGatewayV2httpRequest =
        serde_json::from_value(raw).expect("a valid HTTP API event");
    lambda_http::request::from_str(&serde_json::to_string(&typed).unwrap()).unwrap()
}

/// The JSON of [`profile_event`].
fn profile_raw(method: &str, sub: Option<&str>, body: &str) -> Value {
    let route_key = format!("{method} /profile");
    let mut raw = json!({
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": "/profile",
        "rawQueryString": "",
        "headers": {"content-type": "application/json", "authorization": "Bearer eyJ..."},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": "abc123",
            "http": {"method": method, "path": "/profile", "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7", "userAgent": "game"},
            "requestId": "JKJaXmPLvHcESHB=",
            "routeKey": route_key,
            "stage": "$default",
            "time": "22/Nov/2026:00:00:00 +0000",
            "timeEpoch": 1_795_305_600_000_u64
        },
        "body": body,
        "isBase64Encoded": false
    });
    if let Some(sub) = sub {
        raw["requestContext"]["authorizer"] =
            json!({"jwt": {"claims": {"sub": sub, "token_use": "access"}, "scopes": null}});
    }
    raw
}

/// A client for moto's DynamoDB, and a profile table on it shaped as the
/// template makes it.
async fn profile_table(moto: &support::Moto) -> (aws_sdk_dynamodb::Client, String) {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .http_client(cognito_login_backend::https_client())
        .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
        .endpoint_url(&moto.endpoint)
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "test", "test", None, None, "test",
        ))
        .build();
    let client = aws_sdk_dynamodb::Client::from_conf(config);
    create_table(&client, "profiles", "sub").await;
    (client, "profiles".into())
}

/// A table on moto's DynamoDB keyed by the string `key`.
async fn create_table(client: &aws_sdk_dynamodb::Client, name: &str, key: &str) {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    };
    client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(key)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name(key)
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("moto creates the table");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_routes_serve_the_authorized_player_from_dynamodb() {
    let moto = support::Moto::start();
    let (dynamo, table) = profile_table(&moto).await;
    let handlers = Handlers::new(sdk_client("http://127.0.0.1:9"), "client-1").with_profiles(
        std::sync::Arc::new(cognito_login_backend::profile::DynamoProfiles::new(
            dynamo, table,
        )),
    );
    let call = |method: &str, sub: Option<&str>, body: Value| {
        let body = if body.is_null() {
            String::new()
        } else {
            body.to_string()
        };
        lambda::handle(&handlers, profile_event(method, sub, &body))
    };

    let (status, _) = json_of(&call("GET", None, Value::Null).await);
    assert_eq!(status, 401, "no authorizer, no player");
    assert_eq!(
        json_of(&call("GET", Some("ada-sub"), Value::Null).await),
        (200, json!({"version": 0, "data": null}))
    );
    let write = json!({"version": 0, "data": {"best": 12, "name": "Ada"}});
    assert_eq!(
        json_of(&call("PUT", Some("ada-sub"), write.clone()).await),
        (200, json!({"version": 1}))
    );
    let (status, body) = json_of(&call("PUT", Some("ada-sub"), write).await);
    assert_eq!(
        (status, &body["__type"]),
        (409, &json!("ConflictException"))
    );
    assert_eq!(
        json_of(&call("PUT", Some("ada-sub"), json!({"version": 1, "data": [1]})).await),
        (200, json!({"version": 2}))
    );

    assert_eq!(
        json_of(&call("GET", Some("bob-sub"), Value::Null).await),
        (200, json!({"version": 0, "data": null})),
        "one player never reads another's"
    );
    assert_eq!(
        json_of(&call("PUT", Some("bob-sub"), json!({"version": 0, "data": "bob"})).await).0,
        200
    );
    assert_eq!(
        json_of(&call("GET", Some("ada-sub"), Value::Null).await),
        (200, json!({"version": 2, "data": [1]}))
    );
    let huge = json!({"version": 2, "data": "x".repeat(70 * 1024)});
    assert_eq!(json_of(&call("PUT", Some("ada-sub"), huge).await).0, 413);
    assert_eq!(
        json_of(&call("DELETE", Some("ada-sub"), Value::Null).await).0,
        404
    );

    // The admin route: the function reads the group the authorizer passed
    // on, as API Gateway writes a list claim (`[a b]`).
    let admin = |path: &str, groups: Option<&str>| {
        let sub = groups.map(|_| "staff-sub");
        let mut raw = profile_raw("GET", sub, "");
        raw["rawPath"] = path.into();
        raw["requestContext"]["http"]["path"] = path.into();
        raw["routeKey"] = "GET /admin/profiles/{sub}".into();
        if let Some(groups) = groups.filter(|groups| !groups.is_empty()) {
            raw["requestContext"]["authorizer"]["jwt"]["claims"]["cognito:groups"] = groups.into();
        }
        lambda::handle(&handlers, from_raw(raw))
    };
    assert_eq!(
        json_of(&admin("/admin/profiles/bob-sub", Some("[testers admins]")).await),
        (200, json!({"version": 1, "data": "bob"}))
    );
    for (case, groups, status) in [
        ("no groups", Some(""), 403),
        ("another group", Some("[testers]"), 403),
        ("a longer name", Some("[admins-old]"), 403),
        ("no authorizer", None, 401),
    ] {
        assert_eq!(
            json_of(&admin("/admin/profiles/bob-sub", groups).await).0,
            status,
            "{case}"
        );
    }
    assert_eq!(
        json_of(&admin("/admin/profiles/bob-sub/more", Some("[admins]")).await).0,
        404
    );
}

/// A deleted account's profile is replaced by a marker the table's time to
/// live removes: no read finds the document, and no write, at any version,
/// brings it back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_profile_stays_closed_in_dynamodb() {
    use cognito_login_backend::profile::{DynamoProfiles, ProfileError, ProfileStore};
    let moto = support::Moto::start();
    let (dynamo, table) = profile_table(&moto).await;
    let store = DynamoProfiles::new(dynamo.clone(), table.clone());
    assert_eq!(
        store
            .put("ada-sub", 0, json!({"name": "Ada"}))
            .await
            .unwrap(),
        1
    );
    store.close("ada-sub").await.unwrap();
    assert!(matches!(
        store.get("ada-sub").await,
        Err(ProfileError::Closed)
    ));
    for version in [0, 1] {
        let again = store.put("ada-sub", version, json!({"name": "Ada"})).await;
        assert!(matches!(again, Err(ProfileError::Closed)), "{again:?}");
    }
    let item = dynamo
        .get_item()
        .table_name(&table)
        .key(
            "sub",
            aws_sdk_dynamodb::types::AttributeValue::S("ada-sub".into()),
        )
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert!(!item.contains_key("data"), "the document is gone: {item:?}");
    let expires: u64 = item["expires"].as_n().unwrap().parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(expires > now + 24 * 60 * 60, "kept past every token's life");
    // Another player is untouched.
    assert_eq!(store.put("bob-sub", 0, json!(1)).await.unwrap(), 1);
}

/// Where the function's logs go in a test.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The function logs one JSON object a line: each request's route, status,
/// outcome (an error's type) and latency, under API Gateway's request id;
/// never the password or the tokens.
#[tokio::test]
async fn the_function_logs_json_lines_with_the_request_id_and_no_secret() {
    let stack = Stack::start(Emulator::Cognitox).await;
    let user = support::username("json-logs");
    stack.sign_up(&user).await;
    stack.confirm(&user).await;
    let handlers = handlers(&stack.local).await;
    let captured = Captured::default();
    let writer = captured.clone();
    let _logs = tracing::subscriber::set_default(lambda::json_logs(None, move || writer.clone()));
    let body = json!({"username": user, "password": PASSWORD}).to_string();
    let (status, answer) =
        json_of(&lambda::handle(&handlers, event("/signin", body.as_bytes(), false)).await);
    assert_eq!(status, 200, "{answer}");
    let wrong = json!({"username": user, "password": "Wrong-Pass-9"}).to_string();
    let (status, _) =
        json_of(&lambda::handle(&handlers, event("/signin", wrong.as_bytes(), false)).await);
    // Cognito answers 400; cognitox 401.
    assert!(matches!(status, 400 | 401), "{status}");

    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect();
    let handled: Vec<&Value> = lines
        .iter()
        .filter(|line| line["message"] == "handled")
        .collect();
    assert_eq!(handled.len(), 2, "{text}");
    for (line, outcome) in handled.iter().zip(["ok", "NotAuthorizedException"]) {
        assert_eq!(line["route"], "/signin", "{line}");
        assert_eq!(line["outcome"], outcome, "{line}");
        assert!(line["latency_ms"].is_u64(), "{line}");
        assert_eq!(line["span"]["id"], "JKJaXmPLvHcESHA=", "{line}");
    }
    for secret in [
        PASSWORD,
        "Wrong-Pass-9",
        answer["AuthenticationResult"]["AccessToken"]
            .as_str()
            .unwrap(),
    ] {
        assert!(!text.contains(secret), "a secret reached the log");
    }
}

/// The address limit on AWS: counted in a DynamoDB table shaped as the
/// template makes it (moto's), by the `sourceIp` API Gateway saw, so every
/// instance of the function shares the count.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_source_address_is_limited_through_dynamodb() {
    use cognito_login_backend::limit::{AddressLimiter, AddressLimits, DynamoCounter};
    let moto = support::Moto::start();
    let (dynamo, _) = profile_table(&moto).await;
    create_table(&dynamo, "limits", "key").await;
    let stack = Stack::start(Emulator::Cognitox).await;
    // Two instances of the function, one table.
    let limited = |limits| {
        let counter = std::sync::Arc::new(DynamoCounter::new(dynamo.clone(), "limits"));
        Handlers::new(
            sdk_client(stack.local.cognito_endpoint()),
            stack.local.client_id(),
        )
        .with_cognito_endpoint(stack.local.cognito_endpoint())
        .with_address_limits(AddressLimiter::new(counter, limits))
    };
    let limits = AddressLimits {
        sign_in: 2,
        sign_up: 0,
        window: std::time::Duration::from_secs(1 << 33),
    };
    let (first, second) = (limited(limits), limited(limits));
    let sign_in = |handlers, from| async move {
        let body = json!({"username": "nobody", "password": PASSWORD}).to_string();
        let response = lambda::handle(
            handlers,
            event_from("/signin", body.as_bytes(), false, from),
        )
        .await;
        json_of(&response)
    };
    for handlers in [&first, &second] {
        let (status, body) = sign_in(handlers, "203.0.113.7").await;
        assert_ne!(status, 429, "{body}");
    }
    let (status, body) = sign_in(&first, "203.0.113.7").await;
    assert_eq!(
        (status, body["__type"].as_str()),
        (429, Some("TooManyRequestsException"))
    );
    let (status, body) = sign_in(&second, "2001:db8:7:7::1").await;
    assert_ne!(status, 429, "another address: {body}");
    let signups = json!({"username": "nobody", "code": "123456"}).to_string();
    for _ in 0..3 {
        let response = lambda::handle(
            &first,
            event_from("/confirm", signups.as_bytes(), false, "203.0.113.7"),
        )
        .await;
        assert_ne!(response.status(), 429, "0 is no limit");
    }
}

/// The trigger function's post confirmation, against moto's DynamoDB as the
/// template makes the table: a new player's profile is written once, with
/// the one action the trigger function's role has (`PutItem`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_trigger_function_writes_a_new_players_profile_to_dynamodb() {
    use cognito_login_backend::profile::{DynamoProfiles, ProfileStore};
    use cognito_login_backend::triggers::{TriggerConfig, Triggers, post_confirmation_event};
    let moto = support::Moto::start();
    let (dynamo, table) = profile_table(&moto).await;
    let store = std::sync::Arc::new(DynamoProfiles::new(dynamo, table));
    let triggers = Triggers::new(
        TriggerConfig::default()
            .with_initial_profile(Some(r#"{"coins": 100}"#))
            .unwrap(),
    )
    .with_profiles(store.clone());
    let event = post_confirmation_event(
        "eu-west-1_Pool",
        "client",
        "ada",
        [("sub".to_owned(), "ada-sub".to_owned())],
    );
    for _ in 0..2 {
        triggers.handle(event.clone()).await.unwrap();
    }
    let profile = store.get("ada-sub").await.unwrap();
    assert_eq!((profile.version, profile.data), (1, json!({"coins": 100})));
}
