//! Where a running local backend serves, and the client configurations
//! that reach it: either transport, browser sign-in, the identity pool, the player data.

use cognito_login_client::{
    ApiGatewayConfig, AwsJsonService, IdentityPoolConfig, ManagedLogin, SignInFlow, TokenCheck,
    UserPoolConfig,
};

use super::{IDENTITY_POOL_PATH, LOCAL_IDENTITY_POOL_ID, PLAYER_DATA_PATH};

/// Where a running local backend serves, and how a client reaches it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalEndpoints {
    /// The base URL of the login routes.
    pub url: String,
    /// The Cognito endpoint the handlers call: the embedded emulator's, or
    /// the one configured.
    pub cognito_endpoint: String,
    /// The user pool in use.
    pub user_pool_id: String,
    /// The app client in use.
    pub client_id: String,
    /// The confidential app client the routes sign players in through,
    /// when [`LocalConfig::server_client`](super::LocalConfig::server_client) is on.
    pub server_client_id: Option<String>,
    /// `true` when the emulator is the embedded cognitox.
    pub embedded: bool,
    /// The loopback port the app client's callback URL names.
    pub redirect_port: u16,
}

impl LocalEndpoints {
    /// How tokens of this pool are checked. cognitox issues them as
    /// `https://cognito-idp.local.amazonaws.com/{pool}` and serves its keys
    /// at its root; another emulator (cognito-local) is taken to issue them
    /// as `{endpoint}/{pool}` with the keys below that. The server client's
    /// tokens pass too.
    pub fn token_check(&self) -> TokenCheck {
        let check = self.public_token_check();
        match &self.server_client_id {
            Some(server) => check.with_client(server),
            None => check,
        }
    }

    fn public_token_check(&self) -> TokenCheck {
        if self.embedded {
            TokenCheck::new(
                format!(
                    "https://cognito-idp.local.amazonaws.com/{}",
                    self.user_pool_id
                ),
                &self.client_id,
            )
            .with_jwks_url(format!("{}/.well-known/jwks.json", self.cognito_endpoint))
        } else {
            TokenCheck::new(
                format!("{}/{}", self.cognito_endpoint, self.user_pool_id),
                &self.client_id,
            )
        }
    }

    /// The API Gateway transport's configuration: the login routes, with
    /// tokens checked against the emulator's keys.
    pub fn api_gateway_config(&self) -> ApiGatewayConfig {
        ApiGatewayConfig::new(&self.url, self.token_check())
    }

    /// Browser sign-in through the embedded emulator's managed login (its
    /// `/oauth2/authorize`, login page and `/oauth2/token`, with PKCE),
    /// redirecting to the port the app client lists.
    pub fn managed_login(&self) -> ManagedLogin {
        ManagedLogin::new(&self.cognito_endpoint, &self.client_id)
            .with_redirect_port(self.redirect_port)
    }

    /// The local stand-in for an identity pool over this user pool, at the
    /// login routes' [`IDENTITY_POOL_PATH`]: credentials only the local
    /// stack takes, for `IdentityPoolClient` and `with_identity_pool`.
    pub fn identity_pool_config(&self) -> IdentityPoolConfig {
        IdentityPoolConfig::new(LOCAL_IDENTITY_POOL_ID)
            .with_endpoint(format!("{}{IDENTITY_POOL_PATH}", self.url))
    }

    /// The local stand-in for the template's player data table
    /// ([`LOCAL_PLAYER_DATA_TABLE`](super::LOCAL_PLAYER_DATA_TABLE)) at the
    /// login routes' [`PLAYER_DATA_PATH`]: `GetItem` and `PutItem` with the
    /// local identity pool's credentials, each identity on its own rows.
    pub fn player_data_service(&self) -> AwsJsonService {
        let region = self.user_pool_id.split('_').next().unwrap_or("local");
        AwsJsonService::dynamodb(region)
            .and_then(|service| service.with_endpoint(&format!("{}{PLAYER_DATA_PATH}", self.url)))
            .expect("the local stack's URL is a loopback URL")
    }

    /// The direct transport's configuration: the emulator's user-pool API
    /// with `USER_PASSWORD_AUTH`, since the emulators lack SRP.
    pub fn user_pool_config(&self) -> UserPoolConfig {
        let region = self.user_pool_id.split('_').next().unwrap_or("local");
        UserPoolConfig::new(region, &self.user_pool_id, &self.client_id)
            .with_endpoint(&self.cognito_endpoint)
            .with_sign_in_flow(SignInFlow::UserPassword)
            .with_token_check(self.token_check())
    }
}
