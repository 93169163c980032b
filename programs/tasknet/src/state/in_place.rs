//! Accounts read and written where they lie, for the instructions a node
//! pays for every round (`submit`, `reveal`, `claim`, `vote`) and the
//! cranks that share their accounts (`close_submission`, which shares
//! `claim`'s payout, and `record_audit_seed`, which shares `reveal`'s
//! seed recording).
//!
//! Anchor's `Account<T>` decodes a whole account with Borsh on entry,
//! encodes it again on exit when it is mutable, and hashes every mutable
//! one into a `HashSet` to refuse duplicates: on SBF about 60 % of a
//! submit, reveal or claim (`docs/performance.md`). These instructions
//! take their accounts unchecked and view them here instead, with the
//! checks `Account<T>` makes and its errors (`load`): the accounts keep
//! their Borsh layout, so every other instruction, the SDK, the node and
//! the IDL read them unchanged. A view is a packed mirror of the layout's
//! fixed-size start: the same bytes, so a field is read or written at its
//! offset and nothing else is touched. The tests below hold each mirror
//! to the real serialization, field by field. Every read is bounds-checked
//! into a named error (bytemuck's `try_` forms): nothing here panics.

use std::cell::{Ref, RefMut};
use std::mem::size_of;

use anchor_lang::error::ErrorCode;
use anchor_lang::prelude::*;
use bytemuck::Pod;

/// A packed mirror of the start (or all) of an account's Borsh layout,
/// after its 8-byte discriminator.
pub trait InPlace: Pod {
    /// The discriminator of the account it mirrors.
    const DISCRIMINATOR: &'static [u8];
}

/// Where a mirror's bytes end in the account data.
#[cfg_attr(target_os = "solana", optimize(speed))]
fn end_of<T: InPlace>() -> usize {
    T::DISCRIMINATOR.len().saturating_add(size_of::<T>())
}

/// The checks `Account<T>` makes before it decodes, in its order and with
/// its errors: an account that does not exist, one another program owns,
/// one of another type, and one too short are each refused by name.
#[cfg_attr(target_os = "solana", optimize(speed))]
pub fn check(info: &AccountInfo<'_>, data: &[u8], discriminator: &[u8]) -> Result<()> {
    if info.owner == &system_program::ID && info.lamports() == 0 {
        return Err(
            Error::from(ErrorCode::AccountNotInitialized).with_account_name(info.key.to_string())
        );
    }
    if info.owner != &crate::ID {
        return Err(Error::from(ErrorCode::AccountOwnedByWrongProgram)
            .with_pubkeys((*info.owner, crate::ID)));
    }
    if data.len() < discriminator.len() {
        return err!(ErrorCode::AccountDiscriminatorNotFound);
    }
    if !data.starts_with(discriminator) {
        return err!(ErrorCode::AccountDiscriminatorMismatch);
    }
    Ok(())
}

/// Borrows a checked account as its mirror `T`, to read.
#[cfg_attr(target_os = "solana", optimize(speed))]
pub fn load<'a, T: InPlace>(info: &'a AccountInfo<'_>) -> Result<Ref<'a, T>> {
    let data = info.try_borrow_data()?;
    check(info, &data, T::DISCRIMINATOR)?;
    Ref::filter_map(data, |data| {
        data.get(T::DISCRIMINATOR.len()..end_of::<T>())
            .and_then(|bytes| bytemuck::try_from_bytes(bytes).ok())
    })
    .map_err(|_| ErrorCode::AccountDidNotDeserialize.into())
}

/// Borrows a checked account as its mirror `T`, to read and write.
#[cfg_attr(target_os = "solana", optimize(speed))]
pub fn load_mut<'a, T: InPlace>(info: &'a AccountInfo<'_>) -> Result<RefMut<'a, T>> {
    let data = info.try_borrow_mut_data()?;
    check(info, &data, T::DISCRIMINATOR)?;
    RefMut::filter_map(data, |data| {
        data.get_mut(T::DISCRIMINATOR.len()..end_of::<T>())
            .and_then(|bytes| bytemuck::try_from_bytes_mut(bytes).ok())
    })
    .map_err(|_| ErrorCode::AccountDidNotDeserialize.into())
}

/// The account data after a mirror `T`: where a variable-length field
/// starts (checked by `load`/`load_mut` first).
#[cfg_attr(target_os = "solana", optimize(speed))]
pub fn rest_mut<'a, T: InPlace>(info: &'a AccountInfo<'_>) -> Result<RefMut<'a, [u8]>> {
    RefMut::filter_map(info.try_borrow_mut_data()?, |data| {
        data.get_mut(end_of::<T>()..)
    })
    .map_err(|_| ErrorCode::AccountDidNotDeserialize.into())
}

/// Closes a program account as Anchor's `close` does: its lamports to
/// `to`, its data gone, owned by the system program.
#[cfg_attr(target_os = "solana", optimize(speed))]
pub fn close<'info>(info: &AccountInfo<'info>, to: &AccountInfo<'info>) -> Result<()> {
    require_keys_neq!(*info.key, *to.key, ErrorCode::ConstraintClose);
    to.add_lamports(info.lamports())?;
    info.sub_lamports(info.lamports())?;
    info.assign(&system_program::ID);
    info.resize(0)?;
    Ok(())
}

/// Writes a new account's fields one after another, as Borsh lays them
/// out, into the data `pda::create_at` allocated.
pub struct Writer<'a> {
    data: &'a mut [u8],
}

impl<'a> Writer<'a> {
    #[cfg_attr(target_os = "solana", optimize(speed))]
    pub fn new(data: &'a mut [u8]) -> Self {
        Self { data }
    }

    #[cfg_attr(target_os = "solana", optimize(speed))]
    pub fn put(&mut self, bytes: &[u8]) -> Result<()> {
        let (field, rest) = std::mem::take(&mut self.data)
            .split_at_mut_checked(bytes.len())
            .ok_or(ErrorCode::AccountDidNotSerialize)?;
        field.copy_from_slice(bytes);
        self.data = rest;
        Ok(())
    }
}

/// Writes a new fixed-size account (discriminator, then its mirror) into
/// the data `pda::create_at` allocated.
#[cfg_attr(target_os = "solana", optimize(speed))]
pub fn write_new<T: InPlace>(info: &AccountInfo<'_>, value: &T) -> Result<()> {
    let mut data = info.try_borrow_mut_data()?;
    let mut out = Writer::new(&mut data);
    out.put(T::DISCRIMINATOR)?;
    out.put(bytemuck::bytes_of(value))
}

/// A little-endian cursor over a Borsh layout, for the one variable-length
/// account read on the per-node path (the task's state sits after its
/// strings).
pub struct Cursor<'a> {
    data: &'a [u8],
}

impl<'a> Cursor<'a> {
    #[cfg_attr(target_os = "solana", optimize(speed))]
    pub fn new(data: &'a [u8]) -> Self {
        Self { data }
    }

    #[cfg_attr(target_os = "solana", optimize(speed))]
    pub fn skip(&mut self, len: usize) -> Result<()> {
        self.data = self
            .data
            .get(len..)
            .ok_or(ErrorCode::AccountDidNotDeserialize)?;
        Ok(())
    }

    /// Skips a Borsh `String` or `Vec<u8>`: a u32 length, then the bytes.
    #[cfg_attr(target_os = "solana", optimize(speed))]
    pub fn skip_bytes(&mut self) -> Result<()> {
        let len = self.read::<[u8; 4]>().map(u32::from_le_bytes)?;
        self.skip(usize::try_from(len).map_err(|_| ErrorCode::AccountDidNotDeserialize)?)
    }

    /// Reads a fixed-size value laid out as Borsh lays it out (a `Pod`
    /// mirror of it).
    #[cfg_attr(target_os = "solana", optimize(speed))]
    pub fn read<T: Pod>(&mut self) -> Result<T> {
        let bytes = self
            .data
            .get(..size_of::<T>())
            .ok_or(ErrorCode::AccountDidNotDeserialize)?;
        let value = bytemuck::try_pod_read_unaligned(bytes)
            .map_err(|_| ErrorCode::AccountDidNotDeserialize)?;
        self.skip(size_of::<T>())?;
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    //! Each mirror against the real Borsh serialization of its account, and
    //! the views' writes read back by Borsh.
    use super::*;
    use crate::constants::MAX_VALUE_LEN;
    use crate::errors::TasknetError as E;
    use crate::logic::{Bonded, Schedule};
    use crate::state::tests::{bytes, code_of, committed, task};
    use crate::state::*;
    use anchor_lang::{AccountDeserialize, AccountSerialize};

    /// `value` serialized into `space` bytes, as the program creates it.
    fn account_data<T: AccountSerialize>(value: &T, space: usize) -> Vec<u8> {
        let mut data = Vec::new();
        value.try_serialize(&mut data).unwrap();
        data.resize(space, 0);
        data
    }

    /// Runs `f` on an account of `owner` holding `data`.
    fn as_account<R>(data: &mut [u8], owner: &Pubkey, f: impl FnOnce(&AccountInfo) -> R) -> R {
        let key = Pubkey::new_from_array([7; 32]);
        let mut lamports = 1_000_000;
        let info = AccountInfo::new(&key, false, true, &mut lamports, data, owner, false);
        f(&info)
    }

    fn distinct_round() -> Round {
        let key = |b| Pubkey::new_from_array([b; 32]);
        let schedule = Schedule {
            start_slot: 11,
            round_slots: 12,
            submit_slots: 13,
            reveal_slots: 14,
            audit_slots: 15,
            claim_rounds: 16,
        };
        Round {
            task: key(1),
            round: 2,
            schedule,
            economics: Economics {
                reward_per_round: 21,
                min_stake: 22,
                challenge_bond: 23,
                slash_bps: 24,
                challenger_share_bps: 25,
                vote_threshold_bps: 26,
                quorum_bps: 27,
            },
            code_hash: [3; 32],
            reward_pool: 400,
            eligible_stake: 5,
            submissions: 6,
            submissions_open: 7,
            revealed: 8,
            invalidated: 1,
            open_audits: 10,
            claimed_count: 11,
            claimed_sum: 12,
            rent_payer: key(13),
            bump: 14,
            pool_tokens: key(15),
            audit_seed: [16; 32],
            seed_slot: 17,
        }
    }

    #[test]
    fn the_round_view_is_the_round_as_it_lies() {
        let round = distinct_round();
        let mut data = account_data(&round, 8 + Round::INIT_SPACE);
        assert_eq!(size_of::<RoundData>(), Round::INIT_SPACE);
        as_account(&mut data, &crate::ID, |info| {
            assert_eq!(*load::<RoundData>(info).unwrap(), round.data());
            let mut view = load_mut::<RoundData>(info).unwrap();
            view.record_claim(3).unwrap();
            view.record_submission(true).unwrap();
        });
        let written = Round::try_deserialize(&mut &data[..]).unwrap();
        let mut expected = round.data();
        expected.claimed_sum = 15;
        expected.claimed_count = 12;
        (
            expected.submissions,
            expected.submissions_open,
            expected.revealed,
        ) = (7, 8, 9);
        assert_eq!(written.data(), expected);
        assert_eq!(written.share().unwrap(), 400 / 8);
    }

    #[test]
    fn the_stake_view_is_the_stakes_start() {
        let mut stake = Stake::open(
            Pubkey::new_from_array([1; 32]),
            Pubkey::new_from_array([2; 32]),
            3,
            4,
        );
        stake.bonded = Bonded {
            active: 5,
            pending: 6,
            pending_round: 7,
        };
        (stake.unbonding, stake.unbonding_frees_at) = (8, 9);
        stake.endpoint = "https://node.example".into();
        let mut data = account_data(&stake, 8 + Stake::INIT_SPACE);
        as_account(&mut data, &crate::ID, |info| {
            let head = *load::<StakeHead>(info).unwrap();
            assert_eq!(
                head,
                StakeHead {
                    task: stake.task,
                    node: stake.node,
                    bonded: stake.bonded,
                    unbonding: 8,
                    unbonding_frees_at: 9,
                    active_since: 3,
                }
            );
            let (task, node) = (stake.task, stake.node);
            head.check_is(&task, &node).unwrap();
            assert_eq!(
                code_of(head.check_is(&node, &node)),
                u32::from(E::WrongTask)
            );
            assert_eq!(
                code_of(head.check_is(&task, &task)),
                u32::from(E::WrongStake)
            );
        });
    }

    #[test]
    fn the_task_terms_are_found_after_its_strings() {
        let mut t = task(Pubkey::new_from_array([1; 32]));
        t.name = "a name".into();
        t.metadata_uri = "https://example.com/metadata.json".into();
        t.code_uri = "https://example.com/code.wasm".into();
        t.schedule = distinct_round().schedule;
        t.state = TaskState::Paused;
        let mut data = account_data(&t, 8 + Task::INIT_SPACE);
        let terms = as_account(&mut data, &crate::ID, Task::terms_in_place);
        assert_eq!(terms.unwrap(), (TaskState::Paused, t.schedule));
    }

    #[test]
    fn a_submission_moves_through_its_life_cycle_only_forward_where_it_lies() {
        let mut s = committed(Pubkey::new_from_array([1; 32]));
        (s.slot, s.bump) = (99, 254);
        let space = 8 + Submission::INIT_SPACE;
        let mut data = account_data(&s, space);
        let decoded = |data: &[u8]| Submission::try_deserialize(&mut &data[..]).unwrap();
        as_account(&mut data, &crate::ID, |info| {
            let mut view = SubmissionView::load_mut(info).unwrap();
            assert_eq!(code_of(view.mark_claimed()), u32::from(E::NotClaimable));
            view.reveal(&[1, 2, 3]).unwrap();
            assert_eq!(code_of(view.reveal(&[4])), u32::from(E::AlreadyRevealed));
        });
        let revealed = decoded(&data);
        let expected = Submission {
            value: vec![1, 2, 3],
            status: SubmissionStatus::Revealed,
            ..s
        };
        assert_eq!(bytes(&revealed), bytes(&expected));

        // Challenged and resolved by the Borsh-decoding instructions.
        let mut audited = revealed.clone();
        audited.challenge().unwrap();
        assert_eq!(
            code_of(audited.challenge()),
            u32::from(E::AlreadyChallenged)
        );
        assert_eq!(
            code_of(audited.status.check_claimable()),
            u32::from(E::NotClaimable)
        );
        assert_eq!(
            code_of(audited.resolve(AuditVerdict::Pending)),
            u32::from(E::AuditNotResolved)
        );
        let mut invalid = audited.clone();
        invalid.resolve(AuditVerdict::Invalid).unwrap();
        assert_eq!(
            code_of(invalid.status.check_claimable()),
            u32::from(E::NotClaimable)
        );
        audited.resolve(AuditVerdict::Valid).unwrap();
        assert_eq!(
            code_of(audited.resolve(AuditVerdict::Invalid)),
            u32::from(E::AuditAlreadyResolved)
        );
        assert_eq!(
            code_of(committed(s.task).challenge()),
            u32::from(E::NotRevealed)
        );

        let mut data = account_data(&audited, space);
        as_account(&mut data, &crate::ID, |info| {
            let mut view = SubmissionView::load_mut(info).unwrap();
            assert!(view.audited().unwrap());
            view.mark_claimed().unwrap();
            assert_eq!(code_of(view.mark_claimed()), u32::from(E::AlreadyClaimed));
        });
        let claimed = Submission {
            status: SubmissionStatus::Claimed,
            ..audited
        };
        assert_eq!(bytes(&decoded(&data)), bytes(&claimed));
    }

    #[test]
    fn a_substituted_account_is_refused_as_account_refuses_it() {
        use anchor_lang::error::ErrorCode as A;
        let round = distinct_round();
        let mut data = account_data(&round, 8 + Round::INIT_SPACE);
        let other = Pubkey::new_from_array([9; 32]);
        let code = |data: &mut [u8], owner: &Pubkey| {
            as_account(data, owner, |info| {
                code_of(load::<RoundData>(info).map(|_| ()))
            })
        };
        assert_eq!(
            code(&mut data, &other),
            u32::from(A::AccountOwnedByWrongProgram)
        );
        let mut stake = account_data(&Stake::open(other, other, 0, 0), 200);
        assert_eq!(
            code(&mut stake, &crate::ID),
            u32::from(A::AccountDiscriminatorMismatch)
        );
        assert_eq!(
            code(&mut data[..4], &crate::ID),
            u32::from(A::AccountDiscriminatorNotFound)
        );
        assert_eq!(
            code(&mut data[..100], &crate::ID),
            u32::from(A::AccountDidNotDeserialize)
        );
        let key = Pubkey::new_from_array([7; 32]);
        let (mut lamports, mut empty) = (0, []);
        let info = AccountInfo::new(
            &key,
            false,
            true,
            &mut lamports,
            &mut empty,
            &system_program::ID,
            false,
        );
        assert_eq!(
            code_of(load::<RoundData>(&info).map(|_| ())),
            u32::from(A::AccountNotInitialized)
        );
    }

    #[test]
    fn a_new_submission_is_written_as_borsh_writes_it() {
        let key = |b| Pubkey::new_from_array([b; 32]);
        for (value, status) in [
            (vec![], SubmissionStatus::Committed),
            (vec![5; MAX_VALUE_LEN], SubmissionStatus::Revealed),
        ] {
            let expected = Submission {
                task: key(1),
                round: 2,
                node: key(3),
                index: 4,
                commitment: [5; 32],
                value: value.clone(),
                slot: 6,
                status,
                audited: false,
                bump: 7,
            };
            let space = 8 + Submission::INIT_SPACE;
            let mut data = vec![0; space];
            as_account(&mut data, &crate::ID, |info| {
                let head = SubmissionHead {
                    task: key(1),
                    round: 2,
                    node: key(3),
                    index: 4,
                    commitment: [5; 32],
                };
                let tail = SubmissionTail {
                    slot: 6,
                    status: status as u8,
                    audited: 0,
                    bump: 7,
                };
                SubmissionView::write_new(info, &head, &value, &tail).unwrap();
            });
            assert_eq!(data, account_data(&expected, space));
        }
    }

    #[test]
    fn the_audit_view_is_the_audit_as_it_lies_and_a_vote_is_written_as_borsh_writes_it() {
        let key = |b| Pubkey::new_from_array([b; 32]);
        let audit = Audit {
            task: key(1),
            round: 2,
            submission: key(3),
            node: key(4),
            challenger: key(5),
            bond: 6,
            invalid_weight: 7,
            valid_weight: 8,
            voter_count: 9,
            min_stake: 10,
            votes_open: 11,
            verdict: AuditVerdict::Pending,
            bump: 12,
        };
        let mut data = account_data(&audit, 8 + Audit::INIT_SPACE);
        assert_eq!(size_of::<AuditData>(), Audit::INIT_SPACE);
        as_account(&mut data, &crate::ID, |info| {
            let mut view = load_mut::<AuditData>(info).unwrap();
            assert!(view.is_pending());
            let (task, min_stake, bump) = (view.task, view.min_stake, view.bump);
            assert_eq!((task, min_stake, bump), (key(1), 10, 12));
            view.tally(100, true).unwrap();
            view.tally(1_000, false).unwrap();
        });
        let tallied = Audit::try_deserialize(&mut &data[..]).unwrap();
        let expected = Audit {
            invalid_weight: 107,
            valid_weight: 1_008,
            voter_count: 11,
            votes_open: 13,
            ..audit
        };
        assert_eq!(bytes(&tallied), bytes(&expected));

        let vote = Vote {
            audit: key(1),
            voter: key(2),
            weight: 3,
            invalid: true,
            bump: 4,
        };
        let mut data = vec![0; 8 + Vote::INIT_SPACE];
        as_account(&mut data, &crate::ID, |info| {
            let view = VoteData {
                audit: key(1),
                voter: key(2),
                weight: 3,
                invalid: 1,
                bump: 4,
            };
            write_new(info, &view).unwrap();
        });
        assert_eq!(data, account_data(&vote, 8 + Vote::INIT_SPACE));
    }

    /// (Closing itself rewrites the runtime's account layout, so it is
    /// tested on both runtimes: a second claim finds no submission.)
    #[test]
    fn an_account_is_not_closed_into_itself() {
        let mut data = account_data(&distinct_round(), 8 + Round::INIT_SPACE);
        as_account(&mut data, &crate::ID, |info| {
            assert_eq!(
                code_of(close(info, info)),
                u32::from(ErrorCode::ConstraintClose)
            );
            assert_eq!(info.lamports(), 1_000_000);
        });
    }
}
