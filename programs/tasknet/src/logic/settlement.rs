//! Money rules: reward shares, slashing, verdicts. All integer, all checked;
//! intermediate products use u128 so no input can overflow them. Where an
//! operation provably cannot overflow, it is written saturating anyway: the
//! program never panics (on SBF a panic loses its message).

use super::BPS_DENOMINATOR;

/// `amount * bps / 10_000`, rounded down. `bps` above 10 000 is clamped, so
/// the result never exceeds `amount`.
pub fn bps_of(amount: u64, bps: u16) -> u64 {
    let bps = u64::from(bps).min(BPS_DENOMINATOR);
    // A u64 times a u16 fits a u128; the quotient is at most `amount`.
    let scaled = u128::from(amount).saturating_mul(u128::from(bps));
    let part = scaled
        .checked_div(u128::from(BPS_DENOMINATOR))
        .unwrap_or_default();
    u64::try_from(part).unwrap_or(amount)
}

/// A round's reward pool: `min(reward_per_round, bounty_available)`.
pub fn round_pool(reward_per_round: u64, bounty_available: u64) -> u64 {
    reward_per_round.min(bounty_available)
}

/// Each valid submitter's share of `pool` and the integer dust left over,
/// which returns to the bounty when the round closes. `None` when there is
/// no valid submitter.
pub fn reward_share(pool: u64, valid_count: u64) -> Option<RewardShare> {
    if valid_count == 0 {
        return None;
    }
    let share = pool.checked_div(valid_count)?;
    // share * valid_count <= pool: neither operation can saturate.
    Some(RewardShare {
        share,
        dust: pool.saturating_sub(share.saturating_mul(valid_count)),
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RewardShare {
    pub share: u64,
    pub dust: u64,
}

/// How a slash of one stake splits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct SlashSplit {
    /// Taken from the settled active stake.
    pub from_active: u64,
    /// Taken from stake still waiting to activate.
    pub from_pending: u64,
    /// Taken from unbonding stake.
    pub from_unbonding: u64,
    /// Paid to the challenger on top of its returned bond.
    pub to_challenger: u64,
    /// Returned to the task's bounty.
    pub to_bounty: u64,
}

impl SlashSplit {
    pub fn total(&self) -> u64 {
        // The parts come from buckets of one u64 ledger field, so this does
        // not saturate in practice; saturating keeps it panic-free anyway.
        self.from_active
            .saturating_add(self.from_pending)
            .saturating_add(self.from_unbonding)
    }
}

/// Slashes `slash_bps` of each part of a stake (active, pending, unbonding)
/// and splits the total between the challenger and the bounty. Each part
/// loses at most itself, so a slash never exceeds the stake.
pub fn slash_split(
    active: u64,
    pending: u64,
    unbonding: u64,
    slash_bps: u16,
    challenger_share_bps: u16,
) -> SlashSplit {
    let from_active = bps_of(active, slash_bps);
    let from_pending = bps_of(pending, slash_bps);
    let from_unbonding = bps_of(unbonding, slash_bps);
    let parts = SlashSplit {
        from_active,
        from_pending,
        from_unbonding,
        ..SlashSplit::default()
    };
    let total = parts.total();
    let to_challenger = bps_of(total, challenger_share_bps);
    SlashSplit {
        to_challenger,
        // to_challenger <= total.
        to_bounty: total.saturating_sub(to_challenger),
        ..parts
    }
}

/// The outcome of an audit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Valid,
    Invalid,
}

/// An audit resolves invalid when the invalid weight exceeds
/// `threshold_bps` of all weight cast *and* the weight cast reaches
/// `quorum_bps` of the round's eligible stake; otherwise valid (a submission
/// is innocent until enough stake says otherwise).
pub fn verdict(
    invalid_weight: u64,
    valid_weight: u64,
    eligible_stake: u64,
    threshold_bps: u16,
    quorum_bps: u16,
) -> Verdict {
    // Sums and products of u64s and u16s: exact in u128.
    let invalid = u128::from(invalid_weight);
    let cast = invalid.saturating_add(u128::from(valid_weight));
    let whole = u128::from(BPS_DENOMINATOR);
    let quorum_met = cast.saturating_mul(whole)
        >= u128::from(eligible_stake).saturating_mul(u128::from(quorum_bps));
    let threshold_met =
        invalid.saturating_mul(whole) > cast.saturating_mul(u128::from(threshold_bps));
    if cast > 0 && quorum_met && threshold_met {
        Verdict::Invalid
    } else {
        Verdict::Valid
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn shares_and_dust() {
        assert_eq!(
            reward_share(1_000, 3),
            Some(RewardShare {
                share: 333,
                dust: 1
            })
        );
        assert_eq!(
            reward_share(1_000, 4),
            Some(RewardShare {
                share: 250,
                dust: 0
            })
        );
        assert_eq!(reward_share(1_000, 0), None);
        assert_eq!(reward_share(0, 5), Some(RewardShare { share: 0, dust: 0 }));
    }

    #[test]
    fn pool_is_capped_by_bounty() {
        assert_eq!(round_pool(100, 1_000), 100);
        assert_eq!(round_pool(100, 40), 40);
    }

    #[test]
    fn slash_split_example() {
        // 20% of 1_000 active = 200; challenger gets 25% of that.
        let s = slash_split(1_000, 0, 0, 2_000, 2_500);
        assert_eq!(s.total(), 200);
        assert_eq!(s.to_challenger, 50);
        assert_eq!(s.to_bounty, 150);
        let all = slash_split(7, 3, 5, 10_000, 10_000);
        assert_eq!(all.total(), 15);
        assert_eq!(all.to_bounty, 0);
    }

    #[test]
    fn verdict_needs_threshold_and_quorum() {
        // 2/3 threshold, 50% quorum of 300.
        assert_eq!(verdict(200, 100, 300, 6_666, 5_000), Verdict::Invalid);
        // Exactly at threshold is not "exceeds".
        assert_eq!(verdict(50, 50, 100, 5_000, 0), Verdict::Valid);
        // Threshold met but quorum missed.
        assert_eq!(verdict(100, 0, 300, 5_000, 5_000), Verdict::Valid);
        assert_eq!(verdict(150, 0, 300, 5_000, 5_000), Verdict::Invalid);
        assert_eq!(verdict(0, 0, 0, 0, 0), Verdict::Valid);
    }

    proptest! {
        #[test]
        fn shares_never_exceed_pool(pool in any::<u64>(), valid in 1u64..10_000) {
            let s = reward_share(pool, valid).unwrap();
            prop_assert!(u128::from(s.share) * u128::from(valid) <= u128::from(pool));
            prop_assert_eq!(u128::from(s.share) * u128::from(valid) + u128::from(s.dust), u128::from(pool));
            prop_assert!(s.dust < valid);
        }

        #[test]
        fn slash_never_exceeds_stake(active in any::<u64>(), pending_raw in any::<u64>(), unbonding_raw in any::<u64>(),
                                     slash_bps in any::<u16>(), share_bps in any::<u16>()) {
            // A stake's buckets are parts of the task's u64 `staked_total`.
            let pending = pending_raw.min(u64::MAX - active);
            let unbonding = unbonding_raw.min(u64::MAX - active - pending);
            let s = slash_split(active, pending, unbonding, slash_bps, share_bps);
            prop_assert!(s.from_active <= active);
            prop_assert!(s.from_pending <= pending);
            prop_assert!(s.from_unbonding <= unbonding);
            prop_assert_eq!(s.to_challenger + s.to_bounty, s.total());
            if slash_bps <= 10_000 {
                let stake = u128::from(active) + u128::from(pending) + u128::from(unbonding);
                prop_assert!(u128::from(s.total()) * 10_000 <= stake * u128::from(slash_bps));
            }
        }

        #[test]
        fn verdict_is_monotone_in_invalid_weight(invalid in 0u64..1u64<<40, valid in 0u64..1u64<<40,
                                                 extra in 0u64..1u64<<40, eligible in 0u64..1u64<<42,
                                                 t in 0u16..=10_000, q in 0u16..=10_000) {
            if verdict(invalid, valid, eligible, t, q) == Verdict::Invalid {
                prop_assert_eq!(verdict(invalid + extra, valid, eligible, t, q), Verdict::Invalid);
            }
        }
    }
}
