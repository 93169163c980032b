//! The PubSub websocket of `tasknet localnet`, through the official
//! `solana-pubsub-client`: every subscription, its commitment handling and
//! its error cases.

mod common;

use common::{funded, localnet};
use std::time::Duration;

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::system_instruction;
use futures::StreamExt;
use solana_account_decoder_client_types::{UiAccountEncoding, UiDataSliceConfig};
use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use solana_pubsub_client::nonblocking::pubsub_client::PubsubClient;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_api::config::{
    RpcAccountInfoConfig, RpcProgramAccountsConfig, RpcSendTransactionConfig,
    RpcSignatureSubscribeConfig, RpcTransactionLogsConfig, RpcTransactionLogsFilter,
};
use solana_rpc_client_api::filter::{Memcmp, RpcFilterType};
use solana_rpc_client_api::response::RpcSignatureResult;
use solana_signer::Signer;
use solana_transaction::Transaction;
use tasknet::state::Task;
use tasknet_localnet::ROOT_DEPTH;
use tasknet_sdk::amount::LAMPORTS_PER_SOL as SOL;
use tasknet_sdk::{self as sdk, pda};
use tasknet_testkit::open_plain_task;

/// The next item of a subscription stream, within `secs`.
async fn next<T>(stream: &mut (impl futures::Stream<Item = T> + Unpin), secs: u64) -> T {
    tokio::time::timeout(Duration::from_secs(secs), stream.next())
        .await
        .expect("a notification in time")
        .expect("the stream is open")
}

fn transfer(
    rpc_blockhash: solana_hash::Hash,
    from: &Keypair,
    to: &Pubkey,
    lamports: u64,
) -> Transaction {
    Transaction::new_signed_with_payer(
        &[system_instruction::transfer(&from.pubkey(), to, lamports)],
        Some(&from.pubkey()),
        &[from],
        rpc_blockhash,
    )
}

#[tokio::test]
async fn the_websocket_is_on_the_next_port() {
    let net = localnet(20).await;
    assert_eq!(net.ws_addr.port(), net.addr.port() + 1);
    assert_eq!(
        net.ws_url,
        format!("ws://127.0.0.1:{}", net.addr.port() + 1)
    );
    net.stop().await;
}

#[tokio::test]
async fn slots_and_roots() {
    let net = localnet(10).await;
    let pubsub = PubsubClient::new(&net.ws_url).await.unwrap();
    let (mut slots, unsubscribe) = pubsub.slot_subscribe().await.unwrap();
    let first = next(&mut slots, 5).await;
    let second = next(&mut slots, 5).await;
    assert_eq!(second.slot, first.slot + 1, "one notification per slot");
    assert_eq!(second.parent, first.slot);
    assert_eq!(second.root, second.slot.saturating_sub(ROOT_DEPTH));
    unsubscribe().await;

    let (mut roots, unsubscribe) = pubsub.root_subscribe().await.unwrap();
    let root = next(&mut roots, 5).await;
    let later = next(&mut roots, 5).await;
    assert_eq!(later, root + 1, "the root moves one slot at a time");
    unsubscribe().await;
    net.stop().await;
}

#[tokio::test]
async fn signatures_at_each_commitment() {
    let net = localnet(20).await;
    let rpc = RpcClient::new_with_commitment(net.url.clone(), CommitmentConfig::confirmed());
    let pubsub = PubsubClient::new(&net.ws_url).await.unwrap();
    let payer = funded(&rpc, SOL).await;
    let blockhash = rpc.get_latest_blockhash().await.unwrap();
    let tx = transfer(blockhash, &payer, &Pubkey::new_unique(), 1_000_000);
    let signature = tx.signatures[0];

    let subscribe = |commitment: CommitmentConfig, received: bool| {
        let pubsub = &pubsub;
        async move {
            pubsub
                .signature_subscribe(
                    &signature,
                    Some(RpcSignatureSubscribeConfig {
                        commitment: Some(commitment),
                        enable_received_notification: Some(received),
                    }),
                )
                .await
                .unwrap()
        }
    };
    let (mut processed, _p) = subscribe(CommitmentConfig::processed(), true).await;
    let (mut confirmed, _c) = subscribe(CommitmentConfig::confirmed(), false).await;
    let (mut finalized, _f) = subscribe(CommitmentConfig::finalized(), false).await;
    rpc.send_transaction(&tx).await.unwrap();

    // `enableReceivedNotification` is accepted, but as on a validator
    // (which sends it only for votes arriving by gossip) the first and only
    // notification is the processed one.
    let at_processed = next(&mut processed, 5).await;
    let RpcSignatureResult::ProcessedSignature(result) = at_processed.value else {
        panic!("a processed-signature notification");
    };
    assert!(result.err.is_none());
    let at_confirmed = next(&mut confirmed, 5).await;
    let at_finalized = next(&mut finalized, 10).await;
    assert!(
        at_confirmed.context.slot >= at_processed.context.slot,
        "confirmed comes after processed"
    );
    assert!(
        at_finalized.context.slot >= at_processed.context.slot,
        "finalized comes after processed"
    );
    // The status agrees: finalized by now, with no error.
    let status = rpc
        .get_signature_statuses(&[signature])
        .await
        .unwrap()
        .value[0]
        .clone()
        .unwrap();
    assert_eq!(
        status.confirmation_status,
        Some(solana_transaction_status_client_types::TransactionConfirmationStatus::Finalized)
    );
    // One notification, then the subscription ends (as a validator's).
    assert!(
        tokio::time::timeout(Duration::from_millis(300), confirmed.next())
            .await
            .map_or(true, |n| n.is_none()),
        "no second notification"
    );

    // Subscribing after the fact answers at once.
    let (mut late, _l) = subscribe(CommitmentConfig::confirmed(), false).await;
    next(&mut late, 2).await;

    // A failed transaction's notification carries its error.
    let task = pda::task(&payer.pubkey(), 9);
    let bad = Transaction::new_signed_with_payer(
        &[sdk::fund_task(&payer.pubkey(), &task, 1)],
        Some(&payer.pubkey()),
        &[&payer],
        rpc.get_latest_blockhash().await.unwrap(),
    );
    let (mut failing, _x) = pubsub
        .signature_subscribe(&bad.signatures[0], None)
        .await
        .unwrap();
    rpc.send_transaction_with_config(
        &bad,
        RpcSendTransactionConfig {
            skip_preflight: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let RpcSignatureResult::ProcessedSignature(result) = next(&mut failing, 10).await.value else {
        panic!("a processed-signature notification");
    };
    assert!(result.err.is_some(), "the error is reported");
    net.stop().await;
}

#[tokio::test]
async fn accounts_and_programs() {
    let net = localnet(20).await;
    let rpc = RpcClient::new_with_commitment(net.url.clone(), CommitmentConfig::confirmed());
    let pubsub = PubsubClient::new(&net.ws_url).await.unwrap();
    let creator = funded(&rpc, 10 * SOL).await;

    // accountSubscribe: an airdrop to a new address, in base64 with a slice.
    let watched = Pubkey::new_unique();
    let (mut account, _a) = pubsub
        .account_subscribe(
            &watched,
            Some(RpcAccountInfoConfig {
                encoding: Some(UiAccountEncoding::Base64),
                commitment: Some(CommitmentConfig::confirmed()),
                ..Default::default()
            }),
        )
        .await
        .unwrap();
    rpc.request_airdrop(&watched, 3 * SOL).await.unwrap();
    let update = next(&mut account, 5).await;
    assert_eq!(update.value.lamports, 3 * SOL);
    assert_eq!(
        update.value.owner,
        anchor_lang::system_program::ID.to_string()
    );

    // programSubscribe with a filter: only Task accounts, data sliced.
    let task_discriminator = <Task as anchor_lang::Discriminator>::DISCRIMINATOR.to_vec();
    let (mut tasks, _t) = pubsub
        .program_subscribe(
            &tasknet::ID,
            Some(RpcProgramAccountsConfig {
                filters: Some(vec![RpcFilterType::Memcmp(Memcmp::new_raw_bytes(
                    0,
                    task_discriminator.clone(),
                ))]),
                account_config: RpcAccountInfoConfig {
                    encoding: Some(UiAccountEncoding::Base64),
                    data_slice: Some(UiDataSliceConfig {
                        offset: 0,
                        length: 8,
                    }),
                    commitment: Some(CommitmentConfig::processed()),
                    ..Default::default()
                },
                ..Default::default()
            }),
        )
        .await
        .unwrap();
    let chain = tasknet_sdk::chain::ChainClient::new(&net.url, Default::default());
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
    let keyed = next(&mut tasks, 5).await;
    assert_eq!(keyed.value.pubkey, task.to_string());
    let data = keyed.value.account.data.decode().unwrap();
    assert_eq!(data, task_discriminator, "the slice is the discriminator");
    net.stop().await;
}

#[tokio::test]
async fn logs_as_a_validator_writes_them() {
    let net = localnet(20).await;
    let rpc = RpcClient::new_with_commitment(net.url.clone(), CommitmentConfig::confirmed());
    let pubsub = PubsubClient::new(&net.ws_url).await.unwrap();
    let creator = funded(&rpc, 10 * SOL).await;
    let (mut logs, _l) = pubsub
        .logs_subscribe(
            RpcTransactionLogsFilter::Mentions(vec![tasknet::ID.to_string()]),
            RpcTransactionLogsConfig {
                commitment: Some(CommitmentConfig::confirmed()),
            },
        )
        .await
        .unwrap();
    let chain = tasknet_sdk::chain::ChainClient::new(&net.url, Default::default());
    let start = rpc.get_slot().await.unwrap() + 1_000;
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
    let notice = next(&mut logs, 5).await.value;
    assert_eq!(notice.signature, signature.to_string());
    assert!(notice.err.is_none());
    let program = tasknet::ID.to_string();
    let system = anchor_lang::system_program::ID.to_string();
    let lines = &notice.logs;
    let expect_in_order = [
        format!("Program {program} invoke [1]"),
        "Program log: Instruction: CreateTask".to_string(),
        format!("Program {system} invoke [2]"),
        format!("Program {system} success"),
    ];
    let mut at = 0;
    for wanted in &expect_in_order {
        at += lines[at..]
            .iter()
            .position(|l| l == wanted)
            .unwrap_or_else(|| panic!("{wanted:?} in order in {lines:#?}"));
    }
    let data = lines
        .iter()
        .find(|l| l.starts_with("Program data: "))
        .expect("the event, as Program data");
    assert!(
        !lines
            .iter()
            .any(|l| l.starts_with("Program log: Program data")),
        "{lines:#?}"
    );
    assert!(data.len() > "Program data: ".len());
    assert!(lines
        .iter()
        .any(|l| l.starts_with(&format!("Program {program} consumed "))));
    assert_eq!(lines.last().unwrap(), &format!("Program {program} success"));
    let mut unique = lines.clone();
    unique.dedup();
    assert_eq!(&unique, lines, "no line is written twice");

    // A failing instruction: Anchor's error lines, then `failed`.
    let task = pda::task(&creator.pubkey(), 1);
    let bad = Transaction::new_signed_with_payer(
        &[sdk::fund_task(&creator.pubkey(), &task, 0)],
        Some(&creator.pubkey()),
        &[&creator],
        rpc.get_latest_blockhash().await.unwrap(),
    );
    rpc.send_transaction_with_config(
        &bad,
        RpcSendTransactionConfig {
            skip_preflight: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let notice = next(&mut logs, 5).await.value;
    assert_eq!(notice.signature, bad.signatures[0].to_string());
    assert!(notice.err.is_some());
    assert!(
        notice
            .logs
            .iter()
            .any(|l| l.starts_with("Program log: AnchorError") && l.contains("Error Code: ")),
        "{:#?}",
        notice.logs
    );
    assert!(notice.logs.last().unwrap().starts_with(&format!(
        "Program {program} failed: custom program error: 0x"
    )));
    net.stop().await;
}

#[tokio::test]
async fn bad_subscriptions_are_refused() {
    let net = localnet(20).await;
    let pubsub = PubsubClient::new(&net.ws_url).await.unwrap();
    // Two addresses in `mentions`: a validator takes one.
    let e = pubsub
        .logs_subscribe(
            RpcTransactionLogsFilter::Mentions(vec![
                Pubkey::new_unique().to_string(),
                Pubkey::new_unique().to_string(),
            ]),
            RpcTransactionLogsConfig { commitment: None },
        )
        .await
        .err()
        .expect("refused");
    assert!(e.to_string().contains("Only 1 address supported"), "{e}");
    // base58 of a large account is refused up front.
    let e = pubsub
        .program_subscribe(
            &tasknet::ID,
            Some(RpcProgramAccountsConfig {
                filters: Some(vec![RpcFilterType::DataSize(0); 5]),
                ..Default::default()
            }),
        )
        .await
        .err()
        .expect("refused");
    assert!(e.to_string().contains("Too many filters"), "{e}");
    // The connection survives refusals.
    let (mut slots, _s) = pubsub.slot_subscribe().await.unwrap();
    next(&mut slots, 5).await;
    net.stop().await;
}
