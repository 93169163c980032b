//! The example tasks' work, shared by their modules (`src/bin`) and tested
//! on the host. Built for `wasm32-wasip1`, each binary is a task module.

use sha2::{Digest, Sha256};

/// `rounds` iterations of sha256 over `seed`: the iterated-hash task, the
/// same work as the node's built-in example (`tasknet_node::code::IteratedHash`).
pub fn iterated_hash(seed: &[u8; 32], rounds: u32) -> [u8; 32] {
    let mut state = *seed;
    for _ in 0..rounds {
        state = Sha256::digest(state).into();
    }
    state
}

/// Iterations of the iterated-hash task.
pub const ITERATIONS: u32 = 10_000;

/// Chunks in a node's shard, and the sha256 iterations of each.
pub const SHARD_CHUNKS: usize = 64;
pub const CHUNK_ITERATIONS: u32 = 200;
/// Chunks an audit recomputes.
pub const AUDITED_CHUNKS: usize = 4;

/// The shard `node` works on in a round: `sha256(seed ‖ node)`, so every
/// node has its own work and anyone can tell whose it is.
pub fn shard(seed: &[u8; 32], node: &str) -> [u8; 32] {
    Sha256::new()
        .chain_update(seed)
        .chain_update(node.as_bytes())
        .finalize()
        .into()
}

/// Chunk `i` of a shard: `ITERATIONS` of sha256 over `shard ‖ i`.
pub fn chunk(shard: &[u8; 32], i: usize) -> [u8; 32] {
    let start: [u8; 32] = Sha256::new()
        .chain_update(shard)
        .chain_update((i as u64).to_le_bytes())
        .finalize()
        .into();
    iterated_hash(&start, CHUNK_ITERATIONS)
}

/// A node's whole shard: its chunks' hashes, in order.
pub fn shard_payload(seed: &[u8; 32], node: &str) -> Vec<u8> {
    let shard = shard(seed, node);
    (0..SHARD_CHUNKS).flat_map(|i| chunk(&shard, i)).collect()
}

/// Which chunks an audit recomputes: drawn from the payload's own hash, so
/// an auditor checks a part of the work instead of all of it. A submitter
/// commits to every chunk before the draw, but it can retry forgeries
/// until the draw misses them: an example of sharded work, not a sound
/// spot check. A sound one draws from randomness the submitter cannot know
/// when it submits (issue 21's seed fixed after the submit window).
pub fn audited_chunks(payload: &[u8]) -> Vec<usize> {
    let digest = Sha256::digest(payload);
    digest
        .iter()
        .take(AUDITED_CHUNKS)
        .map(|b| usize::from(*b) % SHARD_CHUNKS)
        .collect()
}

/// Whether `payload` is `node`'s shard for the round, judged on a sample
/// of its chunks.
pub fn audit_shard(seed: &[u8; 32], node: &str, payload: &[u8]) -> bool {
    if payload.len() != SHARD_CHUNKS * 32 {
        return false;
    }
    let shard = shard(seed, node);
    audited_chunks(payload)
        .into_iter()
        .all(|i| payload[i * 32..(i + 1) * 32] == chunk(&shard, i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_get_their_own_shards_and_audits_catch_a_wrong_one() {
        let seed = [3; 32];
        let mine = shard_payload(&seed, "node-a");
        assert_ne!(mine, shard_payload(&seed, "node-b"));
        assert!(audit_shard(&seed, "node-a", &mine));
        assert!(!audit_shard(&seed, "node-b", &mine), "another node's shard");
        // A payload whose every chunk is made up fails whatever is sampled.
        let forged: Vec<u8> = mine.iter().map(|b| b ^ 1).collect();
        assert!(!audit_shard(&seed, "node-a", &forged));
        assert!(
            !audit_shard(&seed, "node-a", &mine[..32]),
            "a short payload"
        );
    }
}
