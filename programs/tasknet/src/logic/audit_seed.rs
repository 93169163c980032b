//! The audit seed: randomness nobody knows while submissions land.
//!
//! A round's audit sample is drawn from the hash of the first block at or
//! after the round's *seed slot* (`submit_end`: the first slot after the
//! submit window), read from the `SlotHashes` sysvar and stored in the
//! `Round`. Every submission landed before that block was produced, so no
//! submitter can steer its auditors by its landing position or by
//! withholding (which changes `n`): the draw is unknown until the submit
//! window is over. The slot is fixed by the schedule, not by whoever records
//! it, so a recorder cannot pick among slot hashes either: every recorder
//! finds the same entry while it is in the sysvar (the last 512 slots).

use crate::logic::Schedule;

/// Entries the `SlotHashes` sysvar keeps (the newest first).
pub const SLOT_HASHES_MAX_ENTRIES: usize = 512;
/// `u64` entry count, then `(slot: u64, hash: [u8; 32])` entries.
const HEADER: usize = 8;
const ENTRY: usize = 8 + 32;

/// The slot whose block hash seeds `round`'s audit sample.
pub fn seed_slot(schedule: &Schedule, round: u64) -> u64 {
    schedule.submit_end(round)
}

/// What the `SlotHashes` sysvar says about a seed slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeedLookup {
    /// The first block at or after the seed slot (`slot` may be later than
    /// the seed slot when that slot was skipped).
    Found { slot: u64, hash: [u8; 32] },
    /// No block at or after the seed slot yet: the submit window has not
    /// closed, or its first block is still being produced.
    NotYet,
    /// The seed slot left the sysvar (more than 512 slots ago), so the
    /// first block after it can no longer be told from a later one.
    Expired,
    /// The data is not a `SlotHashes` sysvar.
    Malformed,
}

/// Finds the seed of a round whose seed slot is `target` in the raw data of
/// the `SlotHashes` sysvar: the entry with the smallest slot `>= target`.
/// Reads two dozen entries at most (binary search), never the whole sysvar.
pub fn find_seed(slot_hashes: &[u8], target: u64) -> SeedLookup {
    let Some(count) = read_u64(slot_hashes, 0) else {
        return SeedLookup::Malformed;
    };
    let Ok(count) = usize::try_from(count) else {
        return SeedLookup::Malformed;
    };
    let fits = count
        .checked_mul(ENTRY)
        .and_then(|b| b.checked_add(HEADER))
        .is_some_and(|end| end <= slot_hashes.len());
    if !fits {
        return SeedLookup::Malformed;
    }
    let slot_at = |i: usize| read_u64(slot_hashes, HEADER.saturating_add(i.saturating_mul(ENTRY)));
    // Slots descend; the entries at or after `target` are a prefix of
    // length `at_or_after`.
    let (mut low, mut high) = (0usize, count);
    while low < high {
        let mid = low.saturating_add(high.saturating_sub(low) / 2);
        if slot_at(mid).unwrap_or(0) >= target {
            low = mid.saturating_add(1);
        } else {
            high = mid;
        }
    }
    let at_or_after = low;
    let Some(found) = at_or_after.checked_sub(1) else {
        return SeedLookup::NotYet;
    };
    if at_or_after == count && count >= SLOT_HASHES_MAX_ENTRIES {
        // Every kept entry is at or after the seed slot and older ones were
        // dropped: the first block after it may be among them.
        return SeedLookup::Expired;
    }
    let offset = HEADER.saturating_add(found.saturating_mul(ENTRY));
    let hash = slot_hashes
        .get(offset.saturating_add(8)..offset.saturating_add(ENTRY))
        .and_then(|h| <[u8; 32]>::try_from(h).ok());
    match (slot_at(found), hash) {
        (Some(slot), Some(hash)) => SeedLookup::Found { slot, hash },
        _ => SeedLookup::Malformed,
    }
}

fn read_u64(data: &[u8], offset: usize) -> Option<u64> {
    let bytes = data.get(offset..offset.checked_add(8)?)?;
    Some(u64::from_le_bytes(bytes.try_into().ok()?))
}

/// The raw `SlotHashes` data for `entries` (newest first): what the
/// runtimes hold, for tests and the embedded chain.
pub fn encode_slot_hashes(entries: &[(u64, [u8; 32])]) -> Vec<u8> {
    let mut data = Vec::with_capacity(HEADER.saturating_add(entries.len().saturating_mul(ENTRY)));
    data.extend_from_slice(&(entries.len() as u64).to_le_bytes());
    for (slot, hash) in entries {
        data.extend_from_slice(&slot.to_le_bytes());
        data.extend_from_slice(hash);
    }
    data
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn hash(slot: u64) -> [u8; 32] {
        let mut h = [0u8; 32];
        h[..8].copy_from_slice(&slot.to_le_bytes());
        h[31] = 7;
        h
    }

    fn sysvar(slots: &[u64]) -> Vec<u8> {
        let entries: Vec<(u64, [u8; 32])> = slots.iter().map(|&s| (s, hash(s))).collect();
        encode_slot_hashes(&entries)
    }

    #[test]
    fn finds_the_first_block_at_or_after_the_seed_slot() {
        let data = sysvar(&[110, 109, 105, 104, 100]);
        let found = |target| find_seed(&data, target);
        assert_eq!(
            found(105),
            SeedLookup::Found {
                slot: 105,
                hash: hash(105)
            }
        );
        // 106..=108 skipped: the next block seeds.
        assert_eq!(
            found(106),
            SeedLookup::Found {
                slot: 109,
                hash: hash(109)
            }
        );
        assert_eq!(
            found(100),
            SeedLookup::Found {
                slot: 100,
                hash: hash(100)
            }
        );
        assert_eq!(found(111), SeedLookup::NotYet);
        // The whole history is kept (fewer than 512 entries): slot 100 is
        // the first block at or after 50.
        assert_eq!(
            found(50),
            SeedLookup::Found {
                slot: 100,
                hash: hash(100)
            }
        );
    }

    #[test]
    fn a_seed_slot_older_than_the_sysvar_is_expired() {
        let slots: Vec<u64> = (0..SLOT_HASHES_MAX_ENTRIES as u64)
            .map(|i| 2_000 - i)
            .collect();
        let data = sysvar(&slots);
        assert_eq!(find_seed(&data, 1_000), SeedLookup::Expired);
        let oldest = 2_000 - (SLOT_HASHES_MAX_ENTRIES as u64 - 1);
        assert_eq!(find_seed(&data, oldest), SeedLookup::Expired);
        assert!(matches!(
            find_seed(&data, oldest + 1),
            SeedLookup::Found { .. }
        ));
    }

    #[test]
    fn malformed_data_is_named() {
        assert_eq!(find_seed(&[], 5), SeedLookup::Malformed);
        let mut data = sysvar(&[9, 8]);
        data.truncate(data.len() - 1);
        assert_eq!(find_seed(&data, 5), SeedLookup::Malformed);
        assert_eq!(find_seed(&u64::MAX.to_le_bytes(), 5), SeedLookup::Malformed);
    }

    proptest! {
        /// Binary search agrees with a scan for every target.
        #[test]
        fn agrees_with_a_scan(mut slots in proptest::collection::btree_set(1u64..2_000, 1..60), target in 0u64..2_100) {
            let mut slots: Vec<u64> = std::mem::take(&mut slots).into_iter().rev().collect();
            slots.dedup();
            let data = sysvar(&slots);
            let scan = slots.iter().rev().find(|&&s| s >= target).copied();
            match (find_seed(&data, target), scan) {
                (SeedLookup::Found { slot, hash: h }, Some(s)) => {
                    prop_assert_eq!(slot, s);
                    prop_assert_eq!(h, hash(s));
                }
                (SeedLookup::NotYet, None) => {}
                (other, scan) => prop_assert!(false, "{other:?} vs {scan:?}"),
            }
        }
    }
}
