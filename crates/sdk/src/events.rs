//! The program's events, read back from transaction logs (`Program data:`
//! lines, as Anchor's `emit!` writes them).

use anchor_lang::{AnchorDeserialize, Discriminator};
use base64::Engine;
use tasknet::events::RewardClaimed;

/// Every event of type `E` in `logs`.
pub fn decode<E: AnchorDeserialize + Discriminator>(logs: &[String]) -> Vec<E> {
    logs.iter()
        .filter_map(|line| line.strip_prefix("Program data: "))
        .filter_map(|data| base64::engine::general_purpose::STANDARD.decode(data).ok())
        .filter_map(|bytes| {
            let body = bytes.strip_prefix(E::DISCRIMINATOR)?;
            E::deserialize(&mut &body[..]).ok()
        })
        .collect()
}

/// The claim event of a claim transaction's logs.
pub fn reward_claimed(logs: &[String]) -> Option<RewardClaimed> {
    decode::<RewardClaimed>(logs).into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::*;
    use anchor_lang::prelude::Pubkey;
    use anchor_lang::Event;

    #[test]
    fn events_are_read_back_from_program_data_lines() {
        let event = RewardClaimed {
            task: Pubkey::new_unique(),
            round: 3,
            node: Pubkey::new_unique(),
            amount: 1_234,
        };
        let data = base64::engine::general_purpose::STANDARD.encode(event.data());
        let logs = vec![
            "Program log: Instruction: Claim".to_string(),
            "Program data: bm90IGFuIGV2ZW50".to_string(),
            format!("Program data: {data}"),
        ];
        let read = reward_claimed(&logs).expect("the event");
        assert_eq!((read.round, read.amount), (3, 1_234));
        assert!(reward_claimed(&logs[..2]).is_none());
    }
}
