//! The login backend as AWS Lambda functions: the routes of an API Gateway
//! HTTP API, or, with `COGNITO_LOGIN_TRIGGERS` set, the user pool's
//! triggers (`cognito_login_backend::triggers`). Two functions of one build,
//! since the routes' function names the pool and the pool names its
//! triggers' function.
//! Build: `cargo lambda build --release --arm64 --no-default-features
//! --features lambda --bin cognito-login-lambda` (no emulator compiled);
//! deploy with `backend/template.yaml` (see `docs/GUIDE.md`).

use cognito_login_backend::lambda;
use lambda_http::lambda_runtime::{self, LambdaEvent};
use lambda_http::{Error, Request, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda::init_logs(std::env::var("RUST_LOG").ok().as_deref());
    if std::env::var_os("COGNITO_LOGIN_TRIGGERS").is_some() {
        let triggers = lambda::triggers_from_env()?;
        let triggers = &triggers;
        return lambda_runtime::run(service_fn(
            move |event: LambdaEvent<serde_json::Value>| async move {
                triggers.handle(event.payload).await.map_err(Error::from)
            },
        ))
        .await;
    }
    let handlers = lambda::handlers_from_env().await?;
    let handlers = &handlers;
    lambda_http::run(service_fn(move |request: Request| async move {
        Ok::<_, Error>(lambda::handle(handlers, request).await)
    }))
    .await
}
