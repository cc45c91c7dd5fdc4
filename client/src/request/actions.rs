//! The one table of the login backend's actions. Each line names an action
//! (its [`AuthRequest`] variant and its [`AuthAction`]), its field of
//! [`Routes`](crate::Routes), its route in the routes contract, the
//! user-pool operation that performs it, a few words for messages, and
//! whether it needs fresh proof of the player
//! ([`AuthAction::needs_fresh_proof`]). Everything else about the actions
//! that is a plain list is made from it.

use super::AuthRequest;

/// Calls `$then!` with the table, so a module makes its own list from it
/// (the routes of [`Routes`](crate::Routes)).
macro_rules! with_actions {
    ($then:ident) => {
        $then! {
            SignUp, sign_up, "/signup", "SignUp", "sign up", false;
            ConfirmSignUp, confirm_sign_up, "/confirm", "ConfirmSignUp", "confirm the code", false;
            ResendCode, resend_code, "/resend", "ResendConfirmationCode", "resend the code", false;
            SignIn, sign_in, "/signin", "InitiateAuth", "sign in", false;
            RespondToChallenge, respond_to_challenge, "/challenge", "RespondToAuthChallenge", "answer the challenge", false;
            Refresh, refresh, "/refresh", "InitiateAuth", "refresh the session", false;
            ForgotPassword, forgot_password, "/forgot", "ForgotPassword", "start a password reset", false;
            ResetPassword, reset_password, "/reset", "ConfirmForgotPassword", "reset the password", false;
            SignOut, sign_out, "/signout", "RevokeToken", "sign out", false;
            SignOutEverywhere, sign_out_everywhere, "/signout/everywhere", "GlobalSignOut", "sign out everywhere", false;
            ChangePassword, change_password, "/account/password", "ChangePassword", "change the password", false;
            GetAccount, get_account, "/account", "GetUser", "read the account", false;
            DeleteAccount, delete_account, "/account/delete", "DeleteUser", "delete the account", true;
            ChangeEmail, change_email, "/account/email", "UpdateUserAttributes", "change the email address", true;
            ResendEmailCode, resend_email_code, "/account/email/resend", "GetUserAttributeVerificationCode", "resend the code", false;
            VerifyEmail, verify_email, "/account/email/verify", "VerifyUserAttribute", "verify the email address", false;
            AddAuthenticator, add_authenticator, "/account/mfa/authenticator", "AssociateSoftwareToken", "add an authenticator app", true;
            VerifyAuthenticator, verify_authenticator, "/account/mfa/authenticator/verify", "VerifySoftwareToken", "check the authenticator code", false;
            SetMfa, set_mfa, "/account/mfa", "SetUserMFAPreference", "change the sign-in codes setting", true;
            RememberDevice, remember_device, "/account/devices/remember", "ConfirmDevice", "remember this device", true;
            ListDevices, list_devices, "/account/devices", "ListDevices", "list the remembered devices", false;
            ForgetDevice, forget_device, "/account/devices/forget", "ForgetDevice", "forget the device", false;
        }
    };
}
pub(crate) use with_actions;

macro_rules! actions {
    ($($action:ident, $field:ident, $route:literal, $operation:literal, $words:literal, $proof:literal;)*) => {
        /// The actions of the login backend, without their data.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum AuthAction {
            $(
                #[doc = concat!("[`AuthRequest::", stringify!($action), "`].")]
                $action,
            )*
        }

        impl AuthAction {
            /// Every action, in the order of the API Gateway contract.
            pub const ALL: [AuthAction; [$(stringify!($action)),*].len()] =
                [$(Self::$action),*];

            /// The action's name, as its [`AuthRequest`] variant is named:
            /// `"ForgetDevice"`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Self::$action => stringify!($action),)*
                }
            }

            /// The user-pool operation that performs the action
            /// (`"GetUser"` for [`AuthAction::GetAccount`]): the direct
            /// transport calls it, and so does the routes' backend. A
            /// refresh with a rotating refresh token calls
            /// `GetTokensFromRefreshToken` instead, and remembering a
            /// device `UpdateDeviceStatus` too, where the pool asks.
            pub fn operation(self) -> &'static str {
                match self {
                    $(Self::$action => $operation,)*
                }
            }

            /// The default API Gateway route of this action.
            pub fn default_route(self) -> &'static str {
                match self {
                    $(Self::$action => $route,)*
                }
            }

            /// Whether the action can hand the account to whoever holds the
            /// session, so a game asks for the password again first unless
            /// the player signed in moments ago: a new email address (then a
            /// password reset reaches it), sign-in codes added or turned on
            /// or off, the account deleted, the computer remembered. A
            /// password change needs no more: it carries the current
            /// password itself.
            pub fn needs_fresh_proof(self) -> bool {
                match self {
                    $(Self::$action => $proof,)*
                }
            }

            /// A few words for messages: "sign in", "confirm the code".
            pub fn describe(self) -> &'static str {
                match self {
                    $(Self::$action => $words,)*
                }
            }
        }

        impl AuthRequest {
            /// Which action this request is.
            pub fn action(&self) -> AuthAction {
                match self {
                    $(Self::$action { .. } => AuthAction::$action,)*
                }
            }
        }
    };
}

with_actions!(actions);
