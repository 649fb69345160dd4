//! Secrets (enrollment tokens, API tokens, device secrets) are random, shown once and stored
//! only as SHA-256 hashes. They carry 190+ bits of entropy, so a fast hash is the right tool;
//! passwords (low entropy) use argon2id elsewhere.

use rand::distributions::Alphanumeric;
use rand::Rng;
use sha2::{Digest, Sha256};

/// Prefix of enrollment tokens.
pub const ENROLL_PREFIX: &str = "stwe_";
/// Prefix of API tokens.
pub const API_PREFIX: &str = "stwa_";

/// A new random secret: `prefix` followed by 40 alphanumeric characters.
pub fn generate(prefix: &str) -> String {
    let body: String = rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(40)
        .map(char::from)
        .collect();
    format!("{prefix}{body}")
}

pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The part of a secret that may be shown in lists: its prefix and first four characters.
pub fn display_prefix(secret: &str) -> String {
    secret.chars().take(9).collect()
}

/// Constant-time comparison of two hashes.
pub fn hashes_equal(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_unique_and_hash_stably() {
        let a = generate(ENROLL_PREFIX);
        let b = generate(ENROLL_PREFIX);
        assert_ne!(a, b);
        assert!(a.starts_with(ENROLL_PREFIX));
        assert_eq!(a.len(), ENROLL_PREFIX.len() + 40);
        assert_eq!(hash(&a), hash(&a));
        assert_ne!(hash(&a), hash(&b));
        assert!(hashes_equal(&hash(&a), &hash(&a)));
        assert!(!hashes_equal(&hash(&a), &hash(&b)));
        assert_eq!(display_prefix(&a).len(), 9);
    }
}
