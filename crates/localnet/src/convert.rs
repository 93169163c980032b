//! LiteSVM speaks the Solana 4.x types; the RPC layer and every client
//! speak 3.x. The byte layouts are the same, so each conversion is a copy.

use anchor_lang::prelude::Pubkey;
use solana_account::Account;
use solana_address::Address;
use solana_transaction::versioned::VersionedTransaction;
use solana_transaction_context::TransactionReturnData;

pub fn address(key: &Pubkey) -> Address {
    Address::new_from_array(key.to_bytes())
}

pub fn pubkey(address: &Address) -> Pubkey {
    Pubkey::new_from_array(address.to_bytes())
}

pub fn account(account: solana_account_v4::Account) -> Account {
    Account {
        lamports: account.lamports,
        data: account.data,
        owner: pubkey(&account.owner),
        executable: account.executable,
        rent_epoch: account.rent_epoch,
    }
}

pub fn shared_account(shared: &solana_account_v4::AccountSharedData) -> Account {
    account(solana_account_v4::Account::from(shared.clone()))
}

/// The wire format is one for both: re-read the bytes.
pub fn transaction_v4(
    tx: &VersionedTransaction,
) -> solana_transaction_v4::versioned::VersionedTransaction {
    let bytes = bincode::serialize(tx).expect("a transaction serializes");
    bincode::deserialize(&bytes).expect("both versions read the same wire format")
}

pub fn return_data(
    data: &solana_transaction_context_v4::transaction::TransactionReturnData,
) -> Option<TransactionReturnData> {
    (!data.data.is_empty()).then(|| TransactionReturnData {
        program_id: pubkey(&data.program_id),
        data: data.data.clone(),
    })
}
