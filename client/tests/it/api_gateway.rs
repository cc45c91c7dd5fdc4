//! The API Gateway transport against a loopback HTTP server that answers with
//! every shape a real deployment can produce, good and bad.

use std::time::Duration;

use cognito_login_client::{
    ApiGatewayConfig, ApiGatewayTransport, AuthAction, AuthError, AuthOutcome, AuthRequest,
    ServerErrorKind, Transport, TransportErrorKind,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the canned server does with each request.
#[derive(Clone)]
enum Script {
    /// Writes these bytes and closes.
    Answer(Vec<u8>),
    /// Never answers.
    Silent,
    /// Writes the head, then one body byte every `Duration`.
    Drip(Vec<u8>, Duration),
}

fn http(status: u16, content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn json(status: u16, body: &str) -> Script {
    Script::Answer(http(status, "application/json", body))
}

/// Serves `script` on an ephemeral loopback port; returns the base URL.
async fn serve(script: Script) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            tokio::spawn(answer(stream, script.clone()));
        }
    });
    url
}

async fn answer(mut stream: TcpStream, script: Script) {
    let mut request = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).await.unwrap_or(0);
        if n == 0 {
            return;
        }
        request.extend_from_slice(&buf[..n]);
        if let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&request[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length:"))
                .map_or(0, |value| value.trim().parse().unwrap());
            if request.len() >= end + 4 + length {
                break;
            }
        }
    }
    match script {
        Script::Answer(bytes) => {
            let _ = stream.write_all(&bytes).await;
        }
        Script::Silent => tokio::time::sleep(Duration::from_secs(60)).await,
        Script::Drip(head, every) => {
            let _ = stream.write_all(&head).await;
            loop {
                tokio::time::sleep(every).await;
                if stream.write_all(b" ").await.is_err() {
                    return;
                }
            }
        }
    }
}

fn transport(url: &str) -> ApiGatewayTransport {
    let mut config = ApiGatewayConfig::unverified(url);
    config.timeout = Duration::from_millis(500);
    config.max_body_bytes = 64 * 1024;
    ApiGatewayTransport::new(config).unwrap()
}

fn sign_in() -> AuthRequest {
    AuthRequest::SignIn {
        username: "ada".into(),
        password: "Secret-Pass-1".into(),
        device: None,
    }
}

/// One request of every action.
fn every_request() -> Vec<AuthRequest> {
    let requests = vec![
        AuthRequest::SignUp {
            username: "ada".into(),
            password: "Secret-Pass-1".into(),
            email: "ada@example.com".into(),
            locale: None,
        },
        AuthRequest::ConfirmSignUp {
            username: "ada".into(),
            code: "123456".into(),
        },
        AuthRequest::ResendCode {
            username: "ada".into(),
        },
        sign_in(),
        AuthRequest::RespondToChallenge {
            username: "ada".into(),
            challenge: cognito_login_client::ChallengeName::SoftwareTokenMfa,
            session: "s".into(),
            answer: "123456".into(),
        },
        AuthRequest::Refresh {
            refresh_token: "r".into(),
            username: None,
        },
        AuthRequest::ForgotPassword {
            username: "ada".into(),
        },
        AuthRequest::ResetPassword {
            username: "ada".into(),
            code: "123456".into(),
            password: "Secret-Pass-2".into(),
        },
        AuthRequest::SignOut {
            refresh_token: Some("r".into()),
        },
        AuthRequest::SignOutEverywhere {
            access_token: "a".into(),
        },
        AuthRequest::ChangePassword {
            access_token: "a".into(),
            previous: "Secret-Pass-1".into(),
            proposed: "Secret-Pass-2".into(),
        },
        AuthRequest::GetAccount {
            access_token: "a".into(),
        },
        AuthRequest::DeleteAccount {
            access_token: "a".into(),
        },
        AuthRequest::ChangeEmail {
            access_token: "a".into(),
            email: "new@example.com".into(),
        },
        AuthRequest::ResendEmailCode {
            access_token: "a".into(),
        },
        AuthRequest::VerifyEmail {
            access_token: "a".into(),
            code: "123456".into(),
        },
        AuthRequest::AddAuthenticator {
            access_token: "a".into(),
        },
        AuthRequest::VerifyAuthenticator {
            access_token: "a".into(),
            code: "123456".into(),
            device_name: "phone".into(),
        },
        AuthRequest::SetMfa {
            access_token: "a".into(),
            method: cognito_login_client::MfaMethod::Authenticator,
            enabled: true,
        },
        AuthRequest::RememberDevice {
            access_token: "a".into(),
            device: cognito_login_client::RememberedDevice::new(cognito_login_client::NewDevice {
                key: "eu-west-1_d".into(),
                group_key: "-g".into(),
            })
            .unwrap(),
            name: "PC".into(),
        },
        AuthRequest::ListDevices {
            access_token: "a".into(),
        },
        AuthRequest::ForgetDevice {
            access_token: "a".into(),
            device_key: "eu-west-1_d".into(),
        },
    ];
    assert_eq!(requests.len(), AuthAction::ALL.len());
    requests
}

async fn fail(script: Script) -> AuthError {
    let url = serve(script).await;
    transport(&url).send(sign_in()).await.unwrap_err()
}

fn server_kind(error: &AuthError) -> ServerErrorKind {
    error
        .server_kind()
        .cloned()
        .unwrap_or_else(|| panic!("not a server error: {error:?}"))
}

#[tokio::test]
async fn cognito_error_bodies_keep_their_type_and_message() {
    let error = fail(json(
        400,
        r#"{"__type":"UsernameExistsException","message":"User already exists"}"#,
    ))
    .await;
    assert_eq!(server_kind(&error), ServerErrorKind::UsernameExists);
    assert!(
        matches!(&error, AuthError::Server { message, status: 400, .. } if message == "User already exists")
    );

    let prefixed = json(
        400,
        r#"{"__type":"com.amazonaws.cognito.identity.idp.model#CodeMismatchException","Message":"Invalid code"}"#,
    );
    let error = fail(prefixed).await;
    assert_eq!(server_kind(&error), ServerErrorKind::CodeMismatch);
    assert!(matches!(&error, AuthError::Server { message, .. } if message == "Invalid code"));

    let header_only = Script::Answer(
        b"HTTP/1.1 400 Bad Request\r\nx-amzn-ErrorType: ExpiredCodeException:http://internal.amazon.com/\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_vec(),
    );
    assert_eq!(
        server_kind(&fail(header_only).await),
        ServerErrorKind::ExpiredCode
    );

    let unknown = fail(json(
        500,
        r#"{"__type":"UnsupportedOperation","message":"not here"}"#,
    ))
    .await;
    assert_eq!(server_kind(&unknown), ServerErrorKind::Unsupported);
}

#[tokio::test]
async fn a_lambda_failure_passed_through_with_status_200_is_an_error() {
    let error = fail(json(
        200,
        r#"{"errorType":"NotAuthorizedException","errorMessage":"Incorrect username or password.","trace":[]}"#,
    ))
    .await;
    assert_eq!(server_kind(&error), ServerErrorKind::NotAuthorized);
    assert_eq!(error.player_message(), "Incorrect username or password.");
}

#[tokio::test]
async fn api_gateway_own_errors() {
    let error = fail(json(500, r#"{"message":"Internal Server Error"}"#)).await;
    assert_eq!(server_kind(&error), ServerErrorKind::InternalError);
    assert!(error.is_retryable());
    let throttled = fail(json(429, r#"{"message":"Too Many Requests"}"#)).await;
    assert_eq!(server_kind(&throttled), ServerErrorKind::TooManyRequests);
    let missing_route = fail(json(404, r#"{"message":"Not Found"}"#)).await;
    assert_eq!(server_kind(&missing_route), ServerErrorKind::Unsupported);
}

#[tokio::test]
async fn unreadable_bodies_are_malformed_and_keep_the_start_of_the_body() {
    let html = "<html><body><h1>502 Bad Gateway</h1></body></html>";
    let error = fail(Script::Answer(http(502, "text/html", html))).await;
    let AuthError::Malformed { status, body, .. } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(*status, 502);
    assert_eq!(body.as_str(), html);
    assert!(error.player_message().contains("problem"));

    for body in [
        "",
        "{\"AuthenticationResult\":{\"AccessToken\":\"abc",
        "null",
        "{\"Unrelated\":1}",
    ] {
        let error = fail(json(200, body)).await;
        assert!(
            matches!(error, AuthError::Malformed { status: 200, .. }),
            "{body:?}: {error:?}"
        );
    }
}

#[tokio::test]
async fn a_body_cut_off_by_the_connection_is_an_interrupted_transfer() {
    let cut =
        b"HTTP/1.1 200 OK\r\ncontent-length: 500\r\nconnection: close\r\n\r\n{\"Authentic".to_vec();
    let error = fail(Script::Answer(cut)).await;
    assert!(
        matches!(
            error,
            AuthError::Transport {
                kind: TransportErrorKind::Interrupted,
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn bodies_over_the_cap_are_refused_with_or_without_a_length() {
    let huge = "x".repeat(200 * 1024);
    let error = fail(json(200, &huge)).await;
    assert!(
        matches!(&error, AuthError::Malformed { reason, .. } if reason.contains("larger")),
        "{error:?}"
    );

    let mut chunked =
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n".to_vec();
    for _ in 0..100 {
        chunked.extend_from_slice(format!("{:x}\r\n{}\r\n", 1024, "y".repeat(1024)).as_bytes());
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let error = fail(Script::Answer(chunked)).await;
    assert!(
        matches!(&error, AuthError::Malformed { reason, .. } if reason.contains("larger")),
        "{error:?}"
    );
}

#[tokio::test]
async fn silent_and_slow_drip_servers_time_out() {
    let error = fail(Script::Silent).await;
    assert!(
        matches!(
            error,
            AuthError::Transport {
                kind: TransportErrorKind::Timeout,
                ..
            }
        ),
        "{error:?}"
    );
    let head = b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n".to_vec();
    let error = fail(Script::Drip(head, Duration::from_millis(50))).await;
    assert!(
        matches!(
            error,
            AuthError::Transport {
                kind: TransportErrorKind::Timeout,
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn refused_connections_and_tls_failures_are_named() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let closed = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let error = transport(&closed).send(sign_in()).await.unwrap_err();
    assert!(
        matches!(
            error,
            AuthError::Transport {
                kind: TransportErrorKind::Refused,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.player_message().contains("reach"));

    // A plain-HTTP server spoken to over https:// fails the handshake.
    let plain = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}", plain.local_addr().unwrap());
    tokio::spawn(async move {
        let (mut stream, _) = plain.accept().await.unwrap();
        let _ = stream
            .write_all(&http(400, "text/plain", "plain HTTP here"))
            .await;
    });
    let error = transport(&url).send(sign_in()).await.unwrap_err();
    assert!(
        matches!(
            error,
            AuthError::Transport {
                kind: TransportErrorKind::Tls,
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn every_action_survives_every_fault_and_the_next_attempt_works() {
    let faults = [
        json(500, r#"{"message":"Internal Server Error"}"#),
        Script::Answer(http(502, "text/html", "<html>bad gateway</html>")),
        json(200, ""),
        json(200, r#"{"errorType":"Error","errorMessage":"boom"}"#),
        Script::Silent,
    ];
    for fault in faults {
        let url = serve(fault).await;
        let transport = transport(&url);
        for request in every_request() {
            let error = transport.send(request).await.unwrap_err();
            assert!(!error.player_message().is_empty());
        }
    }
    // The same transport then reaches a healthy server.
    let healthy = serve(json(200, r#"{"CodeDeliveryDetails":{"Destination":"a***@e***","DeliveryMedium":"EMAIL","AttributeName":"email"}}"#)).await;
    let outcome = transport(&healthy)
        .send(AuthRequest::ResendCode {
            username: "ada".into(),
        })
        .await
        .unwrap();
    assert!(
        matches!(outcome, AuthOutcome::CodeSent(delivery) if delivery.destination == "a***@e***")
    );
}
