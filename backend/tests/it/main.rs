//! The backend's integration tests, in one binary.

mod account;
mod background;
mod browser;
mod connections;
mod contract;
mod features;
mod flows;
mod identity_pool;
mod lambda;
mod local_server;
mod mfa;
mod profile;
mod server_client;
mod support;
mod template;
mod triggers;
mod user_pool;
