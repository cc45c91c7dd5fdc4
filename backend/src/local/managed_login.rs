//! The embedded emulator's managed login, as Cognito's.

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use cognitox::storage::Storage;
use cognitox::types::ClientId;

/// The embedded emulator's managed login, as Cognito's: `/oauth2/authorize`
/// sends the browser on to the login page (`/login`, whose form posts the
/// password) once it has checked the client, the redirect URI and the flow.
/// The emulator's own shortcut, a username and password in the authorize
/// URL, is refused: a password never goes into a URL. `/logout`, which the
/// emulator lacks, sends the browser to its `logout_uri` when the app
/// client lists it, as Cognito does (the emulator keeps no browser session
/// to end); given the authorize parameters instead (`response_type`), it
/// goes on to the login page, as Cognito's "sign out and prompt the user
/// to sign in as another user" does.
pub(super) async fn managed_login(
    State(storage): State<Storage>,
    request: Request,
    next: Next,
) -> Response {
    let query = request.uri().query().unwrap_or_default().to_owned();
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let param = |name: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    };
    match request.uri().path() {
        "/logout" if param("logout_uri").is_none() && param("response_type").is_some() => (
            StatusCode::FOUND,
            [(header::LOCATION, format!("/oauth2/authorize?{query}"))],
        )
            .into_response(),
        "/logout" => {
            let client = match param("client_id").map(ClientId::new) {
                Some(Ok(id)) => storage.get_user_pool_client(&id).await,
                _ => None,
            };
            let Some(client) = client else {
                return (StatusCode::BAD_REQUEST, "unknown client_id").into_response();
            };
            match param("logout_uri") {
                Some(uri) if client.logout_urls.iter().any(|listed| listed == uri) => {
                    (StatusCode::FOUND, [(header::LOCATION, uri.to_owned())]).into_response()
                }
                _ => (StatusCode::BAD_REQUEST, "logout_uri is not a sign-out URL").into_response(),
            }
        }
        "/oauth2/authorize" => {
            if param("password").is_some() || param("username").is_some() {
                return (StatusCode::BAD_REQUEST, "no credentials in the URL").into_response();
            }
            let response = next.run(request).await;
            if response.status() != StatusCode::OK {
                return response;
            }
            (
                StatusCode::FOUND,
                [(header::LOCATION, format!("/login?{query}"))],
            )
                .into_response()
        }
        _ => next.run(request).await,
    }
}
