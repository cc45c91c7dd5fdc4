//! The messages the plugin writes, each carrying typed values.

use bevy::prelude::*;
use cognito_login_client::{
    Account, AuthAction, AuthError, AuthOutcome, AuthenticatorSecret, Challenge, CodeDelivery,
    Device, RequestId, StoreError,
};

/// Every answer to a request of [`AuthCommands`](super::AuthCommands), as
/// one message: the request, what was asked, and how it ended. The typed
/// messages below say the same for each kind of answer; this one serves a
/// game that reads every answer in one place, and an action without a
/// message of its own.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct AuthReplied {
    /// The request this answers: what the [`AuthCommands`](super::AuthCommands)
    /// method returned.
    pub request: RequestId,
    /// What was asked.
    pub action: AuthAction,
    /// The account it was about: the name a sign-in used, or the signed-in
    /// player's; empty for a browser sign-in.
    pub username: String,
    /// How it ended (the session's tokens are in
    /// [`AuthSession`](super::AuthSession) too, redacted in `Debug` in both).
    pub result: Result<AuthOutcome, AuthError>,
}

/// A player signed in; [`AuthSession`](super::AuthSession) is now present.
/// A refused sign-in is an [`AuthFailed`].
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    /// The sign-in this answers: what the [`AuthCommands`](super::AuthCommands)
    /// method returned; `None` for a session restored at launch.
    pub request: Option<RequestId>,
    /// Who.
    pub username: String,
}

/// The player is signed out; [`AuthSession`](super::AuthSession) is gone.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct SignedOut {
    /// Why.
    pub reason: SignOutReason,
}

/// Why a session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignOutReason {
    /// The game asked for it ([`AuthCommands::sign_out`](super::AuthCommands::sign_out)).
    Requested,
    /// The account was signed out on every device
    /// ([`AuthCommands::sign_out_everywhere`](super::AuthCommands::sign_out_everywhere)).
    Everywhere,
    /// The account was deleted
    /// ([`AuthCommands::delete_account`](super::AuthCommands::delete_account)).
    AccountDeleted,
    /// The server refused to refresh the session (revoked, expired).
    SessionEnded(AuthError),
}

/// A request failed.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct AuthFailed {
    /// The request this answers: what the [`AuthCommands`](super::AuthCommands)
    /// method returned.
    pub request: RequestId,
    /// What was attempted.
    pub action: AuthAction,
    /// Why it failed; `error.player_message()` is a sentence for the player.
    pub error: AuthError,
}

/// An account was created.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct SignedUp {
    /// The request this answers: what the [`AuthCommands`](super::AuthCommands)
    /// method returned.
    pub request: RequestId,
    /// The new account.
    pub username: String,
    /// `true` when it needs no confirmation code.
    pub confirmed: bool,
}

/// A code was sent (sign-up, resend, forgot password).
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct CodeSent {
    /// The request this answers: what the [`AuthCommands`](super::AuthCommands)
    /// method returned.
    pub request: RequestId,
    /// The account it was sent for.
    pub username: String,
    /// Where it went.
    pub destination: CodeDelivery,
}

/// An account was confirmed with its code.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct AccountConfirmed {
    /// The request this answers: what the [`AuthCommands`](super::AuthCommands)
    /// method returned.
    pub request: RequestId,
    /// The account.
    pub username: String,
}

/// A password was changed: reset with its code, or changed while signed in
/// ([`AuthCommands::change_password`](super::AuthCommands::change_password)).
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct PasswordChanged {
    /// The request this answers: what the [`AuthCommands`](super::AuthCommands)
    /// method returned.
    pub request: RequestId,
    /// The account.
    pub username: String,
}

/// An authenticator app's shared secret, after
/// [`AuthCommands::add_authenticator`](super::AuthCommands::add_authenticator):
/// show it to the player (as a QR code of
/// [`AuthenticatorSecret::uri`](cognito_login_client::AuthenticatorSecret::uri)
/// and as text), then ask for the app's first code.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatorSecretIssued {
    /// The request this answers: what the [`AuthCommands`](super::AuthCommands)
    /// method returned.
    pub request: RequestId,
    /// The secret; `Debug` redacts it.
    pub secret: AuthenticatorSecret,
}

/// The account's MFA changed: an authenticator app was verified
/// ([`AuthCommands::verify_authenticator`](super::AuthCommands::verify_authenticator))
/// or a method turned on or off
/// ([`AuthCommands::set_mfa`](super::AuthCommands::set_mfa)).
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct MfaChanged {
    /// The request this answers: what the [`AuthCommands`](super::AuthCommands)
    /// method returned.
    pub request: RequestId,
    /// The account.
    pub username: String,
    /// What was done.
    pub action: AuthAction,
}

/// The account's remembered devices
/// ([`AuthCommands::list_devices`](super::AuthCommands::list_devices)).
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct DevicesListed {
    /// The request this answers: what the [`AuthCommands`](super::AuthCommands)
    /// method returned.
    pub request: RequestId,
    /// The account.
    pub username: String,
    /// Its devices.
    pub devices: Vec<Device>,
}

/// The signed-in player's password checked out
/// ([`AuthCommands::confirm_password`](super::AuthCommands::confirm_password)):
/// the account changes that need fresh proof can start, for
/// [`AuthSession::PROOF_LASTS`](super::AuthSession::PROOF_LASTS).
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct PasswordConfirmed {
    /// The request this answers: what the [`AuthCommands`](super::AuthCommands)
    /// method returned.
    pub request: RequestId,
    /// The account.
    pub username: String,
}

/// This computer is remembered for the signed-in account
/// ([`AuthCommands::remember_device`](super::AuthCommands::remember_device)),
/// and its device kept in the keychain: sign-ins from here skip the MFA
/// code.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct DeviceRemembered {
    /// The request this answers: what the [`AuthCommands`](super::AuthCommands)
    /// method returned.
    pub request: RequestId,
    /// The account.
    pub username: String,
}

/// The keychain failed to keep (or forget) this computer's remembered
/// devices: the next sign-in may ask for the MFA code, or a deleted
/// account's device may still be kept.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct DevicesNotKept {
    /// Why.
    pub error: StoreError,
}

/// A device was forgotten
/// ([`AuthCommands::forget_device`](super::AuthCommands::forget_device)):
/// sign-ins from it ask for the MFA code again.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct DeviceForgotten {
    /// The request this answers: what the [`AuthCommands`](super::AuthCommands)
    /// method returned.
    pub request: RequestId,
    /// The account.
    pub username: String,
}

/// The signed-in player's email address is verified
/// ([`AuthCommands::verify_email`](super::AuthCommands::verify_email)); a
/// refresh brings it into [`AuthSession`](super::AuthSession).
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct EmailVerified {
    /// The request this answers: what the [`AuthCommands`](super::AuthCommands)
    /// method returned.
    pub request: RequestId,
    /// The account.
    pub username: String,
}

/// The signed-in account was read
/// ([`AuthCommands::read_account`](super::AuthCommands::read_account));
/// [`AuthSession::account`](super::AuthSession::account) holds it too.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct AccountRead {
    /// The request this answers: what the [`AuthCommands`](super::AuthCommands)
    /// method returned.
    pub request: RequestId,
    /// The account.
    pub account: Account,
}

/// A sign-in needs a challenge answered
/// ([`AuthCommands::respond_to_challenge`](super::AuthCommands::respond_to_challenge)).
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct ChallengeRequired {
    /// The request this answers: what the [`AuthCommands`](super::AuthCommands)
    /// method returned.
    pub request: RequestId,
    /// The account signing in.
    pub username: String,
    /// The challenge.
    pub challenge: Challenge,
}
