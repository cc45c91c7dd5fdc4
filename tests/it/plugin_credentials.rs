//! The signed-in player's AWS credentials in the plugin: issued by the
//! identity pool after the sign-in, a resource while signed in, gone at
//! sign-out. The client's calls are tested against moto in the backend
//! crate (`identity_pool`); here a loopback identity pool answers.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bevy::ecs::system::RunSystemOnce;
use bevy::prelude::*;
use bevy::state::app::StatesPlugin;
use bevy_cognito_login::client::{AuthOutcome, AuthRequest, IdentityPoolConfig};
use bevy_cognito_login::client::{AwsJsonService, AwsReply};
use bevy_cognito_login::prelude::*;
use bevy_cognito_login::test_utils::{CannedTransport, MemoryStore, TestApp, unsigned_tokens};
use bevy_cognito_login::{AuthCommandError, AwsCalls, AwsReplied, GuestLinked, GuestNotLinked};
use serde_json::json;

/// An identity pool on loopback that gives every login the identity
/// `eu-west-1:ada`, a guest `eu-west-1:guest`, and credentials for an hour
/// for the identity asked for (the guest's given a login: linked, or when
/// `conflict`, Cognito's `ResourceConflictException`); records the
/// operations.
fn identity_pool() -> (String, Arc<Mutex<Vec<String>>>) {
    identity_pool_with(false, 3600)
}

/// [`identity_pool`], answering a guest's login with a conflict when
/// `conflict`, with credentials that last `lifetime` seconds.
fn identity_pool_with(conflict: bool, lifetime: u64) -> (String, Arc<Mutex<Vec<String>>>) {
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
                if let Some(value) = lower.strip_prefix("authorization:") {
                    recorded
                        .lock()
                        .unwrap()
                        .push(format!("signed {}", value.trim()));
                }
                if let Some(value) = lower.strip_prefix("x-amz-security-token:") {
                    recorded
                        .lock()
                        .unwrap()
                        .push(format!("token {}", value.trim()));
                }
                if let Some(value) = lower.strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let expires = (SystemTime::now() + Duration::from_secs(lifetime))
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_secs();
            let body: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            let login = body.get("Logins").is_some();
            let asked = body["IdentityId"].as_str().unwrap_or_default();
            let (status, answer) = if target.ends_with(".getid") {
                let id = if login {
                    "eu-west-1:ada"
                } else {
                    "eu-west-1:guest"
                };
                ("200 OK", serde_json::json!({"IdentityId": id}))
            } else if conflict && login && asked == "eu-west-1:guest" {
                (
                    "400 Bad Request",
                    serde_json::json!({
                    "__type": "ResourceConflictException",
                    "message": "Login is already linked to another identity."}),
                )
            } else {
                (
                    "200 OK",
                    serde_json::json!({"IdentityId": asked, "Credentials": {
                    "AccessKeyId": "ASIAEXAMPLE", "SecretKey": "secret-key-of-ada",
                    "SessionToken": "session-token-of-ada", "Expiration": expires}}),
                )
            };
            let answer = answer.to_string();
            recorded.lock().unwrap().push(target);
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\ncontent-type: application/x-amz-json-1.1\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                answer.len()
            );
        }
    });
    (url, calls)
}

/// A backend where ada's sign-in gives unsigned tokens.
fn ada_signs_in() -> CannedTransport {
    CannedTransport::new(|request| {
        let answer = match request {
            AuthRequest::SignIn { .. } => {
                Ok(AuthOutcome::Tokens(unsigned_tokens("ada", 3600, 3600)))
            }
            _ => Ok(AuthOutcome::SignedOut),
        };
        (Duration::ZERO, answer)
    })
}

/// An app over [`ada_signs_in`] with `url`'s identity pool, no session
/// kept, signed out.
fn player_app(url: String) -> App {
    let transport = ada_signs_in();
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
    app
}

#[test]
fn a_signed_in_player_has_aws_credentials_until_they_sign_out() {
    let (url, calls) = identity_pool();
    let mut app = player_app(url);
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

/// What the guest's messages said.
#[derive(Resource, Default)]
struct GuestNews {
    linked: Vec<String>,
    not_linked: Vec<(String, String)>,
}

/// An app with guest play over `url`'s identity pool, sessions kept in
/// `store`, signed out.
fn guest_app(url: String, store: &Arc<MemoryStore>) -> App {
    let transport = ada_signs_in();
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, StatesPlugin))
        .add_plugins(
            CognitoLoginPlugin::new(transport.backend())
                .without_menu()
                .with_identity_pool(
                    IdentityPoolConfig::new("eu-west-1:pool").with_endpoint(url),
                    "eu-west-1_Game",
                )
                .with_guest_play()
                .with_session(SessionSettings {
                    store: Some(store.clone()),
                    ..SessionSettings::default()
                }),
        )
        .init_resource::<GuestNews>()
        .add_systems(
            Update,
            |mut news: ResMut<GuestNews>,
             mut linked: MessageReader<GuestLinked>,
             mut not_linked: MessageReader<GuestNotLinked>| {
                news.linked
                    .extend(linked.read().map(|m| m.identity_id.clone()));
                news.not_linked.extend(
                    not_linked
                        .read()
                        .map(|m| (m.guest_identity_id.clone(), m.player_identity_id.clone())),
                );
            },
        );
    app.update_until("signed out", |app| app.auth_state() == AuthState::SignedOut);
    app
}

fn identity(app: &App) -> Option<String> {
    let credentials = app.world().get_resource::<PlayerCredentials>()?;
    Some(credentials.0.identity_id.clone())
}

#[test]
fn a_guest_plays_comes_back_and_keeps_the_identity_when_signing_in() {
    let (url, _) = identity_pool();
    let store = MemoryStore::new();
    let mut app = guest_app(url.clone(), &store);
    app.auth(|auth| auth.play_as_guest().unwrap());
    app.update_until("a guest", |app| app.auth_state() == AuthState::Guest);
    app.update_until("the guest's credentials", |app| identity(app).is_some());
    assert_eq!(identity(&app).as_deref(), Some("eu-west-1:guest"));
    assert!(!app.world().contains_resource::<AuthSession>());
    app.update_until("the guest kept", |_| store.guest().is_some());
    assert_eq!(store.guest().as_deref(), Some("eu-west-1:guest"));
    let printed = format!("{:?}", app.world().resource::<PlayerCredentials>());
    assert!(!printed.contains("secret-key-of-ada"), "{printed}");

    // Leaving and playing again: the same guest, and nothing meanwhile.
    app.auth(|auth| auth.end_guest_play().unwrap());
    app.update_until("signed out", |app| app.auth_state() == AuthState::SignedOut);
    assert_eq!(identity(&app), None, "the guest's credentials went");
    app.auth(|auth| auth.play_as_guest().unwrap());
    app.update_until("the guest again", |app| identity(app).is_some());
    assert_eq!(identity(&app).as_deref(), Some("eu-west-1:guest"));

    // The guest signs in: the identity carries on as the player's.
    app.auth(|auth| auth.sign_in("ada", "Secret-Pass-1").unwrap());
    app.update_until("linked", |app| {
        !app.world().resource::<GuestNews>().linked.is_empty()
    });
    assert_eq!(app.auth_state(), AuthState::SignedIn);
    assert_eq!(
        app.world().resource::<GuestNews>().linked,
        ["eu-west-1:guest"]
    );
    assert_eq!(identity(&app).as_deref(), Some("eu-west-1:guest"));
    app.update_until("the guest forgotten here", |_| store.guest().is_none());
    assert!(app.world().resource::<GuestNews>().not_linked.is_empty());
}

#[test]
fn a_guest_who_signs_in_to_an_account_with_an_identity_hears_both_ids() {
    let (url, _) = identity_pool_with(true, 3600);
    let store = MemoryStore::new();
    let mut app = guest_app(url, &store);
    app.auth(|auth| auth.play_as_guest().unwrap());
    app.update_until("the guest's credentials", |app| identity(app).is_some());

    app.auth(|auth| auth.sign_in("ada", "Secret-Pass-1").unwrap());
    app.update_until("not linked", |app| {
        !app.world().resource::<GuestNews>().not_linked.is_empty()
    });
    let news = app.world().resource::<GuestNews>();
    assert_eq!(
        news.not_linked,
        [("eu-west-1:guest".to_owned(), "eu-west-1:ada".to_owned())]
    );
    assert!(news.linked.is_empty());
    assert_eq!(
        identity(&app).as_deref(),
        Some("eu-west-1:ada"),
        "the account's"
    );
    // The guest's identity stays kept, not lost.
    app.update_until("the guest kept", |_| store.guest().is_some());
    app.update_until_idle();
    assert_eq!(store.guest().as_deref(), Some("eu-west-1:guest"));
}

#[test]
fn guest_play_without_an_identity_pool_says_so() {
    let transport = CannedTransport::new(|_| (Duration::ZERO, Ok(AuthOutcome::SignedOut)));
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, StatesPlugin)).add_plugins(
        CognitoLoginPlugin::new(transport.backend())
            .without_menu()
            .without_session()
            .with_guest_play(),
    );
    app.update_until("signed out", |app| app.auth_state() == AuthState::SignedOut);
    assert_eq!(
        app.auth(|auth| auth.play_as_guest()),
        Err(AuthCommandError::NoGuestPlay)
    );
}

#[test]
fn a_guest_calls_an_aws_service_signed_as_their_identity() {
    let (url, calls) = identity_pool();
    let store = MemoryStore::new();
    let mut app = guest_app(url.clone(), &store);
    app.init_resource::<Replies>().add_systems(
        Update,
        |mut replies: ResMut<Replies>, mut replied: MessageReader<AwsReplied>| {
            replies
                .0
                .extend(replied.read().map(|AwsReplied(reply)| reply.clone()));
        },
    );
    let service = AwsJsonService::dynamodb("eu-west-1")
        .unwrap()
        .with_endpoint(&url)
        .unwrap();
    let early = app
        .world_mut()
        .run_system_once(move |mut aws: AwsCalls| aws.call(&service, "GetItem", json!({})))
        .unwrap();
    assert!(early.is_err(), "nobody has credentials yet");

    app.auth(|auth| auth.play_as_guest().unwrap());
    app.update_until("the guest's credentials", |app| identity(app).is_some());
    calls.lock().unwrap().clear();
    let service = AwsJsonService::dynamodb("eu-west-1")
        .unwrap()
        .with_endpoint(&url)
        .unwrap();
    let id = app
        .world_mut()
        .run_system_once(move |mut aws: AwsCalls| {
            aws.call(&service, "GetItem", json!({"TableName": "PlayerData"}))
        })
        .unwrap()
        .expect("a call");
    app.update_until("the answer", |app| {
        !app.world().resource::<Replies>().0.is_empty()
    });
    let reply = app.world().resource::<Replies>().0[0].clone();
    assert_eq!(reply.id, id);
    assert_eq!(reply.identity_id, "eu-west-1:guest");
    assert!(reply.result.is_ok(), "{:?}", reply.result);
    let seen = calls.lock().unwrap().clone();
    assert!(
        seen.iter().any(
            |line| line.starts_with("signed aws4-hmac-sha256 credential=asiaexample/")
                && line.contains("/eu-west-1/dynamodb/aws4_request")
        ),
        "{seen:?}"
    );
    assert!(
        seen.contains(&"token session-token-of-ada".to_owned()),
        "{seen:?}"
    );
    assert!(
        seen.contains(&"dynamodb_20120810.getitem".to_owned()),
        "{seen:?}"
    );
}

#[derive(Resource, Default)]
struct Replies(Vec<AwsReply>);

/// Credentials inside the five minutes before their expiry are asked for
/// again by the session itself, on the worker, while the frames go on and
/// the old ones stay in place; the identity is not asked for again.
#[test]
fn credentials_about_to_expire_are_renewed_while_the_game_runs() {
    let (url, calls) = identity_pool_with(false, 4 * 60);
    let mut app = player_app(url);
    app.auth(|auth| auth.sign_in("ada", "Secret-Pass-1").unwrap());
    app.update_until("the credentials", |app| identity(app).is_some());
    let asked = |calls: &Mutex<Vec<String>>, operation: &str| {
        let calls = calls.lock().unwrap();
        calls
            .iter()
            .filter(|call| call.ends_with(operation))
            .count()
    };
    app.update_until("asked again by the session", |app| {
        assert!(
            identity(app).is_some(),
            "the old credentials stay meanwhile"
        );
        asked(&calls, ".getcredentialsforidentity") >= 3
    });
    assert_eq!(asked(&calls, ".getid"), 1, "the identity is known");
    assert_eq!(app.auth_state(), AuthState::SignedIn);
}
