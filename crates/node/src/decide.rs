//! The node's round policy as a pure function: a [`RoundSnapshot`] in, the
//! [`Action`]s to take out. No I/O, so every rule is unit-tested without a
//! chain (below). The runtime re-reads and decides again after off-chain
//! work, so one round's steps follow each other within a tick.

use anchor_lang::prelude::Pubkey;
use tasknet::instructions::SubmissionPayload;
use tasknet::logic::{commitment, Phase};
use tasknet::state::{Audit, AuditVerdict, SubmissionStatus};

use crate::action::Action;
use crate::snapshot::{Reads, RoundSnapshot};

/// How a node behaves in a round. [`Honest`] is the node's policy; the
/// trait lets an embedding program change what is read and decided (the
/// demo's adversaries are policies outside this crate).
pub trait Policy: Send + Sync {
    /// What to read of a round in `phase`.
    fn reads(&self, phase: Phase) -> Reads {
        Reads::for_phase(phase)
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

/// The honest decision for one round.
pub fn decide(s: &RoundSnapshot<'_>) -> Vec<Action> {
    match s.phase {
        Phase::NotStarted => Vec::new(),
        Phase::Submit => submit(s),
        Phase::Reveal => reveal(s),
        Phase::Audit => audit(s),
        Phase::Settle => settle(s),
        Phase::Closable => close(s),
    }
}

fn submit(s: &RoundSnapshot<'_>) -> Vec<Action> {
    if !s.may_submit() {
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
        Some(own) => vec![Action::Reveal {
            value: own.value.clone(),
            salt: own.salt,
        }],
        None => vec![Action::Unrevealable],
    }
}

/// Audits every revealed submission of others once; challenges what fails,
/// votes on what others challenged.
fn audit(s: &RoundSnapshot<'_>) -> Vec<Action> {
    if !s.view.eligible(s.round) {
        return Vec::new();
    }
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
            actions.push(Action::Challenge { node });
        } else if submission.status == SubmissionStatus::Challenged && !s.voted.contains(&audit) {
            actions.push(Action::Vote {
                node,
                invalid: !valid,
            });
        }
    }
    actions
}

/// Cranks anyone may send (resolve an audit, close a round) are sent first
/// by whoever has a stake in them; everyone else waits this long, so nodes
/// do not race each other into failed, fee-paying transactions.
pub fn crank_grace(round_slots: u64) -> u64 {
    (round_slots / 4).max(1)
}

fn should_resolve(s: &RoundSnapshot<'_>, audit: &Audit) -> bool {
    let (me, schedule) = (s.view.me, &s.view.task.schedule);
    me == audit.challenger
        || me == audit.node
        || s.view.slot >= schedule.audit_end(audit.round) + crank_grace(schedule.round_slots)
}

fn resolves<'a>(s: &'a RoundSnapshot<'_>) -> impl Iterator<Item = Action> + 'a {
    s.audits
        .iter()
        .filter(|(_, a)| a.verdict == AuditVerdict::Pending && should_resolve(s, a))
        .map(|(_, a)| Action::Resolve {
            node: a.node,
            challenger: a.challenger,
        })
}

fn settle(s: &RoundSnapshot<'_>) -> Vec<Action> {
    let mut actions: Vec<Action> = resolves(s).collect();
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
fn close(s: &RoundSnapshot<'_>) -> Vec<Action> {
    let mut actions: Vec<Action> = resolves(s).collect();
    let me = s.view.me;
    let sweeps = s.sweeps();
    let mine_key = s.mine_key();
    for (audit_key, voter) in &s.votes {
        let Some((_, audit)) = s.audits.iter().find(|(k, _)| k == audit_key) else {
            continue;
        };
        if *voter == me || audit.submission == mine_key || sweeps {
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
        s.audits
            .iter()
            .find(|(_, a)| a.submission == *key)
            .filter(|(_, a)| a.verdict != AuditVerdict::Pending)
            .map(|(_, a)| Some(a.challenger))
    };
    if let Some(mine) = &s.mine {
        if let Some(challenger) = closable(&mine_key, mine.audited) {
            actions.push(Action::CloseSubmission {
                node: None,
                challenger,
            });
        }
    }
    if sweeps {
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
        Some(round) if s.cranks_round() && round.submissions_open as usize <= closing => {
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
            schedule,
            economics: ECONOMICS,
            commit_reveal,
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
            votes_open: 1,
            verdict: AuditVerdict::Pending,
            bump: 0,
        };
        (pda::audit(&submission), audit)
    }

    fn round_account(rent_payer: Pubkey, pool: u64, revealed: u32, open_audits: u32) -> Round {
        let mut round = Round::open(Pubkey::default(), 0, SCHEDULE, pool, 0, rent_payer, 0);
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
    fn reveal_needs_the_stored_value() {
        let v = view(SCHEDULE.submit_end(0));
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
                Action::Challenge { node: liar },
                Action::Vote {
                    node: accused,
                    invalid: false
                },
            ]
        );
        s.voted
            .insert(pda::audit(&pda::submission(&v.task_key, 0, &accused)));
        assert_eq!(decide(&s), vec![Action::Challenge { node: liar }]);
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
        let later = view(audit_end + crank_grace(SCHEDULE.round_slots));
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
        later.slot += crank_grace(SCHEDULE.round_slots);
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
        let v = view(deadline + crank_grace(SCHEDULE.round_slots));
        let mut s = RoundSnapshot::empty(&v, 0);
        s.round_account = Some(round_account(payer, 0, 1, 0));
        let (key, left_behind) = submission(&v, payer, SubmissionStatus::Revealed);
        s.submissions = vec![(key, left_behind)];
        assert_eq!(decide(&s), vec![], "its rent payer sweeps first");
        let v = view(deadline + 2 * crank_grace(SCHEDULE.round_slots));
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
}
