//! A complete account system for Bevy games: a login menu over Amazon
//! Cognito, its requests on a background runtime, the signed-in session as
//! a resource.
//!
//! # Quick start
//!
//! ```no_run
//! use bevy::prelude::*;
//! use bevy_cognito_login::prelude::*;
//!
//! fn main() {
//!     App::new()
//!         .add_plugins(DefaultPlugins)
//!         .add_plugins(CognitoLoginPlugin::new(ApiGatewayConfig::new(
//!             "https://abc123.execute-api.eu-west-1.amazonaws.com",
//!             // The game's app client, and the routes' server client.
//!             TokenCheck::for_pool("eu-west-1_AbC123", "1example23456789")
//!                 .with_client("2example34567890"),
//!         )))
//!         .add_systems(Startup, |mut commands: Commands| {
//!             commands.spawn(Camera2d);
//!         })
//!         .add_systems(OnEnter(AuthState::SignedIn), greet)
//!         .run();
//! }
//!
//! fn greet(session: Res<AuthSession>) {
//!     info!("signed in as {}", session.username);
//! }
//! ```
//!
//! # Examples
//!
//! - `minimal`: the quick start above, against the local backend.
//! - `game`: the whole path: local backend, menu, dev mailbox, a tiny game,
//!   the account screens, sign-out.
//!
//! # Layout
//!
//! - [`client`]: the engine-agnostic core (requests, errors, transport,
//!   worker), usable without Bevy.
//! - [`menu`]: the login menu as plain egui (feature `menu`).
//! - `test_utils`: helpers for a game's tests (feature `test-utils`).
//! - The plugin: [`CognitoLoginPlugin`], [`AuthState`], [`AuthSession`],
//!   [`AuthCommands`], the messages and [`AuthSystems`].
//!
//! # Features
#![doc = document_features::document_features!()]
// docs.rs marks each item with the features it needs.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

pub use cognito_login_client as client;

#[cfg(feature = "menu")]
pub mod menu;
mod plugin;
#[cfg(feature = "test-utils")]
pub mod test_utils;

pub use plugin::*;

/// The README's code blocks, compiled as doc-tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// The types most games use.
pub mod prelude {
    #[cfg(feature = "menu")]
    pub use crate::LoginMenu;
    pub use crate::client::{
        ApiCallId, ApiGatewayConfig, AuthAction, AuthError, BackendConfig, BrowserRequest,
        GameApiConfig, IdentityPoolConfig, ManagedLogin, SignInFlow, TokenCheck, Translations,
        UserPoolConfig,
    };
    #[cfg(feature = "menu")]
    pub use crate::menu::{MenuSettings, MenuTheme, SignInName};
    pub use crate::{
        ApiReplied, AuthCommands, AuthFailed, AuthReplied, AuthSession, AuthState, AuthSystems,
        CognitoLoginPlugin, GameApi, PlayerCredentials, SessionSettings, SignedIn, SignedOut,
    };
    #[cfg(feature = "aws-calls")]
    pub use crate::{
        AwsCalls, AwsReplied,
        client::{AwsCallId, AwsJsonService},
    };
}
