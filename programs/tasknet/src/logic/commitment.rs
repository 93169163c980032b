//! Commit–reveal: a node first posts `sha256(value ‖ salt ‖ node)` and only
//! reveals `value` after the submit window, so nobody can copy an answer
//! before the window closes. Binding the node's key into the hash stops a
//! copier from replaying someone else's commitment and later reveal.

use anchor_lang::prelude::Pubkey;

/// Bytes of salt a node mixes into its commitment.
pub const SALT_LEN: usize = 32;

pub fn commitment(value: &[u8], salt: &[u8; SALT_LEN], node: &Pubkey) -> [u8; 32] {
    solana_sha256_hasher::hashv(&[value, salt, node.as_ref()]).to_bytes()
}

/// What a plain (non commit–reveal) submission stores as its commitment,
/// so both kinds of task have a commitment to compare.
pub fn plain_value_hash(value: &[u8]) -> [u8; 32] {
    solana_sha256_hasher::hash(value).to_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commitment_binds_value_salt_and_node() {
        let node = Pubkey::new_from_array([7; 32]);
        let other = Pubkey::new_from_array([8; 32]);
        let salt = [1; SALT_LEN];
        let c = commitment(b"answer", &salt, &node);
        assert_eq!(c, commitment(b"answer", &salt, &node));
        assert_ne!(c, commitment(b"answer!", &salt, &node));
        assert_ne!(c, commitment(b"answer", &[2; SALT_LEN], &node));
        assert_ne!(c, commitment(b"answer", &salt, &other));
    }
}
