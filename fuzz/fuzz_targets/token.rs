//! A key document and a token, checked as a restored session is.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cognito_login_client::fuzzing::token(data));
