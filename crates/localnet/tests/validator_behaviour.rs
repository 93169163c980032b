//! What makes `tasknet localnet` answer like a validator, through the
//! official `RpcClient` and plain HTTP: blockhash lifetimes, statuses that
//! are never lost, transaction and block encodings, history paging, and
//! the HTTP surface (health, CORS, errors).

mod common;

use common::{confirmed, funded, localnet, rpc, rpc_error_code as code};
use std::time::Duration;

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::system_instruction;
use serde_json::{json, Value};
use solana_commitment_config::CommitmentConfig;
use solana_hash::Hash;
use solana_message::{v0, VersionedMessage};
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client::rpc_client::GetConfirmedSignaturesForAddress2Config;
use solana_rpc_client_api::config::{
    RpcAccountInfoConfig, RpcBlockConfig, RpcContextConfig, RpcSendTransactionConfig,
    RpcTransactionConfig,
};
use solana_signer::Signer;
use solana_transaction::versioned::VersionedTransaction;
use solana_transaction::Transaction;
use solana_transaction_status_client_types::{
    EncodedTransaction, TransactionDetails, UiInstruction, UiMessage, UiParsedInstruction,
    UiTransactionEncoding,
};
use tasknet_localnet::MAX_PROCESSING_AGE;
use tasknet_sdk::amount::LAMPORTS_PER_SOL as SOL;
use tasknet_sdk::chain::ChainClient;
use tasknet_sdk::{self as sdk, pda};
use tasknet_testkit::open_plain_task;

fn no_preflight() -> RpcSendTransactionConfig {
    RpcSendTransactionConfig {
        skip_preflight: true,
        ..Default::default()
    }
}

async fn wait_for_block_height(rpc: &RpcClient, height: u64) {
    while rpc
        .get_block_height_with_commitment(CommitmentConfig::processed())
        .await
        .unwrap()
        < height
    {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A blockhash is usable exactly until `lastValidBlockHeight`, and
/// `isBlockhashValid` agrees; a transaction that lands late is dropped and
/// leaves no status.
#[tokio::test]
async fn blockhashes_live_as_long_as_advertised() {
    let net = localnet(5).await;
    let rpc = rpc(&net);
    let payer = funded(&rpc, SOL).await;
    let processed = CommitmentConfig::processed();
    // Slots of 5 ms pass between calls: bracket the blockhash's height.
    let before = rpc
        .get_block_height_with_commitment(processed)
        .await
        .unwrap();
    let (blockhash, last_valid) = rpc
        .get_latest_blockhash_with_commitment(processed)
        .await
        .unwrap();
    let after = rpc
        .get_block_height_with_commitment(processed)
        .await
        .unwrap();
    assert!(
        (before..=after).contains(&(last_valid - MAX_PROCESSING_AGE)),
        "lastValidBlockHeight {last_valid} is not {MAX_PROCESSING_AGE} past a height in {before}..={after}"
    );

    // Well past the old 5-slot lifetime, a few blocks before the end.
    wait_for_block_height(&rpc, last_valid - 10).await;
    assert!(rpc.is_blockhash_valid(&blockhash, processed).await.unwrap());
    let late = Transaction::new_signed_with_payer(
        &[system_instruction::transfer(
            &payer.pubkey(),
            &Pubkey::new_unique(),
            1_000_000,
        )],
        Some(&payer.pubkey()),
        &[&payer],
        blockhash,
    );
    let signature = rpc.send_transaction(&late).await.unwrap();
    confirmed(&rpc, &signature).await;

    // After it: invalid, refused by preflight, dropped without it.
    wait_for_block_height(&rpc, last_valid + 1).await;
    assert!(!rpc.is_blockhash_valid(&blockhash, processed).await.unwrap());
    let expired = Transaction::new_signed_with_payer(
        &[system_instruction::transfer(
            &payer.pubkey(),
            &Pubkey::new_unique(),
            2_000_000,
        )],
        Some(&payer.pubkey()),
        &[&payer],
        blockhash,
    );
    let e = rpc.send_transaction(&expired).await.unwrap_err();
    assert_eq!(code(&e), -32002);
    assert!(e.to_string().contains("Blockhash not found"), "{e}");
    let dropped = rpc
        .send_transaction_with_config(&expired, no_preflight())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let status = rpc
        .get_signature_statuses_with_history(&[dropped])
        .await
        .unwrap()
        .value;
    assert!(status[0].is_none(), "a dropped transaction has no status");
    net.stop().await;
}

/// Every processed transaction keeps its status, failed ones their error.
#[tokio::test]
async fn statuses_are_never_lost() {
    let net = localnet(10).await;
    let rpc = rpc(&net);
    let payer = funded(&rpc, 10 * SOL).await;
    let mut signatures = Vec::new();
    for i in 0..40u64 {
        let blockhash = rpc.get_latest_blockhash().await.unwrap();
        let tx = Transaction::new_signed_with_payer(
            &[system_instruction::transfer(
                &payer.pubkey(),
                &Pubkey::new_unique(),
                1_000_000 + i,
            )],
            Some(&payer.pubkey()),
            &[&payer],
            blockhash,
        );
        signatures.push(
            rpc.send_transaction_with_config(&tx, no_preflight())
                .await
                .unwrap(),
        );
    }
    // One that fails in the program, sent without preflight: it lands,
    // pays its fee and keeps its error.
    let task = pda::task(&payer.pubkey(), 1);
    let bad = Transaction::new_signed_with_payer(
        &[sdk::fund_task(&payer.pubkey(), &task, 1)],
        Some(&payer.pubkey()),
        &[&payer],
        rpc.get_latest_blockhash().await.unwrap(),
    );
    let failed = rpc
        .send_transaction_with_config(&bad, no_preflight())
        .await
        .unwrap();
    signatures.push(failed);
    // Two slots later every one of them is confirmed.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let statuses = rpc
        .get_signature_statuses_with_history(&signatures)
        .await
        .unwrap()
        .value;
    for (signature, status) in signatures.iter().zip(&statuses) {
        let status = status
            .as_ref()
            .unwrap_or_else(|| panic!("{signature} has a status"));
        assert_eq!(status.err.is_some(), *signature == failed);
    }
    let tx = rpc
        .get_transaction_with_config(
            &failed,
            RpcTransactionConfig {
                encoding: Some(UiTransactionEncoding::Base64),
                commitment: Some(CommitmentConfig::confirmed()),
                max_supported_transaction_version: Some(0),
            },
        )
        .await
        .unwrap();
    let meta = tx.transaction.meta.unwrap();
    assert!(meta.err.is_some());
    assert_eq!(meta.fee, 5_000, "a failed transaction pays its fee");
    net.stop().await;
}

/// getTransaction in every encoding, with versions, inner instructions and
/// block time; v0 messages priced and executed.
#[tokio::test]
async fn transactions_in_every_encoding() {
    let net = localnet(10).await;
    let rpc = rpc(&net);
    let chain = ChainClient::new(&net.url, Default::default());
    let creator = funded(&rpc, 10 * SOL).await;
    let node = funded(&rpc, 10 * SOL).await;
    let task = pda::task(&creator.pubkey(), 1);
    let start = rpc.get_slot().await.unwrap() + 1_000;
    chain
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
    chain
        .send(
            &[sdk::fund_task(&creator.pubkey(), &task, SOL)],
            &creator,
            &[],
        )
        .await
        .unwrap();

    // A v0 transaction: priced by getFeeForMessage, then sent.
    let blockhash = rpc.get_latest_blockhash().await.unwrap();
    let message = v0::Message::try_compile(
        &node.pubkey(),
        &[sdk::stake(&node.pubkey(), &task, SOL, None)],
        &[],
        blockhash,
    )
    .unwrap();
    let fee = rpc.get_fee_for_message(&message).await.unwrap();
    assert_eq!(fee, 5_000);
    let message = VersionedMessage::V0(message);
    let stake = VersionedTransaction::try_new(message, &[&node]).unwrap();
    let signature = rpc.send_transaction(&stake).await.unwrap();
    confirmed(&rpc, &signature).await;

    let config = |encoding, version| RpcTransactionConfig {
        encoding: Some(encoding),
        commitment: Some(CommitmentConfig::confirmed()),
        max_supported_transaction_version: version,
    };
    // Without maxSupportedTransactionVersion a v0 transaction is refused.
    let e = rpc
        .get_transaction_with_config(&signature, config(UiTransactionEncoding::Json, None))
        .await
        .unwrap_err();
    assert_eq!(code(&e), -32015);

    for encoding in [
        UiTransactionEncoding::Json,
        UiTransactionEncoding::JsonParsed,
        UiTransactionEncoding::Base64,
        UiTransactionEncoding::Base58,
    ] {
        let tx = rpc
            .get_transaction_with_config(&signature, config(encoding, Some(0)))
            .await
            .unwrap_or_else(|e| panic!("{encoding:?}: {e}"));
        assert!(tx.block_time.is_some(), "{encoding:?}: blockTime");
        assert_eq!(
            tx.transaction.version,
            Some(solana_transaction::versioned::TransactionVersion::Number(0))
        );
        match (&tx.transaction.transaction, encoding) {
            (EncodedTransaction::Json(ui), UiTransactionEncoding::Json) => {
                assert!(matches!(ui.message, UiMessage::Raw(_)));
                assert_eq!(ui.signatures[0], signature.to_string());
            }
            (EncodedTransaction::Json(ui), UiTransactionEncoding::JsonParsed) => {
                assert!(matches!(ui.message, UiMessage::Parsed(_)));
            }
            (EncodedTransaction::Binary(_, _), _) => {
                let decoded = tx.transaction.transaction.decode().unwrap();
                assert_eq!(decoded.signatures[0], signature);
            }
            (other, _) => panic!("{encoding:?} gave {other:?}"),
        }
        let meta = tx.transaction.meta.clone().unwrap();
        let inner: Option<Vec<_>> = meta.inner_instructions.into();
        let inner = inner.expect("innerInstructions");
        assert!(
            !inner.is_empty(),
            "stake's transfer is an inner instruction"
        );
        if encoding == UiTransactionEncoding::JsonParsed {
            let parsed = inner[0].instructions.iter().any(|i| {
                matches!(i, UiInstruction::Parsed(UiParsedInstruction::Parsed(p)) if p.program == "system")
            });
            assert!(parsed, "the system transfer is parsed: {inner:?}");
        }
    }
    net.stop().await;
}

/// getSignaturesForAddress pages with before / until / limit; history
/// methods refuse `processed`; minContextSlot and dataSlice are honoured.
#[tokio::test]
async fn history_paging_and_context() {
    let net = localnet(10).await;
    let rpc = rpc(&net);
    let payer = funded(&rpc, 10 * SOL).await;
    let target = Pubkey::new_unique();
    let mut sent = Vec::new();
    for i in 0..6u64 {
        let tx = Transaction::new_signed_with_payer(
            &[system_instruction::transfer(
                &payer.pubkey(),
                &target,
                SOL / 100 + i,
            )],
            Some(&payer.pubkey()),
            &[&payer],
            rpc.get_latest_blockhash().await.unwrap(),
        );
        let signature = rpc.send_transaction(&tx).await.unwrap();
        confirmed(&rpc, &signature).await;
        sent.push(signature.to_string());
    }
    let page = |before: Option<&str>, until: Option<&str>, limit| {
        let rpc = &rpc;
        let config = GetConfirmedSignaturesForAddress2Config {
            before: before.map(|s| s.parse().unwrap()),
            until: until.map(|s| s.parse().unwrap()),
            limit,
            commitment: Some(CommitmentConfig::confirmed()),
        };
        async move {
            rpc.get_signatures_for_address_with_config(&target, config)
                .await
                .unwrap()
                .into_iter()
                .map(|s| s.signature)
                .collect::<Vec<_>>()
        }
    };
    let newest_first: Vec<String> = sent.iter().rev().cloned().collect();
    assert_eq!(page(None, None, None).await, newest_first);
    assert_eq!(page(None, None, Some(2)).await, newest_first[..2]);
    assert_eq!(
        page(Some(&newest_first[1]), None, Some(2)).await,
        newest_first[2..4]
    );
    assert_eq!(
        page(None, Some(&newest_first[3]), None).await,
        newest_first[..3]
    );
    let e = rpc
        .get_signatures_for_address_with_config(
            &target,
            GetConfirmedSignaturesForAddress2Config {
                limit: Some(1_001),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(code(&e), -32602);
    let e = rpc
        .get_signatures_for_address_with_config(
            &target,
            GetConfirmedSignaturesForAddress2Config {
                commitment: Some(CommitmentConfig::processed()),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("below `confirmed`"), "{e}");

    // minContextSlot beyond the chain: the validator's error and data.
    let far = rpc.get_slot().await.unwrap() + 10_000;
    let e = rpc
        .send::<u64>(
            solana_rpc_client_api::request::RpcRequest::GetSlot,
            json!([RpcContextConfig {
                commitment: None,
                min_context_slot: Some(far),
            }]),
        )
        .await
        .unwrap_err();
    assert_eq!(code(&e), -32016);

    // dataSlice on the program account.
    let account = rpc
        .get_ui_account_with_config(
            &tasknet::ID,
            RpcAccountInfoConfig {
                encoding: Some(solana_account_decoder_client_types::UiAccountEncoding::Base64),
                data_slice: Some(solana_account_decoder_client_types::UiDataSliceConfig {
                    offset: 0,
                    length: 4,
                }),
                commitment: Some(CommitmentConfig::confirmed()),
                min_context_slot: None,
            },
        )
        .await
        .unwrap()
        .value
        .unwrap();
    assert_eq!(account.data.decode().unwrap().len(), 4);
    assert!(account.executable);
    net.stop().await;
}

/// Blocks, block times, the ledger's bounds, the epoch schedule and the
/// transaction count, as a validator reports them.
#[tokio::test]
async fn blocks_and_cluster_facts() {
    let net = localnet(10).await;
    let rpc = rpc(&net);
    let genesis = rpc.get_genesis_hash().await.unwrap();
    assert_ne!(genesis, Hash::default());
    assert_eq!(rpc.get_genesis_hash().await.unwrap(), genesis, "stable");
    // Past the first slots, so the block has grandparents to list.
    wait_for_block_height(&rpc, 3).await;
    let payer = funded(&rpc, SOL).await;
    let signature = rpc
        .send_transaction(&Transaction::new_signed_with_payer(
            &[system_instruction::transfer(
                &payer.pubkey(),
                &Pubkey::new_unique(),
                SOL / 10,
            )],
            Some(&payer.pubkey()),
            &[&payer],
            rpc.get_latest_blockhash().await.unwrap(),
        ))
        .await
        .unwrap();
    confirmed(&rpc, &signature).await;
    let slot = rpc
        .get_signature_statuses(&[signature])
        .await
        .unwrap()
        .value[0]
        .as_ref()
        .unwrap()
        .slot;
    let block = rpc
        .get_block_with_config(
            slot,
            RpcBlockConfig {
                encoding: Some(UiTransactionEncoding::Base64),
                transaction_details: Some(TransactionDetails::Signatures),
                rewards: Some(false),
                commitment: Some(CommitmentConfig::confirmed()),
                max_supported_transaction_version: Some(0),
            },
        )
        .await
        .unwrap();
    assert!(block.signatures.unwrap().contains(&signature.to_string()));
    assert_eq!(block.parent_slot, slot - 1);
    assert!(block.block_time.is_some());
    let parent = rpc
        .get_block_with_config(
            slot - 1,
            RpcBlockConfig {
                commitment: Some(CommitmentConfig::confirmed()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        block.previous_blockhash, parent.blockhash,
        "blocks chain up"
    );
    assert_eq!(
        rpc.get_block_time(slot).await.unwrap(),
        block.block_time.unwrap()
    );
    let future = rpc.get_slot().await.unwrap() + 1_000;
    assert_eq!(code(&rpc.get_block_time(future).await.unwrap_err()), -32004);
    let blocks = rpc
        .get_blocks_with_commitment(slot - 2, Some(slot), CommitmentConfig::confirmed())
        .await
        .unwrap();
    assert_eq!(blocks, vec![slot - 2, slot - 1, slot]);
    let limited = rpc
        .get_blocks_with_limit_and_commitment(slot - 2, 2, CommitmentConfig::confirmed())
        .await
        .unwrap();
    assert_eq!(limited, vec![slot - 2, slot - 1]);
    assert_eq!(rpc.get_first_available_block().await.unwrap(), 0);
    assert_eq!(rpc.minimum_ledger_slot().await.unwrap(), 0);
    let schedule = rpc.get_epoch_schedule().await.unwrap();
    assert!(schedule.slots_per_epoch > 0);
    let count = rpc
        .get_transaction_count_with_commitment(CommitmentConfig::confirmed())
        .await
        .unwrap();
    assert_eq!(count, 2, "the airdrop and the transfer");
    net.stop().await;
}

/// Plain HTTP: /health, CORS for browsers, and JSON-RPC errors for what is
/// not served.
#[tokio::test]
async fn http_surface() {
    let net = localnet(20).await;
    let http = reqwest::Client::new();
    let health = http
        .get(format!("{}/health", net.url))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await.unwrap(), "ok");

    let preflight = http
        .request(reqwest::Method::OPTIONS, &net.url)
        .header("Origin", "http://example.test")
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "content-type")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success());
    // As a validator does, the page's origin is echoed back.
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        "http://example.test"
    );

    let call = |body: Value| {
        let http = &http;
        let url = net.url.clone();
        async move {
            let response = http
                .post(url)
                .header("Origin", "http://example.test")
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(
                response.headers()["access-control-allow-origin"],
                "http://example.test"
            );
            response.json::<Value>().await.unwrap()
        }
    };
    let reply = call(json!({"jsonrpc": "2.0", "id": 1, "method": "getSlotLeaders"})).await;
    assert_eq!(reply["error"]["code"], -32601);
    let reply = call(
        json!({"jsonrpc": "2.0", "id": 2, "method": "getAccountInfo", "params": ["not-a-key"]}),
    )
    .await;
    assert_eq!(reply["error"]["code"], -32602);
    let reply = call(json!({"jsonrpc": "2.0", "id": 3, "method": "getBalance",
        "params": [Pubkey::new_unique().to_string(), {"commitment": "sometimes"}]}))
    .await;
    assert_eq!(
        reply["error"]["code"], -32602,
        "an unknown commitment is refused: {reply}"
    );
    let reply = call(json!({"jsonrpc": "2.0", "id": 4, "method": "getTransaction",
        "params": [solana_signature::Signature::default().to_string(), {"encoding": "json", "commitment": "processed"}]}))
    .await;
    assert_eq!(reply["error"]["code"], -32602);
    let reply = call(
        json!({"jsonrpc": "2.0", "id": 5, "method": "getTransaction",
        "params": [solana_signature::Signature::default().to_string(), {"encoding": "xml"}]}),
    )
    .await;
    assert_eq!(
        reply["error"]["code"], -32602,
        "an unknown encoding is refused: {reply}"
    );
    let reply = call(json!([
        {"jsonrpc": "2.0", "id": 6, "method": "getHealth"},
        {"jsonrpc": "2.0", "id": 7, "method": "getGenesisHash"}
    ]))
    .await;
    assert_eq!(reply[0]["result"], "ok");
    assert!(reply[1]["result"].is_string());
    net.stop().await;
}
