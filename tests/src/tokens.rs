//! Mints and token accounts for the token-task tests, made with the real
//! SPL Token and Token-2022 programs each runtime ships (program-test's
//! bank and LiteSVM both load them), by their own instructions.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::solana_program::system_instruction;
use anchor_spl::token_2022::spl_token_2022::extension::{
    confidential_transfer, default_account_state, metadata_pointer, transfer_fee, transfer_hook,
    ExtensionType,
};
use anchor_spl::token_2022::spl_token_2022::instruction as token_ix;
use anchor_spl::token_2022::spl_token_2022::state::{AccountState, Mint};
use solana_keypair::Keypair;
use solana_signer::Signer;
use tasknet_sdk::tokens::{TokenAsset, TOKEN_2022_PROGRAM_ID, TOKEN_PROGRAM_ID};

use crate::Harness;

/// Decimals of the tests' mints (a stablecoin's).
pub const DECIMALS: u8 = 6;

/// A Token-2022 mint extension the tests can put on a mint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Extension {
    /// Accepted: it only tells wallets where metadata lives.
    MetadataPointer,
    TransferHook,
    PermanentDelegate,
    NonTransferable,
    DefaultFrozen,
    ConfidentialTransfers,
    TransferFee,
}

impl Extension {
    fn kind(self) -> ExtensionType {
        match self {
            Self::MetadataPointer => ExtensionType::MetadataPointer,
            Self::TransferHook => ExtensionType::TransferHook,
            Self::PermanentDelegate => ExtensionType::PermanentDelegate,
            Self::NonTransferable => ExtensionType::NonTransferable,
            Self::DefaultFrozen => ExtensionType::DefaultAccountState,
            Self::ConfidentialTransfers => ExtensionType::ConfidentialTransferMint,
            Self::TransferFee => ExtensionType::TransferFeeConfig,
        }
    }

    /// The instruction that initializes it on `mint` (before the mint).
    fn initialize(self, mint: &Pubkey, authority: &Pubkey) -> Instruction {
        let program = &TOKEN_2022_PROGRAM_ID;
        match self {
            Self::MetadataPointer => {
                metadata_pointer::instruction::initialize(program, mint, None, Some(*mint))
            }
            Self::TransferHook => {
                transfer_hook::instruction::initialize(program, mint, None, Some(*authority))
            }
            Self::PermanentDelegate => {
                token_ix::initialize_permanent_delegate(program, mint, authority)
            }
            Self::NonTransferable => token_ix::initialize_non_transferable_mint(program, mint),
            Self::DefaultFrozen => {
                default_account_state::instruction::initialize_default_account_state(
                    program,
                    mint,
                    &AccountState::Frozen,
                )
            }
            Self::ConfidentialTransfers => {
                confidential_transfer::instruction::initialize_mint(program, mint, None, true, None)
            }
            Self::TransferFee => transfer_fee::instruction::initialize_transfer_fee_config(
                program,
                mint,
                Some(authority),
                Some(authority),
                100,
                1_000_000,
            ),
        }
        .expect("a Token-2022 extension instruction")
    }
}

/// What mint to make.
#[derive(Clone, Debug)]
pub struct MintSpec {
    pub token_2022: bool,
    pub extensions: Vec<Extension>,
    pub freeze_authority: bool,
}

impl MintSpec {
    /// A plain SPL Token mint.
    pub fn classic() -> Self {
        Self {
            token_2022: false,
            extensions: Vec::new(),
            freeze_authority: false,
        }
    }

    /// A Token-2022 mint with an accepted extension (a metadata pointer).
    pub fn token_2022() -> Self {
        Self::with(Extension::MetadataPointer)
    }

    /// A Token-2022 mint with `extension`.
    pub fn with(extension: Extension) -> Self {
        Self {
            token_2022: true,
            extensions: vec![extension],
            freeze_authority: extension == Extension::DefaultFrozen,
        }
    }
}

impl Harness {
    /// A new mint, its authority (and freeze authority, if any) the
    /// harness payer.
    pub async fn create_mint(&mut self, spec: &MintSpec) -> TokenAsset {
        let mint = self.next_keypair();
        let program = if spec.token_2022 {
            TOKEN_2022_PROGRAM_ID
        } else {
            TOKEN_PROGRAM_ID
        };
        let kinds: Vec<ExtensionType> = spec.extensions.iter().map(|e| e.kind()).collect();
        let space = ExtensionType::try_calculate_account_len::<Mint>(&kinds).expect("mint size");
        let rent = self.rent_for(space).await;
        let payer = self.payer();
        let mut instructions = vec![system_instruction::create_account(
            &payer,
            &mint.pubkey(),
            rent,
            space as u64,
            &program,
        )];
        for extension in &spec.extensions {
            instructions.push(extension.initialize(&mint.pubkey(), &payer));
        }
        let freeze = spec.freeze_authority.then_some(payer);
        instructions.push(
            token_ix::initialize_mint2(&program, &mint.pubkey(), &payer, freeze.as_ref(), DECIMALS)
                .expect("initialize_mint2"),
        );
        self.send(&instructions, &[&mint]).await.ok();
        TokenAsset::new(mint.pubkey(), program)
    }

    /// Mints `amount` into `owner`'s associated token account (created if
    /// missing); returns that account.
    pub async fn mint_to(&mut self, asset: &TokenAsset, owner: &Pubkey, amount: u64) -> Pubkey {
        let account = asset.ata(owner);
        self.mint_into(asset, &account, Some(owner), amount).await;
        account
    }

    /// Mints `amount` straight into `account` (any token account of the
    /// mint, the task's own included: what a mint authority can always
    /// do); creates it first as `owner`'s associated account when given.
    pub async fn mint_into(
        &mut self,
        asset: &TokenAsset,
        account: &Pubkey,
        owner: Option<&Pubkey>,
        amount: u64,
    ) {
        let payer = self.payer();
        let mut instructions = Vec::new();
        if let Some(owner) = owner {
            instructions.push(asset.create_ata(&payer, owner));
        }
        instructions.push(
            token_ix::mint_to(
                &asset.token_program,
                &asset.mint,
                account,
                &payer,
                &[],
                amount,
            )
            .expect("mint_to"),
        );
        self.send(&instructions, &[]).await.ok();
    }

    /// A token account's balance (0 when it does not exist). Both token
    /// programs keep it at the same offset.
    pub async fn token_balance(&mut self, account: &Pubkey) -> u64 {
        match self.raw_account(account).await {
            Some((_, data)) if data.len() >= 72 => {
                u64::from_le_bytes(data[64..72].try_into().expect("8 bytes"))
            }
            _ => 0,
        }
    }

    /// The next deterministic test key (see `test_keypair`).
    pub fn next_keypair(&mut self) -> Keypair {
        self.keys_made += 1;
        crate::test_keypair(self.keys_made)
    }
}
