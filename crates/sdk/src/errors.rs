//! Turning program error codes into names and messages a person can read.

use std::collections::HashMap;
use std::sync::OnceLock;

use anchor_lang::error::ErrorCode as AnchorError;
use solana_instruction::error::InstructionError;
use solana_transaction_error::TransactionError;
use tasknet::errors::TasknetError;

/// A failed instruction's error, by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgramError {
    pub instruction: u8,
    pub code: u32,
    pub name: String,
    pub message: String,
}

impl ProgramError {
    /// Whether this is `error` (matched by code, never by name).
    pub fn is(&self, error: TasknetError) -> bool {
        self.code == u32::from(error)
    }

    /// Whether this is the Anchor framework error `error`.
    pub fn is_anchor(&self, error: AnchorError) -> bool {
        self.code == error as u32
    }
}

impl std::fmt::Display for ProgramError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.name, self.message)
    }
}

/// tasknet's own errors come from the committed IDL (kept current by a
/// test), so the client needs no second list of them.
fn tasknet_errors() -> &'static HashMap<u32, (String, String)> {
    static ERRORS: OnceLock<HashMap<u32, (String, String)>> = OnceLock::new();
    ERRORS.get_or_init(|| {
        let idl: serde_json::Value =
            serde_json::from_str(include_str!("../../../idls/tasknet.json")).expect("IDL is JSON");
        idl["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| {
                Some((
                    e["code"].as_u64()? as u32,
                    (
                        e["name"].as_str()?.to_string(),
                        e["msg"].as_str().unwrap_or_default().to_string(),
                    ),
                ))
            })
            .collect()
    })
}

/// The Anchor framework errors tasknet's account checks can raise.
const ANCHOR_ERRORS: &[AnchorError] = &[
    AnchorError::InstructionMissing,
    AnchorError::InstructionFallbackNotFound,
    AnchorError::InstructionDidNotDeserialize,
    AnchorError::ConstraintMut,
    AnchorError::ConstraintHasOne,
    AnchorError::ConstraintSigner,
    AnchorError::ConstraintRaw,
    AnchorError::ConstraintOwner,
    AnchorError::ConstraintSeeds,
    AnchorError::ConstraintAddress,
    AnchorError::ConstraintClose,
    AnchorError::ConstraintSpace,
    AnchorError::AccountDiscriminatorNotFound,
    AnchorError::AccountDiscriminatorMismatch,
    AnchorError::AccountDidNotDeserialize,
    AnchorError::AccountDidNotSerialize,
    AnchorError::AccountNotEnoughKeys,
    AnchorError::AccountNotMutable,
    AnchorError::AccountOwnedByWrongProgram,
    AnchorError::InvalidProgramId,
    AnchorError::InvalidProgramExecutable,
    AnchorError::AccountNotSigner,
    AnchorError::AccountNotSystemOwned,
    AnchorError::AccountNotInitialized,
    AnchorError::AccountNotProgramData,
    AnchorError::AccountReallocExceedsLimit,
    AnchorError::AccountDuplicateReallocs,
];

/// The system program's errors, which surface through tasknet's
/// instructions when a transfer or an account creation inside them fails
/// (Anchor's codes start at 100, tasknet's at 6000, so these cannot clash).
const SYSTEM_ERRORS: &[(u32, &str, &str)] = &[
    (
        0,
        "AccountAlreadyInUse",
        "an account this transaction creates already exists",
    ),
    (
        1,
        "InsufficientFunds",
        "the paying account has too few lamports for this amount and its rent",
    ),
];

pub fn describe_code(code: u32) -> (String, String) {
    if let Some((name, msg)) = tasknet_errors().get(&code) {
        return (name.clone(), msg.clone());
    }
    if let Some(e) = ANCHOR_ERRORS.iter().find(|e| **e as u32 == code) {
        return (e.name(), e.to_string());
    }
    if let Some((_, name, message)) = SYSTEM_ERRORS.iter().find(|(c, ..)| *c == code) {
        return ((*name).into(), (*message).into());
    }
    (format!("Custom({code})"), "unknown program error".into())
}

/// The program error inside a transaction error, if it is one.
pub fn program_error(error: &TransactionError) -> Option<ProgramError> {
    match error {
        TransactionError::InstructionError(index, InstructionError::Custom(code)) => {
            let (name, message) = describe_code(*code);
            Some(ProgramError {
                instruction: *index,
                code: *code,
                name,
                message,
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_idl_and_anchor() {
        let code = anchor_lang::error::ERROR_CODE_OFFSET + TasknetError::RevealMismatch as u32;
        let (name, message) = describe_code(code);
        assert_eq!(name, "RevealMismatch");
        assert_eq!(message, TasknetError::RevealMismatch.to_string());
        assert_eq!(
            describe_code(AnchorError::ConstraintSeeds as u32).0,
            "ConstraintSeeds"
        );
        assert_eq!(describe_code(1).0, "InsufficientFunds");
        assert_eq!(describe_code(99).0, "Custom(99)");
        let error = ProgramError {
            instruction: 0,
            code,
            name,
            message,
        };
        assert!(error.is(TasknetError::RevealMismatch));
        assert!(!error.is(TasknetError::AlreadyRevealed));
    }
}
