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
//! - at most [`BATCH_BYTES`] of messages are downloaded in one request, and about three times
//!   that held ahead of the commits (queued, being prepared, waiting for their turn);
//! - a message the server does not send, or that no worker could read, is recorded failed and
//!   asked again at the next fetch (a failed message no longer on the server is then skipped);
//! - the vault locking (its sealer halted) stops the fetch between messages; what was committed
//!   stays, the rest is fetched next time.

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

/// Bytes of messages downloaded in one `UID FETCH` (a single larger message goes alone).
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

/// One downloaded message (or why it was not), in UID order, with its share of the bytes that
/// may be held ahead of the commits ([`AHEAD_KIB`]), released when it is committed.
enum Item {
    Body(u32, Zeroizing<Vec<u8>>, Ahead),
    Skip(u32, String),
    /// Asked for, not sent by the server: recorded failed, asked again next time.
    Missing(u32),
}

/// A message's share of [`AHEAD_KIB`].
type Ahead = Option<tokio::sync::OwnedSemaphorePermit>;

/// KiB of downloaded messages held ahead of the commits (in the queue, being prepared, prepared
/// and waiting for their turn), at most (a single larger message passes alone).
const AHEAD_KIB: u32 = 96 * 1024;

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
    // An after-fetch action that cannot be applied (its folder was deleted) does not hold back
    // the new messages: it is reported once they are stored.
    let mut warning = settle(&rt, &mut session, vault, &account, validity).err();

    // Messages that failed before: those still on the server are fetched again.
    let mut gone = std::collections::HashSet::new();
    let mut uids = Vec::new();
    if !failed.is_empty() {
        let still = rt.block_on(step(
            "UID SEARCH",
            session.uid_search(format!("UID {}", uid_set(&failed))),
        ))?;
        for uid in failed {
            if !still.contains(&uid) {
                gone.insert(uid);
            }
            uids.push(uid);
        }
    }
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
    let asked: Vec<u32> = uids.iter().copied().filter(|u| !gone.contains(u)).collect();
    let sizes = rt.block_on(sizes(&mut session, &asked))?;

    let total = uids.len() as u64;
    let (items_tx, items_rx) = tokio::sync::mpsc::channel::<(usize, Item)>(BATCH_MESSAGES * 2);
    let plan = Plan {
        uids,
        gone,
        sizes,
        limit,
        sealer: sealer.clone(),
        ahead: std::sync::Arc::new(tokio::sync::Semaphore::new(AHEAD_KIB as usize)),
    };
    let download = rt.spawn(download(session, plan, items_tx));
    let outcome = store(
        vault, name, validity, &sealer, items_rx, total, summary, on_message,
    );
    if outcome.is_err() {
        // Stopped early (locking, a failed commit): the download stops with it.
        download.abort();
    }
    let session = rt.block_on(download);
    outcome?;
    let mut session = session.map_err(|_| Error::Interrupted)??;
    if let Err(e) = settle(&rt, &mut session, vault, &account, validity) {
        warning.get_or_insert(e);
    }
    let _ = rt.block_on(async { tokio::time::timeout(STEP_TIMEOUT, session.logout()).await });
    match warning {
        Some(e) => Err(e),
        None => Ok(()),
    }
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
        while let Some(item) = next(&mut stream, STEP_TIMEOUT).await? {
            if let (Some(uid), Some(size)) = (item.uid, item.size) {
                sizes.insert(uid, u64::from(size));
            }
        }
    }
    Ok(sizes)
}

/// The stream's next item, waiting at most `within`.
async fn next<S, T>(stream: &mut S, within: std::time::Duration) -> Result<Option<T>>
where
    S: futures_util::Stream<Item = std::result::Result<T, async_imap::error::Error>> + Unpin,
{
    match tokio::time::timeout(within, stream.next()).await {
        Err(_) => Err(Error::mail(
            MailFault::Connect,
            "the server stopped answering in the middle of a download",
        )),
        Ok(None) => Ok(None),
        Ok(Some(Ok(v))) => Ok(Some(v)),
        Ok(Some(Err(e))) => Err(connect::imap_error("UID FETCH", e)),
    }
}

/// What the download takes, in UID order.
struct Plan {
    uids: Vec<u32>,
    /// Failed before and no longer on the server.
    gone: std::collections::HashSet<u32>,
    sizes: HashMap<u32, u64>,
    limit: u64,
    /// Its halt (the vault is locking) stops the download.
    sealer: Sealer,
    ahead: std::sync::Arc<tokio::sync::Semaphore>,
}

/// Downloads the messages in UID order, in batches bounded in count and bytes, and hands each
/// (or why it was skipped) to the preparers, numbered in UID order. Gives the session back.
async fn download(
    mut session: ImapSession,
    plan: Plan,
    items: tokio::sync::mpsc::Sender<(usize, Item)>,
) -> Result<ImapSession> {
    let mut out = Numbered { items, seq: 0 };
    let mut batch: Vec<u32> = Vec::new();
    let mut bytes = 0u64;
    for &uid in &plan.uids {
        if plan.sealer.is_halted() {
            return Ok(session);
        }
        match plan.sizes.get(&uid).copied() {
            Some(size) if size <= plan.limit && !plan.gone.contains(&uid) => {
                if !batch.is_empty()
                    && (batch.len() >= BATCH_MESSAGES || bytes + size > BATCH_BYTES)
                {
                    if !flush(&mut session, &mut batch, bytes, &plan, &mut out).await? {
                        return Ok(session);
                    }
                    bytes = 0;
                }
                batch.push(uid);
                bytes += size;
            }
            size => {
                // The batch before it first, to keep the numbering in UID order.
                if !flush(&mut session, &mut batch, bytes, &plan, &mut out).await? {
                    return Ok(session);
                }
                bytes = 0;
                let item = match size {
                    _ if plan.gone.contains(&uid) => {
                        Item::Skip(uid, "no longer on the server".into())
                    }
                    Some(size) => Item::Skip(
                        uid,
                        format!(
                            "too large ({size} bytes; the import limit is {})",
                            plan.limit
                        ),
                    ),
                    None => Item::Missing(uid),
                };
                if !out.send(item).await {
                    return Ok(session);
                }
            }
        }
    }
    flush(&mut session, &mut batch, bytes, &plan, &mut out).await?;
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

/// Downloads `batch` (about `bytes`) in one `UID FETCH` and queues its messages in UID order
/// (one larger than the limit, whatever size the server announced, is skipped; one not sent is
/// missing); false when the store side stopped.
async fn flush(
    session: &mut ImapSession,
    batch: &mut Vec<u32>,
    bytes: u64,
    plan: &Plan,
    out: &mut Numbered,
) -> Result<bool> {
    if batch.is_empty() {
        return Ok(true);
    }
    // A slow link still gets a large message through: the wait grows with the batch's size
    // (at 64 KiB/s at least).
    let within = STEP_TIMEOUT + std::time::Duration::from_secs(bytes / (64 * 1024));
    let mut got: BTreeMap<u32, Zeroizing<Vec<u8>>> = BTreeMap::new();
    {
        let mut stream = step(
            "UID FETCH",
            session.uid_fetch(uid_set(batch), "(UID BODY.PEEK[])"),
        )
        .await?;
        while let Some(fetch) = next(&mut stream, within).await? {
            if let (Some(uid), Some(body)) = (fetch.uid, fetch.body())
                && batch.binary_search(&uid).is_ok()
            {
                got.insert(uid, Zeroizing::new(body.to_vec()));
            }
        }
    }
    for uid in batch.drain(..) {
        let item = match got.remove(&uid) {
            Some(body) if body.len() as u64 > plan.limit => Item::Skip(
                uid,
                format!(
                    "too large ({} bytes; the import limit is {})",
                    body.len(),
                    plan.limit
                ),
            ),
            Some(body) => {
                let kib = (body.len() / 1024 + 1).min(AHEAD_KIB as usize) as u32;
                let Ok(permit) = plan.ahead.clone().acquire_many_owned(kib).await else {
                    return Ok(false);
                };
                Item::Body(uid, body, Some(permit))
            }
            None => Item::Missing(uid),
        };
        if !out.send(item).await {
            return Ok(false);
        }
    }
    Ok(true)
}

/// A prepared message waiting for its turn, holding its share of the bytes ahead.
type Ready = (usize, MailUid, Fetched, Ahead);

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
    let (ready_tx, ready_rx) = mpsc::channel::<Ready>();
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
                    // A panic is this message's failure (tried again next time), never the
                    // caller's.
                    let (uid, fetched, ahead) = match item {
                        Item::Body(uid, bytes, ahead) => {
                            let fetched =
                                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                                    prepare(vault, sealer, &bytes)
                                }))
                                .unwrap_or_else(|_| {
                                    Fetched::Failed(Error::Unreadable {
                                        reason: "reading it failed unexpectedly".into(),
                                    })
                                });
                            (uid, fetched, ahead)
                        }
                        Item::Skip(uid, why) => (uid, Fetched::Skipped(why), None),
                        Item::Missing(uid) => (
                            uid,
                            Fetched::Failed(Error::mail(
                                MailFault::Protocol,
                                "the server did not send it; it is asked again next time",
                            )),
                            None,
                        ),
                    };
                    let at = MailUid { validity, uid };
                    if ready_tx.send((seq, at, fetched, ahead)).is_err() {
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

fn prepare(vault: &Mutex<Vault>, sealer: &Sealer, bytes: &[u8]) -> Fetched {
    let fp = sealer.fingerprint(bytes);
    let known = lock(vault).find_duplicate(&fp);
    match known {
        Ok(Some(doc)) => Fetched::Duplicate(doc),
        Ok(None) => match sealer.prepare_fetched(bytes, fp) {
            Ok(prepared) => Fetched::Prepared(Box::new(prepared)),
            Err(e) => Fetched::Failed(e),
        },
        Err(e) => Fetched::Failed(e),
    }
}

fn commit_in_order(
    vault: &Mutex<Vault>,
    name: &str,
    ready: mpsc::Receiver<Ready>,
    total: u64,
    summary: &mut FetchSummary,
    on_message: &mut dyn FnMut(&MessageOutcome, Progress),
) -> Result<()> {
    let mut waiting: BTreeMap<usize, (MailUid, Fetched, Ahead)> = BTreeMap::new();
    let mut next_seq = 0usize;
    let mut done = 0u64;
    loop {
        // Everything that can go in order now, in batches.
        loop {
            let mut batch = Vec::new();
            let mut held = Vec::new();
            while batch.len() < COMMIT_MESSAGES
                && let Some((at, fetched, ahead)) = waiting.remove(&next_seq)
            {
                if let Fetched::Failed(Error::Interrupted) = fetched {
                    // The vault is locking: stop here; this one and the rest come next time.
                    commit(vault, name, batch, &mut done, total, summary, on_message)?;
                    return Err(Error::Interrupted);
                }
                batch.push((at, fetched));
                held.push(ahead);
                next_seq += 1;
            }
            if batch.is_empty() {
                break;
            }
            commit(vault, name, batch, &mut done, total, summary, on_message)?;
            drop(held); // their bytes may now be downloaded ahead
        }
        // Wait for one, then take whatever else is ready without waiting.
        let Ok((seq, at, fetched, ahead)) = ready.recv() else {
            break;
        };
        waiting.insert(seq, (at, fetched, ahead));
        while let Ok((seq, at, fetched, ahead)) = ready.try_recv() {
            waiting.insert(seq, (at, fetched, ahead));
        }
    }
    if !waiting.is_empty() {
        // A gap: what came after it is fetched again next time.
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
                    while next(&mut stream, STEP_TIMEOUT).await?.is_some() {}
                }
                Ok(())
            }
        }
    }
}

async fn drain(session: &mut ImapSession, set: &str, flags: &str) -> Result<()> {
    let stream = step("UID STORE", session.uid_store(set, flags)).await?;
    let mut stream = Box::pin(stream);
    while next(&mut stream, STEP_TIMEOUT).await?.is_some() {}
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
