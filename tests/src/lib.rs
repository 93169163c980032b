//! Test harness: the tasknet program loaded natively into a real Agave bank
//! (solana-program-test), with a money-conservation check after every
//! transaction.

#![allow(deprecated)]

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::solana_program::system_instruction;
use anchor_lang::AccountDeserialize;
use solana_compute_budget_interface::ComputeBudgetInstruction;
use solana_keypair::Keypair;
use solana_program_test::ProgramTestContext;
use solana_signer::Signer;
use solana_transaction::Transaction;
use tasknet::errors::TasknetError;
use tasknet::instructions::{CreateTaskArgs, SubmissionPayload};
use tasknet::logic::{commitment, Schedule, SALT_LEN};
use tasknet::state::{Economics, Task};
use tasknet_sdk::defaults::ECONOMICS;
use tasknet_sdk::{self as sdk, pda};

pub use solana_instruction::error::InstructionError;
pub use solana_transaction_error::TransactionError;

pub use tasknet_localnet::program_test;

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

pub struct Harness {
    pub ctx: ProgramTestContext,
    /// Tasks whose vault is checked after every transaction.
    tasks: Vec<Pubkey>,
    /// Varies each transaction's compute-unit limit so that two otherwise
    /// identical transactions (a deliberate double submit) get different
    /// signatures instead of being dropped as duplicates.
    nonce: u32,
    pub transactions: u64,
}

pub use tasknet_sdk::amount::LAMPORTS_PER_SOL;

impl Harness {
    pub async fn new() -> Self {
        Self {
            ctx: program_test().start_with_context().await,
            tasks: Vec::new(),
            nonce: 0,
            transactions: 0,
        }
    }

    pub fn payer(&self) -> Pubkey {
        self.ctx.payer.pubkey()
    }

    pub async fn slot(&mut self) -> u64 {
        self.ctx.banks_client.get_root_slot().await.unwrap()
    }

    /// Moves the bank to `slot` (no-op if already there or past it).
    pub async fn warp_to(&mut self, slot: u64) {
        let now = self.current_slot().await;
        if slot > now {
            self.ctx.warp_to_slot(slot).unwrap();
        }
    }

    pub async fn current_slot(&mut self) -> u64 {
        let clock: anchor_lang::prelude::Clock = self.ctx.banks_client.get_sysvar().await.unwrap();
        clock.slot
    }

    /// Signs with the harness payer (fee payer) plus `signers`, sends, then
    /// checks money conservation for every tracked task.
    pub async fn send(&mut self, instructions: &[Instruction], signers: &[&Keypair]) -> Sent {
        self.nonce += 1;
        let mut all = vec![ComputeBudgetInstruction::set_compute_unit_limit(
            1_000_000 + self.nonce,
        )];
        all.extend_from_slice(instructions);
        let blockhash = self.ctx.banks_client.get_latest_blockhash().await.unwrap();
        let mut keys: Vec<&Keypair> = vec![&self.ctx.payer];
        keys.extend_from_slice(signers);
        let tx = Transaction::new_signed_with_payer(
            &all,
            Some(&self.ctx.payer.pubkey()),
            &keys,
            blockhash,
        );
        let outcome = self
            .ctx
            .banks_client
            .process_transaction_with_metadata(tx)
            .await
            .expect("banks transport");
        self.transactions += 1;
        let (logs, compute_units) = outcome
            .metadata
            .map(|m| (m.log_messages, m.compute_units_consumed))
            .unwrap_or_default();
        let sent = Sent {
            result: outcome.result,
            logs,
            compute_units,
        };
        self.check_conservation().await;
        sent
    }

    /// Money conservation: for every tracked task still open, the vault's
    /// lamports minus its rent-exempt minimum equal the sum of the ledger.
    pub async fn check_conservation(&mut self) {
        let rent = self.ctx.banks_client.get_rent().await.unwrap();
        for task_key in self.tasks.clone() {
            let Some(task) = self.account::<Task>(&task_key).await else {
                continue;
            };
            let vault = self
                .ctx
                .banks_client
                .get_account(pda::vault(&task_key))
                .await
                .unwrap()
                .expect("an open task has a vault");
            let held = vault.lamports - rent.minimum_balance(vault.data.len());
            assert_eq!(
                Some(held),
                task.ledger.total(),
                "vault of {task_key} holds {held} above rent, ledger says {:?}",
                task.ledger
            );
        }
    }

    pub fn track(&mut self, task: Pubkey) {
        self.tasks.push(task);
    }

    pub async fn account<T: AccountDeserialize>(&mut self, address: &Pubkey) -> Option<T> {
        let account = self.ctx.banks_client.get_account(*address).await.unwrap()?;
        Some(sdk::accounts::decode(&account.data).expect("decodes"))
    }

    pub async fn exists(&mut self, address: &Pubkey) -> bool {
        self.ctx
            .banks_client
            .get_account(*address)
            .await
            .unwrap()
            .is_some()
    }

    pub async fn balance(&mut self, address: &Pubkey) -> u64 {
        self.ctx.banks_client.get_balance(*address).await.unwrap()
    }

    /// A new keypair holding `lamports`.
    pub async fn funded_keypair(&mut self, lamports: u64) -> Keypair {
        let keypair = Keypair::new();
        let ix = system_instruction::transfer(&self.payer(), &keypair.pubkey(), lamports);
        self.send(&[ix], &[]).await.ok();
        keypair
    }

    pub async fn rent_for(&mut self, data_len: usize) -> u64 {
        self.ctx
            .banks_client
            .get_rent()
            .await
            .unwrap()
            .minimum_balance(data_len)
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
        schedule: if commit_reveal {
            commit_reveal_schedule()
        } else {
            plain_schedule()
        },
        economics: economics(),
        commit_reveal,
    }
}

/// A task with funded, staked nodes, ready for round 0.
pub struct Fixture {
    pub h: Harness,
    pub creator: Keypair,
    pub task: Pubkey,
    pub nodes: Vec<Keypair>,
    pub schedule: Schedule,
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
    pub async fn new(commit_reveal: bool, node_count: usize, bounty: u64, stake: u64) -> Self {
        let mut h = Harness::new().await;
        let creator = h.funded_keypair(1_000 * LAMPORTS_PER_SOL).await;
        let args = task_args(1, commit_reveal);
        let schedule = args.schedule;
        let task = pda::task(&creator.pubkey(), 1);
        h.track(task);
        h.send(&[sdk::create_task(&creator.pubkey(), args)], &[&creator])
            .await
            .ok();
        if bounty > 0 {
            h.send(
                &[sdk::fund_task(&creator.pubkey(), &task, bounty)],
                &[&creator],
            )
            .await
            .ok();
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
        }
    }

    pub fn node(&self, i: usize) -> Pubkey {
        self.nodes[i].pubkey()
    }

    pub async fn warp_to(&mut self, slot: u64) {
        self.h.warp_to(slot).await;
    }

    /// Submits node `i`'s `value` in `round` (a commitment if the task uses
    /// commit–reveal).
    pub async fn submit(&mut self, i: usize, round: u64, value: &[u8]) -> Sent {
        let node = self.node(i);
        let payload = if self.schedule.commit_reveal() {
            SubmissionPayload::Commitment(commitment(value, &salt_for(&node, round), &node))
        } else {
            SubmissionPayload::Value(value.to_vec())
        };
        let ix = sdk::submit(&node, &self.task, round, payload);
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

    pub async fn claim(&mut self, i: usize, round: u64) -> Sent {
        let ix = sdk::claim(&self.node(i), &self.task, round);
        let signer = self.nodes[i].insecure_clone();
        self.h.send(&[ix], &[&signer]).await
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
