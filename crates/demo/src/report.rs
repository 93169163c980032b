//! What a scenario found: one row per round, one per node, and the
//! problems (an honest node unpaid, a cheat that paid).

use anchor_lang::prelude::Pubkey;
use tasknet::state::Economics;

use crate::roles::Role;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoundRow {
    pub round: u64,
    pub submissions: u32,
    pub revealed: u32,
    pub challenges: u32,
    /// Votes cast besides each challenger's own (none when a verifier
    /// program decided every challenge).
    pub votes: u32,
    pub invalid: u32,
    pub slashed: u64,
    pub pool: u64,
    pub paid: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeRow {
    pub node: Pubkey,
    pub role: Role,
    pub rounds_paid: usize,
    /// (round, amount) of every claim, in the task's asset.
    pub earnings: Vec<(u64, u64)>,
    pub earned: u64,
    pub slashed: u64,
    /// Lamports.
    pub balance: u64,
    /// In a token scenario, its tokens (its associated token account).
    pub token_balance: Option<u64>,
    /// Payloads it audited, in all rounds (its sample, and what others
    /// challenged, which every eligible node votes on).
    pub audits_run: u64,
}

#[derive(Debug)]
pub struct DemoReport {
    pub url: String,
    /// Whether the chain was one the scenario started itself.
    pub embedded: bool,
    pub task: Pubkey,
    /// The mint a token scenario paid in; `None`: SOL.
    pub asset: Option<tasknet_sdk::tokens::TokenAsset>,
    /// The verifier program that decided the task's challenges, if any.
    pub verifier: Option<Pubkey>,
    pub economics: Economics,
    pub rounds: Vec<RoundRow>,
    pub nodes: Vec<NodeRow>,
    /// Empty when honest nodes were paid every round and cheating did not pay.
    pub problems: Vec<String>,
}

/// What went wrong, judged per node by its role.
pub fn problems(nodes: &[NodeRow], rounds: u64) -> Vec<String> {
    let mut problems = Vec::new();
    for n in nodes {
        match n.role {
            Role::Honest if n.rounds_paid < rounds as usize => problems.push(format!(
                "honest node {} was paid in {} of {} rounds",
                n.node, n.rounds_paid, rounds
            )),
            Role::Liar if n.slashed == 0 => {
                problems.push(format!("liar {} was not slashed", n.node))
            }
            Role::Liar | Role::Copier if n.earned > 0 => problems.push(format!(
                "{} {} earned {} (lamports or token units)",
                n.role.name(),
                n.node,
                n.earned
            )),
            _ => {}
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(role: Role, rounds_paid: usize, earned: u64, slashed: u64) -> NodeRow {
        NodeRow {
            node: Pubkey::new_unique(),
            role,
            rounds_paid,
            earnings: Vec::new(),
            earned,
            slashed,
            balance: 0,
            token_balance: None,
            audits_run: 0,
        }
    }

    #[test]
    fn judges_each_role() {
        let fine = [
            row(Role::Honest, 3, 30, 0),
            row(Role::Liar, 0, 0, 5),
            row(Role::Copier, 0, 0, 0),
        ];
        assert!(problems(&fine, 3).is_empty());
        let bad = [
            row(Role::Honest, 2, 20, 0),
            row(Role::Liar, 0, 0, 0),
            row(Role::Copier, 1, 10, 0),
        ];
        let found = problems(&bad, 3);
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(found[0].contains("paid in 2 of 3"));
        assert!(found[1].contains("not slashed"));
        assert!(found[2].contains("copier") && found[2].contains("earned 10"));
    }
}
