//! The user-pool transport against the AWS API model of cognito-idp, not
//! against an emulator: botocore's `service-2.json` (the PyPI package
//! `scripts/setup.sh` pins; read through botocore's own loader).
//!
//! - Every request the transport sends, captured at the HTTP layer from the
//!   real transport talking to a scripted pool on loopback, fits its
//!   operation: the `X-Amz-Target` and content type of the `awsJson1_1`
//!   protocol, required members, no unknown member, types, lengths, enum
//!   values and patterns (anchored: Cognito refuses a username with a
//!   space, which the unanchored pattern would match).
//! - The response parser takes every answer the model and the protocol
//!   allow: all members, only the required ones, each optional member
//!   absent, unknown members, an empty body or `{}` where the operation has
//!   no output, and every modelled error of the operation with and without
//!   a message, in the body's `__type` (plain, with its namespace, with
//!   Coral's `:` suffix) and in the `x-amzn-ErrorType` header.
//! - An operation named anywhere in the client's source that these checks
//!   do not cover fails the suite.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use cognito_login_client::response::{Answer, parse};
use cognito_login_client::{
    AuthError, AuthOutcome, AuthRequest, ChallengeName, MfaMethod, NewDevice, RememberedDevice,
    ServerErrorKind, SignInFlow, Transport, UserPoolConfig, UserPoolTransport,
};
use serde_json::{Value, json};

use crate::support::{header, serve};

const POOL: &str = "eu-west-1_AbCdEf123";
const CLIENT: &str = "1example23456789abcdefghij";
const SECRET: &str = "1a2b3c4d5e6f7g8h9i0j1k2l3m4n5o6p7q8r9s0t1u2v3w4x5y6z";
const USER_ID: &str = "0f5c2d2e-1111-4c4c-8a8a-123456789abc";
const ACCESS: &str = "eyJraWQiOiJrMSJ9.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJl";
const REFRESH: &str = "eyJjdHkiOiJKV1QifQ.cmVmcmVzaA.dG9rZW4";
const SESSION: &str = "AYABeC1session-of-the-scripted-pool-0123456789";
const DEVICE_KEY: &str = "eu-west-1_0f5c2d2e-2222-4c4c-8a8a-123456789abc";

/// The AWS API model of the user-pool API.
struct Model {
    doc: Value,
}

impl Model {
    fn load() -> Self {
        let script = "import json, sys, botocore, botocore.loaders\n\
            model = botocore.loaders.Loader().load_service_model('cognito-idp', 'service-2')\n\
            model['botocore'] = botocore.__version__\n\
            json.dump(model, sys.stdout)";
        let output = std::process::Command::new("python3")
            .args(["-c", script])
            .output()
            .expect("python3 runs (scripts/test.sh puts its virtual environment on PATH)");
        assert!(
            output.status.success(),
            "botocore's model cannot be read: {} (scripts/setup.sh installs botocore)",
            String::from_utf8_lossy(&output.stderr)
        );
        let doc: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(
            doc["metadata"]["targetPrefix"],
            "AWSCognitoIdentityProviderService"
        );
        assert_eq!(doc["metadata"]["jsonVersion"], "1.1");
        Self { doc }
    }

    fn operation(&self, name: &str) -> &Value {
        let operation = &self.doc["operations"][name];
        assert!(operation.is_object(), "no operation {name} in the model");
        operation
    }

    fn shape(&self, name: &str) -> &Value {
        &self.doc["shapes"][name]
    }

    /// Every way `value` breaks shape `name`, at `path`.
    fn check(&self, name: &str, value: &Value, path: &str, problems: &mut Vec<String>) {
        let shape = self.shape(name);
        let mut problem = |what: String| problems.push(format!("{path}: {what} ({name})"));
        match shape["type"].as_str().unwrap() {
            "structure" => {
                let Some(object) = value.as_object() else {
                    return problem(format!("{value} is not an object"));
                };
                for required in required(shape) {
                    if !object.contains_key(required) {
                        problem(format!("the required {required} is missing"));
                    }
                }
                for (key, member) in object {
                    match shape["members"].get(key) {
                        Some(member_shape) => self.check(
                            member_shape["shape"].as_str().unwrap(),
                            member,
                            &format!("{path}.{key}"),
                            problems,
                        ),
                        None => problems.push(format!("{path}: unknown member {key} ({name})")),
                    }
                }
            }
            "string" => {
                let Some(text) = value.as_str() else {
                    return problem(format!("{value} is not a string"));
                };
                let length = text.chars().count() as u64;
                if shape["min"].as_u64().is_some_and(|min| length < min)
                    || shape["max"].as_u64().is_some_and(|max| length > max)
                {
                    problem(format!(
                        "{length} characters, outside {}..{}",
                        shape["min"], shape["max"]
                    ));
                }
                if let Some(values) = shape["enum"].as_array()
                    && !values.iter().any(|allowed| allowed == value)
                {
                    problem(format!("{value} is none of {values:?}"));
                }
                if let Some(pattern) = shape["pattern"].as_str() {
                    let anchored = regex::Regex::new(&format!("^(?:{pattern})$"))
                        .unwrap_or_else(|error| panic!("{name}'s pattern {pattern}: {error}"));
                    if !anchored.is_match(text) {
                        problem(format!("{value} does not match {pattern}"));
                    }
                }
            }
            "integer" | "long" => {
                let Some(number) = value.as_i64() else {
                    return problem(format!("{value} is not an integer"));
                };
                if shape["min"].as_i64().is_some_and(|min| number < min)
                    || shape["max"].as_i64().is_some_and(|max| number > max)
                {
                    problem(format!(
                        "{number} is outside {}..{}",
                        shape["min"], shape["max"]
                    ));
                }
            }
            "boolean" => {
                if !value.is_boolean() {
                    problem(format!("{value} is not a boolean"));
                }
            }
            "list" => {
                let Some(items) = value.as_array() else {
                    return problem(format!("{value} is not a list"));
                };
                let length = items.len() as u64;
                if shape["min"].as_u64().is_some_and(|min| length < min)
                    || shape["max"].as_u64().is_some_and(|max| length > max)
                {
                    problem(format!("{length} items"));
                }
                let member = shape["member"]["shape"].as_str().unwrap();
                for (index, item) in items.iter().enumerate() {
                    self.check(member, item, &format!("{path}[{index}]"), problems);
                }
            }
            "map" => {
                let Some(entries) = value.as_object() else {
                    return problem(format!("{value} is not a map"));
                };
                let (key, member) = (
                    shape["key"]["shape"].as_str().unwrap(),
                    shape["value"]["shape"].as_str().unwrap(),
                );
                for (name, entry) in entries {
                    self.check(key, &Value::from(name.as_str()), path, problems);
                    self.check(member, entry, &format!("{path}.{name}"), problems);
                }
            }
            other => problem(format!("a {other} shape, which the client never sends")),
        }
    }

    /// A value of shape `name`: every member (`full`) or only the required
    /// ones, each string as long as its shape allows at least.
    fn sample(&self, name: &str, full: bool) -> Value {
        let shape = self.shape(name);
        match shape["type"].as_str().unwrap() {
            "structure" => {
                let required = required(shape);
                let members = shape["members"].as_object().unwrap();
                Value::Object(
                    members
                        .iter()
                        .filter(|(key, _)| full || required.contains(key.as_str()))
                        .map(|(key, member)| {
                            (
                                key.clone(),
                                self.sample(member["shape"].as_str().unwrap(), full),
                            )
                        })
                        .collect(),
                )
            }
            "string" => match shape["enum"].as_array() {
                Some(values) => values[0].clone(),
                None => {
                    let min = shape["min"].as_u64().unwrap_or(1).max(1) as usize;
                    Value::from(
                        format!("{name}-value")
                            .chars()
                            .cycle()
                            .take(min.max(12))
                            .collect::<String>(),
                    )
                }
            },
            "integer" | "long" => Value::from(shape["min"].as_i64().unwrap_or(0).max(3600)),
            "boolean" => Value::Bool(true),
            "timestamp" => Value::from(1_700_000_000.5),
            "blob" => Value::from("AAAA"),
            "list" => Value::Array(vec![
                self.sample(shape["member"]["shape"].as_str().unwrap(), full),
            ]),
            "map" => json!({"key": self.sample(shape["value"]["shape"].as_str().unwrap(), full)}),
            other => panic!("no sample of a {other}"),
        }
    }

    /// The paths of the optional members of `value` (shape `name`), at any
    /// depth (a list's first item stands for all).
    fn optional_paths(
        &self,
        name: &str,
        value: &Value,
        path: &mut Vec<String>,
        out: &mut Vec<Vec<String>>,
    ) {
        let shape = self.shape(name);
        match shape["type"].as_str().unwrap() {
            "structure" => {
                let required = required(shape);
                for (key, member) in shape["members"].as_object().unwrap() {
                    path.push(key.clone());
                    if !required.contains(key.as_str()) {
                        out.push(path.clone());
                    }
                    self.optional_paths(member["shape"].as_str().unwrap(), &value[key], path, out);
                    path.pop();
                }
            }
            "list" if value.get(0).is_some() => {
                path.push("0".into());
                self.optional_paths(
                    shape["member"]["shape"].as_str().unwrap(),
                    &value[0],
                    path,
                    out,
                );
                path.pop();
            }
            _ => {}
        }
    }
}

/// The names of a structure shape's required members.
fn required(shape: &Value) -> BTreeSet<&str> {
    shape["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

/// `value` without the member at `path`.
fn without(value: &Value, path: &[String]) -> Value {
    let mut value = value.clone();
    let (last, parents) = path.split_last().unwrap();
    let mut at = &mut value;
    for step in parents {
        at = match at {
            Value::Array(items) => &mut items[step.parse::<usize>().unwrap()],
            other => &mut other[step.as_str()],
        };
    }
    at.as_object_mut().unwrap().remove(last);
    value
}

fn device() -> RememberedDevice {
    RememberedDevice::new(NewDevice {
        key: DEVICE_KEY.into(),
        group_key: "-a1b2c3d4e".into(),
    })
    .unwrap()
}

/// One request of each kind the client sends, and the operation whose
/// answer the transport reads as that request's outcome (with
/// [`parse`]); the steps of a flow (an SRP proof, a device's, the
/// authenticator set up during a sign-in) are read along the way.
fn parsed_as() -> Vec<(&'static str, AuthRequest)> {
    let access_token = || ACCESS.into();
    vec![
        (
            "SignUp",
            AuthRequest::SignUp {
                username: "ada".into(),
                password: "Secret-Pass-1".into(),
                email: "ada@example.com".into(),
                locale: None,
            },
        ),
        (
            "ConfirmSignUp",
            AuthRequest::ConfirmSignUp {
                username: "ada".into(),
                code: "123456".into(),
            },
        ),
        (
            "ResendConfirmationCode",
            AuthRequest::ResendCode {
                username: "ada".into(),
            },
        ),
        (
            "ForgotPassword",
            AuthRequest::ForgotPassword {
                username: "ada".into(),
            },
        ),
        (
            "ConfirmForgotPassword",
            AuthRequest::ResetPassword {
                username: "ada".into(),
                code: "123456".into(),
                password: "Secret-Pass-2".into(),
            },
        ),
        (
            "InitiateAuth",
            AuthRequest::SignIn {
                username: "ada".into(),
                password: "Secret-Pass-1".into(),
                device: None,
            },
        ),
        (
            "InitiateAuth",
            AuthRequest::Refresh {
                refresh_token: REFRESH.into(),
                username: Some(USER_ID.into()),
            },
        ),
        (
            "GetTokensFromRefreshToken",
            AuthRequest::Refresh {
                refresh_token: REFRESH.into(),
                username: Some(USER_ID.into()),
            },
        ),
        (
            "RespondToAuthChallenge",
            AuthRequest::RespondToChallenge {
                username: USER_ID.into(),
                challenge: ChallengeName::SoftwareTokenMfa,
                session: SESSION.into(),
                answer: "123456".into(),
            },
        ),
        (
            "RevokeToken",
            AuthRequest::SignOut {
                refresh_token: Some(REFRESH.into()),
            },
        ),
        (
            "GlobalSignOut",
            AuthRequest::SignOutEverywhere {
                access_token: access_token(),
            },
        ),
        (
            "ChangePassword",
            AuthRequest::ChangePassword {
                access_token: access_token(),
                previous: "Secret-Pass-1".into(),
                proposed: "Secret-Pass-2".into(),
            },
        ),
        (
            "GetUser",
            AuthRequest::GetAccount {
                access_token: access_token(),
            },
        ),
        (
            "DeleteUser",
            AuthRequest::DeleteAccount {
                access_token: access_token(),
            },
        ),
        (
            "UpdateUserAttributes",
            AuthRequest::ChangeEmail {
                access_token: access_token(),
                email: "ada@example.org".into(),
            },
        ),
        (
            "GetUserAttributeVerificationCode",
            AuthRequest::ResendEmailCode {
                access_token: access_token(),
            },
        ),
        (
            "VerifyUserAttribute",
            AuthRequest::VerifyEmail {
                access_token: access_token(),
                code: "123456".into(),
            },
        ),
        (
            "AssociateSoftwareToken",
            AuthRequest::AddAuthenticator {
                access_token: access_token(),
            },
        ),
        (
            "VerifySoftwareToken",
            AuthRequest::VerifyAuthenticator {
                access_token: access_token(),
                code: "123456".into(),
                device_name: "Phone".into(),
            },
        ),
        (
            "SetUserMFAPreference",
            AuthRequest::SetMfa {
                access_token: access_token(),
                method: MfaMethod::Authenticator,
                enabled: true,
            },
        ),
        (
            "ConfirmDevice",
            AuthRequest::RememberDevice {
                access_token: access_token(),
                device: device(),
                name: "Living-room PC".into(),
            },
        ),
        (
            "UpdateDeviceStatus",
            AuthRequest::RememberDevice {
                access_token: access_token(),
                device: device(),
                name: "Living-room PC".into(),
            },
        ),
        (
            "ListDevices",
            AuthRequest::ListDevices {
                access_token: access_token(),
            },
        ),
        (
            "ForgetDevice",
            AuthRequest::ForgetDevice {
                access_token: access_token(),
                device_key: DEVICE_KEY.into(),
            },
        ),
    ]
}

/// What the client needs of an answer to go on: without the member at one
/// of these paths it fails clearly ([`AuthError::Malformed`]). Anything
/// else the model leaves optional may be absent.
fn needed(operation: &str) -> &'static [&'static str] {
    match operation {
        // A sign-in's step answers tokens or a challenge.
        "InitiateAuth" | "RespondToAuthChallenge" => &[
            "AuthenticationResult.AccessToken",
            "AuthenticationResult.IdToken",
        ],
        "GetTokensFromRefreshToken" => &[
            "AuthenticationResult",
            "AuthenticationResult.AccessToken",
            "AuthenticationResult.IdToken",
        ],
        // The app's secret is what the player scans.
        "AssociateSoftwareToken" => &["SecretCode"],
        _ => &[],
    }
}

fn read(
    request: &AuthRequest,
    status: u16,
    header: Option<&str>,
    body: &str,
) -> Result<AuthOutcome, AuthError> {
    let answer = Answer {
        status,
        error_type_header: header,
        body: body.as_bytes(),
    };
    parse(request, answer.aws_json(), SystemTime::now())
}

/// The operations the client's source names: every one the transport can
/// send.
fn operations_in_source(model: &Model) -> BTreeSet<String> {
    let mut named = BTreeSet::new();
    let mut dirs = vec![std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src"
    ))];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                let source = std::fs::read_to_string(&path).unwrap();
                for operation in model.doc["operations"].as_object().unwrap().keys() {
                    if source.contains(&format!("\"{operation}\"")) {
                        named.insert(operation.clone());
                    }
                }
            }
        }
    }
    named
}

#[test]
fn the_model_check_refuses_what_cognito_refuses() {
    let model = Model::load();
    let mut problems = Vec::new();
    let bodies = [
        // An unknown flow, a client id with a space, an unknown member.
        (
            "InitiateAuthRequest",
            json!({"AuthFlow": "PASSWORD", "ClientId": "a b", "Extra": 1}),
        ),
        // Cognito's largest page is 60.
        (
            "ListDevicesRequest",
            json!({"AccessToken": ACCESS, "Limit": 61}),
        ),
        // A username with a space; no client id.
        (
            "SignUpRequest",
            json!({"Username": "ada lovelace", "Password": "Secret-Pass-1"}),
        ),
    ];
    for (shape, body) in bodies {
        model.check(shape, &body, shape, &mut problems);
    }
    assert_eq!(problems.len(), 6, "{problems:#?}");
}

#[test]
fn every_operation_the_client_names_is_checked_here() {
    let model = Model::load();
    let named = operations_in_source(&model);
    let parsed: BTreeSet<String> = parsed_as()
        .into_iter()
        .map(|(op, _)| op.to_owned())
        .collect();
    assert_eq!(
        named, parsed,
        "an operation of the transport is missing from `parsed_as`"
    );
}

/// The scripted pool: a model-valid answer to each operation, far enough
/// for every step of every flow to be sent.
fn scripted_pool(operation: &str, body: &Value) -> (u16, Value) {
    let srp = || {
        json!({
            "USER_ID_FOR_SRP": USER_ID,
            "USERNAME": USER_ID,
            "SALT": "a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7",
            "SRP_B": "7f".repeat(192),
            "SECRET_BLOCK": STANDARD.encode([9u8; 64]),
        })
    };
    let challenge = |name: &str, parameters: Value| {
        (
            200,
            json!({"ChallengeName": name, "Session": SESSION, "ChallengeParameters": parameters}),
        )
    };
    // The end of a flow: the requests are what this suite checks.
    let refused = (
        400,
        json!({"__type": "NotAuthorizedException", "message": "Incorrect username or password."}),
    );
    let with_device = |responses: &Value| responses.get("DEVICE_KEY").is_some();
    match operation {
        "InitiateAuth" => {
            let parameters = &body["AuthParameters"];
            match body["AuthFlow"].as_str() {
                Some("USER_SRP_AUTH") => challenge("PASSWORD_VERIFIER", srp()),
                Some("USER_PASSWORD_AUTH") if parameters["USERNAME"] == "setup" => challenge(
                    "MFA_SETUP",
                    json!({"MFAS_CAN_SETUP": "[\"SOFTWARE_TOKEN_MFA\"]"}),
                ),
                Some("USER_PASSWORD_AUTH") if with_device(parameters) => {
                    challenge("DEVICE_SRP_AUTH", json!({"USERNAME": USER_ID}))
                }
                Some("USER_PASSWORD_AUTH") => challenge("SOFTWARE_TOKEN_MFA", json!({})),
                _ => refused,
            }
        }
        "RespondToAuthChallenge" => {
            let responses = &body["ChallengeResponses"];
            match body["ChallengeName"].as_str() {
                Some("PASSWORD_VERIFIER") if with_device(responses) => {
                    challenge("DEVICE_SRP_AUTH", json!({"USERNAME": USER_ID}))
                }
                Some("PASSWORD_VERIFIER") => challenge("SOFTWARE_TOKEN_MFA", json!({})),
                Some("DEVICE_SRP_AUTH") => challenge("DEVICE_PASSWORD_VERIFIER", srp()),
                Some("DEVICE_PASSWORD_VERIFIER") => challenge("SOFTWARE_TOKEN_MFA", json!({})),
                _ => refused,
            }
        }
        "AssociateSoftwareToken" => (
            200,
            json!({"SecretCode": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "Session": SESSION}),
        ),
        "VerifySoftwareToken" => (200, json!({"Status": "SUCCESS", "Session": SESSION})),
        "ConfirmDevice" => (200, json!({"UserConfirmationNecessary": true})),
        "SignUp" => (200, json!({"UserConfirmed": false, "UserSub": USER_ID})),
        "GetUser" => (200, json!({"Username": USER_ID, "UserAttributes": []})),
        "ListDevices" => (200, json!({"Devices": []})),
        _ => (200, json!({})),
    }
}

/// What one request sent: its operation, headers and body.
#[derive(Debug, Clone)]
struct Sent {
    operation: String,
    target: Option<String>,
    content_type: Option<String>,
    body: Value,
}

/// Serves the scripted pool on loopback; returns its URL and what it got.
async fn recording_pool() -> (String, Arc<Mutex<Vec<Sent>>>) {
    let sent = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&sent);
    let url = serve(Arc::new(move |head: &str, body: &[u8]| {
        let target = header(head, "x-amz-target");
        let operation = target
            .as_deref()
            .and_then(|target| target.rsplit('.').next())
            .unwrap_or_default()
            .to_owned();
        let body: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let (status, answer) = scripted_pool(&operation, &body);
        log.lock().unwrap().push(Sent {
            operation,
            target,
            content_type: header(head, "content-type"),
            body,
        });
        (status, answer.to_string())
    }))
    .await;
    (url, sent)
}

/// The requests of every flow, through the real transport: with and
/// without an app client secret, both sign-in flows, a remembered device,
/// an authenticator set up during sign-in, both refreshes.
async fn every_request_sent() -> Vec<Sent> {
    let (url, sent) = recording_pool().await;
    for secret in [None, Some(SECRET)] {
        for (flow, rotation) in [(SignInFlow::UserPassword, false), (SignInFlow::Srp, true)] {
            let mut config = UserPoolConfig::new("eu-west-1", POOL, CLIENT)
                .with_endpoint(url.clone())
                .with_sign_in_flow(flow);
            if let Some(secret) = secret {
                config = config.with_client_secret(secret);
            }
            if rotation {
                config = config.with_refresh_token_rotation();
            }
            let transport = UserPoolTransport::new(config).unwrap();
            let mut requests: Vec<AuthRequest> = parsed_as()
                .into_iter()
                .map(|(_, request)| request)
                .collect();
            requests.extend([
                AuthRequest::SignIn {
                    username: "ada".into(),
                    password: "Secret-Pass-1".into(),
                    device: Some(device()),
                },
                AuthRequest::SignIn {
                    username: "setup".into(),
                    password: "Secret-Pass-1".into(),
                    device: None,
                },
                AuthRequest::RespondToChallenge {
                    username: USER_ID.into(),
                    challenge: ChallengeName::MfaSetup,
                    session: SESSION.into(),
                    answer: "123456".into(),
                },
                AuthRequest::RespondToChallenge {
                    username: USER_ID.into(),
                    challenge: ChallengeName::NewPasswordRequired,
                    session: SESSION.into(),
                    answer: "Secret-Pass-2".into(),
                },
                AuthRequest::RespondToChallenge {
                    username: USER_ID.into(),
                    challenge: ChallengeName::EmailOtp,
                    session: SESSION.into(),
                    answer: "12345678".into(),
                },
                AuthRequest::SetMfa {
                    access_token: ACCESS.into(),
                    method: MfaMethod::Email,
                    enabled: false,
                },
            ]);
            for request in requests {
                // The outcome is not what this checks: the refresh's
                // tokens, say, are refused.
                let _ = transport.send(request).await;
            }
        }
    }
    sent.lock().unwrap().clone()
}

#[tokio::test]
async fn every_request_fits_the_aws_api_model() {
    let model = Model::load();
    let sent = every_request_sent().await;
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for request in &sent {
        let operation = model.operation(&request.operation);
        assert_eq!(
            request.target.as_deref(),
            Some(format!("AWSCognitoIdentityProviderService.{}", request.operation).as_str())
        );
        assert_eq!(
            request.content_type.as_deref(),
            Some("application/x-amz-json-1.1")
        );
        let input = operation["input"]["shape"].as_str().unwrap();
        model.check(input, &request.body, &request.operation, &mut problems);
        let step = match request.operation.as_str() {
            "InitiateAuth" => format!("InitiateAuth {}", request.body["AuthFlow"]),
            "RespondToAuthChallenge" => {
                format!("RespondToAuthChallenge {}", request.body["ChallengeName"])
            }
            other => other.to_owned(),
        };
        seen.insert(step);
    }
    assert!(
        problems.is_empty(),
        "requests the model refuses:\n{}",
        problems.join("\n")
    );
    let named = operations_in_source(&model);
    let sent: BTreeSet<String> = sent
        .iter()
        .map(|request| request.operation.clone())
        .collect();
    assert_eq!(
        named, sent,
        "an operation the transport names was never sent here"
    );
    for step in [
        "InitiateAuth \"USER_PASSWORD_AUTH\"",
        "InitiateAuth \"USER_SRP_AUTH\"",
        "InitiateAuth \"REFRESH_TOKEN_AUTH\"",
        "RespondToAuthChallenge \"PASSWORD_VERIFIER\"",
        "RespondToAuthChallenge \"DEVICE_SRP_AUTH\"",
        "RespondToAuthChallenge \"DEVICE_PASSWORD_VERIFIER\"",
        "RespondToAuthChallenge \"MFA_SETUP\"",
        "RespondToAuthChallenge \"SOFTWARE_TOKEN_MFA\"",
        "RespondToAuthChallenge \"NEW_PASSWORD_REQUIRED\"",
        "RespondToAuthChallenge \"EMAIL_OTP\"",
    ] {
        assert!(seen.contains(step), "no {step} was sent: {seen:?}");
    }
}

#[test]
fn every_answer_the_model_allows_is_read() {
    let model = Model::load();
    let mut problems = Vec::new();
    for (operation, request) in parsed_as() {
        let needs = needed(operation);
        let output = model.operation(operation)["output"]["shape"].as_str();
        let mut answers: Vec<(String, String, bool)> = Vec::new();
        match output {
            None => {
                answers.push(("an empty body".into(), String::new(), true));
                answers.push(("{}".into(), "{}".into(), true));
            }
            Some(shape) => {
                let full = model.sample(shape, true);
                let minimal = model.sample(shape, false);
                let needs_nothing = needs.is_empty();
                answers.push(("every member".into(), full.to_string(), true));
                answers.push((
                    "the required members".into(),
                    minimal.to_string(),
                    needs_nothing,
                ));
                if minimal == json!({}) {
                    answers.push(("an empty body".into(), String::new(), needs_nothing));
                }
                let mut extra = full.clone();
                extra["MemberAddedNextYear"] = json!({"Nested": [1, "two"]});
                answers.push(("an unknown member".into(), extra.to_string(), true));
                let mut paths = Vec::new();
                model.optional_paths(shape, &full, &mut Vec::new(), &mut paths);
                for path in paths {
                    let joined = path.join(".");
                    let read = !needs.contains(&joined.as_str());
                    answers.push((
                        format!("no {joined}"),
                        without(&full, &path).to_string(),
                        read,
                    ));
                }
            }
        }
        for (what, body, readable) in answers {
            match (read(&request, 200, None, &body), readable) {
                (Ok(_), true) | (Err(AuthError::Malformed { .. }), false) => {}
                (outcome, _) => problems.push(format!(
                    "{operation} answered with {what}: {outcome:?} ({body})"
                )),
            }
        }
    }
    assert!(
        problems.is_empty(),
        "answers read wrong:\n{}",
        problems.join("\n")
    );
}

#[test]
fn every_modelled_error_is_read_as_itself() {
    let model = Model::load();
    let mut problems = Vec::new();
    let mut errors_seen = 0;
    for (operation, request) in parsed_as() {
        for error in model.operation(operation)["errors"].as_array().unwrap() {
            let name = error["shape"].as_str().unwrap();
            let status = model.shape(name)["error"]["httpStatusCode"]
                .as_u64()
                .unwrap_or(400) as u16;
            let kind = ServerErrorKind::from_type(name);
            if kind == ServerErrorKind::Unknown(String::new())
                || matches!(&kind, ServerErrorKind::Unknown(n) if n != name)
            {
                problems.push(format!("{name} reads as {kind:?}"));
            }
            let coral = format!(
                "{name}:http://internal.amazon.com/coral/com.amazonaws.cognito.identity.idp.model/"
            );
            let namespaced = format!("com.amazonaws.cognito.identity.idp.model#{name}");
            let forms: [(Option<&str>, Value, &str); 6] = [
                (None, json!({"__type": name, "message": "said"}), "said"),
                (
                    None,
                    json!({"__type": namespaced, "message": "said"}),
                    "said",
                ),
                (None, json!({"__type": coral, "Message": "said"}), "said"),
                (None, json!({"__type": name}), ""),
                (Some(&coral), json!({"message": "said"}), "said"),
                (Some(&coral), Value::Null, ""),
            ];
            for (header, body, message) in forms {
                let body = if body.is_null() {
                    String::new()
                } else {
                    body.to_string()
                };
                errors_seen += 1;
                match read(&request, status, header, &body) {
                    Err(AuthError::Server {
                        kind: read_kind,
                        message: read_message,
                        status: read_status,
                    }) if read_kind == kind && read_message == message && read_status == status => {
                    }
                    other => problems.push(format!(
                        "{operation}: {name} as {header:?} {body}: {other:?}"
                    )),
                }
            }
        }
    }
    assert!(errors_seen > 500, "{errors_seen}");
    assert!(
        problems.is_empty(),
        "errors read wrong:\n{}",
        problems.join("\n")
    );
}

/// The regression of the first defect the model showed: Cognito answers
/// `DeleteUser` and `ForgetDevice` (no output) with an empty body. The
/// account was deleted and the player read "an answer the game could not
/// read".
#[tokio::test]
async fn operations_without_output_take_an_empty_body() {
    let url = serve(Arc::new(|_: &str, _: &[u8]| (200, String::new()))).await;
    let transport =
        UserPoolTransport::new(UserPoolConfig::new("eu-west-1", POOL, CLIENT).with_endpoint(url))
            .unwrap();
    let deleted = transport
        .send(AuthRequest::DeleteAccount {
            access_token: ACCESS.into(),
        })
        .await;
    assert_eq!(deleted, Ok(AuthOutcome::AccountDeleted));
    let forgotten = transport
        .send(AuthRequest::ForgetDevice {
            access_token: ACCESS.into(),
            device_key: DEVICE_KEY.into(),
        })
        .await;
    assert_eq!(forgotten, Ok(AuthOutcome::DeviceForgotten));
}
