//! The local pool and app client: found by name, or created as the
//! template makes them.

use std::time::Duration;

use aws_sdk_cognitoidentityprovider as cognito;
use cognito::config::{BehaviorVersion, Credentials, Region};
use cognito::types::{ExplicitAuthFlowsType, OAuthFlowType, VerifiedAttributeType};
use cognito_login_client::ManagedLogin;

use super::{CLIENT_NAME, LocalError, POOL_NAME, SERVER_CLIENT_NAME};
use crate::handlers::ServerClient;

/// An SDK client for a local Cognito endpoint: dummy credentials (emulators
/// do not check signatures), no retries, short timeouts.
pub fn sdk_client(endpoint: &str) -> cognito::Client {
    let config = cognito::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(crate::https_client())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("local", "local", None, None, "local"))
        .retry_config(cognito::config::retry::RetryConfig::disabled())
        .timeout_config(
            cognito::config::timeout::TimeoutConfig::builder()
                .operation_timeout(Duration::from_secs(8))
                .build(),
        )
        .build();
    cognito::Client::from_conf(config)
}

/// Finds the local pool and client by name, or creates them: a pool that
/// verifies email by code, and a public app client (no secret).
pub(super) async fn set_up_pool(
    sdk: &cognito::Client,
    pool: Option<String>,
    redirect_port: Option<u16>,
) -> Result<(String, String), LocalError> {
    let setup = |error: &dyn std::fmt::Display| LocalError::Setup(error.to_string());
    let pool_id = match pool {
        Some(pool) => pool,
        None => {
            let pools = sdk
                .list_user_pools()
                .max_results(60)
                .send()
                .await
                .map_err(|e| setup(&e))?;
            match pools
                .user_pools()
                .iter()
                .find(|pool| pool.name() == Some(POOL_NAME))
                .and_then(|p| p.id())
            {
                Some(id) => id.to_owned(),
                None => sdk
                    .create_user_pool()
                    .pool_name(POOL_NAME)
                    .auto_verified_attributes(VerifiedAttributeType::Email)
                    .send()
                    .await
                    .map_err(|e| setup(&e))?
                    .user_pool()
                    .and_then(|pool| pool.id())
                    .ok_or_else(|| LocalError::Setup("CreateUserPool returned no id".into()))?
                    .to_owned(),
            }
        }
    };
    let clients = sdk
        .list_user_pool_clients()
        .user_pool_id(&pool_id)
        .max_results(60)
        .send()
        .await
        .map_err(|e| setup(&e))?;
    let existing = clients
        .user_pool_clients()
        .iter()
        .find(|client| client.client_name() == Some(CLIENT_NAME))
        .and_then(|client| client.client_id());
    let client_id = match existing {
        Some(id) => id.to_owned(),
        None => sdk
            .create_user_pool_client()
            .user_pool_id(&pool_id)
            .client_name(CLIENT_NAME)
            .generate_secret(false)
            .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
            .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserSrpAuth)
            .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
            .send()
            .await
            .map_err(|e| setup(&e))?
            .user_pool_client()
            .and_then(|client| client.client_id())
            .ok_or_else(|| LocalError::Setup("CreateUserPoolClient returned no id".into()))?
            .to_owned(),
    };
    // Over the embedded emulator every start sets the whole client again
    // (an update resets what it leaves out): its sign-in flows, and the
    // managed login's code flow with PKCE, redirecting to this start's
    // loopback port.
    let Some(redirect_port) = redirect_port else {
        return Ok((pool_id, client_id));
    };
    let redirect = ManagedLogin::redirect_uri(redirect_port);
    sdk.update_user_pool_client()
        .user_pool_id(&pool_id)
        .client_id(&client_id)
        .client_name(CLIENT_NAME)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserSrpAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .allowed_o_auth_flows_user_pool_client(true)
        .allowed_o_auth_flows(OAuthFlowType::Code)
        .allowed_o_auth_scopes("openid")
        .allowed_o_auth_scopes("email")
        .allowed_o_auth_scopes("profile")
        .allowed_o_auth_scopes("aws.cognito.signin.user.admin")
        .supported_identity_providers("COGNITO")
        .callback_urls(&redirect)
        .logout_urls(ManagedLogin::logout_uri(redirect_port))
        .send()
        .await
        .map_err(|e| setup(&e))?;
    Ok((pool_id, client_id))
}

/// Finds the pool's confidential app client by name, or creates it: a
/// secret, the admin password sign-in and refresh, the player's context
/// propagated.
pub(super) async fn set_up_server_client(
    sdk: &cognito::Client,
    pool_id: &str,
) -> Result<ServerClient, LocalError> {
    let setup = |error: &dyn std::fmt::Display| LocalError::Setup(error.to_string());
    let clients = sdk
        .list_user_pool_clients()
        .user_pool_id(pool_id)
        .max_results(60)
        .send()
        .await
        .map_err(|e| setup(&e))?;
    let existing = clients
        .user_pool_clients()
        .iter()
        .find(|client| client.client_name() == Some(SERVER_CLIENT_NAME))
        .and_then(|client| client.client_id());
    let client_id = match existing {
        Some(id) => id.to_owned(),
        None => sdk
            .create_user_pool_client()
            .user_pool_id(pool_id)
            .client_name(SERVER_CLIENT_NAME)
            .generate_secret(true)
            .explicit_auth_flows(ExplicitAuthFlowsType::AllowAdminUserPasswordAuth)
            .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
            .enable_token_revocation(true)
            .enable_propagate_additional_user_context_data(true)
            .send()
            .await
            .map_err(|e| setup(&e))?
            .user_pool_client()
            .and_then(|client| client.client_id())
            .ok_or_else(|| LocalError::Setup("CreateUserPoolClient returned no id".into()))?
            .to_owned(),
    };
    ServerClient::from_pool(sdk, pool_id, &client_id)
        .await
        .map_err(LocalError::Setup)
}

/// The template's example groups, made in the local pool when absent. An
/// emulator without groups (cognito-local) only gets a warning: nothing
/// but the admin route needs them.
pub(super) async fn set_up_groups(sdk: &cognito::Client, pool_id: &str) {
    for (name, precedence) in [(crate::profile::ADMIN_GROUP, 0), ("testers", 10)] {
        let made = sdk
            .create_group()
            .user_pool_id(pool_id)
            .group_name(name)
            .precedence(precedence)
            .send()
            .await;
        if let Err(error) = made {
            use cognito::error::ProvideErrorMetadata as _;
            if error.code() != Some("GroupExistsException") {
                tracing::warn!(group = name, error = %crate::answer::error_chain(&error),
                    "the local pool has no such group");
            }
        }
    }
}
