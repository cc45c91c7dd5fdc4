//! The contract's routes on loopback, and the profile routes with the
//! bearer-token check API Gateway's JWT authorizer does on AWS.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cognito_login_client::{AuthAction, Routes, TokenUse, TokenVerifier};

use crate::handlers::{ApiResponse, Handlers, MAX_REQUEST_BYTES};
use crate::profile::{MAX_PROFILE_REQUEST_BYTES, PROFILE_ROUTE};

pub(super) struct ServerState {
    pub(super) handlers: Handlers,
    /// Checks the bearer tokens of the profile routes, as API Gateway's
    /// JWT authorizer does on AWS.
    pub(super) verifier: TokenVerifier,
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
/// or an ID token (`aud`) of the game's app client. Anything else is API
/// Gateway's own 401.
async fn player(state: &ServerState, headers: &HeaderMap) -> Result<String, ApiResponse> {
    let unauthorized = || ApiResponse {
        status: 401,
        body: serde_json::json!({"message": "Unauthorized"}),
    };
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .ok_or_else(unauthorized)?;
    // Which check applies is read from the token; the check itself
    // verifies that claim with the rest.
    let id_token = cognito_login_client::unverified_claims(token)
        .is_some_and(|claims| claims.get("token_use").and_then(|v| v.as_str()) == Some("id"));
    let token_use = if id_token {
        TokenUse::Id
    } else {
        TokenUse::Access
    };
    match state.verifier.verify_token(token, token_use).await {
        Ok(claims) => Ok(claims.sub),
        Err(error) if error.is_retryable() => {
            tracing::warn!(%error, "the pool's keys could not be fetched");
            Err(ApiResponse::error(
                503,
                "InternalErrorException",
                "the token could not be checked",
            ))
        }
        Err(error) => {
            tracing::debug!(%error, "a profile request's token was refused");
            Err(unauthorized())
        }
    }
}

async fn serve(state: &ServerState, action: AuthAction, request: Request) -> Response {
    let address = request
        .extensions()
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map(|peer| peer.0.ip());
    let Ok(body) = axum::body::to_bytes(request.into_body(), MAX_REQUEST_BYTES).await else {
        return json_response(ApiResponse::error(
            413,
            "InvalidParameterException",
            "the request body is too large",
        ));
    };
    json_response(state.handlers.handle_from(action, &body, address).await)
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
