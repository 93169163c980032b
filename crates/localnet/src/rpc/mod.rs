//! The chain's two faces: JSON-RPC over HTTP (`http`) and the PubSub
//! websocket (`crate::pubsub`), which share the parameter and encoding
//! rules here.

mod http;
mod tokens;

pub(crate) use http::{
    check_filters, config, encode_account, encode_account_with, filters_allow, pubkey_param,
    router, signature_param, ui_error, RpcError,
};
pub(crate) use tokens::additional_data as token_additional_data;
