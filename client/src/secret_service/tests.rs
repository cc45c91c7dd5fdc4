use super::*;

/// Both halves of the exchange derive the same key, and a public key of
/// 0, 1 or p-1 is refused.
#[test]
fn both_sides_derive_one_key() {
    let prime = BigUint::from_bytes_be(&PRIME);
    let ours = BigUint::from_bytes_be(&random::<32>());
    let theirs = BigUint::from_bytes_be(&random::<128>());
    let our_public = BigUint::from(2u8).modpow(&ours, &prime).to_bytes_be();
    let their_public = BigUint::from(2u8).modpow(&theirs, &prime).to_bytes_be();
    let key = shared_key(&ours, &their_public).unwrap();
    assert_eq!(shared_key(&theirs, &our_public), Some(key));
    for bad in [vec![0], vec![1], (&prime - 1u8).to_bytes_be()] {
        assert_eq!(shared_key(&ours, &bad), None);
    }
}

/// What one side encrypts, the other decrypts; a wrong key or a cut
/// ciphertext is refused, never a panic.
#[test]
fn secrets_round_trip() {
    use aes::cipher::{BlockEncryptMut, KeyIvInit, block_padding::Pkcs7};
    let key = random::<16>();
    let iv = random::<16>();
    let value = cbc::Encryptor::<aes::Aes128>::new(&key.into(), &iv.into())
        .encrypt_padded_vec_mut::<Pkcs7>(b"refresh token");
    assert_ne!(value, b"refresh token");
    assert_eq!(
        decrypt(&key, &iv, &value).as_deref(),
        Some(&b"refresh token"[..])
    );
    assert_ne!(
        decrypt(&random::<16>(), &iv, &value).as_deref(),
        Some(&b"refresh token"[..])
    );
    assert_eq!(decrypt(&key, &iv, &value[..value.len() - 1]), None);
    assert_eq!(decrypt(&key, &iv[..8], &value), None);
}
