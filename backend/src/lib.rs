//! The login backend of `bevy_cognito_login`: the API Gateway contract as
//! handler functions over Cognito, and a local server that runs them over an
//! embedded Cognito emulator so a game works with no AWS account.

pub mod handlers;
pub mod lambda;
pub mod local;

pub use handlers::{ApiResponse, Handlers};
pub use local::{
    BackgroundStack, CodePurpose, DevMail, DevMailbox, LocalConfig, LocalEndpoints, LocalError,
    LocalStack,
};
