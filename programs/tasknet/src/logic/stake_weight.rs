//! Stake activation and vote weight.
//!
//! Stake added during round `k` counts from round `k + 1`: it waits in a
//! `pending` bucket tagged with the round it activates in. A node's weight
//! in round `r` is what was active before `s(r)`, so staking in cannot swing
//! a vote on a round that has already started.

use anchor_lang::prelude::*;

/// Active plus not-yet-active stake, for one node or for a whole task.
#[derive(
    AnchorSerialize,
    AnchorDeserialize,
    InitSpace,
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    bytemuck::Pod,
    bytemuck::Zeroable,
)]
#[repr(C)]
pub struct Bonded {
    /// Stake active since before the start of every round that can still be
    /// submitted to or voted on.
    pub active: u64,
    /// Stake that activates at round `pending_round`.
    pub pending: u64,
    pub pending_round: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StakeMathError {
    Overflow,
    /// A node topped up in round k-1 and again in round k; merging the first
    /// top-up would give it weight in round k-1 it did not have.
    StillActivating,
}

/// Why a node may not submit or vote on a round.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ineligible {
    Unbonding,
    /// Enough stake, but not all of it was active before the round began.
    NotActiveForRound,
    BelowMinimum,
}

impl Bonded {
    /// Total bonded, active or not.
    pub fn total(&self) -> u64 {
        self.active.saturating_add(self.pending)
    }

    /// Weight in round `round`: stake active before `s(round)`.
    pub fn weight_at(&self, round: u64) -> u64 {
        if self.pending_round <= round {
            self.total()
        } else {
            self.active
        }
    }

    /// Adds a node's stake at `current_round` (`None` before round 0). The
    /// pending bucket is merged into `active` only once no round that can
    /// still be voted on (the current and previous one) predates it.
    pub fn add_node_stake(
        &mut self,
        amount: u64,
        current_round: Option<u64>,
    ) -> core::result::Result<(), StakeMathError> {
        let activates = current_round.map_or(0, |r| r.saturating_add(1));
        if self.pending > 0 && self.pending_round != activates {
            match current_round {
                Some(k) if self.pending_round < k => self.merge_pending()?,
                _ => return Err(StakeMathError::StillActivating),
            }
        }
        self.add_pending(amount, activates)
    }

    /// Adds stake to a task's totals. The task only needs its weight for the
    /// current round (snapshotted when a round opens), so anything pending
    /// for the current round or earlier merges at once.
    pub fn add_task_stake(
        &mut self,
        amount: u64,
        current_round: Option<u64>,
    ) -> core::result::Result<(), StakeMathError> {
        let activates = current_round.map_or(0, |r| r.saturating_add(1));
        if self.pending > 0 && self.pending_round < activates {
            self.merge_pending()?;
        }
        self.add_pending(amount, activates)
    }

    /// Removes a node's stake buckets from a task's totals. The node's
    /// pending bucket is still pending at task level only if the task has not
    /// merged that round's pending stake yet.
    pub fn remove_node_stake(
        &mut self,
        node_active: u64,
        node_pending: u64,
        node_pending_round: u64,
    ) -> core::result::Result<(), StakeMathError> {
        let (from_active, from_pending) =
            if node_pending > 0 && node_pending_round == self.pending_round && self.pending > 0 {
                (node_active, node_pending)
            } else {
                (
                    node_active
                        .checked_add(node_pending)
                        .ok_or(StakeMathError::Overflow)?,
                    0,
                )
            };
        self.active = self
            .active
            .checked_sub(from_active)
            .ok_or(StakeMathError::Overflow)?;
        self.pending = self
            .pending
            .checked_sub(from_pending)
            .ok_or(StakeMathError::Overflow)?;
        Ok(())
    }

    /// Checks that a node may submit or vote on `round`; returns its weight.
    pub fn eligibility(
        &self,
        unbonding: u64,
        min_stake: u64,
        round: u64,
    ) -> core::result::Result<u64, Ineligible> {
        if unbonding > 0 {
            return Err(Ineligible::Unbonding);
        }
        let weight = self.weight_at(round);
        if weight >= min_stake && weight > 0 {
            Ok(weight)
        } else if self.total() >= min_stake && self.total() > 0 {
            Err(Ineligible::NotActiveForRound)
        } else {
            Err(Ineligible::BelowMinimum)
        }
    }

    fn merge_pending(&mut self) -> core::result::Result<(), StakeMathError> {
        self.active = self
            .active
            .checked_add(self.pending)
            .ok_or(StakeMathError::Overflow)?;
        self.pending = 0;
        Ok(())
    }

    fn add_pending(
        &mut self,
        amount: u64,
        activates: u64,
    ) -> core::result::Result<(), StakeMathError> {
        self.pending = self
            .pending
            .checked_add(amount)
            .ok_or(StakeMathError::Overflow)?;
        self.pending_round = activates;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn stake_counts_from_the_next_round() {
        let mut b = Bonded::default();
        b.add_node_stake(100, Some(3)).unwrap();
        assert_eq!(b.weight_at(3), 0);
        assert_eq!(b.weight_at(4), 100);
        assert_eq!(b.eligibility(0, 100, 3), Err(Ineligible::NotActiveForRound));
        assert_eq!(b.eligibility(0, 100, 4), Ok(100));
        assert_eq!(b.eligibility(0, 101, 4), Err(Ineligible::BelowMinimum));
        assert_eq!(b.eligibility(5, 100, 4), Err(Ineligible::Unbonding));
    }

    #[test]
    fn stake_before_round_zero_counts_in_round_zero() {
        let mut b = Bonded::default();
        b.add_node_stake(50, None).unwrap();
        b.add_node_stake(50, None).unwrap();
        assert_eq!(b.weight_at(0), 100);
    }

    #[test]
    fn node_top_ups_never_backdate_weight() {
        let mut b = Bonded::default();
        b.add_node_stake(100, Some(0)).unwrap(); // active from 1
        assert_eq!(
            b.add_node_stake(10, Some(1)),
            Err(StakeMathError::StillActivating)
        );
        b.add_node_stake(10, Some(0)).unwrap(); // same activation round: joins
        assert_eq!(b.weight_at(1), 110);
        b.add_node_stake(5, Some(2)).unwrap(); // merges, new pending for 3
        assert_eq!(b.weight_at(1), 110);
        assert_eq!(b.weight_at(2), 110);
        assert_eq!(b.weight_at(3), 115);
    }

    #[test]
    fn task_totals_follow_node_removals() {
        let mut task = Bonded::default();
        task.add_task_stake(100, Some(0)).unwrap(); // node A, pending for 1
        task.add_task_stake(50, Some(1)).unwrap(); // node B: A's merges
        assert_eq!(
            task,
            Bonded {
                active: 100,
                pending: 50,
                pending_round: 2
            }
        );
        // A leaves: its pending bucket (round 1) was merged at task level.
        task.remove_node_stake(0, 100, 1).unwrap();
        assert_eq!(
            task,
            Bonded {
                active: 0,
                pending: 50,
                pending_round: 2
            }
        );
        // B leaves while still pending.
        task.remove_node_stake(0, 50, 2).unwrap();
        assert_eq!(
            task,
            Bonded {
                active: 0,
                pending: 0,
                pending_round: 2
            }
        );
    }

    proptest! {
        /// Whatever the order of top-ups, a node's weight in any round that can
        /// still be voted on (the previous, current and next one) never exceeds
        /// what it had bonded before that round started, and the task total
        /// always equals the sum of its nodes.
        #[test]
        fn weight_is_never_backdated(ops in proptest::collection::vec((0usize..3, 0u64..4, 1u64..1_000), 1..40)) {
            let mut nodes = [Bonded::default(); 3];
            let mut bonded_by_round: [Vec<(u64, u64)>; 3] = Default::default(); // (round added, amount)
            let mut task = Bonded::default();
            let mut round = 0u64;
            for (node, advance, amount) in ops {
                round += advance;
                if nodes[node].add_node_stake(amount, Some(round)).is_ok() {
                    task.add_task_stake(amount, Some(round)).unwrap();
                    bonded_by_round[node].push((round, amount));
                }
                for r in round.saturating_sub(1)..=round + 1 {
                    let before: u64 = bonded_by_round[node].iter().filter(|(k, _)| *k < r).map(|(_, a)| a).sum();
                    prop_assert!(nodes[node].weight_at(r) <= before);
                }
                let sum: u64 = nodes.iter().map(|n| n.total()).sum();
                prop_assert_eq!(task.total(), sum);
                let weight_now: u64 = nodes.iter().map(|n| n.weight_at(round)).sum();
                prop_assert_eq!(task.weight_at(round), weight_now);
            }
        }
    }
}
