//! The routes contract, `backend/openapi.yaml`, against both of its halves.
//! A recording proxy in front of the local stack captures every request the
//! client's API Gateway transport sends and every answer the handlers give,
//! at the HTTP layer, on a tour of every route (and, over moto, of the
//! sign-in challenges); `tests/openapi/check.py` checks each one against the
//! document. The tour must reach every route with a success and a refusal,
//! and send every request member the document names. Then schemathesis
//! fuzzes the local backend from the same document.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use cognito_login_backend::{CodePurpose, LocalConfig, LocalStack};
use cognito_login_client::{
    ApiGatewayConfig, AuthAction, AuthOutcome, AuthRequest, AuthWorker, MfaMethod, NewDevice,
    RememberedDevice, Tokens,
};
use serde_json::{Value, json};

use crate::mfa::{MfaPool, set_up_then_asked_for};
use crate::support::{self, PASSWORD, totp};

const DOCUMENT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml");
const CHECKER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/openapi/check.py");

/// Request members no emulator makes the client send, and the test that
/// checks them against the document instead.
const SENT_ELSEWHERE: [(&str, &str, &str); 1] = [(
    "/challenge",
    "responses",
    "client/tests/it/srp_exchange.rs (device SRP, which no emulator does)",
)];

/// One request and its answer.
#[derive(Debug, Clone)]
struct Exchange {
    method: String,
    path: String,
    /// The request's body, when the client sent it.
    request: Option<Value>,
    status: u16,
    response: Value,
}

/// A proxy on loopback in front of `upstream` that keeps every exchange.
struct Recorder {
    url: String,
    exchanges: Arc<Mutex<Vec<Exchange>>>,
}

#[derive(Clone)]
struct Forward {
    upstream: String,
    http: reqwest::Client,
    exchanges: Arc<Mutex<Vec<Exchange>>>,
}

impl Recorder {
    async fn start(upstream: &str) -> Self {
        let exchanges = Arc::new(Mutex::new(Vec::new()));
        let state = Forward {
            upstream: upstream.trim_end_matches('/').to_owned(),
            http: support::http().build().unwrap(),
            exchanges: Arc::clone(&exchanges),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let app = axum::Router::new().fallback(forward).with_state(state);
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, exchanges }
    }

    fn exchanges(&self) -> Vec<Exchange> {
        self.exchanges.lock().unwrap().clone()
    }
}

async fn forward(State(state): State<Forward>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20).await.unwrap();
    let mut call = state
        .http
        .request(
            parts.method.clone(),
            format!("{}{}", state.upstream, parts.uri),
        )
        .body(body.clone());
    for name in ["content-type", "authorization"] {
        if let Some(value) = parts.headers.get(name) {
            call = call.header(name, value);
        }
    }
    let answer = call.send().await.expect("the local stack answers");
    let status = answer.status();
    let content_type = answer.headers().get("content-type").cloned();
    let bytes = answer.bytes().await.unwrap();
    state.exchanges.lock().unwrap().push(Exchange {
        method: parts.method.as_str().to_ascii_lowercase(),
        path: parts.uri.path().to_owned(),
        request: Some(serde_json::from_slice(&body).expect("the client sends JSON")),
        status: status.as_u16(),
        response: serde_json::from_slice(&bytes).expect("the backend answers JSON"),
    });
    let mut response = Response::builder().status(status);
    if let Some(content_type) = content_type {
        response = response.header("content-type", content_type);
    }
    response.body(Body::from(bytes)).unwrap()
}

/// Every departure of `exchanges` from the document, as `check.py` words it.
fn departures(exchanges: &[Exchange]) -> String {
    let mut lines = String::new();
    for exchange in exchanges {
        if let Some(request) = &exchange.request {
            let line = json!({"method": exchange.method, "path": exchange.path,
                "request": request});
            lines.push_str(&format!("{line}\n"));
        }
        let line = json!({"method": exchange.method, "path": exchange.path,
            "status": exchange.status, "response": exchange.response});
        lines.push_str(&format!("{line}\n"));
    }
    check(&lines)
}

/// Runs the checker over JSON lines; its report, empty when all conform.
pub fn check(lines: &str) -> String {
    let mut checker = Command::new("python3")
        .args([CHECKER, DOCUMENT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("python3 runs (scripts/setup.sh installs it with schemathesis)");
    checker
        .stdin
        .take()
        .unwrap()
        .write_all(lines.as_bytes())
        .unwrap();
    let output = checker.wait_with_output().unwrap();
    let report = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success() || !report.is_empty(),
        "the checker failed: {}",
        output.status
    );
    report
}

/// The document, read as a Rust value.
fn document() -> Value {
    let text = std::fs::read_to_string(DOCUMENT).unwrap();
    serde_yaml::from_str(&text).expect("the document is YAML")
}

/// The document's `$ref` target for `node`, or `node` itself.
fn follow<'a>(document: &'a Value, node: &'a Value) -> &'a Value {
    match node["$ref"].as_str() {
        Some(reference) => reference
            .trim_start_matches("#/")
            .split('/')
            .fold(document, |node, part| &node[part]),
        None => node,
    }
}

/// The top-level members of each route's request body, by path and method.
fn request_members(document: &Value) -> BTreeMap<(String, String), BTreeSet<String>> {
    let mut members = BTreeMap::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let Some(body) = operation.get("requestBody") else {
                continue;
            };
            let schema = follow(
                document,
                &follow(document, body)["content"]["application/json"]["schema"],
            );
            let names = schema["properties"]
                .as_object()
                .map(|properties| properties.keys().cloned().collect())
                .unwrap_or_default();
            members.insert((path.clone(), method.clone()), names);
        }
    }
    members
}

#[test]
fn the_document_names_every_route_of_the_client_and_no_other() {
    let document = document();
    let paths: BTreeSet<&str> = document["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut routes: BTreeSet<&str> = AuthAction::ALL
        .iter()
        .map(|action| action.default_route())
        .collect();
    routes.insert(cognito_login_backend::profile::PROFILE_ROUTE);
    routes.insert(cognito_login_backend::profile::ADMIN_PROFILE_ROUTE);
    assert_eq!(paths, routes);
    for action in AuthAction::ALL {
        let methods: Vec<&String> = document["paths"][action.default_route()]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(methods, ["post"], "{}", action.default_route());
    }
}

#[test]
fn the_checker_reports_what_the_document_refuses() {
    let report = check(concat!(
        r#"{"method": "post", "path": "/signin", "request": {"username": "", "pasword": "p"}}"#,
        "\n",
        r#"{"method": "post", "path": "/account", "status": 200, "response": {"Username": 5}}"#,
        "\n",
        r#"{"method": "post", "path": "/signup", "status": 302, "response": {}}"#,
        "\n",
        r#"{"method": "get", "path": "/signin", "status": 200, "response": {}}"#,
        "\n",
        r#"{"method": "post", "path": "/confirm", "status": 400, "response": {"message": "m"}}"#,
        "\n",
        r#"{"method": "post", "path": "/confirm", "status": 200, "response": {}}"#,
    ));
    let lines: Vec<&str> = report.lines().collect();
    for expected in [
        r#"POST /signin: request: "password" is a required property"#,
        r#"POST /signin: request: "" is shorter than 1 character at /username"#,
        r#"POST /account: answer 200: "UserAttributes" is a required property"#,
        r#"POST /account: answer 200: 5 is not of type "string" at /Username"#,
        "POST /signup: status 302 is not documented",
        "GET /signin: not in the document",
        r#"POST /confirm: answer 400: "__type" is a required property"#,
    ] {
        assert!(
            lines.iter().any(|line| line.starts_with(expected)),
            "{expected:?} is not in:\n{report}"
        );
    }
    assert_eq!(lines.len(), 7, "{report}");
}

async fn ask(worker: &AuthWorker, request: AuthRequest) -> AuthOutcome {
    support::ask(worker, request)
        .await
        .expect("the call succeeds")
}

async fn refused(worker: &AuthWorker, request: AuthRequest) {
    let outcome = support::ask(worker, request).await;
    assert!(outcome.is_err(), "expected a refusal, got {outcome:?}");
}

fn tokens(outcome: AuthOutcome) -> Tokens {
    match outcome {
        AuthOutcome::Tokens(tokens) => tokens,
        other => panic!("expected tokens, got {other:?}"),
    }
}

/// Every route through the client, with a success and a refusal each, over
/// the embedded emulator.
async fn tour(local: &LocalStack, worker: &AuthWorker) {
    let user = support::username("contract");
    let code = |purpose| {
        local
            .mailbox()
            .unwrap()
            .latest_code(&user, purpose)
            .expect("a code was sent")
    };
    let sign_up = || AuthRequest::SignUp {
        username: user.clone(),
        password: PASSWORD.into(),
        email: format!("{user}@example.com"),
        locale: Some("pt-BR".into()),
    };
    let sign_in = |password: &str, device: Option<RememberedDevice>| AuthRequest::SignIn {
        username: user.clone(),
        password: password.into(),
        device,
    };
    ask(worker, sign_up()).await;
    refused(worker, sign_up()).await;
    let resend = AuthRequest::ResendCode {
        username: user.clone(),
    };
    ask(worker, resend).await;
    refused(
        worker,
        AuthRequest::ConfirmSignUp {
            username: user.clone(),
            code: "000000".into(),
        },
    )
    .await;
    let confirm = AuthRequest::ConfirmSignUp {
        username: user.clone(),
        code: code(CodePurpose::ConfirmSignUp).into(),
    };
    ask(worker, confirm).await;
    refused(worker, sign_in("Wrong-Pass-9", None)).await;
    let session = tokens(ask(worker, sign_in(PASSWORD, None)).await);
    let access = || session.access_token.clone();
    let refresh = |refresh_token| AuthRequest::Refresh {
        refresh_token,
        username: Some(user.clone()),
    };
    ask(worker, refresh(session.refresh_token.clone().unwrap())).await;
    refused(worker, refresh("not.a.token".into())).await;

    ask(
        worker,
        AuthRequest::GetAccount {
            access_token: access(),
        },
    )
    .await;
    let email = AuthRequest::ChangeEmail {
        access_token: access(),
        email: format!("{user}.new@example.com"),
    };
    ask(worker, email).await;
    let resend = AuthRequest::ResendEmailCode {
        access_token: access(),
    };
    ask(worker, resend).await;
    let verify = |code: String| AuthRequest::VerifyEmail {
        access_token: access(),
        code: code.into(),
    };
    refused(worker, verify("000000".into())).await;
    ask(worker, verify(code(CodePurpose::VerifyEmail))).await;

    let AuthOutcome::AuthenticatorSecret(secret) = ask(
        worker,
        AuthRequest::AddAuthenticator {
            access_token: access(),
        },
    )
    .await
    else {
        panic!("an authenticator secret")
    };
    let verify = AuthRequest::VerifyAuthenticator {
        access_token: access(),
        code: totp(secret.expose(), SystemTime::now()).into(),
        device_name: "phone".into(),
    };
    ask(worker, verify).await;
    // Email codes need a pool of the Essentials tier, which cognitox's is not.
    for enabled in [true, false] {
        let set = AuthRequest::SetMfa {
            access_token: access(),
            method: MfaMethod::Authenticator,
            enabled,
        };
        ask(worker, set).await;
    }

    let device = RememberedDevice::new(NewDevice {
        key: format!(
            "eu-west-1_{:08x}-0000-4000-8000-00000000c0de",
            std::process::id()
        ),
        group_key: "-devicegroup".into(),
    })
    .unwrap();
    let remember = AuthRequest::RememberDevice {
        access_token: access(),
        device: device.clone(),
        name: "Living-room PC".into(),
    };
    ask(worker, remember).await;
    let list = AuthRequest::ListDevices {
        access_token: access(),
    };
    ask(worker, list).await;
    ask(worker, sign_in(PASSWORD, Some(device.clone()))).await;
    let forget = || AuthRequest::ForgetDevice {
        access_token: access(),
        device_key: device.key.clone(),
    };
    ask(worker, forget()).await;
    refused(worker, forget()).await;

    let change = |previous: &str, proposed: &str| AuthRequest::ChangePassword {
        access_token: access(),
        previous: previous.into(),
        proposed: proposed.into(),
    };
    refused(worker, change("Wrong-Pass-9", "Another-Pass-2")).await;
    ask(worker, change(PASSWORD, "Another-Pass-2")).await;
    let forgot = AuthRequest::ForgotPassword {
        username: user.clone(),
    };
    ask(worker, forgot).await;
    let reset = |code: String| AuthRequest::ResetPassword {
        username: user.clone(),
        code: code.into(),
        password: PASSWORD.into(),
    };
    refused(worker, reset("000000".into())).await;
    ask(worker, reset(code(CodePurpose::ResetPassword))).await;

    let session = tokens(ask(worker, sign_in(PASSWORD, None)).await);
    let sign_out = AuthRequest::SignOut {
        refresh_token: session.refresh_token.clone(),
    };
    ask(worker, sign_out).await;
    let session = tokens(ask(worker, sign_in(PASSWORD, None)).await);
    let everywhere = AuthRequest::SignOutEverywhere {
        access_token: session.access_token.clone(),
    };
    ask(worker, everywhere).await;
    let session = tokens(ask(worker, sign_in(PASSWORD, None)).await);
    let delete = || AuthRequest::DeleteAccount {
        access_token: session.access_token.clone(),
    };
    ask(worker, delete()).await;
    for refusal in [
        delete(),
        AuthRequest::SignOut {
            refresh_token: session.refresh_token.clone(),
        },
        AuthRequest::SignOutEverywhere {
            access_token: session.access_token.clone(),
        },
        AuthRequest::GetAccount {
            access_token: session.access_token.clone(),
        },
        AuthRequest::ResendCode {
            username: user.clone(),
        },
        AuthRequest::ForgotPassword {
            username: user.clone(),
        },
        AuthRequest::ChangeEmail {
            access_token: session.access_token.clone(),
            email: "x@example.com".into(),
        },
        AuthRequest::ResendEmailCode {
            access_token: session.access_token.clone(),
        },
        AuthRequest::AddAuthenticator {
            access_token: session.access_token.clone(),
        },
        AuthRequest::VerifyAuthenticator {
            access_token: session.access_token.clone(),
            code: "123456".into(),
            device_name: "phone".into(),
        },
        AuthRequest::SetMfa {
            access_token: session.access_token.clone(),
            method: MfaMethod::Authenticator,
            enabled: true,
        },
        AuthRequest::RememberDevice {
            access_token: session.access_token.clone(),
            device: device.clone(),
            name: "Living-room PC".into(),
        },
        AuthRequest::ListDevices {
            access_token: session.access_token.clone(),
        },
    ] {
        refused(worker, refusal).await;
    }
}

/// A new player's session on `local`.
async fn player(local: &LocalStack, name: &str) -> Tokens {
    let worker = support::worker(&local.endpoints().api_gateway_config().into());
    let user = support::username(name);
    let sign_up = AuthRequest::SignUp {
        username: user.clone(),
        password: PASSWORD.into(),
        email: format!("{user}@example.com"),
        locale: None,
    };
    ask(&worker, sign_up).await;
    let code = local
        .mailbox()
        .unwrap()
        .latest_code(&user, CodePurpose::ConfirmSignUp)
        .unwrap();
    let confirm = AuthRequest::ConfirmSignUp {
        username: user.clone(),
        code: code.into(),
    };
    ask(&worker, confirm).await;
    let sign_in = AuthRequest::SignIn {
        username: user,
        password: PASSWORD.into(),
        device: None,
    };
    tokens(ask(&worker, sign_in).await)
}

/// The profile routes with and without the player's token, and the admin
/// route as a player and as an admin; the game's own calls are not the
/// client's, so only their answers are checked.
async fn profile_tour(recorder: &Recorder, local: &LocalStack) {
    let session = player(local, "contract-profile").await;
    let sub =
        cognito_login_client::unverified_claims(session.access_token.expose()).unwrap()["sub"]
            .as_str()
            .unwrap()
            .to_owned();
    let http = support::http().build().unwrap();
    let url = format!("{}/profile", recorder.url);
    let bearer = format!("Bearer {}", session.access_token.expose());
    for (method, token, body) in [
        ("GET", Some(&bearer), None),
        (
            "PUT",
            Some(&bearer),
            Some(json!({"version": 0, "data": {"level": 3}})),
        ),
        (
            "PUT",
            Some(&bearer),
            Some(json!({"version": 0, "data": {"level": 4}})),
        ),
        ("GET", Some(&bearer), None),
        ("GET", None, None),
        ("PUT", None, Some(json!({"version": 1, "data": {}}))),
    ] {
        let mut call = http.request(method.parse().unwrap(), &url);
        if let Some(token) = token {
            call = call.header("authorization", token);
        }
        let body = body.map_or_else(|| "{}".to_owned(), |body| body.to_string());
        call = call.header("content-type", "application/json").body(body);
        call.send().await.unwrap();
    }
    let admin_url = format!("{}/admin/profiles/{sub}", recorder.url);
    // The recorder reads every request as JSON, as the tour above sends it.
    let get = |bearer: String| {
        http.get(&admin_url)
            .header("authorization", bearer)
            .header("content-type", "application/json")
            .body("{}")
    };
    let player_answer = get(bearer.clone());
    assert_eq!(player_answer.send().await.unwrap().status(), 403);
    let user = support::username("contract-profile");
    cognito_login_backend::local::sdk_client(local.cognito_endpoint())
        .admin_add_user_to_group()
        .user_pool_id(local.user_pool_id())
        .username(&user)
        .group_name(cognito_login_backend::profile::ADMIN_GROUP)
        .send()
        .await
        .unwrap();
    let worker = support::worker(&local.endpoints().api_gateway_config().into());
    let sign_in = AuthRequest::SignIn {
        username: user,
        password: PASSWORD.into(),
        device: None,
    };
    let admin = tokens(ask(&worker, sign_in).await);
    let admin_answer = get(format!("Bearer {}", admin.access_token.expose()));
    assert_eq!(admin_answer.send().await.unwrap().status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_client_and_the_handlers_keep_to_the_document() {
    let local = LocalStack::start(LocalConfig::default()).await.unwrap();
    let recorder = Recorder::start(local.url()).await;
    let config = ApiGatewayConfig::new(&recorder.url, local.endpoints().token_check());
    tour(&local, &support::worker(&config.into())).await;
    profile_tour(&recorder, &local).await;
    let mut exchanges = recorder.exchanges();
    for exchange in &mut exchanges {
        if exchange.path == cognito_login_backend::profile::PROFILE_ROUTE {
            exchange.request = None;
        }
        if exchange.path.starts_with("/admin/profiles/") {
            exchange.path = cognito_login_backend::profile::ADMIN_PROFILE_ROUTE.to_owned();
            exchange.request = None;
        }
    }

    let pool = MfaPool::start().await;
    let recorder = Recorder::start(pool.local.url()).await;
    let config = ApiGatewayConfig::new(&recorder.url, pool.token_check());
    set_up_then_asked_for(&pool, &support::worker(&config.into()), "contract").await;
    exchanges.extend(recorder.exchanges());

    let report = departures(&exchanges);
    assert!(report.is_empty(), "departures from the document:\n{report}");

    // Every operation answered both ways, and every request member sent.
    let document = document();
    let mut answered: BTreeMap<(String, String), BTreeSet<u16>> = BTreeMap::new();
    let mut sent: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for exchange in &exchanges {
        let key = (exchange.path.clone(), exchange.method.clone());
        answered
            .entry(key.clone())
            .or_default()
            .insert(exchange.status / 100);
        if let Some(Value::Object(body)) = &exchange.request {
            sent.entry(key).or_default().extend(body.keys().cloned());
        }
    }
    let mut gaps = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let classes = answered
                .get(&(path.clone(), method.clone()))
                .cloned()
                .unwrap_or_default();
            if !classes.contains(&2) || !classes.contains(&4) {
                gaps.push(format!("{method} {path} answered only {classes:?}xx"));
            }
        }
    }
    for ((path, method), members) in request_members(&document) {
        if path == cognito_login_backend::profile::PROFILE_ROUTE
            || path == cognito_login_backend::profile::ADMIN_PROFILE_ROUTE
        {
            continue;
        }
        let seen = sent.get(&(path.clone(), method.clone()));
        for member in members {
            let elsewhere = SENT_ELSEWHERE
                .iter()
                .any(|(route, name, _)| *route == path && *name == member);
            if !elsewhere && !seen.is_some_and(|seen| seen.contains(&member)) {
                gaps.push(format!("{method} {path}: the client never sent {member}"));
            }
        }
    }
    assert!(gaps.is_empty(), "{}", gaps.join("\n"));
}

/// schemathesis (PyPI) generates bodies from the document, valid and not,
/// for every route of the local backend: each gets a documented answer
/// (a 4xx with the typed error body when refused), never a 5xx, and no
/// answer repeats a secret of its request (`tests/openapi/hooks.py`).
#[tokio::test(flavor = "multi_thread")]
async fn schemathesis_finds_no_departure_in_the_local_backend() {
    let local = LocalStack::start(LocalConfig::default()).await.unwrap();
    // The profile routes are fuzzed as a signed-in player.
    let session = player(&local, "contract-fuzz").await;
    let bearer = format!("Authorization: Bearer {}", session.access_token.expose());
    let hooks = Path::new(CHECKER).with_file_name("hooks.py");
    let dir = tempfile::tempdir().unwrap();
    let mut run = Command::new("schemathesis");
    run.args(["run", DOCUMENT, "--url", local.url(), "--header", &bearer])
        .args(["--checks", "all", "--exclude-checks", EXCLUDED_CHECKS])
        .args([
            "--max-examples",
            "25",
            "--seed",
            "20261202",
            "--workers",
            "2",
        ])
        .args(["--no-color", "--request-timeout", "10"])
        .env("SCHEMATHESIS_HOOKS", "hooks")
        .env("PYTHONPATH", hooks.parent().unwrap())
        .current_dir(&dir);
    let log = dir.path().join("schemathesis.log");
    let file = std::fs::File::create(&log).unwrap();
    run.stdout(file.try_clone().unwrap()).stderr(file);
    let status = tokio::task::spawn_blocking(move || {
        let child = run
            .spawn()
            .expect("schemathesis runs (scripts/setup.sh installs it)");
        wait_with_deadline(child, Duration::from_secs(300))
    })
    .await
    .unwrap();
    // The report, with each line cut short: a generated body can be large.
    let output: String = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|line| format!("{}\n", line.chars().take(300).collect::<String>()))
        .collect();
    match status {
        Some(status) if status.success() => {}
        Some(status) => panic!("schemathesis found departures ({status}):\n{output}"),
        None => panic!("schemathesis did not finish within 300 s:\n{output}"),
    }
}

/// The checks a login backend cannot pass by design: a well-formed body
/// with a made-up username or code is still refused (positive data is not
/// always accepted), and the routes take no resources to create and fetch.
const EXCLUDED_CHECKS: &str =
    "positive_data_acceptance,use_after_free,ensure_resource_availability";

/// The child's exit status, or `None` (and the child killed) once
/// `deadline` passes.
fn wait_with_deadline(
    mut child: std::process::Child,
    deadline: Duration,
) -> Option<std::process::ExitStatus> {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        if start.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A value for each request member that the routes take as well-formed.
fn well_formed(member: &str) -> Value {
    match member {
        "username" => json!("player"),
        "password" | "previousPassword" | "proposedPassword" => json!(PASSWORD),
        "email" => json!("player@example.com"),
        "code" | "answer" => json!("123456"),
        "session" => json!("s".repeat(20)),
        "challengeName" => json!("SMS_MFA"),
        "accessToken" | "refreshToken" => json!("a.b.c"),
        "deviceKey" => json!("eu-west-1_0a1b"),
        "method" => json!("Authenticator"),
        "enabled" => json!(true),
        "responses" => json!({}),
        _ => json!("x"),
    }
}

/// A string of `length` characters that keeps to `schema`'s pattern where
/// one that long can (a device key has at least three: `e_a`).
fn of_length(schema: &Value, length: usize) -> String {
    match schema["pattern"].as_str() {
        Some(pattern) if pattern.contains("_[0-9a-f-]") && length >= 3 => {
            format!("e_{}", "a".repeat(length - 2))
        }
        _ => "a".repeat(length),
    }
}

/// The limits the document puts on each string member are the ones the
/// routes hold bodies to, on both sides of each bound.
#[tokio::test(flavor = "multi_thread")]
async fn the_routes_hold_members_to_the_documents_limits() {
    let local = LocalStack::start(LocalConfig::default()).await.unwrap();
    let http = support::http().build().unwrap();
    let document = document();
    let mut checked = 0;
    let mut wrong = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        let Some(body) = item["post"].get("requestBody") else {
            continue;
        };
        let schema = follow(
            &document,
            &follow(&document, body)["content"]["application/json"]["schema"],
        );
        let base: serde_json::Map<String, Value> = schema["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|name| {
                let name = name.as_str().unwrap();
                (name.to_owned(), well_formed(name))
            })
            .collect();
        for (member, member_schema) in schema["properties"].as_object().unwrap() {
            let member_schema = follow(&document, member_schema);
            let (min, max) = (
                member_schema["minLength"].as_u64().unwrap_or(0) as usize,
                member_schema["maxLength"].as_u64(),
            );
            let Some(max) = max.map(|max| max as usize) else {
                continue;
            };
            let mut cases = vec![(of_length(member_schema, max), false)];
            cases.push((of_length(member_schema, max + 1), true));
            if min > 0 {
                let pattern = member_schema.get("pattern").is_some();
                cases.push((
                    of_length(member_schema, min.max(if pattern { 3 } else { 0 })),
                    false,
                ));
                cases.push((of_length(member_schema, min - 1), true));
            }
            if member_schema.get("pattern").is_some() {
                cases.push(("eu_a b".into(), true));
            }
            for (value, refused) in cases {
                let mut body = base.clone();
                body.insert(member.clone(), json!(value));
                let answer = http
                    .post(format!("{}{path}", local.url()))
                    .header("content-type", "application/json")
                    .body(Value::Object(body).to_string())
                    .send()
                    .await
                    .unwrap();
                let status = answer.status().as_u16();
                let text = answer.text().await.unwrap();
                let by_the_route = status == 400
                    && (text.contains(&format!("{member} needs"))
                        || text.contains(&format!("{member} has characters")));
                if by_the_route != refused {
                    wrong.push(format!(
                        "{path} {member} of {} characters: {status} {}",
                        value.chars().count(),
                        text.chars().take(200).collect::<String>()
                    ));
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 50, "only {checked} bounds were checked");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The device proof's responses, as the client sends them (with the
/// `USERNAME` the challenge named), reach Cognito: the route once refused
/// them. cognitox does no device SRP, so its own refusal is what arrives.
#[tokio::test(flavor = "multi_thread")]
async fn a_device_proof_with_the_challenges_username_reaches_cognito() {
    let local = LocalStack::start(LocalConfig::default()).await.unwrap();
    let body = json!({"username": "player@example.com", "session": "s".repeat(20),
        "challengeName": "DEVICE_SRP_AUTH", "answer": "",
        "responses": {"USERNAME": "0a1b2c3d-internal", "DEVICE_KEY": "eu-west-1_0a1b", "SRP_A": "ab"}});
    let answer = support::http()
        .build()
        .unwrap()
        .post(format!("{}/challenge", local.url()))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let text = answer.text().await.unwrap();
    assert!(text.contains("Not implemented: Challenge"), "{text}");
}
