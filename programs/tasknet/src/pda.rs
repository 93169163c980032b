//! Program-derived addresses on the per-node path, without a bump search.
//!
//! Anchor's `init` finds a new account's bump with `find_program_address`,
//! 1,500 CU per bump tried (two tries on average). Here the client passes
//! the bump it derived anyway, and the program checks that it is the
//! canonical one with two cheap syscalls per bump: a sha256 of the seeds
//! (~150 CU) and a curve check (159 CU). Canonical means the highest bump
//! whose address is off the curve, so the check also covers every higher
//! bump (one on average): a non-canonical bump would give a second address
//! for the same seeds, and with it a second submission or vote.

use crate::system;
use anchor_lang::prelude::*;
use solana_curve25519::edwards::{validate_edwards, PodEdwardsPoint};
use solana_sha256_hasher::hashv;

use crate::errors::TasknetError;

const PDA_MARKER: &[u8] = b"ProgramDerivedAddress";

/// Every byte value: a bump tried is a one-byte slice of it, so the hash
/// input is built once per check and only its bump slot changes.
const BYTES: [u8; 256] = {
    let mut bytes = [0u8; 256];
    let mut i = 0;
    #[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]
    while i < 256 {
        // Evaluated at compile time: an index out of range cannot build.
        bytes[i] = i as u8;
        i += 1;
    }
    bytes
};

/// The hash input of `seeds` under a program: `seeds ‖ bump ‖ program_id
/// ‖ "ProgramDerivedAddress"`, at most five seeds.
struct Derivation<'a> {
    parts: [&'a [u8]; 8],
    seeds: usize,
}

impl<'a> Derivation<'a> {
    #[cfg_attr(target_os = "solana", optimize(speed))]
    fn new(seeds: &[&'a [u8]], program_id: &'a Pubkey) -> Option<Self> {
        let mut parts: [&[u8]; 8] = [&[]; 8];
        let tail: [&'a [u8]; 3] = [&[], program_id.as_ref(), PDA_MARKER];
        let count = seeds.len().checked_add(tail.len())?;
        if count > parts.len() {
            return None;
        }
        for (slot, part) in parts.iter_mut().zip(seeds.iter().chain(tail.iter())) {
            *slot = part;
        }
        Some(Self {
            parts,
            seeds: seeds.len(),
        })
    }

    /// The address with `bump`, whether or not it is off the curve.
    #[cfg_attr(target_os = "solana", optimize(speed))]
    fn address(&mut self, bump: u8) -> [u8; 32] {
        let at = usize::from(bump);
        if let (Some(slot), Some(byte)) = (
            self.parts.get_mut(self.seeds),
            BYTES.get(at..at.saturating_add(1)),
        ) {
            *slot = byte;
        }
        let used = self.seeds.saturating_add(3);
        hashv(self.parts.get(..used).unwrap_or(&[])).to_bytes()
    }
}

#[cfg_attr(target_os = "solana", optimize(speed))]
fn on_curve(bytes: [u8; 32]) -> bool {
    validate_edwards(&PodEdwardsPoint(bytes))
}

/// Whether `address` is the canonical PDA of `seeds` with `bump`: derived
/// from them, off the curve, and every higher bump's address on it. Seeds
/// are at most five parts (ours are at most four).
#[cfg_attr(target_os = "solana", optimize(speed))]
pub fn is_canonical(seeds: &[&[u8]], bump: u8, program_id: &Pubkey, address: &Pubkey) -> bool {
    let Some(mut derivation) = Derivation::new(seeds, program_id) else {
        return false;
    };
    let derived = derivation.address(bump);
    if derived != address.to_bytes() || on_curve(derived) {
        return false;
    }
    match bump.checked_add(1) {
        Some(next) => (next..=u8::MAX).all(|higher| on_curve(derivation.address(higher))),
        None => true,
    }
}

/// Refuses an `address` that is not the canonical PDA of `seeds` and the
/// client's `bump` (checked without a search, see above).
#[cfg_attr(target_os = "solana", optimize(speed))]
pub fn check_canonical(seeds: &[&[u8]], bump: u8, address: &Pubkey) -> Result<()> {
    require!(
        is_canonical(seeds, bump, &crate::ID, address),
        TasknetError::WrongAddress
    );
    Ok(())
}

/// Creates a program-owned account of `space` bytes at an address already
/// checked to be the PDA of `seeds` and `bump` (by `check_canonical`, or
/// by an Anchor `seeds` constraint), paid by `payer`. This is the program's one
/// way to create an account: anyone can send lamports to a PDA before it
/// exists, and `CreateAccount` refuses a funded address while Anchor's
/// `init` falls back to `CreateAccountAllowPrefund`, which runtimes before
/// SIMD-0312 do not know; a donation must not block a round, a stake, an
/// audit or a vote. So a funded address gets the shortfall transferred,
/// then is allocated and assigned, on every runtime. Returns the lamports
/// the address held above rent, for the caller to account for (a pool
/// holder moves them to its bounty; any other account keeps them and they
/// go where its rent goes when it closes). The caller refuses an address
/// the program already owns with its own named error.
#[cfg_attr(target_os = "solana", optimize(speed))]
pub fn create_at<'info>(
    payer: &AccountInfo<'info>,
    account: &AccountInfo<'info>,
    seeds: &[&[u8]],
    bump: u8,
    space: usize,
) -> Result<u64> {
    create_owned_by(payer, account, seeds, bump, space, &crate::ID)
}

/// `create_at` for an account another program will own (a task's token
/// accounts, owned by a token program).
#[cfg_attr(target_os = "solana", optimize(speed))]
pub fn create_owned_by<'info>(
    payer: &AccountInfo<'info>,
    account: &AccountInfo<'info>,
    seeds: &[&[u8]],
    bump: u8,
    space: usize,
    owner: &Pubkey,
) -> Result<u64> {
    let rent = Rent::get()?.minimum_balance(space);
    let bump = [bump];
    let mut signer: [&[u8]; 6] = [&[]; 6];
    for (slot, seed) in signer.iter_mut().zip(seeds.iter().chain([&&bump[..]])) {
        *slot = seed;
    }
    let signer_seeds = [signer
        .get(..seeds.len().saturating_add(1))
        .ok_or(TasknetError::WrongAddress)?];
    let space_u64 = u64::try_from(space).map_err(|_| TasknetError::ArithmeticOverflow)?;
    let held = account.lamports();
    if held == 0 {
        system::create_account(payer, account, rent, space_u64, owner, &signer_seeds)?;
        return Ok(0);
    }
    let shortfall = rent.saturating_sub(held);
    if shortfall > 0 {
        system::transfer(payer, account, shortfall)?;
    }
    system::allocate(account, space_u64, &signer_seeds)?;
    system::assign(account, owner, &signer_seeds)?;
    Ok(held.saturating_sub(rent))
}

/// Reads a `T` (its discriminator checked) from an account the program owns.
pub fn read<T: AccountDeserialize>(account: &AccountInfo<'_>) -> Result<T> {
    let data = account.try_borrow_data()?;
    T::try_deserialize(&mut &data[..])
}

/// Whether the program already owns `account` (it was created before).
pub fn exists(account: &AccountInfo<'_>) -> bool {
    account.owner == &crate::ID
}

/// Writes `value` (discriminator first) into an account `create` made.
pub fn write<T: AccountSerialize>(account: &AccountInfo<'_>, value: &T) -> Result<()> {
    let mut data = account.try_borrow_mut_data()?;
    let mut out: &mut [u8] = &mut data;
    value.try_serialize(&mut out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn agrees_with_find_program_address(a in any::<[u8; 32]>(), b in any::<u64>()) {
            let program = crate::ID;
            let seeds: [&[u8]; 3] = [b"submission", &a, &b.to_le_bytes()];
            let (address, bump) = Pubkey::find_program_address(&seeds, &program);
            prop_assert!(is_canonical(&seeds, bump, &program, &address));
            // Any other bump is refused, whether its address is valid or not.
            for other in (0..=u8::MAX).filter(|x| *x != bump) {
                let other_address =
                    Pubkey::new_from_array(Derivation::new(&seeds, &program).unwrap().address(other));
                prop_assert!(!is_canonical(&seeds, other, &program, &other_address));
                prop_assert!(!is_canonical(&seeds, other, &program, &address));
            }
        }
    }
}
