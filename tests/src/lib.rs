//! Test harness: the tasknet program in a real Solana runtime — natively in
//! an Agave bank (solana-program-test) or as its SBF bytecode in LiteSVM —
//! with a money-conservation check after every transaction on both.
//!
//! The same test source runs on both backends: `tests/native.rs` and
//! `tests/sbf.rs` each include the cases under `tests/cases/` with their
//! own `BACKEND`.

#![allow(deprecated)]

pub mod fuzz;
pub mod tokens;

use sha2::Digest as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anchor_lang::prelude::{Clock, Pubkey};
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::solana_program::system_instruction;
use anchor_lang::AccountDeserialize;
use litesvm::LiteSVM;
use solana_compute_budget_interface::ComputeBudgetInstruction;
use solana_keypair::Keypair;
use solana_program_test::ProgramTestContext;
use solana_signer::Signer;
use solana_transaction::Transaction;
use tasknet::errors::TasknetError;
use tasknet::events::AuditSeedRecorded;
use tasknet::instructions::{CreateTaskArgs, SubmissionPayload};
use tasknet::logic::{commitment, Schedule, SALT_LEN};
use tasknet::state::{Economics, Round, Task};
use tasknet_sdk::defaults::ECONOMICS;
use tasknet_sdk::tokens::TokenAsset;
use tasknet_sdk::{self as sdk, pda};
use tasknet_testkit::instruction_name;

pub use solana_instruction::error::InstructionError;
pub use solana_transaction_error::TransactionError;

mod native_program;
pub use native_program::program_test;

/// The outcome of one transaction.
#[derive(Debug)]
pub struct Sent {
    pub result: Result<(), TransactionError>,
    pub logs: Vec<String>,
    pub compute_units: u64,
}

impl Sent {
    #[track_caller]
    pub fn ok(self) -> Self {
        if let Err(e) = &self.result {
            panic!("transaction failed: {e:?}\nlogs:\n{}", self.logs.join("\n"));
        }
        self
    }

    /// Asserts the transaction failed with this tasknet error.
    #[track_caller]
    pub fn err(self, expected: TasknetError) {
        self.err_code(
            anchor_lang::error::ERROR_CODE_OFFSET + expected as u32,
            &format!("{expected:?}"),
        );
    }

    /// Asserts the transaction failed with this Anchor framework error.
    #[track_caller]
    pub fn anchor_err(self, expected: anchor_lang::error::ErrorCode) {
        self.err_code(expected as u32, &format!("{expected:?}"));
    }

    #[track_caller]
    fn err_code(self, code: u32, name: &str) {
        match &self.result {
            Err(TransactionError::InstructionError(_, InstructionError::Custom(c)))
                if *c == code => {}
            other => panic!(
                "expected error {name} ({code}), got {other:?}\nlogs:\n{}",
                self.logs.join("\n")
            ),
        }
    }
}

/// Where the program runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// Natively, inside a real Agave bank (solana-program-test).
    Native,
    /// As SBF bytecode (`target/deploy/tasknet.so`, built by
    /// `tools/sbf/build.sh`) in LiteSVM's SBPF VM, metered.
    Sbf,
}

/// The chain a harness drives.
enum Chain {
    Native(Box<ProgramTestContext>),
    Sbf(Box<LiteSVM>),
}

pub struct Harness {
    chain: Chain,
    payer: Keypair,
    pub backend: Backend,
    /// Tasks whose vault is checked after every transaction.
    tasks: Vec<Pubkey>,
    /// Varies each transaction's compute-unit limit so that two otherwise
    /// identical transactions (a deliberate double submit) get different
    /// signatures instead of being dropped as duplicates.
    nonce: u32,
    pub transactions: u64,
    /// Keys handed out so far: the next key's index.
    keys_made: u32,
    /// Hold SBF transactions under `COMPUTE_UNIT_CEILINGS` (the fuzzer turns
    /// it off: its random task ids and keys change the cost of bump searches
    /// in `init`, which the ceilings measure with fixed keys).
    pub check_ceilings: bool,
}

pub use tasknet_sdk::amount::LAMPORTS_PER_SOL;

/// Where `tools/sbf/build.sh` writes the program.
pub fn sbf_program_path() -> PathBuf {
    match std::env::var_os("TASKNET_SBF_PROGRAM") {
        Some(path) => PathBuf::from(path),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/deploy/tasknet.so"),
    }
}

/// The example verifier's SBF build (`tools/sbf/build.sh` builds it with
/// the program).
pub fn sbf_verifier_program() -> &'static [u8] {
    static PROGRAM: OnceLock<Vec<u8>> = OnceLock::new();
    PROGRAM.get_or_init(|| {
        let path = sbf_program_path().with_file_name("tasknet_pow_verifier.so");
        std::fs::read(&path).unwrap_or_else(|e| {
            panic!(
                "the example verifier {} is missing ({e}): build it with tools/sbf/build.sh",
                path.display()
            )
        })
    })
}

/// The SBF program's bytes; a missing or stale build is an error that names
/// the command that builds it, never a skipped test.
pub fn sbf_program() -> &'static [u8] {
    static PROGRAM: OnceLock<Vec<u8>> = OnceLock::new();
    PROGRAM.get_or_init(read_sbf_program)
}

fn read_sbf_program() -> Vec<u8> {
    let path = sbf_program_path();
    let bytes = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "the SBF program {} is missing ({e}): build it with tools/sbf/build.sh",
            path.display()
        )
    });
    let built = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
    let source = newest_source(Path::new(env!("CARGO_MANIFEST_DIR")).join("../programs/tasknet"));
    if let (Some(built), Some(source)) = (built, source) {
        assert!(
            built >= source,
            "the SBF program {} is older than the program's source: rebuild it with tools/sbf/build.sh",
            path.display()
        );
    }
    bytes
}

fn newest_source(dir: PathBuf) -> Option<std::time::SystemTime> {
    let mut newest = None;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        let time = if path.is_dir() {
            newest_source(path)
        } else {
            entry.metadata().and_then(|m| m.modified()).ok()
        };
        newest = newest.max(time);
    }
    newest
}

fn address(key: &Pubkey) -> solana_address::Address {
    solana_address::Address::new_from_array(key.to_bytes())
}

/// The `index`-th key of a test run. Deterministic, because an `init`
/// account's compute units depend on its PDA's bump search (about 1,500 CU
/// per try), and so on the keys in its seeds: fixed keys make every SBF run
/// cost the same, so a ceiling is a real check.
pub fn test_keypair(index: u32) -> Keypair {
    let mut secret = [7u8; 32];
    secret[..4].copy_from_slice(&index.to_le_bytes());
    Keypair::new_from_array(secret)
}

/// Most compute units each instruction may use on SBF (transaction total,
/// the compute-budget instruction included), over every test flow. Set from
/// the measurement in docs/performance.md plus a margin; CU on SBF are
/// deterministic, so growing past one is a real regression, not noise.
pub const COMPUTE_UNIT_CEILINGS: [(&str, u64); 34] = [
    ("create_task", 22_400),
    ("fund_task", 11_700),
    ("update_task", 7_300),
    ("pause_task", 6_500),
    ("resume_task", 6_000),
    ("withdraw_bounty", 9_800),
    ("close_task", 9_800),
    ("stake", 23_600),
    ("unstake", 9_300),
    ("withdraw_stake", 11_700),
    ("close_stake", 8_300),
    ("open_round", 17_400),
    ("record_audit_seed", 2_300),
    ("reveal (recording the audit seed)", 5_200),
    ("verify_audit", 31_800),
    ("challenge + verify_audit", 64_300),
    ("submit", 9_300),
    ("reveal", 4_900),
    ("challenge", 36_400),
    ("vote", 8_900),
    ("claim", 4_300),
    ("resolve_audit", 22_200),
    ("close_round", 11_800),
    ("close_submission", 8_700),
    ("close_vote", 4_700),
    // A token task's variants (" (token)": the instruction carries a token
    // program).
    ("create_task (token)", 38_500),
    ("fund_task (token)", 19_400),
    ("open_round (token)", 50_400),
    ("claim (token)", 9_600),
    ("close_round (token)", 23_600),
    // A node's first claim creates its associated token account in the
    // same transaction (as does a crank paying a node that never claimed).
    ("claim (token, creating the ATA)", 30_100),
    ("close_submission (token, creating the ATA)", 32_600),
    ("withdraw_bounty (token)", 18_900),
    ("close_task (token)", 19_100),
];

/// The compute-unit row of an instruction: its name, and " (token)" for a
/// token task's variant (it carries a token program).
pub fn cu_row(name: &str, instruction: &Instruction) -> String {
    let token = instruction.accounts.iter().any(|meta| {
        meta.pubkey == sdk::tokens::TOKEN_PROGRAM_ID
            || meta.pubkey == sdk::tokens::TOKEN_2022_PROGRAM_ID
    });
    if token {
        format!("{name} (token)")
    } else {
        name.to_string()
    }
}

pub fn compute_unit_ceiling(name: &str) -> u64 {
    COMPUTE_UNIT_CEILINGS
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(0, |(_, ceiling)| *ceiling)
}

impl Harness {
    pub async fn new(backend: Backend) -> Self {
        let (chain, payer) = match backend {
            Backend::Native => {
                let ctx = program_test().start_with_context().await;
                let payer = ctx.payer.insecure_clone();
                (Chain::Native(Box::new(ctx)), payer)
            }
            Backend::Sbf => {
                let mut svm = LiteSVM::new();
                // LiteSVM's clock starts at a mainnet-like slot; the tests'
                // schedules start at slot 100, as from a fresh bank.
                svm.warp_to_slot(1);
                svm.add_program(address(&tasknet::ID), sbf_program())
                    .expect("LiteSVM loads tasknet.so");
                svm.add_program(address(&tasknet_pow_verifier::ID), sbf_verifier_program())
                    .expect("LiteSVM loads tasknet_pow_verifier.so");
                // SlotHashes fills as the clock moves, as a bank's does
                // (see `warp_to`).
                svm.set_sysvar(&solana_slot_hashes::SlotHashes::new(&[]));
                let payer = test_keypair(u32::MAX);
                svm.airdrop(&address(&payer.pubkey()), 500_000 * LAMPORTS_PER_SOL)
                    .expect("airdrop to the payer");
                (Chain::Sbf(Box::new(svm)), payer)
            }
        };
        Self {
            chain,
            payer,
            backend,
            tasks: Vec::new(),
            nonce: 0,
            transactions: 0,
            keys_made: 0,
            check_ceilings: true,
        }
    }

    pub fn payer(&self) -> Pubkey {
        self.payer.pubkey()
    }

    /// Moves the clock to `slot` (no-op if already there or past it).
    pub async fn warp_to(&mut self, slot: u64) {
        let now = self.current_slot().await;
        if slot <= now {
            return;
        }
        match &mut self.chain {
            Chain::Native(ctx) => ctx.warp_to_slot(slot).unwrap(),
            Chain::Sbf(svm) => {
                // As program-test's warp: a bank at `slot - 1` whose
                // parent is the bank we leave, then the bank at `slot`, so
                // SlotHashes gains both their hashes.
                let mut hashes: solana_slot_hashes::SlotHashes = svm.get_sysvar();
                for parent in [now, slot - 1] {
                    let hash: [u8; 32] = sha2::Sha256::new()
                        .chain_update(b"tasknet-test-bank")
                        .chain_update(parent.to_le_bytes())
                        .finalize()
                        .into();
                    hashes.add(parent, solana_hash_v4::Hash::new_from_array(hash));
                }
                svm.set_sysvar(&hashes);
                svm.warp_to_slot(slot);
                svm.expire_blockhash();
            }
        }
    }

    pub async fn current_slot(&mut self) -> u64 {
        let clock: Clock = match &mut self.chain {
            Chain::Native(ctx) => ctx.banks_client.get_sysvar().await.unwrap(),
            Chain::Sbf(svm) => svm.get_sysvar(),
        };
        clock.slot
    }

    async fn latest_blockhash(&mut self) -> solana_hash::Hash {
        match &mut self.chain {
            Chain::Native(ctx) => ctx.banks_client.get_latest_blockhash().await.unwrap(),
            Chain::Sbf(svm) => solana_hash::Hash::new_from_array(svm.latest_blockhash().to_bytes()),
        }
    }

    /// Signs with the harness payer (fee payer) plus `signers`, sends, then
    /// checks money conservation for every tracked task.
    pub async fn send(&mut self, instructions: &[Instruction], signers: &[&Keypair]) -> Sent {
        self.nonce += 1;
        let mut all = vec![ComputeBudgetInstruction::set_compute_unit_limit(
            1_000_000 + self.nonce,
        )];
        all.extend_from_slice(instructions);
        let blockhash = self.latest_blockhash().await;
        let mut keys: Vec<&Keypair> = vec![&self.payer];
        keys.extend_from_slice(signers);
        let tx =
            Transaction::new_signed_with_payer(&all, Some(&self.payer.pubkey()), &keys, blockhash);
        let sent = self.process(tx).await;
        self.transactions += 1;
        // An instruction alone, or after the creation of an associated
        // token account (a node's first claim of a token task).
        if let ([challenge, verify], Ok(())) = (instructions, &sent.result) {
            let names = (
                instruction_name(&challenge.data),
                instruction_name(&verify.data),
            );
            if names == (Some("challenge"), Some("verify_audit")) {
                self.record_compute_units("challenge + verify_audit", sent.compute_units);
            }
        }
        let (measured, creates_ata) = match instructions {
            [only] => (Some(only), false),
            [first, only] if first.program_id == sdk::tokens::ASSOCIATED_TOKEN_PROGRAM_ID => {
                (Some(only), true)
            }
            _ => (None, false),
        };
        if let (Some(only), Ok(())) = (measured, &sent.result) {
            if let Some(name) =
                instruction_name(&only.data).filter(|_| only.program_id == tasknet::ID)
            {
                let mut row = cu_row(name, only);
                if creates_ata {
                    row = format!("{name} (token, creating the ATA)");
                }
                if name == "reveal" && !events::<AuditSeedRecorded>(&sent).is_empty() {
                    row = format!("{row} (recording the audit seed)");
                }
                self.record_compute_units(&row, sent.compute_units);
            }
        }
        self.check_conservation().await;
        sent
    }

    /// On SBF, holds a successful instruction's compute units under its
    /// ceiling and appends them to the file in `TASKNET_CU_LOG` (read by
    /// `cargo run -p tasknet-tests --bin cu-report`).
    fn record_compute_units(&mut self, name: &str, units: u64) {
        if self.backend != Backend::Sbf || !self.check_ceilings {
            return;
        }
        // TASKNET_CU_MEASURE=1 records without holding (to set new ceilings).
        let ceiling = match std::env::var_os("TASKNET_CU_MEASURE") {
            Some(_) => u64::MAX,
            None => compute_unit_ceiling(name),
        };
        assert!(
            units <= ceiling,
            "{name} used {units} compute units on SBF, over its ceiling of {ceiling} (COMPUTE_UNIT_CEILINGS in tests/src/lib.rs)"
        );
        if let Some(path) = std::env::var_os("TASKNET_CU_LOG") {
            use std::io::Write;
            let mut log = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .expect("TASKNET_CU_LOG is writable");
            // One short line per write: appends from parallel tests stay whole.
            log.write_all(format!("{name} {units}\n").as_bytes())
                .expect("TASKNET_CU_LOG is writable");
        }
    }

    async fn process(&mut self, tx: Transaction) -> Sent {
        match &mut self.chain {
            Chain::Native(ctx) => {
                let outcome = ctx
                    .banks_client
                    .process_transaction_with_metadata(tx)
                    .await
                    .expect("banks transport");
                let (logs, compute_units) = outcome
                    .metadata
                    .map(|m| (m.log_messages, m.compute_units_consumed))
                    .unwrap_or_default();
                Sent {
                    result: outcome.result,
                    logs,
                    compute_units,
                }
            }
            Chain::Sbf(svm) => {
                // LiteSVM speaks the Solana 4.x types; the wire format is the same.
                let bytes = bincode::serialize(&tx).expect("transactions serialize");
                let tx: solana_transaction_v4::Transaction =
                    bincode::deserialize(&bytes).expect("same wire format");
                let outcome = svm.send_transaction(tx);
                // TASKNET_SBF_LOGS=1 (with --nocapture) prints every
                // transaction's program logs: where compute goes, by
                // `sol_log_compute_units` markers (docs/performance.md).
                if std::env::var_os("TASKNET_SBF_LOGS").is_some() {
                    let logs = match &outcome {
                        Ok(meta) => &meta.logs,
                        Err(failed) => &failed.meta.logs,
                    };
                    eprintln!("transaction\n{}", logs.join("\n"));
                }
                match outcome {
                    Ok(meta) => Sent {
                        result: Ok(()),
                        logs: meta.logs,
                        compute_units: meta.compute_units_consumed,
                    },
                    Err(failed) => Sent {
                        result: Err(failed.err),
                        logs: failed.meta.logs,
                        compute_units: failed.meta.compute_units_consumed,
                    },
                }
            }
        }
    }

    /// Money conservation: for every tracked task still open, the vault's
    /// lamports minus its rent-exempt minimum equal the sum of the ledger,
    /// and every round account holds exactly its outstanding pool above rent
    /// (and no more was claimed than the pool). Per asset for a token task:
    /// its bounty account holds exactly the task's token bounty, each round's
    /// pool account exactly the round's outstanding pool, and the round
    /// account nothing above rent.
    pub async fn check_conservation(&mut self) {
        for task_key in self.tasks.clone() {
            let Some(task) = self.account::<Task>(&task_key).await else {
                continue;
            };
            let last_round = task
                .schedule
                .round_at(self.current_slot().await)
                .unwrap_or(0);
            let mut rounds_found = 0;
            for round in 0..=last_round.saturating_add(1) {
                let address = pda::round(&task_key, round);
                let Some((lamports, data)) = self.raw_account(&address).await else {
                    continue;
                };
                if data.is_empty() {
                    // Lamports sent to a round's address before it opened:
                    // a system account, not the program's (they join the
                    // bounty when the round opens).
                    continue;
                }
                rounds_found += 1;
                let account: Round = sdk::accounts::decode(&data).expect("a round decodes");
                let held = lamports - self.rent_for(data.len()).await;
                assert!(
                    account.claimed_sum <= account.reward_pool,
                    "round {round} of {task_key} paid {} from a pool of {}",
                    account.claimed_sum,
                    account.reward_pool
                );
                // A token round holds its pool in its token account and
                // nothing above rent in lamports.
                let (held_lamports, held_tokens) = match task.reward_token {
                    Some(_) => (0, Some(self.token_balance(&account.pool_tokens).await)),
                    None => (account.reward_pool - account.claimed_sum, None),
                };
                assert_eq!(
                    held, held_lamports,
                    "round {round} of {task_key} holds {held} above rent, its pool says {account:?}"
                );
                if let Some(tokens) = held_tokens {
                    assert_eq!(
                        account.pool_tokens,
                        pda::pool_tokens(&address),
                        "round {round} of {task_key} names a pool account not its own"
                    );
                    assert_eq!(
                        tokens,
                        account.reward_pool - account.claimed_sum,
                        "round {round} of {task_key} holds {tokens} tokens, its pool says {account:?}"
                    );
                }
            }
            assert_eq!(
                rounds_found, task.rounds_open,
                "task {task_key} counts {} open rounds, {rounds_found} exist",
                task.rounds_open
            );
            let (lamports, data) = self
                .raw_account(&pda::vault(&task_key))
                .await
                .expect("an open task has a vault");
            let held = lamports - self.rent_for(data.len()).await;
            assert_eq!(
                Some(held),
                task.ledger.total(),
                "vault of {task_key} holds {held} above rent, ledger says {:?}",
                task.ledger
            );
            if let Some(reward) = task.reward_token {
                let tokens = self.token_balance(&reward.bounty_account).await;
                assert_eq!(
                    tokens, reward.bounty,
                    "bounty account of {task_key} holds {tokens} tokens, the task says {reward:?}"
                );
            }
        }
    }

    pub fn track(&mut self, task: Pubkey) {
        self.tasks.push(task);
    }

    /// Stops checking `task` (while a test moves its tokens behind the
    /// program's back, to show what the program does with them).
    pub fn untrack(&mut self, task: &Pubkey) {
        self.tasks.retain(|t| t != task);
    }

    /// An account's lamports and data.
    pub async fn raw_account(&mut self, key: &Pubkey) -> Option<(u64, Vec<u8>)> {
        match &mut self.chain {
            Chain::Native(ctx) => ctx
                .banks_client
                .get_account(*key)
                .await
                .unwrap()
                .map(|a| (a.lamports, a.data)),
            Chain::Sbf(svm) => svm.get_account(&address(key)).map(|a| (a.lamports, a.data)),
        }
    }

    /// Adds lamports to an account behind the program's back (to show the
    /// conservation check catches them).
    pub async fn add_stray_lamports(&mut self, key: &Pubkey, lamports: u64) {
        match &mut self.chain {
            Chain::Native(ctx) => {
                let mut account = ctx.banks_client.get_account(*key).await.unwrap().unwrap();
                account.lamports += lamports;
                ctx.set_account(key, &account.into());
            }
            Chain::Sbf(svm) => {
                let mut account = svm.get_account(&address(key)).unwrap();
                account.lamports += lamports;
                svm.set_account(address(key), account).unwrap();
            }
        }
    }

    pub async fn account<T: AccountDeserialize>(&mut self, address: &Pubkey) -> Option<T> {
        let (_, data) = self.raw_account(address).await?;
        Some(sdk::accounts::decode(&data).expect("decodes"))
    }

    pub async fn exists(&mut self, address: &Pubkey) -> bool {
        self.raw_account(address).await.is_some()
    }

    pub async fn balance(&mut self, address: &Pubkey) -> u64 {
        self.raw_account(address)
            .await
            .map_or(0, |(lamports, _)| lamports)
    }

    /// A new keypair holding `lamports`. Keys are the same in every run (see
    /// `test_keypair`), so compute units on SBF are too.
    pub async fn funded_keypair(&mut self, lamports: u64) -> Keypair {
        let keypair = self.next_keypair();
        let ix = system_instruction::transfer(&self.payer(), &keypair.pubkey(), lamports);
        self.send(&[ix], &[]).await.ok();
        keypair
    }

    pub async fn rent_for(&mut self, data_len: usize) -> u64 {
        match &mut self.chain {
            Chain::Native(ctx) => ctx
                .banks_client
                .get_rent()
                .await
                .unwrap()
                .minimum_balance(data_len),
            Chain::Sbf(svm) => svm.minimum_balance_for_rent_exemption(data_len),
        }
    }
}

// ---- a standard task for tests ----

/// Round 0 starts here; tests warp forward from the genesis slot.
pub const START_SLOT: u64 = 100;

/// Pipelined: round r's reveal and audit windows run into round r+1.
pub fn commit_reveal_schedule() -> Schedule {
    Schedule {
        start_slot: START_SLOT,
        round_slots: 20,
        submit_slots: 8,
        reveal_slots: 6,
        audit_slots: 12,
        claim_rounds: 1,
    }
}

pub fn plain_schedule() -> Schedule {
    Schedule {
        reveal_slots: 0,
        ..commit_reveal_schedule()
    }
}

pub const MIN_STAKE: u64 = LAMPORTS_PER_SOL;
pub const REWARD_PER_ROUND: u64 = 1_000_003;
pub const CHALLENGE_BOND: u64 = 50_000_000;

pub fn economics() -> Economics {
    Economics {
        reward_per_round: REWARD_PER_ROUND,
        min_stake: MIN_STAKE,
        challenge_bond: CHALLENGE_BOND,
        // The bps rules are the defaults users get.
        ..ECONOMICS
    }
}

pub fn task_args(task_id: u64, commit_reveal: bool) -> CreateTaskArgs {
    CreateTaskArgs {
        task_id,
        name: "iterated-hash".into(),
        metadata_uri: "https://example.org/tasks/iterated-hash.json".into(),
        code_hash: [42; 32],
        code_uri: "https://example.org/tasks/iterated-hash.wasm".into(),
        code_limits: Default::default(),
        schedule: if commit_reveal {
            commit_reveal_schedule()
        } else {
            plain_schedule()
        },
        economics: economics(),
        commit_reveal,
        accept_freeze_authority: false,
        verifier: None,
    }
}

/// A task with funded, staked nodes, ready for round 0.
pub struct Fixture {
    pub h: Harness,
    pub creator: Keypair,
    pub task: Pubkey,
    pub nodes: Vec<Keypair>,
    pub schedule: Schedule,
    /// The token a token task pays in; `None` for a SOL task.
    pub asset: Option<TokenAsset>,
}

/// Salt a test node uses for `round` (deterministic, distinct per node).
pub fn salt_for(node: &Pubkey, round: u64) -> [u8; SALT_LEN] {
    let mut salt = [0u8; SALT_LEN];
    salt[..8].copy_from_slice(&round.to_le_bytes());
    salt[8..].copy_from_slice(&node.to_bytes()[..SALT_LEN - 8]);
    salt
}

/// The honest answer for a round in the tests' task.
pub fn honest_value(round: u64) -> Vec<u8> {
    format!("answer-{round}").into_bytes()
}

impl Fixture {
    /// Creates a task (commit–reveal or plain), funds it with `bounty`, and
    /// stakes `stake` for each of `node_count` nodes before round 0.
    pub async fn new(
        backend: Backend,
        commit_reveal: bool,
        node_count: usize,
        bounty: u64,
        stake: u64,
    ) -> Self {
        let h = Harness::new(backend).await;
        Self::on(h, commit_reveal, node_count, bounty, stake).await
    }

    /// The same, on a harness the caller set up (the scale benchmark's,
    /// with compute-unit ceilings off).
    pub async fn on(
        h: Harness,
        commit_reveal: bool,
        node_count: usize,
        bounty: u64,
        stake: u64,
    ) -> Self {
        Self::with_args(h, task_args(1, commit_reveal), node_count, bounty, stake).await
    }

    /// The same, for a task created with `args`.
    pub async fn with_args(
        h: Harness,
        args: CreateTaskArgs,
        node_count: usize,
        bounty: u64,
        stake: u64,
    ) -> Self {
        Self::paid_in(h, args, None, node_count, bounty, stake).await
    }

    /// A token task paying in a new mint made by `spec`, its bounty
    /// `bounty` tokens minted to the creator and funded; nodes stake SOL.
    pub async fn tokens(
        backend: Backend,
        spec: &tokens::MintSpec,
        node_count: usize,
        bounty: u64,
        stake: u64,
    ) -> Self {
        let mut h = Harness::new(backend).await;
        let asset = h.create_mint(spec).await;
        let args = task_args(1, true);
        Self::paid_in(h, args, Some(asset), node_count, bounty, stake).await
    }

    /// A task created with `args`, paying in `asset` (or SOL), funded with
    /// `bounty` (minted to the creator first for a token task).
    pub async fn paid_in(
        mut h: Harness,
        args: CreateTaskArgs,
        asset: Option<TokenAsset>,
        node_count: usize,
        bounty: u64,
        stake: u64,
    ) -> Self {
        let creator = h.funded_keypair(1_000 * LAMPORTS_PER_SOL).await;
        let schedule = args.schedule;
        let task = pda::task(&creator.pubkey(), args.task_id);
        h.track(task);
        if let (Some(asset), true) = (&asset, bounty > 0) {
            h.mint_to(asset, &creator.pubkey(), bounty).await;
        }
        // Created and funded apart: each instruction's compute units are
        // measured alone.
        let create = sdk::create_task_in(&creator.pubkey(), args, asset.as_ref());
        h.send(&[create], &[&creator]).await.ok();
        if bounty > 0 {
            let fund = sdk::fund_task_in(&creator.pubkey(), &task, bounty, asset.as_ref());
            h.send(&[fund], &[&creator]).await.ok();
        }
        let mut nodes = Vec::new();
        for _ in 0..node_count {
            let node = h.funded_keypair(stake + 10 * LAMPORTS_PER_SOL).await;
            h.send(
                &[sdk::stake(
                    &node.pubkey(),
                    &task,
                    stake,
                    Some("http://127.0.0.1:9000".into()),
                )],
                &[&node],
            )
            .await
            .ok();
            nodes.push(node);
        }
        Self {
            h,
            creator,
            task,
            nodes,
            schedule,
            asset,
        }
    }

    pub fn node(&self, i: usize) -> Pubkey {
        self.nodes[i].pubkey()
    }

    pub async fn warp_to(&mut self, slot: u64) {
        self.h.warp_to(slot).await;
    }

    /// Submits node `i`'s `value` in `round` (a commitment if the task uses
    /// commit–reveal). As a node does, it opens the round first if nobody
    /// has; here in a transaction of its own, so each instruction's compute
    /// units are measured alone. A failed opening is returned as the result.
    pub async fn submit(&mut self, i: usize, round: u64, value: &[u8]) -> Sent {
        let node = self.node(i);
        let signer = self.nodes[i].insecure_clone();
        if !self.h.exists(&pda::round(&self.task, round)).await {
            let opened = self.open_round(i, round).await;
            if opened.result.is_err() {
                return opened;
            }
        }
        let payload = if self.schedule.commit_reveal() {
            SubmissionPayload::Commitment(commitment(value, &salt_for(&node, round), &node))
        } else {
            SubmissionPayload::Value(value.to_vec())
        };
        let ix = sdk::submit(&node, &self.task, round, payload);
        self.h.send(&[ix], &[&signer]).await
    }

    /// Node `i` opens `round` (and pays its rent).
    pub async fn open_round(&mut self, i: usize, round: u64) -> Sent {
        let ix = sdk::open_round_in(&self.node(i), &self.task, round, self.asset.as_ref());
        let signer = self.nodes[i].insecure_clone();
        self.h.send(&[ix], &[&signer]).await
    }

    pub async fn reveal(&mut self, i: usize, round: u64, value: &[u8]) -> Sent {
        let node = self.node(i);
        let ix = sdk::reveal(
            &node,
            &self.task,
            round,
            value.to_vec(),
            salt_for(&node, round),
        );
        let signer = self.nodes[i].insecure_clone();
        self.h.send(&[ix], &[&signer]).await
    }

    pub async fn challenge(&mut self, challenger: usize, round: u64, target: usize) -> Sent {
        let ix = sdk::challenge(
            &self.node(challenger),
            &self.task,
            round,
            &self.node(target),
        );
        let signer = self.nodes[challenger].insecure_clone();
        self.h.send(&[ix], &[&signer]).await
    }

    pub async fn vote(&mut self, voter: usize, round: u64, target: usize, invalid: bool) -> Sent {
        let ix = sdk::vote(
            &self.node(voter),
            &self.task,
            round,
            &self.node(target),
            invalid,
        );
        let signer = self.nodes[voter].insecure_clone();
        self.h.send(&[ix], &[&signer]).await
    }

    pub async fn resolve(&mut self, round: u64, target: usize, challenger: usize) -> Sent {
        let ix = sdk::resolve_audit(
            &self.task,
            round,
            &self.node(target),
            &self.node(challenger),
        );
        self.h.send(&[ix], &[]).await
    }

    /// Node `i` claims its share of `round`; of a token round into its
    /// associated token account, created in the same transaction when
    /// missing (as the node does).
    pub async fn claim(&mut self, i: usize, round: u64) -> Sent {
        let node = self.node(i);
        let mut instructions = Vec::new();
        if let Some(asset) = self.asset {
            if !self.h.exists(&asset.ata(&node)).await {
                instructions.push(asset.create_ata(&node, &node));
            }
        }
        instructions.push(sdk::claim_in(&node, &self.task, round, self.asset.as_ref()));
        let signer = self.nodes[i].insecure_clone();
        self.h.send(&instructions, &[&signer]).await
    }

    /// `node`'s balance in the task's reward asset: lamports, or tokens in
    /// its associated token account.
    pub async fn reward_balance(&mut self, owner: &Pubkey) -> u64 {
        match self.asset {
            Some(asset) => self.h.token_balance(&asset.ata(owner)).await,
            None => self.h.balance(owner).await,
        }
    }

    pub async fn task_account(&mut self) -> Task {
        let task = self.task;
        self.h.account(&task).await.expect("task exists")
    }

    pub fn creator_key(&self) -> Pubkey {
        self.creator.pubkey()
    }

    pub async fn creator_send(&mut self, ix: Instruction) -> Sent {
        let creator = self.creator.insecure_clone();
        self.h.send(&[ix], &[&creator]).await
    }

    pub async fn node_send(&mut self, i: usize, ix: Instruction) -> Sent {
        let signer = self.nodes[i].insecure_clone();
        self.h.send(&[ix], &[&signer]).await
    }
}

/// Decodes every Anchor event of type `E` from a transaction's logs.
pub fn events<E: anchor_lang::Event + anchor_lang::AnchorDeserialize>(sent: &Sent) -> Vec<E> {
    use base64::Engine;
    sent.logs
        .iter()
        // Natively the program logs events through `msg!` (see
        // `tasknet::events::emit`); on SBF they come from `sol_log_data`.
        .filter_map(|line| {
            let line = line.strip_prefix("Program log: ").unwrap_or(line);
            line.strip_prefix("Program data: ")
        })
        .filter_map(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
        .filter(|bytes| bytes.starts_with(E::DISCRIMINATOR))
        .map(|bytes| E::try_from_slice(&bytes[E::DISCRIMINATOR.len()..]).expect("event decodes"))
        .collect()
}

impl Sent {
    /// Asserts success and exactly one event of type `E`; returns it.
    #[track_caller]
    pub fn event<E: anchor_lang::Event + anchor_lang::AnchorDeserialize>(self) -> E {
        let sent = self.ok();
        let mut found = events::<E>(&sent);
        assert_eq!(
            found.len(),
            1,
            "expected one {} event; logs:\n{}",
            std::any::type_name::<E>(),
            sent.logs.join("\n")
        );
        found.remove(0)
    }
}

impl Fixture {
    /// Funds and stakes one more node now; returns its index.
    pub async fn add_node(&mut self, stake: u64) -> usize {
        let node = self.h.funded_keypair(stake + 10 * LAMPORTS_PER_SOL).await;
        self.h
            .send(
                &[sdk::stake(&node.pubkey(), &self.task, stake, None)],
                &[&node],
            )
            .await
            .ok();
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    /// Commit (and reveal, on commit–reveal tasks) `value` for each node in
    /// `nodes`, warping from the round start through the submit window.
    pub async fn submit_all(&mut self, round: u64, nodes: &[usize], value: &[u8]) {
        self.warp_to(self.schedule.round_start(round)).await;
        for &i in nodes {
            self.submit(i, round, value).await.ok();
        }
        if self.schedule.commit_reveal() {
            self.warp_to(self.schedule.submit_end(round)).await;
            for &i in nodes {
                self.reveal(i, round, value).await.ok();
            }
        }
    }
}

/// `ix` with `key` no longer marked as a signer (to test signer checks).
pub fn unsigned(mut ix: Instruction, key: &Pubkey) -> Instruction {
    for meta in ix.accounts.iter_mut().filter(|m| m.pubkey == *key) {
        meta.is_signer = false;
    }
    ix
}

/// `ix` with account `from` replaced by `to` (to test owner and PDA checks).
pub fn swap_account(mut ix: Instruction, from: &Pubkey, to: &Pubkey) -> Instruction {
    let mut swapped = false;
    for meta in ix.accounts.iter_mut().filter(|m| m.pubkey == *from) {
        meta.pubkey = *to;
        swapped = true;
    }
    assert!(swapped, "{from} is not an account of this instruction");
    ix
}
