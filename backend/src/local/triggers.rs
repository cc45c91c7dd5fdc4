//! The pool's triggers around the embedded emulator, which runs none: a
//! `SignUp` goes through the same pre sign-up handler as on AWS
//! ([`crate::triggers`]), with the event Cognito would send it, and its
//! answer is carried out as Cognito does (a refusal, or the account
//! confirmed and its email verified); a `ConfirmSignUp` that confirmed an
//! account goes through the post confirmation handler; tokens the emulator
//! issues go through the pre token generation handler, whose refusal is
//! carried out (a suspended player gets none), and whose changes to the ID
//! token are too: the local stack signs the changed ID token again with a
//! key of its own, listed in the pool's key set (`signer.rs`). Its changes
//! to the access token are not: the emulator checks its access tokens with
//! its own key, out of the local stack's reach.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use cognitox::storage::Storage;
use cognitox::types::ClientId;
use serde_json::{Value, json};

use std::sync::Arc;

use super::signer::{IdTokenSigner, apply_answer};
use crate::handlers::MAX_REQUEST_BYTES;
use crate::triggers::{self, Triggers};

/// What the trigger runner needs.
#[derive(Clone)]
pub(super) struct TriggerTap {
    pub(super) triggers: Triggers,
    pub(super) storage: Storage,
    /// Signs the ID tokens the pre token generation trigger changed; `None`
    /// when that trigger does not run.
    pub(super) signer: Option<Arc<IdTokenSigner>>,
}

/// Runs the pre sign-up trigger around the emulator's `SignUp`, and the
/// post confirmation trigger after its `ConfirmSignUp`.
pub(super) async fn run_triggers(
    State(tap): State<TriggerTap>,
    request: Request,
    next: Next,
) -> Response {
    if let Some(signer) = &tap.signer
        && request.uri().path().ends_with("/.well-known/jwks.json")
    {
        let keys = next.run(request).await;
        return with_key(keys, signer.jwk()).await;
    }
    let operation = super::operation_of(&request);
    let config = tap.triggers.config();
    let issues_tokens = matches!(
        operation.as_str(),
        "InitiateAuth"
            | "AdminInitiateAuth"
            | "RespondToAuthChallenge"
            | "AdminRespondToAuthChallenge"
            | "GetTokensFromRefreshToken"
    );
    let runs = match operation.as_str() {
        "SignUp" => config.auto_confirm || !config.allowed_email_domains.is_empty(),
        "ConfirmSignUp" => config.initial_profile.is_some(),
        _ => issues_tokens && config.game_claims,
    };
    if !runs {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_REQUEST_BYTES).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let call: Value = serde_json::from_slice(&body).unwrap_or_default();
    if issues_tokens {
        let refresh = operation == "GetTokensFromRefreshToken"
            || matches!(
                call["AuthFlow"].as_str(),
                Some("REFRESH_TOKEN_AUTH" | "REFRESH_TOKEN")
            );
        let response = next.run(Request::from_parts(parts, Body::from(body))).await;
        return tap.pre_token_generation(response, refresh).await;
    }
    let pool = match ClientId::new(call["ClientId"].as_str().unwrap_or_default().to_owned()) {
        Ok(client) => tap
            .storage
            .get_user_pool_client(&client)
            .await
            .map(|client| client.user_pool_id.to_string()),
        Err(_) => None,
    };
    let (Some(pool), Some(username)) = (pool, call["Username"].as_str()) else {
        // The emulator answers what it cannot read.
        return next.run(Request::from_parts(parts, Body::from(body))).await;
    };
    let attributes = call["UserAttributes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|attribute| {
            Some((
                attribute["Name"].as_str()?.to_owned(),
                attribute["Value"].as_str()?.to_owned(),
            ))
        });
    let client = call["ClientId"].as_str().unwrap_or_default();
    if operation == "ConfirmSignUp" {
        let response = next.run(Request::from_parts(parts, Body::from(body))).await;
        if response.status().is_success() {
            tap.post_confirmation(&pool, client, username).await;
        }
        return response;
    }
    let event = triggers::pre_sign_up_event(&pool, client, username, attributes);
    let answer = match tap.triggers.handle(event).await {
        Ok(answer) => answer,
        // Cognito's own words for a refusing pre sign-up trigger.
        Err(refusal) => {
            return cognito_error(
                "UserLambdaValidationException",
                &format!("PreSignUp failed with error {refusal}."),
            );
        }
    };
    let response = next.run(Request::from_parts(parts, Body::from(body))).await;
    if !response.status().is_success() || answer["response"]["autoConfirmUser"] != true {
        return response;
    }
    let (parts, body, mut signed_up) = match json_body(response).await {
        Ok(read) => read,
        Err(unread) => return unread,
    };
    let confirm = json!({"UserPoolId": pool, "Username": username});
    if let Err(error) =
        cognitox::action::user::admin_confirm_sign_up::handler(&tap.storage, confirm).await
    {
        tracing::warn!(%error, "the auto-confirmation failed");
        return Response::from_parts(parts, Body::from(body));
    }
    if answer["response"]["autoVerifyEmail"] == true {
        let verify = json!({"UserPoolId": pool, "Username": username,
            "UserAttributes": [{"Name": "email_verified", "Value": "true"}]});
        if let Err(error) =
            cognitox::action::user::admin_update_user_attributes::handler(&tap.storage, verify)
                .await
        {
            tracing::warn!(%error, "the auto-verification failed");
        }
    }
    // As Cognito answers a sign-up its trigger confirmed: no code was sent.
    signed_up["UserConfirmed"] = true.into();
    if let Some(fields) = signed_up.as_object_mut() {
        fields.remove("CodeDeliveryDetails");
    }
    json_response(parts, &signed_up)
}

impl TriggerTap {
    /// The pre token generation trigger for the tokens in `response`, if
    /// any: its refusal replaces them.
    async fn pre_token_generation(&self, response: Response, refresh: bool) -> Response {
        if !response.status().is_success() {
            return response;
        }
        let (parts, body, mut answer) = match json_body(response).await {
            Ok(read) => read,
            Err(unread) => return unread,
        };
        let claims = answer["AuthenticationResult"]["IdToken"]
            .as_str()
            .and_then(cognito_login_client::unverified_claims);
        if let Some(mut claims) = claims {
            let text = |key: &str| claims.get(key).and_then(Value::as_str).unwrap_or_default();
            let groups: Vec<String> = claims
                .get("cognito:groups")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|group| Some(group.as_str()?.to_owned()))
                .collect();
            let pool = text("iss").rsplit('/').next().unwrap_or_default();
            let event = triggers::pre_token_generation_event(
                pool,
                text("aud"),
                text("cognito:username"),
                &groups,
                refresh,
            );
            let changes = match self.triggers.handle(event).await {
                Ok(changes) => changes,
                // Cognito's own words for a refusing trigger.
                Err(refusal) => {
                    return cognito_error(
                        "UserLambdaValidationException",
                        &format!("PreTokenGeneration failed with error {refusal}."),
                    );
                }
            };
            let signed = self
                .signer
                .as_ref()
                .filter(|_| apply_answer(&mut claims, &changes))
                .and_then(|signer| signer.sign(&claims));
            if let Some(id_token) = signed {
                answer["AuthenticationResult"]["IdToken"] = id_token.into();
                return json_response(parts, &answer);
            }
        }
        Response::from_parts(parts, Body::from(body))
    }

    /// The post confirmation trigger for `username`, with the attributes
    /// the emulator holds for them (their `sub` among them).
    async fn post_confirmation(&self, pool: &str, client: &str, username: &str) {
        let Ok(pool_id) = cognitox::types::UserPoolId::new(pool.to_owned()) else {
            return;
        };
        let Some(user) = self.storage.get_user_by_username(&pool_id, username).await else {
            return;
        };
        let attributes = user
            .attributes
            .iter()
            .filter_map(|attribute| Some((attribute.name.clone(), attribute.value.clone()?)))
            .chain([("sub".to_owned(), user.id.to_string())]);
        let event = triggers::post_confirmation_event(pool, client, username, attributes);
        if let Err(refusal) = self.triggers.handle(event).await {
            tracing::warn!(%refusal, "the post confirmation trigger failed");
        }
    }
}

pub(super) fn cognito_error(error_type: &str, message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        [(header::CONTENT_TYPE, "application/x-amz-json-1.1")],
        json!({"__type": error_type, "message": message}).to_string(),
    )
        .into_response()
}

/// The pool's key set in `response`, with `key` listed too.
async fn with_key(response: Response, key: &Value) -> Response {
    if !response.status().is_success() {
        return response;
    }
    let (parts, body, mut keys) = match json_body(response).await {
        Ok(read) => read,
        Err(unread) => return unread,
    };
    let Some(listed) = keys["keys"].as_array_mut() else {
        return Response::from_parts(parts, Body::from(body));
    };
    listed.push(key.clone());
    json_response(parts, &keys)
}

/// The emulator's answer read: its parts, its body, and the body as JSON
/// (`null` when it is not); an answer too large to read is a 502.
async fn json_body(
    response: Response,
) -> Result<(axum::http::response::Parts, axum::body::Bytes, Value), Response> {
    let (parts, body) = response.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_REQUEST_BYTES).await else {
        return Err(StatusCode::BAD_GATEWAY.into_response());
    };
    let json = serde_json::from_slice(&body).unwrap_or_default();
    Ok((parts, body, json))
}

/// An answer with the emulator's `parts` and `body` in place of its own.
fn json_response(parts: axum::http::response::Parts, body: &Value) -> Response {
    let mut response = Response::from_parts(parts, Body::from(body.to_string()));
    response.headers_mut().remove(header::CONTENT_LENGTH);
    response
}
