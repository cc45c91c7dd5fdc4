//! The contract's routes on loopback, and the profile routes with the
//! bearer-token check API Gateway's JWT authorizer does on AWS.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cognito_login_client::{AuthAction, MemberError, Routes, TokenUse, TokenVerifier};

use crate::handlers::{ApiResponse, Caller, Handlers, MAX_REQUEST_BYTES};
use crate::profile::{ADMIN_GROUP, ADMIN_PROFILE_ROUTE, MAX_PROFILE_REQUEST_BYTES, PROFILE_ROUTE};

pub(super) struct ServerState {
    pub(super) handlers: Handlers,
    /// Checks the bearer tokens of the profile routes, as API Gateway's
    /// JWT authorizer does on AWS.
    pub(super) verifier: TokenVerifier,
    /// The stand-in for an identity pool.
    pub(super) identity_pool: super::identity::LocalIdentityPool,
    /// The stand-in for the template's player data table.
    pub(super) player_data: super::player_data::LocalPlayerData,
}

/// The contract's routes, and API Gateway's JSON 404 for anything else.
pub(super) fn router(state: Arc<ServerState>) -> Router {
    let routes = Routes::default();
    let mut router = Router::new();
    for action in AuthAction::ALL {
        let state = Arc::clone(&state);
        router = router.route(
            routes.get(action),
            axum::routing::post(move |request: Request| async move {
                serve(&state, action, request).await
            }),
        );
    }
    let admin_state = Arc::clone(&state);
    let identity_state = Arc::clone(&state);
    let data_state = Arc::clone(&state);
    router = router.route(
        super::PLAYER_DATA_PATH,
        axum::routing::post(
            move |headers: HeaderMap, body: axum::body::Bytes| async move {
                let state = &data_state;
                let issued = |key: &str| state.identity_pool.issued(key);
                state.player_data.serve(issued, &headers, &body)
            },
        ),
    );
    router = router.route(
        super::IDENTITY_POOL_PATH,
        axum::routing::post(
            move |headers: HeaderMap, body: axum::body::Bytes| async move {
                let state = &identity_state;
                state
                    .identity_pool
                    .serve(&state.verifier, &headers, &body)
                    .await
            },
        ),
    );
    router = router.route(
        ADMIN_PROFILE_ROUTE,
        axum::routing::get(
            move |axum::extract::Path(sub): axum::extract::Path<String>, headers: HeaderMap| async move {
                match admin(&admin_state, &headers).await {
                    Ok(()) => json_response(admin_state.handlers.get_profile(&sub).await),
                    Err(refusal) => json_response(refusal),
                }
            },
        ),
    );
    let (get_state, put_state) = (Arc::clone(&state), state);
    router = router.route(
        PROFILE_ROUTE,
        axum::routing::get(move |request: Request| async move {
            match player(&get_state, request.headers()).await {
                Ok(sub) => json_response(get_state.handlers.get_profile(&sub).await),
                Err(refusal) => json_response(refusal),
            }
        })
        .put(move |request: Request| async move {
            let (parts, body) = request.into_parts();
            let sub = match player(&put_state, &parts.headers).await {
                Ok(sub) => sub,
                Err(refusal) => return json_response(refusal),
            };
            let Ok(body) = axum::body::to_bytes(body, MAX_PROFILE_REQUEST_BYTES).await else {
                return json_response(ApiResponse::error(
                    413,
                    "InvalidParameterException",
                    "the request body is too large",
                ));
            };
            json_response(put_state.handlers.put_profile(&sub, &body).await)
        }),
    );
    router.fallback(|| async {
        json_response(ApiResponse::error(
            404,
            "ResourceNotFoundException",
            "Not Found",
        ))
    })
}

/// The player a profile request is for: the `sub` of the token in its
/// `Authorization: Bearer` header, verified against the pool's keys. As
/// the template's JWT authorizer, it takes an access token (`client_id`)
/// or an ID token (`aud`) of the game's app clients. Anything else is API
/// Gateway's own 401.
async fn player(state: &ServerState, headers: &HeaderMap) -> Result<String, ApiResponse> {
    let (token, token_use) = bearer(headers)?;
    match state.verifier.verify_token(token, token_use).await {
        Ok(claims) => Ok(claims.sub),
        Err(error) => Err(refused(&error)),
    }
}

/// Whether an admin route's caller is in [`ADMIN_GROUP`]: a valid token of
/// anyone else is 403, as the function answers on AWS.
async fn admin(state: &ServerState, headers: &HeaderMap) -> Result<(), ApiResponse> {
    let (token, token_use) = bearer(headers)?;
    match state
        .verifier
        .verify_member(token, token_use, ADMIN_GROUP)
        .await
    {
        Ok(_) => Ok(()),
        Err(MemberError::NotMember { .. }) => Err(crate::answer::forbidden()),
        Err(MemberError::Token(error)) => Err(refused(&error)),
    }
}

fn unauthorized() -> ApiResponse {
    ApiResponse {
        status: 401,
        body: serde_json::json!({"message": "Unauthorized"}),
    }
}

/// The bearer token of `headers`, and which check applies to it (read
/// from the token; the check itself verifies that claim with the rest).
fn bearer(headers: &HeaderMap) -> Result<(&str, TokenUse), ApiResponse> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .ok_or_else(unauthorized)?;
    let id_token = cognito_login_client::unverified_claims(token)
        .is_some_and(|claims| claims.get("token_use").and_then(|v| v.as_str()) == Some("id"));
    let token_use = if id_token {
        TokenUse::Id
    } else {
        TokenUse::Access
    };
    Ok((token, token_use))
}

/// The answer to a refused token: 503 when the pool's keys could not be
/// fetched, else 401.
fn refused(error: &cognito_login_client::AuthError) -> ApiResponse {
    if error.is_retryable() {
        tracing::warn!(%error, "the pool's keys could not be fetched");
        ApiResponse::error(
            503,
            "InternalErrorException",
            "the token could not be checked",
        )
    } else {
        tracing::debug!(%error, "a profile request's token was refused");
        unauthorized()
    }
}

async fn serve(state: &ServerState, action: AuthAction, request: Request) -> Response {
    let address = request
        .extensions()
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map(|peer| peer.0.ip());
    let headers = request
        .headers()
        .iter()
        .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)));
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .unwrap_or_default();
    let caller = Caller {
        address,
        ..Caller::default()
    }
    .with_request(host, headers);
    let Ok(body) = axum::body::to_bytes(request.into_body(), MAX_REQUEST_BYTES).await else {
        return json_response(ApiResponse::error(
            413,
            "InvalidParameterException",
            "the request body is too large",
        ));
    };
    json_response(state.handlers.handle_from(action, &body, &caller).await)
}

fn json_response(response: ApiResponse) -> Response {
    let status = StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        Body::from(response.body.to_string()),
    )
        .into_response()
}
