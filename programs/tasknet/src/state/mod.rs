pub mod audit;
pub mod in_place;
pub mod round;
pub mod stake;
pub mod submission;
pub mod task;
pub mod vault;
pub mod vote;

pub use audit::*;
pub use round::*;
pub use stake::*;
pub use submission::*;
pub use task::*;
pub use vault::*;
pub use vote::*;

#[cfg(test)]
pub(crate) mod tests {
    //! The memcmp offsets clients filter on, checked against the real
    //! serialization so they cannot drift from the field order.
    use super::*;
    use anchor_lang::prelude::Pubkey;
    use anchor_lang::{AccountSerialize, Discriminator};

    pub(crate) fn bytes<T: AccountSerialize>(account: &T) -> Vec<u8> {
        let mut data = Vec::new();
        account.try_serialize(&mut data).unwrap();
        data
    }

    fn at(data: &[u8], offset: usize, len: usize) -> &[u8] {
        &data[offset..offset + len]
    }

    /// A commitment of round 0, every key `key`.
    pub(crate) fn committed(key: Pubkey) -> Submission {
        Submission {
            task: key,
            round: 0,
            node: key,
            index: 0,
            commitment: [0; 32],
            value: vec![],
            slot: 0,
            status: SubmissionStatus::Committed,
            audited: false,
            bump: 0,
        }
    }

    /// An audit of round 0 with no votes, every key `key`.
    fn pending_audit(key: Pubkey) -> Audit {
        Audit {
            task: key,
            round: 0,
            submission: key,
            node: key,
            challenger: key,
            bond: 0,
            invalid_weight: 0,
            valid_weight: 0,
            voter_count: 0,
            min_stake: 0,
            votes_open: 0,
            verdict: AuditVerdict::Pending,
            bump: 0,
        }
    }

    #[test]
    fn filter_offsets_match_the_layout() {
        let (a, b, c) = (
            Pubkey::new_from_array([1; 32]),
            Pubkey::new_from_array([2; 32]),
            Pubkey::new_from_array([3; 32]),
        );
        let submission = Submission {
            round: 7,
            node: b,
            index: 5,
            ..committed(a)
        };
        let data = bytes(&submission);
        assert_eq!(at(&data, 0, 8), Submission::DISCRIMINATOR);
        assert_eq!(at(&data, Submission::TASK_OFFSET, 32), a.as_ref());
        assert_eq!(at(&data, Submission::ROUND_OFFSET, 8), 7u64.to_le_bytes());
        assert_eq!(at(&data, Submission::NODE_OFFSET, 32), b.as_ref());
        assert_eq!(at(&data, Submission::INDEX_OFFSET, 4), 5u32.to_le_bytes());

        let audit = Audit {
            task: a,
            round: 9,
            submission: b,
            ..pending_audit(c)
        };
        let data = bytes(&audit);
        assert_eq!(at(&data, Audit::TASK_OFFSET, 32), a.as_ref());
        assert_eq!(at(&data, Audit::ROUND_OFFSET, 8), 9u64.to_le_bytes());

        let vote = Vote {
            audit: a,
            voter: b,
            weight: 0,
            invalid: false,
            bump: 0,
        };
        let data = bytes(&vote);
        assert_eq!(at(&data, Vote::AUDIT_OFFSET, 32), a.as_ref());
        assert_eq!(at(&data, Vote::VOTER_OFFSET, 32), b.as_ref());

        let stake = Stake::open(a, b, 0, 0);
        let data = bytes(&stake);
        assert_eq!(at(&data, Stake::TASK_OFFSET, 32), a.as_ref());
        assert_eq!(at(&data, Stake::NODE_OFFSET, 32), b.as_ref());

        let round = Round::open(a, &task(c), 3, 0, 0, b, 0);
        let data = bytes(&round);
        assert_eq!(at(&data, Round::TASK_OFFSET, 32), a.as_ref());
    }

    #[test]
    fn a_round_never_pays_beyond_its_pool() {
        let key = Pubkey::new_from_array([1; 32]);
        let mut round = Round::open(key, &task(key), 0, 100, 0, key, 0).data();
        // Counters that claim more valid submitters paid than the pool holds
        // (as an inherited round's would) cannot make it pay past the pool.
        round.revealed = 1;
        round.record_claim(round.share().unwrap()).unwrap();
        let refused = round.record_claim(round.share().unwrap()).unwrap_err();
        let anchor_lang::error::Error::AnchorError(refused) = refused else {
            panic!("a named error, got {refused:?}");
        };
        assert_eq!(
            refused.error_code_number,
            u32::from(crate::errors::TasknetError::PoolExhausted)
        );
        let claimed_sum = round.claimed_sum;
        assert_eq!((claimed_sum, round.outstanding().unwrap()), (100, 0));
    }

    /// A task of `creator` with zeroed economics and schedule.
    pub(crate) fn task(creator: Pubkey) -> Task {
        let args = crate::instructions::CreateTaskArgs {
            task_id: 1,
            name: String::new(),
            metadata_uri: String::new(),
            code_hash: [9; 32],
            code_uri: String::new(),
            code_limits: Default::default(),
            schedule: Default::default(),
            economics: Economics {
                reward_per_round: 0,
                min_stake: 7,
                challenge_bond: 0,
                slash_bps: 0,
                challenger_share_bps: 0,
                vote_threshold_bps: 0,
                quorum_bps: 0,
            },
            commit_reveal: false,
            accept_freeze_authority: false,
            verifier: None,
        };
        Task::new(creator, args, 0, 0)
    }

    #[test]
    fn task_creator_offset_matches_the_layout() {
        let creator = Pubkey::new_from_array([5; 32]);
        let data = bytes(&task(creator));
        assert_eq!(at(&data, Task::CREATOR_OFFSET, 32), creator.as_ref());
    }

    #[test]
    fn a_round_keeps_the_terms_it_opened_with() {
        let key = Pubkey::new_from_array([1; 32]);
        let mut t = task(key);
        let round = Round::open(key, &t, 0, 0, 0, key, 0);
        t.economics.min_stake = 1_000;
        t.code_hash = [1; 32];
        assert_eq!((round.economics.min_stake, round.code_hash), (7, [9; 32]));
    }

    /// The named error a result failed with.
    pub(crate) fn code_of<T: std::fmt::Debug>(result: anchor_lang::Result<T>) -> u32 {
        match result {
            Err(anchor_lang::error::Error::AnchorError(e)) => e.error_code_number,
            other => panic!("a named error, got {other:?}"),
        }
    }

    #[test]
    fn an_audit_resolves_once() {
        let mut audit = pending_audit(Pubkey::new_from_array([1; 32]));
        audit.resolve(true).unwrap();
        assert_eq!(audit.verdict, AuditVerdict::Invalid);
        assert_eq!(
            code_of(audit.resolve(false)),
            u32::from(crate::errors::TasknetError::AuditAlreadyResolved)
        );
    }
}
