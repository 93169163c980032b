//! A stateful fuzzer over every instruction: random actors (two creators,
//! five nodes, a third-party cranker) send random sequences of every
//! instruction with random arguments at random slots, some with one account
//! swapped for another task's account, an account of the wrong type, or an
//! account of a closed task. It runs the real program in a real bank
//! (natively or as SBF bytecode) through the same harness as the tests.
//!
//! After every step: the harness's conservation checks (vault and rounds),
//! every failure is a named error, and the counters equal the accounts that
//! exist. At the end of every sequence everything closable is cranked closed
//! and every lamport must be back with the actors: nothing stranded.
//!
//! Tasks pay in SOL, in a classic SPL Token mint or in a Token-2022 mint
//! (by creator and id), side by side: the harness checks each token task's
//! bounty and pool accounts after every step, substitutions draw token
//! accounts and mints too, and at the end every token is back with the
//! actors as well.

use std::collections::BTreeMap;

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use proptest::prelude::*;
use solana_instruction::error::InstructionError;
use solana_keypair::Keypair;
use solana_signer::Signer;
use solana_transaction_error::TransactionError;
use tasknet::instructions::{SubmissionPayload, UpdateTaskArgs};
use tasknet::logic::{commitment, Schedule};
use tasknet::state::{Audit, AuditVerdict, Round, Stake, Submission, Task, TaskState};
use tasknet_sdk::tokens::TokenAsset;
use tasknet_sdk::{self as sdk, pda};

use crate::tokens::MintSpec;
use crate::{commit_reveal_schedule, salt_for, task_args, Backend, Harness, LAMPORTS_PER_SOL};

const CREATORS: usize = 2;
const NODES: usize = 5;
/// Creators, nodes and the cranker, by actor index.
const ACTORS: usize = CREATORS + NODES + 1;
const TASK_IDS: u8 = 3;
/// How far back from the current round a step may reach.
const ROUNDS_BACK: u8 = 4;

/// One random action. Small integers pick actors, tasks and rounds modulo
/// what exists, so every sequence is meaningful whatever came before it.
#[derive(Clone, Debug)]
pub enum Step {
    Warp {
        slots: u8,
    },
    /// Warps to a phase of a task's current round: 0 the next submit window
    /// (now, if open), 1 its reveal window, 2 its audit window, 3 its
    /// settlement, 4 its claim deadline.
    Align {
        task: u8,
        phase: u8,
    },
    /// A whole round of a task as nodes play it, with deviations: every node
    /// submits (a lie where `lies` has its bit), reveals where `reveals`
    /// has its bit, `challenger` challenges the first liar, nodes in
    /// `voters` vote (invalid where `invalid` has its bit), nodes in
    /// `claims` claim. Each action is one step, checked as any other.
    PlayRound {
        task: u8,
        lies: u8,
        reveals: u8,
        challenger: u8,
        voters: u8,
        invalid: u8,
        claims: u8,
    },
    CreateTask {
        creator: u8,
        id: u8,
        commit_reveal: bool,
    },
    Fund {
        actor: u8,
        task: u8,
        sol_tenths: u8,
    },
    /// `min_stake_sol`: 0 leaves it, else the new minimum in SOL (a
    /// round under way keeps its own).
    Update {
        actor: u8,
        task: u8,
        reward_tenths: u8,
        min_stake_sol: u8,
    },
    Pause {
        actor: u8,
        task: u8,
    },
    Resume {
        actor: u8,
        task: u8,
    },
    WithdrawBounty {
        actor: u8,
        task: u8,
        sol_tenths: u8,
    },
    CloseTask {
        actor: u8,
        task: u8,
    },
    Stake {
        node: u8,
        task: u8,
        sol: u8,
    },
    Unstake {
        node: u8,
        task: u8,
    },
    WithdrawStake {
        node: u8,
        task: u8,
    },
    /// `actor` closes `node`'s stake (refused unless it is empty, and by
    /// another actor unless the task is closed).
    CloseStake {
        actor: u8,
        task: u8,
        node: u8,
    },
    OpenRound {
        actor: u8,
        task: u8,
    },
    /// `value`: 0–1 honest, 2 a lie, 3 a copy of another node's commitment.
    Submit {
        node: u8,
        task: u8,
        value: u8,
        other: u8,
    },
    Reveal {
        node: u8,
        task: u8,
        back: u8,
        value: u8,
        wrong_salt: bool,
    },
    Challenge {
        node: u8,
        task: u8,
        back: u8,
        target: u8,
    },
    Vote {
        node: u8,
        task: u8,
        back: u8,
        target: u8,
        invalid: bool,
    },
    Resolve {
        actor: u8,
        task: u8,
        back: u8,
        target: u8,
        challenger: u8,
    },
    Claim {
        node: u8,
        task: u8,
        back: u8,
    },
    CloseVote {
        task: u8,
        back: u8,
        target: u8,
        voter: u8,
    },
    CloseSubmission {
        task: u8,
        back: u8,
        target: u8,
        challenger: u8,
        with_audit: bool,
    },
    CloseRound {
        task: u8,
        back: u8,
        payer: u8,
    },
    /// The audit seed crank.
    RecordSeed {
        actor: u8,
        task: u8,
        back: u8,
    },
    /// Has the task's verifier decide an audit (the example verifier; a
    /// task without one refuses).
    Verify {
        actor: u8,
        task: u8,
        back: u8,
        target: u8,
        challenger: u8,
    },
    /// `inner`'s transaction with its `position`-th non-signer account
    /// replaced by the `source`-th key of the world's key pool.
    Substitute {
        inner: Box<Step>,
        position: u8,
        source: u16,
    },
}

fn step_strategy() -> impl Strategy<Value = Step> {
    let t = 0..8u8;
    let back = 0..ROUNDS_BACK;
    let base = prop_oneof![
        2 => (1..30u8).prop_map(|slots| Step::Warp { slots }),
        4 => (t.clone(), 0..5u8).prop_map(|(task, phase)| Step::Align { task, phase }),
        4 => (t.clone(), any::<[u8; 6]>()).prop_map(|(task, [lies, reveals, challenger, voters, invalid, claims])| {
            Step::PlayRound { task, lies, reveals, challenger, voters, invalid, claims }
        }),
        1 => (any::<u8>(), 0..TASK_IDS, any::<bool>())
            .prop_map(|(creator, id, commit_reveal)| Step::CreateTask { creator, id, commit_reveal }),
        2 => (any::<u8>(), t.clone(), 0..40u8)
            .prop_map(|(actor, task, sol_tenths)| Step::Fund { actor, task, sol_tenths }),
        1 => (any::<u8>(), t.clone(), 0..20u8, 0..4u8)
            .prop_map(|(actor, task, reward_tenths, min_stake_sol)| Step::Update { actor, task, reward_tenths, min_stake_sol }),
        1 => (any::<u8>(), t.clone()).prop_map(|(actor, task)| Step::Pause { actor, task }),
        1 => (any::<u8>(), t.clone()).prop_map(|(actor, task)| Step::Resume { actor, task }),
        1 => (any::<u8>(), t.clone(), 0..40u8)
            .prop_map(|(actor, task, sol_tenths)| Step::WithdrawBounty { actor, task, sol_tenths }),
        1 => (any::<u8>(), t.clone()).prop_map(|(actor, task)| Step::CloseTask { actor, task }),
        3 => (any::<u8>(), t.clone(), 0..4u8).prop_map(|(node, task, sol)| Step::Stake { node, task, sol }),
        1 => (any::<u8>(), t.clone()).prop_map(|(node, task)| Step::Unstake { node, task }),
        1 => (any::<u8>(), t.clone()).prop_map(|(node, task)| Step::WithdrawStake { node, task }),
        1 => (any::<u8>(), t.clone(), any::<u8>()).prop_map(|(actor, task, node)| Step::CloseStake { actor, task, node }),
        1 => (any::<u8>(), t.clone()).prop_map(|(actor, task)| Step::OpenRound { actor, task }),
        5 => (any::<u8>(), t.clone(), 0..4u8, any::<u8>())
            .prop_map(|(node, task, value, other)| Step::Submit { node, task, value, other }),
        4 => (any::<u8>(), t.clone(), back.clone(), 0..4u8, prop::bool::weighted(0.1))
            .prop_map(|(node, task, back, value, wrong_salt)| Step::Reveal { node, task, back, value, wrong_salt }),
        2 => (any::<u8>(), t.clone(), back.clone(), any::<u8>())
            .prop_map(|(node, task, back, target)| Step::Challenge { node, task, back, target }),
        3 => (any::<u8>(), t.clone(), back.clone(), any::<u8>(), any::<bool>())
            .prop_map(|(node, task, back, target, invalid)| Step::Vote { node, task, back, target, invalid }),
        2 => (any::<u8>(), t.clone(), back.clone(), any::<u8>(), any::<u8>())
            .prop_map(|(actor, task, back, target, challenger)| Step::Resolve { actor, task, back, target, challenger }),
        3 => (any::<u8>(), t.clone(), back.clone()).prop_map(|(node, task, back)| Step::Claim { node, task, back }),
        1 => (t.clone(), back.clone(), any::<u8>(), any::<u8>())
            .prop_map(|(task, back, target, voter)| Step::CloseVote { task, back, target, voter }),
        2 => (t.clone(), back.clone(), any::<u8>(), any::<u8>(), any::<bool>())
            .prop_map(|(task, back, target, challenger, with_audit)| Step::CloseSubmission { task, back, target, challenger, with_audit }),
        1 => (t.clone(), back.clone(), any::<u8>()).prop_map(|(task, back, payer)| Step::CloseRound { task, back, payer }),
        1 => (any::<u8>(), t.clone(), back.clone()).prop_map(|(actor, task, back)| Step::RecordSeed { actor, task, back }),
        2 => (any::<u8>(), t.clone(), back.clone(), any::<u8>(), any::<u8>())
            .prop_map(|(actor, task, back, target, challenger)| Step::Verify { actor, task, back, target, challenger }),
    ];
    prop_oneof![
        6 => base.clone(),
        1 => (base, any::<u8>(), any::<u16>()).prop_map(|(inner, position, source)| Step::Substitute {
            inner: Box::new(inner),
            position,
            source,
        }),
    ]
}

/// A sequence of 10–50 steps.
pub fn sequence() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(step_strategy(), 10..50)
}

#[derive(Clone)]
struct TaskRef {
    key: Pubkey,
    creator: usize,
    schedule: Schedule,
    /// What it pays in; `None` for SOL.
    asset: Option<TokenAsset>,
}

/// Tokens minted to each actor of each mint at the start.
const TOKENS_PER_ACTOR: u64 = 1_000_000 * LAMPORTS_PER_SOL;

/// The fuzzer's world: the bank, the actors and what they created.
pub struct World {
    pub h: Harness,
    actors: Vec<Keypair>,
    tasks: Vec<TaskRef>,
    /// The classic mint and the Token-2022 mint token tasks pay in.
    mints: [TokenAsset; 2],
    /// Lamports staked per (task, node) since its stake account opened.
    staked: BTreeMap<(Pubkey, Pubkey), u64>,
    initial_total: u64,
    /// Steps run and how their transactions ended, by outcome.
    pub outcomes: BTreeMap<String, u64>,
}

impl World {
    pub async fn new(backend: Backend) -> Self {
        let mut h = Harness::new(backend).await;
        h.check_ceilings = false;
        let mut actors = Vec::new();
        for _ in 0..ACTORS {
            actors.push(h.funded_keypair(1_000 * LAMPORTS_PER_SOL).await);
        }
        let mints = [
            h.create_mint(&MintSpec::classic()).await,
            h.create_mint(&MintSpec::token_2022()).await,
        ];
        for mint in &mints {
            for actor in &actors {
                h.mint_to(mint, &actor.pubkey(), TOKENS_PER_ACTOR).await;
            }
        }
        let mut world = Self {
            h,
            actors,
            tasks: Vec::new(),
            mints,
            staked: BTreeMap::new(),
            initial_total: 0,
            outcomes: BTreeMap::new(),
        };
        world.initial_total = world.actor_lamports().await;
        // Something to act on from the first step: a commit-reveal task and
        // a plain one, funded, with three nodes staked on each.
        for (creator, commit_reveal, nodes) in [(0u8, true, [0u8, 1, 2]), (1, false, [1, 2, 3])] {
            world.create_task(creator, 0, commit_reveal).await;
            let task = world.tasks.last().expect("created").clone();
            let funder = world.creator(creator);
            let fund = sdk::fund_task_in(
                &world.key(funder),
                &task.key,
                5 * LAMPORTS_PER_SOL,
                task.asset.as_ref(),
            );
            world.send(&[fund], &[funder], "").await;
            for node in nodes {
                let n = world.node(node);
                let ix = sdk::stake(&world.key(n), &task.key, 2 * LAMPORTS_PER_SOL, None);
                world.send(&[ix], &[n], "").await;
            }
        }
        world.outcomes.clear();
        world
    }

    fn creator(&self, i: u8) -> usize {
        usize::from(i) % CREATORS
    }

    fn node(&self, i: u8) -> usize {
        CREATORS + usize::from(i) % NODES
    }

    fn actor(&self, i: u8) -> usize {
        usize::from(i) % ACTORS
    }

    fn key(&self, actor: usize) -> Pubkey {
        self.actors[actor].pubkey()
    }

    fn task(&self, i: u8) -> Option<TaskRef> {
        (!self.tasks.is_empty()).then(|| self.tasks[usize::from(i) % self.tasks.len()].clone())
    }

    async fn actor_lamports(&mut self) -> u64 {
        let mut total = 0;
        for i in 0..ACTORS {
            let key = self.key(i);
            total += self.h.balance(&key).await;
        }
        total
    }

    async fn slot(&mut self) -> u64 {
        self.h.current_slot().await
    }

    /// The round `back` rounds before the task's current one.
    async fn round(&mut self, task: &TaskRef, back: u8) -> u64 {
        let slot = self.slot().await;
        task.schedule
            .round_at(slot)
            .unwrap_or(0)
            .saturating_sub(u64::from(back))
    }

    /// Every key a substitution may put in place of another: accounts of
    /// every task (closed ones included), of every type, and strangers.
    async fn key_pool(&mut self) -> Vec<Pubkey> {
        let mut pool = vec![
            Pubkey::new_unique(),
            anchor_lang::system_program::ID,
            tasknet_pow_verifier::ID,
            sdk::SLOT_HASHES_SYSVAR,
            tasknet::ID,
        ];
        pool.extend(self.actors.iter().map(|a| a.pubkey()));
        for mint in self.mints {
            pool.extend([mint.mint, mint.token_program]);
            pool.extend(self.actors.iter().map(|a| mint.ata(&a.pubkey())));
        }
        for task in self.tasks.clone() {
            pool.push(task.key);
            pool.push(pda::vault(&task.key));
            pool.push(pda::bounty_tokens(&task.key));
            let current = self.round(&task, 0).await;
            for round in current.saturating_sub(2)..=current {
                pool.push(pda::round(&task.key, round));
                pool.push(pda::pool_tokens(&pda::round(&task.key, round)));
                for n in 0..NODES {
                    let node = self.key(CREATORS + n);
                    let submission = pda::submission(&task.key, round, &node);
                    pool.push(submission);
                    pool.push(pda::audit(&submission));
                }
            }
            for n in 0..NODES {
                pool.push(pda::stake(&task.key, &self.key(CREATORS + n)));
            }
        }
        pool
    }

    /// The transaction of one step: its instructions and signing actors.
    async fn build(&mut self, step: &Step) -> Option<(Vec<Instruction>, Vec<usize>)> {
        let sol = |tenths: u8| u64::from(tenths) * LAMPORTS_PER_SOL / 10;
        Some(match step {
            Step::Warp { .. }
            | Step::Align { .. }
            | Step::PlayRound { .. }
            | Step::CreateTask { .. }
            | Step::Substitute { .. } => return None,
            Step::Fund {
                actor,
                task,
                sol_tenths,
            } => {
                let (a, t) = (self.actor(*actor), self.task(*task)?);
                (
                    vec![sdk::fund_task_in(
                        &self.key(a),
                        &t.key,
                        sol(*sol_tenths),
                        t.asset.as_ref(),
                    )],
                    vec![a],
                )
            }
            Step::Update {
                actor,
                task,
                reward_tenths,
                min_stake_sol,
            } => {
                let (a, t) = (self.actor(*actor), self.task(*task)?);
                let args = UpdateTaskArgs {
                    reward_per_round: Some(sol(*reward_tenths)),
                    metadata_uri: None,
                    code_hash: None,
                    code_uri: None,
                    code_limits: None,
                    min_stake: (*min_stake_sol > 0)
                        .then(|| u64::from(*min_stake_sol) * LAMPORTS_PER_SOL),
                };
                (vec![sdk::update_task(&self.key(a), &t.key, args)], vec![a])
            }
            Step::Pause { actor, task } => {
                let (a, who, task) = self.creator_or_actor(*actor, *task)?;
                (vec![sdk::pause_task(&who, &task)], vec![a])
            }
            Step::Resume { actor, task } => {
                let (a, who, task) = self.creator_or_actor(*actor, *task)?;
                (vec![sdk::resume_task(&who, &task)], vec![a])
            }
            Step::WithdrawBounty {
                actor,
                task,
                sol_tenths,
            } => {
                let (a, who, task) = self.creator_or_actor(*actor, *task)?;
                let amount = sol(*sol_tenths);
                let asset = self.asset_of(&task);
                let ix = sdk::withdraw_bounty_in(&who, &task, amount, asset.as_ref());
                (vec![ix], vec![a])
            }
            Step::CloseTask { actor, task } => {
                let (a, who, task) = self.creator_or_actor(*actor, *task)?;
                let asset = self.asset_of(&task);
                (
                    vec![sdk::close_task_in(&who, &task, asset.as_ref())],
                    vec![a],
                )
            }
            Step::Stake {
                node,
                task,
                sol: amount,
            } => {
                let (n, t) = (self.node(*node), self.task(*task)?);
                let lamports = u64::from(*amount) * LAMPORTS_PER_SOL / 2;
                (
                    vec![sdk::stake(&self.key(n), &t.key, lamports, None)],
                    vec![n],
                )
            }
            Step::Unstake { node, task } => {
                let (n, t) = (self.node(*node), self.task(*task)?);
                (vec![sdk::unstake(&self.key(n), &t.key)], vec![n])
            }
            Step::WithdrawStake { node, task } => {
                let (n, t) = (self.node(*node), self.task(*task)?);
                (vec![sdk::withdraw_stake(&self.key(n), &t.key)], vec![n])
            }
            Step::CloseStake { actor, task, node } => {
                let (a, t, n) = (self.actor(*actor), self.task(*task)?, self.node(*node));
                let ix = sdk::close_stake(&self.key(a), &t.key, &self.key(n));
                (vec![ix], vec![a])
            }
            Step::OpenRound { actor, task } => {
                let (a, t) = (self.actor(*actor), self.task(*task)?);
                let round = self.round(&t, 0).await;
                let ix = sdk::open_round_in(&self.key(a), &t.key, round, t.asset.as_ref());
                (vec![ix], vec![a])
            }
            Step::Submit {
                node,
                task,
                value,
                other,
            } => {
                let (n, t) = (self.node(*node), self.task(*task)?);
                let round = self.round(&t, 0).await;
                let me = self.key(n);
                let payload = if *value == 3 {
                    // A copier: another node's commitment (or value).
                    let other = self.key(self.node(*other));
                    let theirs: Submission = self
                        .h
                        .account(&pda::submission(&t.key, round, &other))
                        .await?;
                    if t.schedule.commit_reveal() {
                        SubmissionPayload::Commitment(theirs.commitment)
                    } else {
                        SubmissionPayload::Value(theirs.value)
                    }
                } else {
                    let bytes = value_bytes(*value, round);
                    if t.schedule.commit_reveal() {
                        SubmissionPayload::Commitment(commitment(
                            &bytes,
                            &salt_for(&me, round),
                            &me,
                        ))
                    } else {
                        SubmissionPayload::Value(bytes)
                    }
                };
                let open = self.h.exists(&pda::round(&t.key, round)).await;
                (
                    sdk::submit_opening_in(&me, &t.key, round, payload, open, t.asset.as_ref()),
                    vec![n],
                )
            }
            Step::Reveal {
                node,
                task,
                back,
                value,
                wrong_salt,
            } => {
                let (n, t) = (self.node(*node), self.task(*task)?);
                let round = self.round(&t, *back).await;
                let me = self.key(n);
                let mut salt = salt_for(&me, round);
                if *wrong_salt {
                    salt[0] ^= 1;
                }
                let bytes = value_bytes(*value, round);
                (vec![sdk::reveal(&me, &t.key, round, bytes, salt)], vec![n])
            }
            Step::Challenge {
                node,
                task,
                back,
                target,
            } => {
                let (n, t) = (self.node(*node), self.task(*task)?);
                let round = self.round(&t, *back).await;
                let target = self.key(self.node(*target));
                (
                    vec![sdk::challenge(&self.key(n), &t.key, round, &target)],
                    vec![n],
                )
            }
            Step::Vote {
                node,
                task,
                back,
                target,
                invalid,
            } => {
                let (n, t) = (self.node(*node), self.task(*task)?);
                let round = self.round(&t, *back).await;
                let target = self.key(self.node(*target));
                (
                    vec![sdk::vote(&self.key(n), &t.key, round, &target, *invalid)],
                    vec![n],
                )
            }
            Step::Resolve {
                actor,
                task,
                back,
                target,
                challenger,
            } => {
                let (a, t) = (self.actor(*actor), self.task(*task)?);
                let round = self.round(&t, *back).await;
                let target = self.key(self.node(*target));
                let challenger = self.key(self.node(*challenger));
                (
                    vec![sdk::resolve_audit(&t.key, round, &target, &challenger)],
                    vec![a],
                )
            }
            Step::RecordSeed { actor, task, back } => {
                let (a, t) = (self.actor(*actor), self.task(*task)?);
                let round = self.round(&t, *back).await;
                (vec![sdk::record_audit_seed(&t.key, round)], vec![a])
            }
            Step::Verify {
                actor,
                task,
                back,
                target,
                challenger,
            } => {
                let (a, t) = (self.actor(*actor), self.task(*task)?);
                let round = self.round(&t, *back).await;
                let target = self.key(self.node(*target));
                let challenger = self.key(self.node(*challenger));
                let verifier = tasknet_pow_verifier::ID;
                let ix = sdk::verify_audit(&t.key, round, &target, &challenger, &verifier);
                (vec![ix], vec![a])
            }
            Step::Claim { node, task, back } => {
                let (n, t) = (self.node(*node), self.task(*task)?);
                let round = self.round(&t, *back).await;
                let ix = sdk::claim_in(&self.key(n), &t.key, round, t.asset.as_ref());
                (vec![ix], vec![n])
            }
            Step::CloseVote {
                task,
                back,
                target,
                voter,
            } => {
                let t = self.task(*task)?;
                let round = self.round(&t, *back).await;
                let (target, voter) = (self.key(self.node(*target)), self.key(self.node(*voter)));
                (
                    vec![sdk::close_vote(&t.key, round, &target, &voter)],
                    vec![ACTORS - 1],
                )
            }
            Step::CloseSubmission {
                task,
                back,
                target,
                challenger,
                with_audit,
            } => {
                let t = self.task(*task)?;
                let round = self.round(&t, *back).await;
                let target = self.key(self.node(*target));
                let challenger = self.key(self.node(*challenger));
                let challenger = with_audit.then_some(&challenger);
                let asset = t.asset.as_ref();
                (
                    vec![sdk::close_submission_in(
                        &t.key, round, &target, challenger, asset,
                    )],
                    vec![ACTORS - 1],
                )
            }
            Step::CloseRound { task, back, payer } => {
                let t = self.task(*task)?;
                let round = self.round(&t, *back).await;
                let payer = self.key(self.actor(*payer));
                (
                    vec![sdk::close_round_in(&t.key, round, &payer, t.asset.as_ref())],
                    vec![ACTORS - 1],
                )
            }
        })
    }

    /// What the task at `key` pays in (`None`: SOL).
    fn asset_of(&self, key: &Pubkey) -> Option<TokenAsset> {
        self.tasks.iter().find(|t| t.key == *key)?.asset
    }

    /// The asset a task of `creator` and `id` pays in: SOL, the classic
    /// mint or the Token-2022 mint, in turn.
    fn asset_for(&self, creator: usize, id: u8) -> Option<TokenAsset> {
        match (creator + usize::from(id)) % 3 {
            0 => None,
            k => Some(self.mints[k - 1]),
        }
    }

    /// Every actor's tokens of each mint.
    async fn actor_tokens(&mut self) -> [u64; 2] {
        let mut totals = [0; 2];
        for (m, total) in totals.iter_mut().enumerate() {
            for i in 0..ACTORS {
                let account = self.mints[m].ata(&self.key(i));
                *total += self.h.token_balance(&account).await;
            }
        }
        totals
    }

    /// Mostly the task's creator (so creator instructions get past the
    /// signer check), sometimes anyone: the actor, its key and the task's.
    fn creator_or_actor(&self, actor: u8, task: u8) -> Option<(usize, Pubkey, Pubkey)> {
        let t = self.task(task)?;
        let a = if actor.is_multiple_of(4) {
            self.actor(actor / 4)
        } else {
            t.creator
        };
        Some((a, self.key(a), t.key))
    }

    /// Runs one step, then checks every invariant.
    pub async fn step(&mut self, step: &Step) {
        match step {
            Step::Warp { slots } => {
                let to = self.slot().await + u64::from(*slots);
                self.h.warp_to(to).await;
                self.count("warp");
            }
            Step::CreateTask {
                creator,
                id,
                commit_reveal,
            } => self.create_task(*creator, *id, *commit_reveal).await,
            Step::Align { task, phase } => self.align(*task, *phase).await,
            Step::PlayRound {
                task,
                lies,
                reveals,
                challenger,
                voters,
                invalid,
                claims,
            } => {
                let bit = |mask: u8, n: u8| mask & (1 << n) != 0;
                let task = *task;
                self.align(task, 0).await;
                let Some(t) = self.task(task) else {
                    return self.count("skipped");
                };
                // Later phases may fall in the next round: each action
                // reaches back to the round played.
                let played = self.round(&t, 0).await;
                let liar = (0..NODES as u8).find(|n| bit(*lies, *n));
                for node in 0..NODES as u8 {
                    let value = if bit(*lies, node) { 2 } else { 0 };
                    let submit = Step::Submit {
                        node,
                        task,
                        value,
                        other: 0,
                    };
                    Box::pin(self.step(&submit)).await;
                }
                self.warp_to_phase(&t, played, 1).await;
                let back = self.back_to(&t, played).await;
                for node in (0..NODES as u8).filter(|n| bit(*reveals | 0b11, *n)) {
                    let value = if bit(*lies, node) { 2 } else { 0 };
                    let reveal = Step::Reveal {
                        node,
                        task,
                        back,
                        value,
                        wrong_salt: false,
                    };
                    Box::pin(self.step(&reveal)).await;
                }
                self.warp_to_phase(&t, played, 2).await;
                let back = self.back_to(&t, played).await;
                if let Some(target) = liar {
                    let challenge = Step::Challenge {
                        node: *challenger,
                        task,
                        back,
                        target,
                    };
                    Box::pin(self.step(&challenge)).await;
                    for node in (0..NODES as u8).filter(|n| bit(*voters, *n)) {
                        let invalid = bit(*invalid, node);
                        let vote = Step::Vote {
                            node,
                            task,
                            back,
                            target,
                            invalid,
                        };
                        Box::pin(self.step(&vote)).await;
                    }
                }
                self.warp_to_phase(&t, played, 3).await;
                let back = self.back_to(&t, played).await;
                if let Some(target) = liar {
                    let challenger = *challenger;
                    let resolve = Step::Resolve {
                        actor: 0,
                        task,
                        back,
                        target,
                        challenger,
                    };
                    Box::pin(self.step(&resolve)).await;
                }
                for node in (0..NODES as u8).filter(|n| bit(*claims, *n)) {
                    Box::pin(self.step(&Step::Claim { node, task, back })).await;
                }
                self.count("play_round");
            }
            Step::Substitute {
                inner,
                position,
                source,
            } => {
                let Some((mut instructions, signers)) = self.build(inner).await else {
                    return self.count("skipped");
                };
                let pool = self.key_pool().await;
                let last = instructions.len() - 1;
                let metas: Vec<usize> = (0..instructions[last].accounts.len())
                    .filter(|i| !instructions[last].accounts[*i].is_signer)
                    .collect();
                if metas.is_empty() {
                    return self.count("skipped");
                }
                let at = metas[usize::from(*position) % metas.len()];
                instructions[last].accounts[at].pubkey = pool[usize::from(*source) % pool.len()];
                self.send(&instructions, &signers, "substituted").await;
            }
            _ => {
                let Some((instructions, signers)) = self.build(step).await else {
                    return self.count("skipped");
                };
                self.send(&instructions, &signers, "").await;
            }
        }
        self.check_counters().await;
    }

    /// Warps to `phase` of the task's current round (see `Step::Align`).
    async fn align(&mut self, task: u8, phase: u8) {
        let Some(t) = self.task(task) else {
            return self.count("skipped");
        };
        let round = self.round(&t, 0).await;
        self.warp_to_phase(&t, round, phase).await;
        self.count("align");
    }

    /// Warps to `phase` of `round` (see `Step::Align`); never backwards.
    async fn warp_to_phase(&mut self, t: &TaskRef, round: u64, phase: u8) {
        let slot = self.slot().await;
        let s = t.schedule;
        let to = match phase {
            0 if slot < s.submit_end(round) => slot,
            0 => s.round_start(round + 1),
            1 => s.submit_end(round),
            2 => s.reveal_end(round),
            3 => s.audit_end(round),
            _ => s.claim_deadline(round),
        };
        self.h.warp_to(to).await;
    }

    /// How many rounds back from the task's current round `round` is.
    async fn back_to(&mut self, t: &TaskRef, round: u64) -> u8 {
        let current = self.round(t, 0).await;
        u8::try_from(current - round).expect("a recent round")
    }

    async fn create_task(&mut self, creator: u8, id: u8, commit_reveal: bool) {
        let c = self.creator(creator);
        let slot = self.slot().await;
        let mut args = task_args(u64::from(id), commit_reveal);
        // Odd ids slash everything: stakes reach zero and must close.
        if id % 2 == 1 {
            args.economics.slash_bps = 10_000;
        }
        // Id 2 is a verifier task: the example verifier decides its
        // challenges (the fuzzer's values are no proofs of work: invalid).
        if id == 2 {
            args.verifier = Some(tasknet_pow_verifier::ID);
        }
        args.schedule = Schedule {
            start_slot: slot + 5,
            reveal_slots: if commit_reveal {
                commit_reveal_schedule().reveal_slots
            } else {
                0
            },
            ..commit_reveal_schedule()
        };
        let key = pda::task(&self.key(c), u64::from(id));
        let schedule = args.schedule;
        let asset = self.asset_for(c, id);
        let ix = sdk::create_task_in(&self.key(c), args, asset.as_ref());
        if self.send(&[ix], &[c], "").await {
            if !self.tasks.iter().any(|t| t.key == key) {
                self.h.track(key);
            }
            let task = TaskRef {
                key,
                creator: c,
                schedule,
                asset,
            };
            match self.tasks.iter_mut().find(|t| t.key == key) {
                // Re-created at an old address: the new schedule applies.
                Some(old) => *old = task,
                None => self.tasks.push(task),
            }
        }
    }

    /// Sends, records the outcome, and asserts that a failure is a named
    /// error. Returns whether it succeeded.
    async fn send(&mut self, instructions: &[Instruction], signers: &[usize], tag: &str) -> bool {
        let keys = self.signing(instructions, signers);
        let refs: Vec<&Keypair> = keys.iter().collect();
        let sent = self.h.send(instructions, &refs).await;
        // " (token)" marks a token task's instruction.
        let name = instructions
            .last()
            .and_then(|ix| {
                Some(crate::cu_row(
                    tasknet_testkit::instruction_name(&ix.data)?,
                    ix,
                ))
            })
            .unwrap_or_else(|| "other".into());
        let name = name.as_str();
        let outcome = match &sent.result {
            Ok(()) => "ok".to_string(),
            Err(TransactionError::InstructionError(_, InstructionError::Custom(code))) => {
                format!("error {code}")
            }
            Err(e) => {
                // The runtime's own refusals of a substituted account are
                // named too; anything else is an anonymous failure.
                assert!(
                    matches!(
                        e,
                        TransactionError::InstructionError(
                            _,
                            InstructionError::ExternalAccountDataModified
                                | InstructionError::ExternalAccountLamportSpend
                                | InstructionError::ReadonlyLamportChange
                                | InstructionError::ReadonlyDataModified
                                | InstructionError::PrivilegeEscalation
                                | InstructionError::IncorrectProgramId
                                | InstructionError::InvalidAccountOwner
                                | InstructionError::MissingAccount
                                | InstructionError::NotEnoughAccountKeys
                        )
                    ) && !tag.is_empty(),
                    "{name}: an anonymous failure {e:?}\nlogs:\n{}",
                    sent.logs.join("\n")
                );
                format!("{e:?}")
            }
        };
        self.count(&format!("{name} {tag} {outcome}"));
        let ok = sent.result.is_ok();
        if ok && name == "stake" {
            self.record_stake(instructions);
        }
        ok
    }

    /// The actors among `signers` whose signature the instructions ask for.
    fn signing(&self, instructions: &[Instruction], signers: &[usize]) -> Vec<Keypair> {
        signers
            .iter()
            .map(|i| &self.actors[*i])
            .filter(|k| {
                instructions
                    .iter()
                    .flat_map(|ix| &ix.accounts)
                    .any(|m| m.is_signer && m.pubkey == k.pubkey())
            })
            .map(|k| k.insecure_clone())
            .collect()
    }

    /// Books a successful stake's amount (from its instruction data: after
    /// the discriminator, `amount: u64`), to check slashes against.
    fn record_stake(&mut self, instructions: &[Instruction]) {
        let Some(ix) = instructions.last() else {
            return;
        };
        let amount = u64::from_le_bytes(ix.data[8..16].try_into().expect("an amount"));
        let (node, task) = (ix.accounts[0].pubkey, ix.accounts[1].pubkey);
        *self.staked.entry((task, node)).or_default() += amount;
    }

    fn count(&mut self, outcome: &str) {
        *self.outcomes.entry(outcome.to_string()).or_default() += 1;
    }

    /// Counters equal the accounts that exist; no slash exceeds the stake.
    async fn check_counters(&mut self) {
        for task in self.tasks.clone() {
            let Some(t) = self.h.account::<Task>(&task.key).await else {
                self.staked.retain(|(k, _), _| *k != task.key);
                continue;
            };
            let mut stakes = 0;
            for n in 0..NODES {
                let node = self.key(CREATORS + n);
                match self.h.account::<Stake>(&pda::stake(&task.key, &node)).await {
                    Some(stake) => {
                        stakes += 1;
                        let staked = self.staked.get(&(task.key, node)).copied().unwrap_or(0);
                        // A slash never exceeds the stake, and nothing else
                        // leaves it before withdrawal.
                        assert_eq!(
                            stake.slashed_total + stake.total(),
                            staked,
                            "node {node}'s stake does not add up: {stake:?}, staked {staked}"
                        );
                    }
                    None => {
                        self.staked.remove(&(task.key, node));
                    }
                }
            }
            assert_eq!(t.node_count, stakes, "task {} node_count", task.key);
            let last = task.schedule.round_at(self.slot().await).unwrap_or(0);
            for round in 0..=last + 1 {
                let Some(r) = self.h.account::<Round>(&pda::round(&task.key, round)).await else {
                    continue;
                };
                let (mut submissions, mut pending) = (0, 0);
                for n in 0..NODES {
                    let node = self.key(CREATORS + n);
                    let submission = pda::submission(&task.key, round, &node);
                    if !self.h.exists(&submission).await {
                        continue;
                    }
                    submissions += 1;
                    let audit_key = pda::audit(&submission);
                    let Some(audit) = self.h.account::<Audit>(&audit_key).await else {
                        continue;
                    };
                    pending += u32::from(audit.verdict == AuditVerdict::Pending);
                    let mut votes = 0;
                    for v in 0..NODES {
                        let voter = self.key(CREATORS + v);
                        votes += u32::from(self.h.exists(&pda::vote(&audit_key, &voter)).await);
                    }
                    assert_eq!(audit.votes_open, votes, "audit {audit_key} votes_open");
                }
                assert_eq!(
                    r.submissions_open, submissions,
                    "round {round} submissions_open"
                );
                assert_eq!(r.open_audits, pending, "round {round} open_audits");
            }
        }
    }

    /// Cranks everything closable, as anyone could, then checks that every
    /// account of the program is gone and every lamport is back with the
    /// actors.
    pub async fn settle_everything(&mut self) {
        let far = self.slot().await + 20 * commit_reveal_schedule().round_slots;
        self.h.warp_to(far).await;
        for task in self.tasks.clone() {
            let Some(t) = self.h.account::<Task>(&task.key).await else {
                continue;
            };
            let last = task.schedule.round_at(self.slot().await).unwrap_or(0);
            for round in 0..=last {
                self.close_round_fully(&task, round).await;
            }
            let creator = task.creator;
            if t.state == TaskState::Active {
                self.must(
                    &[sdk::pause_task(&self.key(creator), &task.key)],
                    &[creator],
                )
                .await;
            }
            // Refunds the bounty and marks the task closed: stakes free at once.
            let close = sdk::close_task_in(&self.key(creator), &task.key, task.asset.as_ref());
            self.must(&[close], &[creator]).await;
            for n in 0..NODES {
                let node = self.key(CREATORS + n);
                let Some(stake) = self.h.account::<Stake>(&pda::stake(&task.key, &node)).await
                else {
                    continue;
                };
                if stake.total() == 0 {
                    // Slashed to nothing: anyone closes it once the task is.
                    let closer = self.key(creator);
                    self.must(&[sdk::close_stake(&closer, &task.key, &node)], &[creator])
                        .await;
                } else if stake.unbonding == 0 {
                    self.must(&[sdk::unstake(&node, &task.key)], &[CREATORS + n])
                        .await;
                }
            }
        }
        let far = self.slot().await + 20 * commit_reveal_schedule().round_slots;
        self.h.warp_to(far).await;
        for task in self.tasks.clone() {
            if !self.h.exists(&task.key).await {
                continue;
            }
            for n in 0..NODES {
                let node = self.key(CREATORS + n);
                if self.h.exists(&pda::stake(&task.key, &node)).await {
                    self.must(&[sdk::withdraw_stake(&node, &task.key)], &[CREATORS + n])
                        .await;
                }
            }
            let creator = task.creator;
            let close = sdk::close_task_in(&self.key(creator), &task.key, task.asset.as_ref());
            self.must(&[close], &[creator]).await;
            assert!(
                !self.h.exists(&task.key).await,
                "task {} still open",
                task.key
            );
            assert!(!self.h.exists(&pda::vault(&task.key)).await);
            assert!(!self.h.exists(&pda::bounty_tokens(&task.key)).await);
        }
        assert_eq!(
            self.actor_tokens().await,
            [TOKENS_PER_ACTOR * ACTORS as u64; 2],
            "tokens stranded"
        );
        let total = self.actor_lamports().await;
        assert_eq!(
            total,
            self.initial_total,
            "lamports stranded: {} missing",
            self.initial_total as i128 - total as i128
        );
    }

    async fn close_round_fully(&mut self, task: &TaskRef, round: u64) {
        let Some(r) = self.h.account::<Round>(&pda::round(&task.key, round)).await else {
            return;
        };
        let cranker = ACTORS - 1;
        for n in 0..NODES {
            let node = self.key(CREATORS + n);
            let submission = pda::submission(&task.key, round, &node);
            let audit_key = pda::audit(&submission);
            let Some(audit) = self.h.account::<Audit>(&audit_key).await else {
                continue;
            };
            if audit.verdict == AuditVerdict::Pending {
                self.must(
                    &[sdk::resolve_audit(
                        &task.key,
                        round,
                        &node,
                        &audit.challenger,
                    )],
                    &[cranker],
                )
                .await;
            }
            for v in 0..NODES {
                let voter = self.key(CREATORS + v);
                if self.h.exists(&pda::vote(&audit_key, &voter)).await {
                    self.must(
                        &[sdk::close_vote(&task.key, round, &node, &voter)],
                        &[cranker],
                    )
                    .await;
                }
            }
        }
        for n in 0..NODES {
            let node = self.key(CREATORS + n);
            let submission = pda::submission(&task.key, round, &node);
            if !self.h.exists(&submission).await {
                continue;
            }
            let audit: Option<Audit> = self.h.account(&pda::audit(&submission)).await;
            let challenger = audit.map(|a| a.challenger);
            let asset = task.asset.as_ref();
            let close =
                sdk::close_submission_in(&task.key, round, &node, challenger.as_ref(), asset);
            self.must(&[close], &[cranker]).await;
        }
        let close = sdk::close_round_in(&task.key, round, &r.rent_payer, task.asset.as_ref());
        self.must(&[close], &[cranker]).await;
    }

    /// A crank that must succeed at the end of a sequence.
    async fn must(&mut self, instructions: &[Instruction], signers: &[usize]) {
        let keys = self.signing(instructions, signers);
        let refs: Vec<&Keypair> = keys.iter().collect();
        let sent = self.h.send(instructions, &refs).await;
        assert!(
            sent.result.is_ok(),
            "settling failed: {:?}\n{}",
            sent.result,
            sent.logs.join("\n")
        );
    }
}

fn value_bytes(value: u8, round: u64) -> Vec<u8> {
    match value {
        0 | 1 => crate::honest_value(round),
        _ => b"a lie".to_vec(),
    }
}

/// Runs one sequence on a fresh bank; returns the steps run and outcomes.
pub async fn run(backend: Backend, steps: &[Step]) -> BTreeMap<String, u64> {
    let mut world = World::new(backend).await;
    for step in steps {
        world.step(step).await;
    }
    world.settle_everything().await;
    let sent = world.h.transactions;
    world.outcomes.insert("(transactions sent)".into(), sent);
    world.outcomes
}
