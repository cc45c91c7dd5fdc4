//! `cognito_login_backend serve`: the login backend on loopback over an
//! embedded Cognito emulator, for local play and development.
//!
//! ```text
//! cognito_login_backend serve [--port N] [--data-file PATH]
//!                             [--cognito-endpoint URL [--user-pool-id ID --client-id ID]]
//! ```

use std::process::ExitCode;

use cognito_login_backend::{LocalConfig, LocalStack};

const USAGE: &str = "usage: cognito_login_backend serve [--port N] [--data-file PATH] \
[--cognito-endpoint URL [--user-pool-id ID] [--client-id ID]]";

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,aws_smithy_runtime=warn,aws_runtime=warn".into()),
        )
        .init();
    let config = match parse_args(std::env::args().skip(1)) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("{message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    runtime.block_on(async {
        let stack = match LocalStack::start(config).await {
            Ok(stack) => stack,
            Err(error) => {
                eprintln!("{error}");
                return ExitCode::FAILURE;
            }
        };
        println!("Login backend listening on {}", stack.url());
        println!("  BEVY_COGNITO_LOGIN_URL={}", stack.url());
        println!(
            "  Cognito endpoint {}, user pool {}, app client {}",
            stack.cognito_endpoint(),
            stack.user_pool_id(),
            stack.client_id()
        );
        let _ = tokio::signal::ctrl_c().await;
        stack.shutdown().await;
        ExitCode::SUCCESS
    })
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<LocalConfig, String> {
    match args.next().as_deref() {
        Some("serve") => {}
        Some(other) => return Err(format!("unknown command {other:?}")),
        None => return Err("missing command".into()),
    }
    let mut config = LocalConfig::default();
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--port" => config.port = value()?.parse().map_err(|e| format!("--port: {e}"))?,
            "--data-file" => config.data_file = Some(value()?.into()),
            "--cognito-endpoint" => config.cognito_endpoint = Some(value()?),
            "--user-pool-id" => config.user_pool_id = Some(value()?),
            "--client-id" => config.client_id = Some(value()?),
            "-h" | "--help" => return Err("help".into()),
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    Ok(config)
}
