//! What every localnet test file needs: a chain on a free port pair, a
//! client at `confirmed`, funded keys, and the JSON-RPC error code.

#![allow(dead_code)] // each test file uses its own subset

use std::time::Duration;

use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_api::client_error::{Error as ClientError, ErrorKind};
use solana_rpc_client_api::request::RpcError;
use solana_signature::Signature;
use solana_signer::Signer;
use tasknet_localnet::{Localnet, LocalnetConfig};

pub async fn localnet(slot_ms: u64) -> Localnet {
    Localnet::start(LocalnetConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        slot_duration: Duration::from_millis(slot_ms),
    })
    .await
    .expect("localnet starts")
}

pub fn rpc(net: &Localnet) -> RpcClient {
    RpcClient::new_with_commitment(net.url.clone(), CommitmentConfig::confirmed())
}

/// Waits until `signature` is confirmed (the slot after it landed).
pub async fn confirmed(rpc: &RpcClient, signature: &Signature) {
    for _ in 0..500 {
        if rpc.confirm_transaction(signature).await.unwrap() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{signature} was not confirmed within 5 s");
}

/// A new keypair holding `lamports`, its airdrop confirmed.
pub async fn funded(rpc: &RpcClient, lamports: u64) -> Keypair {
    let keypair = Keypair::new();
    let signature = rpc
        .request_airdrop(&keypair.pubkey(), lamports)
        .await
        .unwrap();
    confirmed(rpc, &signature).await;
    keypair
}

pub fn rpc_error_code(e: &ClientError) -> i64 {
    match e.kind() {
        ErrorKind::RpcError(RpcError::RpcResponseError { code, .. }) => *code,
        other => panic!("expected a JSON-RPC error response, got {other:?}"),
    }
}
