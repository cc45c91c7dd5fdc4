//! The handlers as an AWS Lambda function behind an API Gateway HTTP API
//! (payload format 2.0): one function serves every route of the contract.

use aws_sdk_cognitoidentityprovider as cognito;
use cognito::config::{BehaviorVersion, Credentials, Region};
use cognito_login_client::AuthAction;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};

use crate::answer::not_found;
use crate::handlers::{ApiResponse, Caller, Handlers, ServerClient};
use crate::limit::{AddressLimiter, AddressLimits, DynamoCounter};
use crate::profile::{
    ADMIN_GROUP, ADMIN_PROFILE_ROUTE, DynamoProfiles, MAX_PROFILE_REQUEST_BYTES, PROFILE_ROUTE,
};
use crate::triggers::{TriggerConfig, Triggers};

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
    authorizer_claims(request)?
        .get("sub")
        .filter(|sub| !sub.is_empty())
        .cloned()
}

/// Whether the authorized player is in `group`: the `cognito:groups` claim
/// the JWT authorizer passed on (as its `[a b]` text).
pub fn authorized_member(request: &Request, group: &str) -> bool {
    let Some(groups) = authorizer_claims(request).and_then(|claims| claims.get("cognito:groups"))
    else {
        return false;
    };
    cognito_login_client::Claims {
        sub: String::new(),
        all: [("cognito:groups".to_owned(), groups.clone().into())]
            .into_iter()
            .collect(),
    }
    .in_group(group)
}

fn authorizer_claims(request: &Request) -> Option<&std::collections::HashMap<String, String>> {
    match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => {
            Some(&context.authorizer.as_ref()?.jwt.as_ref()?.claims)
        }
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

/// Who sent `request`: API Gateway's `sourceIp`, the API's domain and the
/// player's software headers.
pub fn caller(request: &Request) -> Caller {
    let server_name = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.domain_name.clone(),
        _ => None,
    };
    let headers = request
        .headers()
        .iter()
        .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)));
    Caller {
        address: source_ip(request),
        ..Caller::default()
    }
    .with_request(server_name.as_deref().unwrap_or_default(), headers)
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
    let admin_profile = ADMIN_PROFILE_ROUTE
        .strip_suffix("{sub}")
        .and_then(|prefix| request.raw_http_path().strip_prefix(prefix))
        .filter(|sub| !sub.is_empty() && !sub.contains('/'))
        .map(str::to_owned);
    let response = match action_of(&request) {
        Some(action) => {
            let caller = caller(&request);
            handlers
                .handle_from(action, request.body().as_ref(), &caller)
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
        None => match (admin_profile, request.method(), authorized_sub(&request)) {
            (Some(_), _, None) => ApiResponse {
                status: 401,
                body: serde_json::json!({"message": "Unauthorized"}),
            },
            (Some(_), &Method::GET, Some(_)) if !authorized_member(&request, ADMIN_GROUP) => {
                crate::answer::forbidden()
            }
            (Some(sub), &Method::GET, Some(_)) => handlers.get_profile(&sub).await,
            _ => not_found(),
        },
    };
    Response::builder()
        .status(response.status)
        .header("content-type", "application/json")
        .body(Body::Text(response.body.to_string()))
        .expect("a status and a static header always build")
}

/// The user pool's triggers configured from the Lambda environment:
/// [`TriggerConfig::from_env`], and `PROFILE_TABLE` for the profiles the
/// post confirmation trigger writes.
pub fn triggers_from_env() -> Result<Triggers, String> {
    let mut triggers = Triggers::new(TriggerConfig::from_env()?);
    if let Ok(table) = var("PROFILE_TABLE") {
        let (region, credentials) = aws_from_env()?;
        let profiles = DynamoProfiles::new(dynamo_client(region, credentials), table);
        triggers = triggers.with_profiles(std::sync::Arc::new(profiles));
    }
    Ok(triggers)
}

fn var(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("the environment variable {name} is not set"))
}

/// The function's region, and its own credentials when present: the
/// public user-pool operations need no signature, DynamoDB does.
fn aws_from_env() -> Result<(Region, Option<Credentials>), String> {
    let region = Region::new(var("AWS_REGION")?);
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
    Ok((region, credentials))
}

/// A DynamoDB client in `region` (at `DYNAMODB_ENDPOINT` when set).
fn dynamo_client(region: Region, credentials: Option<Credentials>) -> aws_sdk_dynamodb::Client {
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
    aws_sdk_dynamodb::Client::from_conf(dynamo.build())
}

/// Handlers configured from the Lambda environment: `AWS_REGION`, the
/// function's credentials, `COGNITO_CLIENT_ID`, `PROFILE_TABLE` (without
/// it there is no `/profile`), and `ADDRESS_LIMIT_TABLE` with
/// `SIGN_IN_PER_ADDRESS` and `SIGN_UP_PER_ADDRESS` (requests a minute; 0 or
/// unset is no limit), all set by the template. With
/// `COGNITO_SERVER_CLIENT_ID` and `COGNITO_USER_POOL_ID`, players sign up
/// and in through that confidential client ([`Handlers::with_server_client`]);
/// its secret is `COGNITO_SERVER_CLIENT_SECRET` when set, else read from the
/// pool once at start (`DescribeUserPoolClient`), so it is in no template,
/// environment or game.
pub async fn handlers_from_env() -> Result<Handlers, String> {
    let (region, credentials) = aws_from_env()?;
    let client_id = var("COGNITO_CLIENT_ID")?;
    let mut config = cognito::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(crate::https_client())
        .region(region.clone());
    if let Some(credentials) = credentials.clone() {
        config = config.credentials_provider(credentials);
    }
    let endpoint = std::env::var("COGNITO_ENDPOINT").ok();
    if let Some(endpoint) = &endpoint {
        config = config.endpoint_url(endpoint);
    }
    // Set by the template from its RefreshTokenRotation parameter.
    let rotation = std::env::var("COGNITO_REFRESH_TOKEN_ROTATION").is_ok_and(|v| v == "ENABLED");
    let cognito = cognito::Client::from_conf(config.build());
    let mut handlers =
        Handlers::new(cognito.clone(), client_id).with_refresh_token_rotation(rotation);
    if let Some(endpoint) = &endpoint {
        handlers = handlers.with_cognito_endpoint(endpoint);
    }
    if let Ok(server_client) = var("COGNITO_SERVER_CLIENT_ID") {
        let pool = var("COGNITO_USER_POOL_ID")?;
        let server_client = match std::env::var("COGNITO_SERVER_CLIENT_SECRET") {
            Ok(secret) => ServerClient::new(pool, server_client, secret),
            Err(_) => ServerClient::from_pool(&cognito, &pool, &server_client).await?,
        };
        handlers = handlers.with_server_client(server_client);
    }
    let dynamo = dynamo_client(region, credentials);
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
