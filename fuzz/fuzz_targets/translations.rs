//! A translation file.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cognito_login_client::fuzzing::translations(data));
