//! `GET` and `PUT /profile` over the local stack: real tokens from the
//! embedded emulator, sent as `Authorization: Bearer`, over real HTTP.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cognito_login_backend::local::sdk_client;
use cognito_login_backend::{LocalConfig, LocalStack};
use cognito_login_client::{AuthOutcome, AuthRequest, Tokens, UserPoolConfig};
use serde_json::{Value, json};

use crate::support::{self, Emulator, PASSWORD, Stack, Via, username};

/// A signed-up, confirmed, signed-in player's tokens.
async fn player(stack: &Stack, name: &str) -> Tokens {
    stack.sign_up(name).await;
    stack.confirm(name).await;
    stack.sign_in(name, PASSWORD).await.expect("signed in")
}

struct Api {
    http: reqwest::Client,
    url: String,
}

impl Api {
    fn new(stack: &Stack) -> Self {
        Self {
            http: support::http().build().unwrap(),
            url: format!("{}/profile", stack.local.url()),
        }
    }

    async fn get(&self, bearer: Option<&str>) -> (u16, Value) {
        let mut request = self.http.get(&self.url);
        if let Some(bearer) = bearer {
            request = request.bearer_auth(bearer);
        }
        answer(request.send().await.unwrap()).await
    }

    async fn put(&self, bearer: &str, body: Value) -> (u16, Value) {
        let request = self
            .http
            .put(&self.url)
            .bearer_auth(bearer)
            .header("content-type", "application/json")
            .body(body.to_string());
        answer(request.send().await.unwrap()).await
    }
}

async fn answer(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let body = response.bytes().await.unwrap();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_player_reads_and_writes_only_their_own_profile() {
    let stack = Stack::start(Emulator::Cognitox).await;
    let api = Api::new(&stack);
    let ada = player(&stack, &username("profile-ada")).await;
    let bob = player(&stack, &username("profile-bob")).await;
    let (ada, bob) = (ada.access_token.expose(), bob.access_token.expose());

    assert_eq!(
        api.get(Some(ada)).await,
        (200, json!({"version": 0, "data": null}))
    );
    let write = api
        .put(ada, json!({"version": 0, "data": {"best": 12}}))
        .await;
    assert_eq!(write, (200, json!({"version": 1})));
    assert_eq!(
        api.get(Some(ada)).await,
        (200, json!({"version": 1, "data": {"best": 12}}))
    );

    // A write made from a stale read is refused, and changes nothing.
    let (status, body) = api
        .put(ada, json!({"version": 0, "data": {"best": 3}}))
        .await;
    assert_eq!(
        (status, &body["__type"]),
        (409, &json!("ConflictException"))
    );
    assert_eq!(api.get(Some(ada)).await.1["data"]["best"], 12);

    // Bob has a profile of his own; writing it leaves Ada's alone.
    assert_eq!(
        api.get(Some(bob)).await,
        (200, json!({"version": 0, "data": null}))
    );
    assert_eq!(
        api.put(bob, json!({"version": 0, "data": {"best": 99}}))
            .await,
        (200, json!({"version": 1}))
    );
    assert_eq!(api.get(Some(ada)).await.1["data"]["best"], 12);

    // Ada's token with Bob's `sub` put in: the signature no longer holds.
    let forged = {
        let parts: Vec<&str> = ada.split('.').collect();
        let mut claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        let bob_claims = cognito_login_client::unverified_claims(bob).unwrap();
        claims["sub"] = bob_claims["sub"].clone();
        let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
        format!("{}.{payload}.{}", parts[0], parts[2])
    };
    assert_eq!(api.get(Some(&forged)).await.0, 401);
    assert_eq!(api.get(None).await.0, 401);
    assert_eq!(api.get(Some("not-a-token")).await.0, 401);

    let too_big = json!({"version": 1, "data": "x".repeat(64 * 1024)});
    assert_eq!(api.put(ada, too_big).await.0, 413);
    let (status, _) = api.put(ada, json!({"data": {}})).await;
    assert_eq!(status, 400, "a write names the version it read");
}

/// An access token the embedded emulator signs for `client_id`, living
/// `minutes` (negative: expired that long ago).
fn emulator_token(pool: &str, client_id: &str, minutes: i64) -> String {
    let user: cognitox::types::User = serde_json::from_value(json!({
        "id": "0b6a1c1e-2f4d-4b8a-9c1d-6e5f4a3b2c1d", "user_pool_id": pool,
        "username": "clockwork", "email": null, "phone_number": null, "password_hash": "",
        "enabled": true, "user_status": "CONFIRMED", "attributes": [],
        "creation_date": "2026-11-01T00:00:00Z", "last_modified_date": "2026-11-01T00:00:00Z"
    }))
    .expect("a cognitox user");
    cognitox::jwt::generate_access_token(
        &user,
        client_id,
        &user.user_pool_id,
        &[],
        &[],
        chrono::Duration::minutes(minutes),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_is_refused() {
    let stack = Stack::start(Emulator::Cognitox).await;
    let api = Api::new(&stack);
    let (pool, client) = (stack.local.user_pool_id(), stack.local.client_id());
    let fresh = emulator_token(pool, client, 10);
    assert_eq!(
        api.get(Some(&fresh)).await.0,
        200,
        "signed alike, unexpired"
    );
    // Past the verifier's minute of leeway.
    let expired = emulator_token(pool, client, -5);
    assert_eq!(api.get(Some(&expired)).await.0, 401);
}

/// As the template's JWT authorizer (the ID token's `aud`, else the access
/// token's `client_id`), the local stack takes either token of the game's
/// app client, so a game API that should not hold the account-changing
/// scope (`GameApiConfig::with_id_token`) is served the same profile; no
/// token of another app client is taken.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_tokens_of_this_app_client_are_taken() {
    let stack = Stack::start(Emulator::Cognitox).await;
    let api = Api::new(&stack);
    let name = username("profile-tokens");
    let tokens = player(&stack, &name).await;
    let (access, id) = (tokens.access_token.expose(), tokens.id_token.expose());
    let write = api
        .put(id, json!({"version": 0, "data": {"best": 7}}))
        .await;
    assert_eq!(
        write,
        (200, json!({"version": 1})),
        "written with the ID token"
    );
    assert_eq!(
        api.get(Some(access)).await,
        (200, json!({"version": 1, "data": {"best": 7}})),
        "read with the access token"
    );

    // The same player, signed in through another app client of the pool.
    let other_client = sdk_client(stack.local.endpoints().cognito_endpoint.as_str())
        .create_user_pool_client()
        .user_pool_id(stack.local.user_pool_id())
        .client_name("another-game")
        .explicit_auth_flows(
            aws_sdk_cognitoidentityprovider::types::ExplicitAuthFlowsType::AllowUserPasswordAuth,
        )
        .send()
        .await
        .unwrap()
        .user_pool_client()
        .and_then(|client| client.client_id())
        .unwrap()
        .to_owned();
    let endpoints = stack.local.endpoints();
    let mut check = endpoints.token_check();
    check.client_id = other_client.clone();
    let config = UserPoolConfig::new("local", endpoints.user_pool_id.as_str(), &other_client)
        .with_endpoint(&endpoints.cognito_endpoint)
        .with_sign_in_flow(cognito_login_client::SignInFlow::UserPassword)
        .with_token_check(check);
    let other = support::worker(&config.into());
    let outcome = support::ask(
        &other,
        AuthRequest::SignIn {
            username: name.clone(),
            password: PASSWORD.into(),
            device: None,
        },
    )
    .await;
    let Ok(AuthOutcome::Tokens(other_tokens)) = outcome else {
        panic!("signed in through the other client: {outcome:?}")
    };
    assert_eq!(
        api.get(Some(other_tokens.access_token.expose())).await.0,
        401,
        "another app client's access token"
    );
    assert_eq!(
        api.get(Some(other_tokens.id_token.expose())).await.0,
        401,
        "another app client's ID token"
    );
    assert_eq!(api.get(Some(access)).await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profiles_are_kept_beside_the_data_file() {
    let dir = tempfile::tempdir().unwrap();
    let (stack, config) = beside_a_data_file(dir.path()).await;
    let tokens = player(&stack, &username("profile-kept")).await;
    let api = Api::new(&stack);
    let bearer = tokens.access_token.expose();
    assert_eq!(
        api.put(bearer, json!({"version": 0, "data": [1, 2]}))
            .await
            .0,
        200
    );
    stack.local.shutdown().await;
    let kept = std::fs::read_dir(dir.path().join("profiles"))
        .unwrap()
        .count();
    assert_eq!(kept, 1, "one file per player");

    let stack = Stack::over(
        Emulator::Cognitox,
        Via::ApiGateway,
        LocalStack::start(config).await.unwrap(),
    );
    let api = Api::new(&stack);
    assert_eq!(
        api.get(Some(bearer)).await,
        (200, json!({"version": 1, "data": [1, 2]}))
    );
}

/// Deleting the account deletes its profile, from the files too, and the
/// token issued before the deletion (still valid until it expires) can
/// neither read it nor write it back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_account_takes_its_profile_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let (stack, _) = beside_a_data_file(dir.path()).await;
    let tokens = player(&stack, &username("profile-deleted")).await;
    let api = Api::new(&stack);
    let bearer = tokens.access_token.expose();
    let write = json!({"version": 0, "data": {"name": "Ada"}});
    assert_eq!(api.put(bearer, write.clone()).await.0, 200);
    let deleted = stack
        .ask(AuthRequest::DeleteAccount {
            access_token: tokens.access_token.clone(),
        })
        .await;
    assert_eq!(deleted, Ok(AuthOutcome::AccountDeleted));

    let profiles = || -> Vec<String> {
        std::fs::read_dir(dir.path().join("profiles"))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".json"))
            .collect()
    };
    assert!(
        profiles().is_empty(),
        "the profile is gone: {:?}",
        profiles()
    );
    let (status, body) = api.get(Some(bearer)).await;
    assert_eq!(
        (status, &body["__type"]),
        (404, &json!("ResourceNotFoundException"))
    );
    let (status, _) = api.put(bearer, write).await;
    assert_eq!(status, 404, "no write brings it back");
    assert!(profiles().is_empty(), "no write brings it back");
}

/// The local stack keeping its users (and the profiles beside them) in a
/// data file in `dir`, and its configuration, to start it again.
async fn beside_a_data_file(dir: &std::path::Path) -> (Stack, LocalConfig) {
    let config = LocalConfig {
        data_file: Some(dir.join("users.json")),
        ..LocalConfig::default()
    };
    let local = LocalStack::start(config.clone()).await.unwrap();
    (
        Stack::over(Emulator::Cognitox, Via::ApiGateway, local),
        config,
    )
}

/// The admin route reads any player's profile for the `admins` group's
/// members only: the same valid token is 403 until its player is in the
/// group, and a token that is no token is 401.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_admins_read_another_players_profile() {
    let stack = Stack::start(Emulator::Cognitox).await;
    let api = Api::new(&stack);
    let (staff, player_name) = (username("profile-staff"), username("profile-player"));
    let staff_tokens = player(&stack, &staff).await;
    let their = player(&stack, &player_name).await;
    let sub = cognito_login_client::unverified_claims(their.access_token.expose()).unwrap()["sub"]
        .as_str()
        .unwrap()
        .to_owned();
    let write = api
        .put(
            their.access_token.expose(),
            json!({"version": 0, "data": {"best": 7}}),
        )
        .await;
    assert_eq!(write.0, 200);

    let http = support::http().build().unwrap();
    let admin_url = format!("{}/admin/profiles/{sub}", stack.local.url());
    let read = |bearer: Option<String>| {
        let mut request = http.get(&admin_url);
        if let Some(bearer) = bearer {
            request = request.bearer_auth(bearer);
        }
        async move { answer(request.send().await.unwrap()).await }
    };
    assert_eq!(read(None).await.0, 401);
    assert_eq!(read(Some("not-a-token".into())).await.0, 401);
    assert_eq!(
        read(Some(staff_tokens.access_token.expose().to_owned())).await,
        (403, json!({"message": "Forbidden"}))
    );

    sdk_client(stack.local.cognito_endpoint())
        .admin_add_user_to_group()
        .user_pool_id(stack.local.user_pool_id())
        .username(&staff)
        .group_name("admins")
        .send()
        .await
        .expect("the local pool has the template's admins group");
    let staff_tokens = stack.sign_in(&staff, PASSWORD).await.expect("signed in");
    let claims = cognito_login_client::unverified_claims(staff_tokens.id_token.expose()).unwrap();
    assert_eq!(claims["cognito:groups"], json!(["admins"]));
    assert_eq!(
        read(Some(staff_tokens.access_token.expose().to_owned())).await,
        (200, json!({"version": 1, "data": {"best": 7}}))
    );
    // Being an admin is no way into one's own write path for others.
    assert_eq!(
        api.get(Some(staff_tokens.access_token.expose())).await,
        (200, json!({"version": 0, "data": null}))
    );
}
