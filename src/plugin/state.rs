//! The sign-in state games gate their systems on.

use bevy::prelude::*;

/// Whether a player is signed in.
///
/// Gate game systems with `in_state(AuthState::SignedIn)` and react with
/// `OnEnter(AuthState::SignedIn)`; [`AuthSession`](super::AuthSession) exists
/// exactly while the state is `SignedIn`.
#[derive(States, Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AuthState {
    /// Nobody is signed in; the menu (when enabled) is shown.
    #[default]
    SignedOut,
    /// At launch, with sessions kept: the keychain is read (and the tokens
    /// refreshed once when they expired). Ends in `SignedIn` or `SignedOut`.
    Restoring,
    /// A player is signed in and [`AuthSession`](super::AuthSession) holds the tokens.
    SignedIn,
    /// A guest plays without an account
    /// ([`AuthCommands::play_as_guest`](super::AuthCommands::play_as_guest)):
    /// [`PlayerCredentials`](super::PlayerCredentials) holds the guest's AWS
    /// credentials, and there is no `AuthSession`. A sign-in or sign-up
    /// from here links the guest's identity to the account.
    Guest,
}

/// The system sets of the plugin.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthSystems {
    /// In `PreUpdate`: drains the keychain's and the worker's replies into
    /// [`AuthState`], the session resource and the messages, and refreshes
    /// the session ahead of its expiry. Never blocks.
    Receive,
    /// In `EguiPrimaryContextPass`: draws the login menu while signed out.
    Menu,
}
