//! A request head reaching the browser sign-in's loopback listener.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cognito_login_client::fuzzing::redirect(data));
