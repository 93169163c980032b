//! Audits nobody can dodge or outvote: the audit seed recorded from
//! SlotHashes after the submit window, backup auditors for offline ones,
//! and verdicts by a task's verifier program.

#![allow(deprecated)]

use std::collections::HashMap;

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::Space;
use solana_signer::Signer;

use tasknet::errors::TasknetError;
use tasknet::events::*;
use tasknet::logic::{backup_depth, find_seed, AuditSample, SeedLookup};
use tasknet::state::*;
use tasknet_pow_verifier::pow;
use tasknet_sdk::{self as sdk, pda};
use tasknet_tests::*;

const STAKE: u64 = 2 * LAMPORTS_PER_SOL;

async fn round_account(f: &mut Fixture, round: u64) -> Round {
    f.h.account(&pda::round(&f.task, round)).await.unwrap()
}

async fn record_seed(f: &mut Fixture, round: u64) -> Sent {
    let ix = sdk::record_audit_seed(&f.task, round);
    f.h.send(&[ix], &[]).await
}

/// The seed slot's entry in the bank's SlotHashes sysvar, as any node
/// reads it.
async fn slot_hash_entry(f: &mut Fixture, target: u64) -> (u64, [u8; 32]) {
    let (_, data) = f.h.raw_account(&sdk::ix::SLOT_HASHES_SYSVAR).await.unwrap();
    match find_seed(&data, target) {
        SeedLookup::Found { slot, hash } => (slot, hash),
        other => panic!("no seed entry for slot {target}: {other:?}"),
    }
}

#[tokio::test]
async fn the_audit_seed_is_the_first_block_after_the_submit_window() {
    let mut f = Fixture::new(crate::BACKEND, true, 4, 10 * LAMPORTS_PER_SOL, STAKE).await;
    f.warp_to(f.schedule.round_start(0)).await;
    for i in 0..4 {
        f.submit(i, 0, &honest_value(0)).await.ok();
    }
    // While submissions can still land, there is nothing to record.
    record_seed(&mut f, 0)
        .await
        .err(TasknetError::SeedNotYetAvailable);
    let seed_slot = f.schedule.submit_end(0);
    f.warp_to(seed_slot).await;
    // In the seed slot itself its block does not exist yet: a reveal there
    // leaves the seed unrecorded, and so does the crank.
    f.reveal(0, 0, &honest_value(0)).await.ok();
    assert!(!round_account(&mut f, 0).await.seed_recorded());
    record_seed(&mut f, 0)
        .await
        .err(TasknetError::SeedNotYetAvailable);
    f.warp_to(seed_slot + 3).await;
    // The next reveal records it: the seed slot's block hash.
    let sent = f.reveal(1, 0, &honest_value(0)).await.ok();
    let recorded: AuditSeedRecorded = sent.event();
    let round = round_account(&mut f, 0).await;
    let (slot, hash) = slot_hash_entry(&mut f, seed_slot).await;
    assert_eq!((recorded.slot, round.seed_slot), (slot, slot));
    assert_eq!(round.audit_seed, hash);
    assert!(slot >= seed_slot);
    // Once only; later reveals leave it as it is.
    record_seed(&mut f, 0)
        .await
        .err(TasknetError::SeedAlreadyRecorded);
    f.reveal(2, 0, &honest_value(0)).await.ok();
    assert_eq!(round_account(&mut f, 0).await.audit_seed, hash);
    // Every node computes the same draw from the round account, and the
    // draw is the seed's: another seed gives another one.
    let sample = AuditSample::new(&f.task, 0, &round.audit_seed, 40, 2);
    assert_eq!(sample, AuditSample::new(&f.task, 0, &hash, 40, 2));
    let other = [hash[0] ^ 1; 32];
    assert_ne!(sample, AuditSample::new(&f.task, 0, &other, 40, 2));
}

#[tokio::test]
async fn a_plain_task_records_its_seed_by_crank_from_the_real_sysvar_only() {
    let mut f = Fixture::new(crate::BACKEND, false, 3, 10 * LAMPORTS_PER_SOL, STAKE).await;
    f.warp_to(f.schedule.round_start(0)).await;
    for i in 0..3 {
        f.submit(i, 0, &honest_value(0)).await.ok();
    }
    let seed_slot = f.schedule.submit_end(0);
    f.warp_to(seed_slot).await;
    record_seed(&mut f, 0)
        .await
        .err(TasknetError::SeedNotYetAvailable);
    f.warp_to(seed_slot + 1).await;
    // A forged SlotHashes (any other account) is refused.
    let forged = swap_account(
        sdk::record_audit_seed(&f.task, 0),
        &sdk::ix::SLOT_HASHES_SYSVAR,
        &pda::round(&f.task, 0),
    );
    f.h.send(&[forged], &[])
        .await
        .err(TasknetError::WrongSysvar);
    let recorded: AuditSeedRecorded = record_seed(&mut f, 0).await.ok().event();
    assert_eq!(recorded.slot, seed_slot);
    let (_, hash) = slot_hash_entry(&mut f, seed_slot).await;
    assert_eq!(round_account(&mut f, 0).await.audit_seed, hash);
}

/// Twelve nodes commit; four never reveal. With backups drawn past k,
/// every revealed submission still has k live auditors, all of whom are
/// found from the round account and indexed submissions alone.
#[tokio::test]
async fn backup_auditors_keep_k_live_auditors_on_every_revealed_submission() {
    let (nodes, offline, k) = (12usize, [2usize, 5, 7, 10], 3u32);
    let mut f = Fixture::new(crate::BACKEND, true, nodes, 10 * LAMPORTS_PER_SOL, STAKE).await;
    f.warp_to(f.schedule.round_start(0)).await;
    for i in 0..nodes {
        f.submit(i, 0, &honest_value(0)).await.ok();
    }
    f.warp_to(f.schedule.submit_end(0) + 1).await;
    for i in (0..nodes).filter(|i| !offline.contains(i)) {
        f.reveal(i, 0, &honest_value(0)).await.ok();
    }
    f.warp_to(f.schedule.reveal_end(0)).await;
    let round = round_account(&mut f, 0).await;
    assert!(round.seed_recorded(), "the first reveal recorded it");
    assert_eq!((round.submissions, round.revealed), (12, 8));
    // Liveness by index, as nodes read it (indexed lookups).
    let mut live: HashMap<u32, bool> = HashMap::new();
    for i in 0..nodes {
        let s: Submission =
            f.h.account(&pda::submission(&f.task, 0, &f.node(i)))
                .await
                .unwrap();
        live.insert(s.index, !s.value.is_empty());
    }
    let is_live = |i: u32| live[&i];
    let backups = backup_depth(round.submissions, round.revealed, k);
    assert!(backups > 0);
    let sample =
        AuditSample::with_backups(&f.task, 0, &round.audit_seed, round.submissions, k, backups);
    let mut coverage: HashMap<u32, u32> = HashMap::new();
    for auditor in 0..round.submissions {
        for target in sample.live_targets(auditor, is_live) {
            *coverage.entry(target).or_default() += 1;
        }
    }
    for target in (0..round.submissions).filter(|&t| is_live(t)) {
        assert_eq!(coverage.get(&target), Some(&k), "submission {target}");
    }
    assert!(
        coverage.keys().all(|&t| is_live(t)),
        "nobody audits the offline"
    );
}

// ---- verifier programs ----

/// A proof-of-work task decided by the example verifier: node 0 does the
/// work, node 1 submits a nonce that misses the target.
async fn verifier_task(verifier: Pubkey) -> Fixture {
    let h = Harness::new(crate::BACKEND).await;
    let args = tasknet::instructions::CreateTaskArgs {
        verifier: Some(verifier),
        ..task_args(1, false)
    };
    let mut f = Fixture::with_args(h, args, 4, 10 * LAMPORTS_PER_SOL, STAKE).await;
    f.warp_to(f.schedule.round_start(0)).await;
    let task = f.task.to_bytes();
    for i in 0..4 {
        let node = f.node(i).to_bytes();
        let nonce = if i == 1 {
            (0..)
                .find(|&n| !pow::is_valid(&task, 0, &node, &u64::to_le_bytes(n)))
                .unwrap()
        } else {
            pow::solve(&task, 0, &node)
        };
        f.submit(i, 0, &nonce.to_le_bytes()).await.ok();
    }
    f.warp_to(f.schedule.submit_end(0) + 1).await;
    f
}

fn verify(f: &Fixture, target: usize, challenger: usize, verifier: &Pubkey) -> Instruction {
    sdk::verify_audit(&f.task, 0, &f.node(target), &f.node(challenger), verifier)
}

/// Challenge and verdict in one transaction, as the node sends them.
async fn challenge_verified(f: &mut Fixture, challenger: usize, target: usize) -> Sent {
    let verifier = tasknet_pow_verifier::ID;
    let challenge = sdk::challenge(&f.node(challenger), &f.task, 0, &f.node(target));
    let verify = verify(f, target, challenger, &verifier);
    let signer = f.nodes[challenger].insecure_clone();
    f.h.send(&[challenge, verify], &[&signer]).await
}

#[tokio::test]
async fn a_verifier_slashes_a_liar_at_once_without_a_vote() {
    let mut f = verifier_task(tasknet_pow_verifier::ID).await;
    let (liar, challenger) = (f.node(1), f.node(2));
    let stake_before: Stake = f.h.account(&pda::stake(&f.task, &liar)).await.unwrap();
    let challenger_before = f.h.balance(&challenger).await;
    let sent = challenge_verified(&mut f, 2, 1).await.ok();
    let verified: AuditVerified = events::<AuditVerified>(&sent).remove(0);
    let resolved: AuditResolved = sent.event();
    assert!(verified.invalid && resolved.invalid);
    assert_eq!(verified.verifier, tasknet_pow_verifier::ID);
    assert!(resolved.slashed > 0);
    let audit: Audit =
        f.h.account(&pda::audit(&pda::submission(&f.task, 0, &liar)))
            .await
            .unwrap();
    // Decided in the challenge's transaction: one vote (the challenge's
    // own), no quorum reached, no window waited for.
    assert_eq!(
        (audit.verdict, audit.voter_count),
        (AuditVerdict::Invalid, 1)
    );
    assert!(
        audit.valid_weight == 0
            && audit.invalid_weight < round_account(&mut f, 0).await.eligible_stake / 2
    );
    let stake: Stake = f.h.account(&pda::stake(&f.task, &liar)).await.unwrap();
    let held = |s: &Stake| s.bonded.active + s.bonded.pending + s.unbonding;
    assert_eq!(held(&stake), held(&stake_before) - resolved.slashed);
    assert_eq!(stake.open_audits, 0);
    // The challenger paid the transaction's fee (the harness payer did)
    // and the audit's rent; it got its bond back with its slash share.
    let audit_rent = f.h.rent_for(8 + Audit::INIT_SPACE).await;
    let vote_rent = f.h.rent_for(8 + Vote::INIT_SPACE).await;
    assert_eq!(
        f.h.balance(&challenger).await,
        challenger_before - audit_rent - vote_rent + resolved.to_challenger
    );
    // Nothing is left to vote on or to resolve.
    f.vote(3, 0, 1, true)
        .await
        .err(TasknetError::AuditAlreadyResolved);
    let again = verify(&f, 1, 2, &tasknet_pow_verifier::ID);
    f.h.send(&[again], &[])
        .await
        .err(TasknetError::AuditAlreadyResolved);
    assert_eq!(round_account(&mut f, 0).await.invalidated, 1);
}

#[tokio::test]
async fn a_verifier_clears_an_honest_node_and_its_challenger_pays() {
    let mut f = verifier_task(tasknet_pow_verifier::ID).await;
    let honest = f.node(0);
    let before = f.h.balance(&honest).await;
    let resolved: AuditResolved = challenge_verified(&mut f, 3, 0).await.ok().event();
    assert!(!resolved.invalid);
    assert_eq!(resolved.slashed, 0);
    // The bond goes to the accused node at once.
    assert_eq!(f.h.balance(&honest).await, before + CHALLENGE_BOND);
    let submission: Submission =
        f.h.account(&pda::submission(&f.task, 0, &honest))
            .await
            .unwrap();
    assert!(submission.claimable());
}

#[tokio::test]
async fn a_substituted_verifier_is_refused_and_changes_nothing() {
    let mut f = verifier_task(tasknet_pow_verifier::ID).await;
    f.challenge(2, 0, 1).await.ok();
    // Any other program as the verifier, say one that answers "valid".
    for impostor in [sdk::tokens::TOKEN_PROGRAM_ID, f.node(3)] {
        let ix = verify(&f, 1, 2, &impostor);
        f.h.send(&[ix], &[]).await.err(TasknetError::WrongVerifier);
    }
    let audit: Audit =
        f.h.account(&pda::audit(&pda::submission(&f.task, 0, &f.node(1))))
            .await
            .unwrap();
    assert_eq!(audit.verdict, AuditVerdict::Pending);
    // The real one decides it later, at any time while the audit is open.
    let ix = verify(&f, 1, 2, &tasknet_pow_verifier::ID);
    let resolved: AuditResolved = f.h.send(&[ix], &[]).await.ok().event();
    assert!(resolved.invalid);
}

#[tokio::test]
async fn a_task_without_a_verifier_cannot_be_verified() {
    let mut f = Fixture::new(crate::BACKEND, false, 3, 10 * LAMPORTS_PER_SOL, STAKE).await;
    f.warp_to(f.schedule.round_start(0)).await;
    for i in 0..3 {
        f.submit(i, 0, &honest_value(i as u64)).await.ok();
    }
    f.warp_to(f.schedule.submit_end(0) + 1).await;
    f.challenge(1, 0, 0).await.ok();
    let ix = sdk::verify_audit(
        &f.task,
        0,
        &f.node(0),
        &f.node(1),
        &tasknet_pow_verifier::ID,
    );
    f.h.send(&[ix], &[]).await.err(TasknetError::NoVerifier);
    // Nor may a task name tasknet itself as its verifier.
    let creator = f.h.funded_keypair(10 * LAMPORTS_PER_SOL).await;
    let args = tasknet::instructions::CreateTaskArgs {
        verifier: Some(tasknet::ID),
        ..task_args(9, false)
    };
    let ix = sdk::create_task(&creator.pubkey(), args);
    f.h.send(&[ix], &[&creator])
        .await
        .err(TasknetError::VerifierIsTasknet);
}

/// A verifier that fails (here the system program, which cannot read the
/// request) makes `verify_audit` fail and changes nothing: the audit is
/// decided by the stake vote as on any task, and nobody is slashed by it.
#[tokio::test]
async fn a_broken_verifier_leaves_the_audit_to_the_vote() {
    let broken = anchor_lang::system_program::ID;
    let mut f = verifier_task(broken).await;
    f.challenge(2, 0, 1).await.ok();
    let ix = verify(&f, 1, 2, &broken);
    let sent = f.h.send(&[ix], &[]).await;
    assert!(
        sent.result.is_err(),
        "the verifier's failure fails the call"
    );
    let audit_key = pda::audit(&pda::submission(&f.task, 0, &f.node(1)));
    let audit: Audit = f.h.account(&audit_key).await.unwrap();
    assert_eq!(audit.verdict, AuditVerdict::Pending);
    // The challenge in the same transaction as a failing verifier does not
    // land either.
    let challenge = sdk::challenge(&f.node(3), &f.task, 0, &f.node(0));
    let verify_it = verify(&f, 0, 3, &broken);
    let signer = f.nodes[3].insecure_clone();
    let sent = f.h.send(&[challenge, verify_it], &[&signer]).await;
    assert!(sent.result.is_err());
    assert!(
        !f.h.exists(&pda::audit(&pda::submission(&f.task, 0, &f.node(0))))
            .await
    );
    // The vote decides it.
    f.vote(0, 0, 1, true).await.ok();
    f.vote(3, 0, 1, true).await.ok();
    f.warp_to(f.schedule.audit_end(0)).await;
    let resolved: AuditResolved = f.resolve(0, 1, 2).await.ok().event();
    assert!(resolved.invalid);
}
