//! The login backend as one AWS Lambda function for an API Gateway HTTP API.
//! Build: `cargo lambda build --release --arm64 --no-default-features
//! --features lambda --bin cognito-login-lambda` (no emulator compiled);
//! deploy with `backend/template.yaml` (see the README).

use cognito_login_backend::lambda;
use lambda_http::{Error, Request, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda::init_logs(std::env::var("RUST_LOG").ok().as_deref());
    let handlers = lambda::handlers_from_env().await?;
    let handlers = &handlers;
    lambda_http::run(service_fn(move |request: Request| async move {
        Ok::<_, Error>(lambda::handle(handlers, request).await)
    }))
    .await
}
