//! The handlers as an AWS Lambda function behind an API Gateway HTTP API
//! (payload format 2.0): one function serves every route of the contract.

use aws_sdk_cognitoidentityprovider as cognito;
use cognito::config::{BehaviorVersion, Credentials, Region};
use cognito_login_client::AuthAction;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};

use crate::answer::not_found;
use crate::handlers::{ApiResponse, Handlers};
use crate::limit::{AddressLimiter, AddressLimits, DynamoCounter};
use crate::profile::{DynamoProfiles, MAX_PROFILE_REQUEST_BYTES, PROFILE_ROUTE};

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

/// The function's logs: one JSON object a line, for CloudWatch Logs
/// Insights (`fields route, status, outcome, latency_ms, span.id`), with
/// the filter of [`log_filter`].
pub fn init_logs(directives: Option<&str>) {
    tracing::subscriber::set_global_default(json_logs(directives, std::io::stdout))
        .expect("the function's logs are set up once");
}

/// The subscriber of [`init_logs`], writing to `writer`.
pub fn json_logs<W>(directives: Option<&str>, writer: W) -> impl tracing::Subscriber + Send + Sync
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_env_filter(log_filter(directives))
        .without_time()
        .with_ansi(false)
        .with_writer(writer)
        .finish()
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

/// The player a profile request is for: the `sub` claim API Gateway's JWT
/// authorizer checked and passed on. A route deployed without the
/// authorizer has none, and serves nobody.
pub fn authorized_sub(request: &Request) -> Option<String> {
    match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context
            .authorizer
            .as_ref()?
            .jwt
            .as_ref()?
            .claims
            .get("sub")
            .filter(|sub| !sub.is_empty())
            .cloned(),
        _ => None,
    }
}

/// The client's address, as API Gateway saw the connection (`sourceIp`).
pub fn source_ip(request: &Request) -> Option<std::net::IpAddr> {
    match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => {
            context.http.source_ip.as_deref()?.parse().ok()
        }
        _ => None,
    }
}

/// Serves one API Gateway event, in a log span with API Gateway's request
/// id (the one its access log has).
pub async fn handle(handlers: &Handlers, request: Request) -> Response<Body> {
    use tracing::Instrument as _;
    let id = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.request_id.clone(),
        _ => None,
    };
    let span = tracing::info_span!("request", id = id.as_deref().unwrap_or("-"));
    serve(handlers, request).instrument(span).await
}

async fn serve(handlers: &Handlers, request: Request) -> Response<Body> {
    use lambda_http::http::Method;
    let profile = request.raw_http_path() == PROFILE_ROUTE;
    let response = match action_of(&request) {
        Some(action) => {
            let address = source_ip(&request);
            handlers
                .handle_from(action, request.body().as_ref(), address)
                .await
        }
        None if profile => match (request.method(), authorized_sub(&request)) {
            (_, None) => ApiResponse {
                status: 401,
                body: serde_json::json!({"message": "Unauthorized"}),
            },
            (&Method::GET, Some(sub)) => handlers.get_profile(&sub).await,
            (&Method::PUT, Some(_)) if request.body().len() > MAX_PROFILE_REQUEST_BYTES => {
                ApiResponse::error(
                    413,
                    "InvalidParameterException",
                    "the request body is too large",
                )
            }
            (&Method::PUT, Some(sub)) => handlers.put_profile(&sub, request.body().as_ref()).await,
            _ => not_found(),
        },
        None => not_found(),
    };
    Response::builder()
        .status(response.status)
        .header("content-type", "application/json")
        .body(Body::Text(response.body.to_string()))
        .expect("a status and a static header always build")
}

/// Handlers configured from the Lambda environment: `AWS_REGION`, the
/// function's credentials, `COGNITO_CLIENT_ID`, `PROFILE_TABLE` (without
/// it there is no `/profile`), and `ADDRESS_LIMIT_TABLE` with
/// `SIGN_IN_PER_ADDRESS` and `SIGN_UP_PER_ADDRESS` (requests a minute; 0 or
/// unset is no limit), all set by the template.
pub fn handlers_from_env() -> Result<Handlers, String> {
    let var = |name: &str| {
        std::env::var(name).map_err(|_| format!("the environment variable {name} is not set"))
    };
    let region = Region::new(var("AWS_REGION")?);
    let client_id = var("COGNITO_CLIENT_ID")?;
    // The public user-pool operations the handlers call need no signature;
    // the function's own credentials are passed on when present (DynamoDB
    // needs them).
    let credentials = match (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
        (Ok(key), Ok(secret)) => Some(Credentials::new(
            key,
            secret,
            std::env::var("AWS_SESSION_TOKEN").ok(),
            None,
            "lambda-environment",
        )),
        _ => None,
    };
    let mut config = cognito::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(crate::https_client())
        .region(region.clone());
    if let Some(credentials) = credentials.clone() {
        config = config.credentials_provider(credentials);
    }
    if let Ok(endpoint) = std::env::var("COGNITO_ENDPOINT") {
        config = config.endpoint_url(endpoint);
    }
    // Set by the template from its RefreshTokenRotation parameter.
    let rotation = std::env::var("COGNITO_REFRESH_TOKEN_ROTATION").is_ok_and(|v| v == "ENABLED");
    let mut handlers = Handlers::new(cognito::Client::from_conf(config.build()), client_id)
        .with_refresh_token_rotation(rotation);
    let mut dynamo = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(crate::https_client())
        .region(region);
    if let Some(credentials) = credentials {
        dynamo = dynamo.credentials_provider(credentials);
    }
    if let Ok(endpoint) = std::env::var("DYNAMODB_ENDPOINT") {
        dynamo = dynamo.endpoint_url(endpoint);
    }
    let dynamo = aws_sdk_dynamodb::Client::from_conf(dynamo.build());
    let per_minute = |name: &str| match std::env::var(name) {
        Ok(value) => value
            .parse::<u32>()
            .map_err(|_| format!("{name} is not a whole number: {value:?}")),
        Err(_) => Ok(0),
    };
    let limits = AddressLimits::per_minute(
        per_minute("SIGN_IN_PER_ADDRESS")?,
        per_minute("SIGN_UP_PER_ADDRESS")?,
    );
    if let Ok(table) = var("ADDRESS_LIMIT_TABLE")
        && (limits.sign_in > 0 || limits.sign_up > 0)
    {
        let counter = DynamoCounter::new(dynamo.clone(), table);
        handlers =
            handlers.with_address_limits(AddressLimiter::new(std::sync::Arc::new(counter), limits));
    }
    if let Ok(table) = var("PROFILE_TABLE") {
        let profiles = DynamoProfiles::new(dynamo, table);
        handlers = handlers.with_profiles(std::sync::Arc::new(profiles));
    }
    Ok(handlers)
}
