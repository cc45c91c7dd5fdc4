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

use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use cognito_login_client::srp::secret_hash;
use cognito_login_client::{
    AuthError, AuthOutcome, AuthRequest, ChallengeName, ServerErrorKind, Transport, UserPoolConfig,
    UserPoolTransport,
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
        }
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
            "AWSCognitoIdentityProviderService.RespondToAuthChallenge" => {
                let responses = &body["ChallengeResponses"];
                assert_eq!(body["ChallengeName"], "PASSWORD_VERIFIER");
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
                (
                    200,
                    json!({"ChallengeName": "SOFTWARE_TOKEN_MFA", "Session": "mfa-session",
                        "ChallengeParameters": {"USER_ID_FOR_SRP": USER_ID}}),
                )
            }
            other => panic!("unexpected operation {other}"),
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
    }
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
        assert_eq!(challenge.session.expose(), "mfa-session");
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
