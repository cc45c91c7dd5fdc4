//! Secrets as newtypes: their `Debug` prints `[redacted]`, the value comes
//! out only through [`expose`](Password::expose), and the memory that held
//! it is overwritten when the value is dropped.

use serde::{Deserialize, Serialize};

macro_rules! secret {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        ///
        /// `Debug` prints `[redacted]`; read the value with `expose`. Dropped,
        /// its memory is overwritten (zeroize); a copy taken with
        /// `expose().to_owned()` is the caller's to clear.
        #[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a secret value.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The secret value. Do not log it.
            pub fn expose(&self) -> &str {
                &self.0
            }

            /// `true` when the value is empty.
            pub fn is_empty(&self) -> bool {
                self.0.is_empty()
            }
        }

        impl Drop for $name {
            fn drop(&mut self) {
                zeroize::Zeroize::zeroize(&mut self.0);
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_owned())
            }
        }
    };
}

secret!(
    /// A password the player typed.
    Password
);
secret!(
    /// A one-time code: a sign-up confirmation, a password reset or an MFA code.
    Code
);
secret!(
    /// A Cognito access token (a JWT).
    AccessToken
);
secret!(
    /// A Cognito ID token (a JWT carrying the player's claims).
    IdToken
);
secret!(
    /// A Cognito refresh token (opaque: store it, never parse it).
    RefreshToken
);
secret!(
    /// The session string that ties a challenge answer to its sign-in.
    ChallengeSession
);
secret!(
    /// An app client's secret, from which each call's `SECRET_HASH` is made.
    ClientSecret
);
secret!(
    /// A remembered device's own password (`DEVICE_SRP_AUTH`): it never
    /// leaves the computer; the pool keeps only its verifier.
    DevicePassword
);
secret!(
    /// The secret half of an identity pool's temporary AWS credentials
    /// (`SecretKey`).
    AwsSecretKey
);
secret!(
    /// The session token of an identity pool's temporary AWS credentials.
    AwsSessionToken
);
secret!(
    /// An authenticator app's shared secret (base32), as Cognito made it
    /// for the account (`AssociateSoftwareToken`).
    AuthenticatorSecret
);

impl AuthenticatorSecret {
    /// The `otpauth://totp/…` URI an authenticator app reads from a QR code:
    /// `issuer` names the game, `account` the player. It carries the secret:
    /// show it, never log it.
    pub fn uri(&self, issuer: &str, account: &str) -> String {
        use url::form_urlencoded::byte_serialize;
        let issuer: String = byte_serialize(issuer.as_bytes()).collect();
        let account: String = byte_serialize(account.as_bytes()).collect();
        // A label's spaces are %20, not `+`.
        let label = format!("{issuer}:{account}").replace('+', "%20");
        format!(
            "otpauth://totp/{label}?secret={}&issuer={}",
            self.0,
            issuer.replace('+', "%20")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let password = Password::new("hunter2-Secret!");
        let debug = format!("{password:?} {:?}", AccessToken::new("eyJhbGciOi.x.y"));
        assert_eq!(debug, "Password([redacted]) AccessToken([redacted])");
        assert_eq!(password.expose(), "hunter2-Secret!");
    }

    #[test]
    fn an_authenticator_uri_names_the_game_and_the_player() {
        let secret = AuthenticatorSecret::new("JBSWY3DPEHPK3PXP");
        assert_eq!(
            secret.uri("Coin Game", "ada@example.com"),
            "otpauth://totp/Coin%20Game:ada%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Coin%20Game"
        );
        assert_eq!(format!("{secret:?}"), "AuthenticatorSecret([redacted])");
    }

    #[test]
    fn serializes_as_a_plain_string() {
        let json = serde_json::to_string(&Code::new("123456")).unwrap();
        assert_eq!(json, "\"123456\"");
    }
}
