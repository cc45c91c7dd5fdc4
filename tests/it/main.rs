//! The plugin's integration tests, in one binary (one link of Bevy instead of
//! one per file). `secrets_in_logs` stays a binary of its own: it installs a
//! global log subscriber.

mod account_menu;
mod docs_pages;
mod example_smoke;
mod game_api;
mod menu_form;
mod menu_gamepad;
mod menu_look;
mod plugin_browser;
mod plugin_credentials;
mod plugin_devices;
mod plugin_flows;
mod plugin_order;
mod plugin_proof;
mod plugin_session;
mod support;
mod window_close;
