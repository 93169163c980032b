//! Sampled audits: which of a round's submissions each node audits.
//!
//! Auditing every other submission costs each node N payload fetches and
//! audit runs per round (N² in all). Instead each submitter audits `k`
//! others. Submissions are numbered in the order they land
//! (`Submission::index`, `0..n`); for a round, `k` distinct offsets in
//! `1..n` are drawn from `sha256(task ‖ round ‖ n ‖ j)`, and the submitter
//! at index `i` audits the submissions at `i + offset (mod n)`. So every
//! submission has exactly `min(k, n - 1)` auditors (those at
//! `t - offset`), not merely "enough with high probability", and anyone can
//! recompute any node's assignment from public data.
//!
//! The draw is sequential, so a node that samples more (`k' > k`) audits a
//! superset of what the default assigns: raising `k` on some nodes never
//! lowers any submission's coverage. A cheat escapes only if all of its
//! auditors collude or are offline; with a fraction `f` of such auditors
//! that is about `f^k` per round, and a challenged submission is still
//! voted on by every eligible node.

use anchor_lang::prelude::Pubkey;

/// Submissions a node audits per round unless configured otherwise.
pub const DEFAULT_AUDITS_PER_ROUND: u32 = 4;

/// Domain separation for the offsets' hash.
const SAMPLE_DOMAIN: &[u8] = b"tasknet:audit-sample";

/// One round's audit assignment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditSample {
    submissions: u32,
    offsets: Vec<u32>,
}

impl AuditSample {
    /// The assignment of `round` of `task` with `submissions` submissions,
    /// `audits_per_node` audits each.
    pub fn new(task: &Pubkey, round: u64, submissions: u32, audits_per_node: u32) -> Self {
        let others = submissions.saturating_sub(1);
        let wanted = audits_per_node.min(others);
        let offsets = if wanted == others {
            // Everyone audits everyone else: no draw needed.
            (1..=others).collect()
        } else {
            draw_offsets(task, round, submissions, wanted)
        };
        Self {
            submissions,
            offsets,
        }
    }

    /// How many auditors each submission has (and audits each node runs).
    pub fn audits_per_node(&self) -> u32 {
        u32::try_from(self.offsets.len()).unwrap_or(u32::MAX)
    }

    /// The indices the submitter at `auditor` audits.
    pub fn targets(&self, auditor: u32) -> impl Iterator<Item = u32> + '_ {
        let n = u64::from(self.submissions);
        self.offsets
            .iter()
            .filter(move |_| u64::from(auditor) < n)
            .map(move |&o| ring(u64::from(auditor).saturating_add(u64::from(o)), n))
    }

    /// The indices of the submitters that audit the submission at `target`.
    pub fn auditors(&self, target: u32) -> impl Iterator<Item = u32> + '_ {
        let n = u64::from(self.submissions);
        self.offsets
            .iter()
            .filter(move |_| u64::from(target) < n)
            .map(move |&o| {
                ring(
                    u64::from(target)
                        .saturating_add(n)
                        .saturating_sub(u64::from(o)),
                    n,
                )
            })
    }

    /// Whether the submitter at `auditor` is assigned the one at `target`.
    pub fn assigned(&self, auditor: u32, target: u32) -> bool {
        self.targets(auditor).any(|t| t == target)
    }
}

/// `x mod n` as an index; `n` is a `u32` count, so the result fits (and
/// `x`, a sum of two such indices, cannot overflow: the saturating forms
/// above only satisfy the program's no-unchecked-arithmetic rule).
fn ring(x: u64, n: u64) -> u32 {
    u32::try_from(x.checked_rem(n).unwrap_or(0)).unwrap_or(0)
}

/// `wanted` distinct offsets in `1..n` (`wanted < n - 1`), drawn in order
/// from the round's hash chain, so a longer draw extends a shorter one.
fn draw_offsets(task: &Pubkey, round: u64, submissions: u32, wanted: u32) -> Vec<u32> {
    let span = u64::from(submissions.saturating_sub(1));
    let mut offsets: Vec<u32> = Vec::with_capacity(wanted as usize);
    let mut draw: u64 = 0;
    while (offsets.len() as u64) < u64::from(wanted) {
        let hash = solana_sha256_hasher::hashv(&[
            SAMPLE_DOMAIN,
            task.as_ref(),
            &round.to_le_bytes(),
            &submissions.to_le_bytes(),
            &draw.to_le_bytes(),
        ])
        .to_bytes();
        let word = hash.first_chunk::<8>().copied().unwrap_or_default();
        let offset = u64::from_le_bytes(word)
            .checked_rem(span)
            .unwrap_or(0)
            .saturating_add(1);
        let offset = u32::try_from(offset).unwrap_or(1);
        if !offsets.contains(&offset) {
            offsets.push(offset);
        }
        draw = draw.saturating_add(1);
    }
    offsets
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use proptest::prelude::*;

    use super::*;

    fn task() -> Pubkey {
        Pubkey::new_from_array([9; 32])
    }

    #[test]
    fn small_rounds_audit_everyone_else() {
        let sample = AuditSample::new(&task(), 0, 5, DEFAULT_AUDITS_PER_ROUND);
        assert_eq!(sample.audits_per_node(), 4);
        for auditor in 0..5 {
            let targets: HashSet<u32> = sample.targets(auditor).collect();
            let expected: HashSet<u32> = (0..5).filter(|&t| t != auditor).collect();
            assert_eq!(targets, expected);
        }
        assert_eq!(AuditSample::new(&task(), 0, 1, 4).targets(0).count(), 0);
        assert_eq!(AuditSample::new(&task(), 0, 0, 4).targets(0).count(), 0);
    }

    #[test]
    fn the_draw_depends_on_task_and_round() {
        let a = AuditSample::new(&task(), 3, 1_000, 4);
        assert_eq!(a, AuditSample::new(&task(), 3, 1_000, 4), "deterministic");
        assert_ne!(a, AuditSample::new(&task(), 4, 1_000, 4));
        assert_ne!(
            a,
            AuditSample::new(&Pubkey::new_from_array([1; 32]), 3, 1_000, 4)
        );
    }

    proptest! {
        /// Every submission has exactly k auditors, none of them itself,
        /// and `auditors` inverts `targets`.
        #[test]
        fn coverage_is_exact(n in 2u32..300, k in 1u32..8, round in 0u64..1_000) {
            let sample = AuditSample::new(&task(), round, n, k);
            let k = k.min(n - 1);
            let mut audited = vec![0u32; n as usize];
            for auditor in 0..n {
                let targets: Vec<u32> = sample.targets(auditor).collect();
                prop_assert_eq!(targets.len() as u32, k);
                prop_assert_eq!(targets.iter().collect::<HashSet<_>>().len() as u32, k);
                for t in targets {
                    prop_assert!(t < n && t != auditor);
                    prop_assert!(sample.auditors(t).any(|a| a == auditor));
                    prop_assert!(sample.assigned(auditor, t));
                    audited[t as usize] += 1;
                }
            }
            prop_assert!(audited.iter().all(|&c| c == k));
        }

        /// A node that samples more audits a superset of the default.
        #[test]
        fn a_larger_sample_extends_a_smaller_one(n in 2u32..500, k in 1u32..6, more in 1u32..6) {
            let small = AuditSample::new(&task(), 7, n, k);
            let large = AuditSample::new(&task(), 7, n, k + more);
            for auditor in 0..n.min(20) {
                let large: HashSet<u32> = large.targets(auditor).collect();
                prop_assert!(small.targets(auditor).all(|t| large.contains(&t)));
            }
        }
    }
}
