//! An answer from Cognito or the routes, for one of the client's requests.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cognito_login_client::fuzzing::response(data));
