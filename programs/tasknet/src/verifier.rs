//! The verifier interface: how a task's challenges are decided exactly,
//! by a program, instead of by a stake vote.
//!
//! A task may name a verifier program at creation (`Task::verifier`). For
//! a challenged submission of such a task, `verify_audit` calls the
//! verifier once, by CPI, with:
//!
//! - **accounts** (all read-only, none signing): the task, the round, the
//!   submission — in that order;
//! - **data**: `VERIFY_DISCRIMINATOR` (`sha256("global:verify")[..8]`, so
//!   an Anchor program's `verify` instruction has this wire format), then
//!   the Borsh encoding of [`VerifyRequest`]: task (32 bytes), round (u64
//!   LE), node (32 bytes), value (u32 LE length, then the bytes);
//! - **answer**: return data set by the verifier itself, exactly one byte:
//!   `1` valid, `0` invalid.
//!
//! A verifier that fails, runs out of compute, answers from another
//! program or answers anything else makes `verify_audit` fail, which
//! changes nothing: the audit stays with the stake vote (`vote`,
//! `resolve_audit`), and nobody is slashed by a broken verifier.

use anchor_lang::prelude::*;
use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};

/// `sha256("global:verify")[..8]`: Anchor's discriminator of `verify`.
pub const VERIFY_DISCRIMINATOR: [u8; 8] = [133, 161, 141, 48, 120, 198, 88, 150];

/// What the verifier is asked: is `value` a valid result of `node` for
/// `round` of `task`?
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct VerifyRequest {
    pub task: Pubkey,
    pub round: u64,
    pub node: Pubkey,
    pub value: Vec<u8>,
}

/// The verifier's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    Valid,
    Invalid,
}

/// Why return data is not an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnswerError {
    /// No return data, or return data set by another program.
    Missing,
    /// Return data that is not exactly one byte of 0 or 1.
    Malformed,
}

impl VerifyRequest {
    /// The instruction data: discriminator, then the Borsh request.
    pub fn data(&self) -> Vec<u8> {
        let mut data = VERIFY_DISCRIMINATOR.to_vec();
        // Writing into a Vec cannot fail.
        let _ = self.serialize(&mut data);
        data
    }

    /// Parses instruction data (for verifiers written in Rust).
    pub fn parse(data: &[u8]) -> Option<Self> {
        let body = data.strip_prefix(&VERIFY_DISCRIMINATOR)?;
        Self::try_from_slice(body).ok()
    }
}

/// The verifier call for a submission: the fixed account list, all
/// read-only.
pub fn instruction(
    verifier: Pubkey,
    task: Pubkey,
    round_account: Pubkey,
    submission: Pubkey,
    request: &VerifyRequest,
) -> Instruction {
    Instruction {
        program_id: verifier,
        accounts: vec![
            AccountMeta::new_readonly(task, false),
            AccountMeta::new_readonly(round_account, false),
            AccountMeta::new_readonly(submission, false),
        ],
        data: request.data(),
    }
}

/// Reads the verifier's answer from the return data after its call:
/// `(program that set it, data)`.
pub fn answer(
    verifier: &Pubkey,
    returned: Option<(Pubkey, Vec<u8>)>,
) -> core::result::Result<Answer, AnswerError> {
    match returned {
        Some((program, data)) if program == *verifier => match data.as_slice() {
            [1] => Ok(Answer::Valid),
            [0] => Ok(Answer::Invalid),
            _ => Err(AnswerError::Malformed),
        },
        _ => Err(AnswerError::Missing),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_discriminator_is_anchors_for_verify() {
        let hash = solana_sha256_hasher::hash(b"global:verify").to_bytes();
        assert_eq!(VERIFY_DISCRIMINATOR, hash[..8]);
    }

    #[test]
    fn requests_round_trip_and_answers_are_strict() {
        let request = VerifyRequest {
            task: Pubkey::new_unique(),
            round: 7,
            node: Pubkey::new_unique(),
            value: vec![1, 2, 3],
        };
        let data = request.data();
        assert_eq!(data.len(), 8 + 32 + 8 + 32 + 4 + 3);
        assert_eq!(VerifyRequest::parse(&data), Some(request));
        assert_eq!(VerifyRequest::parse(&data[1..]), None);
        let verifier = Pubkey::new_unique();
        let other = Pubkey::new_unique();
        assert_eq!(
            answer(&verifier, Some((verifier, vec![1]))),
            Ok(Answer::Valid)
        );
        assert_eq!(
            answer(&verifier, Some((verifier, vec![0]))),
            Ok(Answer::Invalid)
        );
        assert_eq!(
            answer(&verifier, Some((verifier, vec![2]))),
            Err(AnswerError::Malformed)
        );
        assert_eq!(
            answer(&verifier, Some((verifier, vec![1, 0]))),
            Err(AnswerError::Malformed)
        );
        assert_eq!(
            answer(&verifier, Some((other, vec![1]))),
            Err(AnswerError::Missing)
        );
        assert_eq!(answer(&verifier, None), Err(AnswerError::Missing));
    }
}
