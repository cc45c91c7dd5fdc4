//! A request body, as every route of the backend reads it.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cognito_login_backend::fuzz_route_body(data));
