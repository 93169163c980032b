//! One read of a round: everything `decide` looks at, taken from the chain
//! (the source of truth) and the node's store (what the chain cannot know:
//! our value and salt, our audit verdicts). What is read depends on the
//! round's phase ([`Reads`]), so a quiet phase costs one account read.

use std::collections::{HashMap, HashSet};

use anchor_lang::prelude::Pubkey;
use tasknet::logic::Phase;
use tasknet::state::{
    Audit, AuditVerdict, Round, Stake, Submission, SubmissionStatus, Task, TaskState,
};
use tasknet_sdk::accounts::filters;
use tasknet_sdk::chain::{decode_account, ChainClient};
use tasknet_sdk::pda;

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

/// Which parts of a round to read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reads {
    pub mine: bool,
    pub round: bool,
    pub submissions: bool,
    pub audits: bool,
    pub votes: bool,
}

impl Reads {
    /// What the honest policy needs in each phase.
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
            Phase::Audit => Self {
                submissions: true,
                ..none
            },
            Phase::Settle => Self {
                mine: true,
                round: true,
                audits: true,
                ..none
            },
            // Submissions too: whoever cranks the round closes those their
            // nodes left behind (paying their rewards) before the round.
            Phase::Closable => Self {
                mine: true,
                round: true,
                submissions: true,
                audits: true,
                votes: true,
            },
        }
    }
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

    /// Reads what `reads` asks for.
    pub async fn read(
        view: &'a TaskView,
        round: u64,
        reads: Reads,
        chain: &ChainClient,
        store: &Store,
    ) -> Result<RoundSnapshot<'a>, NodeError> {
        let mut snapshot = Self::empty(view, round);
        let task = &view.task_key;
        snapshot.own = store.own_submission(task, round)?;
        if reads.mine || reads.round {
            snapshot.read_mine_and_round(chain, reads).await?;
        }
        if reads.submissions {
            snapshot.submissions = chain
                .program_accounts(&filters::round_submissions(task, round))
                .await?;
            snapshot.verdicts = store.audit_verdicts(task, round)?;
            snapshot.voted = snapshot.read_our_votes(chain).await?;
        }
        if reads.audits {
            snapshot.audits = chain
                .program_accounts(&filters::round_audits(task, round))
                .await?;
        }
        if reads.votes {
            snapshot.votes = snapshot.read_resolved_votes(chain).await?;
        }
        Ok(snapshot)
    }

    /// Our submission and the round account, in one call.
    async fn read_mine_and_round(
        &mut self,
        chain: &ChainClient,
        reads: Reads,
    ) -> Result<(), NodeError> {
        let round_key = pda::round(&self.view.task_key, self.round);
        let mine_key = self.mine_key();
        let mut accounts = chain
            .raw_accounts(&[mine_key, round_key])
            .await?
            .into_iter();
        let (mine, round) = (accounts.next().flatten(), accounts.next().flatten());
        if reads.mine {
            self.mine = mine
                .map(|a| decode_account(&mine_key, &a.data))
                .transpose()?;
        }
        if reads.round {
            self.round_account = round
                .map(|a| decode_account(&round_key, &a.data))
                .transpose()?;
        }
        Ok(())
    }

    /// Which challenged submissions' audits hold a vote of ours.
    async fn read_our_votes(&self, chain: &ChainClient) -> Result<HashSet<Pubkey>, NodeError> {
        let audits: Vec<Pubkey> = self
            .submissions
            .iter()
            .filter(|(_, s)| s.status == SubmissionStatus::Challenged)
            .map(|(key, _)| pda::audit(key))
            .collect();
        if audits.is_empty() {
            return Ok(HashSet::new());
        }
        let votes: Vec<Pubkey> = audits.iter().map(|a| pda::vote(a, &self.view.me)).collect();
        let found = chain.raw_accounts(&votes).await?;
        Ok(audits
            .into_iter()
            .zip(found)
            .filter_map(|(audit, vote)| vote.map(|_| audit))
            .collect())
    }

    async fn read_resolved_votes(
        &self,
        chain: &ChainClient,
    ) -> Result<Vec<(Pubkey, Pubkey)>, NodeError> {
        let mut votes = Vec::new();
        for (audit_key, audit) in &self.audits {
            if audit.verdict == AuditVerdict::Pending {
                continue;
            }
            let found: Vec<(Pubkey, tasknet::state::Vote)> = chain
                .program_accounts(&filters::audit_votes(audit_key))
                .await?;
            votes.extend(found.into_iter().map(|(_, v)| (*audit_key, v.voter)));
        }
        Ok(votes)
    }
}
