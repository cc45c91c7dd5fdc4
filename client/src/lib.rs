//! The engine-agnostic core of `bevy_cognito_login`: typed requests and
//! outcomes for a Cognito login backend, one error type, redacted secrets,
//! two transports (the API Gateway routes of a login backend, or the Cognito
//! user-pool API directly, with SRP), token verification and a background
//! worker.
//!
//! Nothing here knows Bevy or egui; drive it from any thread:
//!
//! ```no_run
//! use cognito_login_client::{
//!     ApiGatewayConfig, ApiGatewayTransport, AuthRequest, AuthWorker, TokenCheck,
//! };
//!
//! let transport = ApiGatewayTransport::new(ApiGatewayConfig::new(
//!     "http://127.0.0.1:8080",
//!     TokenCheck::for_pool("eu-west-1_AbC123", "1example23456789"),
//! ))?;
//! let worker = AuthWorker::spawn(transport)?;
//! let id = worker.send(AuthRequest::SignIn {
//!     username: "ada".into(),
//!     password: "Correct-Horse-1".into(),
//!     device: None,
//! });
//! // Once per frame, never blocking:
//! while let Some(reply) = worker.try_recv() {
//!     assert_eq!(reply.id, id);
//!     match reply.result {
//!         Ok(outcome) => println!("{outcome:?}"),
//!         Err(error) => println!("{}", error.player_message()),
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Features
#![doc = document_features::document_features!()]
// docs.rs marks each item with the features it needs.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod api;
mod api_gateway;
#[cfg(feature = "aws-calls")]
mod aws_call;
mod browser;
mod config;
mod date;
mod device;
mod error;
mod file_store;
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing;
mod http;
mod identity_pool;
mod outcome;
mod request;
pub mod response;
mod secret;
#[cfg(all(feature = "keychain", target_os = "linux"))]
mod secret_service;
pub mod session;
mod signing_keys;
pub mod srp;
mod store;
mod text;
mod transport;
mod user_pool;
mod verify;
mod worker;

/// The README's code blocks, compiled as doc-tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub use api::{
    ApiCall, ApiCallId, ApiError, ApiMethod, ApiQueue, ApiReply, GameApiClient, GameApiConfig,
};
pub use api_gateway::{ApiGatewayConfig, ApiGatewayTransport, Routes};
#[cfg(feature = "aws-calls")]
pub use aws_call::{AwsCallId, AwsCallQueue, AwsJsonService, AwsJsonVersion, AwsReply};
pub use browser::{
    BrowserRequest, BrowserSignIn, DEFAULT_BROWSER_TIMEOUT, DEFAULT_REDIRECT_PORT,
    IdentityProvider, ManagedLogin, OpenBrowser, REDIRECT_PATH, SIGNED_OUT_PATH,
};
pub use config::{BackendConfig, CustomTransport};
pub use date::utc_date;
pub use device::{Device, DeviceChange, NewDevice, RememberedDevice, RememberedDevices};
pub use error::{
    AuthError, BrowserErrorKind, ConfigError, RawBody, ServerErrorKind, TransportErrorKind,
};
pub use file_store::FileStore;
pub use identity_pool::{AwsCredentials, IdentityPoolClient, IdentityPoolConfig, Login};
pub use outcome::{Account, AuthOutcome, Challenge, CodeDelivery, Tokens, unverified_claims};
pub use request::{AuthAction, AuthRequest, ChallengeName, MfaMethod, body};
pub use secret::{
    AccessToken, AuthenticatorSecret, AwsSecretKey, AwsSessionToken, ChallengeSession,
    ClientSecret, Code, DevicePassword, IdToken, Password, RefreshToken,
};
pub use session::{
    Answer, AuthEvent, CommandError, Identity, MakeStore, Session, SessionEnd, SessionPolicy,
    SignedInPlayer, StoreThread,
};
pub use signing_keys::SigningKeys;
pub use store::{KeychainStore, SessionStore, StoreError};
pub use text::{FALLBACK_LOCALE, TranslationError, Translations, placeholders};
pub use transport::{BoxFuture, Transport};
pub use user_pool::{
    AUTHENTICATOR_NAME, SignInFlow, UserPoolApi, UserPoolConfig, UserPoolTransport,
};
pub use verify::{Claims, MemberError, TokenCheck, TokenUse, TokenVerifier};
pub use worker::{AuthWorker, Reply, RequestId, SIGN_OUT_GRACE};
