//! The Bevy plugin: configuration, state, session, messages, commands and
//! the systems that connect them to the background worker.

#[cfg(feature = "aws-calls")]
mod aws_calls;
mod client;
mod commands;
mod credentials;
mod game_api;
#[cfg(feature = "menu")]
mod gamepad;
mod lifecycle;
#[cfg(feature = "menu")]
mod menu_window;
mod messages;
mod receive;
mod session;
mod state;

use std::time::Duration;

use bevy::prelude::*;
use std::sync::Arc;

use cognito_login_client::{BackendConfig, GameApiConfig, ManagedLogin};

#[cfg(feature = "aws-calls")]
pub use aws_calls::{AwsCalls, AwsReplied};
pub use cognito_login_client::CommandError as AuthCommandError;
pub use commands::AuthCommands;
pub use credentials::{
    CredentialsFailed, GuestLinked, GuestNotLinked, GuestPlayFailed, IdentityPoolSettings,
    PlayerCredentials,
};
pub use game_api::{ApiReplied, GameApi};
#[cfg(feature = "menu")]
pub use gamepad::MenuNavigation;
pub use lifecycle::{
    BackOnline, SessionNotForgotten, SessionSettings, TokensRefreshed, WentOffline,
};
#[cfg(feature = "menu")]
pub use menu_window::LoginMenu;
pub use messages::{
    AccountConfirmed, AccountRead, AuthFailed, AuthReplied, AuthenticatorSecretIssued,
    ChallengeRequired, CodeSent, DeviceForgotten, DeviceRemembered, DevicesListed, DevicesNotKept,
    EmailVerified, MfaChanged, PasswordChanged, PasswordConfirmed, SignOutReason, SignedIn,
    SignedOut, SignedUp,
};
pub use session::AuthSession;
pub use state::{AuthState, AuthSystems};

#[cfg(feature = "menu")]
use crate::menu::MenuSettings;

/// Adds sign-up, sign-in and sessions to an app.
///
/// Needs Bevy's `StatesPlugin` (part of `DefaultPlugins`). With the `menu`
/// feature and [`menu`](Self::menu) set, it also adds `EguiPlugin` when the
/// app has none and draws the login menu while [`AuthState::SignedOut`]. A
/// game that adds `EguiPlugin` itself adds it before this plugin: Bevy
/// refuses a plugin added twice, and this one logs why just before.
#[derive(Debug, Clone)]
pub struct CognitoLoginPlugin {
    /// How the game reaches Cognito: the routes of a login backend
    /// ([`ApiGatewayConfig`](cognito_login_client::ApiGatewayConfig)) or the
    /// user pool directly ([`UserPoolConfig`](cognito_login_client::UserPoolConfig)).
    pub backend: BackendConfig,
    /// The login menu; `None` leaves the UI to the game, which then drives
    /// [`AuthCommands`].
    #[cfg(feature = "menu")]
    pub menu: Option<MenuSettings>,
    /// Sessions kept in the OS keychain across launches and refreshed before
    /// they expire; `None` forgets the session when the game exits.
    pub session: Option<SessionSettings>,
    /// While [`AuthState::SignedOut`], the connection to the backend is
    /// opened at once and again this often, so the player's sign-in never
    /// waits for TCP and TLS ([`AuthCommands::connect`]): 30 s with the
    /// menu, `None` without it (a game with its own sign-in screen calls
    /// `connect` when that screen opens, or sets this).
    pub keep_warm: Option<Duration>,
    /// The game's own HTTP API, called as the signed-in player with
    /// [`GameApi`]; `None` (the default) leaves [`GameApi`] unset.
    pub game_api: Option<GameApiConfig>,
    /// Sign-in in the player's browser through the pool's managed login
    /// ([`AuthCommands::sign_in_with_browser`]; the menu's "Continue with …"
    /// buttons); `None` (the default) offers none. Its tokens are checked
    /// as [`backend`](Self::backend)'s are.
    pub browser: Option<ManagedLogin>,
    /// An identity pool for the signed-in player's AWS credentials
    /// ([`PlayerCredentials`]); `None` (the default) asks for none.
    pub identity_pool: Option<IdentityPoolSettings>,
}

/// [`CognitoLoginPlugin::keep_warm`] with the menu: well under the minute
/// after which servers commonly close an idle connection.
pub const KEEP_WARM: Duration = Duration::from_secs(30);

impl CognitoLoginPlugin {
    /// The plugin for `backend`, with the default menu and sessions kept in
    /// the keychain.
    pub fn new(backend: impl Into<BackendConfig>) -> Self {
        Self {
            backend: backend.into(),
            #[cfg(feature = "menu")]
            menu: Some(MenuSettings::default()),
            session: Some(SessionSettings::default()),
            keep_warm: cfg!(feature = "menu").then_some(KEEP_WARM),
            game_api: None,
            browser: None,
            identity_pool: None,
        }
    }

    /// The same plugin with temporary AWS credentials for each signed-in
    /// player from the identity pool `pool`, which takes the ID tokens of
    /// the user pool `user_pool_id`: [`PlayerCredentials`].
    pub fn with_identity_pool(
        self,
        pool: cognito_login_client::IdentityPoolConfig,
        user_pool_id: impl Into<String>,
    ) -> Self {
        Self {
            identity_pool: Some(IdentityPoolSettings {
                pool,
                user_pool_id: user_pool_id.into(),
                guests: false,
            }),
            ..self
        }
    }

    /// The same plugin with guest play, where the identity pool of
    /// [`with_identity_pool`](Self::with_identity_pool) allows guests (the
    /// template's `GuestAccess`): the menu offers "Play as guest"
    /// ([`AuthCommands::play_as_guest`], [`AuthState::Guest`]). Without an
    /// identity pool it changes nothing.
    pub fn with_guest_play(mut self) -> Self {
        if let Some(settings) = &mut self.identity_pool {
            settings.guests = true;
        }
        self
    }

    /// The same plugin with sign-in in the player's browser through the
    /// pool's managed login at `login`'s domain: one menu button per
    /// provider it lists ("Continue with Google"), or one "Continue in
    /// browser" to the managed login's own page when it lists none.
    pub fn with_browser_sign_in(self, login: ManagedLogin) -> Self {
        Self {
            browser: Some(login),
            ..self
        }
    }

    /// The same plugin with the game's API at `config`'s base URL, for
    /// [`GameApi`].
    pub fn with_game_api(self, config: GameApiConfig) -> Self {
        Self {
            game_api: Some(config),
            ..self
        }
    }

    /// The same plugin with the login menu `menu` (the default one is
    /// [`MenuSettings::default`]).
    #[cfg(feature = "menu")]
    pub fn with_menu(self, menu: MenuSettings) -> Self {
        Self {
            menu: Some(menu),
            ..self
        }
    }

    /// The same plugin keeping sessions between launches as `session` says
    /// (the default is [`SessionSettings::default`]).
    pub fn with_session(self, session: SessionSettings) -> Self {
        Self {
            session: Some(session),
            ..self
        }
    }

    /// The same plugin opening the connection to the backend this often
    /// while signed out ([`keep_warm`](Self::keep_warm)); `None` never.
    pub fn with_keep_warm(self, every: Option<Duration>) -> Self {
        Self {
            keep_warm: every,
            ..self
        }
    }

    /// The same plugin without session keeping: nothing is written to the
    /// keychain and every launch starts signed out. A session is still
    /// refreshed while the game runs.
    pub fn without_session(self) -> Self {
        Self {
            session: None,
            ..self
        }
    }

    /// The same plugin without the login menu (and without
    /// [`keep_warm`](Self::keep_warm)).
    pub fn without_menu(self) -> Self {
        Self {
            #[cfg(feature = "menu")]
            menu: None,
            keep_warm: None,
            ..self
        }
    }
}

impl Plugin for CognitoLoginPlugin {
    fn build(&self, app: &mut App) {
        match &self.session {
            Some(_) => app.insert_state(AuthState::Restoring),
            None => app.init_state::<AuthState>(),
        };
        app.add_message::<AuthReplied>()
            .add_message::<SignedIn>()
            .add_message::<TokensRefreshed>()
            .add_message::<WentOffline>()
            .add_message::<BackOnline>()
            .add_message::<SignedOut>()
            .add_message::<AuthFailed>()
            .add_message::<SignedUp>()
            .add_message::<CodeSent>()
            .add_message::<AccountConfirmed>()
            .add_message::<PasswordChanged>()
            .add_message::<AccountRead>()
            .add_message::<AuthenticatorSecretIssued>()
            .add_message::<MfaChanged>()
            .add_message::<DevicesListed>()
            .add_message::<DeviceForgotten>()
            .add_message::<DeviceRemembered>()
            .add_message::<PasswordConfirmed>()
            .add_message::<DevicesNotKept>()
            .add_message::<EmailVerified>()
            .add_message::<ChallengeRequired>()
            .add_message::<SessionNotForgotten>()
            .add_message::<CredentialsFailed>()
            .add_message::<GuestPlayFailed>()
            .add_message::<GuestLinked>()
            .add_message::<GuestNotLinked>()
            .init_resource::<receive::ReceivedReplies>()
            .add_systems(
                PreUpdate,
                receive::receive
                    .in_set(AuthSystems::Receive)
                    .run_if(resource_exists::<client::AuthClient>),
            )
            .add_systems(Last, shut_down_on_exit);

        if !self.backend.verifies_tokens() {
            warn!("tokens from the login backend are handed out without verification");
        }
        // A bad configuration still gives a worker, whose every request fails
        // with the reason: the menu shows it.
        match self.backend.spawn_worker() {
            Ok(worker) => {
                let mut session =
                    lifecycle::session(worker, self.session.as_ref(), &self.backend.namespace());
                if let Some(login) = self.browser.clone() {
                    let browser = self.backend.browser_sign_in(login).map(Arc::new);
                    if let Err(error) = &browser {
                        error!("browser sign-in cannot run: {error}");
                    }
                    session = session.with_browser(browser);
                }
                if let Some(settings) = &self.identity_pool {
                    match cognito_login_client::IdentityPoolClient::new(settings.pool.clone()) {
                        Ok(client) => {
                            session = session.with_identity_pool(client, &settings.user_pool_id);
                        }
                        Err(error) => error!("the identity pool cannot be reached: {error}"),
                    }
                }
                app.insert_resource(client::AuthClient { session });
            }
            Err(error) => error!("the login worker thread could not start: {error}"),
        }

        if self.session.is_some() {
            app.add_systems(Startup, receive::start_restore);
        }
        if let Some(config) = &self.game_api {
            game_api::build(app, config);
            app.add_systems(
                PreUpdate,
                game_api::pump
                    .in_set(AuthSystems::Receive)
                    .after(receive::receive)
                    .run_if(resource_exists::<client::AuthClient>)
                    .run_if(resource_exists::<game_api::GameApiState>),
            );
        }
        #[cfg(feature = "aws-calls")]
        app.add_message::<AwsReplied>()
            .init_resource::<aws_calls::AwsCallState>()
            .add_systems(
                PreUpdate,
                aws_calls::pump
                    .in_set(AuthSystems::Receive)
                    .after(receive::receive),
            );
        if let Some(every) = self.keep_warm {
            app.add_systems(
                Update,
                commands::keep_warm(every).run_if(in_state(AuthState::SignedOut)),
            );
        }

        #[cfg(feature = "menu")]
        if let Some(settings) = &self.menu {
            menu_window::build(
                app,
                settings.clone(),
                self.session.as_ref().map(|s| s.remember_by_default),
                self.browser.as_ref().map(|login| login.providers.clone()),
                self.identity_pool.as_ref().is_some_and(|pool| pool.guests),
            );
            gamepad::build(app);
        }
    }
}

/// Drops the worker and the keychain thread when the app exits: a sign-out
/// in flight gets a short grace, the rest is cancelled, and neither a
/// network call nor a keychain that never returns holds up the exit.
///
/// A browser session that is not kept for the next launch ends with the
/// game: the managed login's session in the browser is ended too (within
/// the same grace), so the next person at the computer is asked again.
fn shut_down_on_exit(
    mut exits: MessageReader<AppExit>,
    client: Option<Res<client::AuthClient>>,
    mut commands: Commands,
) {
    if exits.read().next().is_some() {
        if let Some(client) = &client {
            client.session.end_unkept_browser_session();
        }
        commands.remove_resource::<client::AuthClient>();
    }
}
