//! The local pool and app client: found by name, or created as the
//! template makes them.

use std::time::Duration;

use aws_sdk_cognitoidentityprovider as cognito;
use cognito::config::{BehaviorVersion, Credentials, Region};
use cognito::types::{ExplicitAuthFlowsType, VerifiedAttributeType};
use cognito_login_client::ManagedLogin;

use cognitox::storage::Storage;
use serde_json::Value;

use super::template::Template;
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

/// Finds the local pool and client by name, or creates them. Over the
/// embedded emulator (`embedded`: its storage and the redirect port) both
/// are made, and the client set again at every start, from the template's
/// `UserPool` and `GameClient` properties ([`Template`]); another emulator
/// gets a pool that verifies email by code and a public app client.
pub(super) async fn set_up_pool(
    sdk: &cognito::Client,
    pool: Option<String>,
    embedded: Option<(&Storage, u16)>,
) -> Result<(String, String), LocalError> {
    let template = Template::built_in();
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
                None if let Some((storage, _)) = embedded => {
                    let mut properties = template.properties("UserPool");
                    properties.insert("PoolName".into(), POOL_NAME.into());
                    in_cognitox_spelling(&mut properties);
                    let made = cognitox::action::user_pool::create_user_pool::handler(
                        storage,
                        Value::Object(properties),
                    )
                    .await
                    .map_err(|e| setup(&e))?;
                    made["UserPool"]["Id"]
                        .as_str()
                        .ok_or_else(|| LocalError::Setup("CreateUserPool returned no id".into()))?
                        .to_owned()
                }
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
    let client_id = match client_named(sdk, &pool_id, CLIENT_NAME).await? {
        Some(id) => id,
        None if let Some((storage, _)) = embedded => {
            let mut properties = template.properties("GameClient");
            properties.insert("UserPoolId".into(), pool_id.clone().into());
            properties.insert("ClientName".into(), CLIENT_NAME.into());
            let made = cognitox::action::user_pool::create_user_pool_client::handler(
                storage,
                Value::Object(properties),
            )
            .await
            .map_err(|e| setup(&e))?;
            made["UserPoolClient"]["ClientId"]
                .as_str()
                .ok_or_else(|| LocalError::Setup("CreateUserPoolClient returned no id".into()))?
                .to_owned()
        }
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
    // (an update resets what it leaves out): the template's settings, and
    // the managed login's redirect to this start's loopback port.
    let Some((storage, redirect_port)) = embedded else {
        return Ok((pool_id, client_id));
    };
    let mut properties = template.properties("GameClient");
    properties.remove("GenerateSecret");
    for (key, value) in [
        ("UserPoolId", Value::from(pool_id.clone())),
        ("ClientId", client_id.clone().into()),
        ("ClientName", CLIENT_NAME.into()),
        (
            "CallbackURLs",
            vec![ManagedLogin::redirect_uri(redirect_port)].into(),
        ),
        (
            "LogoutURLs",
            vec![ManagedLogin::logout_uri(redirect_port)].into(),
        ),
    ] {
        properties.insert(key.into(), value);
    }
    cognitox::action::user_pool::update_user_pool_client::handler(
        storage,
        Value::Object(properties),
    )
    .await
    .map_err(|e| setup(&e))?;
    Ok((pool_id, client_id))
}

/// The id of the pool's app client called `name`, if it has one.
async fn client_named(
    sdk: &cognito::Client,
    pool_id: &str,
    name: &str,
) -> Result<Option<String>, LocalError> {
    let clients = sdk
        .list_user_pool_clients()
        .user_pool_id(pool_id)
        .max_results(60)
        .send()
        .await
        .map_err(|error| LocalError::Setup(error.to_string()))?;
    Ok(clients
        .user_pool_clients()
        .iter()
        .find(|client| client.client_name() == Some(name))
        .and_then(|client| client.client_id())
        .map(str::to_owned))
}

/// Finds the pool's confidential app client by name, or creates it: a
/// secret, the admin password sign-in and refresh, the player's context
/// propagated.
pub(super) async fn set_up_server_client(
    sdk: &cognito::Client,
    pool_id: &str,
) -> Result<ServerClient, LocalError> {
    let setup = |error: &dyn std::fmt::Display| LocalError::Setup(error.to_string());
    let client_id = match client_named(sdk, pool_id, SERVER_CLIENT_NAME).await? {
        Some(id) => id,
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

/// The template's groups, made in the local pool when absent. An emulator
/// without groups (cognito-local) only gets a warning: nothing but the
/// admin route and the suspension need them.
pub(super) async fn set_up_groups(sdk: &cognito::Client, pool_id: &str) {
    for group in Template::built_in().all_of("AWS::Cognito::UserPoolGroup") {
        let name = group["GroupName"].as_str().unwrap_or_default();
        let made = sdk
            .create_group()
            .user_pool_id(pool_id)
            .group_name(name)
            .set_description(group["Description"].as_str().map(str::to_owned))
            .set_precedence(
                group["Precedence"]
                    .as_i64()
                    .and_then(|p| i32::try_from(p).ok()),
            )
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

/// The pool settings cognitox 0.1.2's data file cannot hold ("Failed to
/// deserialize snapshot payload" at the next start), left to its defaults.
pub(super) const NOT_PERSISTED: [&str; 4] = [
    "Policies",
    "Schema",
    "VerificationMessageTemplate",
    "EmailConfiguration",
];

/// The template's pool as cognitox 0.1.2 takes it: it spells the account
/// recovery options in capitals (`VERIFIED_EMAIL`) where the API model has
/// `verified_email`, and its data file cannot be read back once a pool has
/// [`NOT_PERSISTED`] settings, which it does not act on either.
fn in_cognitox_spelling(properties: &mut serde_json::Map<String, Value>) {
    for setting in NOT_PERSISTED {
        properties.remove(setting);
    }
    let mechanisms = properties
        .get_mut("AccountRecoverySetting")
        .and_then(|setting| setting.get_mut("RecoveryMechanisms"))
        .and_then(Value::as_array_mut);
    for mechanism in mechanisms.into_iter().flatten() {
        if let Some(name) = mechanism.get("Name").and_then(Value::as_str) {
            mechanism["Name"] = name.to_ascii_uppercase().into();
        }
    }
}
