//! Every JSON-RPC method of `tasknet localnet`, called through the real
//! `RpcClient` over HTTP, with its error cases.

mod common;

use common::{funded, localnet, rpc, rpc_error_code};
use std::time::Duration;

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::system_instruction;
use solana_commitment_config::CommitmentConfig;
use solana_hash::Hash;
use solana_rpc_client_api::client_error::ErrorKind;
use solana_rpc_client_api::config::{RpcSendTransactionConfig, RpcSimulateTransactionConfig};
use solana_rpc_client_api::request::{RpcError, RpcResponseErrorData};
use solana_signer::Signer;
use solana_transaction::Transaction;
use solana_transaction_error::TransactionError;
use tasknet::instructions::SubmissionPayload;
use tasknet::state::{Submission, Task};
use tasknet_sdk::amount::LAMPORTS_PER_SOL as SOL;
use tasknet_sdk::chain::{ChainClient, SendConfig};
use tasknet_sdk::{self as sdk, pda};
use tasknet_testkit::open_plain_task;

#[tokio::test]
async fn cluster_basics() {
    let net = localnet(20).await;
    let rpc = rpc(&net);
    let version = rpc.get_version().await.unwrap();
    assert_eq!(version.solana_core, tasknet_localnet::SVM_VERSION);
    rpc.get_health().await.unwrap();

    let first = rpc.get_slot().await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let later = rpc.get_slot().await.unwrap();
    assert!(
        later > first,
        "slots advance in real time ({first} -> {later})"
    );

    let epoch = rpc.get_epoch_info().await.unwrap();
    assert!(epoch.absolute_slot >= later);
    assert!(epoch.slots_in_epoch > 0 && epoch.slot_index < epoch.slots_in_epoch);

    let (blockhash, last_valid) = rpc
        .get_latest_blockhash_with_commitment(CommitmentConfig::confirmed())
        .await
        .unwrap();
    assert!(last_valid > rpc.get_block_height().await.unwrap());
    assert!(rpc
        .is_blockhash_valid(&blockhash, CommitmentConfig::confirmed())
        .await
        .unwrap());
    assert!(!rpc
        .is_blockhash_valid(&Hash::new_unique(), CommitmentConfig::confirmed())
        .await
        .unwrap());

    let rent = rpc
        .get_minimum_balance_for_rent_exemption(100)
        .await
        .unwrap();
    assert_eq!(rent, 1_586_880, "the bank's rent for 100 bytes");

    let payer = funded(&rpc, SOL).await;
    let message = solana_message::Message::new_with_blockhash(
        &[system_instruction::transfer(
            &payer.pubkey(),
            &Pubkey::new_unique(),
            1,
        )],
        Some(&payer.pubkey()),
        &blockhash,
    );
    assert_eq!(rpc.get_fee_for_message(&message).await.unwrap(), 5_000);
    let stale = solana_message::Message::new_with_blockhash(
        &[system_instruction::transfer(
            &payer.pubkey(),
            &Pubkey::new_unique(),
            1,
        )],
        Some(&payer.pubkey()),
        &Hash::new_unique(),
    );
    assert!(
        rpc.get_fee_for_message(&stale).await.is_err(),
        "unknown blockhash has no fee"
    );

    // Unknown method: JSON-RPC's "method not found".
    let e = rpc
        .send::<serde_json::Value>(
            solana_rpc_client_api::request::RpcRequest::Custom {
                method: "getNothing",
            },
            serde_json::json!([]),
        )
        .await
        .unwrap_err();
    assert_eq!(rpc_error_code(&e), -32601);
    net.stop().await;
}

#[tokio::test]
async fn balances_airdrops_and_accounts() {
    let net = localnet(20).await;
    let rpc = rpc(&net);
    let unknown = Pubkey::new_unique();
    assert_eq!(rpc.get_balance(&unknown).await.unwrap(), 0);
    let account = rpc
        .get_account_with_commitment(&unknown, CommitmentConfig::confirmed())
        .await
        .unwrap();
    assert!(account.value.is_none());
    assert!(
        rpc.get_account(&unknown).await.is_err(),
        "get_account reports a missing account"
    );

    let who = funded(&rpc, 3 * SOL).await;
    assert_eq!(rpc.get_balance(&who.pubkey()).await.unwrap(), 3 * SOL);
    let info = rpc.get_account(&who.pubkey()).await.unwrap();
    assert_eq!(info.lamports, 3 * SOL);
    assert_eq!(info.owner, anchor_lang::system_program::ID);

    let many = rpc
        .get_multiple_accounts(&[who.pubkey(), unknown])
        .await
        .unwrap();
    assert_eq!(many[0].as_ref().map(|a| a.lamports), Some(3 * SOL));
    assert!(many[1].is_none());

    // A malformed key is an invalid-params error.
    let e = rpc
        .send::<serde_json::Value>(
            solana_rpc_client_api::request::RpcRequest::GetBalance,
            serde_json::json!(["not-a-key"]),
        )
        .await
        .unwrap_err();
    assert_eq!(rpc_error_code(&e), -32602);
    net.stop().await;
}

#[tokio::test]
async fn transactions_statuses_and_program_accounts() {
    let net = localnet(20).await;
    let rpc = rpc(&net);
    let chain = ChainClient::new(&net.url, SendConfig::default());
    let creator = funded(&rpc, 10 * SOL).await;
    let task = pda::task(&creator.pubkey(), 1);

    // Simulation reports the program error without sending.
    let bad = sdk::fund_task(&creator.pubkey(), &task, 1);
    let (blockhash, _) = rpc
        .get_latest_blockhash_with_commitment(CommitmentConfig::confirmed())
        .await
        .unwrap();
    let tx =
        Transaction::new_signed_with_payer(&[bad], Some(&creator.pubkey()), &[&creator], blockhash);
    let sim = rpc
        .simulate_transaction_with_config(&tx, RpcSimulateTransactionConfig::default())
        .await
        .unwrap()
        .value;
    assert!(matches!(
        sim.err.map(TransactionError::from),
        Some(TransactionError::InstructionError(0, _))
    ));
    assert!(sim.units_consumed.unwrap() > 0);

    // sendTransaction with preflight: a failing transaction is refused with
    // Solana's preflight-failure shape, carrying the simulation.
    let e = rpc.send_transaction(&tx).await.unwrap_err();
    assert_eq!(rpc_error_code(&e), -32002);
    match e.kind() {
        ErrorKind::RpcError(RpcError::RpcResponseError {
            data: RpcResponseErrorData::SendTransactionPreflightFailure(sim),
            ..
        }) => assert!(sim.err.is_some()),
        other => panic!("{other:?}"),
    }
    // The chain client names the program error.
    let e = chain
        .send(
            &[sdk::fund_task(&creator.pubkey(), &task, 1)],
            &creator,
            &[],
        )
        .await
        .unwrap_err();
    let error = e.program_error().expect("a program error");
    assert!(
        error.is_anchor(anchor_lang::error::ErrorCode::AccountNotInitialized),
        "{e}"
    );
    assert_eq!(error.name, "AccountNotInitialized");

    // A real transaction, its status and its logs.
    // Round 0 starts after the nodes below have staked.
    // 5 s at 20 ms slots: room for three airdrops and stakes on a loaded
    // two-core machine (1.2 s was not always enough).
    let start = rpc.get_slot().await.unwrap() + 250;
    let signature = chain
        .send(
            &[sdk::create_task(
                &creator.pubkey(),
                open_plain_task(1, start),
            )],
            &creator,
            &[],
        )
        .await
        .unwrap();
    let statuses = rpc
        .get_signature_statuses(&[signature, solana_signature::Signature::default()])
        .await
        .unwrap()
        .value;
    assert!(statuses[0].as_ref().unwrap().err.is_none());
    assert!(statuses[1].is_none());
    // History answers at confirmed or finalized only; the deprecated
    // encoding-only form means finalized, which this transaction is not yet.
    let base64 = solana_transaction_status_client_types::UiTransactionEncoding::Base64;
    assert!(rpc.get_transaction(&signature, base64).await.is_err());
    let fetched = rpc
        .get_transaction_with_config(
            &signature,
            solana_rpc_client_api::config::RpcTransactionConfig {
                encoding: Some(base64),
                commitment: Some(CommitmentConfig::confirmed()),
                max_supported_transaction_version: None,
            },
        )
        .await
        .unwrap();
    let meta = fetched.transaction.meta.unwrap();
    let logs: Option<Vec<String>> = meta.log_messages.into();
    assert!(
        logs.unwrap().iter().any(|l| l.contains("Program data: ")),
        "events are in the logs"
    );
    assert_eq!(
        fetched.transaction.transaction.decode().unwrap().signatures[0],
        signature
    );
    let t: Task = chain.account(&task).await.unwrap().unwrap();
    assert_eq!(t.name, open_plain_task(1, start).name);
    // getSignaturesForAddress: newest first, including the airdrop.
    let history = rpc
        .get_signatures_for_address_with_config(
            &creator.pubkey(),
            solana_rpc_client::rpc_client::GetConfirmedSignaturesForAddress2Config {
                commitment: Some(CommitmentConfig::confirmed()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(history.len(), 2, "{history:?}");
    assert_eq!(history[0].signature, signature.to_string());
    assert!(history.iter().all(|h| h.err.is_none()));

    // getProgramAccounts with dataSize and memcmp filters.
    chain
        .send(
            &[sdk::fund_task(&creator.pubkey(), &task, SOL)],
            &creator,
            &[],
        )
        .await
        .unwrap();
    let mut nodes = Vec::new();
    for _ in 0..3 {
        let node = funded(&rpc, 2 * SOL).await;
        chain
            .send(&[sdk::stake(&node.pubkey(), &task, SOL, None)], &node, &[])
            .await
            .unwrap();
        nodes.push(node);
    }
    tasknet_testkit::wait_for_slot(&chain, start).await;
    for (i, node) in nodes.iter().enumerate() {
        let payload = SubmissionPayload::Value(node.pubkey().to_bytes().to_vec());
        let ixs = sdk::submit_opening(&node.pubkey(), &task, 0, payload, i > 0);
        chain.send(&ixs, node, &[]).await.unwrap();
    }
    let round0 = chain
        .program_accounts::<Submission>(&[
            (Submission::TASK_OFFSET, task.to_bytes().to_vec()),
            (Submission::ROUND_OFFSET, 0u64.to_le_bytes().to_vec()),
        ])
        .await
        .unwrap();
    assert_eq!(round0.len(), 3);
    let round1 = chain
        .program_accounts::<Submission>(&[
            (Submission::TASK_OFFSET, task.to_bytes().to_vec()),
            (Submission::ROUND_OFFSET, 1u64.to_le_bytes().to_vec()),
        ])
        .await
        .unwrap();
    assert!(round1.is_empty());
    let tasks = chain.program_accounts::<Task>(&[]).await.unwrap();
    assert_eq!(tasks.len(), 1);
    net.stop().await;
}

#[tokio::test]
async fn bad_transactions_are_refused() {
    let net = localnet(10).await;
    let rpc = rpc(&net);
    let payer = funded(&rpc, SOL).await;

    // Not a transaction at all.
    let e = rpc
        .send::<serde_json::Value>(
            solana_rpc_client_api::request::RpcRequest::SendTransaction,
            serde_json::json!(["AAAA", {"encoding": "base64"}]),
        )
        .await
        .unwrap_err();
    assert_eq!(rpc_error_code(&e), -32602);

    // A tampered signature.
    let (blockhash, _) = rpc
        .get_latest_blockhash_with_commitment(CommitmentConfig::confirmed())
        .await
        .unwrap();
    let ix = system_instruction::transfer(&payer.pubkey(), &Pubkey::new_unique(), 1);
    let mut tx = Transaction::new_signed_with_payer(
        std::slice::from_ref(&ix),
        Some(&payer.pubkey()),
        &[&payer],
        blockhash,
    );
    tx.signatures[0] = solana_signature::Signature::from([7u8; 64]);
    // As on a validator: the preflight fails it...
    let e = rpc.send_transaction(&tx).await.unwrap_err();
    assert_eq!(rpc_error_code(&e), -32002);
    assert_eq!(
        e.get_transaction_error(),
        Some(TransactionError::SignatureFailure)
    );
    // ...and without a preflight it is accepted and silently dropped.
    let dropped = rpc
        .send_transaction_with_config(
            &tx,
            RpcSendTransactionConfig {
                skip_preflight: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let statuses = rpc
        .get_signature_statuses_with_history(&[dropped])
        .await
        .unwrap();
    assert_eq!(
        statuses.value,
        vec![None],
        "a forged transaction leaves no status"
    );

    // An expired blockhash: wait until the bank no longer knows it.
    let old =
        Transaction::new_signed_with_payer(&[ix], Some(&payer.pubkey()), &[&payer], blockhash);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while rpc
        .is_blockhash_valid(&blockhash, CommitmentConfig::confirmed())
        .await
        .unwrap()
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "blockhash never expired"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let e = rpc.send_transaction(&old).await.unwrap_err();
    assert_eq!(rpc_error_code(&e), -32002);
    assert_eq!(
        e.get_transaction_error(),
        Some(TransactionError::BlockhashNotFound)
    );
    net.stop().await;
}

/// A transaction whose blockhash the cluster does not know can never land:
/// the SDK says so at once (to sign anew), instead of waiting out a
/// lifetime its `lastValidBlockHeight` promises.
#[tokio::test]
async fn an_unknown_blockhash_is_given_up_at_once() {
    let net = localnet(20).await;
    let rpc = rpc(&net);
    let payer = funded(&rpc, SOL).await;
    let chain = ChainClient::new(&net.url, SendConfig::fast_polling());
    let transfer = system_instruction::transfer(&payer.pubkey(), &Pubkey::new_unique(), 1);
    let prepared = tasknet_sdk::chain::PreparedTx {
        transaction: Transaction::new_signed_with_payer(
            &[transfer],
            Some(&payer.pubkey()),
            &[&payer],
            Hash::new_unique(),
        ),
        // What a blockhash from before a chain restart may still promise.
        last_valid_block_height: u64::MAX,
    };
    let outcome = tokio::time::timeout(Duration::from_secs(30), chain.submit(&prepared))
        .await
        .expect("given up without waiting for a lifetime")
        .unwrap();
    assert!(
        matches!(outcome, tasknet_sdk::chain::Outcome::Expired),
        "{outcome:?}"
    );
    net.stop().await;
}
