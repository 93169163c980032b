//! What the node can do in a round. `decide` returns these; the runtime
//! performs them. Off-chain actions (running the task code, auditing a
//! payload) change only the node's store; every other action is one
//! transaction, sent through the outbox under its [`OutboxKey`].

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use tasknet::instructions::SubmissionPayload;
use tasknet::logic::SALT_LEN;
use tasknet_sdk as sdk;

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
    Challenge {
        node: Pubkey,
    },
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
    Vote(Pubkey),
    Resolve(Pubkey),
    Claim,
    CloseVote { node: Pubkey, voter: Pubkey },
    CloseSubmission,
    CloseSubmissionOf(Pubkey),
    CloseRound,
}

impl OutboxKey {
    /// The key as the store writes it (stable across versions: a node's
    /// database outlives its binary).
    pub fn stored(&self) -> String {
        match self {
            Self::Submit => "submit".into(),
            Self::Reveal => "reveal".into(),
            Self::Challenge(node) => format!("challenge:{node}"),
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
            Self::Challenge { node } => OutboxKey::Challenge(*node),
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

    /// The instructions of the transaction `me` sends for this action on
    /// `round` of `task`; empty for off-chain actions.
    pub fn instructions(&self, me: &Pubkey, task: &Pubkey, round: u64) -> Vec<Instruction> {
        match self {
            Self::Submit {
                payload,
                open_round,
            } => sdk::submit_opening(me, task, round, payload.clone(), !open_round),
            other => other.instruction(me, task, round).into_iter().collect(),
        }
    }

    /// The one instruction of a single-instruction action.
    fn instruction(&self, me: &Pubkey, task: &Pubkey, round: u64) -> Option<Instruction> {
        Some(match self {
            Self::Submit { payload, .. } => sdk::submit(me, task, round, payload.clone()),
            Self::Reveal { value, salt } => sdk::reveal(me, task, round, value.clone(), *salt),
            Self::Challenge { node } => sdk::challenge(me, task, round, node),
            Self::Vote { node, invalid } => sdk::vote(me, task, round, node, *invalid),
            Self::Resolve { node, challenger } => sdk::resolve_audit(task, round, node, challenger),
            Self::Claim { .. } => sdk::claim(me, task, round),
            Self::CloseVote { node, voter } => sdk::close_vote(task, round, node, voter),
            Self::CloseSubmission { node, challenger } => sdk::close_submission(
                task,
                round,
                node.as_ref().unwrap_or(me),
                challenger.as_ref(),
            ),
            Self::CloseRound { rent_payer } => sdk::close_round(task, round, rent_payer),
            Self::Execute | Self::Audit { .. } | Self::Unrevealable | Self::Finish => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            Action::Challenge { node: other },
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
        let opening = Action::Submit {
            payload: SubmissionPayload::Commitment([1; 32]),
            open_round: true,
        };
        assert_eq!(
            opening.instructions(&me, &task, 3).len(),
            2,
            "open_round, submit"
        );
        let mut keys = std::collections::HashSet::new();
        for action in &actions {
            let key = action.outbox_key().expect("on-chain");
            assert!(keys.insert(key.stored()), "distinct keys");
            assert!(!action.instructions(&me, &task, 3).is_empty());
        }
        for action in [
            Action::Execute,
            Action::Audit { node: other },
            Action::Finish,
        ] {
            assert_eq!(action.outbox_key(), None);
            assert!(action.instructions(&me, &task, 3).is_empty());
        }
    }
}
