//! The tasknet program in a real Agave bank (solana-program-test), natively:
//! the native test tier.

use anchor_lang::prelude::{AccountInfo, Pubkey};
use anchor_lang::solana_program::entrypoint::ProgramResult;
use solana_program_test::{processor, ProgramTest};

/// Anchor's generated entrypoint ties every lifetime to one `'info`;
/// program-test wants a plain `fn`. The bank keeps the accounts alive for
/// the whole call, so narrowing the lifetimes to one is sound here.
fn tasknet_entry(program_id: &Pubkey, accounts: &[AccountInfo], data: &[u8]) -> ProgramResult {
    // SAFETY: all three borrows outlive this call; see above.
    let accounts: &[AccountInfo] = unsafe { std::mem::transmute(accounts) };
    let program_id: &Pubkey = unsafe { std::mem::transmute(program_id) };
    let data: &[u8] = unsafe { std::mem::transmute(data) };
    tasknet::entry(program_id, accounts, data)
}

/// A program-test with tasknet loaded natively (no SBF build needed).
pub fn program_test() -> ProgramTest {
    // program-test logs every instruction at debug level to stderr unless
    // RUST_LOG says otherwise; transaction logs are returned anyway.
    if std::env::var_os("RUST_LOG").is_none() {
        std::env::set_var("RUST_LOG", "error");
    }
    let mut test = ProgramTest::new("tasknet", tasknet::ID, processor!(tasknet_entry));
    test.prefer_bpf(false);
    // The example verifier, natively too.
    test.add_program(
        "tasknet_pow_verifier",
        tasknet_pow_verifier::ID,
        processor!(tasknet_pow_verifier::process_instruction),
    );
    test
}
