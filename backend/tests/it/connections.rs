//! Connections per session: the client opens its connections when the menu
//! opens (`AuthWorker::connect`) and a whole session (sign-in, refresh,
//! sign-out) reuses them. Counted by TCP proxies on loopback in front of the
//! local stack's routes and its emulator, which keep connections alive as
//! API Gateway and Cognito do. `benches/connections.rs` prints the same
//! counts.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cognito_login_backend::{CodePurpose, LocalConfig, LocalStack};
use cognito_login_client::{
    ApiGatewayConfig, AuthError, AuthOutcome, AuthRequest, AuthWorker, BackendConfig,
};

/// A TCP proxy on loopback in front of `upstream` (`http://host:port`) that
/// counts the connections it accepts and the HTTP requests they carry.
pub struct CountingProxy {
    /// Where to send requests instead of `upstream`.
    pub url: String,
    connections: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
    responses: Arc<AtomicUsize>,
}

impl CountingProxy {
    pub fn start(upstream: &str) -> Self {
        let upstream = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let connections = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(AtomicUsize::new(0));
        let responses = Arc::new(AtomicUsize::new(0));
        let (counted, requested, answered) = (
            Arc::clone(&connections),
            Arc::clone(&requests),
            Arc::clone(&responses),
        );
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                counted.fetch_add(1, Ordering::SeqCst);
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                let (client_in, server_out) =
                    (client.try_clone().unwrap(), server.try_clone().unwrap());
                let (requested, answered) = (Arc::clone(&requested), Arc::clone(&answered));
                std::thread::spawn(move || pump(client_in, server_out, REQUEST, &requested));
                std::thread::spawn(move || pump(server, client, RESPONSE, &answered));
            }
        });
        Self {
            url,
            connections,
            requests,
            responses,
        }
    }

    /// Answers passed back so far.
    pub fn responses(&self) -> usize {
        self.responses.load(Ordering::SeqCst)
    }

    /// Connections and requests so far.
    pub fn counts(&self) -> (usize, usize) {
        (
            self.connections.load(Ordering::SeqCst),
            self.requests.load(Ordering::SeqCst),
        )
    }
}

/// The end of a request line, and the start of a status line.
const REQUEST: &[u8] = b" HTTP/1.1\r\n";
const RESPONSE: &[u8] = b"HTTP/1.1 ";

/// Copies `from` to `to` until either closes, counting the times `marker`
/// passes (request lines, or status lines).
fn pump(mut from: TcpStream, mut to: TcpStream, marker: &[u8], count: &AtomicUsize) {
    let mut buf = [0; 16 * 1024];
    let mut seen = Vec::new();
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        seen.extend_from_slice(&buf[..n]);
        let found = seen
            .windows(marker.len())
            .filter(|window| *window == marker)
            .count();
        count.fetch_add(found, Ordering::SeqCst);
        seen.drain(..seen.len().saturating_sub(marker.len() - 1));
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

/// What one step of a session opened and sent, on each host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub name: &'static str,
    /// New connections to the routes, then to the emulator (the user-pool
    /// API and the keys).
    pub connections: (usize, usize),
    /// Requests to the routes, then to the emulator.
    pub requests: (usize, usize),
}

fn ask(worker: &AuthWorker, request: AuthRequest) -> Result<AuthOutcome, AuthError> {
    let id = worker.send(request);
    let reply = worker
        .replies()
        .recv_timeout(Duration::from_secs(20))
        .expect("a reply within 20 s");
    assert_eq!(reply.id, id);
    reply.result
}

/// One player's session, on the routes or on the user-pool API directly:
/// the menu open for a second, then sign-in, refresh and sign-out.
pub fn session(direct: bool) -> Vec<Step> {
    let stack = LocalStack::spawn(LocalConfig::default()).expect("the local stack starts");
    let endpoints = stack.endpoints().clone();
    let username = format!("warm-{direct}-{}", std::process::id());
    let password = "Secret-Pass-1";

    // The player's account, made by another client.
    let setup = BackendConfig::from(endpoints.api_gateway_config());
    let setup = AuthWorker::spawn(setup.transport().unwrap()).unwrap();
    ask(
        &setup,
        AuthRequest::SignUp {
            username: username.clone(),
            password: password.into(),
            email: format!("{username}@example.com"),
            locale: None,
        },
    )
    .expect("sign-up");
    let code = stack
        .mailbox()
        .unwrap()
        .latest_code(&username, CodePurpose::ConfirmSignUp)
        .expect("a code");
    ask(
        &setup,
        AuthRequest::ConfirmSignUp {
            username: username.clone(),
            code: code.into(),
        },
    )
    .expect("confirmation");

    let routes = CountingProxy::start(&endpoints.url);
    let emulator = CountingProxy::start(&endpoints.cognito_endpoint);
    let check = endpoints
        .token_check()
        .with_jwks_url(format!("{}/.well-known/jwks.json", emulator.url));
    let backend: BackendConfig = if direct {
        endpoints
            .user_pool_config()
            .with_endpoint(&emulator.url)
            .with_token_check(check)
            .into()
    } else {
        ApiGatewayConfig::new(&routes.url, check).into()
    };
    let worker = AuthWorker::spawn(backend.transport().unwrap()).unwrap();

    let mut steps = Vec::new();
    let mut before = (routes.counts(), emulator.counts());
    let mut step = |name| {
        let now = (routes.counts(), emulator.counts());
        steps.push(Step {
            name,
            connections: (now.0.0 - before.0.0, now.1.0 - before.1.0),
            requests: (now.0.1 - before.0.1, now.1.1 - before.1.1),
        });
        before = now;
    };

    worker.connect();
    // What the menu opens ahead: the keys, and on the routes their
    // connection. Answered, and a moment for the worker to read the answers
    // and pool the connections.
    let ahead = if direct { 1 } else { 2 };
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while routes.responses() + emulator.responses() < ahead {
        assert!(
            std::time::Instant::now() < deadline,
            "nothing was opened ahead"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(200));
    step("menu open for a second");
    let tokens = match ask(
        &worker,
        AuthRequest::SignIn {
            username: username.clone(),
            password: password.into(),
            device: None,
        },
    ) {
        Ok(AuthOutcome::Tokens(tokens)) => tokens,
        other => panic!("expected tokens, got {other:?}"),
    };
    step("sign-in");
    let refreshed = ask(
        &worker,
        AuthRequest::Refresh {
            refresh_token: tokens.refresh_token.clone().expect("a refresh token"),
            username: None,
        },
    );
    assert!(
        matches!(refreshed, Ok(AuthOutcome::Tokens(_))),
        "{refreshed:?}"
    );
    step("refresh");
    ask(
        &worker,
        AuthRequest::SignOut {
            refresh_token: tokens.refresh_token,
        },
    )
    .expect("sign-out");
    step("sign-out");
    steps
}

fn assert_warm(steps: &[Step]) {
    let [ahead, session @ ..] = steps else {
        panic!("no steps")
    };
    for step in session {
        assert_eq!(
            step.connections,
            (0, 0),
            "{} opened a connection: {steps:#?}",
            step.name
        );
    }
    assert!(
        ahead.connections.0 + ahead.connections.1 > 0,
        "nothing was opened ahead: {steps:#?}"
    );
}

#[test]
fn a_session_on_the_routes_reuses_the_connections_opened_ahead() {
    let steps = session(false);
    assert_warm(&steps);
    // One connection to each host: the routes, and the keys.
    assert_eq!(steps[0].connections, (1, 1), "{steps:#?}");
}

#[test]
fn a_session_on_the_user_pool_reuses_the_connection_opened_ahead() {
    let steps = session(true);
    assert_warm(&steps);
    assert_eq!(steps[0].connections, (0, 1), "{steps:#?}");
}
