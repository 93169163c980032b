//! The round schedule. All boundaries are slots; windows are half-open
//! `[start, end)`.
//!
//! Boundary arithmetic saturates: a boundary past `u64::MAX` is a slot the
//! chain never reaches, so a saturated window simply never opens (or never
//! closes), which is the safe reading. Nothing here can panic.

use anchor_lang::prelude::*;

/// The timing of a task. Fixed at creation; `update_task` never changes it,
/// so every round of a task has the same shape.
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
pub struct Schedule {
    /// Slot at which round 0 starts.
    pub start_slot: u64,
    /// Slots between the starts of two consecutive rounds.
    pub round_slots: u64,
    /// Length of the submit window, from the round start.
    pub submit_slots: u64,
    /// Length of the reveal window after the submit window; 0 for tasks
    /// without commit–reveal.
    pub reveal_slots: u64,
    /// Length of the audit window after the reveal window.
    pub audit_slots: u64,
    /// Whole rounds after the audit window during which valid submitters may
    /// claim; after that anyone may close the round.
    pub claim_rounds: u64,
}

/// Why a schedule cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScheduleError {
    /// A round, submit or audit window of zero slots.
    EmptyWindow,
    /// The submit window is longer than a round, so two rounds' submit
    /// windows would overlap and a slot would not name one round.
    SubmitLongerThanRound,
    /// Commit–reveal tasks need a reveal window.
    RevealWindowMismatch,
    /// Submit + reveal + audit run past the start of round r + 2.
    AuditPastNextRound,
    /// Boundaries do not fit in a u64 slot.
    Overflow,
}

/// Where a slot lies relative to one round.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// The round has not started.
    NotStarted,
    Submit,
    Reveal,
    Audit,
    /// After the audit window, until the claim deadline: resolve and claim.
    Settle,
    /// After the claim deadline: the round and its submissions may be closed.
    Closable,
}

impl Schedule {
    /// Checks the shape rules of PROTOCOL.md.
    pub fn validate(&self, commit_reveal: bool) -> core::result::Result<(), ScheduleError> {
        if self.round_slots == 0 || self.submit_slots == 0 || self.audit_slots == 0 {
            return Err(ScheduleError::EmptyWindow);
        }
        if self.submit_slots > self.round_slots {
            return Err(ScheduleError::SubmitLongerThanRound);
        }
        if commit_reveal != (self.reveal_slots > 0) {
            return Err(ScheduleError::RevealWindowMismatch);
        }
        let windows = self
            .submit_slots
            .checked_add(self.reveal_slots)
            .and_then(|s| s.checked_add(self.audit_slots))
            .ok_or(ScheduleError::Overflow)?;
        let two_rounds = self
            .round_slots
            .checked_mul(2)
            .ok_or(ScheduleError::Overflow)?;
        if windows > two_rounds {
            return Err(ScheduleError::AuditPastNextRound);
        }
        // The first round's claim deadline must be representable; later rounds
        // saturate (see module docs).
        self.claim_rounds
            .checked_mul(self.round_slots)
            .and_then(|c| c.checked_add(windows))
            .and_then(|c| c.checked_add(self.start_slot))
            .ok_or(ScheduleError::Overflow)?;
        Ok(())
    }

    pub fn commit_reveal(&self) -> bool {
        self.reveal_slots > 0
    }

    /// `s(r)`: first slot of round `r`.
    pub fn round_start(&self, round: u64) -> u64 {
        self.start_slot
            .saturating_add(round.saturating_mul(self.round_slots))
    }

    /// The round whose period `[s(r), s(r+1))` holds `slot`; `None` before
    /// round 0. This is also the only round whose submit window can hold
    /// `slot`, since a submit window never outlasts its round.
    pub fn round_at(&self, slot: u64) -> Option<u64> {
        slot.checked_sub(self.start_slot)?
            .checked_div(self.round_slots)
    }

    /// End (exclusive) of round `r`'s submit window.
    pub fn submit_end(&self, round: u64) -> u64 {
        self.round_start(round).saturating_add(self.submit_slots)
    }

    /// End (exclusive) of round `r`'s reveal window; equals `submit_end` for
    /// tasks without commit–reveal.
    pub fn reveal_end(&self, round: u64) -> u64 {
        self.submit_end(round).saturating_add(self.reveal_slots)
    }

    /// End (exclusive) of round `r`'s audit window: from here audits resolve
    /// and valid submitters claim.
    pub fn audit_end(&self, round: u64) -> u64 {
        self.reveal_end(round).saturating_add(self.audit_slots)
    }

    /// First slot at which round `r` and its submissions may be closed.
    pub fn claim_deadline(&self, round: u64) -> u64 {
        self.audit_end(round)
            .saturating_add(self.claim_rounds.saturating_mul(self.round_slots))
    }

    /// The phase of round `round` at `slot`. Exactly one phase holds for any
    /// slot (property-tested below).
    pub fn phase(&self, round: u64, slot: u64) -> Phase {
        if slot < self.round_start(round) {
            Phase::NotStarted
        } else if slot < self.submit_end(round) {
            Phase::Submit
        } else if slot < self.reveal_end(round) {
            Phase::Reveal
        } else if slot < self.audit_end(round) {
            Phase::Audit
        } else if slot < self.claim_deadline(round) {
            Phase::Settle
        } else {
            Phase::Closable
        }
    }

    /// First slot at which `unstake` called at `slot` frees the stake: the
    /// end of two whole rounds after the current one, so every audit of a
    /// round the node could have submitted to has closed (audit windows end
    /// no later than `s(r + 2)`).
    pub fn unbonding_frees_at(&self, slot: u64) -> u64 {
        match self.round_at(slot) {
            Some(round) => self.round_start(round.saturating_add(3)),
            // Before round 0 nothing can have been submitted; still wait the
            // same two rounds so the rule is uniform.
            None => self.round_start(2),
        }
    }

    /// The rounds a node may still have work in at `slot`: from the oldest
    /// whose claim deadline has not passed, plus one more to close, up to
    /// the current round. `None` before round 0.
    pub fn live_rounds(&self, slot: u64) -> Option<core::ops::RangeInclusive<u64>> {
        let current = self.round_at(slot)?;
        let span = self.claim_deadline(0).saturating_sub(self.round_start(0));
        let lookback = span.div_ceil(self.round_slots).saturating_add(1);
        Some(current.saturating_sub(lookback)..=current)
    }

    /// How long cranks that anyone may send (resolving an audit, closing a
    /// round, sweeping what nodes left) are left to whoever has a stake in
    /// them before others step in: a quarter round, at least a slot, so
    /// that N nodes do not race into failed, fee-paying transactions.
    pub fn crank_grace(&self) -> u64 {
        (self.round_slots / 4).max(1)
    }

    /// First slot at which anyone resolves `round`'s audits: the audit
    /// window's end plus the grace its challenger and accused get.
    pub fn resolve_by_anyone_from(&self, round: u64) -> u64 {
        self.audit_end(round).saturating_add(self.crank_grace())
    }

    /// First slot at which a node sweeps up `round` (others' votes and
    /// submissions, the round itself) after `graces` graces past the claim
    /// deadline: one for the round's rent payer, two for anyone else.
    pub fn sweep_from(&self, round: u64, graces: u64) -> u64 {
        self.claim_deadline(round)
            .saturating_add(self.crank_grace().saturating_mul(graces))
    }

    /// Rounds whose audit window may still be open at `slot` are the current
    /// one and the previous one; stake added at `slot` counts from the next.
    pub fn activation_round(&self, slot: u64) -> u64 {
        self.round_at(slot).map_or(0, |r| r.saturating_add(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn graces_follow_the_round_length() {
        let s = sched();
        assert_eq!(s.crank_grace(), 2);
        assert_eq!(
            Schedule {
                round_slots: 3,
                ..s
            }
            .crank_grace(),
            1
        );
        assert_eq!(s.resolve_by_anyone_from(0), s.audit_end(0) + 2);
        assert_eq!(s.sweep_from(1, 2), s.claim_deadline(1) + 4);
    }

    fn sched() -> Schedule {
        Schedule {
            start_slot: 100,
            round_slots: 10,
            submit_slots: 4,
            reveal_slots: 3,
            audit_slots: 6,
            claim_rounds: 2,
        }
    }

    #[test]
    fn windows_follow_each_other() {
        let s = sched();
        assert_eq!(s.round_start(0), 100);
        assert_eq!(s.round_start(2), 120);
        assert_eq!(s.submit_end(1), 114);
        assert_eq!(s.reveal_end(1), 117);
        assert_eq!(s.audit_end(1), 123);
        assert_eq!(s.claim_deadline(1), 143);
        assert_eq!(s.phase(1, 109), Phase::NotStarted);
        assert_eq!(s.phase(1, 110), Phase::Submit);
        assert_eq!(s.phase(1, 114), Phase::Reveal);
        assert_eq!(s.phase(1, 117), Phase::Audit);
        assert_eq!(s.phase(1, 123), Phase::Settle);
        assert_eq!(s.phase(1, 143), Phase::Closable);
    }

    #[test]
    fn round_at_maps_slots_to_rounds() {
        let s = sched();
        assert_eq!(s.round_at(99), None);
        assert_eq!(s.round_at(100), Some(0));
        assert_eq!(s.round_at(109), Some(0));
        assert_eq!(s.round_at(110), Some(1));
    }

    #[test]
    fn validate_rejects_bad_shapes() {
        let ok = sched();
        assert_eq!(ok.validate(true), Ok(()));
        assert_eq!(ok.validate(false), Err(ScheduleError::RevealWindowMismatch));
        let s = Schedule {
            submit_slots: 11,
            ..ok
        };
        assert_eq!(s.validate(true), Err(ScheduleError::SubmitLongerThanRound));
        let s = Schedule {
            audit_slots: 14,
            ..ok
        };
        assert_eq!(s.validate(true), Err(ScheduleError::AuditPastNextRound));
        let s = Schedule {
            audit_slots: 0,
            ..ok
        };
        assert_eq!(s.validate(true), Err(ScheduleError::EmptyWindow));
        let s = Schedule {
            start_slot: u64::MAX - 5,
            ..ok
        };
        assert_eq!(s.validate(true), Err(ScheduleError::Overflow));
        let s = Schedule {
            reveal_slots: 0,
            ..ok
        };
        assert_eq!(s.validate(false), Ok(()));
    }

    #[test]
    fn unbonding_spans_two_whole_rounds() {
        let s = sched();
        // Unstake in round 1 (slot 115): rounds 2 and 3 are whole, free at s(4).
        assert_eq!(s.unbonding_frees_at(115), 140);
        assert_eq!(s.unbonding_frees_at(50), 120);
    }

    #[test]
    fn saturates_instead_of_overflowing() {
        let s = sched();
        assert_eq!(s.round_start(u64::MAX), u64::MAX);
        assert_eq!(s.claim_deadline(u64::MAX / 2), u64::MAX);
        assert_eq!(s.phase(u64::MAX, u64::MAX - 1), Phase::NotStarted);
    }

    prop_compose! {
        fn valid_schedule()(
            start_slot in 0u64..1_000_000,
            round_slots in 1u64..500,
            commit_reveal in any::<bool>(),
            claim_rounds in 0u64..5,
        )(
            submit_slots in 1..=round_slots,
            reveal_raw in 1..=round_slots,
            audit_raw in 1..=round_slots,
            start_slot in Just(start_slot),
            round_slots in Just(round_slots),
            commit_reveal in Just(commit_reveal),
            claim_rounds in Just(claim_rounds),
        ) -> Schedule {
            let reveal_slots = if commit_reveal { reveal_raw.min(round_slots) } else { 0 };
            let room = 2 * round_slots - submit_slots - reveal_slots;
            let audit_slots = audit_raw.min(room).max(1);
            Schedule { start_slot, round_slots, submit_slots, reveal_slots, audit_slots, claim_rounds }
        }
    }

    #[test]
    fn live_rounds_cover_every_round_with_work_left() {
        let s = sched();
        assert_eq!(s.live_rounds(99), None);
        for slot in 100..400 {
            let live = s.live_rounds(slot).unwrap();
            assert_eq!(*live.end(), s.round_at(slot).unwrap());
            for round in 0..=*live.end() {
                let phase = s.phase(round, slot);
                if round < *live.start() {
                    // Older rounds are past their claim deadline by a round.
                    assert_eq!(phase, Phase::Closable, "slot {slot} round {round}");
                    assert!(slot >= s.claim_deadline(round) + s.round_slots);
                } else if phase != Phase::Closable {
                    assert!(live.contains(&round));
                }
            }
        }
    }

    proptest! {
        #[test]
        fn every_slot_is_in_exactly_one_phase(s in valid_schedule(), round in 0u64..1000, offset in 0u64..20_000) {
            prop_assume!(s.validate(s.commit_reveal()).is_ok());
            let slot = s.round_start(round).saturating_sub(500) + offset;
            let memberships = [
                slot < s.round_start(round),
                (s.round_start(round)..s.submit_end(round)).contains(&slot),
                (s.submit_end(round)..s.reveal_end(round)).contains(&slot),
                (s.reveal_end(round)..s.audit_end(round)).contains(&slot),
                (s.audit_end(round)..s.claim_deadline(round)).contains(&slot),
                slot >= s.claim_deadline(round),
            ];
            prop_assert_eq!(memberships.iter().filter(|m| **m).count(), 1);
            let expected = [Phase::NotStarted, Phase::Submit, Phase::Reveal, Phase::Audit, Phase::Settle, Phase::Closable];
            let which = memberships.iter().position(|m| *m).unwrap();
            prop_assert_eq!(s.phase(round, slot), expected[which]);
        }

        #[test]
        fn submit_windows_name_one_round(s in valid_schedule(), offset in 0u64..100_000) {
            let slot = s.start_slot + offset;
            let round = s.round_at(slot).unwrap();
            prop_assert!(s.round_start(round) <= slot && slot < s.round_start(round + 1));
            // No other round is in its submit window at this slot.
            for other in round.saturating_sub(3)..round + 3 {
                if other != round {
                    prop_assert_ne!(s.phase(other, slot), Phase::Submit);
                }
            }
        }

        #[test]
        fn audit_ends_by_the_round_after_next(s in valid_schedule(), round in 0u64..10_000) {
            prop_assume!(s.validate(s.commit_reveal()).is_ok());
            prop_assert!(s.audit_end(round) <= s.round_start(round + 2));
            prop_assert!(s.unbonding_frees_at(s.round_start(round)) >= s.audit_end(round));
        }
    }
}
