//! The chain's state: the program's SBF build running in LiteSVM (agave's
//! SVM), and around it what a validator's bank and ledger keep — a queue of
//! recent blockhashes with their block heights, one block per slot, every
//! processed transaction with its status metadata, and the commitment of
//! each slot. All of it behind one lock, so a transaction is executed and
//! recorded in one step that no client can interrupt.

use std::collections::{BTreeMap, HashMap, VecDeque};

use anchor_lang::prelude::{Clock, EpochSchedule, Pubkey};
use litesvm::LiteSVM;
use sha2::{Digest, Sha256};
use solana_account::Account;
use solana_commitment_config::CommitmentLevel;
use solana_hash::Hash;
use solana_hash_v4::Hash as SlotHash;
use solana_message::compiled_instruction::CompiledInstruction;
use solana_signature::Signature;
use solana_slot_hashes::SlotHashes;
use solana_transaction::versioned::VersionedTransaction;
use solana_transaction_error::TransactionError;
use solana_transaction_status::{
    InnerInstruction, InnerInstructions, TransactionStatusMeta, VersionedTransactionWithStatusMeta,
};

use crate::convert;

/// A blockhash may be used by transactions for this many blocks after it
/// was produced (agave's `MAX_PROCESSING_AGE`).
pub const MAX_PROCESSING_AGE: u64 = 150;
/// Blockhashes a bank remembers (agave's `MAX_RECENT_BLOCKHASHES`).
const MAX_RECENT_BLOCKHASHES: usize = 300;
/// Slots the status cache answers for without `searchTransactionHistory`
/// (agave's `MAX_CACHE_ENTRIES`).
pub const STATUS_CACHE_SLOTS: u64 = 300;
/// How far the root (finalized) trails the working slot: a lone validator
/// roots a slot once its vote tower is full, 32 votes deep.
pub const ROOT_DEPTH: u64 = 32;
/// The base fee per signature (agave's default fee structure).
const LAMPORTS_PER_SIGNATURE: u64 = 5_000;

/// A produced block: the working slot's transactions, sealed with a hash.
#[derive(Clone, Debug)]
pub struct Block {
    pub parent_slot: u64,
    pub blockhash: Hash,
    pub previous_blockhash: Hash,
    pub block_height: u64,
    pub block_time: i64,
    pub signatures: Vec<Signature>,
}

/// A transaction the bank included (succeeded, or failed and paid its fee).
#[derive(Clone, Debug)]
pub struct TxRecord {
    pub slot: u64,
    pub transaction: VersionedTransaction,
    pub meta: TransactionStatusMeta,
}

impl TxRecord {
    pub fn with_meta(&self) -> VersionedTransactionWithStatusMeta {
        VersionedTransactionWithStatusMeta {
            transaction: self.transaction.clone(),
            meta: self.meta.clone(),
        }
    }
}

/// What subscribers learn of a processed transaction.
#[derive(Clone, Debug)]
pub struct TxNotice {
    pub signature: Signature,
    pub slot: u64,
    pub err: Option<TransactionError>,
    pub logs: Vec<String>,
    /// Every account the message names (for `logsSubscribe` mentions).
    pub accounts: Vec<Pubkey>,
    /// The accounts it may have written (for account and program
    /// subscriptions).
    pub writable: Vec<Pubkey>,
}

/// A transaction the bank would not include: it never lands, and leaves
/// no status (as on a validator).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected(pub TransactionError);

/// One simulated execution.
pub struct Simulation {
    pub result: Result<(), TransactionError>,
    pub logs: Vec<String>,
    pub units: u64,
    pub inner_instructions: Vec<InnerInstructions>,
    pub return_data: Option<(Pubkey, Vec<u8>)>,
    pub fee: u64,
    /// Post-execution state of the accounts the transaction loaded.
    pub post_accounts: Vec<(Pubkey, Account)>,
    /// Lamports of the message's accounts before and after, as a landed
    /// transaction's meta has them; `None` when it would not load.
    pub balances: Option<(Vec<u64>, Vec<u64>)>,
}

impl Simulation {
    /// A transaction the bank would not even load.
    pub fn failed(err: TransactionError) -> Self {
        Self {
            result: Err(err),
            logs: Vec::new(),
            units: 0,
            inner_instructions: Vec::new(),
            return_data: None,
            fee: 0,
            post_accounts: Vec::new(),
            balances: None,
        }
    }
}

/// The slots at each commitment level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Commitments {
    pub processed: u64,
    pub confirmed: u64,
    pub finalized: u64,
}

impl Commitments {
    pub fn slot(&self, level: CommitmentLevel) -> u64 {
        match level {
            CommitmentLevel::Processed => self.processed,
            CommitmentLevel::Confirmed => self.confirmed,
            CommitmentLevel::Finalized => self.finalized,
        }
    }

    /// The highest level `slot` has reached.
    pub fn level_of(&self, slot: u64) -> CommitmentLevel {
        if slot <= self.finalized {
            CommitmentLevel::Finalized
        } else if slot <= self.confirmed {
            CommitmentLevel::Confirmed
        } else {
            CommitmentLevel::Processed
        }
    }
}

/// A new working slot, as `slotSubscribe` reports it.
#[derive(Clone, Copy, Debug)]
pub struct SlotUpdate {
    pub slot: u64,
    pub parent: u64,
    pub root: u64,
}

struct RecentBlockhash {
    hash: Hash,
    /// Height of the first block whose transactions may use it (the block
    /// after the one it sealed); the last is `MAX_PROCESSING_AGE` later.
    usable_from: u64,
}

pub struct Ledger {
    svm: LiteSVM,
    genesis_hash: Hash,
    /// The slot transactions are processed in now.
    slot: u64,
    block_height: u64,
    slot_started: i64,
    blockhashes: VecDeque<RecentBlockhash>,
    blocks: BTreeMap<u64, Block>,
    /// The working slot's transactions, in processing order.
    working: Vec<Signature>,
    transactions: HashMap<Signature, TxRecord>,
    /// Per address, the signatures of the transactions naming it, oldest
    /// first.
    by_address: HashMap<Pubkey, Vec<Signature>>,
}

impl Ledger {
    /// A fresh chain at slot 0 with `program` (an SBF ELF) deployed at
    /// tasknet's id by the upgradeable loader, as `solana-test-validator
    /// --bpf-program` does. `now` is the genesis time (unix seconds).
    pub fn new(program: &[u8], verifier: &[u8], now: i64) -> Result<Self, String> {
        // Signatures, blockhash ages and duplicates are checked here, the
        // way a validator's bank checks them, so the SVM does not.
        let mut svm = LiteSVM::new()
            .with_sigverify(false)
            .with_blockhash_check(false)
            .with_transaction_history(0);
        // solana-test-validator's epochs: 432,000 slots from genesis, no
        // warm-up.
        svm.set_sysvar(&EpochSchedule::without_warmup());
        svm.add_program(convert::address(&tasknet::ID), program)
            .map_err(|e| format!("the SVM rejected tasknet.so: {e:?}"))?;
        if !verifier.is_empty() {
            svm.add_program(convert::address(&tasknet_pow_verifier::ID), verifier)
                .map_err(|e| format!("the SVM rejected tasknet_pow_verifier.so: {e:?}"))?;
        }
        // A validator's SlotHashes holds the hashes of the blocks before
        // the current slot, newest first; it fills as slots are sealed.
        svm.set_sysvar(&SlotHashes::new(&[]));
        let genesis_hash = Hash::new_from_array(
            Sha256::new()
                .chain_update(b"tasknet localnet genesis")
                .chain_update(now.to_le_bytes())
                .chain_update(std::process::id().to_le_bytes())
                .finalize()
                .into(),
        );
        let mut ledger = Self {
            svm,
            genesis_hash,
            slot: 0,
            block_height: 0,
            slot_started: now,
            blockhashes: VecDeque::new(),
            blocks: BTreeMap::new(),
            working: Vec::new(),
            transactions: HashMap::new(),
            by_address: HashMap::new(),
        };
        // As in agave, the genesis hash is the first recent blockhash.
        ledger.register_blockhash(genesis_hash);
        ledger.set_clock(now);
        // Slot 0 is the genesis block, rooted from the start: transactions
        // land from slot 1 on, as on a validator. (Processed in slot 0 they
        // would count as finalized at once.)
        ledger.advance_slot(now);
        Ok(ledger)
    }

    /// Where `signature` sits in the block of `slot` (the working slot's
    /// transactions so far count as its block).
    pub fn transaction_index(&self, slot: u64, signature: &Signature) -> Option<u32> {
        let signatures = match self.blocks.get(&slot) {
            Some(block) => &block.signatures,
            None if slot == self.slot => &self.working,
            None => return None,
        };
        let index = signatures.iter().position(|s| s == signature)?;
        u32::try_from(index).ok()
    }

    pub fn genesis_hash(&self) -> Hash {
        self.genesis_hash
    }

    /// Gives `faucet` its genesis balance.
    pub fn fund_faucet(&mut self, faucet: &Pubkey, lamports: u64) -> Result<(), String> {
        let account = solana_account_v4::Account {
            lamports,
            owner: convert::address(&anchor_lang::system_program::ID),
            ..Default::default()
        };
        self.svm
            .set_account(convert::address(faucet), account)
            .map_err(|e| format!("{e:?}"))
    }

    pub fn commitments(&self) -> Commitments {
        Commitments {
            processed: self.slot,
            confirmed: self.slot.saturating_sub(1),
            finalized: self.slot.saturating_sub(ROOT_DEPTH),
        }
    }

    /// Block height of the bank at `slot` (one block per slot: no slot is
    /// ever skipped on a single bank).
    pub fn block_height_at(&self, slot: u64) -> u64 {
        self.block_height - (self.slot - slot.min(self.slot))
    }

    pub fn transaction_count(&self, up_to_slot: u64) -> u64 {
        self.transactions
            .values()
            .filter(|r| r.slot <= up_to_slot)
            .count() as u64
    }

    pub fn minimum_balance(&self, data_len: usize) -> u64 {
        self.svm.minimum_balance_for_rent_exemption(data_len)
    }

    pub fn epoch_schedule(&self) -> EpochSchedule {
        self.svm.get_sysvar::<EpochSchedule>()
    }

    // ---- blockhashes ----

    /// The newest blockhash the bank at `slot` knows, and the last block
    /// height at which a transaction using it can land.
    pub fn latest_blockhash(&self, slot: u64) -> (Hash, u64) {
        let height = self.block_height_at(slot);
        let entry = self
            .blockhashes
            .iter()
            .rev()
            .find(|b| b.usable_from <= height)
            .expect("the bank at any slot knows the genesis hash or a newer one");
        (entry.hash, entry.usable_from + MAX_PROCESSING_AGE)
    }

    /// Whether a transaction using `hash` could still land in the bank at
    /// `slot`.
    pub fn is_blockhash_valid(&self, hash: &Hash, slot: u64) -> bool {
        let height = self.block_height_at(slot);
        self.blockhashes.iter().any(|b| {
            b.hash == *hash
                && b.usable_from <= height
                && height - b.usable_from <= MAX_PROCESSING_AGE
        })
    }

    fn register_blockhash(&mut self, hash: Hash) {
        self.blockhashes.push_back(RecentBlockhash {
            hash,
            usable_from: self.block_height,
        });
        while self.blockhashes.len() > MAX_RECENT_BLOCKHASHES {
            self.blockhashes.pop_front();
        }
        // The SVM checks no blockhash (the queue above does); its own
        // moves on so its recent-blockhashes sysvar does too.
        self.svm.expire_blockhash();
    }

    // ---- slots ----

    /// Seals the working slot into a block and opens the next slot at wall
    /// time `now`.
    pub fn advance_slot(&mut self, now: i64) -> SlotUpdate {
        let previous_blockhash = self.blockhashes.back().expect("never empty").hash;
        let blockhash = Hash::new_from_array(
            Sha256::new()
                .chain_update(previous_blockhash.as_ref())
                .chain_update(self.slot.to_le_bytes())
                .finalize()
                .into(),
        );
        let block = Block {
            parent_slot: self.slot.saturating_sub(1),
            blockhash,
            previous_blockhash,
            block_height: self.block_height,
            block_time: self.slot_started,
            signatures: std::mem::take(&mut self.working),
        };
        self.blocks.insert(self.slot, block);
        // The sealed slot's hash joins SlotHashes (a bank's hash; here its
        // blockhash), as the next bank's sysvar shows it.
        let mut slot_hashes: SlotHashes = self.svm.get_sysvar();
        slot_hashes.add(self.slot, SlotHash::new_from_array(blockhash.to_bytes()));
        self.svm.set_sysvar(&slot_hashes);
        self.slot += 1;
        self.block_height += 1;
        self.register_blockhash(blockhash);
        self.slot_started = now;
        self.set_clock(now);
        SlotUpdate {
            slot: self.slot,
            parent: self.slot - 1,
            root: self.commitments().finalized,
        }
    }

    /// The clock's Unix time (interest-bearing and scaled token amounts
    /// are shown as of it).
    pub fn unix_timestamp(&self) -> i64 {
        self.svm.get_sysvar::<Clock>().unix_timestamp
    }

    fn set_clock(&mut self, now: i64) {
        let schedule = self.epoch_schedule();
        let epoch = schedule.get_epoch(self.slot);
        let mut clock: Clock = self.svm.get_sysvar();
        clock.slot = self.slot;
        clock.epoch = epoch;
        clock.leader_schedule_epoch = schedule.get_leader_schedule_epoch(self.slot);
        clock.unix_timestamp = now;
        if clock.epoch_start_timestamp == 0 || schedule.get_first_slot_in_epoch(epoch) == self.slot
        {
            clock.epoch_start_timestamp = now;
        }
        self.svm.set_sysvar(&clock);
    }

    pub fn block(&self, slot: u64) -> Option<&Block> {
        self.blocks.get(&slot)
    }

    pub fn block_slots(&self, start: u64, end: u64) -> Vec<u64> {
        self.blocks
            .range(start..=end)
            .map(|(slot, _)| *slot)
            .collect()
    }

    // ---- accounts ----

    /// The account at `address`, as of now (`None` once it holds no
    /// lamports: the runtime deletes it).
    pub fn account(&self, address: &Pubkey) -> Option<Account> {
        self.svm
            .get_account(&convert::address(address))
            .filter(|a| a.lamports > 0)
            .map(convert::account)
    }

    /// The accounts `program` owns whose data `keep` accepts, in key
    /// order. Data are tested in place and only matches copied: a task
    /// with 10,000 stakes is read without copying every other account.
    pub fn program_accounts(
        &self,
        program: &Pubkey,
        keep: impl Fn(&[u8]) -> bool,
    ) -> Vec<(Pubkey, Account)> {
        let owner = convert::address(program);
        let mut found: Vec<(Pubkey, Account)> = self
            .svm
            .accounts_db()
            .inner
            .iter()
            .filter(|(_, a)| {
                solana_account_v4::ReadableAccount::owner(*a) == &owner
                    && solana_account_v4::ReadableAccount::lamports(*a) > 0
                    && keep(solana_account_v4::ReadableAccount::data(*a))
            })
            .map(|(k, a)| (convert::pubkey(k), convert::shared_account(a)))
            .collect();
        found.sort_unstable_by_key(|(k, _)| *k);
        found
    }

    // ---- transactions ----

    pub fn record(&self, signature: &Signature) -> Option<&TxRecord> {
        self.transactions.get(signature)
    }

    /// The record of `signature` if the status cache still holds it (the
    /// last `STATUS_CACHE_SLOTS` slots), or at all with `search_history`.
    pub fn status(&self, signature: &Signature, search_history: bool) -> Option<&TxRecord> {
        self.transactions
            .get(signature)
            .filter(|r| search_history || r.slot + STATUS_CACHE_SLOTS > self.slot)
    }

    /// Signatures of transactions naming `address`, newest first.
    pub fn signatures_for(&self, address: &Pubkey) -> impl Iterator<Item = &Signature> {
        self.by_address
            .get(address)
            .into_iter()
            .flat_map(|list| list.iter().rev())
    }

    /// Executes `tx` in the working slot and records it, as a validator's
    /// bank would: a transaction that cannot be loaded (unknown or expired
    /// blockhash, a duplicate, a fee payer that cannot pay) is rejected and
    /// leaves nothing; one that fails while executing pays its fee and is
    /// recorded with its error.
    pub fn process(&mut self, tx: VersionedTransaction) -> Result<TxNotice, Rejected> {
        let signature = tx.signatures[0];
        if self.transactions.contains_key(&signature) {
            return Err(Rejected(TransactionError::AlreadyProcessed));
        }
        if !self.is_blockhash_valid(tx.message.recent_blockhash(), self.slot) {
            return Err(Rejected(TransactionError::BlockhashNotFound));
        }
        let keys: Vec<Pubkey> = tx.message.static_account_keys().to_vec();
        let balances = |ledger: &Self| -> Vec<u64> {
            keys.iter()
                .map(|k| ledger.account(k).map_or(0, |a| a.lamports))
                .collect()
        };
        let pre_balances = balances(self);
        let outcome = self.svm.send_transaction(convert::transaction_v4(&tx));
        let post_balances = balances(self);
        let (status, meta) = match outcome {
            Ok(meta) => (Ok(()), meta),
            Err(failed) => (Err(failed.err), failed.meta),
        };
        // A failed transaction is included iff its fee payer paid.
        if let Err(e) = &status {
            if post_balances.first() >= pre_balances.first() {
                return Err(Rejected(e.clone()));
            }
        }
        let writable: Vec<Pubkey> = keys
            .iter()
            .enumerate()
            .filter(|(i, _)| tx.message.is_maybe_writable(*i, None))
            .map(|(_, k)| *k)
            .collect();
        let meta = TransactionStatusMeta {
            status: status.clone(),
            fee: meta.fee,
            pre_balances,
            post_balances,
            inner_instructions: Some(inner_instructions(&meta.inner_instructions)),
            log_messages: Some(meta.logs.clone()),
            pre_token_balances: Some(Vec::new()),
            post_token_balances: Some(Vec::new()),
            rewards: Some(Vec::new()),
            loaded_addresses: Default::default(),
            return_data: convert::return_data(&meta.return_data),
            compute_units_consumed: Some(meta.compute_units_consumed),
            cost_units: None,
        };
        let notice = TxNotice {
            signature,
            slot: self.slot,
            err: status.err(),
            logs: meta.log_messages.clone().unwrap_or_default(),
            accounts: keys.clone(),
            writable,
        };
        for key in &keys {
            self.by_address.entry(*key).or_default().push(signature);
        }
        self.working.push(signature);
        self.transactions.insert(
            signature,
            TxRecord {
                slot: self.slot,
                transaction: tx,
                meta,
            },
        );
        Ok(notice)
    }

    /// Executes `tx` against the current state without keeping anything.
    /// The blockhash is checked unless `any_blockhash`.
    pub fn simulate(&self, tx: &VersionedTransaction, any_blockhash: bool) -> Simulation {
        if !any_blockhash && !self.is_blockhash_valid(tx.message.recent_blockhash(), self.slot) {
            return Simulation::failed(TransactionError::BlockhashNotFound);
        }
        let (result, meta, post_accounts) =
            match self.svm.simulate_transaction(convert::transaction_v4(tx)) {
                Ok(info) => (Ok(()), info.meta, info.post_accounts),
                Err(failed) => (Err(failed.err), failed.meta, Vec::new()),
            };
        let post_accounts: Vec<(Pubkey, Account)> = post_accounts
            .iter()
            .map(|(k, a)| (convert::pubkey(k), convert::shared_account(a)))
            .collect();
        let keys = tx.message.static_account_keys();
        let pre: Vec<u64> = keys
            .iter()
            .map(|k| self.account(k).map_or(0, |a| a.lamports))
            .collect();
        let post = match &result {
            Ok(()) => keys
                .iter()
                .zip(&pre)
                .map(|(k, before)| {
                    post_accounts
                        .iter()
                        .find(|(key, _)| key == k)
                        .map_or(*before, |(_, a)| a.lamports)
                })
                .collect(),
            // A transaction that executed and failed still pays its fee;
            // one that could not even load pays nothing.
            Err(TransactionError::InstructionError(..)) => {
                let mut post = pre.clone();
                if let Some(payer) = post.first_mut() {
                    *payer = payer.saturating_sub(meta.fee);
                }
                post
            }
            Err(_) => pre.clone(),
        };
        Simulation {
            balances: Some((pre, post)),
            result,
            logs: meta.logs.clone(),
            units: meta.compute_units_consumed,
            inner_instructions: inner_instructions(&meta.inner_instructions),
            return_data: convert::return_data(&meta.return_data).map(|r| (r.program_id, r.data)),
            fee: meta.fee,
            post_accounts,
        }
    }

    /// The fee the bank would charge for `message`, if its blockhash is
    /// still usable: LiteSVM prices it as the bank does (signatures and
    /// compute-budget priority), so an unsigned copy is priced there.
    pub fn fee_for(&self, message: &solana_message::VersionedMessage) -> Option<u64> {
        if !self.is_blockhash_valid(message.recent_blockhash(), self.slot) {
            return None;
        }
        let signatures = usize::from(message.header().num_required_signatures);
        let tx = VersionedTransaction {
            signatures: vec![Signature::default(); signatures],
            message: message.clone(),
        };
        let fee = match self.svm.simulate_transaction(convert::transaction_v4(&tx)) {
            Ok(info) => info.meta.fee,
            Err(failed) => failed.meta.fee,
        };
        // A message the SVM refused before pricing still costs its
        // signatures.
        Some(if fee > 0 {
            fee
        } else {
            LAMPORTS_PER_SIGNATURE * signatures as u64
        })
    }

    /// Sends `lamports` from `faucet` to `to` in a real transfer
    /// transaction, recorded like any other (a validator's faucet does the
    /// same).
    pub fn airdrop(
        &mut self,
        faucet: &solana_keypair::Keypair,
        to: &Pubkey,
        lamports: u64,
    ) -> Result<TxNotice, Rejected> {
        let (blockhash, _) = self.latest_blockhash(self.slot);
        let ix = anchor_lang::solana_program::system_instruction::transfer(
            &solana_signer::Signer::pubkey(faucet),
            to,
            lamports,
        );
        let tx = solana_transaction::Transaction::new_signed_with_payer(
            &[ix],
            Some(&solana_signer::Signer::pubkey(faucet)),
            &[faucet],
            blockhash,
        );
        self.process(tx.into())
    }

    /// The records of a block's transactions, in order.
    pub fn block_transactions(&self, block: &Block) -> Vec<TxRecord> {
        block
            .signatures
            .iter()
            .filter_map(|s| self.transactions.get(s).cloned())
            .collect()
    }
}

fn inner_instructions(
    list: &[Vec<solana_message_v4::inner_instruction::InnerInstruction>],
) -> Vec<InnerInstructions> {
    list.iter()
        .enumerate()
        .filter(|(_, inner)| !inner.is_empty())
        .map(|(index, inner)| InnerInstructions {
            index: index as u8,
            instructions: inner
                .iter()
                .map(|i| InnerInstruction {
                    instruction: CompiledInstruction {
                        program_id_index: i.instruction.program_id_index,
                        accounts: i.instruction.accounts.clone(),
                        data: i.instruction.data.clone(),
                    },
                    stack_height: Some(u32::from(i.stack_height)),
                })
                .collect(),
        })
        .collect()
}
