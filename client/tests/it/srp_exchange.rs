//! A whole SRP sign-in over real loopback HTTP against a stand-in for
//! Cognito that does the server's half of the protocol: it keeps only a
//! verifier `v = g^x`, sends `B = k·v + g^b`, derives the key from
//! `S = (A·v^u)^b` and checks the password claim signature and timestamp.
//! The two halves agree only if the client's maths is right. Neither local
//! emulator implements SRP, so this is the end-to-end check of the flow;
//! `srp_agreement` checks the maths against pycognito byte for byte.
//!
//! The stand-in answers a correct proof with a SOFTWARE_TOKEN_MFA challenge
//! (so no tokens need signing) and a wrong one with NotAuthorized. The app
//! client has a secret, and the player signs in with an alias: the second
//! step must hash the internal username.
//!
//! It also remembers devices (`ConfirmDevice` keeps the verifier the client
//! made) and asks a remembered device for its own proof
//! (`DEVICE_SRP_AUTH`, `DEVICE_PASSWORD_VERIFIER`) instead of the MFA code.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use cognito_login_client::srp::{self, secret_hash};
use cognito_login_client::{
    AuthError, AuthOutcome, AuthRequest, ChallengeName, NewDevice, RememberedDevice,
    ServerErrorKind, Transport, UserPoolConfig, UserPoolTransport,
};
use hmac::{Hmac, Mac};
use num_bigint::BigUint;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use support::header;

use crate::support;

const POOL: &str = "eu-west-1_SrpTest";
const CLIENT: &str = "srp-client";
const SECRET: &str = "srp-client-secret";
const ALIAS: &str = "ada@example.com";
const USER_ID: &str = "4f1c0a2e-sub";
const PASSWORD: &str = "Correct-Horse-1";
const DEVICE: &str = "eu-west-1_5e1c3a9b-0000-4000-8000-00000000beef";
const GROUP: &str = "-dEvIcEgRp";

fn n() -> BigUint {
    BigUint::parse_bytes(
        b"FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3BE39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
        16,
    )
    .unwrap()
}

/// Java `BigInteger.toByteArray`: minimal, with a sign byte when needed.
fn pad(number: &BigUint) -> Vec<u8> {
    let bytes = number.to_bytes_be();
    if bytes[0] >= 0x80 {
        [&[0u8][..], &bytes].concat()
    } else {
        bytes
    }
}

fn h(parts: &[&[u8]]) -> BigUint {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update(part);
    }
    BigUint::from_bytes_be(&hash.finalize())
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().to_vec()
}

/// A sign-in between its two steps: the client's `A`, the server's `b` and
/// `B`, and the secret block sent.
type Pending = (BigUint, BigUint, BigUint, Vec<u8>);

/// The server's state: the verifier, and the sign-in in progress.
struct Server {
    salt: BigUint,
    verifier: BigUint,
    pending: Mutex<Option<Pending>>,
    accepted_timestamps: Mutex<Vec<String>>,
    /// Every `SRP_A` received.
    public_values: Mutex<Vec<String>>,
    /// Remembered devices: their salt and verifier, as `ConfirmDevice` got them.
    devices: Mutex<HashMap<String, (BigUint, BigUint)>>,
    /// Devices the player asked to remember (`UpdateDeviceStatus`).
    remembered: Mutex<Vec<String>>,
    /// Device proofs refused.
    refused: std::sync::atomic::AtomicUsize,
}

impl Server {
    fn new() -> Self {
        let salt = BigUint::from_bytes_be(&[0xA7; 16]);
        let pool_name = POOL.split_once('_').unwrap().1;
        let identity = Sha256::digest(format!("{pool_name}{USER_ID}:{PASSWORD}"));
        let x = h(&[&pad(&salt), &identity]);
        let verifier = BigUint::from(2u8).modpow(&x, &n());
        Self {
            salt,
            verifier,
            pending: Mutex::new(None),
            accepted_timestamps: Mutex::default(),
            public_values: Mutex::default(),
            devices: Mutex::default(),
            remembered: Mutex::default(),
            refused: Default::default(),
        }
    }

    fn device_proofs_refused(&self) -> usize {
        self.refused.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn error(kind: &str, message: &str) -> (u16, Value) {
        (400, json!({"__type": kind, "message": message}))
    }

    fn answer(&self, target: &str, body: &Value) -> (u16, Value) {
        let (n, g) = (n(), BigUint::from(2u8));
        let k = h(&[&pad(&n), &pad(&g)]);
        match target {
            "AWSCognitoIdentityProviderService.InitiateAuth" => {
                let parameters = &body["AuthParameters"];
                assert_eq!(body["AuthFlow"], "USER_SRP_AUTH");
                assert_eq!(parameters["USERNAME"], ALIAS);
                if parameters["SECRET_HASH"] != secret_hash(SECRET, ALIAS, CLIENT) {
                    return Self::error("NotAuthorizedException", "bad secret hash (step 1)");
                }
                if let Some(device) = parameters["DEVICE_KEY"].as_str()
                    && !self.devices.lock().unwrap().contains_key(device)
                {
                    return Self::error("ResourceNotFoundException", "Device does not exist.");
                }
                let srp_a = parameters["SRP_A"].as_str().unwrap();
                self.public_values.lock().unwrap().push(srp_a.to_owned());
                let a = BigUint::parse_bytes(srp_a.as_bytes(), 16).unwrap();
                let b = BigUint::from_bytes_be(&rand_bytes(128));
                let big_b = (&k * &self.verifier + g.modpow(&b, &n)) % &n;
                let secret_block = rand_bytes(64);
                *self.pending.lock().unwrap() = Some((a, b, big_b.clone(), secret_block.clone()));
                (
                    200,
                    json!({"ChallengeName": "PASSWORD_VERIFIER", "ChallengeParameters": {
                        "SALT": self.salt.to_str_radix(16),
                        "SRP_B": big_b.to_str_radix(16),
                        "SECRET_BLOCK": STANDARD.encode(&secret_block),
                        "USER_ID_FOR_SRP": USER_ID,
                        "USERNAME": USER_ID,
                    }}),
                )
            }
            "AWSCognitoIdentityProviderService.RespondToAuthChallenge"
                if body["ChallengeName"] != "PASSWORD_VERIFIER" =>
            {
                self.device_step(body)
            }
            "AWSCognitoIdentityProviderService.ConfirmDevice" => {
                assert_eq!(body["AccessToken"], "access-token");
                let config = &body["DeviceSecretVerifierConfig"];
                let number = |field: &str| {
                    BigUint::from_bytes_be(
                        &STANDARD.decode(config[field].as_str().unwrap()).unwrap(),
                    )
                };
                let key = body["DeviceKey"].as_str().unwrap().to_owned();
                let stored = (number("Salt"), number("PasswordVerifier"));
                self.devices.lock().unwrap().insert(key, stored);
                (200, json!({"UserConfirmationNecessary": true}))
            }
            "AWSCognitoIdentityProviderService.UpdateDeviceStatus" => {
                assert_eq!(body["DeviceRememberedStatus"], "remembered");
                let key = body["DeviceKey"].as_str().unwrap().to_owned();
                self.remembered.lock().unwrap().push(key);
                (200, json!({}))
            }
            "AWSCognitoIdentityProviderService.RespondToAuthChallenge" => {
                let responses = &body["ChallengeResponses"];
                assert_eq!(
                    responses["USERNAME"], USER_ID,
                    "the internal username answers"
                );
                if responses["SECRET_HASH"] != secret_hash(SECRET, USER_ID, CLIENT) {
                    return Self::error("NotAuthorizedException", "bad secret hash (step 2)");
                }
                let (a, b, big_b, secret_block) = self.pending.lock().unwrap().take().unwrap();
                assert_eq!(
                    responses["PASSWORD_CLAIM_SECRET_BLOCK"],
                    STANDARD.encode(&secret_block)
                );
                let timestamp = responses["TIMESTAMP"].as_str().unwrap();
                let u = h(&[&pad(&a), &pad(&big_b)]);
                let s = (a * self.verifier.modpow(&u, &n)).modpow(&b, &n);
                let prk = hmac(&pad(&u), &[&pad(&s)]);
                let key = hmac(&prk, &[b"Caldera Derived Key\x01"]);
                let pool_name = POOL.split_once('_').unwrap().1;
                let expected = hmac(
                    &key[..16],
                    &[
                        pool_name.as_bytes(),
                        USER_ID.as_bytes(),
                        &secret_block,
                        timestamp.as_bytes(),
                    ],
                );
                if responses["PASSWORD_CLAIM_SIGNATURE"] != STANDARD.encode(expected) {
                    return Self::error(
                        "NotAuthorizedException",
                        "Incorrect username or password.",
                    );
                }
                self.accepted_timestamps
                    .lock()
                    .unwrap()
                    .push(timestamp.to_owned());
                // A remembered device proves itself instead of the MFA code.
                if let Some(device) = responses["DEVICE_KEY"].as_str()
                    && self.devices.lock().unwrap().contains_key(device)
                {
                    return (
                        200,
                        json!({"ChallengeName": "DEVICE_SRP_AUTH", "Session": "device-session-number-1",
                            "ChallengeParameters": {}}),
                    );
                }
                (
                    200,
                    json!({"ChallengeName": "SOFTWARE_TOKEN_MFA", "Session": "mfa-session-number-one",
                        "ChallengeParameters": {"USER_ID_FOR_SRP": USER_ID}}),
                )
            }
            other => panic!("unexpected operation {other}"),
        }
    }
}

impl Server {
    /// `DEVICE_SRP_AUTH` and `DEVICE_PASSWORD_VERIFIER`: SRP again, with the
    /// device's verifier, the group key in the pool name's place and the
    /// device key in the user's.
    fn device_step(&self, body: &Value) -> (u16, Value) {
        let (n, g) = (n(), BigUint::from(2u8));
        let k = h(&[&pad(&n), &pad(&g)]);
        let responses = &body["ChallengeResponses"];
        assert_eq!(
            responses["USERNAME"], USER_ID,
            "the internal username answers"
        );
        if responses["SECRET_HASH"] != secret_hash(SECRET, USER_ID, CLIENT) {
            return Self::error("NotAuthorizedException", "bad secret hash (device)");
        }
        let key = responses["DEVICE_KEY"].as_str().unwrap();
        let (salt, verifier) = self.devices.lock().unwrap()[key].clone();
        match body["ChallengeName"].as_str().unwrap() {
            "DEVICE_SRP_AUTH" => {
                assert_eq!(body["Session"], "device-session-number-1");
                let srp_a = responses["SRP_A"].as_str().unwrap();
                self.public_values.lock().unwrap().push(srp_a.to_owned());
                let a = BigUint::parse_bytes(srp_a.as_bytes(), 16).unwrap();
                let b = BigUint::from_bytes_be(&rand_bytes(128));
                let big_b = (&k * &verifier + g.modpow(&b, &n)) % &n;
                let secret_block = rand_bytes(64);
                *self.pending.lock().unwrap() = Some((a, b, big_b.clone(), secret_block.clone()));
                (
                    200,
                    json!({"ChallengeName": "DEVICE_PASSWORD_VERIFIER",
                        "Session": "device-session-number-2", "ChallengeParameters": {
                        "SALT": salt.to_str_radix(16),
                        "SRP_B": big_b.to_str_radix(16),
                        "SECRET_BLOCK": STANDARD.encode(&secret_block),
                        "USERNAME": USER_ID,
                    }}),
                )
            }
            "DEVICE_PASSWORD_VERIFIER" => {
                assert_eq!(body["Session"], "device-session-number-2");
                let (a, b, big_b, secret_block) = self.pending.lock().unwrap().take().unwrap();
                let timestamp = responses["TIMESTAMP"].as_str().unwrap();
                let u = h(&[&pad(&a), &pad(&big_b)]);
                let s = (a * verifier.modpow(&u, &n)).modpow(&b, &n);
                let prk = hmac(&pad(&u), &[&pad(&s)]);
                let derived = hmac(&prk, &[b"Caldera Derived Key\x01"]);
                let expected = hmac(
                    &derived[..16],
                    &[
                        GROUP.as_bytes(),
                        key.as_bytes(),
                        &secret_block,
                        timestamp.as_bytes(),
                    ],
                );
                if responses["PASSWORD_CLAIM_SIGNATURE"] != STANDARD.encode(expected) {
                    self.refused
                        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    return Self::error("NotAuthorizedException", "Incorrect device proof.");
                }
                (
                    200,
                    json!({"ChallengeName": "NEW_PASSWORD_REQUIRED", "Session": "device-proven-session-1",
                        "ChallengeParameters": {}}),
                )
            }
            other => panic!("unexpected challenge {other}"),
        }
    }
}

fn rand_bytes(len: usize) -> Vec<u8> {
    let mut bytes = vec![0; len];
    getrandom::getrandom(&mut bytes).unwrap();
    bytes
}

async fn serve(server: Arc<Server>) -> String {
    support::serve(Arc::new(move |head, body| {
        assert_eq!(
            header(head, "content-type").as_deref(),
            Some("application/x-amz-json-1.1")
        );
        let target = header(head, "x-amz-target").expect("an X-Amz-Target header");
        let (status, answer) = server.answer(&target, &serde_json::from_slice(body).unwrap());
        (status, answer.to_string())
    }))
    .await
}

fn sign_in(password: &str) -> AuthRequest {
    AuthRequest::SignIn {
        username: ALIAS.into(),
        password: password.into(),
        device: None,
    }
}

/// Remembering a device, then signing in from it: the device proves
/// itself with SRP over the verifier the client made, and no MFA code is
/// asked. A wrong device password is refused; a device the pool forgot is
/// left out and the sign-in goes on without it.
#[tokio::test]
async fn a_remembered_device_proves_itself_instead_of_the_code() {
    let server = Arc::new(Server::new());
    let url = serve(Arc::clone(&server)).await;
    let config = UserPoolConfig::new("eu-west-1", POOL, CLIENT)
        .with_endpoint(url)
        .with_client_secret(SECRET);
    let transport = UserPoolTransport::new(config).unwrap();
    let device = RememberedDevice::new(NewDevice {
        key: DEVICE.into(),
        group_key: GROUP.into(),
    })
    .unwrap();
    let remembered = transport
        .send(AuthRequest::RememberDevice {
            access_token: "access-token".into(),
            device: device.clone(),
            name: "Living-room PC".into(),
        })
        .await;
    assert_eq!(remembered, Ok(AuthOutcome::DeviceRemembered));
    assert_eq!(*server.remembered.lock().unwrap(), [DEVICE]);

    let with = |device: RememberedDevice| AuthRequest::SignIn {
        username: ALIAS.into(),
        password: PASSWORD.into(),
        device: Some(device),
    };
    let proven = transport.send(with(device.clone())).await;
    let Ok(AuthOutcome::Challenge(challenge)) = &proven else {
        panic!("the device's proof was refused: {proven:?}")
    };
    assert_eq!(challenge.session.expose(), "device-proven-session-1");

    let impostor = RememberedDevice {
        password: "not-the-device-password".into(),
        ..device.clone()
    };
    // A proof the pool refuses (the keychain's password is not the one it
    // holds the verifier of): the sign-in goes on without the device, to
    // the code, rather than locking the player out of this computer.
    let refused = transport.send(with(impostor)).await;
    let Ok(AuthOutcome::Challenge(challenge)) = &refused else {
        panic!("the sign-in went on without the device: {refused:?}")
    };
    assert_eq!(challenge.name, ChallengeName::SoftwareTokenMfa);
    assert!(
        server.device_proofs_refused() >= 1,
        "the impostor's proof reached the server and was refused"
    );

    let forgotten = RememberedDevice {
        key: "eu-west-1_forgotten".into(),
        ..device
    };
    let without = transport.send(with(forgotten)).await;
    let Ok(AuthOutcome::Challenge(challenge)) = &without else {
        panic!("the sign-in went on without the device: {without:?}")
    };
    assert_eq!(challenge.name, ChallengeName::SoftwareTokenMfa);

    // Each SRP exchange, the player's and the device's, had a client of its own.
    let public_values = server.public_values.lock().unwrap().clone();
    let distinct: std::collections::HashSet<_> = public_values.iter().collect();
    assert_eq!(
        distinct.len(),
        public_values.len(),
        "an SRP client is never used twice"
    );
}

#[tokio::test]
async fn an_srp_sign_in_proves_the_password_to_the_servers_half() {
    let server = Arc::new(Server::new());
    let url = serve(Arc::clone(&server)).await;
    let config = UserPoolConfig::new("eu-west-1", POOL, CLIENT)
        .with_endpoint(url)
        .with_client_secret(SECRET);
    let transport = UserPoolTransport::new(config).unwrap();

    for _ in 0..5 {
        let outcome = transport.send(sign_in(PASSWORD)).await;
        let Ok(AuthOutcome::Challenge(challenge)) = &outcome else {
            panic!("the proof was refused: {outcome:?}")
        };
        assert_eq!(challenge.name, ChallengeName::SoftwareTokenMfa);
        assert_eq!(challenge.session.expose(), "mfa-session-number-one");
    }
    let wrong = transport.send(sign_in("Wrong-Horse-2")).await;
    assert!(
        matches!(
            &wrong,
            Err(AuthError::Server {
                kind: ServerErrorKind::NotAuthorized,
                ..
            })
        ),
        "{wrong:?}"
    );

    // Each sign-in had an SRP client of its own (most made ahead of it).
    let public_values = server.public_values.lock().unwrap().clone();
    assert_eq!(public_values.len(), 6);
    let distinct: std::collections::HashSet<_> = public_values.iter().collect();
    assert_eq!(distinct.len(), 6, "an SRP client is never used twice");

    // TIMESTAMP: `EEE MMM d HH:mm:ss UTC yyyy`, within a minute of now.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    for timestamp in server.accepted_timestamps.lock().unwrap().iter() {
        let parts: Vec<&str> = timestamp.split(' ').collect();
        assert_eq!(parts.len(), 6, "{timestamp}");
        assert_eq!(parts[4], "UTC");
        assert!(!parts[2].starts_with('0'), "day not padded: {timestamp}");
        let candidates: Vec<String> = (now - 60..=now + 1)
            .map(|secs| {
                cognito_login_client::srp::timestamp(
                    UNIX_EPOCH + std::time::Duration::from_secs(secs),
                )
            })
            .collect();
        assert!(candidates.contains(timestamp), "{timestamp} is not now");
    }
}

/// The same device proof through the login routes: `/signin` carries only
/// the device's key, and the client answers both device challenges through
/// `/challenge` with their responses; the device's password stays in the
/// game. The stand-in routes hand each answer to the same server half, the
/// way the backend's handlers hand it to Cognito.
#[tokio::test]
async fn a_remembered_device_proves_itself_through_the_routes() {
    let server = Arc::new(Server::new());
    let device = RememberedDevice::new(NewDevice {
        key: DEVICE.into(),
        group_key: GROUP.into(),
    })
    .unwrap();
    let verifier = srp::device_verifier(GROUP, DEVICE, device.password.expose(), &[7; 16]);
    server.answer(
        "AWSCognitoIdentityProviderService.ConfirmDevice",
        &json!({"AccessToken": "access-token", "DeviceKey": DEVICE,
            "DeviceSecretVerifierConfig": {"PasswordVerifier": verifier.password_verifier,
                "Salt": verifier.salt}}),
    );
    let seen = Arc::new(Mutex::new(Vec::<Value>::new()));
    let routes = {
        let (server, seen) = (Arc::clone(&server), Arc::clone(&seen));
        support::serve(Arc::new(move |head, body| {
            let body: Value = serde_json::from_slice(body).unwrap();
            seen.lock().unwrap().push(body.clone());
            let (status, answer) = if head.starts_with("POST /signin") {
                if body["deviceKey"] == DEVICE {
                    (
                        200,
                        json!({"ChallengeName": "DEVICE_SRP_AUTH", "Session": "device-session-number-1",
                            "ChallengeParameters": {"USERNAME": USER_ID}}),
                    )
                } else {
                    assert_eq!(body.get("deviceKey"), None);
                    (
                        200,
                        json!({"ChallengeName": "SOFTWARE_TOKEN_MFA", "Session": "mfa-session-number-one",
                            "ChallengeParameters": {}}),
                    )
                }
            } else {
                assert!(head.starts_with("POST /challenge"), "{head}");
                assert_eq!(body["answer"], "");
                let mut responses = body["responses"].clone();
                responses["USERNAME"] = body["username"].clone();
                responses["SECRET_HASH"] = secret_hash(SECRET, USER_ID, CLIENT).into();
                server.answer(
                    "AWSCognitoIdentityProviderService.RespondToAuthChallenge",
                    &json!({"ChallengeName": body["challengeName"], "Session": body["session"],
                        "ChallengeResponses": responses}),
                )
            };
            (status, answer.to_string())
        }))
        .await
    };
    let transport = cognito_login_client::ApiGatewayTransport::new(
        cognito_login_client::ApiGatewayConfig::unverified(routes),
    )
    .unwrap();
    let proven = transport
        .send(AuthRequest::SignIn {
            username: USER_ID.into(),
            password: PASSWORD.into(),
            device: Some(device.clone()),
        })
        .await;
    let Ok(AuthOutcome::Challenge(challenge)) = &proven else {
        panic!("the device's proof was refused: {proven:?}")
    };
    assert_eq!(challenge.session.expose(), "device-proven-session-1");
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 3, "{seen:?}");
        assert_eq!(seen[1]["challengeName"], "DEVICE_SRP_AUTH");
        assert_eq!(seen[2]["challengeName"], "DEVICE_PASSWORD_VERIFIER");
        for body in seen.iter() {
            assert!(
                !body.to_string().contains(device.password.expose()),
                "the device's password left the game: {body}"
            );
        }
        // The device's responses are the part of the routes contract that
        // no emulator makes the client send: checked against it here.
        let route = |body: &Value| match body.get("challengeName") {
            Some(_) => "/challenge",
            None => "/signin",
        };
        let departures =
            support::routes_contract_departures(seen.iter().map(|body| (route(body), body)));
        assert!(departures.is_empty(), "{departures}");
    }

    // A refused proof: the sign-in is tried once more without the device.
    let impostor = RememberedDevice {
        password: "not-the-device-password".into(),
        ..device
    };
    let refused = transport
        .send(AuthRequest::SignIn {
            username: USER_ID.into(),
            password: PASSWORD.into(),
            device: Some(impostor),
        })
        .await;
    let Ok(AuthOutcome::Challenge(challenge)) = &refused else {
        panic!("the sign-in went on without the device: {refused:?}")
    };
    assert_eq!(challenge.name, ChallengeName::SoftwareTokenMfa);
    assert_eq!(server.device_proofs_refused(), 1);
    assert_eq!(seen.lock().unwrap().len(), 7, "signin, two proofs, signin");
}
