//! Sampled audits: which of a round's submissions each node audits.
//!
//! Auditing every other submission costs each node N payload fetches and
//! audit runs per round (N² in all). Instead each submitter audits `k`
//! others. Submissions are numbered in the order they land
//! (`Submission::index`, `0..n`); for a round, distinct offsets in `1..n`
//! are drawn from `sha256(seed ‖ task ‖ round ‖ n ‖ j)`, and the submitter
//! at index `i` audits the submissions at `i + offset (mod n)` for the
//! first `k` offsets. So every submission has exactly `min(k, n - 1)`
//! auditors (those at `t - offset`), not merely "enough with high
//! probability", and anyone can recompute any node's assignment from
//! public data.
//!
//! **The seed** is the hash of the first block after the submit window
//! (`logic::audit_seed`, recorded in the `Round`): unknown to every
//! submitter while it can still choose its landing position or withhold a
//! submission to change `n`, so no landing order and no withholding choice
//! steers a submission's auditors.
//!
//! **Backup auditors.** The draw continues past `k`: the offsets after the
//! first `k` name, for each submission, its backup auditors in order. A
//! submitter that never revealed (offline, late) audits nothing, and the
//! next live auditors in its targets' draw order take over, so each live
//! submission keeps `k` live auditors while `k` of its drawn auditors live
//! (`live_targets`). The draw is sequential, so a longer draw extends a
//! shorter one, and a node that samples more audits a superset of what the
//! default assigns. A cheat escapes only if all of its live auditors
//! collude: about `f^k` per round for a fraction `f` of colluders, and a
//! challenged submission is still voted on by every eligible node.

use anchor_lang::prelude::Pubkey;

/// Submissions a node audits per round unless configured otherwise.
pub const DEFAULT_AUDITS_PER_ROUND: u32 = 4;

/// Backups drawn past `k` when a round has offline submitters: enough that
/// a submission keeps `k` live auditors with near certainty at the
/// round's observed offline fraction (see `backup_depth`), and never more
/// than this, so a node's lookups stay bounded at any round size.
pub const MAX_BACKUP_DEPTH: u32 = 24;

/// Domain separation for the offsets' hash.
const SAMPLE_DOMAIN: &[u8] = b"tasknet:audit-sample";

/// One round's audit assignment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditSample {
    submissions: u32,
    /// The draw: the first `audits` are every submitter's primary offsets,
    /// the rest its backups, in order.
    offsets: Vec<u32>,
    audits: u32,
}

impl AuditSample {
    /// The assignment of `round` of `task` with `submissions` submissions,
    /// `audits_per_node` audits each, drawn from the round's audit `seed`.
    pub fn new(
        task: &Pubkey,
        round: u64,
        seed: &[u8; 32],
        submissions: u32,
        audits_per_node: u32,
    ) -> Self {
        Self::with_backups(task, round, seed, submissions, audits_per_node, 0)
    }

    /// The same assignment with `backups` more auditors drawn per
    /// submission, who take over from offline ones (`live_targets`).
    pub fn with_backups(
        task: &Pubkey,
        round: u64,
        seed: &[u8; 32],
        submissions: u32,
        audits_per_node: u32,
        backups: u32,
    ) -> Self {
        let others = submissions.saturating_sub(1);
        let audits = audits_per_node.min(others);
        let wanted = audits.saturating_add(backups).min(others);
        let offsets = if audits == others {
            // Everyone audits everyone else: no draw needed.
            (1..=others).collect()
        } else {
            draw_offsets(seed, task, round, submissions, wanted)
        };
        Self {
            submissions,
            offsets,
            audits,
        }
    }

    /// How many auditors each submission has (and audits each node runs).
    pub fn audits_per_node(&self) -> u32 {
        self.audits
    }

    fn primary(&self) -> &[u32] {
        self.offsets
            .get(..self.audits as usize)
            .unwrap_or(&self.offsets)
    }

    /// The indices the submitter at `auditor` audits.
    pub fn targets(&self, auditor: u32) -> impl Iterator<Item = u32> + '_ {
        let n = u64::from(self.submissions);
        self.primary()
            .iter()
            .filter(move |_| u64::from(auditor) < n)
            .map(move |&o| forward(auditor, o, n))
    }

    /// The indices of the submitters that audit the submission at `target`.
    pub fn auditors(&self, target: u32) -> impl Iterator<Item = u32> + '_ {
        let n = u64::from(self.submissions);
        self.primary()
            .iter()
            .filter(move |_| u64::from(target) < n)
            .map(move |&o| back(target, o, n))
    }

    /// Whether the submitter at `auditor` is assigned the one at `target`.
    pub fn assigned(&self, auditor: u32, target: u32) -> bool {
        self.targets(auditor).any(|t| t == target)
    }

    /// The submissions the submitter at `auditor` audits when only live
    /// submitters audit and only live submissions need auditing: each
    /// target `t = auditor + o_j` for which `auditor` is among the first
    /// `k` live submitters of `t`'s draw (`t - o_1, t - o_2, …`).
    /// `is_live` is asked about the indices `liveness_needed` lists.
    pub fn live_targets(&self, auditor: u32, is_live: impl Fn(u32) -> bool) -> Vec<u32> {
        let n = u64::from(self.submissions);
        if u64::from(auditor) >= n || !is_live(auditor) {
            return Vec::new();
        }
        let mut targets = Vec::new();
        for (j, &offset) in self.offsets.iter().enumerate() {
            let target = forward(auditor, offset, n);
            if !is_live(target) {
                continue;
            }
            if j < self.audits as usize {
                // Fewer than k auditors come before it in the draw: a
                // primary target, whoever else lives.
                targets.push(target);
                continue;
            }
            let before = self.offsets.get(..j).unwrap_or_default();
            let live_before = before
                .iter()
                .filter(|&&o| is_live(back(target, o, n)))
                .take(self.audits as usize)
                .count();
            if (live_before as u64) < u64::from(self.audits) {
                targets.push(target);
            }
        }
        targets
    }

    /// The live auditors of the submission at `target`, in draw order: at
    /// most `k`, fewer only when fewer of its drawn auditors live.
    pub fn live_auditors(&self, target: u32, is_live: impl Fn(u32) -> bool) -> Vec<u32> {
        let n = u64::from(self.submissions);
        if u64::from(target) >= n {
            return Vec::new();
        }
        self.offsets
            .iter()
            .map(|&o| back(target, o, n))
            .filter(|&a| is_live(a))
            .take(self.audits as usize)
            .collect()
    }

    /// The indices whose liveness `live_targets(auditor, …)` asks about:
    /// its own, its candidate targets and their earlier auditors in the
    /// draw. Bounded by the draw's length, whatever the round's size.
    pub fn liveness_needed(&self, auditor: u32) -> Vec<u32> {
        let n = u64::from(self.submissions);
        let mut needed = vec![auditor];
        for (j, &offset) in self.offsets.iter().enumerate() {
            let target = forward(auditor, offset, n);
            needed.push(target);
            for &o in self.offsets.get(..j).unwrap_or_default() {
                needed.push(back(target, o, n));
            }
        }
        needed.sort_unstable();
        needed.dedup();
        needed
    }
}

/// Backups to draw for a round in which `live` of `submissions` submitters
/// revealed: none when all are live; otherwise the smallest depth at which
/// a submission has fewer than `k` live auditors among `k + depth` drawn
/// with probability below 1 / (100 · n) (so, across the round, rarely
/// anywhere), capped at `MAX_BACKUP_DEPTH`. Every node computes the same
/// depth from the round account.
pub fn backup_depth(submissions: u32, live: u32, audits_per_node: u32) -> u32 {
    if live >= submissions || submissions == 0 {
        return 0;
    }
    let p_live = f64::from(live) / f64::from(submissions);
    let limit = 0.01 / f64::from(submissions);
    let k = audits_per_node;
    (0..=MAX_BACKUP_DEPTH)
        .find(|&backups| short_of_k(k.saturating_add(backups), k, p_live) < limit)
        .unwrap_or(MAX_BACKUP_DEPTH)
}

/// P(fewer than `k` live among `drawn`), each live with `p_live`.
fn short_of_k(drawn: u32, k: u32, p_live: f64) -> f64 {
    let (mut term, mut sum) = ((1.0 - p_live).powi(drawn as i32), 0.0);
    for live in 0..k.min(drawn.saturating_add(1)) {
        sum += term;
        // C(d, l+1) p^(l+1) q^(d-l-1) from C(d, l) p^l q^(d-l).
        let d = f64::from(drawn);
        let l = f64::from(live);
        term *= (d - l) / (l + 1.0) * p_live / (1.0 - p_live).max(f64::MIN_POSITIVE);
    }
    sum
}

/// `auditor + offset (mod n)`.
fn forward(auditor: u32, offset: u32, n: u64) -> u32 {
    ring(u64::from(auditor).saturating_add(u64::from(offset)), n)
}

/// `target - offset (mod n)`.
fn back(target: u32, offset: u32, n: u64) -> u32 {
    ring(
        u64::from(target)
            .saturating_add(n)
            .saturating_sub(u64::from(offset)),
        n,
    )
}

/// `x mod n` as an index; `n` is a `u32` count, so the result fits (and
/// `x`, a sum of two such indices, cannot overflow: the saturating forms
/// above only satisfy the program's no-unchecked-arithmetic rule).
fn ring(x: u64, n: u64) -> u32 {
    u32::try_from(x.checked_rem(n).unwrap_or(0)).unwrap_or(0)
}

/// `wanted` distinct offsets in `1..n` (`wanted <= n - 1`), drawn in order
/// from the round's hash chain, so a longer draw extends a shorter one.
fn draw_offsets(
    seed: &[u8; 32],
    task: &Pubkey,
    round: u64,
    submissions: u32,
    wanted: u32,
) -> Vec<u32> {
    let span = u64::from(submissions.saturating_sub(1));
    let mut offsets: Vec<u32> = Vec::with_capacity(wanted as usize);
    let mut draw: u64 = 0;
    while (offsets.len() as u64) < u64::from(wanted) {
        let hash = solana_sha256_hasher::hashv(&[
            SAMPLE_DOMAIN,
            seed,
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

    const SEED: [u8; 32] = [3; 32];

    fn seed(i: u64) -> [u8; 32] {
        solana_sha256_hasher::hashv(&[b"test-seed", &i.to_le_bytes()]).to_bytes()
    }

    #[test]
    fn small_rounds_audit_everyone_else() {
        let sample = AuditSample::new(&task(), 0, &SEED, 5, DEFAULT_AUDITS_PER_ROUND);
        assert_eq!(sample.audits_per_node(), 4);
        for auditor in 0..5 {
            let targets: HashSet<u32> = sample.targets(auditor).collect();
            let expected: HashSet<u32> = (0..5).filter(|&t| t != auditor).collect();
            assert_eq!(targets, expected);
        }
        assert_eq!(
            AuditSample::new(&task(), 0, &SEED, 1, 4).targets(0).count(),
            0
        );
        assert_eq!(
            AuditSample::new(&task(), 0, &SEED, 0, 4).targets(0).count(),
            0
        );
    }

    #[test]
    fn the_draw_depends_on_seed_task_and_round() {
        let a = AuditSample::new(&task(), 3, &SEED, 1_000, 4);
        assert_eq!(
            a,
            AuditSample::new(&task(), 3, &SEED, 1_000, 4),
            "deterministic"
        );
        assert_ne!(a, AuditSample::new(&task(), 4, &SEED, 1_000, 4));
        assert_ne!(a, AuditSample::new(&task(), 3, &[4; 32], 1_000, 4));
        let other = Pubkey::new_from_array([1; 32]);
        assert_ne!(a, AuditSample::new(&other, 3, &SEED, 1_000, 4));
    }

    /// The attack the seed closes. A cheat and its friends choose their
    /// landing positions, and how many friends withhold their submissions
    /// (which changes `n`), before the draw. Knowing the draw in advance
    /// (a seed everyone can compute, as before it was recorded from a slot
    /// hash) they place friends exactly where the cheat's auditors will be
    /// and escape every time. With the seed unknown when they choose, every
    /// placement — each tailored to some past seed, with every withholding
    /// choice — escapes on fresh seeds no more often than chance.
    #[test]
    fn no_landing_position_or_withholding_steers_the_auditors() {
        let (honest, friends, k) = (40u32, 10u32, 2u32);
        let cheat = 0u32;
        // Friends placed for `seed`'s draw with `withheld` of them absent:
        // at the cheat's auditors' positions, then anywhere else.
        let placement = |seed: &[u8; 32], withheld: u32| {
            let n = honest + 1 + friends - withheld;
            let sample = AuditSample::new(&task(), 7, seed, n, k);
            let mut at: Vec<u32> = sample.auditors(cheat).collect();
            let rest: Vec<u32> = (1..n).filter(|p| !at.contains(p)).collect();
            at.extend(rest);
            at.truncate((friends - withheld) as usize);
            (n, at.into_iter().collect::<HashSet<u32>>())
        };
        let escapes = |seed: &[u8; 32], (n, friendly): &(u32, HashSet<u32>)| {
            let sample = AuditSample::new(&task(), 7, seed, *n, k);
            let escaped = sample.auditors(cheat).all(|a| friendly.contains(&a));
            escaped
        };
        // Known in advance: every withholding choice escapes.
        let known = [0u8; 32];
        for withheld in 0..friends - k {
            assert!(escapes(&known, &placement(&known, withheld)));
        }
        // Unknown: the placements for 40 past seeds and every withholding
        // choice, each played on 400 fresh seeds.
        let fresh: Vec<[u8; 32]> = (1_000..1_400).map(seed).collect();
        let mut worst = 0.0f64;
        for past in 0..40 {
            for withheld in 0..friends - k {
                let plan = placement(&seed(past), withheld);
                let hits = fresh.iter().filter(|s| escapes(s, &plan)).count();
                worst = worst.max(hits as f64 / fresh.len() as f64);
            }
        }
        // Chance: both auditors among the friends, (10/50)^2 = 4 %; the
        // worst of 320 plans stays within noise of it.
        let chance = f64::from(friends * friends) / f64::from((honest + friends).pow(2));
        assert!(
            worst < 2.5 * chance,
            "a plan escaped {worst} of the time (chance {chance})"
        );
    }

    #[test]
    fn offline_auditors_pass_their_targets_to_backups() {
        let n = 1_000;
        let offline: HashSet<u32> = (0..n).filter(|i| i % 10 == 3).collect();
        let is_live = |i: u32| !offline.contains(&i);
        let depth = backup_depth(n, n - offline.len() as u32, 4);
        assert!(depth > 0 && depth <= MAX_BACKUP_DEPTH);
        let sample = AuditSample::with_backups(&task(), 1, &SEED, n, 4, depth);
        let mut coverage = vec![0u32; n as usize];
        for auditor in 0..n {
            let targets = sample.live_targets(auditor, is_live);
            if offline.contains(&auditor) {
                assert!(targets.is_empty(), "offline nodes audit nothing");
            }
            for t in targets {
                assert!(is_live(t));
                coverage[t as usize] += 1;
            }
        }
        for t in (0..n).filter(|&t| is_live(t)) {
            assert_eq!(coverage[t as usize], 4, "submission {t}");
            assert_eq!(sample.live_auditors(t, is_live).len(), 4);
        }
        // Without backups the same round leaves submissions short.
        let plain = AuditSample::new(&task(), 1, &SEED, n, 4);
        let short = (0..n)
            .filter(|&t| is_live(t) && plain.auditors(t).filter(|&a| is_live(a)).count() < 4)
            .count();
        assert!(short > 100, "{short}");
    }

    #[test]
    fn backup_depth_grows_with_the_offline_share_and_is_bounded() {
        assert_eq!(backup_depth(10_000, 10_000, 4), 0);
        let ten = backup_depth(10_000, 9_000, 4);
        let thirty = backup_depth(10_000, 7_000, 4);
        assert!(
            0 < ten && ten < thirty && thirty <= MAX_BACKUP_DEPTH,
            "{ten} {thirty}"
        );
        assert_eq!(backup_depth(10_000, 10, 4), MAX_BACKUP_DEPTH);
    }

    proptest! {
        /// Every submission has exactly k auditors, none of them itself,
        /// and `auditors` inverts `targets`.
        #[test]
        fn coverage_is_exact(n in 2u32..300, k in 1u32..8, round in 0u64..1_000, s in 0u64..50) {
            let sample = AuditSample::new(&task(), round, &seed(s), n, k);
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
            let small = AuditSample::new(&task(), 7, &SEED, n, k);
            let large = AuditSample::new(&task(), 7, &SEED, n, k + more);
            for auditor in 0..n.min(20) {
                let large: HashSet<u32> = large.targets(auditor).collect();
                prop_assert!(small.targets(auditor).all(|t| large.contains(&t)));
            }
        }

        /// With backups, every live submission has exactly
        /// min(k, its live drawn auditors) live auditors, the live-target
        /// lists agree with `live_auditors`, and with everyone live the
        /// assignment is the plain one.
        #[test]
        fn live_coverage_is_exact(n in 2u32..200, k in 1u32..6, backups in 0u32..10, dead in proptest::collection::vec(any::<bool>(), 200)) {
            let is_live = |i: u32| !dead[i as usize];
            let sample = AuditSample::with_backups(&task(), 2, &SEED, n, k, backups);
            let mut audited = vec![Vec::new(); n as usize];
            for auditor in 0..n {
                let needed: HashSet<u32> = sample.liveness_needed(auditor).into_iter().collect();
                let targets = sample.live_targets(auditor, |i| {
                    assert!(needed.contains(&i), "asked about {i}, not listed");
                    is_live(i)
                });
                for t in targets {
                    audited[t as usize].push(auditor);
                }
                if (0..n).all(is_live) {
                    let plain: Vec<u32> = sample.targets(auditor).collect();
                    let live: Vec<u32> = sample.live_targets(auditor, is_live);
                    prop_assert_eq!(plain, live);
                }
            }
            for t in (0..n).filter(|&t| is_live(t)) {
                let mut expected = sample.live_auditors(t, is_live);
                expected.sort_unstable();
                let mut got = audited[t as usize].clone();
                got.sort_unstable();
                prop_assert_eq!(got, expected);
            }
        }
    }
}
