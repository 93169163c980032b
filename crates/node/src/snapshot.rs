//! One read of a round: everything `decide` looks at, taken from the chain
//! (the source of truth). This module only reads; what to read in each
//! phase is the policy's (`decide`), and the node's own records (our value
//! and salt, our verdicts) are added by the round driver (`round`). A quiet
//! phase costs one call (our submission and the round account together),
//! and what was located once (our audit sample, the round's audits) is kept
//! in a [`RoundMemory`] instead of being scanned for again every tick.

use std::collections::{HashMap, HashSet};
use std::future::Future;

use anchor_lang::prelude::Pubkey;
use anchor_lang::{AccountDeserialize, Space};
use tasknet::logic::{backup_depth, AuditSample, Phase};
use tasknet::state::{Audit, AuditVerdict, Round, Stake, Submission, SubmissionStatus, Task};
use tasknet_sdk::accounts::{filters, Memcmp};
use tasknet_sdk::chain::{decode_account, ChainClient, ChainError};
use tasknet_sdk::pda;

use crate::store::OwnSubmission;
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
    /// The slot, then the task and `me`'s stake on it in one call.
    pub async fn read(
        source: &impl AccountSource,
        me: Pubkey,
        task_key: Pubkey,
        audits_per_round: u32,
    ) -> Result<Self, NodeError> {
        let slot = source.slot().await?;
        let stake_key = pda::stake(&task_key, &me);
        let mut found = source.accounts(&[task_key, stake_key]).await?.into_iter();
        let task: Task = match found.next().flatten() {
            Some(data) => decode_account(&task_key, &data)?,
            None => return Err(NodeError::UnknownTask(task_key)),
        };
        let stake = found
            .next()
            .flatten()
            .map(|data| decode_account(&stake_key, &data))
            .transpose()?;
        Ok(Self {
            me,
            task_key,
            task,
            stake,
            slot,
            audits_per_round,
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

/// What to read of a round besides our submission and the round account
/// (always read, together, in one call).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reads {
    pub submissions: Submissions,
    pub audits: bool,
    /// The voters of the round's resolved audits (whose votes may close).
    pub votes: bool,
}

/// What a node remembers of a round between ticks, so that its scans run
/// once per round or when the round account says something changed, not
/// on every tick.
#[derive(Clone, Debug, Default)]
pub struct RoundMemory {
    /// The submissions this node audits, found once per round.
    sampled: Option<Vec<Pubkey>>,
    /// The round's audits (address, audited submission) at the last scan,
    /// with the round's `open_audits` and the phase then: scanned again
    /// only when that count moves or a new phase begins (an audit a
    /// verifier decided in its challenge's transaction opens and resolves
    /// without the count ever moving between two reads).
    audits: Option<(AuditsSeenAt, Vec<(Pubkey, Pubkey)>)>,
}

/// When a round's audits were last scanned: its `open_audits` and phase.
type AuditsSeenAt = (u32, Phase);

/// Where a snapshot's accounts come from: the RPC endpoint for the node,
/// an in-process bank for the scale benchmark (which counts the calls).
pub trait AccountSource: Sync {
    /// The current slot.
    fn slot(&self) -> impl Future<Output = Result<u64, ChainError>> + Send;

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
    async fn slot(&self) -> Result<u64, ChainError> {
        ChainClient::slot(self).await
    }

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
    /// The task's verifier program, while it answers (the host drops it
    /// once a call failed: then challenges go to the vote).
    pub verifier: Option<Pubkey>,
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
            verifier: view.task.verifier,
        }
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

    /// The round's audit of `node`'s submission, if one was read.
    pub fn audit_of(&self, submission: &Pubkey) -> Option<&Audit> {
        self.audits
            .iter()
            .find(|(_, a)| a.submission == *submission)
            .map(|(_, a)| a)
    }

    /// The round at the view's slot with what every policy starts from:
    /// our submission and the round account, in one call (nothing before
    /// the round starts).
    pub async fn read_base(
        view: &'a TaskView,
        round: u64,
        source: &impl AccountSource,
    ) -> Result<RoundSnapshot<'a>, ChainError> {
        let mut s = Self::empty(view, round);
        if s.phase != Phase::NotStarted {
            s.read_mine_and_round(source).await?;
        }
        Ok(s)
    }

    /// The rest of the chain's part: what `reads` asks for. A tick costs
    /// at most one call more for the accounts already located, plus the
    /// scans that locate new ones.
    pub async fn read_more(
        &mut self,
        reads: Reads,
        source: &impl AccountSource,
        memory: &mut RoundMemory,
    ) -> Result<(), ChainError> {
        if reads.audits {
            self.locate_audits(source, memory).await?;
        }
        if reads.submissions == Submissions::Sampled {
            self.locate_sample(source, memory).await?;
        }
        self.read_located(source, reads, memory).await?;
        if reads.submissions == Submissions::All {
            let filters = filters::round_submissions(&self.view.task_key, self.round);
            self.submissions = scan(source, &filters).await?;
        }
        if reads.votes {
            self.votes = self.read_resolved_votes(source).await?;
        }
        Ok(())
    }

    /// Our submission and the round account, in one call.
    async fn read_mine_and_round(&mut self, source: &impl AccountSource) -> Result<(), ChainError> {
        let keys = [self.mine_key(), pda::round(&self.view.task_key, self.round)];
        let mut found = source.accounts(&keys).await?.into_iter();
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
        source: &impl AccountSource,
        memory: &mut RoundMemory,
    ) -> Result<(), ChainError> {
        let open = self.round_account.as_ref().map_or(0, |r| r.open_audits);
        let seen_at = (open, self.phase);
        if memory
            .audits
            .as_ref()
            .is_some_and(|(seen, _)| *seen == seen_at)
        {
            return Ok(());
        }
        let filters = filters::round_audits(&self.view.task_key, self.round);
        let audits: Vec<(Pubkey, Audit)> = scan(source, &filters).await?;
        let located = audits.iter().map(|(key, a)| (*key, a.submission)).collect();
        memory.audits = Some((seen_at, located));
        Ok(())
    }

    /// The submissions our audit sample assigns us: once per round (once
    /// the round's audit seed is recorded), one indexed lookup each, so the
    /// cost does not grow with the round. When some submitters never
    /// revealed, we may be a backup auditor for some of their targets: the
    /// liveness of the few indices that decides it is looked up too, only
    /// as far as the draw needs (`AuditSample::live_targets`).
    async fn locate_sample(
        &self,
        source: &impl AccountSource,
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
        if !round.seed_recorded() {
            // No draw before the seed exists; located on a later tick.
            return Ok(());
        }
        let task = &self.view.task_key;
        let k = self.view.audits_per_round;
        let backups = backup_depth(round.submissions, round.revealed, k);
        let sample = AuditSample::with_backups(
            task,
            self.round,
            &round.audit_seed,
            round.submissions,
            k,
            backups,
        );
        // index → (address, live), filled as the draw asks.
        let mut known: HashMap<u32, Option<(Pubkey, bool)>> = HashMap::new();
        known.insert(mine.index, Some((self.mine_key(), !mine.value.is_empty())));
        let targets = loop {
            let missing = std::cell::RefCell::new(Vec::new());
            let targets = sample.live_targets(mine.index, |index| match known.get(&index) {
                Some(found) => found.is_some_and(|(_, live)| live),
                None => {
                    missing.borrow_mut().push(index);
                    true // until looked up; the next pass corrects it
                }
            });
            let missing = missing.into_inner();
            if missing.is_empty() {
                break targets;
            }
            for index in missing {
                let filters = filters::submission_at(task, self.round, index);
                let found: Vec<(Pubkey, Submission)> = scan(source, &filters).await?;
                let entry = found
                    .into_iter()
                    .next()
                    .map(|(key, s)| (key, !s.value.is_empty()));
                known.insert(index, entry);
            }
        };
        let sampled = targets
            .into_iter()
            .filter_map(|index| known.get(&index).copied().flatten())
            .map(|(key, _)| key)
            .collect();
        memory.sampled = Some(sampled);
        Ok(())
    }

    /// Everything located so far, in one call: our sample and the
    /// submissions under audit, the audits, and our votes in them.
    async fn read_located(
        &mut self,
        source: &impl AccountSource,
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
        let mut found = source.accounts(&addresses).await?;
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
        source: &impl AccountSource,
    ) -> Result<Vec<(Pubkey, Pubkey)>, ChainError> {
        let mut votes = Vec::new();
        for (audit_key, audit) in &self.audits {
            if audit.verdict == AuditVerdict::Pending {
                continue;
            }
            let found: Vec<(Pubkey, tasknet::state::Vote)> =
                scan(source, &filters::audit_votes(audit_key)).await?;
            votes.extend(found.into_iter().map(|(_, v)| (*audit_key, v.voter)));
        }
        Ok(votes)
    }
}
