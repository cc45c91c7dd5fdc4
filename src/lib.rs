//! x
pub use cognito_login_client as client;
