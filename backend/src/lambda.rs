//! The handlers as an AWS Lambda function behind an API Gateway HTTP API
//! (payload format 2.0): one function serves every route of the contract.

use aws_sdk_cognitoidentityprovider as cognito;
use cognito::config::{BehaviorVersion, Credentials, Region};
use cognito_login_client::AuthAction;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};

use crate::handlers::{ApiResponse, Handlers};

/// The action of a request: from its route key (`POST /signin`) when API
/// Gateway matched a route, else from its path.
pub fn action_of(request: &Request) -> Option<AuthAction> {
    let route_key = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.route_key.clone(),
        _ => None,
    };
    let path = match route_key.as_deref() {
        Some(key) if key != "$default" => {
            key.split_once(' ').map_or(key, |(_, path)| path).to_owned()
        }
        _ => request.raw_http_path().to_owned(),
    };
    if request.method() != lambda_http::http::Method::POST {
        return None;
    }
    AuthAction::ALL
        .into_iter()
        .find(|action| action.default_route() == path)
}

/// The function's log filter: `RUST_LOG` (`directives`), `info` by default,
/// and never below `info` for the Lambda runtime, which logs every raw event
/// (passwords and tokens included) at TRACE.
pub fn log_filter(directives: Option<&str>) -> tracing_subscriber::EnvFilter {
    let filter = directives
        .and_then(|directives| tracing_subscriber::EnvFilter::try_new(directives).ok())
        .unwrap_or_else(|| "info".into());
    [
        "lambda_runtime=info",
        "lambda_http=info",
        "lambda_runtime_api_client=info",
    ]
    .into_iter()
    .fold(filter, |filter, directive| {
        filter.add_directive(directive.parse().expect("a static directive parses"))
    })
}

/// Serves one API Gateway event.
pub async fn handle(handlers: &Handlers, request: Request) -> Response<Body> {
    let response = match action_of(&request) {
        Some(action) => handlers.handle(action, request.body().as_ref()).await,
        None => ApiResponse::error(404, "ResourceNotFoundException", "Not Found"),
    };
    Response::builder()
        .status(response.status)
        .header("content-type", "application/json")
        .body(Body::Text(response.body.to_string()))
        .expect("a status and a static header always build")
}

/// Handlers configured from the Lambda environment: `AWS_REGION`, the
/// function's credentials and `COGNITO_CLIENT_ID` (set by the template).
pub fn handlers_from_env() -> Result<Handlers, String> {
    let var = |name: &str| {
        std::env::var(name).map_err(|_| format!("the environment variable {name} is not set"))
    };
    let region = var("AWS_REGION")?;
    let client_id = var("COGNITO_CLIENT_ID")?;
    let mut config = cognito::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region));
    // The public user-pool operations the handlers call need no signature;
    // the function's own credentials are passed on when present.
    if let (Ok(key), Ok(secret)) = (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
        let token = std::env::var("AWS_SESSION_TOKEN").ok();
        config = config.credentials_provider(Credentials::new(
            key,
            secret,
            token,
            None,
            "lambda-environment",
        ));
    }
    if let Ok(endpoint) = std::env::var("COGNITO_ENDPOINT") {
        config = config.endpoint_url(endpoint);
    }
    // Set by the template from its RefreshTokenRotation parameter.
    let rotation = std::env::var("COGNITO_REFRESH_TOKEN_ROTATION").is_ok_and(|v| v == "ENABLED");
    Ok(
        Handlers::new(cognito::Client::from_conf(config.build()), client_id)
            .with_refresh_token_rotation(rotation),
    )
}
