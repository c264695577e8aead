//! Fetching a mail account's folder into the vault, exactly once.
//!
//! One fetch: log in, select the folder, apply the after-fetch actions an earlier fetch left
//! undone, ask for the UIDs above the highest one recorded (and those that failed before), read
//! their sizes, then download and store them in a pipeline: the download runs on the tokio
//! runtime while extraction workers (threads, each parsing in a worker process) prepare the
//! messages and this thread commits them in ascending UID order, in batches. Then the
//! after-fetch action for what was stored, and the summary kept with the account.
//!
//! Promises (with the core's `vault::mailbox`):
//! - a message counts as done only in the transaction that stores it with its parts (or
//!   records why it was skipped or failed), and messages are committed in UID order: a fetch
//!   killed at any point leaves a prefix done, and the next fetch takes the rest, nothing twice;
//! - a message larger than the import limit is not downloaded (skipped, with its size);
//! - the server is never changed before the commit: messages are read with `BODY.PEEK[]`
//!   (unread stays unread), the after-fetch action comes after the commit;
//! - at most [`BATCH_BYTES`] of message bytes are downloaded ahead of the commits.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::mpsc;

use coffre_core::intake::session::lock;
use coffre_core::vault::mailbox::{
    After, FetchStatus, FetchSummary, Fetched, MailAccount, MailUid, MessageOutcome,
};
use coffre_core::vault::{Sealer, Vault};
use coffre_core::{Error, MailFault, Result};
use futures_util::StreamExt;
use tokio::runtime::Runtime;
use zeroize::Zeroizing;

use crate::connect::{self, ImapSession, STEP_TIMEOUT, step};

/// Bytes of messages downloaded in one `UID FETCH` (and at most twice that held ahead).
pub const BATCH_BYTES: u64 = 32 * 1024 * 1024;
/// Messages downloaded in one `UID FETCH`.
const BATCH_MESSAGES: usize = 64;
/// Messages committed in one transaction, at most.
const COMMIT_MESSAGES: usize = 32;

/// Where a fetch is: messages done of the messages to fetch.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Progress {
    /// Messages done (stored, found, skipped or failed).
    pub done: u64,
    /// Messages this fetch takes.
    pub total: u64,
}

/// What the folder holds, as a connection test sees it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FolderInfo {
    /// Messages in the folder.
    pub messages: u32,
    /// Its UIDVALIDITY.
    pub uidvalidity: u32,
}

fn runtime() -> Result<Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("coffre-imap")
        .enable_all()
        .build()?)
}

/// Logs in and opens the folder read-only (and the move target, if any): checks an account
/// before it is saved, or when the owner asks.
pub fn test(account: &MailAccount, password: &str) -> Result<FolderInfo> {
    let rt = runtime()?;
    rt.block_on(async {
        let mut session = connect::login(account, password).await?;
        let mailbox = step("EXAMINE", session.examine(wire_name(&account.folder)))
            .await
            .map_err(|e| folder_error(&account.folder, e))?;
        if let After::Move(target) = &account.after {
            step("EXAMINE", session.examine(wire_name(target)))
                .await
                .map_err(|e| folder_error(target, e))?;
        }
        let _ = tokio::time::timeout(STEP_TIMEOUT, session.logout()).await;
        Ok(FolderInfo {
            messages: mailbox.exists,
            uidvalidity: mailbox.uid_validity.unwrap_or(0),
        })
    })
}

fn folder_error(folder: &str, e: Error) -> Error {
    match e {
        Error::Mail {
            fault: MailFault::Protocol,
            detail,
        } => Error::mail(
            MailFault::Folder,
            format!("the folder {folder:?} cannot be opened ({detail})"),
        ),
        other => other,
    }
}

/// Fetches run one after another in a process (the app's schedule and "fetch now" may meet):
/// a second would only download the same messages again to find them duplicates.
static FETCHING: Mutex<()> = Mutex::new(());

/// Fetches the account named `name` into the vault; `on_message` hears of each message in
/// order. The summary (also on error) is kept with the account.
pub fn fetch(
    vault: &Mutex<Vault>,
    name: &str,
    on_message: &mut dyn FnMut(&MessageOutcome, Progress),
) -> Result<FetchSummary> {
    let _one_at_a_time = FETCHING.lock().unwrap_or_else(|p| p.into_inner());
    let mut summary = FetchSummary::default();
    let result = run(vault, name, &mut summary, on_message);
    summary.at = coffre_core::storage::audit::now_rfc3339();
    if let Err(e) = &result {
        summary.error_code = Some(e.code().as_str().to_owned());
        if let Error::Mail { fault, .. } = e {
            summary.error_fault = Some(*fault);
        }
        summary.error = Some(e.to_string());
    }
    let kept = lock(vault).mail_record_fetch(name, &summary);
    result?;
    kept?;
    Ok(summary)
}

/// One downloaded message (or why it was not), in UID order.
enum Item {
    Body(u32, Zeroizing<Vec<u8>>),
    Skip(u32, String),
}

fn run(
    vault: &Mutex<Vault>,
    name: &str,
    summary: &mut FetchSummary,
    on_message: &mut dyn FnMut(&MessageOutcome, Progress),
) -> Result<()> {
    let (account, password, sealer, limit) = {
        let v = lock(vault);
        (
            v.mail_account(name)?,
            v.mail_password(name)?,
            v.sealer(),
            v.max_import_size()?,
        )
    };
    let rt = runtime()?;
    let mut session = rt.block_on(connect::login(&account, &password))?;
    drop(password);
    let mailbox = rt
        .block_on(step("SELECT", session.select(wire_name(&account.folder))))
        .map_err(|e| folder_error(&account.folder, e))?;
    let validity = mailbox
        .uid_validity
        .ok_or_else(|| Error::mail(MailFault::Protocol, "the server gives no UIDVALIDITY"))?;
    let (done, failed) = {
        let v = lock(vault);
        (
            v.mail_done_through(name, validity)?,
            v.mail_failed(name, validity)?,
        )
    };
    settle(&rt, &mut session, vault, &account, validity)?;

    let mut uids = failed;
    if mailbox.exists > 0 {
        let found = rt.block_on(step(
            "UID SEARCH",
            session.uid_search(format!("UID {}:*", done.saturating_add(1))),
        ))?;
        // `n:*` always matches the highest UID, even below n.
        uids.extend(found.into_iter().filter(|&u| u > done));
    }
    uids.sort_unstable();
    uids.dedup();
    let sizes = rt.block_on(sizes(&mut session, &uids))?;

    let total = uids.len() as u64;
    let (items_tx, items_rx) = tokio::sync::mpsc::channel::<(usize, Item)>(BATCH_MESSAGES * 2);
    let download = rt.spawn(download(session, uids.clone(), sizes, limit, items_tx));
    let outcome = store(
        vault, name, validity, &sealer, items_rx, total, summary, on_message,
    );
    let session = rt.block_on(download).map_err(|_| Error::Interrupted)?;
    outcome?;
    let mut session = session?;
    settle(&rt, &mut session, vault, &account, validity)?;
    let _ = rt.block_on(async { tokio::time::timeout(STEP_TIMEOUT, session.logout()).await });
    Ok(())
}

/// The sizes the server gives for these UIDs (`RFC822.SIZE`).
async fn sizes(session: &mut ImapSession, uids: &[u32]) -> Result<HashMap<u32, u64>> {
    let mut sizes = HashMap::with_capacity(uids.len());
    for chunk in uids.chunks(1000) {
        let mut stream = step(
            "UID FETCH",
            session.uid_fetch(uid_set(chunk), "(UID RFC822.SIZE)"),
        )
        .await?;
        while let Some(item) = next(&mut stream).await? {
            if let (Some(uid), Some(size)) = (item.uid, item.size) {
                sizes.insert(uid, u64::from(size));
            }
        }
    }
    Ok(sizes)
}

async fn next<S, T>(stream: &mut S) -> Result<Option<T>>
where
    S: futures_util::Stream<Item = std::result::Result<T, async_imap::error::Error>> + Unpin,
{
    match tokio::time::timeout(STEP_TIMEOUT, stream.next()).await {
        Err(_) => Err(Error::mail(
            MailFault::Connect,
            "the server stopped answering in the middle of a download",
        )),
        Ok(None) => Ok(None),
        Ok(Some(Ok(v))) => Ok(Some(v)),
        Ok(Some(Err(e))) => Err(connect::imap_error("UID FETCH", e)),
    }
}

/// Downloads the messages in UID order, in batches bounded in count and bytes, and hands each
/// (or why it was skipped) to the preparers, numbered in UID order. Gives the session back.
async fn download(
    mut session: ImapSession,
    uids: Vec<u32>,
    sizes: HashMap<u32, u64>,
    limit: u64,
    items: tokio::sync::mpsc::Sender<(usize, Item)>,
) -> Result<ImapSession> {
    let mut out = Numbered { items, seq: 0 };
    let mut batch: Vec<u32> = Vec::new();
    let mut bytes = 0u64;
    for uid in uids {
        match sizes.get(&uid).copied() {
            Some(size) if size <= limit => {
                if !batch.is_empty()
                    && (batch.len() >= BATCH_MESSAGES || bytes + size > BATCH_BYTES)
                {
                    if !flush(&mut session, &mut batch, limit, &mut out).await? {
                        return Ok(session);
                    }
                    bytes = 0;
                }
                batch.push(uid);
                bytes += size;
            }
            size => {
                // The batch before it first, to keep the numbering in UID order.
                if !flush(&mut session, &mut batch, limit, &mut out).await? {
                    return Ok(session);
                }
                bytes = 0;
                let why = match size {
                    Some(size) => format!("too large ({size} bytes; the import limit is {limit})"),
                    None => "no longer on the server".into(),
                };
                if !out.send(Item::Skip(uid, why)).await {
                    return Ok(session);
                }
            }
        }
    }
    flush(&mut session, &mut batch, limit, &mut out).await?;
    Ok(session)
}

/// The preparers' queue, numbering what it is given.
struct Numbered {
    items: tokio::sync::mpsc::Sender<(usize, Item)>,
    seq: usize,
}

impl Numbered {
    /// False when the store side stopped.
    async fn send(&mut self, item: Item) -> bool {
        let ok = self.items.send((self.seq, item)).await.is_ok();
        self.seq += 1;
        ok
    }
}

/// Downloads `batch` in one `UID FETCH` and queues its messages in UID order (one larger than
/// `limit`, whatever size the server announced, is skipped); false when the store side stopped.
async fn flush(
    session: &mut ImapSession,
    batch: &mut Vec<u32>,
    limit: u64,
    out: &mut Numbered,
) -> Result<bool> {
    if batch.is_empty() {
        return Ok(true);
    }
    let mut got: BTreeMap<u32, Zeroizing<Vec<u8>>> = BTreeMap::new();
    {
        let mut stream = step(
            "UID FETCH",
            session.uid_fetch(uid_set(batch), "(UID BODY.PEEK[])"),
        )
        .await?;
        while let Some(fetch) = next(&mut stream).await? {
            if let (Some(uid), Some(body)) = (fetch.uid, fetch.body())
                && batch.binary_search(&uid).is_ok()
            {
                got.insert(uid, Zeroizing::new(body.to_vec()));
            }
        }
    }
    for uid in batch.drain(..) {
        let item = match got.remove(&uid) {
            Some(body) if body.len() as u64 > limit => Item::Skip(
                uid,
                format!(
                    "too large ({} bytes; the import limit is {limit})",
                    body.len()
                ),
            ),
            Some(body) => Item::Body(uid, body),
            None => Item::Skip(uid, "no longer on the server".into()),
        };
        if !out.send(item).await {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Prepares the downloaded messages on worker threads and commits them in order, in batches.
#[allow(clippy::too_many_arguments)]
fn store(
    vault: &Mutex<Vault>,
    name: &str,
    validity: u32,
    sealer: &Sealer,
    items: tokio::sync::mpsc::Receiver<(usize, Item)>,
    total: u64,
    summary: &mut FetchSummary,
    on_message: &mut dyn FnMut(&MessageOutcome, Progress),
) -> Result<()> {
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 4);
    let items = Mutex::new(items);
    let (ready_tx, ready_rx) = mpsc::channel::<(usize, MailUid, Fetched)>();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let ready_tx = ready_tx.clone();
            let items = &items;
            scope.spawn(move || {
                loop {
                    let next = items
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .blocking_recv();
                    let Some((seq, item)) = next else { break };
                    let (uid, fetched) = prepare(vault, sealer, item);
                    let at = MailUid { validity, uid };
                    if ready_tx.send((seq, at, fetched)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(ready_tx);
        let result = commit_in_order(vault, name, ready_rx, total, summary, on_message);
        // Stops the preparers and the download if the commits stopped early.
        items.lock().unwrap_or_else(|p| p.into_inner()).close();
        result
    })
}

fn prepare(vault: &Mutex<Vault>, sealer: &Sealer, item: Item) -> (u32, Fetched) {
    match item {
        Item::Skip(uid, why) => (uid, Fetched::Skipped(why)),
        Item::Body(uid, bytes) => {
            let fp = sealer.fingerprint(&bytes);
            let known = lock(vault).mail_known(&fp);
            let fetched = match known {
                Ok(Some(doc)) => Fetched::Duplicate(doc),
                Ok(None) => match sealer.prepare_fetched(&bytes, fp) {
                    Ok(prepared) => Fetched::Prepared(Box::new(prepared)),
                    Err(e) => Fetched::Failed(e),
                },
                Err(e) => Fetched::Failed(e),
            };
            (uid, fetched)
        }
    }
}

fn commit_in_order(
    vault: &Mutex<Vault>,
    name: &str,
    ready: mpsc::Receiver<(usize, MailUid, Fetched)>,
    total: u64,
    summary: &mut FetchSummary,
    on_message: &mut dyn FnMut(&MessageOutcome, Progress),
) -> Result<()> {
    let mut waiting: BTreeMap<usize, (MailUid, Fetched)> = BTreeMap::new();
    let mut next_seq = 0usize;
    let mut done = 0u64;
    loop {
        // Wait for one, then take whatever else is ready without waiting.
        let Ok(first) = ready.recv() else { break };
        waiting.insert(first.0, (first.1, first.2));
        while let Ok((seq, at, fetched)) = ready.try_recv() {
            waiting.insert(seq, (at, fetched));
        }
        let mut batch = Vec::new();
        while batch.len() < COMMIT_MESSAGES
            && let Some(entry) = waiting.remove(&next_seq)
        {
            if let Fetched::Failed(Error::Interrupted) = entry.1 {
                // The vault is locking: stop here; this one and the rest are fetched next time.
                commit(vault, name, batch, &mut done, total, summary, on_message)?;
                return Err(Error::Interrupted);
            }
            batch.push(entry);
            next_seq += 1;
        }
        commit(vault, name, batch, &mut done, total, summary, on_message)?;
    }
    if !waiting.is_empty() {
        return Err(Error::Interrupted);
    }
    Ok(())
}

fn commit(
    vault: &Mutex<Vault>,
    name: &str,
    batch: Vec<(MailUid, Fetched)>,
    done: &mut u64,
    total: u64,
    summary: &mut FetchSummary,
    on_message: &mut dyn FnMut(&MessageOutcome, Progress),
) -> Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let outcomes = lock(vault).mail_commit(name, batch)?;
    for outcome in &outcomes {
        match outcome.status {
            FetchStatus::Imported => summary.imported += 1,
            FetchStatus::Duplicate => summary.duplicate += 1,
            FetchStatus::Skipped => summary.skipped += 1,
            FetchStatus::Failed => summary.failed += 1,
        }
        *done += 1;
        on_message(outcome, Progress { done: *done, total });
    }
    Ok(())
}

/// Applies the account's after-fetch action to the messages stored but not yet acted on, then
/// records them as acted.
fn settle(
    rt: &Runtime,
    session: &mut ImapSession,
    vault: &Mutex<Vault>,
    account: &MailAccount,
    validity: u32,
) -> Result<()> {
    if account.after == After::Keep {
        return Ok(());
    }
    let pending = lock(vault).mail_unacted(&account.name, validity)?;
    for chunk in pending.chunks(500) {
        rt.block_on(act(session, &account.after, chunk))?;
        lock(vault).mail_mark_acted(&account.name, validity, chunk)?;
    }
    Ok(())
}

async fn act(session: &mut ImapSession, after: &After, uids: &[u32]) -> Result<()> {
    let set = uid_set(uids);
    match after {
        After::Keep => Ok(()),
        After::Seen => drain(session, &set, "+FLAGS.SILENT (\\Seen)").await,
        After::Move(folder) => {
            let caps = step("CAPABILITY", session.capabilities()).await?;
            if caps.has_str("MOVE") {
                step("UID MOVE", session.uid_mv(&set, wire_name(folder)))
                    .await
                    .map_err(|e| folder_error(folder, e))
            } else {
                // Copy, then flag as deleted; expunge only these UIDs, and only where the
                // server can (UIDPLUS): a plain EXPUNGE would remove other deleted mail too.
                step("UID COPY", session.uid_copy(&set, wire_name(folder)))
                    .await
                    .map_err(|e| folder_error(folder, e))?;
                drain(session, &set, "+FLAGS.SILENT (\\Deleted)").await?;
                if caps.has_str("UIDPLUS") {
                    let stream = step("UID EXPUNGE", session.uid_expunge(&set)).await?;
                    let mut stream = Box::pin(stream);
                    while next(&mut stream).await?.is_some() {}
                }
                Ok(())
            }
        }
    }
}

async fn drain(session: &mut ImapSession, set: &str, flags: &str) -> Result<()> {
    let stream = step("UID STORE", session.uid_store(set, flags)).await?;
    let mut stream = Box::pin(stream);
    while next(&mut stream).await?.is_some() {}
    Ok(())
}

/// A folder's name as IMAP sends it: modified UTF-7 (RFC 3501 5.1.3), so that `Factures reçues`
/// is `Factures re&AOc-ues`, and `&` is `&-`.
pub fn wire_name(folder: &str) -> String {
    utf7_imap::encode_utf7_imap(folder.to_owned())
}

/// `1:3,7,9:10` for these sorted UIDs.
pub fn uid_set(uids: &[u32]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < uids.len() {
        let start = uids[i];
        let mut end = start;
        while i + 1 < uids.len() && uids[i + 1] == end + 1 {
            end += 1;
            i += 1;
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{end}"));
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::uid_set;

    #[test]
    fn folder_names_are_modified_utf7() {
        use super::wire_name;
        assert_eq!(wire_name("INBOX"), "INBOX");
        assert_eq!(wire_name("Factures reçues"), "Factures re&AOc-ues");
        assert_eq!(wire_name("R&D"), "R&-D");
    }

    #[test]
    fn uid_sets_are_compressed_ranges() {
        assert_eq!(uid_set(&[1, 2, 3, 7, 9, 10]), "1:3,7,9:10");
        assert_eq!(uid_set(&[5]), "5");
        assert_eq!(uid_set(&[]), "");
    }
}
