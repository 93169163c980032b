use anchor_lang::prelude::*;
use anchor_lang::solana_program::program::invoke;

use crate::errors::TasknetError;
use crate::events::{emit, AuditVerified};
use crate::instructions::resolve_audit::*;
use crate::state::AuditVerdict;
use crate::verifier::{self, Answer, AnswerError, VerifyRequest};

/// Decides an open audit of a verifier task at once, by asking the task's
/// verifier program (`verifier` module): no vote, no quorum, no waiting
/// for the audit window to close. Anyone may send it, usually in the
/// challenge's own transaction. If the verifier fails or answers anything
/// but a verdict, this instruction fails and the audit stays with the
/// vote.
#[derive(Accounts)]
pub struct VerifyAudit<'info> {
    pub resolve: ResolveAudit<'info>,
    /// CHECK: must be the task's verifier (validate); called read-only.
    pub verifier: UncheckedAccount<'info>,
}

impl VerifyAudit<'_> {
    pub(crate) fn validate(&self) -> Result<()> {
        let resolve = &self.resolve;
        require!(
            resolve.audit.verdict == AuditVerdict::Pending,
            TasknetError::AuditAlreadyResolved
        );
        let expected = resolve.task.verifier.ok_or(TasknetError::NoVerifier)?;
        require_keys_eq!(self.verifier.key(), expected, TasknetError::WrongVerifier);
        require!(
            self.verifier.executable,
            TasknetError::VerifierNotExecutable
        );
        require!(
            !resolve.submission.value.is_empty(),
            TasknetError::NothingToVerify
        );
        Ok(())
    }

    /// Calls the verifier with the submission's value and reads its answer.
    fn ask(&self) -> Result<Answer> {
        let resolve = &self.resolve;
        let submission = &resolve.submission;
        let request = VerifyRequest {
            task: submission.task,
            round: submission.round,
            node: submission.node,
            value: submission.value.clone(),
        };
        let call = verifier::instruction(
            self.verifier.key(),
            resolve.task.key(),
            resolve.round_account.key(),
            submission.key(),
            &request,
        );
        invoke(
            &call,
            &[
                resolve.task.to_account_info(),
                resolve.round_account.to_account_info(),
                submission.to_account_info(),
                self.verifier.to_account_info(),
            ],
        )?;
        verifier::answer(self.verifier.key, returned_data()).map_err(|e| match e {
            AnswerError::Missing => error!(TasknetError::VerifierAnswerMissing),
            AnswerError::Malformed => error!(TasknetError::VerifierAnswerMalformed),
        })
    }

    pub(crate) fn handler(ctx: Context<Self>) -> Result<()> {
        let answer = ctx.accounts.ask()?;
        let invalid = answer == Answer::Invalid;
        let accounts = ctx.accounts;
        accounts.resolve.settle(invalid)?;
        emit(AuditVerified {
            task: accounts.resolve.task.key(),
            round: accounts.resolve.audit.round,
            submission: accounts.resolve.submission.key(),
            verifier: accounts.verifier.key(),
            invalid,
        });
        Ok(())
    }
}

/// The return data the verifier left. Natively (program-test, the embedded
/// chain's native tier) it travels through the runtime's syscall stubs, as
/// events do (`events::emit`).
fn returned_data() -> Option<(Pubkey, Vec<u8>)> {
    #[cfg(target_os = "solana")]
    return anchor_lang::solana_program::program::get_return_data();
    #[cfg(not(target_os = "solana"))]
    return anchor_lang::compat::solana_sysvar::program_stubs::sol_get_return_data();
}
