//! One read of a round: everything `decide` looks at, taken from the chain
//! (the source of truth) and the node's store (what the chain cannot know:
//! our value and salt, our audit verdicts). What is read depends on the
//! round's phase ([`Reads`]), so a quiet phase costs one account read, and
//! what was located once (our audit sample, the round's audits) is kept in
//! a [`RoundMemory`] instead of being scanned for again every tick.

use std::collections::{HashMap, HashSet};
use std::future::Future;

use anchor_lang::prelude::Pubkey;
use anchor_lang::{AccountDeserialize, Space};
use tasknet::logic::{AuditSample, Phase};
use tasknet::state::{
    Audit, AuditVerdict, Round, Stake, Submission, SubmissionStatus, Task, TaskState,
};
use tasknet_sdk::accounts::{filters, Memcmp};
use tasknet_sdk::chain::{decode_account, ChainClient, ChainError};
use tasknet_sdk::pda;

use crate::decide::crank_grace;

use crate::store::{OwnSubmission, Store};
use crate::NodeError;

/// What one tick knows of a task: read once, shared by all its rounds.
#[derive(Clone, Debug)]
pub struct TaskView {
    /// This node's authority.
    pub me: Pubkey,
    pub task_key: Pubkey,
    pub task: Task,
    /// This node's stake on the task, if any.
    pub stake: Option<Stake>,
    pub slot: u64,
    /// How many submissions this node audits per round (see
    /// [`AuditSample`]).
    pub audits_per_round: u32,
}

impl TaskView {
    /// Whether our stake may submit or vote on `round`.
    pub fn eligible(&self, round: u64) -> bool {
        self.stake.as_ref().is_some_and(|s| {
            s.eligible_weight(self.task.economics.min_stake, round)
                .is_ok()
        })
    }
}

/// Which of a round's submissions to read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Submissions {
    #[default]
    None,
    /// Those this node is assigned to audit ([`AuditSample`]), found once
    /// per round, and those under audit.
    Sampled,
    /// Every one that exists: a scan of the round.
    All,
}

/// Which parts of a round to read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reads {
    pub mine: bool,
    pub round: bool,
    pub submissions: Submissions,
    pub audits: bool,
    pub votes: bool,
}

impl Reads {
    /// What the honest policy needs in each phase. Scans are narrowed
    /// further by what the round account says (see [`RoundSnapshot::read`]).
    pub fn for_phase(phase: Phase) -> Self {
        let none = Self::default();
        match phase {
            Phase::NotStarted => none,
            // The round account: whether our submit must open the round.
            Phase::Submit => Self {
                mine: true,
                round: true,
                ..none
            },
            Phase::Reveal => Self { mine: true, ..none },
            // Ours for its index, the round for its submission count: the
            // two inputs of our audit sample.
            Phase::Audit => Self {
                mine: true,
                round: true,
                submissions: Submissions::Sampled,
                audits: true,
                ..none
            },
            Phase::Settle => Self {
                mine: true,
                round: true,
                audits: true,
                ..none
            },
            // Submissions too: whoever sweeps the round closes those their
            // nodes left behind (paying their rewards) before the round.
            Phase::Closable => Self {
                mine: true,
                round: true,
                submissions: Submissions::All,
                audits: true,
                votes: true,
            },
        }
    }
}

/// What a node remembers of a round between ticks, so that its scans run
/// once per round or when the round account says something changed, not
/// on every tick.
#[derive(Clone, Debug, Default)]
pub struct RoundMemory {
    /// The submissions this node audits, found once per round.
    sampled: Option<Vec<Pubkey>>,
    /// The round's audits (address, audited submission) at the last scan,
    /// with the round's `open_audits` then: scanned again only when that
    /// count moves.
    audits: Option<(u32, Vec<(Pubkey, Pubkey)>)>,
}

/// Where a snapshot's accounts come from: the RPC endpoint for the node,
/// an in-process bank for the scale benchmark (which counts the calls).
pub trait AccountSource: Sync {
    /// The data of each address's account, `None` where there is none.
    fn accounts(
        &self,
        addresses: &[Pubkey],
    ) -> impl Future<Output = Result<Vec<Option<Vec<u8>>>, ChainError>> + Send;

    /// The program's accounts of `data_size` bytes matching every filter.
    fn program_accounts(
        &self,
        filters: &[Memcmp],
        data_size: usize,
    ) -> impl Future<Output = Result<Vec<(Pubkey, Vec<u8>)>, ChainError>> + Send;
}

impl AccountSource for ChainClient {
    async fn accounts(&self, addresses: &[Pubkey]) -> Result<Vec<Option<Vec<u8>>>, ChainError> {
        Ok(self
            .raw_accounts(addresses)
            .await?
            .into_iter()
            .map(|a| a.map(|a| a.data))
            .collect())
    }

    async fn program_accounts(
        &self,
        filters: &[Memcmp],
        data_size: usize,
    ) -> Result<Vec<(Pubkey, Vec<u8>)>, ChainError> {
        self.raw_program_accounts(filters, data_size).await
    }
}

/// Decodes `T` accounts read at `addresses`, skipping those that are gone.
fn decode_found<T: AccountDeserialize>(
    addresses: &[Pubkey],
    found: Vec<Option<Vec<u8>>>,
) -> Result<Vec<(Pubkey, T)>, ChainError> {
    addresses
        .iter()
        .zip(found)
        .filter_map(|(key, data)| data.map(|d| (key, d)))
        .map(|(key, data)| Ok((*key, decode_account(key, &data)?)))
        .collect()
}

/// Scans the program's `T` accounts matching `filters`.
async fn scan<T: AccountDeserialize + Space>(
    source: &impl AccountSource,
    filters: &[Memcmp],
) -> Result<Vec<(Pubkey, T)>, ChainError> {
    source
        .program_accounts(filters, 8 + T::INIT_SPACE)
        .await?
        .into_iter()
        .map(|(key, data)| Ok((key, decode_account(&key, &data)?)))
        .collect()
}

/// One round as the node sees it at one slot.
#[derive(Clone, Debug)]
pub struct RoundSnapshot<'a> {
    pub view: &'a TaskView,
    pub round: u64,
    pub phase: Phase,
    /// Our value and salt for the round, if the task code ran.
    pub own: Option<OwnSubmission>,
    /// Our submission account.
    pub mine: Option<Submission>,
    pub round_account: Option<Round>,
    /// The round's submissions, with their addresses.
    pub submissions: Vec<(Pubkey, Submission)>,
    /// Our stored verdicts on others' payloads, by submitter.
    pub verdicts: HashMap<Pubkey, bool>,
    /// Audits of challenged submissions that we have voted in.
    pub voted: HashSet<Pubkey>,
    /// The round's audits, with their addresses.
    pub audits: Vec<(Pubkey, Audit)>,
    /// Votes of the round's resolved audits: (audit, voter).
    pub votes: Vec<(Pubkey, Pubkey)>,
}

impl<'a> RoundSnapshot<'a> {
    /// The round at the view's slot, with nothing read yet.
    pub fn empty(view: &'a TaskView, round: u64) -> Self {
        Self {
            view,
            round,
            phase: view.task.schedule.phase(round, view.slot),
            own: None,
            mine: None,
            round_account: None,
            submissions: Vec::new(),
            verdicts: HashMap::new(),
            voted: HashSet::new(),
            audits: Vec::new(),
            votes: Vec::new(),
        }
    }

    /// Whether we may submit now: the task is active, we have not
    /// submitted, and our stake is eligible for the round.
    pub fn may_submit(&self) -> bool {
        self.view.task.state == TaskState::Active
            && self.mine.is_none()
            && self.view.eligible(self.round)
    }

    /// Whether our submission is a commitment still waiting to be revealed.
    pub fn committed(&self) -> bool {
        self.mine
            .as_ref()
            .is_some_and(|m| m.status == SubmissionStatus::Committed)
    }

    /// Our submission's address.
    pub fn mine_key(&self) -> Pubkey {
        pda::submission(&self.view.task_key, self.round, &self.view.me)
    }

    /// Whether we crank the round (close it once its submissions are
    /// gone): its rent payer at once, anyone else after the grace.
    pub fn cranks_round(&self) -> bool {
        self.round_account.as_ref().is_some_and(|round| {
            let schedule = &self.view.task.schedule;
            round.rent_payer == self.view.me
                || self.view.slot
                    >= schedule.claim_deadline(self.round) + crank_grace(schedule.round_slots)
        })
    }

    /// Whether we sweep up what other nodes left behind (their votes and
    /// submissions): owners get a grace to close their own first, then the
    /// round's rent payer sweeps, and after a second grace anyone does.
    pub fn sweeps(&self) -> bool {
        self.round_account.as_ref().is_some_and(|round| {
            let schedule = &self.view.task.schedule;
            let grace = crank_grace(schedule.round_slots);
            let graces = if round.rent_payer == self.view.me {
                1
            } else {
                2
            };
            self.view.slot >= schedule.claim_deadline(self.round) + graces * grace
        })
    }

    /// Reads what `reads` asks for: the chain's part, then the store's.
    pub async fn read(
        view: &'a TaskView,
        round: u64,
        reads: Reads,
        chain: &impl AccountSource,
        memory: &mut RoundMemory,
        store: &Store,
    ) -> Result<RoundSnapshot<'a>, NodeError> {
        let mut snapshot = Self::read_chain(view, round, reads, chain, memory).await?;
        let task = &view.task_key;
        snapshot.own = store.own_submission(task, round)?;
        if reads.submissions != Submissions::None {
            snapshot.verdicts = store.audit_verdicts(task, round)?;
        }
        Ok(snapshot)
    }

    /// The chain's part of a snapshot. Our submission and the round come
    /// first, in one call: they say which scans are needed. A tick then
    /// costs at most one more call, for the accounts already located.
    pub async fn read_chain(
        view: &'a TaskView,
        round: u64,
        reads: Reads,
        chain: &impl AccountSource,
        memory: &mut RoundMemory,
    ) -> Result<RoundSnapshot<'a>, ChainError> {
        let mut s = Self::empty(view, round);
        if reads == Reads::default() {
            return Ok(s);
        }
        s.read_mine_and_round(chain).await?;
        if reads.audits {
            s.locate_audits(chain, memory).await?;
        }
        if reads.submissions == Submissions::Sampled {
            s.locate_sample(chain, memory).await?;
        }
        s.read_located(chain, reads, memory).await?;
        let sweep = s.sweeps()
            && s.round_account
                .as_ref()
                .is_some_and(|r| r.submissions_open > u32::from(s.mine.is_some()));
        let scan_all = match s.phase {
            Phase::Closable => sweep,
            _ => true,
        };
        if reads.submissions == Submissions::All && scan_all {
            s.submissions = scan(chain, &filters::round_submissions(&view.task_key, round)).await?;
        }
        if reads.votes {
            s.votes = s.read_resolved_votes(chain).await?;
        }
        Ok(s)
    }

    /// Our submission and the round account, in one call.
    async fn read_mine_and_round(&mut self, chain: &impl AccountSource) -> Result<(), ChainError> {
        let keys = [self.mine_key(), pda::round(&self.view.task_key, self.round)];
        let mut found = chain.accounts(&keys).await?.into_iter();
        let (mine, round) = (found.next().flatten(), found.next().flatten());
        self.mine = mine.map(|d| decode_account(&keys[0], &d)).transpose()?;
        self.round_account = round.map(|d| decode_account(&keys[1], &d)).transpose()?;
        Ok(())
    }

    /// The round's audits (with their submissions): scanned when the
    /// round's count of open audits moved since the last scan, or never
    /// ran; challenges are rare, so this is rare too.
    async fn locate_audits(
        &self,
        chain: &impl AccountSource,
        memory: &mut RoundMemory,
    ) -> Result<(), ChainError> {
        let open = self.round_account.as_ref().map_or(0, |r| r.open_audits);
        if memory
            .audits
            .as_ref()
            .is_some_and(|(seen, _)| *seen == open)
        {
            return Ok(());
        }
        let filters = filters::round_audits(&self.view.task_key, self.round);
        let audits: Vec<(Pubkey, Audit)> = scan(chain, &filters).await?;
        let located = audits.iter().map(|(key, a)| (*key, a.submission)).collect();
        memory.audits = Some((open, located));
        Ok(())
    }

    /// The submissions our audit sample assigns us: once per round, one
    /// indexed lookup each, so the cost does not grow with the round.
    async fn locate_sample(
        &self,
        chain: &impl AccountSource,
        memory: &mut RoundMemory,
    ) -> Result<(), ChainError> {
        if memory.sampled.is_some() {
            return Ok(());
        }
        let (Some(mine), Some(round)) = (&self.mine, &self.round_account) else {
            // Not a submitter: nothing to audit, only challenges to vote on.
            memory.sampled = Some(Vec::new());
            return Ok(());
        };
        let task = &self.view.task_key;
        let sample = AuditSample::new(
            task,
            self.round,
            round.submissions,
            self.view.audits_per_round,
        );
        let mut sampled = Vec::new();
        for index in sample.targets(mine.index) {
            let filters = filters::submission_at(task, self.round, index);
            let found: Vec<(Pubkey, Submission)> = scan(chain, &filters).await?;
            sampled.extend(found.into_iter().map(|(key, _)| key));
        }
        memory.sampled = Some(sampled);
        Ok(())
    }

    /// Everything located so far, in one call: our sample and the
    /// submissions under audit, the audits, and our votes in them.
    async fn read_located(
        &mut self,
        chain: &impl AccountSource,
        reads: Reads,
        memory: &RoundMemory,
    ) -> Result<(), ChainError> {
        let audits = match (&memory.audits, reads.audits) {
            (Some((_, audits)), true) => audits.as_slice(),
            _ => &[],
        };
        let mut submissions: Vec<Pubkey> = Vec::new();
        let mut votes: Vec<Pubkey> = Vec::new();
        if reads.submissions == Submissions::Sampled {
            submissions.extend(memory.sampled.iter().flatten());
            for (audit, submission) in audits {
                if !submissions.contains(submission) {
                    submissions.push(*submission);
                }
                votes.push(pda::vote(audit, &self.view.me));
            }
        }
        let audit_keys: Vec<Pubkey> = audits.iter().map(|(audit, _)| *audit).collect();
        let addresses: Vec<Pubkey> = [&submissions[..], &audit_keys, &votes].concat();
        if addresses.is_empty() {
            return Ok(());
        }
        let mut found = chain.accounts(&addresses).await?;
        let vote_data = found.split_off(submissions.len() + audit_keys.len());
        let audit_data = found.split_off(submissions.len());
        self.submissions = decode_found(&submissions, found)?;
        self.audits = decode_found(&audit_keys, audit_data)?;
        self.voted = audit_keys
            .iter()
            .zip(vote_data)
            .filter_map(|(audit, vote)| vote.map(|_| *audit))
            .collect();
        Ok(())
    }

    /// The voters of the round's resolved audits, whose votes may close.
    async fn read_resolved_votes(
        &self,
        chain: &impl AccountSource,
    ) -> Result<Vec<(Pubkey, Pubkey)>, ChainError> {
        let mut votes = Vec::new();
        for (audit_key, audit) in &self.audits {
            if audit.verdict == AuditVerdict::Pending {
                continue;
            }
            let found: Vec<(Pubkey, tasknet::state::Vote)> =
                scan(chain, &filters::audit_votes(audit_key)).await?;
            votes.extend(found.into_iter().map(|(_, v)| (*audit_key, v.voter)));
        }
        Ok(votes)
    }
}
