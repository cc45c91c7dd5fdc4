//! The backend served locally: the handlers behind an HTTP server on
//! loopback, over an embedded Cognito emulator (cognitox) unless another
//! Cognito endpoint is given. Codes the emulator "sends" land in a
//! [`DevMailbox`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_sdk_cognitoidentityprovider as cognito;
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use cognito::config::{BehaviorVersion, Credentials, Region};
use cognito::types::{ExplicitAuthFlowsType, OAuthFlowType, VerifiedAttributeType};
use cognito_login_client::{
    ApiGatewayConfig, AuthAction, DEFAULT_REDIRECT_PORT, ManagedLogin, Routes, SignInFlow,
    TokenCheck, TokenUse, TokenVerifier, UserPoolConfig,
};
use cognitox::config::StorageConfig;
use cognitox::storage::Storage;
use cognitox::types::ClientId;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::handlers::{ApiResponse, Handlers, MAX_REQUEST_BYTES};
use crate::limit::{AddressLimiter, AddressLimits, MemoryCounter};
use crate::profile::{LocalProfiles, MAX_PROFILE_REQUEST_BYTES, PROFILE_ROUTE};

/// The name of the user pool the local stack creates (or finds again).
pub const POOL_NAME: &str = "bevy-cognito-login-local";
/// The name of its public app client.
pub const CLIENT_NAME: &str = "bevy-cognito-login-game";

/// Where a running local backend serves, and how a client reaches it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalEndpoints {
    /// The base URL of the login routes.
    pub url: String,
    /// The Cognito endpoint the handlers call: the embedded emulator's, or
    /// the one configured.
    pub cognito_endpoint: String,
    /// The user pool in use.
    pub user_pool_id: String,
    /// The app client in use.
    pub client_id: String,
    /// `true` when the emulator is the embedded cognitox.
    pub embedded: bool,
    /// The loopback port the app client's callback URL names.
    pub redirect_port: u16,
}

impl LocalEndpoints {
    /// How tokens of this pool are checked. cognitox issues them as
    /// `https://cognito-idp.local.amazonaws.com/{pool}` and serves its keys
    /// at its root; another emulator (cognito-local) is taken to issue them
    /// as `{endpoint}/{pool}` with the keys below that.
    pub fn token_check(&self) -> TokenCheck {
        if self.embedded {
            TokenCheck::new(
                format!(
                    "https://cognito-idp.local.amazonaws.com/{}",
                    self.user_pool_id
                ),
                &self.client_id,
            )
            .with_jwks_url(format!("{}/.well-known/jwks.json", self.cognito_endpoint))
        } else {
            TokenCheck::new(
                format!("{}/{}", self.cognito_endpoint, self.user_pool_id),
                &self.client_id,
            )
        }
    }

    /// The API Gateway transport's configuration: the login routes, with
    /// tokens checked against the emulator's keys.
    pub fn api_gateway_config(&self) -> ApiGatewayConfig {
        ApiGatewayConfig::new(&self.url, self.token_check())
    }

    /// Browser sign-in through the embedded emulator's managed login (its
    /// `/oauth2/authorize`, login page and `/oauth2/token`, with PKCE),
    /// redirecting to the port the app client lists.
    pub fn managed_login(&self) -> ManagedLogin {
        ManagedLogin::new(&self.cognito_endpoint, &self.client_id)
            .with_redirect_port(self.redirect_port)
    }

    /// The direct transport's configuration: the emulator's user-pool API
    /// with `USER_PASSWORD_AUTH`, since the emulators lack SRP.
    pub fn user_pool_config(&self) -> UserPoolConfig {
        let region = self.user_pool_id.split('_').next().unwrap_or("local");
        UserPoolConfig::new(region, &self.user_pool_id, &self.client_id)
            .with_endpoint(&self.cognito_endpoint)
            .with_sign_in_flow(SignInFlow::UserPassword)
            .with_token_check(self.token_check())
    }
}

/// How to start a [`LocalStack`].
#[derive(Debug, Clone, Default)]
pub struct LocalConfig {
    /// The port of the login routes on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Keep the embedded emulator's users in this file across restarts.
    pub data_file: Option<PathBuf>,
    /// Use this Cognito endpoint instead of the embedded emulator.
    pub cognito_endpoint: Option<String>,
    /// The user pool to use at `cognito_endpoint`; created when absent.
    pub user_pool_id: Option<String>,
    /// The app client to use; created when absent.
    pub client_id: Option<String>,
    /// Whether the routes refresh with `GetTokensFromRefreshToken`, as for
    /// an app client that rotates refresh tokens.
    pub refresh_token_rotation: bool,
    /// The loopback port of browser sign-ins' redirect, which the app client
    /// lists as its one callback URL; `None`:
    /// [`DEFAULT_REDIRECT_PORT`].
    pub redirect_port: Option<u16>,
    /// Limits on each client address's sign-ins and sign-ups, counted in
    /// memory; `None`: no limit (every local client is 127.0.0.1).
    pub address_limits: Option<AddressLimits>,
}

/// Why the local stack could not start.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    /// A port could not be bound.
    #[error("cannot listen on 127.0.0.1: {0}")]
    Bind(#[from] std::io::Error),
    /// The emulator's data file could not be read.
    #[error("cannot open the emulator's data file: {0}")]
    Storage(String),
    /// Creating or finding the user pool or app client failed.
    #[error("cannot set up the user pool: {0}")]
    Setup(String),
    /// The managed login did not answer as a browser expects
    /// ([`play_managed_login`]).
    #[error("the managed login: {0}")]
    ManagedLogin(String),
}

/// A running local login backend.
///
/// Dropping it stops its servers; [`shutdown`](Self::shutdown) also writes
/// the emulator's data file first.
pub struct LocalStack {
    endpoints: LocalEndpoints,
    mailbox: Option<DevMailbox>,
    storage: Option<Storage>,
    data_file: Option<PathBuf>,
    tasks: Vec<JoinHandle<()>>,
}

impl LocalStack {
    /// Starts the emulator (unless an endpoint is configured), sets up the
    /// pool and app client, and serves the login routes.
    pub async fn start(config: LocalConfig) -> Result<Self, LocalError> {
        let mut tasks = Vec::new();
        let (cognito_endpoint, storage) = match &config.cognito_endpoint {
            Some(endpoint) => (endpoint.trim_end_matches('/').to_owned(), None),
            None => {
                // The emulator signs tokens with an RSA key it makes on first
                // use; make it now, off this thread, not during a sign-in.
                tokio::task::spawn_blocking(cognitox::jwt::get_jwt_keys);
                if let Some(path) = &config.data_file {
                    private_data_file(path).map_err(|error| {
                        LocalError::Storage(format!("{}: {error}", path.display()))
                    })?;
                }
                let storage = Storage::with_config(match &config.data_file {
                    Some(path) => StorageConfig::persistent(path.clone()),
                    None => StorageConfig::memory(),
                })
                .map_err(LocalError::Storage)?;
                let listener = TcpListener::bind("127.0.0.1:0").await?;
                let address = listener.local_addr()?;
                let tap = CodeTap {
                    mailbox: DevMailbox::default(),
                    storage: storage.clone(),
                };
                let router = cognitox::api::create_router(storage.clone())
                    .layer(axum::middleware::from_fn_with_state(
                        tap.clone(),
                        collect_codes,
                    ))
                    .layer(axum::middleware::from_fn_with_state(
                        storage.clone(),
                        managed_login,
                    ));
                tasks.push(tokio::spawn(async move {
                    let _ = axum::serve(listener, router).await;
                }));
                (format!("http://{address}"), Some(tap))
            }
        };
        let sdk = sdk_client(&cognito_endpoint);
        let redirect_port = config.redirect_port.unwrap_or(DEFAULT_REDIRECT_PORT);
        let (user_pool_id, client_id) = match (&config.user_pool_id, &config.client_id) {
            (Some(pool), Some(client)) => (pool.clone(), client.clone()),
            // Only the embedded emulator serves a managed login.
            (pool, _) => {
                let redirect = storage.is_some().then_some(redirect_port);
                set_up_pool(&sdk, pool.clone(), redirect).await?
            }
        };

        let mailbox = storage.as_ref().map(|tap| tap.mailbox.clone());
        let storage = storage.map(|tap| tap.storage);
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], config.port))).await?;
        let endpoints = LocalEndpoints {
            url: format!("http://{}", listener.local_addr()?),
            embedded: storage.is_some(),
            redirect_port,
            cognito_endpoint,
            user_pool_id,
            client_id,
        };
        let mut handlers = Handlers::new(sdk, endpoints.client_id.clone());
        if let Some(limits) = config.address_limits {
            let counter = Arc::new(MemoryCounter::default());
            handlers = handlers.with_address_limits(AddressLimiter::new(counter, limits));
        }
        let state = Arc::new(ServerState {
            handlers: handlers
                .with_refresh_token_rotation(config.refresh_token_rotation)
                // Beside the emulator's data file, or in memory with it.
                .with_profiles(Arc::new(LocalProfiles::new(config.data_file.as_ref().map(
                    |file| {
                        file.parent()
                            .unwrap_or(std::path::Path::new("."))
                            .join("profiles")
                    },
                )))),
            verifier: TokenVerifier::new(endpoints.token_check())
                .map_err(|error| LocalError::Setup(error.to_string()))?,
        });
        let router = router(state).into_make_service_with_connect_info::<SocketAddr>();
        tasks.push(tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        }));
        tracing::info!(url = %endpoints.url, cognito_endpoint = %endpoints.cognito_endpoint,
            user_pool_id = %endpoints.user_pool_id, client_id = %endpoints.client_id,
            "local login backend ready");
        Ok(Self {
            endpoints,
            mailbox,
            storage,
            data_file: config.data_file.clone(),
            tasks,
        })
    }

    /// Where the login routes and the emulator are, and the client
    /// configurations for either transport.
    pub fn endpoints(&self) -> &LocalEndpoints {
        &self.endpoints
    }

    /// The base URL of the login routes: give it to the client.
    pub fn url(&self) -> &str {
        &self.endpoints.url
    }

    /// The Cognito endpoint the handlers call.
    pub fn cognito_endpoint(&self) -> &str {
        &self.endpoints.cognito_endpoint
    }

    /// The user pool in use.
    pub fn user_pool_id(&self) -> &str {
        &self.endpoints.user_pool_id
    }

    /// The app client in use.
    pub fn client_id(&self) -> &str {
        &self.endpoints.client_id
    }

    /// The codes the embedded emulator sent; `None` with an external Cognito.
    pub fn mailbox(&self) -> Option<&DevMailbox> {
        self.mailbox.as_ref()
    }

    /// Writes the emulator's data file (when there is one, readable by this
    /// user only) and stops.
    pub async fn shutdown(self) {
        if let Some(storage) = &self.storage
            && let Err(error) = storage.flush_persistence().await
        {
            tracing::warn!(%error, "could not save the local users");
        }
        if let Some(path) = &self.data_file
            && let Err(error) = private_data_file(path)
        {
            tracing::warn!(%error, "could not make the local users file private");
        }
    }
}

/// The data file holds password hashes, live refresh tokens and pending
/// codes: its folder is made readable by this user only (when this makes
/// it), and so is the file.
fn private_data_file(path: &std::path::Path) -> std::io::Result<()> {
    let parent = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty());
    if let Some(parent) = parent.filter(|parent| !parent.exists()) {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(parent)?;
    }
    #[cfg(unix)]
    if path.exists() {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

impl LocalStack {
    /// Starts the stack on a thread of its own with its own runtime, for
    /// programs that have none (a Bevy game). Returns once it serves.
    pub fn spawn(config: LocalConfig) -> Result<BackgroundStack, LocalError> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("local-login-backend".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(error) => {
                        let _ = ready_tx.send(Err(LocalError::Bind(error)));
                        return;
                    }
                };
                runtime.block_on(async move {
                    match LocalStack::start(config).await {
                        Ok(stack) => {
                            let _ = ready_tx.send(Ok(BackgroundStack {
                                endpoints: stack.endpoints.clone(),
                                mailbox: stack.mailbox.clone(),
                                stop: None,
                                thread: None,
                            }));
                            let _ = stop_rx.await;
                            stack.shutdown().await;
                        }
                        Err(error) => {
                            let _ = ready_tx.send(Err(error));
                        }
                    }
                });
            })?;
        let mut stack = ready_rx
            .recv()
            .map_err(|_| LocalError::Setup("the local backend thread stopped".into()))??;
        stack.stop = Some(stop_tx);
        stack.thread = Some(thread);
        Ok(stack)
    }
}

/// A [`LocalStack`] running on its own thread. Dropping it saves the
/// emulator's data file (when there is one) and joins the thread.
pub struct BackgroundStack {
    endpoints: LocalEndpoints,
    mailbox: Option<DevMailbox>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl BackgroundStack {
    /// Where the login routes and the emulator are, and the client
    /// configurations for either transport.
    pub fn endpoints(&self) -> &LocalEndpoints {
        &self.endpoints
    }

    /// The codes the embedded emulator sent; `None` with an external Cognito.
    pub fn mailbox(&self) -> Option<&DevMailbox> {
        self.mailbox.as_ref()
    }
}

impl Drop for BackgroundStack {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl std::fmt::Debug for BackgroundStack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackgroundStack")
            .field("endpoints", &self.endpoints)
            .finish_non_exhaustive()
    }
}

impl Drop for LocalStack {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl std::fmt::Debug for LocalStack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalStack")
            .field("endpoints", &self.endpoints)
            .finish_non_exhaustive()
    }
}

/// An SDK client for a local Cognito endpoint: dummy credentials (emulators
/// do not check signatures), no retries, short timeouts.
pub fn sdk_client(endpoint: &str) -> cognito::Client {
    let config = cognito::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(crate::https_client())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("local", "local", None, None, "local"))
        .retry_config(cognito::config::retry::RetryConfig::disabled())
        .timeout_config(
            cognito::config::timeout::TimeoutConfig::builder()
                .operation_timeout(Duration::from_secs(8))
                .build(),
        )
        .build();
    cognito::Client::from_conf(config)
}

/// Finds the local pool and client by name, or creates them: a pool that
/// verifies email by code, and a public app client (no secret).
async fn set_up_pool(
    sdk: &cognito::Client,
    pool: Option<String>,
    redirect_port: Option<u16>,
) -> Result<(String, String), LocalError> {
    let setup = |error: &dyn std::fmt::Display| LocalError::Setup(error.to_string());
    let pool_id = match pool {
        Some(pool) => pool,
        None => {
            let pools = sdk
                .list_user_pools()
                .max_results(60)
                .send()
                .await
                .map_err(|e| setup(&e))?;
            match pools
                .user_pools()
                .iter()
                .find(|pool| pool.name() == Some(POOL_NAME))
                .and_then(|p| p.id())
            {
                Some(id) => id.to_owned(),
                None => sdk
                    .create_user_pool()
                    .pool_name(POOL_NAME)
                    .auto_verified_attributes(VerifiedAttributeType::Email)
                    .send()
                    .await
                    .map_err(|e| setup(&e))?
                    .user_pool()
                    .and_then(|pool| pool.id())
                    .ok_or_else(|| LocalError::Setup("CreateUserPool returned no id".into()))?
                    .to_owned(),
            }
        }
    };
    let clients = sdk
        .list_user_pool_clients()
        .user_pool_id(&pool_id)
        .max_results(60)
        .send()
        .await
        .map_err(|e| setup(&e))?;
    let existing = clients
        .user_pool_clients()
        .iter()
        .find(|client| client.client_name() == Some(CLIENT_NAME))
        .and_then(|client| client.client_id());
    let client_id = match existing {
        Some(id) => id.to_owned(),
        None => sdk
            .create_user_pool_client()
            .user_pool_id(&pool_id)
            .client_name(CLIENT_NAME)
            .generate_secret(false)
            .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
            .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserSrpAuth)
            .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
            .send()
            .await
            .map_err(|e| setup(&e))?
            .user_pool_client()
            .and_then(|client| client.client_id())
            .ok_or_else(|| LocalError::Setup("CreateUserPoolClient returned no id".into()))?
            .to_owned(),
    };
    // Over the embedded emulator every start sets the whole client again
    // (an update resets what it leaves out): its sign-in flows, and the
    // managed login's code flow with PKCE, redirecting to this start's
    // loopback port.
    let Some(redirect_port) = redirect_port else {
        return Ok((pool_id, client_id));
    };
    let redirect = ManagedLogin::redirect_uri(redirect_port);
    sdk.update_user_pool_client()
        .user_pool_id(&pool_id)
        .client_id(&client_id)
        .client_name(CLIENT_NAME)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserSrpAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .allowed_o_auth_flows_user_pool_client(true)
        .allowed_o_auth_flows(OAuthFlowType::Code)
        .allowed_o_auth_scopes("openid")
        .allowed_o_auth_scopes("email")
        .allowed_o_auth_scopes("profile")
        .allowed_o_auth_scopes("aws.cognito.signin.user.admin")
        .supported_identity_providers("COGNITO")
        .callback_urls(&redirect)
        .logout_urls(ManagedLogin::logout_uri(redirect_port))
        .send()
        .await
        .map_err(|e| setup(&e))?;
    Ok((pool_id, client_id))
}

struct ServerState {
    handlers: Handlers,
    /// Checks the bearer tokens of the profile routes, as API Gateway's
    /// JWT authorizer does on AWS.
    verifier: TokenVerifier,
}

/// The contract's routes, and API Gateway's JSON 404 for anything else.
fn router(state: Arc<ServerState>) -> Router {
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

/// The player a profile request is for: the `sub` of the access token in
/// its `Authorization: Bearer` header, verified against the pool's keys.
/// Anything else is API Gateway's own 401.
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
    match state.verifier.verify_token(token, TokenUse::Access).await {
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

/// What the emulator's code collector needs.
#[derive(Clone)]
struct CodeTap {
    mailbox: DevMailbox,
    storage: Storage,
}

/// The embedded emulator's managed login, as Cognito's: `/oauth2/authorize`
/// sends the browser on to the login page (`/login`, whose form posts the
/// password) once it has checked the client, the redirect URI and the flow.
/// The emulator's own shortcut, a username and password in the authorize
/// URL, is refused: a password never goes into a URL. `/logout`, which the
/// emulator lacks, sends the browser to its `logout_uri` when the app
/// client lists it, as Cognito does (the emulator keeps no browser session
/// to end).
async fn managed_login(State(storage): State<Storage>, request: Request, next: Next) -> Response {
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

/// Plays the player's browser on the embedded emulator's managed login, for
/// tests of a browser sign-in without a browser: follows `authorize` (the
/// URL the game opened) to the login page, submits its form as `username`
/// with `password`, and returns where the login page sends the browser next
/// (the game's redirect, not followed).
pub async fn play_managed_login(
    authorize: &str,
    username: &str,
    password: &str,
) -> Result<String, LocalError> {
    let origin = authorize
        .find("/oauth2/")
        .map(|path| &authorize[..path])
        .ok_or_else(|| LocalError::ManagedLogin(format!("not an authorize URL: {authorize}")))?;
    let login_page = loopback_http("GET", authorize, "").await?.location()?;
    let page = loopback_http("GET", &format!("{origin}{login_page}"), "")
        .await?
        .body;
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.extend_pairs(hidden_fields(&page))
        .append_pair("username", username)
        .append_pair("password", password);
    loopback_http("POST", &format!("{origin}/login"), &form.finish())
        .await?
        .location()
}

/// An answer of [`loopback_http`].
struct Answer {
    status: String,
    location: Option<String>,
    body: String,
}

impl Answer {
    fn location(self) -> Result<String, LocalError> {
        self.location.ok_or_else(|| {
            LocalError::ManagedLogin(format!("{} instead of a redirect", self.status))
        })
    }
}

/// One HTTP/1.1 request to the emulator on loopback, as a browser sends it
/// (a form body when there is one); no redirect is followed.
async fn loopback_http(method: &str, url: &str, form: &str) -> Result<Answer, LocalError> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let failed = |what: String| LocalError::ManagedLogin(what);
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| failed(format!("not a loopback URL: {url}")))?;
    let (host, target) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = tokio::net::TcpStream::connect(host.replace("localhost", "127.0.0.1")).await?;
    let request = format!(
        "{method} {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
        form.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await?;
    let answer = String::from_utf8_lossy(&answer);
    let (head, body) = answer
        .split_once("\r\n\r\n")
        .ok_or_else(|| failed("an answer without a head".into()))?;
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        return Err(failed("a chunked answer".into()));
    }
    let location = head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("location")
            .then(|| value.trim().to_owned())
    });
    Ok(Answer {
        status: head.lines().next().unwrap_or_default().to_owned(),
        location,
        body: body.to_owned(),
    })
}

/// The hidden fields of a login page's form (the OAuth parameters it
/// carries on), unescaped.
fn hidden_fields(page: &str) -> Vec<(String, String)> {
    let attribute = |tag: &str, name: &str| {
        let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
        let end = tag[start..].find('"')? + start;
        Some(tag[start..end].replace("&amp;", "&").replace("&#x2F;", "/"))
    };
    page.split("<input")
        .skip(1)
        .filter(|tag| tag.contains("type=\"hidden\""))
        .filter_map(|tag| Some((attribute(tag, "name")?, attribute(tag, "value")?)))
        .collect()
}

/// Wraps the embedded emulator: after a call that sends a code (from the
/// login routes or straight from a game on the user-pool transport), copies
/// that code into the mailbox.
async fn collect_codes(State(tap): State<CodeTap>, request: Request, next: Next) -> Response {
    let operation = request
        .headers()
        .get("x-amz-target")
        .and_then(|target| target.to_str().ok())
        .and_then(|target| target.rsplit('.').next());
    let purpose = match operation {
        Some("SignUp" | "ResendConfirmationCode") => CodePurpose::ConfirmSignUp,
        Some("ForgotPassword") => CodePurpose::ResetPassword,
        Some("UpdateUserAttributes" | "GetUserAttributeVerificationCode") => {
            CodePurpose::VerifyEmail
        }
        _ => return next.run(request).await,
    };
    let updates_email = operation == Some("UpdateUserAttributes");
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_REQUEST_BYTES).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let response = next
        .run(Request::from_parts(parts, Body::from(body.clone())))
        .await;
    if response.status().is_success() {
        if updates_email {
            tap.send_email_code(&body).await;
        }
        tap.collect(purpose, &body).await;
    }
    response
}

impl CodeTap {
    /// Cognito sends a code when an auto-verified email address changes;
    /// cognitox only makes one when asked again: ask it, as Cognito would.
    async fn send_email_code(&self, body: &[u8]) {
        let Ok(call) = serde_json::from_slice::<serde_json::Value>(body) else {
            return;
        };
        let changes_email = call["UserAttributes"]
            .as_array()
            .is_some_and(|attributes| attributes.iter().any(|a| a["Name"] == "email"));
        if changes_email {
            let ask = serde_json::json!({
                "AccessToken": call["AccessToken"], "AttributeName": "email"});
            let _ = cognitox::action::user::get_user_attribute_verification_code::handler(
                &self.storage,
                ask,
            )
            .await;
        }
    }

    async fn collect(&self, purpose: CodePurpose, body: &[u8]) {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Call {
            username: Option<String>,
            client_id: Option<String>,
            access_token: Option<String>,
        }
        let Ok(call) = serde_json::from_slice::<Call>(body) else {
            return;
        };
        // Calls made as the player name them in the access token.
        let claims = call
            .access_token
            .as_deref()
            .and_then(cognito_login_client::unverified_claims);
        let claim = |name: &str| {
            claims
                .as_ref()
                .and_then(|claims| claims.get(name)?.as_str().map(str::to_owned))
        };
        let (Some(username), Some(client_id)) = (
            call.username.or_else(|| claim("username")),
            call.client_id.or_else(|| claim("client_id")),
        ) else {
            return;
        };
        let Ok(client_id) = ClientId::new(client_id) else {
            return;
        };
        let Some(client) = self.storage.get_user_pool_client(&client_id).await else {
            return;
        };
        let storage = &self.storage;
        let Some(user) = storage
            .get_user_by_username(&client.user_pool_id, &username)
            .await
        else {
            return;
        };
        let code = match purpose {
            CodePurpose::ConfirmSignUp | CodePurpose::VerifyEmail => storage
                .get_confirmation_code(&user.id)
                .await
                .map(|c| c.code),
            CodePurpose::ResetPassword => storage
                .get_password_reset_code(&user.id)
                .await
                .map(|c| c.code),
        };
        if let Some(code) = code {
            tracing::info!(%username, %code, ?purpose, "dev mailbox: code sent");
            self.mailbox.push(DevMail {
                username,
                code,
                purpose,
                sent_at: SystemTime::now(),
            });
        }
    }
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

/// What a code in the [`DevMailbox`] is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodePurpose {
    /// Confirms a new account.
    ConfirmSignUp,
    /// Resets a forgotten password.
    ResetPassword,
    /// Verifies a changed email address.
    VerifyEmail,
}

/// One code the local emulator "sent".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevMail {
    /// The account it was sent for.
    pub username: String,
    /// The code.
    pub code: String,
    /// What it is for.
    pub purpose: CodePurpose,
    /// When it was sent.
    pub sent_at: SystemTime,
}

/// The codes the embedded emulator sent, newest last. Cheap to clone; every
/// clone sees the same mail.
#[derive(Debug, Clone, Default)]
pub struct DevMailbox {
    mail: Arc<Mutex<Vec<DevMail>>>,
}

impl DevMailbox {
    fn push(&self, mail: DevMail) {
        self.mail
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .push(mail);
    }

    /// Every code sent so far, oldest first.
    pub fn messages(&self) -> Vec<DevMail> {
        self.mail
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .clone()
    }

    /// The newest code sent to `username` for `purpose`.
    pub fn latest_code(&self, username: &str, purpose: CodePurpose) -> Option<String> {
        let mail = self
            .mail
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        mail.iter()
            .rev()
            .find(|mail| mail.username == username && mail.purpose == purpose)
            .map(|mail| mail.code.clone())
    }
}
