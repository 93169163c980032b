// The Anchor TypeScript client (@anchor-lang/core, from npm) against a
// running `tasknet localnet`, as a dApp would use it: default `.rpc()`
// confirmation over the PubSub websocket, event listeners, EventParser on
// fetched logs, AnchorError for a rejected instruction, and account queries
// with filters. Run by crates/localnet/tests/anchor_ts.rs, which prepares a
// task with submissions and passes:
//   TASKNET_RPC_URL, TASKNET_IDL, TASKNET_SUBMISSIONS_TASK,
//   TASKNET_SUBMISSION_COUNT
// Prints one "ok: ..." line per check; exits non-zero on the first failure.

import { readFileSync } from "node:fs";
import anchor from "@anchor-lang/core";

const { AnchorProvider, Program, Wallet, BN, EventParser, AnchorError } = anchor;
const { Connection, Keypair, PublicKey, LAMPORTS_PER_SOL, SystemProgram } = anchor.web3;

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

function check(condition, what) {
  if (!condition) throw new Error(`failed: ${what}`);
  console.log(`ok: ${what}`);
}

function withTimeout(promise, ms, what) {
  return Promise.race([
    promise,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out: ${what}`)), ms)),
  ]);
}

const url = env("TASKNET_RPC_URL");
const idl = JSON.parse(readFileSync(env("TASKNET_IDL"), "utf8"));
const submissionsTask = new PublicKey(env("TASKNET_SUBMISSIONS_TASK"));
const submissionCount = Number(env("TASKNET_SUBMISSION_COUNT"));

// web3.js derives the websocket from the URL (port + 1), as for a validator.
const connection = new Connection(url, "confirmed");
const payer = Keypair.generate();
const provider = new AnchorProvider(connection, new Wallet(payer), {
  commitment: "confirmed",
  preflightCommitment: "confirmed",
});
const program = new Program(idl, provider);
check(program.programId.equals(new PublicKey(idl.address)), "the IDL loads into a Program");

const airdrop = await connection.requestAirdrop(payer.publicKey, 10 * LAMPORTS_PER_SOL);
const latest = await connection.getLatestBlockhash();
await withTimeout(
  connection.confirmTransaction({ signature: airdrop, ...latest }, "confirmed"),
  30_000,
  "airdrop confirmation"
);
check((await connection.getBalance(payer.publicKey)) === 10 * LAMPORTS_PER_SOL, "airdrop confirmed over the websocket");

// Events, as they happen.
const eventName = (name) =>
  idl.events.map((e) => e.name).find((n) => n.toLowerCase() === name.toLowerCase());
const heard = [];
const listeners = ["TaskCreated", "TaskFunded", "Staked"].map((name) => {
  const camel = name[0].toLowerCase() + name.slice(1);
  return program.addEventListener(camel, (event, slot, signature) => heard.push({ name, event, slot, signature }));
});

const taskId = new BN(7);
const [task] = PublicKey.findProgramAddressSync(
  [Buffer.from("task"), payer.publicKey.toBuffer(), taskId.toArrayLike(Buffer, "le", 8)],
  program.programId
);
const [vault] = PublicKey.findProgramAddressSync([Buffer.from("vault"), task.toBuffer()], program.programId);
// A SOL task's instructions pass null for the optional token accounts.
const noMint = { mint: null, tokenProgram: null, bountyTokens: null };
const noTokens = { funderTokens: null, bountyTokens: null, mint: null, tokenProgram: null };
const slot = await connection.getSlot();
const args = {
  taskId,
  name: "ts-client",
  metadataUri: "",
  codeHash: Array(32).fill(0),
  codeUri: "",
  codeLimits: { fuel: new BN(0), memoryMib: 0, deadlineMs: 0 },
  schedule: {
    startSlot: new BN(slot + 1_000_000),
    roundSlots: new BN(1_000_000),
    submitSlots: new BN(1_000_000),
    revealSlots: new BN(0),
    auditSlots: new BN(10),
    claimRounds: new BN(1),
  },
  economics: {
    rewardPerRound: new BN(1_000),
    minStake: new BN(1),
    challengeBond: new BN(1),
    slashBps: 5_000,
    challengerShareBps: 5_000,
    voteThresholdBps: 5_000,
    quorumBps: 1_000,
  },
  commitReveal: false,
  acceptFreezeAuthority: false,
  verifier: null,
};

// The default .rpc(): send, then confirm through a signature subscription.
const created = await withTimeout(
  program.methods
    .createTask(args)
    // A SOL task: its optional token accounts are null.
    .accountsPartial({ creator: payer.publicKey, task, vault, systemProgram: SystemProgram.programId, ...noMint })
    .rpc(),
  30_000,
  "createTask .rpc()"
);
check(typeof created === "string", "createTask confirmed by the default .rpc()");
const funded = await withTimeout(
  program.methods.fundTask(new BN(LAMPORTS_PER_SOL)).accountsPartial({ funder: payer.publicKey, task, vault, ...noTokens }).rpc(),
  30_000,
  "fundTask .rpc()"
);
check(typeof funded === "string", "fundTask confirmed by the default .rpc()");
const node = Keypair.generate();
const nodeAirdrop = await connection.requestAirdrop(node.publicKey, 2 * LAMPORTS_PER_SOL);
await withTimeout(
  connection.confirmTransaction({ signature: nodeAirdrop, ...(await connection.getLatestBlockhash()) }, "confirmed"),
  30_000,
  "node airdrop"
);
const [stake] = PublicKey.findProgramAddressSync(
  [Buffer.from("stake"), task.toBuffer(), node.publicKey.toBuffer()],
  program.programId
);
const staked = await withTimeout(
  program.methods
    .stake(new BN(LAMPORTS_PER_SOL), null)
    .accountsPartial({ node: node.publicKey, task, vault, stake })
    .signers([node])
    .rpc(),
  30_000,
  "stake .rpc()"
);
check(typeof staked === "string", "stake confirmed by the default .rpc()");

const account = await program.account.task.fetch(task);
check(account.name === "ts-client" && account.creator.equals(payer.publicKey), "the Task account decodes");
const stakeAccount = await program.account.stake.fetch(stake);
check(stakeAccount.node.equals(node.publicKey), "the Stake account decodes");

// The listeners heard all three events.
for (let i = 0; i < 100 && heard.length < 3; i++) await new Promise((r) => setTimeout(r, 50));
check(
  ["TaskCreated", "TaskFunded", "Staked"].every((n) => heard.some((h) => h.name === n)),
  `addEventListener received TaskCreated, TaskFunded and Staked (${heard.map((h) => h.name).join(", ")})`
);
check(heard.find((h) => h.name === "TaskCreated").signature === created, "the event carries its transaction's signature");
for (const id of listeners) await program.removeEventListener(id);

// EventParser over the logs of a fetched transaction.
const fetched = await connection.getTransaction(funded, { commitment: "confirmed", maxSupportedTransactionVersion: 0 });
const parsed = [...new EventParser(program.programId, program.coder).parseLogs(fetched.meta.logMessages)];
check(
  parsed.length === 1 && parsed[0].name.toLowerCase() === eventName("TaskFunded").toLowerCase(),
  "EventParser finds TaskFunded in the fetched logs"
);
check(parsed[0].data.amount.eq(new BN(LAMPORTS_PER_SOL)), "the parsed event's fields decode");

// A rejected instruction surfaces as an AnchorError with our error's name.
try {
  await program.methods.fundTask(new BN(0)).accountsPartial({ funder: payer.publicKey, task, vault, ...noTokens }).rpc();
  check(false, "funding 0 is rejected");
} catch (e) {
  check(e instanceof AnchorError, `funding 0 is an AnchorError (${e.constructor.name}: ${e.message})`);
  check(e.error.errorCode.code === "ZeroAmount" && e.error.errorCode.number === 6010, "its code is ZeroAmount (6010)");
}

// A token task: a mint of the SPL Token program made with web3.js alone
// (createAccount, InitializeMint2, the associated token account, MintTo),
// then createTask with the mint and fundTask in it, as a dApp would.
const TOKEN_PROGRAM = new PublicKey("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA");
const ATA_PROGRAM = new PublicKey("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL");
const mint = Keypair.generate();
const [payerTokens] = PublicKey.findProgramAddressSync(
  [payer.publicKey.toBuffer(), TOKEN_PROGRAM.toBuffer(), mint.publicKey.toBuffer()],
  ATA_PROGRAM
);
const u64le = (n) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
};
const mintSetup = new anchor.web3.Transaction().add(
  SystemProgram.createAccount({
    fromPubkey: payer.publicKey,
    newAccountPubkey: mint.publicKey,
    lamports: await connection.getMinimumBalanceForRentExemption(82),
    space: 82,
    programId: TOKEN_PROGRAM,
  }),
  new anchor.web3.TransactionInstruction({
    programId: TOKEN_PROGRAM,
    keys: [{ pubkey: mint.publicKey, isSigner: false, isWritable: true }],
    // InitializeMint2: 6 decimals, the payer mints, no freeze authority.
    data: Buffer.concat([Buffer.from([20, 6]), payer.publicKey.toBuffer(), Buffer.from([0])]),
  }),
  new anchor.web3.TransactionInstruction({
    programId: ATA_PROGRAM,
    keys: [
      { pubkey: payer.publicKey, isSigner: true, isWritable: true },
      { pubkey: payerTokens, isSigner: false, isWritable: true },
      { pubkey: payer.publicKey, isSigner: false, isWritable: false },
      { pubkey: mint.publicKey, isSigner: false, isWritable: false },
      { pubkey: SystemProgram.programId, isSigner: false, isWritable: false },
      { pubkey: TOKEN_PROGRAM, isSigner: false, isWritable: false },
    ],
    data: Buffer.from([1]), // CreateIdempotent
  }),
  new anchor.web3.TransactionInstruction({
    programId: TOKEN_PROGRAM,
    keys: [
      { pubkey: mint.publicKey, isSigner: false, isWritable: true },
      { pubkey: payerTokens, isSigner: false, isWritable: true },
      { pubkey: payer.publicKey, isSigner: true, isWritable: false },
    ],
    data: Buffer.concat([Buffer.from([7]), u64le(5_000_000)]), // MintTo 5 tokens
  })
);
await withTimeout(provider.sendAndConfirm(mintSetup, [mint]), 30_000, "mint setup");
const tokenTaskId = new BN(8);
const [tokenTask] = PublicKey.findProgramAddressSync(
  [Buffer.from("task"), payer.publicKey.toBuffer(), tokenTaskId.toArrayLike(Buffer, "le", 8)],
  program.programId
);
const [tokenVault] = PublicKey.findProgramAddressSync([Buffer.from("vault"), tokenTask.toBuffer()], program.programId);
const [bountyTokens] = PublicKey.findProgramAddressSync([Buffer.from("bounty"), tokenTask.toBuffer()], program.programId);
await withTimeout(
  program.methods
    .createTask({ ...args, taskId: tokenTaskId, name: "ts-token" })
    .accountsPartial({
      creator: payer.publicKey,
      task: tokenTask,
      vault: tokenVault,
      systemProgram: SystemProgram.programId,
      mint: mint.publicKey,
      tokenProgram: TOKEN_PROGRAM,
      bountyTokens,
    })
    .rpc(),
  30_000,
  "createTask with a mint"
);
await withTimeout(
  program.methods
    .fundTask(new BN(2_000_000))
    .accountsPartial({
      funder: payer.publicKey,
      task: tokenTask,
      vault: tokenVault,
      funderTokens: payerTokens,
      bountyTokens,
      mint: mint.publicKey,
      tokenProgram: TOKEN_PROGRAM,
    })
    .rpc(),
  30_000,
  "fundTask in the mint"
);
const tokenTaskAccount = await program.account.task.fetch(tokenTask);
check(
  tokenTaskAccount.rewardToken.mint.equals(mint.publicKey) && tokenTaskAccount.rewardToken.bounty.eq(new BN(2_000_000)),
  "the token task records its mint and its token bounty"
);
const held = await connection.getTokenAccountBalance(bountyTokens, "confirmed");
check(held.value.amount === "2000000" && held.value.uiAmountString === "2", "the bounty account holds the bounty (getTokenAccountBalance)");

// Account queries with filters, over getProgramAccounts.
const submissions = await program.account.submission.all([
  { memcmp: { offset: 8, bytes: submissionsTask.toBase58() } },
]);
check(submissions.length === submissionCount, `program.account.submission.all(filters) finds ${submissionCount}`);
check(submissions.every((s) => s.account.task.equals(submissionsTask)), "each submission names its task");
const none = await program.account.submission.all([{ memcmp: { offset: 8, bytes: task.toBase58() } }]);
check(none.length === 0, "a filter that matches nothing finds nothing");
const tasks = await program.account.task.all();
check(tasks.length === 3, "program.account.task.all() lists the three tasks");

console.log("all checks passed");
process.exit(0);
