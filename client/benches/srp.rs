//! The client's share of an SRP sign-in, side by side with two other
//! clients in the same run: a fresh private value and `A` (which the direct
//! transport makes ahead of the click), then the password claim signature
//! (the work from the click); pycognito (PyPI, `scripts/test.sh` installs
//! it) and the `aws-cognito-srp` crate doing the whole client share. Run with
//! `cargo bench -p cognito_login_client --bench srp`; the numbers are in the
//! guide (`docs/GUIDE.md`).

use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use cognito_login_client::srp::{self, SrpClient, VerifierChallenge};

const SIGN_INS: u32 = 200;
const POOL_ID: &str = "eu-west-1_AbC123";
const PASSWORD: &str = "Correct-Horse-1";

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
    let (mut ahead, mut ours) = (Vec::new(), Vec::new());
    for _ in 0..SIGN_INS {
        let started = Instant::now();
        let client = SrpClient::new().expect("the OS gives random bytes");
        let _ = client.public_a();
        ahead.push(started.elapsed());
        let started = Instant::now();
        let signature = client
            .password_signature(POOL_ID, PASSWORD, &challenge, &timestamp)
            .expect("a valid challenge");
        std::hint::black_box(signature);
        ours.push(started.elapsed());
    }
    let ahead = Stats::of(ahead);
    let ours = Stats::of(ours);
    let crate_total = Stats::of(
        (0..SIGN_INS)
            .map(|_| {
                let started = Instant::now();
                let client = aws_cognito_srp::SrpClient::new(
                    aws_cognito_srp::User::new(POOL_ID, challenge.user_id, PASSWORD),
                    "client",
                    None,
                );
                let _ = std::hint::black_box(client.get_auth_parameters());
                let verified = client
                    .verify(
                        challenge.secret_block,
                        challenge.user_id,
                        challenge.salt,
                        challenge.srp_b,
                    )
                    .expect("a valid challenge");
                let _ = std::hint::black_box(verified);
                started.elapsed()
            })
            .collect(),
    );
    let pycognito = pycognito_median(&challenge);

    ahead.print("ours: SRP client and A, made ahead of the click");
    ours.print("ours: from the click (the password claim)");
    println!(
        "ours: whole client share: median {:.2} ms",
        ms(ahead.median + ours.median)
    );
    crate_total.print("aws-cognito-srp 0.2: whole client share");
    println!(
        "pycognito 2024.5.1: whole client share: median {:.2} ms",
        ms(pycognito)
    );
    for (name, theirs) in [
        ("pycognito", pycognito),
        ("aws-cognito-srp", crate_total.median),
    ] {
        println!(
            "{name} ÷ ours: {:.1}× from the click, {:.1}× whole",
            theirs.as_secs_f64() / ours.median.as_secs_f64(),
            theirs.as_secs_f64() / (ahead.median + ours.median).as_secs_f64(),
        );
    }
}

/// pycognito's median for the same challenge, timed in Python.
fn pycognito_median(challenge: &VerifierChallenge<'_>) -> Duration {
    let case = serde_json::json!({
        "runs": SIGN_INS,
        "pool_id": POOL_ID,
        "user_id": challenge.user_id,
        "password": PASSWORD,
        "salt": challenge.salt,
        "srp_b": challenge.srp_b,
        "secret_block": challenge.secret_block,
    });
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/srp_pycognito.py");
    let output = Command::new("python3")
        .arg(script)
        .arg(case.to_string())
        .output()
        .expect("python3 must be installed");
    assert!(
        output.status.success(),
        "pycognito failed ({}): `python3 -m pip install pycognito==2024.5.1` (scripts/test.sh does)",
        String::from_utf8_lossy(&output.stderr)
    );
    let answer: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("the script prints JSON");
    Duration::from_secs_f64(answer["median_ms"].as_f64().expect("a median") / 1000.0)
}

struct Stats {
    mean: Duration,
    median: Duration,
    max: Duration,
}

impl Stats {
    fn of(mut times: Vec<Duration>) -> Self {
        times.sort();
        Self {
            mean: times.iter().sum::<Duration>() / times.len() as u32,
            median: times[times.len() / 2],
            max: *times.last().expect("at least one run"),
        }
    }

    fn print(&self, what: &str) {
        println!(
            "{what} ({SIGN_INS} runs): mean {:.2} ms, median {:.2} ms, max {:.2} ms",
            ms(self.mean),
            ms(self.median),
            ms(self.max)
        );
    }
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
