//! The login backend of `bevy_cognito_login`: the API Gateway contract as
//! handler functions over Cognito, and a local server that runs them over an
//! embedded Cognito emulator so a game works with no AWS account.
//!
//! A Lambda build needs only `lambda`.
//!
//! # Features
#![doc = document_features::document_features!()]
// docs.rs marks each item with the features it needs.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod answer;
pub mod handlers;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod limit;
#[cfg(feature = "local")]
pub mod local;
pub mod profile;
pub mod triggers;

/// The entry point of the `route_body` fuzz target in `fuzz/`, compiled
/// only with `--cfg fuzzing`: a request body as every route reads it.
#[cfg(fuzzing)]
#[doc(hidden)]
pub fn fuzz_route_body(body: &[u8]) {
    handlers::fuzz(body);
}

pub use handlers::{ApiResponse, Caller, Handlers, ServerClient};
#[cfg(feature = "local")]
pub use local::{
    BackgroundStack, CodePurpose, DevEmail, DevMail, DevMailbox, LocalConfig, LocalEndpoints,
    LocalError, LocalStack,
};
pub use profile::{LocalProfiles, Profile, ProfileError};

/// The AWS SDK clients' HTTP client: HTTPS with rustls over ring (the crypto
/// of the client crate too), the platform's root certificates, and plain
/// HTTP for a local endpoint.
pub fn https_client() -> aws_sdk_cognitoidentityprovider::config::SharedHttpClient {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}
