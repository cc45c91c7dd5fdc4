//! The routes' confidential app client: an app client with a secret that
//! only the server holds. The handlers sign players in through it with
//! `AdminInitiateAuth` (`ADMIN_USER_PASSWORD_AUTH`), add each call's
//! `SECRET_HASH`, and pass on who the player is (`ContextData`,
//! `UserContextData`), so Cognito's threat protection and its logs see the
//! player's address rather than the function's.

use std::net::IpAddr;

use aws_sdk_cognitoidentityprovider::types::{ContextDataType, HttpHeader, UserContextDataType};
use cognito_login_client::{AuthAction, ClientSecret, srp};

/// An app client with a secret, held by the server only: never give its
/// secret to a game.
#[derive(Clone)]
pub struct ServerClient {
    pub(super) user_pool_id: String,
    pub(super) client_id: String,
    pub(super) secret: ClientSecret,
}

impl ServerClient {
    /// The app client `client_id` of the pool `user_pool_id`, whose secret
    /// is `secret` (from `DescribeUserPoolClient`, or the environment).
    pub fn new(
        user_pool_id: impl Into<String>,
        client_id: impl Into<String>,
        secret: impl Into<String>,
    ) -> Self {
        Self {
            user_pool_id: user_pool_id.into(),
            client_id: client_id.into(),
            secret: ClientSecret::new(secret),
        }
    }

    /// The app client `client_id` of the pool `user_pool_id`, with the
    /// secret read from the pool (`DescribeUserPoolClient`).
    pub async fn from_pool(
        cognito: &aws_sdk_cognitoidentityprovider::Client,
        user_pool_id: &str,
        client_id: &str,
    ) -> Result<Self, String> {
        let output = cognito
            .describe_user_pool_client()
            .user_pool_id(user_pool_id)
            .client_id(client_id)
            .send()
            .await
            .map_err(|error| {
                format!(
                    "the server client's secret could not be read: {}",
                    crate::answer::error_chain(&error)
                )
            })?;
        let secret = output
            .user_pool_client()
            .and_then(|client| client.client_secret())
            .ok_or_else(|| format!("the app client {client_id} has no secret"))?;
        Ok(Self::new(user_pool_id, client_id, secret))
    }

    /// The app client's id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// `SECRET_HASH` for `username`: Base64(HMAC-SHA256(secret, username +
    /// client id)).
    pub(super) fn secret_hash(&self, username: &str) -> String {
        srp::secret_hash(self.secret.expose(), username, &self.client_id)
    }
}

impl std::fmt::Debug for ServerClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerClient")
            .field("user_pool_id", &self.user_pool_id)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// Who sent a request, as the server saw it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Caller {
    /// The player's address: the TCP peer, or API Gateway's `sourceIp`.
    pub address: Option<IpAddr>,
    /// The host the request was sent to (the API's domain).
    pub server_name: String,
    /// The request's headers that describe the player's software, from
    /// [`Caller::PASSED_HEADERS`] only: never a token or a cookie.
    pub headers: Vec<(String, String)>,
}

impl Caller {
    /// The headers handed to Cognito: what tells one player's software from
    /// another's, and nothing that authenticates.
    pub const PASSED_HEADERS: [&str; 2] = ["user-agent", "accept-language"];

    /// The longest header value passed on.
    const MAX_HEADER: usize = 256;

    /// A caller at `address`, with no headers.
    pub fn at(address: IpAddr) -> Self {
        Self {
            address: Some(address),
            ..Self::default()
        }
    }

    /// The same caller, sending to `server_name` with `headers` of which
    /// only [`Caller::PASSED_HEADERS`] are kept (the first of each name,
    /// cut to 256 bytes).
    pub fn with_request<'a>(
        self,
        server_name: &str,
        headers: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Self {
        let mut kept: Vec<(String, String)> = Vec::new();
        for (name, value) in headers {
            let name = name.to_ascii_lowercase();
            if Self::PASSED_HEADERS.contains(&name.as_str())
                && !kept.iter().any(|(known, _)| *known == name)
            {
                kept.push((name, cut(value, Self::MAX_HEADER).to_owned()));
            }
        }
        Self {
            server_name: cut(server_name, Self::MAX_HEADER).to_owned(),
            headers: kept,
            ..self
        }
    }

    /// `ContextData` of an admin call for `action`; none without an address.
    pub(super) fn context_data(&self, action: AuthAction) -> Option<ContextDataType> {
        let address = self.address?;
        let headers = self.headers.iter().map(|(name, value)| {
            HttpHeader::builder()
                .header_name(name)
                .header_value(value)
                .build()
        });
        ContextDataType::builder()
            .ip_address(address.to_string())
            .server_name(if self.server_name.is_empty() {
                "localhost"
            } else {
                &self.server_name
            })
            .server_path(action.default_route())
            .set_http_headers(Some(headers.collect()))
            .build()
            .ok()
    }

    /// `UserContextData` of a public call made with the server client's
    /// secret (the app client propagates it); none without an address.
    pub(super) fn user_context_data(&self) -> Option<UserContextDataType> {
        let address = self.address?;
        Some(
            UserContextDataType::builder()
                .ip_address(address.to_string())
                .build(),
        )
    }
}

/// `text` cut to at most `max` bytes, at a character boundary.
fn cut(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_software_headers_reach_cognito() {
        let caller = Caller::at("203.0.113.7".parse().unwrap()).with_request(
            "api.example.com",
            [
                ("User-Agent", "game/1.0"),
                ("authorization", "Bearer secret"),
                ("cookie", "session=secret"),
                ("Accept-Language", "ja"),
                ("user-agent", "a second one"),
            ],
        );
        assert_eq!(
            caller.headers,
            [
                ("user-agent".to_owned(), "game/1.0".to_owned()),
                ("accept-language".to_owned(), "ja".to_owned()),
            ]
        );
        let context = caller.context_data(AuthAction::SignIn).unwrap();
        assert_eq!(context.ip_address(), "203.0.113.7");
        assert_eq!(context.server_name(), "api.example.com");
        assert_eq!(context.server_path(), "/signin");
        assert_eq!(context.http_headers().len(), 2);
    }

    #[test]
    fn no_address_no_context() {
        assert!(Caller::default().context_data(AuthAction::SignIn).is_none());
        assert!(Caller::default().user_context_data().is_none());
    }

    #[test]
    fn long_values_are_cut_at_a_character() {
        let long = "é".repeat(200);
        let caller = Caller::default().with_request("h", [("user-agent", long.as_str())]);
        assert_eq!(caller.headers[0].1.len(), 256);
    }

    #[test]
    fn the_secret_stays_out_of_debug() {
        let client = ServerClient::new("pool", "client", "hunter2-secret");
        assert!(!format!("{client:?}").contains("hunter2"));
        assert_eq!(
            client.secret_hash("ada"),
            srp::secret_hash("hunter2-secret", "ada", "client")
        );
    }
}
