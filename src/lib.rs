//! A complete account system for Bevy games: a login menu over Amazon
//! Cognito, its requests on a background runtime, sessions kept across
//! launches.
//!
//! The engine-agnostic core is re-exported as [`client`]: typed requests and
//! outcomes, one error type with player-facing sentences, redacted secrets,
//! the API Gateway transport and the background worker.

#![warn(missing_docs)]

pub use cognito_login_client as client;
