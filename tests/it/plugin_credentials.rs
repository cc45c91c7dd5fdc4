//! The signed-in player's AWS credentials in the plugin: issued by the
//! identity pool after the sign-in, a resource while signed in, gone at
//! sign-out. The client's calls are tested against moto in the backend
//! crate (`identity_pool`); here a loopback identity pool answers.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bevy::prelude::*;
use bevy::state::app::StatesPlugin;
use bevy_cognito_login::client::{AuthOutcome, AuthRequest, IdentityPoolConfig};
use bevy_cognito_login::prelude::*;
use bevy_cognito_login::test_utils::{CannedTransport, TestApp, unsigned_tokens};

/// An identity pool on loopback that gives every login the identity
/// `eu-west-1:ada` and credentials for an hour; records the operations.
fn identity_pool() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let calls: Arc<Mutex<Vec<String>>> = Arc::default();
    let recorded = Arc::clone(&calls);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let (mut target, mut length) = (String::new(), 0);
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if let Some(value) = lower.strip_prefix("x-amz-target:") {
                    target = value.trim().to_owned();
                }
                if let Some(value) = lower.strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let expires = (SystemTime::now() + Duration::from_secs(3600))
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_secs();
            let answer = if target.ends_with(".getid") {
                serde_json::json!({"IdentityId": "eu-west-1:ada"})
            } else {
                serde_json::json!({"IdentityId": "eu-west-1:ada", "Credentials": {
                    "AccessKeyId": "ASIAEXAMPLE", "SecretKey": "secret-key-of-ada",
                    "SessionToken": "session-token-of-ada", "Expiration": expires}})
            }
            .to_string();
            recorded.lock().unwrap().push(target);
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.1\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                answer.len()
            );
        }
    });
    (url, calls)
}

#[test]
fn a_signed_in_player_has_aws_credentials_until_they_sign_out() {
    let transport = CannedTransport::new(|request| {
        let answer = match request {
            AuthRequest::SignIn { .. } => {
                Ok(AuthOutcome::Tokens(unsigned_tokens("ada", 3600, 3600)))
            }
            _ => Ok(AuthOutcome::SignedOut),
        };
        (Duration::ZERO, answer)
    });
    let (url, calls) = identity_pool();
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, StatesPlugin)).add_plugins(
        CognitoLoginPlugin::new(transport.backend())
            .without_menu()
            .without_session()
            .with_identity_pool(
                IdentityPoolConfig::new("eu-west-1:pool").with_endpoint(url),
                "eu-west-1_Game",
            ),
    );
    app.update_until("signed out", |app| app.auth_state() == AuthState::SignedOut);
    assert!(!app.world().contains_resource::<PlayerCredentials>());

    app.auth(|auth| auth.sign_in("ada", "Secret-Pass-1").unwrap());
    app.update_until("the credentials", |app| {
        app.world().contains_resource::<PlayerCredentials>()
    });
    let credentials = app.world().resource::<PlayerCredentials>().0.clone();
    assert_eq!(credentials.identity_id, "eu-west-1:ada");
    assert_eq!(credentials.access_key_id, "ASIAEXAMPLE");
    assert_eq!(credentials.secret_key.expose(), "secret-key-of-ada");
    let printed = format!("{credentials:?}");
    assert!(
        !printed.contains("secret-key-of-ada") && !printed.contains("session-token-of-ada"),
        "{printed}"
    );
    assert_eq!(
        *calls.lock().unwrap(),
        [
            "awscognitoidentityservice.getid",
            "awscognitoidentityservice.getcredentialsforidentity"
        ]
    );

    app.auth(|auth| auth.sign_out().unwrap());
    app.update();
    assert!(
        !app.world().contains_resource::<PlayerCredentials>(),
        "the next player never sees them"
    );
}
