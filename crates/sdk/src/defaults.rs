//! Default economics and schedules: the one source the CLI's flags, task
//! manifests, the demo, the benchmarks and the tests start from.

use tasknet::logic::Schedule;
use tasknet::state::Economics;

use crate::amount::LAMPORTS_PER_SOL;

/// What a task pays and how it judges, unless told otherwise.
pub const ECONOMICS: Economics = Economics {
    reward_per_round: LAMPORTS_PER_SOL / 10,
    min_stake: LAMPORTS_PER_SOL,
    challenge_bond: LAMPORTS_PER_SOL / 20,
    slash_bps: 2_000,
    challenger_share_bps: 2_500,
    vote_threshold_bps: 5_000,
    quorum_bps: 3_000,
};

/// Windows for a cluster with 400 ms slots: a minute per round. The start
/// slot is set when the task is created (`START_IN_SLOTS` from then).
pub const SCHEDULE: Schedule = Schedule {
    start_slot: 0,
    round_slots: 150,
    submit_slots: 50,
    reveal_slots: 40,
    audit_slots: 60,
    claim_rounds: 2,
};

/// Round 0 starts this many slots after the task is created.
pub const START_IN_SLOTS: u64 = 150;

/// Windows for a chain with fast slots (the embedded chain at 50 ms): the
/// demo's and the tests'. Audits run into the next round (pipelining).
pub const FAST_SCHEDULE: Schedule = Schedule {
    start_slot: 0,
    round_slots: 60,
    submit_slots: 20,
    reveal_slots: 15,
    audit_slots: 25,
    claim_rounds: 1,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_tasks() {
        SCHEDULE.validate(true).unwrap();
        FAST_SCHEDULE.validate(true).unwrap();
        let plain = Schedule {
            reveal_slots: 0,
            ..FAST_SCHEDULE
        };
        plain.validate(false).unwrap();
        ECONOMICS.validate().unwrap();
    }
}
