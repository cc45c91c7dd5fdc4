//! The Bevy plugin: configuration, state, session, messages, commands and
//! the systems that connect them to the background worker.

mod commands;
mod keychain;
#[cfg(feature = "menu")]
mod menu_window;
mod messages;
mod receive;
mod session;
mod state;

use bevy::prelude::*;
use cognito_login_client::BackendConfig;

pub use commands::{AuthCommandError, AuthCommands};
pub use keychain::{SessionSettings, TokensRefreshed};
#[cfg(feature = "menu")]
pub use menu_window::LoginMenu;
pub use messages::{
    AccountConfirmed, AuthFailed, ChallengeRequired, CodeSent, PasswordChanged, SignOutReason,
    SignedIn, SignedOut, SignedUp,
};
pub use session::AuthSession;
pub use state::{AuthState, AuthSystems};

#[cfg(feature = "menu")]
use crate::menu::MenuSettings;

/// Adds sign-up, sign-in and sessions to an app.
///
/// Needs Bevy's `StatesPlugin` (part of `DefaultPlugins`). With the `menu`
/// feature and [`menu`](Self::menu) set, it also adds `EguiPlugin` when the
/// app has none and draws the login menu while [`AuthState::SignedOut`].
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
}

impl CognitoLoginPlugin {
    /// The plugin for `backend`, with the default menu and sessions kept in
    /// the keychain.
    pub fn new(backend: impl Into<BackendConfig>) -> Self {
        Self {
            backend: backend.into(),
            #[cfg(feature = "menu")]
            menu: Some(MenuSettings::default()),
            session: Some(SessionSettings::default()),
        }
    }

    /// The same plugin without session keeping: nothing is written to the
    /// keychain and every launch starts signed out.
    pub fn without_session(self) -> Self {
        Self {
            session: None,
            ..self
        }
    }

    /// The same plugin without the login menu.
    pub fn without_menu(self) -> Self {
        Self {
            #[cfg(feature = "menu")]
            menu: None,
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
        app.add_message::<SignedIn>()
            .add_message::<TokensRefreshed>()
            .add_message::<SignedOut>()
            .add_message::<AuthFailed>()
            .add_message::<SignedUp>()
            .add_message::<CodeSent>()
            .add_message::<AccountConfirmed>()
            .add_message::<PasswordChanged>()
            .add_message::<ChallengeRequired>()
            .init_resource::<commands::PendingRequest>()
            .init_resource::<receive::ReceivedReplies>()
            .add_systems(
                PreUpdate,
                receive::receive_replies
                    .in_set(AuthSystems::Receive)
                    .run_if(resource_exists::<commands::AuthClient>),
            )
            .add_systems(Last, shut_down_on_exit);

        if !self.backend.verifies_tokens() {
            warn!("tokens from the login backend are handed out without verification");
        }
        // A bad configuration still gives a worker, whose every request fails
        // with the reason: the menu shows it.
        match self.backend.spawn_worker() {
            Ok(worker) => {
                app.insert_resource(commands::AuthClient { worker });
            }
            Err(error) => error!("the login worker thread could not start: {error}"),
        }

        if let Some(settings) = &self.session {
            app.insert_resource(keychain::Keychain::new(settings, &self.backend.namespace()))
                .insert_resource(keychain::Refresh::new(settings.refresh_margin))
                .add_systems(Startup, keychain::start_restore)
                .add_systems(
                    PreUpdate,
                    keychain::receive_keychain
                        .before(receive::receive_replies)
                        .in_set(AuthSystems::Receive)
                        .run_if(resource_exists::<commands::AuthClient>),
                )
                .add_systems(
                    Update,
                    keychain::refresh_ahead.in_set(AuthSystems::Refresh).run_if(
                        resource_exists::<AuthSession>
                            .and_then(resource_exists::<commands::AuthClient>),
                    ),
                );
        }

        #[cfg(feature = "menu")]
        if let Some(settings) = &self.menu {
            menu_window::build(
                app,
                settings.clone(),
                self.session.as_ref().map(|s| s.remember_by_default),
            );
        }
    }
}

/// Drops the worker when the app exits: requests in flight are cancelled and
/// its thread is joined.
fn shut_down_on_exit(mut exits: MessageReader<AppExit>, mut commands: Commands) {
    if exits.read().next().is_some() {
        commands.remove_resource::<commands::AuthClient>();
    }
}
