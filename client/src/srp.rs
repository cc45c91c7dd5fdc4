//! Cognito's variant of SRP-6a: the client half of `USER_SRP_AUTH` and its
//! `PASSWORD_VERIFIER` answer, the remembered device's verifier and its
//! `DEVICE_PASSWORD_VERIFIER` answer, plus the app-client `SECRET_HASH`.
//!
//! Where Cognito differs from textbook SRP: numbers are hashed in their
//! minimal big-endian form with a leading zero byte when the high bit is set
//! (Java's `BigInteger`), the password hash is salted with the pool name,
//! the session key comes from one HKDF block, and the proof is an HMAC over
//! the pool name, the user id, the secret block and a timestamp.

use std::sync::LazyLock;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use num_bigint::BigUint;
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// The RFC 3526 3072-bit MODP group that Cognito uses.
const N_HEX: &str = "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3BE39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF";

struct Group {
    n: BigUint,
    g: BigUint,
    /// k = H(PAD(N) | PAD(g)).
    k: BigUint,
}

static GROUP: LazyLock<Group> = LazyLock::new(|| {
    let n = BigUint::parse_bytes(N_HEX.as_bytes(), 16).expect("N is hex");
    let g = BigUint::from(2u8);
    let k = hash_numbers(&[&n, &g]);
    Group { n, g, k }
});

/// Why a `PASSWORD_VERIFIER` challenge could not be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the sign-in challenge is invalid: {0}")]
pub struct SrpError(pub &'static str);

/// The client side of one SRP sign-in: a private value `a` and its public
/// `A = g^a mod N`. Make a new one for every sign-in; making it (one modular
/// power) may happen ahead of the sign-in, but a client is used once.
pub struct SrpClient {
    a: BigUint,
    big_a: BigUint,
}

impl std::fmt::Debug for SrpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SrpClient").finish_non_exhaustive()
    }
}

impl SrpClient {
    /// A client with 32 random bytes from the OS as its private value: 256
    /// bits, what RFC 5054 asks of `a` (at least 256 bits) and four times
    /// faster to raise to than the 1024 bits some clients use.
    pub fn new() -> Result<Self, getrandom::Error> {
        let mut a = [0u8; 32];
        getrandom::getrandom(&mut a)?;
        Ok(Self::with_private_value(&a))
    }

    /// A client with the given private value (big-endian). Only for tests
    /// that compare against other implementations: reusing `a` leaks it.
    pub fn with_private_value(a: &[u8]) -> Self {
        let group = &*GROUP;
        let a = BigUint::from_bytes_be(a) % &group.n;
        let big_a = group.g.modpow(&a, &group.n);
        Self { a, big_a }
    }

    /// `SRP_A` for `InitiateAuth`: `A` in lower-case hex.
    pub fn public_a(&self) -> String {
        self.big_a.to_str_radix(16)
    }

    /// `PASSWORD_CLAIM_SIGNATURE` for the `PASSWORD_VERIFIER` challenge.
    ///
    /// `pool_id` is the whole user-pool id (`eu-west-1_AbC`); `timestamp` is
    /// the one sent back as `TIMESTAMP` (see [`timestamp`]).
    pub fn password_signature(
        &self,
        pool_id: &str,
        password: &str,
        challenge: &VerifierChallenge<'_>,
        timestamp: &str,
    ) -> Result<String, SrpError> {
        let pool_name = pool_id.split_once('_').map_or(pool_id, |(_, name)| name);
        self.signature(pool_name, password, challenge, timestamp)
    }

    /// `PASSWORD_CLAIM_SIGNATURE` for a remembered device's
    /// `DEVICE_PASSWORD_VERIFIER` challenge: the same proof with the device
    /// group key in the pool name's place, the device key in the user's
    /// (`challenge.user_id`) and the device password.
    pub fn device_signature(
        &self,
        group_key: &str,
        device_password: &str,
        challenge: &VerifierChallenge<'_>,
        timestamp: &str,
    ) -> Result<String, SrpError> {
        self.signature(group_key, device_password, challenge, timestamp)
    }

    fn signature(
        &self,
        realm: &str,
        password: &str,
        challenge: &VerifierChallenge<'_>,
        timestamp: &str,
    ) -> Result<String, SrpError> {
        let VerifierChallenge {
            user_id,
            salt,
            srp_b,
            secret_block,
        } = *challenge;
        let group = &*GROUP;
        let salt = parse_hex(salt).ok_or(SrpError("SALT is not hex"))?;
        let big_b = parse_hex(srp_b).ok_or(SrpError("SRP_B is not hex"))?;
        let secret_block = STANDARD
            .decode(secret_block)
            .map_err(|_| SrpError("SECRET_BLOCK is not base64"))?;
        if (&big_b % &group.n) == BigUint::ZERO {
            return Err(SrpError("SRP_B is zero modulo N"));
        }
        let u = hash_numbers(&[&self.big_a, &big_b]);
        if u == BigUint::ZERO {
            return Err(SrpError("the scrambling value is zero"));
        }
        let x = private_key(&salt, realm, user_id, password);
        // S = (B - k·g^x)^(a + u·x) mod N, kept non-negative.
        let kgx = (&group.k * group.g.modpow(&x, &group.n)) % &group.n;
        let base = (&big_b % &group.n + &group.n - kgx) % &group.n;
        let s = base.modpow(&(&self.a + &u * &x), &group.n);

        // One HKDF-SHA256 block, salted with u, keyed with S.
        let prk = hmac(&padded(&u), &[&padded(&s)]);
        let key = hmac(&prk, &[b"Caldera Derived Key\x01"]);
        let signature = hmac(
            &key[..16],
            &[
                realm.as_bytes(),
                user_id.as_bytes(),
                &secret_block,
                timestamp.as_bytes(),
            ],
        );
        Ok(STANDARD.encode(signature))
    }
}

/// `x = H(PAD(salt) | H(realm | user | ":" | password))`: the pool name and
/// user id for a player, the group key and device key for a device.
fn private_key(salt: &BigUint, realm: &str, user: &str, password: &str) -> BigUint {
    let identity = Sha256::new()
        .chain_update(realm)
        .chain_update(user)
        .chain_update(":")
        .chain_update(password)
        .finalize();
    BigUint::from_bytes_be(
        &Sha256::new()
            .chain_update(padded(salt))
            .chain_update(identity)
            .finalize(),
    )
}

/// What `ConfirmDevice` takes to remember a device (its
/// `DeviceSecretVerifierConfig`): the verifier `g^x` of the device password
/// and the salt, both base64 of their big-endian bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceVerifier {
    /// `PasswordVerifier`.
    pub password_verifier: String,
    /// `Salt`.
    pub salt: String,
}

/// The verifier of `device_password` for the device `device_key` of the
/// group `group_key`, with `salt` (16 random bytes).
pub fn device_verifier(
    group_key: &str,
    device_key: &str,
    device_password: &str,
    salt: &[u8],
) -> DeviceVerifier {
    let group = &*GROUP;
    let salt = BigUint::from_bytes_be(salt);
    let x = private_key(&salt, group_key, device_key, device_password);
    let verifier = group.g.modpow(&x, &group.n);
    DeviceVerifier {
        password_verifier: STANDARD.encode(padded(&verifier)),
        salt: STANDARD.encode(padded(&salt)),
    }
}

/// The parameters of a `PASSWORD_VERIFIER` challenge, as Cognito sends them.
#[derive(Debug, Clone, Copy)]
pub struct VerifierChallenge<'a> {
    /// `USER_ID_FOR_SRP`: the internal username; for a device's
    /// `DEVICE_PASSWORD_VERIFIER`, the device key.
    pub user_id: &'a str,
    /// `SALT`, hex.
    pub salt: &'a str,
    /// `SRP_B`, hex.
    pub srp_b: &'a str,
    /// `SECRET_BLOCK`, base64.
    pub secret_block: &'a str,
}

/// `SECRET_HASH`: `base64(HMAC-SHA256(client_secret, username + client_id))`.
pub fn secret_hash(client_secret: &str, username: &str, client_id: &str) -> String {
    STANDARD.encode(hmac(
        client_secret.as_bytes(),
        &[username.as_bytes(), client_id.as_bytes()],
    ))
}

/// `TIMESTAMP` as Cognito wants it: `Mon Jan 1 09:05:00 UTC 2024`, English,
/// UTC, the day of the month not zero-padded.
pub fn timestamp(at: SystemTime) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let seconds = at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = seconds / 86_400;
    let time = seconds % 86_400;
    let (year, month, day) = crate::date::civil_from_days(days);
    format!(
        "{} {} {day} {:02}:{:02}:{:02} UTC {year}",
        DAYS[(days % 7) as usize],
        MONTHS[month as usize - 1],
        time / 3600,
        time / 60 % 60,
        time % 60,
    )
}

/// Minimal big-endian bytes, with a leading zero byte when the high bit is
/// set, as Java's `BigInteger.toByteArray` gives them.
fn padded(number: &BigUint) -> Vec<u8> {
    let bytes = number.to_bytes_be();
    if bytes[0] & 0x80 != 0 {
        let mut with_sign = Vec::with_capacity(bytes.len() + 1);
        with_sign.push(0);
        with_sign.extend_from_slice(&bytes);
        with_sign
    } else {
        bytes
    }
}

fn hash_numbers(numbers: &[&BigUint]) -> BigUint {
    let mut hash = Sha256::new();
    for number in numbers {
        hash.update(padded(number));
    }
    BigUint::from_bytes_be(&hash.finalize())
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

fn parse_hex(hex: &str) -> Option<BigUint> {
    if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    BigUint::parse_bytes(hex.as_bytes(), 16)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps_do_not_pad_the_day() {
        let at = |secs| timestamp(UNIX_EPOCH + Duration::from_secs(secs));
        assert_eq!(at(0), "Thu Jan 1 00:00:00 UTC 1970");
        assert_eq!(at(1_704_067_200), "Mon Jan 1 00:00:00 UTC 2024");
        assert_eq!(at(1_709_210_096), "Thu Feb 29 12:34:56 UTC 2024");
        assert_eq!(at(1_767_225_599), "Wed Dec 31 23:59:59 UTC 2025");
    }

    #[test]
    fn secret_hash_matches_the_published_formula() {
        // printf 'ada1example' | openssl dgst -sha256 -hmac 'secret' -binary | base64
        assert_eq!(
            secret_hash("secret", "ada", "1example"),
            "aQtQ3MFFO+4pED6DJXAoxDT6i/fh6618WPYSFTpSt5w="
        );
    }

    #[test]
    fn bad_challenges_are_refused() {
        let client = SrpClient::with_private_value(&[7; 128]);
        let sign = |salt, srp_b, secret_block| {
            let challenge = VerifierChallenge {
                user_id: "u",
                salt,
                srp_b,
                secret_block,
            };
            client.password_signature("eu-west-1_Pool", "pw", &challenge, "t")
        };
        assert!(sign("zz", "02", "AA==").is_err());
        assert!(sign("01", "", "AA==").is_err());
        assert!(sign("01", "02", "not base64!").is_err());
        assert!(sign("01", N_HEX, "AA==").is_err());
        assert!(sign("01", "02", "AA==").is_ok());
    }
}
