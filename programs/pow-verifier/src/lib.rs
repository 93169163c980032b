//! An example verifier program for tasknet (the interface: the tasknet
//! crate's `verifier` module, `docs/design.md` "Verifier programs").
//!
//! Its task is proof of work: a node's result for a round is a nonce
//! (8 bytes, little-endian) such that `sha256("tasknet:pow" ‖ task ‖ round
//! ‖ node ‖ nonce)` starts with `DIFFICULTY_BITS` zero bits. Finding one
//! takes about 2^DIFFICULTY_BITS hashes; checking it takes one, so the
//! program decides a challenge exactly and at once, and a wrong value is
//! slashed without a single vote. The node's address is in the hash, so a
//! node cannot copy another's work.
//!
//! It is written against the Solana program crates only, not Anchor: a
//! verifier is any program that answers the interface.

#![allow(unexpected_cfgs)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::indexing_slicing))]

use solana_account_info::AccountInfo;
use solana_program_error::{ProgramError, ProgramResult};
use solana_pubkey::Pubkey;

#[cfg(target_os = "solana")]
use solana_compiler_builtins as _;

/// The program's address (its keypair is not kept: deploy it under your
/// own and name that address in `task create --verifier`).
pub const ID: Pubkey = Pubkey::from_str_const("PoWVer1fy1111111111111111111111111111111111");

/// `sha256("global:verify")[..8]`: the interface's discriminator.
pub const VERIFY_DISCRIMINATOR: [u8; 8] = [133, 161, 141, 48, 120, 198, 88, 150];

pub mod pow {
    /// Leading zero bits a result's hash needs: about 4,096 hashes to find
    /// one (a few milliseconds); a real task sets its own.
    pub const DIFFICULTY_BITS: u32 = 12;
    /// A result is one nonce.
    pub const VALUE_LEN: usize = 8;

    /// The hash a nonce is judged by.
    pub fn digest(task: &[u8; 32], round: u64, node: &[u8; 32], nonce: u64) -> [u8; 32] {
        solana_sha256_hasher::hashv(&[
            b"tasknet:pow",
            task,
            &round.to_le_bytes(),
            node,
            &nonce.to_le_bytes(),
        ])
        .to_bytes()
    }

    /// Whether `hash` starts with `DIFFICULTY_BITS` zero bits.
    pub fn meets_target(hash: &[u8; 32]) -> bool {
        let mut zeros = 0u32;
        for byte in hash {
            zeros = zeros.saturating_add(byte.leading_zeros());
            if *byte != 0 {
                break;
            }
        }
        zeros >= DIFFICULTY_BITS
    }

    /// Whether `value` is a valid result of `node` for `round` of `task`.
    pub fn is_valid(task: &[u8; 32], round: u64, node: &[u8; 32], value: &[u8]) -> bool {
        match <[u8; VALUE_LEN]>::try_from(value) {
            Ok(nonce) => meets_target(&digest(task, round, node, u64::from_le_bytes(nonce))),
            Err(_) => false,
        }
    }

    /// The honest work: the first nonce that meets the target.
    pub fn solve(task: &[u8; 32], round: u64, node: &[u8; 32]) -> u64 {
        (0..u64::MAX)
            .find(|&nonce| meets_target(&digest(task, round, node, nonce)))
            .unwrap_or(u64::MAX)
    }
}

/// The verifier's request, parsed from the interface's wire format
/// (discriminator, task, round, node, value).
#[derive(Debug, PartialEq, Eq)]
pub struct Request<'a> {
    pub task: [u8; 32],
    pub round: u64,
    pub node: [u8; 32],
    pub value: &'a [u8],
}

impl<'a> Request<'a> {
    pub fn parse(data: &'a [u8]) -> Option<Self> {
        let rest = data.strip_prefix(&VERIFY_DISCRIMINATOR)?;
        let (task, rest) = rest.split_first_chunk::<32>()?;
        let (round, rest) = rest.split_first_chunk::<8>()?;
        let (node, rest) = rest.split_first_chunk::<32>()?;
        let (len, value) = rest.split_first_chunk::<4>()?;
        let len = usize::try_from(u32::from_le_bytes(*len)).ok()?;
        (value.len() == len).then_some(Self {
            task: *task,
            round: u64::from_le_bytes(*round),
            node: *node,
            value,
        })
    }
}

/// Answers one verify request: return data `[1]` for a valid result, `[0]`
/// for an invalid one; a request it cannot read is an error (which leaves
/// the audit to the vote).
pub fn process_instruction(
    _program_id: &Pubkey,
    _accounts: &[AccountInfo],
    data: &[u8],
) -> ProgramResult {
    let request = Request::parse(data).ok_or(ProgramError::InvalidInstructionData)?;
    let valid = pow::is_valid(&request.task, request.round, &request.node, request.value);
    let answer = [u8::from(valid)];
    #[cfg(target_os = "solana")]
    solana_cpi::set_return_data(&answer);
    // Natively (program-test) through the runtime's syscall stubs.
    #[cfg(not(target_os = "solana"))]
    solana_sysvar::program_stubs::sol_set_return_data(&answer);
    Ok(())
}

#[cfg(not(feature = "no-entrypoint"))]
solana_program_entrypoint::entrypoint!(process_instruction);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solved_work_is_valid_and_other_work_is_not() {
        let (task, node) = ([1u8; 32], [2u8; 32]);
        let nonce = pow::solve(&task, 3, &node);
        assert!(pow::is_valid(&task, 3, &node, &nonce.to_le_bytes()));
        // Another round, another node, or a short value: invalid (with
        // overwhelming likelihood for the first two; checked here).
        assert!(!pow::is_valid(&task, 3, &node, &nonce.to_le_bytes()[..7]));
        let copied = (0..50u8).filter(|n| pow::is_valid(&task, 3, &[*n; 32], &nonce.to_le_bytes()));
        assert!(copied.count() < 3);
    }

    #[test]
    fn requests_parse_strictly() {
        let mut data = VERIFY_DISCRIMINATOR.to_vec();
        data.extend([1u8; 32]);
        data.extend(9u64.to_le_bytes());
        data.extend([2u8; 32]);
        data.extend(3u32.to_le_bytes());
        data.extend([7, 8, 9]);
        let request = Request::parse(&data).unwrap();
        assert_eq!((request.round, request.value), (9, &[7u8, 8, 9][..]));
        assert_eq!(Request::parse(&data[..data.len() - 1]), None);
        data[0] ^= 1;
        assert_eq!(Request::parse(&data), None);
    }
}
