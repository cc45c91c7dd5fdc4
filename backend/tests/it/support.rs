//! Test fixtures: the two Cognito emulators behind the local stack, and a
//! client to drive them.

#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use cognito_login_backend::{CodePurpose, LocalConfig, LocalStack};
use cognito_login_client::{
    AuthError, AuthOutcome, AuthRequest, AuthWorker, BackendConfig, Tokens,
};

/// A password that meets Cognito's default policy.
pub const PASSWORD: &str = "Secret-Pass-1";

/// Which emulator a stack runs over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emulator {
    /// cognitox, embedded in-process.
    Cognitox,
    /// cognito-local (npm), a separate process.
    CognitoLocal,
}

/// Which transport the client uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// The local stack's login routes (the API Gateway contract).
    ApiGateway,
    /// The emulator's user-pool API, directly.
    UserPool,
}

/// The local stack over one emulator, with a worker to talk to it.
pub struct Stack {
    pub emulator: Emulator,
    pub via: Via,
    pub local: LocalStack,
    pub worker: AuthWorker,
    cognito_local: Option<CognitoLocal>,
}

impl Stack {
    pub async fn start(emulator: Emulator) -> Self {
        Self::start_via(emulator, Via::ApiGateway).await
    }

    pub async fn start_via(emulator: Emulator, via: Via) -> Self {
        let (config, cognito_local) = match emulator {
            Emulator::Cognitox => (LocalConfig::default(), None),
            Emulator::CognitoLocal => {
                let process = CognitoLocal::start();
                let config = LocalConfig {
                    cognito_endpoint: Some(process.endpoint.clone()),
                    ..LocalConfig::default()
                };
                (config, Some(process))
            }
        };
        let local = LocalStack::start(config)
            .await
            .expect("the local stack starts");
        Self {
            cognito_local,
            ..Self::over(emulator, via, local)
        }
    }

    /// Wraps a stack started elsewhere (over the embedded emulator).
    pub fn over(emulator: Emulator, via: Via, local: LocalStack) -> Self {
        let endpoints = local.endpoints();
        let backend: BackendConfig = match via {
            Via::ApiGateway => endpoints.api_gateway_config().into(),
            Via::UserPool => endpoints.user_pool_config().into(),
        };
        Self {
            emulator,
            via,
            worker: worker(&backend),
            local,
            cognito_local: None,
        }
    }

    /// Sends `request` through the worker and waits for its reply.
    pub async fn ask(&self, request: AuthRequest) -> Result<AuthOutcome, AuthError> {
        ask(&self.worker, request).await
    }

    /// The newest code the emulator holds for `username`.
    pub fn code(&self, username: &str, purpose: CodePurpose) -> String {
        let code = match &self.cognito_local {
            None => self
                .local
                .mailbox()
                .expect("the embedded emulator has a mailbox")
                .latest_code(username, purpose),
            Some(process) => process.code(self.local.user_pool_id(), username, purpose),
        };
        code.unwrap_or_else(|| {
            panic!(
                "{:?} holds no {purpose:?} code for {username}",
                self.emulator
            )
        })
    }

    pub async fn sign_up(&self, username: &str) -> AuthOutcome {
        self.ask(AuthRequest::SignUp {
            username: username.into(),
            password: PASSWORD.into(),
            email: format!("{username}@example.com"),
            locale: None,
        })
        .await
        .expect("sign-up succeeds")
    }

    pub async fn confirm(&self, username: &str) {
        let code = self.code(username, CodePurpose::ConfirmSignUp);
        let outcome = self
            .ask(AuthRequest::ConfirmSignUp {
                username: username.into(),
                code: code.into(),
            })
            .await;
        assert_eq!(outcome, Ok(AuthOutcome::Confirmed));
    }

    pub async fn sign_in(&self, username: &str, password: &str) -> Result<Tokens, AuthError> {
        let outcome = self
            .ask(AuthRequest::SignIn {
                username: username.into(),
                password: password.into(),
                device: None,
            })
            .await?;
        match outcome {
            AuthOutcome::Tokens(tokens) => Ok(tokens),
            other => panic!("expected tokens, got {other:?}"),
        }
    }
}

/// Sends `request` through `worker` and waits (off the runtime) for its reply.
pub async fn ask(worker: &AuthWorker, request: AuthRequest) -> Result<AuthOutcome, AuthError> {
    let id = worker.send(request);
    let replies = worker.replies().clone();
    let reply = tokio::task::spawn_blocking(move || replies.recv_timeout(Duration::from_secs(20)))
        .await
        .unwrap()
        .expect("a reply within 20 s");
    assert_eq!(reply.id, id);
    reply.result
}

pub fn worker(backend: &BackendConfig) -> AuthWorker {
    let transport = backend
        .transport()
        .expect("the local configuration is valid");
    AuthWorker::spawn(transport).expect("the worker starts")
}

/// A unique username per test, so tests can share nothing by accident.
pub fn username(test: &str) -> String {
    format!("{test}-{}", std::process::id())
}

/// A `cognito-local` process on a free loopback port, in a directory of its own.
pub struct CognitoLocal {
    child: Child,
    dir: tempfile::TempDir,
    pub endpoint: String,
}

/// Whether a Cognito API on `port` answers `ListUserPools` with HTTP.
fn answers(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let body = r#"{"MaxResults":1}"#;
    let request = format!(
        "POST / HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/x-amz-json-1.1\r\n\
         x-amz-target: AWSCognitoIdentityProviderService.ListUserPools\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut head = [0u8; 12];
    stream.write_all(request.as_bytes()).is_ok()
        && stream.read_exact(&mut head).is_ok()
        && head.starts_with(b"HTTP/1.1 200")
}

impl CognitoLocal {
    pub fn start() -> Self {
        let bin = installed_cognito_local();
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".cognito")).unwrap();
        // Plain usernames rather than email-as-username.
        std::fs::write(
            dir.path().join(".cognito/config.json"),
            r#"{"UserPoolDefaults":{"UsernameAttributes":[]}}"#,
        )
        .unwrap();
        let (child, port) = start_on_free_port("cognito-local", |port| {
            Command::new(&bin)
                .current_dir(dir.path())
                .env("HOST", "127.0.0.1")
                .env("PORT", port.to_string())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|error| panic!("cannot start {}: {error}", bin.display()))
        });
        Self {
            child,
            dir,
            endpoint: format!("http://127.0.0.1:{port}"),
        }
    }

    /// The code cognito-local keeps in its db file for `username`.
    pub fn code(&self, pool_id: &str, username: &str, purpose: CodePurpose) -> Option<String> {
        let path = self.dir.path().join(format!(".cognito/db/{pool_id}.json"));
        let db: serde_json::Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
        let field = match purpose {
            CodePurpose::VerifyEmail => "AttributeVerificationCode",
            _ => "ConfirmationCode",
        };
        Some(db["Users"][username][field].as_str()?.to_owned())
    }
}

/// A port nothing listens on now, never one handed out before in this
/// process: two emulators started by tests running side by side must not
/// be told the same port (the second would fail to bind while the first
/// answered for it).
fn free_port() -> u16 {
    static HANDED_OUT: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut handed_out = HANDED_OUT.lock().unwrap();
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if !handed_out.contains(&port) {
            handed_out.push(port);
            return port;
        }
    }
}

/// Starts an emulator on a free port with `spawn`, and waits until it
/// answers there; one that exits at start (something else took the port
/// meanwhile) is started again on another port.
fn start_on_free_port(name: &str, spawn: impl Fn(u16) -> Child) -> (Child, u16) {
    for _ in 0..3 {
        let port = free_port();
        let mut child = spawn(port);
        match wait_for_answers(&mut child, port, name) {
            Ok(()) => return (child, port),
            Err(status) => eprintln!("{name} exited at start on port {port} ({status}): again"),
        }
    }
    panic!("{name} exited at start three times")
}

/// Waits until the emulator `child` answers on `port`. Listening is not
/// enough: a stack's set-up (which does not retry) must never meet a server
/// still starting.
fn wait_for_answers(
    child: &mut Child,
    port: u16,
    name: &str,
) -> Result<(), std::process::ExitStatus> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !answers(port) {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(status);
        }
        assert!(
            Instant::now() < deadline,
            "{name} did not answer within 60 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // Another process answering on the port would leave ours exited.
    std::thread::sleep(Duration::from_millis(200));
    match child.try_wait() {
        Ok(Some(status)) => Err(status),
        _ => Ok(()),
    }
}

/// moto's Cognito server (PyPI `moto[server]`, which `scripts/setup.sh`
/// installs pinned) on a free loopback port, through `tests/moto/serve.py`
/// (challenge parameters as Cognito sends them). Unlike the other emulators it
/// asks for MFA at sign-in, and it checks authenticator codes: its one
/// authenticator secret is the same for every account.
pub struct Moto {
    child: Child,
    pub endpoint: String,
}

impl Moto {
    pub fn start() -> Self {
        let serve = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/moto/serve.py");
        let name = "moto's server (scripts/setup.sh installs it)";
        let (child, port) = start_on_free_port(name, |port| {
            Command::new("python3")
                .arg(&serve)
                .args(["-H", "127.0.0.1", "-p"])
                .arg(port.to_string())
                .env("MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP", "true")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|error| panic!("cannot start moto's server: {error}"))
        });
        Self {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Moto {
    /// A new user pool named `name` on this server; its id.
    pub async fn create_pool(&self, name: &str) -> String {
        cognito_login_backend::local::sdk_client(&self.endpoint)
            .create_user_pool()
            .pool_name(name)
            .send()
            .await
            .expect("moto creates the pool")
            .user_pool()
            .and_then(|pool| pool.id())
            .expect("a pool id")
            .to_owned()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for CognitoLocal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The cognito-local binary, installed with `npm ci` on first use.
fn installed_cognito_local() -> PathBuf {
    static INSTALL: Mutex<()> = Mutex::new(());
    let _guard = INSTALL.lock().unwrap_or_else(|poison| poison.into_inner());
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cognito-local");
    let bin = dir.join("node_modules/.bin/cognito-local");
    if !bin.exists() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .status()
            .unwrap_or_else(|error| {
                panic!("cognito-local is not installed and npm cannot run: {error}")
            });
        assert!(
            status.success(),
            "`npm ci` in {} failed: {status}",
            dir.display()
        );
    }
    bin
}

/// The code an authenticator app shows at `now` for a base32 `secret`
/// (RFC 6238: HMAC-SHA1, 30-second steps, six digits).
pub fn totp(secret: &str, now: SystemTime) -> String {
    use hmac::{Hmac, Mac};
    let mut key = Vec::new();
    let (mut bits, mut buffer) = (0, 0u32);
    for symbol in secret.trim_end_matches('=').bytes() {
        let symbol = symbol.to_ascii_uppercase();
        let value = match symbol {
            b'A'..=b'Z' => symbol - b'A',
            b'2'..=b'7' => symbol - b'2' + 26,
            other => panic!("{} is not base32", other as char),
        };
        buffer = (buffer << 5) | u32::from(value);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            key.push((buffer >> bits) as u8);
        }
    }
    let step = now.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() / 30;
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(&key).unwrap();
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[19] & 0x0f);
    let number = u32::from_be_bytes(digest[offset..offset + 4].try_into().unwrap()) & 0x7fff_ffff;
    format!("{:06}", number % 1_000_000)
}

/// A client for the local servers' plain HTTP. reqwest's rustls needs a
/// crypto provider: ring, the client crate's.
pub fn http() -> reqwest::ClientBuilder {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
}

/// What a [`recording_cognito`] was sent: each call's operation and body.
pub type Calls = std::sync::Arc<Mutex<Vec<(String, serde_json::Value)>>>;

/// A loopback "Cognito" that records each call and answers it with
/// `answer(operation)`: a status and a JSON body.
pub async fn recording_cognito(
    answer: impl Fn(&str) -> (u16, serde_json::Value) + Clone + Send + Sync + 'static,
) -> (String, Calls) {
    use axum::body::Bytes;
    use axum::http::{HeaderMap, StatusCode};
    let calls: Calls = Calls::default();
    let recorded = std::sync::Arc::clone(&calls);
    let app = axum::Router::new().fallback(move |headers: HeaderMap, body: Bytes| {
        let (recorded, answer) = (std::sync::Arc::clone(&recorded), answer.clone());
        async move {
            let target = headers["x-amz-target"].to_str().unwrap();
            let operation = target.rsplit('.').next().unwrap().to_owned();
            let body = serde_json::from_slice(&body).unwrap();
            let (status, answer) = answer(&operation);
            recorded.lock().unwrap().push((operation, body));
            (
                StatusCode::from_u16(status).unwrap(),
                [("content-type", "application/x-amz-json-1.1")],
                answer.to_string(),
            )
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, calls)
}
