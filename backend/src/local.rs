//! The backend served locally: the handlers behind an HTTP server on
//! loopback, over an embedded Cognito emulator (cognitox) unless another
//! Cognito endpoint is given. Codes the emulator "sends" land in a
//! [`DevMailbox`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use cognito_login_client::{DEFAULT_REDIRECT_PORT, TokenVerifier};
use cognitox::config::StorageConfig;
use cognitox::storage::Storage;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::handlers::Handlers;
use crate::limit::{AddressLimiter, AddressLimits, MemoryCounter};
use crate::profile::LocalProfiles;
use crate::triggers::{TriggerConfig, Triggers};

#[cfg(feature = "test-utils")]
mod browser;
mod endpoints;
mod identity;
mod mailbox;
mod managed_login;
mod player_data;
mod pool;
mod routes;
mod rules;
mod signer;
mod template;
mod triggers;

#[cfg(feature = "test-utils")]
pub use browser::play_managed_login;
pub use endpoints::LocalEndpoints;
pub use identity::{IDENTITY_POOL_PATH, LOCAL_IDENTITY_POOL_ID};
pub use mailbox::{CodePurpose, DevEmail, DevMail, DevMailbox};
use mailbox::{CodeTap, collect_codes};
use managed_login::managed_login;
pub use player_data::{LOCAL_PLAYER_DATA_TABLE, PLAYER_DATA_PATH};
pub use pool::sdk_client;
use pool::set_up_pool;
use routes::{ServerState, router};
pub use template::Template;

/// The name of the user pool the local stack creates (or finds again).
pub const POOL_NAME: &str = "bevy-cognito-login-local";
/// The name of its public app client.
pub const CLIENT_NAME: &str = "bevy-cognito-login-game";
/// The name of its confidential app client ([`LocalConfig::server_client`]).
pub const SERVER_CLIENT_NAME: &str = "bevy-cognito-login-server";

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
    /// Sign players up and in through a confidential app client with a
    /// secret only the routes hold (`AdminInitiateAuth`, `SECRET_HASH`, the
    /// player's address as `ContextData`), as the template does. Off by
    /// default: cognitox's `AdminInitiateAuth` hands out tokens without the
    /// pool's MFA or remembered-device challenges.
    pub server_client: bool,
    /// The pool's triggers, run around the embedded emulator as the
    /// template's trigger function runs them on AWS: auto-confirmation, the
    /// allowed email domains.
    pub triggers: TriggerConfig,
    /// The local identity pool gives players who have not signed in a guest
    /// identity (the template's `GuestAccess`).
    pub guest_access: bool,
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
    /// (`play_managed_login`, with the `test-utils` feature).
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
        // Beside the emulator's data file, or in memory with it.
        let profiles = Arc::new(LocalProfiles::new(config.data_file.as_ref().map(|file| {
            file.parent()
                .unwrap_or(std::path::Path::new("."))
                .join("profiles")
        })));
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
                    triggers: config.triggers.clone(),
                };
                // The pre token generation trigger's ID tokens are signed
                // again with a key of the stack's own.
                let signer = if config.triggers.game_claims {
                    let key_failed = |error: String| LocalError::Setup(format!("its key: {error}"));
                    let made = tokio::task::spawn_blocking(signer::IdTokenSigner::generate)
                        .await
                        .map_err(|error| key_failed(error.to_string()))?
                        .map_err(key_failed)?;
                    Some(Arc::new(made))
                } else {
                    None
                };
                let triggers = triggers::TriggerTap {
                    triggers: Triggers::new(config.triggers.clone())
                        .with_profiles(profiles.clone()),
                    storage: storage.clone(),
                    signer,
                };
                let router = cognitox::api::create_router(storage.clone())
                    .layer(axum::middleware::from_fn_with_state(
                        triggers,
                        triggers::run_triggers,
                    ))
                    // Before the triggers: Cognito checks a password first.
                    .layer(axum::middleware::from_fn_with_state(
                        rules::PasswordPolicy::of(&Template::built_in()),
                        rules::hold_to_policy,
                    ))
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
                let embedded = storage.as_ref().map(|tap| (&tap.storage, redirect_port));
                let (pool, client) = set_up_pool(&sdk, pool.clone(), embedded).await?;
                pool::set_up_groups(&sdk, &pool).await;
                (pool, client)
            }
        };

        let server_client = match config.server_client {
            true => Some(pool::set_up_server_client(&sdk, &user_pool_id).await?),
            false => None,
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
            server_client_id: server_client.as_ref().map(|c| c.client_id().to_owned()),
        };
        let mut handlers = Handlers::new(sdk, endpoints.client_id.clone())
            .with_cognito_endpoint(&endpoints.cognito_endpoint);
        if let Some(server_client) = server_client {
            handlers = handlers.with_server_client(server_client);
        }
        if let Some(limits) = config.address_limits {
            let counter = Arc::new(MemoryCounter::default());
            handlers = handlers.with_address_limits(AddressLimiter::new(counter, limits));
        }
        let state = Arc::new(ServerState {
            handlers: handlers
                .with_refresh_token_rotation(config.refresh_token_rotation)
                .with_profiles(profiles),
            verifier: TokenVerifier::new(endpoints.token_check())
                .map_err(|error| LocalError::Setup(error.to_string()))?,
            identity_pool: identity::LocalIdentityPool::new(
                &endpoints.user_pool_id,
                config.guest_access,
            ),
            player_data: player_data::LocalPlayerData::default(),
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

/// The user-pool API operation a call to the emulator names
/// (`x-amz-target: AWSCognitoIdentityProviderService.SignUp` → `SignUp`).
fn operation_of(request: &axum::extract::Request) -> String {
    request
        .headers()
        .get("x-amz-target")
        .and_then(|target| target.to_str().ok())
        .and_then(|target| target.rsplit('.').next())
        .unwrap_or_default()
        .to_owned()
}
