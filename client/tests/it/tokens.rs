//! Token verification on both transports, against a loopback server that
//! publishes a locally generated RSA key as JWKS and answers sign-ins with
//! whatever tokens a case puts there: good ones pass, forged ones are refused.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cognito_login_client::{
    ApiGatewayConfig, ApiGatewayTransport, AuthError, AuthOutcome, AuthRequest, SignInFlow,
    SigningKeys, TokenCheck, TokenUse, TokenVerifier, Tokens, Transport, UserPoolConfig,
    UserPoolTransport,
};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs1::{EncodeRsaPrivateKey, EncodeRsaPublicKey};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::support;

const ISSUER: &str = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Test";
const CLIENT: &str = "client-1";

struct Key {
    kid: String,
    private: RsaPrivateKey,
}

impl Key {
    fn new(kid: &str) -> Self {
        let private = RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap();
        Self {
            kid: kid.into(),
            private,
        }
    }

    fn jwk(&self) -> Value {
        let public = RsaPublicKey::from(&self.private);
        json!({"kty": "RSA", "alg": "RS256", "use": "sig", "kid": self.kid,
            "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be())})
    }

    fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        let der = self.private.to_pkcs1_der().unwrap();
        jsonwebtoken::encode(&header, claims, &EncodingKey::from_rsa_der(der.as_bytes())).unwrap()
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn id_claims() -> Value {
    json!({"sub": "4f1c", "iss": ISSUER, "aud": CLIENT, "token_use": "id",
        "cognito:username": "ada", "email": "ada@example.com",
        "iat": now(), "exp": now() + 3600})
}

fn access_claims() -> Value {
    json!({"sub": "4f1c", "iss": ISSUER, "client_id": CLIENT, "token_use": "access",
        "username": "ada", "iat": now(), "exp": now() + 3600})
}

/// The loopback server: `GET /jwks.json` publishes `keys`; any `POST`
/// answers a sign-in with `tokens`.
#[derive(Default)]
struct Pool {
    keys: Mutex<Vec<Value>>,
    tokens: Mutex<(String, String)>,
    jwks_fetches: AtomicUsize,
}

async fn serve(pool: Arc<Pool>) -> String {
    support::serve(Arc::new(move |head, _body| {
        let body = if head.starts_with("GET /jwks.json") {
            pool.jwks_fetches.fetch_add(1, Ordering::SeqCst);
            json!({"keys": *pool.keys.lock().unwrap()})
        } else {
            let (access, id) = pool.tokens.lock().unwrap().clone();
            json!({"AuthenticationResult": {"AccessToken": access, "IdToken": id,
                "RefreshToken": "opaque-refresh", "ExpiresIn": 3600, "TokenType": "Bearer"}})
        };
        (200, body.to_string())
    }))
    .await
}

fn sign_in() -> AuthRequest {
    AuthRequest::SignIn {
        username: "ada".into(),
        password: "Correct-Horse-1".into(),
        device: None,
    }
}

fn transports(url: &str) -> Vec<(&'static str, Box<dyn Transport>)> {
    transports_with_keys_at(url, &format!("{url}/jwks.json"))
}

/// Both transports, calling `url`, with the pool's keys at `jwks`.
fn transports_with_keys_at(url: &str, jwks: &str) -> Vec<(&'static str, Box<dyn Transport>)> {
    let check = TokenCheck::new(ISSUER, CLIENT).with_jwks_url(jwks);
    let gateway = ApiGatewayConfig::new(url, check.clone());
    let pool = UserPoolConfig::new("eu-west-1", "eu-west-1_Test", CLIENT)
        .with_endpoint(url)
        .with_sign_in_flow(SignInFlow::UserPassword)
        .with_token_check(check);
    vec![
        (
            "API Gateway",
            Box::new(ApiGatewayTransport::new(gateway).unwrap()),
        ),
        ("user pool", Box::new(UserPoolTransport::new(pool).unwrap())),
    ]
}

fn with(claims: Value, change: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Value {
    let mut claims = claims;
    change(claims.as_object_mut().unwrap());
    claims
}

/// The verifier a game server uses on the tokens players send it.
#[tokio::test]
async fn a_game_server_accepts_the_pools_tokens_and_refuses_the_rest() {
    let key = Key::new("key-1");
    let stranger = Key::new("key-2");
    let pool = Arc::new(Pool::default());
    pool.keys.lock().unwrap().push(key.jwk());
    let url = serve(Arc::clone(&pool)).await;
    let verifier = TokenVerifier::new(
        TokenCheck::new(ISSUER, CLIENT).with_jwks_url(format!("{url}/jwks.json")),
    )
    .unwrap();

    let claims = verifier
        .verify_token(&key.sign(&access_claims()), TokenUse::Access)
        .await
        .expect("the pool's access token passes");
    assert_eq!(
        (claims.sub.as_str(), claims.username()),
        ("4f1c", Some("ada"))
    );
    let claims = verifier
        .verify_token(&key.sign(&id_claims()), TokenUse::Id)
        .await
        .expect("the pool's ID token passes");
    assert_eq!(claims.all["email"], "ada@example.com");
    assert_eq!(claims.username(), Some("ada"));

    let long_ago = now() - 7200;
    let refused = [
        (
            "another key",
            stranger.sign(&access_claims()),
            TokenUse::Access,
        ),
        (
            "expired",
            key.sign(&with(access_claims(), |c| {
                c.insert("exp".into(), (long_ago + 3600).into());
                c.insert("iat".into(), long_ago.into());
            })),
            TokenUse::Access,
        ),
        (
            "another app client",
            key.sign(&with(access_claims(), |c| {
                c.insert("client_id".into(), "client-2".into());
            })),
            TokenUse::Access,
        ),
        (
            "another audience",
            key.sign(&with(id_claims(), |c| {
                c.insert("aud".into(), "client-2".into());
            })),
            TokenUse::Id,
        ),
        (
            "another pool",
            key.sign(&with(access_claims(), |c| {
                c.insert(
                    "iss".into(),
                    "https://cognito-idp.eu-west-1.amazonaws.com/other".into(),
                );
            })),
            TokenUse::Access,
        ),
        (
            "an ID token as access",
            key.sign(&id_claims()),
            TokenUse::Access,
        ),
        (
            "an access token as ID",
            key.sign(&access_claims()),
            TokenUse::Id,
        ),
        (
            "no sub",
            key.sign(&with(access_claims(), |c| {
                c.remove("sub");
            })),
            TokenUse::Access,
        ),
        ("not a JWT", "Bearer nonsense".to_owned(), TokenUse::Access),
    ];
    for (case, token, token_use) in refused {
        match verifier.verify_token(&token, token_use).await {
            Err(AuthError::InvalidToken(_)) => {}
            other => panic!("{case}: expected a refusal, got {other:?}"),
        }
    }

    // A game whose routes sign in through the backend's server client takes
    // that client's tokens too, and still no other client's.
    let both = TokenVerifier::new(
        TokenCheck::new(ISSUER, CLIENT)
            .with_client("server-client")
            .with_jwks_url(format!("{url}/jwks.json")),
    )
    .unwrap();
    let of = |client: &str| {
        (
            key.sign(&with(access_claims(), |c| {
                c.insert("client_id".into(), client.into());
            })),
            key.sign(&with(id_claims(), |c| {
                c.insert("aud".into(), client.into());
            })),
        )
    };
    for client in [CLIENT, "server-client"] {
        let (access, id) = of(client);
        both.verify_token(&access, TokenUse::Access)
            .await
            .unwrap_or_else(|error| panic!("{client}'s access token: {error}"));
        both.verify_token(&id, TokenUse::Id)
            .await
            .unwrap_or_else(|error| panic!("{client}'s ID token: {error}"));
    }
    let (access, id) = of("client-3");
    assert!(matches!(
        both.verify_token(&access, TokenUse::Access).await,
        Err(AuthError::InvalidToken(_))
    ));
    assert!(matches!(
        both.verify_token(&id, TokenUse::Id).await,
        Err(AuthError::InvalidToken(_))
    ));
}

/// A group-gated call: a member passes, a valid token of anyone else is
/// told apart from an invalid one (403, not 401), as is a forged group.
#[tokio::test]
async fn only_a_groups_members_pass_a_group_gated_check() {
    use cognito_login_client::MemberError;
    let key = Key::new("key-1");
    let stranger = Key::new("key-2");
    let pool = Arc::new(Pool::default());
    pool.keys.lock().unwrap().push(key.jwk());
    let url = serve(Arc::clone(&pool)).await;
    let verifier = TokenVerifier::new(
        TokenCheck::new(ISSUER, CLIENT).with_jwks_url(format!("{url}/jwks.json")),
    )
    .unwrap();
    let in_groups = |groups: Value| {
        with(access_claims(), |c| {
            c.insert("cognito:groups".into(), groups);
        })
    };

    let admin = key.sign(&in_groups(json!(["testers", "admins"])));
    let claims = verifier
        .verify_member(&admin, TokenUse::Access, "admins")
        .await
        .expect("a member passes");
    assert_eq!(claims.groups(), ["testers", "admins"]);

    for (case, token) in [
        ("no groups", key.sign(&access_claims())),
        ("another group", key.sign(&in_groups(json!(["testers"])))),
        (
            "a group with the name inside",
            key.sign(&in_groups(json!(["admins-old"]))),
        ),
    ] {
        assert_eq!(
            verifier
                .verify_member(&token, TokenUse::Access, "admins")
                .await,
            Err(MemberError::NotMember {
                group: "admins".into()
            }),
            "{case}"
        );
    }
    // A group written into a token the pool did not sign gets nowhere.
    let forged = stranger.sign(&in_groups(json!(["admins"])));
    assert!(matches!(
        verifier
            .verify_member(&forged, TokenUse::Access, "admins")
            .await,
        Err(MemberError::Token(AuthError::InvalidToken(_)))
    ));
    // API Gateway's JWT authorizer hands a list on as `[a b]`.
    let claims = cognito_login_client::Claims {
        sub: "4f1c".into(),
        all: serde_json::from_value(json!({"cognito:groups": "[testers admins]"})).unwrap(),
    };
    assert!(claims.in_group("admins") && !claims.in_group("admin"));
}

#[tokio::test]
async fn forged_tokens_are_refused_on_both_transports() {
    let key = Key::new("key-1");
    let rotated = Key::new("key-2");
    let stranger = Key::new("key-unknown");
    let pool = Arc::new(Pool::default());
    pool.keys.lock().unwrap().push(key.jwk());
    let url = serve(Arc::clone(&pool)).await;

    let good_access = key.sign(&access_claims());
    let good_id = key.sign(&id_claims());
    let public_der = RsaPublicKey::from(&key.private)
        .to_pkcs1_der()
        .unwrap()
        .into_vec();
    let hs256_with_public_key = {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("key-1".into());
        jsonwebtoken::encode(
            &header,
            &id_claims(),
            &EncodingKey::from_secret(&public_der),
        )
        .unwrap()
    };
    let alg_none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","kid":"key-1","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(id_claims().to_string())
    );
    let tampered = {
        let parts: Vec<&str> = good_id.split('.').collect();
        let payload = with(id_claims(), |c| {
            c.insert("cognito:username".into(), "admin".into());
        });
        format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(payload.to_string()),
            parts[2]
        )
    };

    let forged: Vec<(&str, String, String)> = vec![
        (
            "unknown kid",
            good_access.clone(),
            stranger.sign(&id_claims()),
        ),
        (
            "wrong iss",
            good_access.clone(),
            key.sign(&with(id_claims(), |c| {
                c.insert("iss".into(), "https://evil.example/pool".into());
            })),
        ),
        (
            "wrong aud",
            good_access.clone(),
            key.sign(&with(id_claims(), |c| {
                c.insert("aud".into(), "another-client".into());
            })),
        ),
        (
            "access token of another client",
            key.sign(&with(access_claims(), |c| {
                c.insert("client_id".into(), "another-client".into());
            })),
            good_id.clone(),
        ),
        (
            "token_use swapped",
            key.sign(&with(id_claims(), |c| {
                c.insert("aud".into(), CLIENT.into());
            })),
            key.sign(&with(access_claims(), |c| {
                c.insert("aud".into(), CLIENT.into());
            })),
        ),
        (
            "expired",
            good_access.clone(),
            key.sign(&with(id_claims(), |c| {
                c.insert("exp".into(), (now() - 120).into());
            })),
        ),
        (
            "ID token without aud",
            good_access.clone(),
            key.sign(&with(id_claims(), |c| {
                c.remove("aud");
            })),
        ),
        (
            "tokens of two players",
            key.sign(&with(access_claims(), |c| {
                c.insert("sub".into(), "someone-else".into());
            })),
            good_id.clone(),
        ),
        ("alg none", good_access.clone(), alg_none),
        (
            "HS256 keyed with the public key",
            good_access.clone(),
            hs256_with_public_key,
        ),
        ("tampered payload", good_access.clone(), tampered),
        ("not a JWT", good_access.clone(), "opaque".into()),
    ];

    let transports = transports(&url);
    for (name, transport) in &transports {
        // The good pair passes, and the keys are fetched once and cached.
        *pool.tokens.lock().unwrap() = (good_access.clone(), good_id.clone());
        let fetches = pool.jwks_fetches.load(Ordering::SeqCst);
        for _ in 0..2 {
            let outcome = transport.send(sign_in()).await;
            assert!(
                matches!(outcome, Ok(AuthOutcome::Tokens(_))),
                "{name}: {outcome:?}"
            );
        }
        assert_eq!(
            pool.jwks_fetches.load(Ordering::SeqCst),
            fetches + 1,
            "{name}: cached"
        );

        for (case, access, id) in &forged {
            *pool.tokens.lock().unwrap() = (access.clone(), id.clone());
            let before = pool.jwks_fetches.load(Ordering::SeqCst);
            let result = transport.send(sign_in()).await;
            let Err(AuthError::InvalidToken(reason)) = &result else {
                panic!("{name}, {case}: accepted or wrong error: {result:?}");
            };
            assert!(!reason.contains(id.as_str()) && !reason.contains(access.as_str()));
            let refetched = pool.jwks_fetches.load(Ordering::SeqCst) - before;
            let expected = usize::from(*case == "unknown kid");
            assert_eq!(refetched, expected, "{name}, {case}: refetches ({reason})");
            println!("{name}: {case}: refused ({reason})");
        }
    }

    // Made-up keys cost one refetch a minute, however many tokens name them.
    for (name, transport) in &transports {
        let before = pool.jwks_fetches.load(Ordering::SeqCst);
        for _ in 0..5 {
            let made_up = Key::new("key-made-up");
            *pool.tokens.lock().unwrap() = (good_access.clone(), made_up.sign(&id_claims()));
            assert!(transport.send(sign_in()).await.is_err());
        }
        assert_eq!(pool.jwks_fetches.load(Ordering::SeqCst), before, "{name}");
    }

    // Keys rotate: a token signed by a newly published key passes after one
    // refetch, and the new key is cached from then on.
    let transports = self::transports(&url);
    *pool.tokens.lock().unwrap() = (good_access.clone(), good_id.clone());
    for (_, transport) in &transports {
        transport.send(sign_in()).await.unwrap();
    }
    pool.keys.lock().unwrap().push(rotated.jwk());
    *pool.tokens.lock().unwrap() = (rotated.sign(&access_claims()), rotated.sign(&id_claims()));
    for (name, transport) in &transports {
        let before = pool.jwks_fetches.load(Ordering::SeqCst);
        transport.send(sign_in()).await.unwrap();
        transport.send(sign_in()).await.unwrap();
        assert_eq!(
            pool.jwks_fetches.load(Ordering::SeqCst),
            before + 1,
            "{name}"
        );
    }
}

#[tokio::test]
async fn unreachable_keys_are_a_transport_error() {
    let key = Key::new("key-1");
    let pool = Arc::new(Pool::default());
    *pool.tokens.lock().unwrap() = (key.sign(&access_claims()), key.sign(&id_claims()));
    let url = serve(pool).await;
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let nowhere = format!("http://{}/jwks.json", closed.local_addr().unwrap());
    drop(closed);
    let config =
        ApiGatewayConfig::new(&url, TokenCheck::new(ISSUER, CLIENT).with_jwks_url(nowhere));
    let result = ApiGatewayTransport::new(config)
        .unwrap()
        .send(sign_in())
        .await;
    let Err(error @ AuthError::Transport { .. }) = &result else {
        panic!("{result:?}");
    };
    assert!(error.is_retryable());
    assert!(error.to_string().contains("signing keys"), "{error}");
}

#[tokio::test]
async fn a_clock_hours_off_still_signs_in() {
    // The server's clock (and so its tokens) is three hours behind this
    // computer's: the player's clock runs fast.
    let key = Key::new("key-1");
    let pool = Arc::new(Pool::default());
    pool.keys.lock().unwrap().push(key.jwk());
    let back = |claims: Value| {
        with(claims, |c| {
            for name in ["iat", "exp"] {
                let time = c[name].as_u64().unwrap();
                c.insert(name.into(), (time - 3 * 3600).into());
            }
        })
    };
    *pool.tokens.lock().unwrap() = (
        key.sign(&back(access_claims())),
        key.sign(&back(id_claims())),
    );
    let url = serve(pool).await;
    for (name, transport) in transports(&url) {
        let outcome = transport.send(sign_in()).await;
        let Ok(AuthOutcome::Tokens(tokens)) = outcome else {
            panic!("{name}: {outcome:?}");
        };
        let left = tokens
            .expires_at
            .unwrap()
            .duration_since(SystemTime::now())
            .unwrap();
        assert!(
            left > std::time::Duration::from_secs(3500),
            "{name}: an hour left on this computer's clock, {left:?}"
        );
    }
}

#[tokio::test]
async fn stored_sessions_are_checked_like_new_ones() {
    let key = Key::new("key-1");
    let pool = Arc::new(Pool::default());
    pool.keys.lock().unwrap().push(key.jwk());
    let url = serve(pool).await;
    let stored = |access: Value, id: Value| {
        let mut tokens = cognito_login_client::Tokens::new(
            key.sign(&access).into(),
            key.sign(&id).into(),
            None,
            None,
            SystemTime::now(),
        );
        tokens.expires_at = None;
        tokens
    };
    let expired_at = now() - 600;
    let expired = |claims: Value| {
        with(claims, |c| {
            c.insert("exp".into(), expired_at.into());
        })
    };
    for (name, transport) in transports(&url) {
        // The claims are made once: made again, a second may have passed.
        let access = access_claims();
        let good = transport
            .check_stored(stored(access.clone(), id_claims()))
            .await
            .unwrap();
        let expires = good.expires_at.unwrap();
        let exp = access["exp"].as_u64().unwrap();
        assert_eq!(
            expires.duration_since(UNIX_EPOCH).unwrap().as_secs(),
            exp,
            "{name}: the expiry is the verified exp"
        );

        let old = transport
            .check_stored(stored(expired(access_claims()), expired(id_claims())))
            .await
            .expect("an expired session is not an error: it is refreshed");
        assert!(old.expires_at.unwrap() < SystemTime::now(), "{name}");

        let stranger = Key::new("key-planted");
        let mut planted = cognito_login_client::Tokens::new(
            stranger.sign(&access_claims()).into(),
            stranger.sign(&id_claims()).into(),
            None,
            None,
            SystemTime::now(),
        );
        planted.expires_at = None;
        let refused = transport.check_stored(planted).await;
        assert!(
            matches!(refused, Err(AuthError::InvalidToken(_))),
            "{name}: {refused:?}"
        );
        let mut mixed = stored(access_claims(), id_claims());
        mixed.access_token = key
            .sign(&with(access_claims(), |c| {
                c.insert("sub".into(), "another-player".into());
            }))
            .into();
        let refused = transport.check_stored(mixed).await;
        assert!(
            matches!(refused, Err(AuthError::InvalidToken(_))),
            "{name}: {refused:?}"
        );
    }
}

/// A launch without network: the session's tokens are checked against the
/// pool's keys kept with them, and only then.
#[tokio::test]
async fn stored_sessions_carry_the_pools_keys_and_are_checked_with_them_offline() {
    let key = Key::new("key-1");
    let pool = Arc::new(Pool::default());
    pool.keys.lock().unwrap().push(key.jwk());
    *pool.tokens.lock().unwrap() = (key.sign(&access_claims()), key.sign(&id_claims()));
    let url = serve(pool.clone()).await;
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let nowhere = format!("http://{}/jwks.json", closed.local_addr().unwrap());
    drop(closed);
    let online = transports(&url);
    let offline = transports_with_keys_at(&url, &nowhere);
    for ((name, online), (_, offline)) in online.iter().zip(&offline) {
        let Ok(AuthOutcome::Tokens(signed_in)) = online.send(sign_in()).await else {
            panic!("{name}: no tokens");
        };
        let keys = signed_in.signing_keys.clone().expect("verified with keys");
        assert!(!keys.is_stored_copy(), "{name}");
        assert!(keys.document().contains("key-1"), "{name}");

        // As the store gives the session back at the next launch.
        let stored = |mut tokens: Tokens, keys: Option<SigningKeys>| {
            tokens.expires_at = None;
            tokens.signing_keys = keys;
            tokens
        };
        // Read back by `KeychainStore`, or kept as they came by a game's
        // own store.
        for kept in [SigningKeys::stored(keys.document()), keys.clone()] {
            let restored = offline
                .check_stored(stored(signed_in.clone(), Some(kept)))
                .await
                .expect("verified against the stored keys");
            assert!(
                restored.signing_keys.as_ref().unwrap().is_stored_copy(),
                "{name}: it says how it was verified"
            );
            assert!(restored.expires_at.unwrap() > SystemTime::now(), "{name}");
        }

        let without = offline.check_stored(stored(signed_in.clone(), None)).await;
        assert!(
            matches!(&without, Err(error @ AuthError::Transport { .. }) if error.is_retryable()),
            "{name}: without stored keys, no network is no check: {without:?}"
        );

        // Keys planted beside a planted session verify it only while the
        // pool cannot be asked; the pool's own keys always win.
        let stranger = Key::new("key-planted");
        let planted = stored(
            Tokens::new(
                stranger.sign(&access_claims()).into(),
                stranger.sign(&id_claims()).into(),
                None,
                None,
                SystemTime::now(),
            ),
            Some(SigningKeys::stored(
                json!({"keys": [stranger.jwk()]}).to_string(),
            )),
        );
        let refused = online.check_stored(planted).await;
        assert!(
            matches!(refused, Err(AuthError::InvalidToken(_))),
            "{name}: {refused:?}"
        );
        let other_keys = Some(SigningKeys::stored(
            json!({"keys": [stranger.jwk()]}).to_string(),
        ));
        let refused = offline.check_stored(stored(signed_in, other_keys)).await;
        assert!(
            matches!(refused, Err(AuthError::InvalidToken(_))),
            "{name}: stored keys without the token's key: {refused:?}"
        );
    }
}
