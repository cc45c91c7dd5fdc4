//! The SRP answer agrees byte for byte with an independent implementation,
//! pycognito's `aws_srp` (PyPI; `scripts/test.sh` installs it), over many
//! random cases with a fixed private value each: `SRP_A`, the password claim
//! signature, the timestamp format and `SECRET_HASH`; and for remembered
//! devices, the verifier `ConfirmDevice` takes and the device's claim.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use cognito_login_client::srp::{self, SrpClient, VerifierChallenge};
use serde_json::{Value, json};

/// About 75 ms of Python per case; `SRP_CASES=5000` runs more.
const DEFAULT_CASES: usize = 300;

/// splitmix64: reproducible from the printed seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }

    /// Between 1 and `max` random bytes.
    fn some_bytes(&mut self, max: u64) -> Vec<u8> {
        let len = 1 + self.below(max) as usize;
        self.bytes(len)
    }

    /// Between 1 and `max` characters of `alphabet`.
    fn text(&mut self, alphabet: &[&str], max: u64) -> String {
        let len = 1 + self.below(max) as usize;
        (0..len)
            .map(|_| alphabet[self.below(alphabet.len() as u64) as usize])
            .collect()
    }
}

/// A number as Cognito writes it: minimal hex, so possibly of odd length.
fn minimal_hex(bytes: &[u8]) -> String {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let trimmed = hex.trim_start_matches('0');
    if trimmed.is_empty() {
        "0".into()
    } else {
        trimmed.into()
    }
}

fn random_case(rng: &mut Rng, index: usize) -> Value {
    let alnum: Vec<&str> = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        .split("")
        .filter(|s| !s.is_empty())
        .collect();
    let mut password_chars = alnum.clone();
    password_chars.extend(["!", " ", ":", "_", "é", "ß", "密", "🎮", "\"", "\\"]);

    // Salts and B values with the high bit set in half of the cases, so the
    // sign byte of the padding is exercised both ways.
    let mut salt = rng.bytes(16);
    let mut srp_b = if index.is_multiple_of(3) {
        rng.bytes(384)
    } else {
        rng.some_bytes(383)
    };
    match index % 4 {
        0 => {
            salt[0] |= 0x80;
            srp_b[0] |= 0x80;
        }
        1 => salt[0] |= 0x80,
        2 => srp_b[0] |= 0x80,
        _ => {
            salt[0] &= 0x7f;
            srp_b[0] &= 0x7f;
        }
    }
    if srp_b.iter().all(|b| *b == 0) {
        srp_b[0] = 1;
    }
    // Every date from 2000 to 2099; every fifth case on a single-digit day.
    let mut unix = 946_684_800 + rng.below(3_155_760_000);
    if index.is_multiple_of(5) {
        unix -= (unix / 86_400 % 30) * 86_400;
        while srp::timestamp(UNIX_EPOCH + Duration::from_secs(unix))
            .split(' ')
            .nth(2)
            .is_some_and(|day| day.len() > 1)
        {
            unix -= 86_400;
        }
    }
    let user_id = if index.is_multiple_of(2) {
        // A `sub`, as pools with email sign-in use.
        let hex = minimal_hex(&[&[0x10], &rng.bytes(15)[..]].concat());
        format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..]
        )
    } else {
        rng.text(&alnum, 20)
    };
    json!({
        "a": minimal_hex(&rng.bytes(128)),
        "pool_id": format!("eu-west-{}_{}", 1 + rng.below(3), rng.text(&alnum, 12)),
        "user_id": user_id,
        "password": rng.text(&password_chars, 40),
        "salt": minimal_hex(&salt),
        "srp_b": minimal_hex(&srp_b),
        "secret_block": STANDARD.encode(rng.some_bytes(1500)),
        "timestamp": srp::timestamp(UNIX_EPOCH + Duration::from_secs(unix)),
        "unix": unix,
        "client_id": rng.text(&alnum, 26),
        "client_secret": rng.text(&alnum, 51),
        // Device keys are `{region}_{uuid}`, group keys `-` and nine
        // letters; a device salt with the high bit set in half the cases.
        "group_key": format!("-{}", rng.text(&alnum, 9)),
        "device_key": format!("eu-west-1_{}", minimal_hex(&[&[0x10], &rng.bytes(15)[..]].concat())),
        "device_password_bytes": hex(&rng.bytes(40)),
        "device_salt": hex(&{
            let mut salt = rng.bytes(16);
            if index.is_multiple_of(2) { salt[0] |= 0x80 } else { salt[0] &= 0x7f }
            salt
        }),
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hex_to_bytes(hex: &str) -> Vec<u8> {
    let even = if hex.len() % 2 == 1 {
        format!("0{hex}")
    } else {
        hex.to_owned()
    };
    (0..even.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&even[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn srp_agrees_with_pycognito() {
    let seed = std::env::var("SRP_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    let cases_wanted = std::env::var("SRP_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(DEFAULT_CASES);
    println!("SRP_SEED={seed} SRP_CASES={cases_wanted}");
    let mut rng = Rng(seed);
    let cases: Vec<Value> = (0..cases_wanted)
        .map(|i| random_case(&mut rng, i))
        .collect();

    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/srp/pycognito_answers.py"
    );
    let mut python = Command::new("python3")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 must be installed (scripts/test.sh runs on a machine with it)");
    let mut stdin = python.stdin.take().unwrap();
    let input: String = cases.iter().map(|case| format!("{case}\n")).collect();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let answers: Vec<Value> = BufReader::new(python.stdout.take().unwrap())
        .lines()
        .map(|line| serde_json::from_str(&line.unwrap()).unwrap())
        .collect();
    writer.join().unwrap().unwrap();
    assert!(
        python.wait().unwrap().success(),
        "pycognito failed: `python3 -m pip install pycognito==2024.5.1` (scripts/test.sh does)"
    );
    assert_eq!(answers.len(), cases_wanted, "pycognito answered every case");

    let mut single_digit_days = 0;
    let mut high_bit_salts = 0;
    let mut high_bit_bs = 0;
    for (case, theirs) in cases.iter().zip(&answers) {
        let text = |key: &str| case[key].as_str().unwrap();
        let client = SrpClient::with_private_value(&hex_to_bytes(text("a")));
        let challenge = VerifierChallenge {
            user_id: text("user_id"),
            salt: text("salt"),
            srp_b: text("srp_b"),
            secret_block: text("secret_block"),
        };
        let ours = client
            .password_signature(
                text("pool_id"),
                text("password"),
                &challenge,
                text("timestamp"),
            )
            .unwrap();
        let context = format!("seed {seed}, case {case}");
        assert_eq!(client.public_a(), theirs["srp_a"], "SRP_A, {context}");
        assert_eq!(ours, theirs["signature"], "signature, {context}");
        let at = UNIX_EPOCH + Duration::from_secs(case["unix"].as_u64().unwrap());
        assert_eq!(
            srp::timestamp(at),
            theirs["timestamp"],
            "timestamp, {context}"
        );
        assert_eq!(
            srp::secret_hash(text("client_secret"), text("user_id"), text("client_id")),
            theirs["secret_hash"],
            "SECRET_HASH, {context}"
        );
        // The same challenge answered as a remembered device, and the
        // verifier of a new device's password.
        let device_password = STANDARD.encode(hex_to_bytes(text("device_password_bytes")));
        assert_eq!(
            device_password, theirs["device_password"],
            "device password, {context}"
        );
        let verifier = srp::device_verifier(
            text("group_key"),
            text("device_key"),
            &device_password,
            &hex_to_bytes(text("device_salt")),
        );
        assert_eq!(
            verifier.password_verifier, theirs["device_verifier"],
            "verifier, {context}"
        );
        assert_eq!(
            verifier.salt, theirs["device_salt_b64"],
            "device salt, {context}"
        );
        let device_challenge = VerifierChallenge {
            user_id: text("device_key"),
            ..challenge
        };
        let device_signature = client
            .device_signature(
                text("group_key"),
                &device_password,
                &device_challenge,
                text("timestamp"),
            )
            .unwrap();
        assert_eq!(
            theirs["device_timestamp"],
            text("timestamp"),
            "device timestamp, {context}"
        );
        assert_eq!(
            device_signature, theirs["device_signature"],
            "device signature, {context}"
        );
        single_digit_days += usize::from(text("timestamp").split(' ').nth(2).unwrap().len() == 1);
        high_bit_salts += usize::from(hex_to_bytes(text("salt"))[0] & 0x80 != 0);
        high_bit_bs += usize::from(hex_to_bytes(text("srp_b"))[0] & 0x80 != 0);
    }
    assert!(
        single_digit_days >= cases_wanted / 5,
        "{single_digit_days} single-digit days"
    );
    assert!(
        high_bit_salts >= cases_wanted / 3,
        "{high_bit_salts} high-bit salts"
    );
    assert!(
        high_bit_bs >= cases_wanted / 3,
        "{high_bit_bs} high-bit B values"
    );
    println!(
        "{cases_wanted} of {cases_wanted} cases agree with pycognito ({single_digit_days} on single-digit days, \
         {high_bit_salts} high-bit salts, {high_bit_bs} high-bit B values)"
    );
}
