//! What the node can do in a round. `decide` returns these; the runtime
//! performs them. Off-chain actions (running the task code, auditing a
//! payload) change only the node's store; every other action is one
//! transaction, sent through the outbox under its [`OutboxKey`].

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use tasknet::instructions::SubmissionPayload;
use tasknet::logic::{Schedule, SALT_LEN};
use tasknet_sdk as sdk;
use tasknet_sdk::tokens::TokenAsset;

/// What a task pays in, as the node builds its transactions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Payout<'a> {
    /// `None`: SOL.
    pub asset: Option<&'a TokenAsset>,
    /// Our associated token account of that mint is known to exist (else
    /// our claim creates it, idempotently, in the same transaction).
    pub account_exists: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Run the task code for the round; store its payload, value and salt
    /// (before anything leaves: the reveal must survive a crash).
    Execute,
    /// Fetch `node`'s payload, check it against its submitted hash, run the
    /// task code's audit on it and store the verdict.
    Audit {
        node: Pubkey,
    },
    /// Submit our payload; open the round first (in the same transaction)
    /// when nobody has yet.
    Submit {
        payload: SubmissionPayload,
        open_round: bool,
    },
    Reveal {
        value: Vec<u8>,
        salt: [u8; SALT_LEN],
    },
    /// Challenge `node`'s submission; on a verifier task, have the task's
    /// `verifier` decide it in the same transaction (no vote).
    Challenge {
        node: Pubkey,
        verifier: Option<Pubkey>,
    },
    /// Have the task's verifier decide the open audit of `node`'s
    /// submission (one challenged without it).
    Verify {
        node: Pubkey,
        challenger: Pubkey,
        verifier: Pubkey,
    },
    /// Record the round's audit seed (nobody's reveal did).
    RecordSeed,
    Vote {
        node: Pubkey,
        invalid: bool,
    },
    Resolve {
        node: Pubkey,
        challenger: Pubkey,
    },
    /// Claim our share, `share` lamports as the round account counts it.
    Claim {
        share: u64,
    },
    CloseVote {
        node: Pubkey,
        voter: Pubkey,
    },
    /// Close a submission (and its audit, whose rent goes to `challenger`):
    /// ours when `node` is `None`, else another node's left behind after the
    /// claim deadline (the program pays that node any reward it earned).
    CloseSubmission {
        node: Option<Pubkey>,
        challenger: Option<Pubkey>,
    },
    CloseRound {
        rent_payer: Pubkey,
    },
    /// We committed but hold no value to reveal (the store was lost).
    Unrevealable,
    /// Nothing is left for us in this round: stop following it.
    Finish,
}

/// The purpose of a transaction, which the outbox keys it by: at most one
/// live transaction per key, per task and round.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OutboxKey {
    Submit,
    Reveal,
    Challenge(Pubkey),
    Verify(Pubkey),
    RecordSeed,
    Vote(Pubkey),
    Resolve(Pubkey),
    Claim,
    CloseVote { node: Pubkey, voter: Pubkey },
    CloseSubmission,
    CloseSubmissionOf(Pubkey),
    CloseRound,
}

impl OutboxKey {
    /// The kind of action, without its subject (metrics' labels).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Submit => "submit",
            Self::Reveal => "reveal",
            Self::Challenge(_) => "challenge",
            Self::Verify(_) => "verify",
            Self::RecordSeed => "record_seed",
            Self::Vote(_) => "vote",
            Self::Resolve(_) => "resolve",
            Self::Claim => "claim",
            Self::CloseVote { .. } => "close_vote",
            Self::CloseSubmission | Self::CloseSubmissionOf(_) => "close_submission",
            Self::CloseRound => "close_round",
        }
    }

    /// The key as the store writes it (stable across versions: a node's
    /// database outlives its binary).
    pub fn stored(&self) -> String {
        match self {
            Self::Submit => "submit".into(),
            Self::Reveal => "reveal".into(),
            Self::Challenge(node) => format!("challenge:{node}"),
            Self::Verify(node) => format!("verify:{node}"),
            Self::RecordSeed => "record_seed".into(),
            Self::Vote(node) => format!("vote:{node}"),
            Self::Resolve(node) => format!("resolve:{node}"),
            Self::Claim => "claim".into(),
            Self::CloseVote { node, voter } => format!("close_vote:{node}:{voter}"),
            Self::CloseSubmission => "close_submission".into(),
            Self::CloseSubmissionOf(node) => format!("close_submission:{node}"),
            Self::CloseRound => "close_round".into(),
        }
    }
}

impl Action {
    /// The outbox key of an on-chain action; `None` for off-chain ones.
    pub fn outbox_key(&self) -> Option<OutboxKey> {
        Some(match self {
            Self::Submit { .. } => OutboxKey::Submit,
            Self::Reveal { .. } => OutboxKey::Reveal,
            Self::Challenge { node, .. } => OutboxKey::Challenge(*node),
            Self::Verify { node, .. } => OutboxKey::Verify(*node),
            Self::RecordSeed => OutboxKey::RecordSeed,
            Self::Vote { node, .. } => OutboxKey::Vote(*node),
            Self::Resolve { node, .. } => OutboxKey::Resolve(*node),
            Self::Claim { .. } => OutboxKey::Claim,
            Self::CloseVote { node, voter } => OutboxKey::CloseVote {
                node: *node,
                voter: *voter,
            },
            Self::CloseSubmission { node: None, .. } => OutboxKey::CloseSubmission,
            Self::CloseSubmission {
                node: Some(node), ..
            } => OutboxKey::CloseSubmissionOf(*node),
            Self::CloseRound { .. } => OutboxKey::CloseRound,
            Self::Execute | Self::Audit { .. } | Self::Unrevealable | Self::Finish => return None,
        })
    }

    /// Whether the action runs off-chain (the node's store only).
    pub fn is_off_chain(&self) -> bool {
        self.outbox_key().is_none()
    }

    /// The last slot to which sending this on-chain action of `round` may
    /// wait to ride in the transaction of a later one (`None`: send it
    /// now). A claim waits for our next submit or reveal, until a grace
    /// before its deadline; closing the round we opened, until others may
    /// sweep it. Everything else is due at once.
    pub fn may_wait_until(&self, schedule: &Schedule, round: u64) -> Option<u64> {
        let grace = schedule.crank_grace();
        match self {
            Self::Claim { .. } => Some(schedule.claim_deadline(round).saturating_sub(grace)),
            Self::CloseRound { .. } => Some(schedule.sweep_from(round, 1)),
            _ => None,
        }
    }

    /// The instructions of the transaction `me` sends for this action on
    /// `round` of `task`, paid in `payout`; empty for off-chain actions.
    /// A token task's claim first creates our token account when it is not
    /// known to exist; paying another node's unclaimed share creates theirs.
    pub fn instructions(
        &self,
        me: &Pubkey,
        task: &Pubkey,
        round: u64,
        payout: Payout<'_>,
    ) -> Vec<Instruction> {
        let asset = payout.asset;
        match (self, asset) {
            (
                Self::Submit {
                    payload,
                    open_round,
                },
                _,
            ) => sdk::submit_opening_in(me, task, round, payload.clone(), !open_round, asset),
            (Self::Claim { .. } | Self::CloseSubmission { node: None, .. }, Some(tokens))
                if !payout.account_exists =>
            {
                let mut all = vec![tokens.create_ata(me, me)];
                all.extend(self.instruction(me, task, round, asset));
                all
            }
            (
                Self::Challenge {
                    node,
                    verifier: Some(verifier),
                },
                _,
            ) => vec![
                sdk::challenge(me, task, round, node),
                sdk::verify_audit(task, round, node, me, verifier),
            ],
            (
                Self::CloseSubmission {
                    node: Some(node), ..
                },
                Some(tokens),
            ) => {
                let mut all = vec![tokens.create_ata(me, node)];
                all.extend(self.instruction(me, task, round, asset));
                all
            }
            _ => self
                .instruction(me, task, round, asset)
                .into_iter()
                .collect(),
        }
    }

    /// The one program instruction of an action.
    fn instruction(
        &self,
        me: &Pubkey,
        task: &Pubkey,
        round: u64,
        asset: Option<&TokenAsset>,
    ) -> Option<Instruction> {
        Some(match self {
            Self::Submit { payload, .. } => sdk::submit(me, task, round, payload.clone()),
            Self::Reveal { value, salt } => sdk::reveal(me, task, round, value.clone(), *salt),
            Self::Challenge { node, .. } => sdk::challenge(me, task, round, node),
            Self::Verify {
                node,
                challenger,
                verifier,
            } => sdk::verify_audit(task, round, node, challenger, verifier),
            Self::RecordSeed => sdk::record_audit_seed(task, round),
            Self::Vote { node, invalid } => sdk::vote(me, task, round, node, *invalid),
            Self::Resolve { node, challenger } => sdk::resolve_audit(task, round, node, challenger),
            Self::Claim { .. } => sdk::claim_in(me, task, round, asset),
            Self::CloseVote { node, voter } => sdk::close_vote(task, round, node, voter),
            Self::CloseSubmission { node, challenger } => sdk::close_submission_in(
                task,
                round,
                node.as_ref().unwrap_or(me),
                challenger.as_ref(),
                asset,
            ),
            Self::CloseRound { rent_payer } => sdk::close_round_in(task, round, rent_payer, asset),
            Self::Execute | Self::Audit { .. } | Self::Unrevealable | Self::Finish => return None,
        })
    }
}

/// Whether a tick's on-chain actions (each of its round) go out now: yes
/// when any is due at once, or any has waited as long as it may; else they
/// all wait for a later tick, where they ride with what is due then. In the
/// steady state a node's claim and round close so share the transaction of
/// its next submit or reveal: two signatures a round.
pub fn due_now(actions: &[(u64, Action)], schedule: &Schedule, slot: u64) -> bool {
    actions.iter().any(|(round, action)| {
        action
            .may_wait_until(schedule, *round)
            .is_none_or(|last| slot >= last)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_and_round_closes_wait_for_a_transaction_due_anyway() {
        let schedule = Schedule {
            start_slot: 100,
            round_slots: 40,
            submit_slots: 10,
            reveal_slots: 10,
            audit_slots: 10,
            claim_rounds: 2,
        };
        let claim = (0, Action::Claim { share: 5 });
        let close = (
            0,
            Action::CloseRound {
                rent_payer: Pubkey::new_unique(),
            },
        );
        let submit = (
            2,
            Action::Submit {
                payload: SubmissionPayload::Commitment([1; 32]),
                open_round: false,
            },
        );
        let claimable = schedule.audit_end(0);
        assert!(!due_now(&[], &schedule, claimable));
        assert!(!due_now(std::slice::from_ref(&claim), &schedule, claimable));
        assert!(due_now(
            &[claim.clone(), submit.clone()],
            &schedule,
            claimable
        ));
        // A grace before the deadline it goes alone.
        let last = schedule.claim_deadline(0) - schedule.crank_grace();
        assert!(!due_now(std::slice::from_ref(&claim), &schedule, last - 1));
        assert!(due_now(&[claim], &schedule, last));
        let sweep = schedule.sweep_from(0, 1);
        assert!(!due_now(std::slice::from_ref(&close), &schedule, sweep - 1));
        assert!(due_now(&[close], &schedule, sweep));
        assert!(due_now(&[(2, Action::RecordSeed)], &schedule, 0));
    }

    #[test]
    fn on_chain_actions_have_a_key_and_an_instruction() {
        let (me, task, other) = (
            Pubkey::new_unique(),
            Pubkey::new_unique(),
            Pubkey::new_unique(),
        );
        let actions = [
            Action::Submit {
                payload: SubmissionPayload::Commitment([1; 32]),
                open_round: false,
            },
            Action::Reveal {
                value: vec![1],
                salt: [0; SALT_LEN],
            },
            Action::Challenge {
                node: other,
                verifier: None,
            },
            Action::Verify {
                node: other,
                challenger: me,
                verifier: task,
            },
            Action::RecordSeed,
            Action::Vote {
                node: other,
                invalid: true,
            },
            Action::Resolve {
                node: other,
                challenger: me,
            },
            Action::Claim { share: 1 },
            Action::CloseVote {
                node: other,
                voter: me,
            },
            Action::CloseSubmission {
                node: None,
                challenger: None,
            },
            Action::CloseSubmission {
                node: Some(other),
                challenger: None,
            },
            Action::CloseRound { rent_payer: me },
        ];
        let verified = Action::Challenge {
            node: other,
            verifier: Some(task),
        };
        let both = verified.instructions(&me, &task, 3, Payout::default());
        assert_eq!(both.len(), 2, "challenge, then verify_audit");
        assert!(both[1]
            .accounts
            .iter()
            .any(|m| m.pubkey == task && !m.is_writable));
        let opening = Action::Submit {
            payload: SubmissionPayload::Commitment([1; 32]),
            open_round: true,
        };
        assert_eq!(
            opening.instructions(&me, &task, 3, Payout::default()).len(),
            2,
            "open_round, submit"
        );
        let mut keys = std::collections::HashSet::new();
        for action in &actions {
            let key = action.outbox_key().expect("on-chain");
            assert!(keys.insert(key.stored()), "distinct keys");
            assert!(!action
                .instructions(&me, &task, 3, Payout::default())
                .is_empty());
        }
        // A token task's claim creates our token account until it is known
        // to exist; paying another node's share always ensures theirs.
        let asset = TokenAsset::new(Pubkey::new_unique(), sdk::tokens::TOKEN_2022_PROGRAM_ID);
        let first = Payout {
            asset: Some(&asset),
            account_exists: false,
        };
        let claim = Action::Claim { share: 1 }.instructions(&me, &task, 3, first);
        assert_eq!(claim.len(), 2);
        assert_eq!(
            claim[0].program_id,
            sdk::tokens::ASSOCIATED_TOKEN_PROGRAM_ID
        );
        assert!(claim[1].accounts.iter().any(|m| m.pubkey == asset.ata(&me)));
        let later = Payout {
            account_exists: true,
            ..first
        };
        assert_eq!(
            Action::Claim { share: 1 }
                .instructions(&me, &task, 3, later)
                .len(),
            1
        );
        let theirs = Action::CloseSubmission {
            node: Some(other),
            challenger: None,
        };
        let crank = theirs.instructions(&me, &task, 3, later);
        assert_eq!(crank.len(), 2);
        assert!(crank[1]
            .accounts
            .iter()
            .any(|m| m.pubkey == asset.ata(&other)));
        for action in [
            Action::Execute,
            Action::Audit { node: other },
            Action::Finish,
        ] {
            assert_eq!(action.outbox_key(), None);
            assert!(action
                .instructions(&me, &task, 3, Payout::default())
                .is_empty());
        }
    }
}
