//! The node's own state, in embedded SQLite: salts and values (a reveal must
//! survive a crash), audit verdicts, every transaction it signed (so a
//! restart resumes a transaction instead of signing a second one), and
//! earnings. The chain is the source of truth; this is what the chain cannot
//! tell the node.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

use anchor_lang::prelude::Pubkey;
use rusqlite::{params, Connection, OptionalExtension};

use crate::action::OutboxKey;

#[derive(Debug, thiserror::Error)]
#[error("node state database: {0}")]
pub struct StoreError(#[from] rusqlite::Error);

/// A transaction the node signed, by purpose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxEntry {
    pub id: i64,
    pub action: String,
    pub signature: String,
    pub tx: Vec<u8>,
    pub last_valid_block_height: u64,
    pub state: TxState,
}

/// The actions one transaction carried: (round, stored action key).
pub type CarriedActions = Vec<(u64, String)>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxState {
    Pending,
    Confirmed,
    Failed,
    Expired,
}

impl TxState {
    fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Confirmed => "confirmed",
            Self::Failed => "failed",
            Self::Expired => "expired",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "confirmed" => Self::Confirmed,
            "failed" => Self::Failed,
            "expired" => Self::Expired,
            _ => Self::Pending,
        }
    }
}

/// The value and salt of one of the node's own submissions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnSubmission {
    pub value: Vec<u8>,
    pub salt: [u8; 32],
}

/// Maps `SELECT id, action, signature, tx, last_valid, state FROM outbox`.
fn outbox_entry(row: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxEntry> {
    Ok(OutboxEntry {
        id: row.get(0)?,
        action: row.get(1)?,
        signature: row.get(2)?,
        tx: row.get(3)?,
        last_valid_block_height: row.get::<_, i64>(4)? as u64,
        state: TxState::parse(&row.get::<_, String>(5)?),
    })
}

pub struct Store {
    conn: Mutex<Connection>,
}

/// One claim's earning as the store keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Earning {
    pub task: Pubkey,
    pub round: u64,
    /// In the mint's smallest units, or lamports.
    pub amount: u64,
    /// The claim's transaction.
    pub signature: String,
    /// The mint a token task paid in; `None` for lamports.
    pub mint: Option<Pubkey>,
}

impl Store {
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path)?;
        // WAL: a killed process loses nothing it committed.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS submissions (
                 task TEXT NOT NULL, round INTEGER NOT NULL,
                 value BLOB NOT NULL, salt BLOB NOT NULL,
                 PRIMARY KEY (task, round));
             CREATE TABLE IF NOT EXISTS audits (
                 task TEXT NOT NULL, round INTEGER NOT NULL, node TEXT NOT NULL,
                 valid INTEGER NOT NULL,
                 PRIMARY KEY (task, round, node));
             CREATE TABLE IF NOT EXISTS rounds_done (
                 task TEXT NOT NULL, round INTEGER NOT NULL,
                 PRIMARY KEY (task, round));
             CREATE TABLE IF NOT EXISTS outbox (
                 id INTEGER PRIMARY KEY AUTOINCREMENT,
                 task TEXT NOT NULL, round INTEGER NOT NULL,
                 action TEXT NOT NULL, signature TEXT NOT NULL,
                 tx BLOB NOT NULL, last_valid INTEGER NOT NULL,
                 state TEXT NOT NULL);
             CREATE INDEX IF NOT EXISTS outbox_action ON outbox (task, round, action);
             CREATE INDEX IF NOT EXISTS outbox_signature ON outbox (signature);
             CREATE TABLE IF NOT EXISTS payloads (
                 hash BLOB PRIMARY KEY, data BLOB NOT NULL);
             CREATE TABLE IF NOT EXISTS meta (
                 key TEXT PRIMARY KEY, value TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS earnings (
                 task TEXT NOT NULL, round INTEGER NOT NULL,
                 amount INTEGER NOT NULL, signature TEXT NOT NULL,
                 PRIMARY KEY (task, round));",
        )?;
        // Token tasks (issue 20) record the mint an earning was paid in
        // ('' for lamports); a store from before gains the column.
        let has_mint = conn
            .prepare("SELECT 1 FROM pragma_table_info('earnings') WHERE name = 'mint'")?
            .exists([])?;
        if !has_mint {
            conn.execute_batch("ALTER TABLE earnings ADD COLUMN mint TEXT NOT NULL DEFAULT ''")?;
        }
        // The dashboard (issue 23): when each transaction was signed (0 in
        // a store from before), challenges of our submissions, slashes.
        let has_sent_at = conn
            .prepare("SELECT 1 FROM pragma_table_info('outbox') WHERE name = 'sent_at'")?
            .exists([])?;
        if !has_sent_at {
            conn.execute_batch(
                "ALTER TABLE outbox ADD COLUMN sent_at INTEGER NOT NULL DEFAULT 0;
                 ALTER TABLE outbox ADD COLUMN by_other INTEGER NOT NULL DEFAULT 0;",
            )?;
        }
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS challenges (
                 task TEXT NOT NULL, round INTEGER NOT NULL, audit TEXT NOT NULL,
                 challenger TEXT NOT NULL, verdict TEXT NOT NULL,
                 PRIMARY KEY (task, audit));
             CREATE TABLE IF NOT EXISTS slashes (
                 task TEXT NOT NULL, round INTEGER NOT NULL, amount INTEGER NOT NULL,
                 PRIMARY KEY (task, round));
             CREATE INDEX IF NOT EXISTS outbox_round ON outbox (task, round);",
        )?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn own_submission(
        &self,
        task: &Pubkey,
        round: u64,
    ) -> Result<Option<OwnSubmission>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT value, salt FROM submissions WHERE task = ?1 AND round = ?2",
                params![task.to_string(), round as i64],
                |row| {
                    let salt: Vec<u8> = row.get(1)?;
                    Ok(OwnSubmission {
                        value: row.get(0)?,
                        salt: salt.try_into().unwrap_or([0; 32]),
                    })
                },
            )
            .optional()?)
    }

    /// Records the value and salt before the commitment is sent.
    pub fn save_own_submission(
        &self,
        task: &Pubkey,
        round: u64,
        own: &OwnSubmission,
    ) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT OR IGNORE INTO submissions (task, round, value, salt) VALUES (?1, ?2, ?3, ?4)",
            params![task.to_string(), round as i64, own.value, own.salt.to_vec()],
        )?;
        Ok(())
    }

    /// Keeps one of the node's own payloads, by its sha256.
    pub fn save_payload(&self, hash: &[u8; 32], data: &[u8]) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT OR IGNORE INTO payloads (hash, data) VALUES (?1, ?2)",
            params![hash.to_vec(), data],
        )?;
        Ok(())
    }

    /// One of the node's own payloads; never anything else.
    pub fn payload(&self, hash: &[u8; 32]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT data FROM payloads WHERE hash = ?1",
                params![hash.to_vec()],
                |row| row.get(0),
            )
            .optional()?)
    }

    pub fn save_audit_verdict(
        &self,
        task: &Pubkey,
        round: u64,
        node: &Pubkey,
        valid: bool,
    ) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT OR REPLACE INTO audits (task, round, node, valid) VALUES (?1, ?2, ?3, ?4)",
            params![task.to_string(), round as i64, node.to_string(), valid],
        )?;
        Ok(())
    }

    /// The chain this database belongs to, `(genesis hash, program id)`,
    /// once recorded.
    pub fn chain(&self) -> Result<Option<(String, String)>, StoreError> {
        let conn = self.conn();
        let read = |key: &str| {
            conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |row| {
                row.get::<_, String>(0)
            })
            .optional()
        };
        Ok(read("genesis_hash")?.zip(read("program_id")?))
    }

    /// Records the chain this database belongs to.
    pub fn set_chain(&self, genesis_hash: &str, program_id: &Pubkey) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        for (key, value) in [
            ("genesis_hash", genesis_hash.to_string()),
            ("program_id", program_id.to_string()),
        ] {
            tx.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
                params![key, value],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn round_done(&self, task: &Pubkey, round: u64) -> Result<bool, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT 1 FROM rounds_done WHERE task = ?1 AND round = ?2",
                params![task.to_string(), round as i64],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    pub fn mark_round_done(&self, task: &Pubkey, round: u64) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT OR IGNORE INTO rounds_done (task, round) VALUES (?1, ?2)",
            params![task.to_string(), round as i64],
        )?;
        Ok(())
    }

    /// Our stored verdicts on a round's payloads, by submitter.
    pub fn audit_verdicts(
        &self,
        task: &Pubkey,
        round: u64,
    ) -> Result<HashMap<Pubkey, bool>, StoreError> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare("SELECT node, valid FROM audits WHERE task = ?1 AND round = ?2")?;
        let rows = stmt.query_map(params![task.to_string(), round as i64], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, bool>(1)?))
        })?;
        let mut verdicts = HashMap::new();
        for row in rows {
            let (node, valid) = row?;
            // Written by this store from a Pubkey; skip anything else.
            if let Ok(node) = node.parse() {
                verdicts.insert(node, valid);
            }
        }
        Ok(verdicts)
    }

    /// How many payloads this node has audited on `task`, in all rounds.
    pub fn audit_count(&self, task: &Pubkey) -> Result<u64, StoreError> {
        let count: i64 = self.conn().query_row(
            "SELECT COUNT(*) FROM audits WHERE task = ?1",
            params![task.to_string()],
            |row| row.get(0),
        )?;
        Ok(count.max(0) as u64)
    }

    /// The latest transaction signed for an action, if any.
    pub fn last_tx(
        &self,
        task: &Pubkey,
        round: u64,
        key: &OutboxKey,
    ) -> Result<Option<OutboxEntry>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT id, action, signature, tx, last_valid, state FROM outbox
                 WHERE task = ?1 AND round = ?2 AND action = ?3 ORDER BY id DESC LIMIT 1",
                params![task.to_string(), round as i64, key.stored()],
                outbox_entry,
            )
            .optional()?)
    }

    /// Records a signed transaction before it is first broadcast.
    pub fn record_tx(
        &self,
        task: &Pubkey,
        round: u64,
        key: &OutboxKey,
        signature: &str,
        tx: &[u8],
        last_valid_block_height: u64,
    ) -> Result<i64, StoreError> {
        let conn = self.conn();
        conn.execute(
            "INSERT INTO outbox (task, round, action, signature, tx, last_valid, state, sent_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7)",
            params![
                task.to_string(),
                round as i64,
                key.stored(),
                signature,
                tx,
                last_valid_block_height as i64,
                unix_ms() as i64
            ],
        )?;
        Ok(conn.last_insert_rowid())
    }

    /// The node's confirmed transactions, in the order they were signed:
    /// each signature with the actions it carried, as (round, action).
    pub fn confirmed_transactions(
        &self,
        task: &Pubkey,
    ) -> Result<Vec<(String, CarriedActions)>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT signature, round, action FROM outbox
             WHERE task = ?1 AND state = 'confirmed' ORDER BY id",
        )?;
        let rows = stmt.query_map(params![task.to_string()], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, i64>(1)? as u64,
                row.get::<_, String>(2)?,
            ))
        })?;
        let mut transactions: Vec<(String, CarriedActions)> = Vec::new();
        for row in rows {
            let (signature, round, action) = row?;
            match transactions.iter_mut().find(|(s, _)| *s == signature) {
                Some((_, actions)) => actions.push((round, action)),
                None => transactions.push((signature, vec![(round, action)])),
            }
        }
        Ok(transactions)
    }

    /// Sets the state of a signed transaction under every action it
    /// carries.
    pub fn set_signature_state(&self, signature: &str, state: TxState) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE outbox SET state = ?1 WHERE signature = ?2",
            params![state.as_str(), signature],
        )?;
        Ok(())
    }

    pub fn set_tx_state(&self, id: i64, state: TxState) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE outbox SET state = ?1 WHERE id = ?2",
            params![state.as_str(), id],
        )?;
        Ok(())
    }

    /// Transactions signed but not yet known confirmed, failed or expired.
    pub fn pending_transactions(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT id, action, signature, tx, last_valid, state FROM outbox WHERE state = 'pending'",
        )?;
        let rows = stmt.query_map([], outbox_entry)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Confirmed claims whose earning is not recorded (the node stopped
    /// between the two, or the claim landed while it was down):
    /// `(task, round, signature)`.
    pub fn unrecorded_claims(&self) -> Result<Vec<(Pubkey, u64, String)>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT o.task, o.round, o.signature FROM outbox o
             WHERE o.action = ?1 AND o.state = 'confirmed' AND NOT EXISTS
               (SELECT 1 FROM earnings e WHERE e.task = o.task AND e.round = o.round)",
        )?;
        let rows = stmt.query_map([OutboxKey::Claim.stored()], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, String>(2)?,
            ))
        })?;
        let mut claims = Vec::new();
        for row in rows {
            let (task, round, signature) = row?;
            // A row this store wrote always parses; skip one that does not.
            if let Ok(task) = task.parse() {
                claims.push((task, round as u64, signature));
            }
        }
        Ok(claims)
    }

    pub fn record_earning(
        &self,
        task: &Pubkey,
        round: u64,
        amount: u64,
        signature: &str,
        mint: Option<&Pubkey>,
    ) -> Result<(), StoreError> {
        let mint = mint.map(|m| m.to_string()).unwrap_or_default();
        self.conn().execute(
            "INSERT OR IGNORE INTO earnings (task, round, amount, signature, mint)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                task.to_string(),
                round as i64,
                amount as i64,
                signature,
                mint
            ],
        )?;
        Ok(())
    }

    /// Earnings per round for a task.
    pub fn earnings(&self, task: &Pubkey) -> Result<Vec<(u64, u64)>, StoreError> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare("SELECT round, amount FROM earnings WHERE task = ?1 ORDER BY round")?;
        let rows = stmt.query_map(params![task.to_string()], |row| {
            Ok((row.get::<_, i64>(0)? as u64, row.get::<_, i64>(1)? as u64))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every recorded earning, by task and round.
    pub fn all_earnings(&self) -> Result<Vec<Earning>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT task, round, amount, signature, mint FROM earnings ORDER BY task, round",
        )?;
        let rows = stmt.query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, i64>(1)? as u64,
                row.get::<_, i64>(2)? as u64,
                row.get::<_, String>(3)?,
                row.get::<_, String>(4)?,
            ))
        })?;
        let mut earnings = Vec::new();
        for row in rows {
            let (task, round, amount, signature, mint) = row?;
            // Written by this store from a Pubkey; skip anything else.
            if let Ok(task) = task.parse() {
                earnings.push(Earning {
                    task,
                    round,
                    amount,
                    signature,
                    mint: mint.parse().ok(),
                });
            }
        }
        Ok(earnings)
    }
}

/// Runs `sql` (`?1` the task, `?2` the oldest of `rounds`; each row's
/// first column its round) and hands what `read` takes from each row of a
/// round in `rounds` to `put`.
fn fill_rounds<T>(
    conn: &Connection,
    sql: &str,
    task: &str,
    rounds: &mut [RoundRecord],
    read: impl Fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    mut put: impl FnMut(&mut RoundRecord, T),
) -> Result<(), StoreError> {
    let Some(oldest) = rounds.last().map(|r| r.round as i64) else {
        return Ok(());
    };
    let index: HashMap<u64, usize> = rounds
        .iter()
        .enumerate()
        .map(|(i, r)| (r.round, i))
        .collect();
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map(params![task, oldest], |row| {
        Ok((row.get::<_, i64>(0)?, read(row)?))
    })?;
    for row in rows {
        let (round, value) = row?;
        if let Some(&i) = index.get(&(round as u64)) {
            put(&mut rounds[i], value);
        }
    }
    Ok(())
}

/// A row's second and third columns.
fn second_and_third<A: rusqlite::types::FromSql, B: rusqlite::types::FromSql>(
    row: &rusqlite::Row<'_>,
) -> rusqlite::Result<(A, B)> {
    Ok((row.get(1)?, row.get(2)?))
}

/// Maps `SELECT round, action, signature, state, sent_at, by_other, tries`.
fn sent_record(row: &rusqlite::Row<'_>) -> rusqlite::Result<SentRecord> {
    let action: String = row.get(1)?;
    let sent_at: i64 = row.get(4)?;
    Ok(SentRecord {
        action: action.split(':').next().unwrap_or_default().to_string(),
        signature: row.get(2)?,
        state: TxState::parse(&row.get::<_, String>(3)?),
        sent_at: (sent_at > 0).then_some(sent_at as u64),
        tries: row.get::<_, i64>(6)?.max(1) as u32,
        by_other: row.get(5)?,
    })
}

/// Milliseconds since the Unix epoch (0 if the clock is before it).
pub fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// An action of a round the node signed for, as the dashboard lists it:
/// its latest transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentRecord {
    /// The action's kind (submit, reveal, claim, …).
    pub action: String,
    pub signature: String,
    pub state: TxState,
    /// Unix ms it was signed; `None` in a store from before.
    pub sent_at: Option<u64>,
    /// Transactions signed for the action (a bundle that failed for
    /// another part is signed again).
    pub tries: u32,
    /// It failed because another node had done it first (a crank race):
    /// nothing was lost.
    pub by_other: bool,
}

/// What the node recorded of one round.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoundRecord {
    pub round: u64,
    /// Oldest first.
    pub sent: Vec<SentRecord>,
    /// Our verdicts on others' payloads: (node, valid).
    pub audits: Vec<(String, bool)>,
    /// Challenges of our submission: (challenger, verdict).
    pub challenges: Vec<(String, String)>,
    pub earned: Option<u64>,
    /// Lamports slashed from our stake for this round.
    pub slashed: u64,
}

impl TxState {
    pub fn name(self) -> &'static str {
        self.as_str()
    }
}

impl Store {
    /// A challenge of our submission in `round`, as last seen (its verdict
    /// moves from pending to valid or invalid).
    pub fn note_challenge(
        &self,
        task: &Pubkey,
        round: u64,
        audit: &Pubkey,
        challenger: &Pubkey,
        verdict: &str,
    ) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT OR REPLACE INTO challenges (task, round, audit, challenger, verdict)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                task.to_string(),
                round as i64,
                audit.to_string(),
                challenger.to_string(),
                verdict
            ],
        )?;
        Ok(())
    }

    /// The action's latest transaction failed because the chain says it
    /// was done already (another node's crank won the race).
    pub fn note_done_by_other(
        &self,
        task: &Pubkey,
        round: u64,
        key: &OutboxKey,
    ) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE outbox SET by_other = 1 WHERE id =
               (SELECT MAX(id) FROM outbox WHERE task = ?1 AND round = ?2 AND action = ?3)
             AND state = 'failed'",
            params![task.to_string(), round as i64, key.stored()],
        )?;
        Ok(())
    }

    /// Lamports slashed from our stake for `round` (added to any before).
    pub fn record_slash(&self, task: &Pubkey, round: u64, amount: u64) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO slashes (task, round, amount) VALUES (?1, ?2, ?3)
             ON CONFLICT (task, round) DO UPDATE SET amount = amount + excluded.amount",
            params![task.to_string(), round as i64, amount as i64],
        )?;
        Ok(())
    }

    /// The latest round in which a challenge of our submission was not
    /// judged valid (lost, or still pending when last seen): what a slash
    /// seen now is for.
    pub fn last_lost_challenge(&self, task: &Pubkey) -> Result<Option<u64>, StoreError> {
        let round: Option<i64> = self.conn().query_row(
            "SELECT MAX(round) FROM challenges WHERE task = ?1 AND verdict != 'valid'",
            params![task.to_string()],
            |row| row.get(0),
        )?;
        Ok(round.map(|r| r as u64))
    }

    /// Every slash of `task` recorded, in lamports.
    pub fn slashed_total(&self, task: &Pubkey) -> Result<u64, StoreError> {
        let total: i64 = self.conn().query_row(
            "SELECT COALESCE(SUM(amount), 0) FROM slashes WHERE task = ?1",
            params![task.to_string()],
            |row| row.get(0),
        )?;
        Ok(total.max(0) as u64)
    }

    /// The rounds of `task` the node took part in (it signed a transaction
    /// for, audited in, or was paid or slashed in), newest first, at most
    /// `limit`, with what it recorded of each.
    pub fn recent_rounds(
        &self,
        task: &Pubkey,
        limit: usize,
    ) -> Result<Vec<RoundRecord>, StoreError> {
        let conn = self.conn();
        let t = task.to_string();
        let mut rounds: Vec<RoundRecord> = {
            let mut stmt = conn.prepare(
                "SELECT round FROM outbox WHERE task = ?1
                 UNION SELECT round FROM audits WHERE task = ?1
                 UNION SELECT round FROM earnings WHERE task = ?1
                 UNION SELECT round FROM slashes WHERE task = ?1
                 ORDER BY round DESC LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![t, limit as i64], |row| row.get::<_, i64>(0))?;
            rows.map(|r| {
                r.map(|round| RoundRecord {
                    round: round as u64,
                    ..Default::default()
                })
            })
            .collect::<Result<_, _>>()?
        };
        // Each action's latest transaction, with how many were signed.
        let sent_sql =
            "SELECT o.round, o.action, o.signature, o.state, o.sent_at, o.by_other, n.tries
             FROM outbox o JOIN
               (SELECT MAX(id) AS id, COUNT(*) AS tries FROM outbox
                WHERE task = ?1 AND round >= ?2 GROUP BY round, action) n ON o.id = n.id
             ORDER BY o.id";
        fill_rounds(&conn, sent_sql, &t, &mut rounds, sent_record, |r, sent| {
            r.sent.push(sent)
        })?;
        let audits_sql =
            "SELECT round, node, valid FROM audits WHERE task = ?1 AND round >= ?2 ORDER BY node";
        fill_rounds(
            &conn,
            audits_sql,
            &t,
            &mut rounds,
            second_and_third,
            |r, a| r.audits.push(a),
        )?;
        let challenges_sql =
            "SELECT round, challenger, verdict FROM challenges WHERE task = ?1 AND round >= ?2";
        fill_rounds(
            &conn,
            challenges_sql,
            &t,
            &mut rounds,
            second_and_third,
            |r, c| r.challenges.push(c),
        )?;
        let amount = |row: &rusqlite::Row<'_>| Ok(row.get::<_, i64>(1)? as u64);
        let earned_sql = "SELECT round, amount FROM earnings WHERE task = ?1 AND round >= ?2";
        fill_rounds(&conn, earned_sql, &t, &mut rounds, amount, |r, a| {
            r.earned = Some(a)
        })?;
        let slashed_sql = "SELECT round, amount FROM slashes WHERE task = ?1 AND round >= ?2";
        fill_rounds(&conn, slashed_sql, &t, &mut rounds, amount, |r, a| {
            r.slashed = a
        })?;
        Ok(rounds)
    }

    /// Each round of `task` the node submitted in or was paid or slashed
    /// in, oldest first: (round, earned, slashed).
    pub fn money_by_round(&self, task: &Pubkey) -> Result<Vec<(u64, u64, u64)>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "WITH played AS (
                 SELECT round FROM outbox WHERE task = ?1 AND action = 'submit' AND state = 'confirmed'
                 UNION SELECT round FROM earnings WHERE task = ?1
                 UNION SELECT round FROM slashes WHERE task = ?1)
             SELECT p.round,
                    COALESCE((SELECT amount FROM earnings e WHERE e.task = ?1 AND e.round = p.round), 0),
                    COALESCE((SELECT amount FROM slashes s WHERE s.task = ?1 AND s.round = p.round), 0)
             FROM played p ORDER BY p.round",
        )?;
        let rows = stmt.query_map(params![task.to_string()], |row| {
            Ok((
                row.get::<_, i64>(0)? as u64,
                row.get::<_, i64>(1)? as u64,
                row.get::<_, i64>(2)? as u64,
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.db");
        let task = Pubkey::new_unique();
        {
            let store = Store::open(&path).unwrap();
            store
                .save_own_submission(
                    &task,
                    2,
                    &OwnSubmission {
                        value: b"v".to_vec(),
                        salt: [9; 32],
                    },
                )
                .unwrap();
            let id = store
                .record_tx(&task, 2, &OutboxKey::Submit, "sig", b"tx", 77)
                .unwrap();
            store.set_tx_state(id, TxState::Confirmed).unwrap();
            store.mark_round_done(&task, 1).unwrap();
            store
                .save_audit_verdict(&task, 2, &Pubkey::new_from_array([4; 32]), false)
                .unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(
            store.own_submission(&task, 2).unwrap().unwrap().salt,
            [9; 32]
        );
        let last = store
            .last_tx(&task, 2, &OutboxKey::Submit)
            .unwrap()
            .unwrap();
        assert_eq!(
            (last.state, last.last_valid_block_height),
            (TxState::Confirmed, 77)
        );
        assert!(store.round_done(&task, 1).unwrap());
        assert_eq!(store.last_tx(&task, 2, &OutboxKey::Reveal).unwrap(), None);
        assert_eq!(
            store.audit_verdicts(&task, 2).unwrap(),
            [(Pubkey::new_from_array([4; 32]), false)].into()
        );
        assert!(!store.round_done(&task, 2).unwrap());
    }

    #[test]
    fn rounds_and_money_for_the_dashboard() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("node.db")).unwrap();
        let (task, other) = (Pubkey::new_unique(), Pubkey::new_unique());
        let (peer, audit) = (Pubkey::new_unique(), Pubkey::new_unique());
        for round in 1..=3 {
            let id = store
                .record_tx(
                    &task,
                    round,
                    &OutboxKey::Submit,
                    &format!("s{round}"),
                    b"tx",
                    9,
                )
                .unwrap();
            store.set_tx_state(id, TxState::Confirmed).unwrap();
        }
        // Round 1's claim rides in round 3's submit transaction.
        store
            .record_tx(&task, 1, &OutboxKey::Claim, "s3", b"tx", 9)
            .unwrap();
        store.set_signature_state("s3", TxState::Confirmed).unwrap();
        store.record_earning(&task, 1, 700, "s3", None).unwrap();
        store.save_audit_verdict(&task, 2, &peer, false).unwrap();
        store
            .note_challenge(&task, 2, &audit, &peer, "pending")
            .unwrap();
        store
            .note_challenge(&task, 2, &audit, &peer, "invalid")
            .unwrap();
        assert_eq!(store.last_lost_challenge(&task).unwrap(), Some(2));
        store.record_slash(&task, 2, 40).unwrap();
        store.record_slash(&task, 2, 2).unwrap();
        // Another task's records stay out.
        store.record_earning(&other, 2, 5, "x", None).unwrap();

        assert_eq!(
            store.money_by_round(&task).unwrap(),
            vec![(1, 700, 0), (2, 0, 42), (3, 0, 0)]
        );
        let rounds = store.recent_rounds(&task, 2).unwrap();
        assert_eq!(
            rounds.iter().map(|r| r.round).collect::<Vec<_>>(),
            vec![3, 2]
        );
        assert_eq!(rounds[1].audits, vec![(peer.to_string(), false)]);
        assert_eq!(
            rounds[1].challenges,
            vec![(peer.to_string(), "invalid".to_string())]
        );
        assert_eq!(rounds[1].slashed, 42);
        let all = store.recent_rounds(&task, 10).unwrap();
        let first = &all[2];
        assert_eq!(first.earned, Some(700));
        let actions: Vec<&str> = first.sent.iter().map(|s| s.action.as_str()).collect();
        assert_eq!(actions, ["submit", "claim"]);
        assert!(first
            .sent
            .iter()
            .all(|s| s.sent_at.is_some() && s.state == TxState::Confirmed));

        // A resolve signed twice: the first failed with its bundle, the
        // second lost the race to another node's crank.
        for signature in ["r1", "r2"] {
            let key = OutboxKey::Resolve(peer);
            store
                .record_tx(&task, 3, &key, signature, b"tx", 9)
                .unwrap();
            store
                .set_signature_state(signature, TxState::Failed)
                .unwrap();
        }
        store
            .note_done_by_other(&task, 3, &OutboxKey::Resolve(peer))
            .unwrap();
        let round3 = &store.recent_rounds(&task, 1).unwrap()[0];
        let resolve = round3.sent.iter().find(|s| s.action == "resolve").unwrap();
        assert_eq!(
            (resolve.signature.as_str(), resolve.tries, resolve.by_other),
            ("r2", 2, true)
        );
        assert_eq!(
            round3.sent.iter().filter(|s| s.action == "submit").count(),
            1
        );
    }
}
