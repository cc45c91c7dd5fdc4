//! The login backend of `bevy_cognito_login`: the API Gateway contract as
//! handler functions over Cognito, and a local server that runs them over an
//! embedded Cognito emulator so a game works with no AWS account.
//!
//! Features: `local` (the local stack and its emulator), `lambda` (the
//! Lambda entry point) and `cli` (the `serve` command), all on by default. A
//! Lambda build needs only `lambda`.

pub mod handlers;
#[cfg(feature = "lambda")]
pub mod lambda;
#[cfg(feature = "local")]
pub mod local;
pub mod profile;

pub use handlers::{ApiResponse, Handlers};
#[cfg(feature = "local")]
pub use local::{
    BackgroundStack, CodePurpose, DevMail, DevMailbox, LocalConfig, LocalEndpoints, LocalError,
    LocalStack,
};
pub use profile::{LocalProfiles, Profile, ProfileError};
