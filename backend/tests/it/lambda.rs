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
        "headers": {"content-type": "application/json", "host": "abc123.execute-api.eu-west-1.amazonaws.com"},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": "abc123",
            "http": {"method": "POST", "path": route, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7", "userAgent": "game"},
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

fn json_of(response: &Response<Body>) -> (u16, Value) {
    let body: &[u8] = response.body().as_ref();
    (
        response.status().as_u16(),
        serde_json::from_slice(body).expect("a JSON body"),
    )
}

async fn handlers(stack: &LocalStack) -> Handlers {
    Handlers::new(sdk_client(stack.cognito_endpoint()), stack.client_id())
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
