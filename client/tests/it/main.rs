//! The client's integration tests, in one binary. `no_detours` (it sets proxy
//! variables in the environment) and `keychain` (a real Secret Service, with
//! its own harness) stay binaries of their own.

mod api_gateway;
mod challenges;
mod conformance;
mod game_api;
mod import_loops;
mod packaging;
mod session;
mod srp_agreement;
mod srp_exchange;
mod support;
mod tokens;
mod worker;
