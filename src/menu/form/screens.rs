//! The menu's screens, and what it asks the plugin to do.

use super::*;

/// A screen of the login menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Screen {
    /// Username and password.
    #[default]
    SignIn,
    /// A new account.
    SignUp,
    /// The code that confirms a new account.
    ConfirmCode,
    /// Ask for a password reset code.
    ForgotPassword,
    /// The reset code and a new password.
    ResetPassword,
    /// The account must choose a new password before signing in
    /// (`NEW_PASSWORD_REQUIRED`).
    NewPassword,
    /// A one-time code finishes the sign-in: from an authenticator app, a
    /// text message or an email (`SOFTWARE_TOKEN_MFA`, `SMS_MFA`, `EMAIL_OTP`).
    OneTimeCode,
    /// Two or more kinds of sign-in code are on for the account
    /// (`SELECT_MFA_TYPE`): the player picks one, then enters its code.
    ChooseMfa,
    /// The pool requires sign-in codes and the account has none yet
    /// (`MFA_SETUP`): the player adds an authenticator app, and its first
    /// code finishes the sign-in.
    AuthenticatorSetup,
    /// Signed in: the account, and what the player can do with it.
    Account,
    /// Signed in: the current password and a new one.
    ChangePassword,
    /// Signed in: deleting the account, confirmed by typing its username.
    DeleteAccount,
    /// Signed in: adding an authenticator app (its QR code and secret),
    /// turned on with its first code.
    Authenticator,
    /// Signed in: a new email address, then the code sent to it.
    ChangeEmail,
    /// Signed in, right after a sign-in that asked for a code: remember
    /// this computer, so sign-ins from it skip the code?
    RememberDevice,
    /// Signed in: the account's remembered devices, each to forget.
    Devices,
    /// Signed in: the password typed again before an account change that
    /// needs fresh proof ([`LoginForm::ask_for_proof`]).
    ConfirmPassword,
    /// A sign-in in the player's browser is under way: the wait, and a
    /// button that cancels it.
    Browser,
}

impl Screen {
    /// Every screen.
    pub const ALL: [Screen; 18] = [
        Self::SignIn,
        Self::SignUp,
        Self::ConfirmCode,
        Self::ForgotPassword,
        Self::ResetPassword,
        Self::NewPassword,
        Self::OneTimeCode,
        Self::ChooseMfa,
        Self::AuthenticatorSetup,
        Self::Account,
        Self::ChangePassword,
        Self::DeleteAccount,
        Self::Authenticator,
        Self::ChangeEmail,
        Self::RememberDevice,
        Self::Devices,
        Self::ConfirmPassword,
        Self::Browser,
    ];

    /// Whether this screen is for a signed-in player ([`draw_account`](crate::menu::draw_account)).
    pub fn is_account(self) -> bool {
        matches!(
            self,
            Self::Account
                | Self::ChangePassword
                | Self::DeleteAccount
                | Self::Authenticator
                | Self::ChangeEmail
                | Self::RememberDevice
                | Self::Devices
                | Self::ConfirmPassword
        )
    }
}

/// What the menu asks the game (or the plugin) to do: the one outlet of
/// [`draw`](crate::menu::draw), [`draw_account`](crate::menu::draw_account) and
/// [`LoginForm::finish`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MenuAction {
    /// Send this request
    /// ([`AuthCommands::send`](crate::AuthCommands::send)); the form is
    /// busy until [`LoginForm::finish`] reports its answer.
    Send(AuthRequest),
    /// Start this browser sign-in
    /// ([`AuthCommands::sign_in_with_browser`](crate::AuthCommands::sign_in_with_browser));
    /// the form shows [`Screen::Browser`] until [`LoginForm::finish`]
    /// reports its end.
    SignInWithBrowser(BrowserRequest),
    /// Cancel the browser sign-in under way
    /// ([`AuthCommands::cancel_browser_sign_in`](crate::AuthCommands::cancel_browser_sign_in)).
    CancelBrowserSignIn,
    /// Carry out what the account screens asked for, with the session's
    /// tokens; the form is busy until its answer (except for
    /// [`AccountRequest::Close`] and [`AccountRequest::SignOut`]).
    Account(AccountRequest),
    /// Open the account screens on this screen, once the session is in: a
    /// sign-in that asked for a code offers to remember the computer
    /// ([`Screen::RememberDevice`]).
    OpenAccount(Screen),
    /// Play as a guest
    /// ([`AuthCommands::play_as_guest`](crate::AuthCommands::play_as_guest)),
    /// or, for a guest who opened the sign-in screens, go back to the game.
    PlayAsGuest,
}

/// What a signed-in player asked for on the account screens, for the game
/// (or the plugin) to carry out with the session's tokens.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AccountRequest {
    /// Change the password.
    ChangePassword {
        /// The password now.
        current: Password,
        /// The new one, checked against the policy.
        new_password: Password,
    },
    /// Sign out of this device.
    SignOut,
    /// Sign out on every device.
    SignOutEverywhere,
    /// Delete the account; the player typed its username to confirm.
    DeleteAccount,
    /// Start adding an authenticator app: the answer's secret opens
    /// [`Screen::Authenticator`].
    AddAuthenticator,
    /// Check the authenticator app's first code; once it is right, the form
    /// asks for [`AccountRequest::SetAuthenticator`] itself.
    VerifyAuthenticator {
        /// The app's code.
        code: Code,
    },
    /// Change the email address: a code goes to the new one.
    ChangeEmail {
        /// The new address.
        email: String,
    },
    /// Send that code again.
    ResendEmailCode,
    /// Verify the new address with its code.
    VerifyEmail {
        /// The code.
        code: Code,
    },
    /// Turn sign-in codes from the authenticator app on or off.
    SetAuthenticator {
        /// On or off.
        enabled: bool,
    },
    /// Turn sign-in codes by email on or off.
    SetEmailCodes {
        /// On or off.
        enabled: bool,
    },
    /// Remember this computer, so sign-ins from it skip the code.
    RememberDevice,
    /// Read the account's remembered devices (for [`Screen::Devices`]).
    ListDevices,
    /// Forget a remembered device.
    ForgetDevice {
        /// Its key.
        key: String,
    },
    /// Check the password, as proof before the account change the form
    /// keeps ([`LoginForm::ask_for_proof`]); report the answer with
    /// [`LoginForm::finish_proof`].
    ConfirmPassword {
        /// The password typed.
        password: Password,
    },
    /// Close the account screens.
    Close,
}

impl std::fmt::Debug for AccountRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::ChangePassword { .. } => "ChangePassword",
            Self::SignOut => "SignOut",
            Self::SignOutEverywhere => "SignOutEverywhere",
            Self::DeleteAccount => "DeleteAccount",
            Self::ChangeEmail { .. } => "ChangeEmail",
            Self::ResendEmailCode => "ResendEmailCode",
            Self::VerifyEmail { .. } => "VerifyEmail",
            Self::AddAuthenticator => "AddAuthenticator",
            Self::VerifyAuthenticator { .. } => "VerifyAuthenticator",
            Self::SetAuthenticator { enabled: true } => "SetAuthenticator(on)",
            Self::SetAuthenticator { enabled: false } => "SetAuthenticator(off)",
            Self::SetEmailCodes { enabled: true } => "SetEmailCodes(on)",
            Self::SetEmailCodes { enabled: false } => "SetEmailCodes(off)",
            Self::RememberDevice => "RememberDevice",
            Self::ListDevices => "ListDevices",
            Self::ForgetDevice { .. } => "ForgetDevice",
            Self::ConfirmPassword { .. } => "ConfirmPassword",
            Self::Close => "Close",
        })
    }
}
