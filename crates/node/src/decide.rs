//! The node's round policy as pure functions: a [`RoundSnapshot`] in, the
//! [`Action`]s to take out, and what to read for it. No I/O, so every rule
//! is unit-tested without a chain (below). The round driver re-reads and
//! decides again after off-chain work, so one round's steps follow each
//! other within a tick.

use anchor_lang::prelude::Pubkey;
use tasknet::instructions::SubmissionPayload;
use tasknet::logic::{commitment, Phase};
use tasknet::state::{Audit, AuditVerdict, SubmissionStatus, TaskState};

use crate::action::Action;
use crate::snapshot::{Reads, RoundSnapshot, Submissions};

/// How a node behaves in a round. [`Honest`] is the node's policy and
/// [`Crank`] the settler's (`tasknet task crank`); the trait lets an
/// embedding program change what is read and decided (the demo's
/// adversaries are policies outside this crate).
pub trait Policy: Send + Sync {
    /// What to read of the round, besides our submission and the round
    /// account (already in `base`).
    fn reads(&self, base: &RoundSnapshot<'_>) -> Reads {
        honest_reads(base)
    }

    fn decide(&self, snapshot: &RoundSnapshot<'_>) -> Vec<Action>;
}

/// Runs the task code, commits, reveals, audits, settles and cleans up.
#[derive(Clone, Copy, Debug, Default)]
pub struct Honest;

impl Policy for Honest {
    fn decide(&self, snapshot: &RoundSnapshot<'_>) -> Vec<Action> {
        decide(snapshot)
    }
}

/// Settles and sweeps whatever a finished round left, at once and for
/// anyone: resolves every audit whose window closed, then after the claim
/// deadline closes every vote, submission (paying rewards not claimed) and
/// the round. Never submits, votes or claims, and waits for no grace: it
/// is what a creator runs to close a task (`tasknet task crank`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Crank;

impl Policy for Crank {
    fn reads(&self, base: &RoundSnapshot<'_>) -> Reads {
        let none = Reads::default();
        match base.phase {
            Phase::Settle => Reads {
                audits: true,
                ..none
            },
            Phase::Closable => Reads {
                audits: true,
                votes: true,
                submissions: if base.round_account.is_some() {
                    Submissions::All
                } else {
                    Submissions::None
                },
            },
            _ => none,
        }
    }

    fn decide(&self, s: &RoundSnapshot<'_>) -> Vec<Action> {
        let eager = Cranking {
            resolves_all: true,
            sweeps: true,
            closes_round: true,
        };
        match s.phase {
            Phase::Settle => resolves(s, eager).collect(),
            Phase::Closable => close(s, eager),
            _ => Vec::new(),
        }
    }
}

/// What the honest policy reads in each phase. Scans are narrowed by what
/// the round account says: all submissions are scanned only by a node
/// that sweeps the round and only while others' submission accounts exist.
pub fn honest_reads(s: &RoundSnapshot<'_>) -> Reads {
    let none = Reads::default();
    match s.phase {
        Phase::NotStarted | Phase::Submit | Phase::Reveal => none,
        // Ours for its index, the round for its submission count: the two
        // inputs of our audit sample.
        Phase::Audit => Reads {
            submissions: Submissions::Sampled,
            audits: true,
            ..none
        },
        Phase::Settle => Reads {
            audits: true,
            ..none
        },
        // Whoever sweeps the round closes what other nodes left behind
        // (paying their rewards) before the round.
        Phase::Closable => {
            let others_left = s
                .round_account
                .as_ref()
                .is_some_and(|r| r.submissions_open > u32::from(s.mine.is_some()));
            Reads {
                audits: true,
                votes: true,
                submissions: if sweeps(s) && others_left {
                    Submissions::All
                } else {
                    Submissions::None
                },
            }
        }
    }
}

/// Whether our stake may submit or vote in the snapshot's round, by the
/// round's terms (fixed when it opened) or, before it opens, the task's.
pub fn eligible(s: &RoundSnapshot<'_>) -> bool {
    let min_stake = s
        .round_account
        .as_ref()
        .map_or(s.view.task.economics.min_stake, |r| r.economics.min_stake);
    s.view
        .stake
        .as_ref()
        .is_some_and(|stake| stake.eligible_weight(min_stake, s.round).is_ok())
}

/// Whether we may submit now: the task is active, we have not submitted,
/// and our stake is eligible for the round.
pub fn may_submit(s: &RoundSnapshot<'_>) -> bool {
    s.view.task.state == TaskState::Active && s.mine.is_none() && eligible(s)
}

/// Whether we close the round once its submissions are gone: its rent
/// payer at once, anyone else after a grace.
pub fn cranks_round(s: &RoundSnapshot<'_>) -> bool {
    s.round_account.as_ref().is_some_and(|round| {
        round.rent_payer == s.view.me || s.view.slot >= s.view.task.schedule.sweep_from(s.round, 1)
    })
}

/// Whether we sweep up what other nodes left behind (their votes and
/// submissions): owners get a grace to close their own first, then the
/// round's rent payer sweeps, and after a second grace anyone does.
pub fn sweeps(s: &RoundSnapshot<'_>) -> bool {
    s.round_account.as_ref().is_some_and(|round| {
        let graces = if round.rent_payer == s.view.me { 1 } else { 2 };
        s.view.slot >= s.view.task.schedule.sweep_from(s.round, graces)
    })
}

/// The honest decision for one round.
pub fn decide(s: &RoundSnapshot<'_>) -> Vec<Action> {
    match s.phase {
        Phase::NotStarted => Vec::new(),
        Phase::Submit => submit(s),
        Phase::Reveal => reveal(s),
        Phase::Audit => audit(s),
        Phase::Settle => settle(s),
        Phase::Closable => close(s, Cranking::honest(s)),
    }
}

fn submit(s: &RoundSnapshot<'_>) -> Vec<Action> {
    if !may_submit(s) {
        return Vec::new();
    }
    let Some(own) = &s.own else {
        return vec![Action::Execute];
    };
    let payload = if s.view.task.schedule.commit_reveal() {
        SubmissionPayload::Commitment(commitment(&own.value, &own.salt, &s.view.me))
    } else {
        SubmissionPayload::Value(own.value.clone())
    };
    vec![Action::Submit {
        payload,
        open_round: s.round_account.is_none(),
    }]
}

fn reveal(s: &RoundSnapshot<'_>) -> Vec<Action> {
    if !s.view.task.schedule.commit_reveal() || !s.committed() {
        return Vec::new();
    }
    match &s.own {
        Some(_) if waits_for_the_seed_block(s) => Vec::new(),
        Some(own) => vec![Action::Reveal {
            value: own.value.clone(),
            salt: own.salt,
        }],
        None => vec![Action::Unrevealable],
    }
}

/// The first reveal after the seed slot's block records the round's audit
/// seed in passing (about 150 CU); a reveal sent in the seed slot itself
/// cannot, and leaves a `record_audit_seed` transaction to someone. So a
/// reveal waits for that block, one slot, when the window has room.
fn waits_for_the_seed_block(s: &RoundSnapshot<'_>) -> bool {
    let schedule = &s.view.task.schedule;
    let seed_block = tasknet::logic::seed_slot(schedule, s.round).saturating_add(1);
    s.view.slot < seed_block && seed_block < schedule.reveal_end(s.round)
}

/// Audits every revealed submission of others once; challenges what fails,
/// votes on what others challenged. First the round's audit seed must be
/// recorded: its first submitter records it, anyone else after a grace. On
/// a task whose verifier works, a challenge carries the verifier's call and
/// nobody votes: an audit left open is settled by asking the verifier.
fn audit(s: &RoundSnapshot<'_>) -> Vec<Action> {
    if !eligible(s) {
        return Vec::new();
    }
    if let Some(round) = s.round_account.as_ref().filter(|r| !r.seed_recorded()) {
        return record_seed(s, round);
    }
    let verifier = s.verifier;
    let mut actions = Vec::new();
    for (key, submission) in &s.submissions {
        let node = submission.node;
        let open = matches!(
            submission.status,
            SubmissionStatus::Revealed | SubmissionStatus::Challenged
        );
        if node == s.view.me || !open {
            continue;
        }
        let Some(&valid) = s.verdicts.get(&node) else {
            actions.push(Action::Audit { node });
            continue;
        };
        let audit = tasknet_sdk::pda::audit(key);
        if submission.status == SubmissionStatus::Revealed && !valid {
            actions.push(Action::Challenge { node, verifier });
        } else if submission.status == SubmissionStatus::Challenged
            && verifier.is_none()
            && !s.voted.contains(&audit)
        {
            actions.push(Action::Vote {
                node,
                invalid: !valid,
            });
        }
    }
    actions.extend(verify_ours(s));
    actions
}

/// Slots after the seed slot's block during which only the round's first
/// submitter records the seed, so that N nodes do not race to send it.
pub const SEED_GRACE_SLOTS: u64 = 2;

fn record_seed(s: &RoundSnapshot<'_>, round: &tasknet::state::Round) -> Vec<Action> {
    let seed_slot = tasknet::logic::seed_slot(&round.schedule, s.round);
    let first = s.mine.as_ref().is_some_and(|m| m.index == 0);
    let due = if first { 1 } else { 1 + SEED_GRACE_SLOTS };
    // The block of the seed slot exists from the next slot on.
    if s.mine.is_some() && s.view.slot >= seed_slot.saturating_add(due) {
        vec![Action::RecordSeed]
    } else {
        Vec::new()
    }
}

/// On a verifier task, an open audit we are party to (ours as challenger
/// or accused) that nobody had the verifier decide: ask it now.
fn verify_ours(s: &RoundSnapshot<'_>) -> Vec<Action> {
    let Some(verifier) = s.verifier else {
        return Vec::new();
    };
    let me = s.view.me;
    s.audits
        .iter()
        .filter(|(_, a)| a.verdict == AuditVerdict::Pending && (a.node == me || a.challenger == me))
        .map(|(_, a)| Action::Verify {
            node: a.node,
            challenger: a.challenger,
            verifier,
        })
        .collect()
}

/// Which of the cranks anyone may send a policy sends now.
#[derive(Clone, Copy, Debug)]
struct Cranking {
    /// Resolve every pending audit, not only ours (as challenger or
    /// accused) before the grace.
    resolves_all: bool,
    /// Close what other nodes left behind.
    sweeps: bool,
    /// Close the round once its submissions are gone.
    closes_round: bool,
}

impl Cranking {
    fn honest(s: &RoundSnapshot<'_>) -> Self {
        Self {
            resolves_all: s.view.slot >= s.view.task.schedule.resolve_by_anyone_from(s.round),
            sweeps: sweeps(s),
            closes_round: cranks_round(s),
        }
    }
}

fn resolves<'a>(s: &'a RoundSnapshot<'_>, cranking: Cranking) -> impl Iterator<Item = Action> + 'a {
    let me = s.view.me;
    let ours = move |a: &Audit| me == a.challenger || me == a.node;
    s.audits
        .iter()
        .filter(move |(_, a)| {
            a.verdict == AuditVerdict::Pending && (cranking.resolves_all || ours(a))
        })
        .map(|(_, a)| Action::Resolve {
            node: a.node,
            challenger: a.challenger,
        })
}

fn settle(s: &RoundSnapshot<'_>) -> Vec<Action> {
    let mut actions: Vec<Action> = resolves(s, Cranking::honest(s)).collect();
    let claimable = s.mine.as_ref().is_some_and(|m| m.claimable());
    if let Some(round) = s.round_account.as_ref().filter(|_| claimable) {
        if round.open_audits == 0 {
            // The program's own arithmetic; no valid submitter means no share.
            let share = round.share().unwrap_or(0);
            actions.push(Action::Claim { share });
        }
    }
    actions
}

/// Recovers rent: our votes, every vote on our own submission's audit (it
/// closes only after them), our submission, and the round if we opened it
/// (or nobody else did in time). Whoever sweeps the round closes what other
/// nodes left behind (their votes, then their submissions, which pays them
/// any reward they earned), since the round closes only after every
/// submission; owners get a grace to do it themselves first, so N nodes do
/// not race one sweeper. Finishes once ours and the round are gone.
fn close(s: &RoundSnapshot<'_>, cranking: Cranking) -> Vec<Action> {
    let mut actions: Vec<Action> = resolves(s, cranking).collect();
    let me = s.view.me;
    let mine_key = s.mine_key();
    for (audit_key, voter) in &s.votes {
        let Some((_, audit)) = s.audits.iter().find(|(k, _)| k == audit_key) else {
            continue;
        };
        if *voter == me || audit.submission == mine_key || cranking.sweeps {
            actions.push(Action::CloseVote {
                node: audit.node,
                voter: *voter,
            });
        }
    }
    // A submission closes with its audit once that is resolved (its votes
    // are closed above, earlier in this same tick).
    let closable = |key: &Pubkey, audited: bool| -> Option<Option<Pubkey>> {
        if !audited {
            return Some(None);
        }
        s.audit_of(key)
            .filter(|a| a.verdict != AuditVerdict::Pending)
            .map(|a| Some(a.challenger))
    };
    if let Some(mine) = &s.mine {
        if let Some(challenger) = closable(&mine_key, mine.audited) {
            actions.push(Action::CloseSubmission {
                node: None,
                challenger,
            });
        }
    }
    if cranking.sweeps {
        for (key, submission) in s.submissions.iter().filter(|(_, sub)| sub.node != me) {
            if let Some(challenger) = closable(key, submission.audited) {
                actions.push(Action::CloseSubmission {
                    node: Some(submission.node),
                    challenger,
                });
            }
        }
    }
    let closing = actions
        .iter()
        .filter(|a| matches!(a, Action::CloseSubmission { .. }))
        .count();
    match &s.round_account {
        // Once the submissions closing now are gone (if one fails, so does
        // this, and the next tick retries).
        Some(round) if cranking.closes_round && round.submissions_open as usize <= closing => {
            actions.push(Action::CloseRound {
                rent_payer: round.rent_payer,
            });
        }
        None if s.mine.is_none() => actions.push(Action::Finish),
        _ => {}
    }
    actions
}

#[cfg(test)]
mod tests {
    use anchor_lang::prelude::Pubkey;
    use tasknet::instructions::CreateTaskArgs;
    use tasknet::logic::Schedule;
    use tasknet::state::{Round, Stake, Submission, Task, TaskState};
    use tasknet_sdk::defaults::{ECONOMICS, FAST_SCHEDULE};
    use tasknet_sdk::pda;

    use super::*;
    use crate::snapshot::TaskView;
    use crate::store::OwnSubmission;

    const START: u64 = 1_000;
    const SCHEDULE: Schedule = Schedule {
        start_slot: START,
        ..FAST_SCHEDULE
    };

    fn task(commit_reveal: bool) -> Task {
        let schedule = Schedule {
            reveal_slots: if commit_reveal {
                SCHEDULE.reveal_slots
            } else {
                0
            },
            ..SCHEDULE
        };
        let args = CreateTaskArgs {
            task_id: 1,
            name: "t".into(),
            metadata_uri: String::new(),
            code_hash: [0; 32],
            code_uri: String::new(),
            code_limits: Default::default(),
            schedule,
            economics: ECONOMICS,
            commit_reveal,
            accept_freeze_authority: false,
            verifier: None,
        };
        Task::new(Pubkey::new_unique(), args, 0, 0)
    }

    fn stake(me: Pubkey) -> Stake {
        let mut stake = Stake::open(Pubkey::default(), me, 0, 0);
        stake.bonded.active = 10 * ECONOMICS.min_stake;
        stake
    }

    /// A staked node's view of an active commit-reveal task at `slot`.
    fn view(slot: u64) -> TaskView {
        let me = Pubkey::new_unique();
        TaskView {
            me,
            task_key: Pubkey::new_unique(),
            task: task(true),
            stake: Some(stake(me)),
            slot,
            audits_per_round: tasknet::logic::DEFAULT_AUDITS_PER_ROUND,
        }
    }

    fn submission(view: &TaskView, node: Pubkey, status: SubmissionStatus) -> (Pubkey, Submission) {
        let submission = Submission {
            task: view.task_key,
            round: 0,
            node,
            index: 0,
            commitment: [0; 32],
            value: vec![1],
            slot: START,
            status,
            audited: status == SubmissionStatus::Challenged,
            bump: 0,
        };
        (pda::submission(&view.task_key, 0, &node), submission)
    }

    fn audit_of(view: &TaskView, node: Pubkey, challenger: Pubkey) -> (Pubkey, Audit) {
        let submission = pda::submission(&view.task_key, 0, &node);
        let audit = Audit {
            task: view.task_key,
            round: 0,
            submission,
            node,
            challenger,
            bond: 1,
            invalid_weight: 1,
            valid_weight: 0,
            voter_count: 1,
            min_stake: ECONOMICS.min_stake,
            votes_open: 1,
            verdict: AuditVerdict::Pending,
            bump: 0,
        };
        (pda::audit(&submission), audit)
    }

    fn round_account(rent_payer: Pubkey, pool: u64, revealed: u32, open_audits: u32) -> Round {
        let mut round = Round::open(Pubkey::default(), &task(true), 0, pool, 0, rent_payer, 0);
        round.submissions = revealed;
        round.submissions_open = revealed;
        round.revealed = revealed;
        round.open_audits = open_audits;
        round
    }

    fn own() -> OwnSubmission {
        OwnSubmission {
            value: vec![7; 32],
            salt: [3; 32],
        }
    }

    #[test]
    fn submit_runs_the_code_first_then_commits() {
        let v = view(START);
        let mut s = RoundSnapshot::empty(&v, 0);
        assert_eq!(s.phase, Phase::Submit);
        assert_eq!(decide(&s), vec![Action::Execute]);
        s.own = Some(own());
        let expected = commitment(&own().value, &own().salt, &v.me);
        assert_eq!(
            decide(&s),
            vec![Action::Submit {
                payload: SubmissionPayload::Commitment(expected),
                open_round: true,
            }]
        );
        s.round_account = Some(round_account(Pubkey::new_unique(), 0, 0, 0));
        assert_eq!(
            decide(&s),
            vec![Action::Submit {
                payload: SubmissionPayload::Commitment(expected),
                open_round: false,
            }],
            "someone opened the round"
        );
        s.mine = Some(submission(&v, v.me, SubmissionStatus::Committed).1);
        assert_eq!(decide(&s), vec![], "already submitted");
    }

    #[test]
    fn plain_tasks_submit_the_value() {
        let mut v = view(START);
        v.task = task(false);
        let mut s = RoundSnapshot::empty(&v, 0);
        s.own = Some(own());
        assert_eq!(
            decide(&s),
            vec![Action::Submit {
                payload: SubmissionPayload::Value(own().value),
                open_round: true,
            }]
        );
    }

    #[test]
    fn nothing_is_submitted_without_eligible_stake_or_on_a_paused_task() {
        let mut v = view(START);
        v.stake = None;
        assert_eq!(decide(&RoundSnapshot::empty(&v, 0)), vec![]);
        let mut v = view(START);
        v.stake.as_mut().unwrap().unbonding = 1;
        assert_eq!(decide(&RoundSnapshot::empty(&v, 0)), vec![]);
        let mut v = view(START);
        v.task.state = TaskState::Paused;
        assert_eq!(decide(&RoundSnapshot::empty(&v, 0)), vec![]);
    }

    #[test]
    fn a_reveal_waits_for_the_seed_slots_block_when_the_window_has_room() {
        let mut v = view(SCHEDULE.submit_end(0));
        let mut s = RoundSnapshot::empty(&v, 0);
        s.mine = Some(submission(&v, v.me, SubmissionStatus::Committed).1);
        s.own = Some(own());
        assert_eq!(
            decide(&s),
            vec![],
            "the seed slot's block does not exist yet"
        );
        let reveal = vec![Action::Reveal {
            value: own().value,
            salt: own().salt,
        }];
        v.slot += 1;
        let mut s = RoundSnapshot::empty(&v, 0);
        s.mine = Some(submission(&v, v.me, SubmissionStatus::Committed).1);
        s.own = Some(own());
        assert_eq!(decide(&s), reveal);
        // A one-slot reveal window has no room to wait.
        let mut v = view(SCHEDULE.submit_end(0));
        v.task.schedule.reveal_slots = 1;
        let mut s = RoundSnapshot::empty(&v, 0);
        s.mine = Some(submission(&v, v.me, SubmissionStatus::Committed).1);
        s.own = Some(own());
        assert_eq!(decide(&s), reveal);
    }

    #[test]
    fn reveal_needs_the_stored_value() {
        let v = view(SCHEDULE.submit_end(0) + 1);
        let mut s = RoundSnapshot::empty(&v, 0);
        assert_eq!(s.phase, Phase::Reveal);
        assert_eq!(decide(&s), vec![], "nothing committed");
        s.mine = Some(submission(&v, v.me, SubmissionStatus::Committed).1);
        assert_eq!(decide(&s), vec![Action::Unrevealable]);
        s.own = Some(own());
        assert_eq!(
            decide(&s),
            vec![Action::Reveal {
                value: own().value,
                salt: own().salt
            }]
        );
        s.mine = Some(submission(&v, v.me, SubmissionStatus::Revealed).1);
        assert_eq!(decide(&s), vec![], "already revealed");
    }

    #[test]
    fn audit_checks_others_then_challenges_or_votes() {
        let v = view(SCHEDULE.reveal_end(0));
        let (honest, liar, accused) = (
            Pubkey::new_unique(),
            Pubkey::new_unique(),
            Pubkey::new_unique(),
        );
        let mut s = RoundSnapshot::empty(&v, 0);
        assert_eq!(s.phase, Phase::Audit);
        s.submissions = vec![
            submission(&v, v.me, SubmissionStatus::Revealed),
            submission(&v, honest, SubmissionStatus::Revealed),
            submission(&v, liar, SubmissionStatus::Revealed),
            submission(&v, accused, SubmissionStatus::Challenged),
            submission(&v, Pubkey::new_unique(), SubmissionStatus::Committed),
        ];
        assert_eq!(
            decide(&s),
            vec![
                Action::Audit { node: honest },
                Action::Audit { node: liar },
                Action::Audit { node: accused },
            ]
        );
        s.verdicts = [(honest, true), (liar, false), (accused, true)].into();
        assert_eq!(
            decide(&s),
            vec![
                Action::Challenge {
                    node: liar,
                    verifier: None
                },
                Action::Vote {
                    node: accused,
                    invalid: false
                },
            ]
        );
        s.voted
            .insert(pda::audit(&pda::submission(&v.task_key, 0, &accused)));
        assert_eq!(
            decide(&s),
            vec![Action::Challenge {
                node: liar,
                verifier: None
            }]
        );
    }

    #[test]
    fn the_first_submitter_records_the_audit_seed_then_anyone_after_a_grace() {
        // A plain task: the audit window opens at the seed slot itself.
        let seed_slot = SCHEDULE.submit_end(0);
        let at = |slot: u64, index: Option<u32>| {
            let mut v = view(slot);
            v.task = task(false);
            let mut s = RoundSnapshot::empty(&v, 0);
            s.round_account = Some(round_account(Pubkey::new_unique(), 0, 3, 0));
            s.mine = index.map(|i| {
                let mut mine = submission(&v, v.me, SubmissionStatus::Revealed).1;
                mine.index = i;
                mine
            });
            decide(&s)
        };
        // Its block exists from the next slot on.
        assert_eq!(at(seed_slot, Some(0)), vec![]);
        assert_eq!(at(seed_slot + 1, Some(0)), vec![Action::RecordSeed]);
        assert_eq!(at(seed_slot + 1, Some(2)), vec![]);
        assert_eq!(
            at(seed_slot + 1 + SEED_GRACE_SLOTS, Some(2)),
            vec![Action::RecordSeed]
        );
        // Not a submitter: nothing to record.
        assert_eq!(at(seed_slot + 10, None), vec![]);
    }

    #[test]
    fn on_a_verifier_task_challenges_carry_the_verifier_and_nobody_votes() {
        let mut v = view(SCHEDULE.reveal_end(0) + 1);
        let verifier = Pubkey::new_unique();
        v.task.verifier = Some(verifier);
        let (liar, accused, challenger) = (
            Pubkey::new_unique(),
            Pubkey::new_unique(),
            Pubkey::new_unique(),
        );
        let mut s = RoundSnapshot::empty(&v, 0);
        assert_eq!(s.verifier, Some(verifier));
        let mut round = round_account(Pubkey::new_unique(), 0, 3, 1);
        round.seed_slot = 1;
        s.round_account = Some(round);
        s.submissions = vec![
            submission(&v, liar, SubmissionStatus::Revealed),
            submission(&v, accused, SubmissionStatus::Challenged),
        ];
        s.verdicts = [(liar, false), (accused, false)].into();
        // Our own submission under a pending audit nobody had verified.
        s.audits = vec![audit_of(&v, v.me, challenger)];
        assert_eq!(
            decide(&s),
            vec![
                Action::Challenge {
                    node: liar,
                    verifier: Some(verifier)
                },
                Action::Verify {
                    node: v.me,
                    challenger,
                    verifier
                },
            ]
        );
        // Once the verifier failed, the vote decides, as on any task.
        s.verifier = None;
        assert_eq!(
            decide(&s),
            vec![
                Action::Challenge {
                    node: liar,
                    verifier: None
                },
                Action::Vote {
                    node: accused,
                    invalid: true
                },
            ]
        );
    }

    #[test]
    fn settle_resolves_first_where_we_have_a_stake_then_claims() {
        let audit_end = SCHEDULE.audit_end(0);
        let v = view(audit_end);
        let (accused, stranger) = (Pubkey::new_unique(), Pubkey::new_unique());
        let mut s = RoundSnapshot::empty(&v, 0);
        assert_eq!(s.phase, Phase::Settle);
        s.audits = vec![
            audit_of(&v, accused, v.me),
            audit_of(&v, Pubkey::new_unique(), stranger),
        ];
        s.mine = Some(submission(&v, v.me, SubmissionStatus::Revealed).1);
        s.round_account = Some(round_account(stranger, 1_000, 3, 2));
        assert_eq!(
            decide(&s),
            vec![Action::Resolve {
                node: accused,
                challenger: v.me
            }],
            "our own audit only, and no claim while audits are open"
        );
        let later = view(audit_end + SCHEDULE.crank_grace());
        let mut s = RoundSnapshot::empty(&later, 0);
        s.audits = vec![audit_of(&later, Pubkey::new_unique(), stranger)];
        assert_eq!(decide(&s).len(), 1, "after the grace anyone resolves");

        let mut s = RoundSnapshot::empty(&v, 0);
        s.mine = Some(submission(&v, v.me, SubmissionStatus::Valid).1);
        s.round_account = Some(round_account(stranger, 1_000, 3, 0));
        assert_eq!(decide(&s), vec![Action::Claim { share: 333 }]);
        s.mine = Some(submission(&v, v.me, SubmissionStatus::Claimed).1);
        assert_eq!(decide(&s), vec![]);
    }

    #[test]
    fn close_recovers_rent_then_finishes() {
        let v = view(SCHEDULE.claim_deadline(0));
        let (challenger, other) = (Pubkey::new_unique(), Pubkey::new_unique());
        let mut s = RoundSnapshot::empty(&v, 0);
        assert_eq!(s.phase, Phase::Closable);
        let (my_audit_key, mut my_audit) = audit_of(&v, v.me, challenger);
        my_audit.verdict = AuditVerdict::Valid;
        let (their_audit_key, mut their_audit) = audit_of(&v, other, challenger);
        their_audit.verdict = AuditVerdict::Invalid;
        s.audits = vec![(my_audit_key, my_audit), (their_audit_key, their_audit)];
        s.votes = vec![
            (my_audit_key, challenger),
            (their_audit_key, challenger),
            (their_audit_key, v.me),
        ];
        s.mine = Some(submission(&v, v.me, SubmissionStatus::Challenged).1);
        let (their_key, mut theirs) = submission(&v, other, SubmissionStatus::Invalid);
        theirs.audited = true;
        s.submissions = vec![(their_key, theirs)];
        // Someone else opened the round: ours only.
        s.round_account = Some(round_account(Pubkey::new_unique(), 0, 2, 0));
        assert_eq!(
            decide(&s),
            vec![
                Action::CloseVote {
                    node: v.me,
                    voter: challenger
                },
                Action::CloseVote {
                    node: other,
                    voter: v.me
                },
                Action::CloseSubmission {
                    node: None,
                    challenger: Some(challenger)
                },
            ]
        );
        // We opened it: we close it once empty, but leave others a grace
        // to close their own before we sweep up after them.
        s.round_account = Some(round_account(v.me, 0, 2, 0));
        assert_eq!(decide(&s).len(), 3, "ours only, as before");
        let mut later = v.clone();
        later.slot += SCHEDULE.crank_grace();
        let s = RoundSnapshot {
            view: &later,
            ..s.clone()
        };
        assert_eq!(
            decide(&s),
            vec![
                Action::CloseVote {
                    node: v.me,
                    voter: challenger
                },
                Action::CloseVote {
                    node: other,
                    voter: challenger
                },
                Action::CloseVote {
                    node: other,
                    voter: v.me
                },
                Action::CloseSubmission {
                    node: None,
                    challenger: Some(challenger)
                },
                Action::CloseSubmission {
                    node: Some(other),
                    challenger: Some(challenger)
                },
                Action::CloseRound { rent_payer: v.me },
            ]
        );
        let s = RoundSnapshot::empty(&v, 0);
        assert_eq!(decide(&s), vec![Action::Finish]);
    }

    #[test]
    fn someone_elses_round_waits_for_the_grace() {
        let deadline = SCHEDULE.claim_deadline(0);
        let payer = Pubkey::new_unique();
        let v = view(deadline);
        let mut s = RoundSnapshot::empty(&v, 0);
        s.round_account = Some(round_account(payer, 0, 1, 0));
        assert_eq!(decide(&s), vec![]);
        let v = view(deadline + SCHEDULE.crank_grace());
        let mut s = RoundSnapshot::empty(&v, 0);
        s.round_account = Some(round_account(payer, 0, 1, 0));
        let (key, left_behind) = submission(&v, payer, SubmissionStatus::Revealed);
        s.submissions = vec![(key, left_behind)];
        assert_eq!(decide(&s), vec![], "its rent payer sweeps first");
        let v = view(deadline + 2 * SCHEDULE.crank_grace());
        let s = RoundSnapshot { view: &v, ..s };
        assert_eq!(
            decide(&s),
            vec![
                Action::CloseSubmission {
                    node: Some(payer),
                    challenger: None
                },
                Action::CloseRound { rent_payer: payer }
            ],
            "after the grace anyone cranks: the submission first (paying its reward)"
        );
    }

    #[test]
    fn eligibility_follows_the_round_terms_once_it_opened() {
        let v = view(START);
        let mut s = RoundSnapshot::empty(&v, 0);
        s.own = Some(own());
        assert!(may_submit(&s), "staked 10x the task's minimum");
        let mut opened = round_account(Pubkey::new_unique(), 0, 0, 0);
        opened.economics.min_stake = 100 * ECONOMICS.min_stake;
        s.round_account = Some(opened);
        assert!(!eligible(&s), "the round opened under a higher minimum");
        assert_eq!(decide(&s), vec![]);
    }

    #[test]
    fn honest_nodes_scan_a_round_only_to_sweep_it() {
        let deadline = SCHEDULE.claim_deadline(0);
        let v = view(deadline);
        let mut s = RoundSnapshot::empty(&v, 0);
        s.round_account = Some(round_account(Pubkey::new_unique(), 0, 3, 0));
        assert_eq!(honest_reads(&s).submissions, Submissions::None);
        let late = view(SCHEDULE.sweep_from(0, 2));
        let s = RoundSnapshot { view: &late, ..s };
        assert_eq!(honest_reads(&s).submissions, Submissions::All);
        let audit = view(SCHEDULE.reveal_end(0));
        let s = RoundSnapshot::empty(&audit, 0);
        assert_eq!(honest_reads(&s).submissions, Submissions::Sampled);
    }

    #[test]
    fn the_crank_settles_and_sweeps_at_once_and_never_plays() {
        // The audit window just closed: the crank resolves every audit,
        // where an honest bystander waits for the grace.
        let v = view(SCHEDULE.audit_end(0));
        let (a, b) = (Pubkey::new_unique(), Pubkey::new_unique());
        let mut s = RoundSnapshot::empty(&v, 0);
        s.audits = vec![audit_of(&v, a, b), audit_of(&v, b, a)];
        s.mine = Some(submission(&v, v.me, SubmissionStatus::Revealed).1);
        s.round_account = Some(round_account(a, 1_000, 3, 2));
        assert_eq!(decide(&s), vec![], "an honest bystander waits");
        assert_eq!(
            Crank.decide(&s),
            vec![
                Action::Resolve {
                    node: a,
                    challenger: b
                },
                Action::Resolve {
                    node: b,
                    challenger: a
                },
            ],
            "no claim: the crank never plays"
        );
        // At the claim deadline it closes everything, the round last.
        let v = view(SCHEDULE.claim_deadline(0));
        let mut s = RoundSnapshot::empty(&v, 0);
        let (key, theirs) = submission(&v, a, SubmissionStatus::Revealed);
        s.submissions = vec![(key, theirs)];
        s.round_account = Some(round_account(a, 1_000, 1, 0));
        assert_eq!(Crank.reads(&s).submissions, Submissions::All);
        assert_eq!(decide(&s), vec![], "the honest node leaves it to its owner");
        assert_eq!(
            Crank.decide(&s),
            vec![
                Action::CloseSubmission {
                    node: Some(a),
                    challenger: None
                },
                Action::CloseRound { rent_payer: a },
            ]
        );
    }
}
