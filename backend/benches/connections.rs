//! Connections and requests per step of a session, on each transport,
//! through counting TCP proxies on loopback in front of the local stack
//! (the same scenario `tests/it/connections.rs` checks). Run with
//! `cargo bench -p cognito_login_backend --bench connections`; the numbers
//! are in the guide (`docs/GUIDE.md`).

#[allow(dead_code)]
#[path = "../tests/it/connections.rs"]
mod connections;

fn main() {
    for (transport, direct) in [("the routes", false), ("the user-pool API", true)] {
        println!("{transport}: new connections (routes, emulator) / requests (routes, emulator)");
        for step in connections::session(direct) {
            println!(
                "  {:<24} {:?} / {:?}",
                step.name, step.connections, step.requests
            );
        }
    }
}
