//! The client's share of an SRP sign-in: a fresh private value and `A`
//! (which the direct transport makes ahead of the click), then the password
//! claim signature (the work from the click). Run with
//! `cargo bench -p cognito_login_client --bench srp`; the numbers are in the
//! README.

use std::time::{Duration, Instant, SystemTime};

use cognito_login_client::srp::{self, SrpClient, VerifierChallenge};

const SIGN_INS: u32 = 200;

fn main() {
    // A server value B with the high bit set, as Cognito's usually are.
    let srp_b = format!("c{}", "5a".repeat(383));
    let timestamp = srp::timestamp(SystemTime::now());
    let challenge = VerifierChallenge {
        user_id: "4f1c0a2e-5b6d-4e7f-8a9b-0c1d2e3f4a5b",
        salt: "a7c4f1e29b3d5c6a7e8f9a0b1c2d3e4f",
        srp_b: &srp_b,
        secret_block: "c2VjcmV0LWJsb2Nr",
    };
    let (mut ahead, mut times) = (Vec::new(), Vec::with_capacity(SIGN_INS as usize));
    for _ in 0..SIGN_INS {
        let started = Instant::now();
        let client = SrpClient::new().expect("the OS gives random bytes");
        let _ = client.public_a();
        ahead.push(started.elapsed());
        let started = Instant::now();
        let signature = client
            .password_signature(
                "eu-west-1_AbC123",
                "Correct-Horse-1",
                &challenge,
                &timestamp,
            )
            .expect("a valid challenge");
        std::hint::black_box(signature);
        times.push(started.elapsed());
    }
    report("SRP client and A, made ahead of the click", ahead);
    report("SRP from the click: the password claim", times);
}

fn report(what: &str, mut times: Vec<Duration>) {
    times.sort();
    let mean = times.iter().sum::<Duration>() / SIGN_INS;
    println!(
        "{what} ({SIGN_INS} runs): mean {:.2} ms, median {:.2} ms, max {:.2} ms",
        ms(mean),
        ms(times[times.len() / 2]),
        ms(*times.last().unwrap())
    );
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
