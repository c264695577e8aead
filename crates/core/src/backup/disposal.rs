//! Disposal reaching backups: every generation that lists a disposed document is rewritten
//! without it, and its blob is deleted.
//!
//! Promises: a rewritten generation's index snapshot is scrubbed of the documents' rows and
//! search tokens and compacted into a new file; its manifest is re-signed listing them under
//! `disposed`; every new file is written before any rename, and a run interrupted between the
//! renames is completed by the next one only when the new signature holds (else the new files
//! are dropped); a manifest whose signature does not hold is never re-signed.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io;
use std::path::Path;

use super::folder::{
    Durable, copy_blob, generation_ids, hash_file, read_bounded, read_signed_manifest,
};
use super::format::{
    GENERATIONS_DIR, MANIFEST_FILE, MAX_MANIFEST_BYTES, MAX_SIGNATURE_BYTES, SIGNATURE_FILE,
    blob_path, signature_holds,
};
use crate::format::vault_format::INDEX_FILE;
use crate::support::files::{sync_dir, write_synced};
use crate::vault::Vault;
use crate::{Error, Result};

pub(super) const MANIFEST_TMP: &str = ".manifest.json.tmp";
pub(super) const SIGNATURE_TMP: &str = ".manifest.sig.tmp";
/// A generation's index snapshot rewritten without disposed documents, before its rename.
pub(super) const INDEX_TMP: &str = ".index.db.tmp";
/// The working copy a scrub deletes from (removed once the rewritten snapshot exists).
pub(super) const SCRUB_TMP: &str = ".index.db.scrub";

pub(super) fn finish_manifest_rewrite(gen_dir: &Path, public_key: &[u8]) -> Result<()> {
    let json_tmp = gen_dir.join(MANIFEST_TMP);
    let sig_tmp = gen_dir.join(SIGNATURE_TMP);
    let index_tmp = gen_dir.join(INDEX_TMP);
    let _ = fs::remove_file(gen_dir.join(SCRUB_TMP));
    if !json_tmp.exists() && !sig_tmp.exists() {
        // A rewritten snapshot without its manifest was never vouched for.
        let _ = fs::remove_file(&index_tmp);
        return Ok(());
    }
    let json_path = if json_tmp.exists() {
        json_tmp.clone()
    } else {
        gen_dir.join(MANIFEST_FILE)
    };
    let sig_path = if sig_tmp.exists() {
        sig_tmp.clone()
    } else {
        gen_dir.join(SIGNATURE_FILE)
    };
    let holds = match (
        read_bounded(&json_path, MAX_MANIFEST_BYTES),
        read_bounded(&sig_path, MAX_SIGNATURE_BYTES),
    ) {
        (Ok(m), Ok(s)) => signature_holds(public_key, &m, &s),
        _ => false,
    };
    if holds {
        // The snapshot the new manifest describes goes in first.
        if index_tmp.exists() {
            fs::rename(&index_tmp, gen_dir.join(INDEX_FILE)).map_err(Error::io(&index_tmp))?;
        }
        if json_tmp.exists() {
            fs::rename(&json_tmp, gen_dir.join(MANIFEST_FILE)).map_err(Error::io(&json_tmp))?;
        }
        if sig_tmp.exists() {
            fs::rename(&sig_tmp, gen_dir.join(SIGNATURE_FILE)).map_err(Error::io(&sig_tmp))?;
        }
    } else {
        let _ = fs::remove_file(&json_tmp);
        let _ = fs::remove_file(&sig_tmp);
        let _ = fs::remove_file(&index_tmp);
    }
    sync_dir(gen_dir)
}

impl Vault {
    /// Rewrites every generation listing a disposed document without it (its index snapshot
    /// scrubbed of the document's rows and search tokens, its manifest re-signed), and deletes
    /// those blobs. Returns how many disposed blobs were deleted. A manifest whose signature does not
    /// hold is left as it is (re-signing it would vouch for an alteration; verify reports it).
    pub(super) fn forget_disposed(&self, to: &Path, disposed: &HashSet<String>) -> Result<u64> {
        if disposed.is_empty() {
            return Ok(0);
        }
        let own_key = self.signing_public_key()?;
        for g in generation_ids(to)? {
            let Some(mut manifest) = read_signed_manifest(to, &g, &own_key) else {
                continue;
            };
            let before = manifest.blobs.len();
            let mut gone: Vec<String> = Vec::new();
            manifest.blobs.retain(|b| {
                let keep = !disposed.contains(&b.id);
                if !keep {
                    gone.push(b.id.clone());
                }
                keep
            });
            let unscrubbed = !manifest.disposed.is_empty() && !manifest.index_scrubbed;
            if manifest.blobs.len() == before && !unscrubbed {
                continue;
            }
            if unscrubbed {
                gone.extend(manifest.disposed.iter().cloned());
            }
            let gen_dir = to.join(GENERATIONS_DIR).join(&g);
            // The snapshot still holds their rows, search tokens and extraction: rewrite it
            // without them (a copy scrubbed, then compacted into a new file).
            let scrub = gen_dir.join(SCRUB_TMP);
            let rewritten = gen_dir.join(INDEX_TMP);
            let _ = fs::remove_file(&rewritten);
            copy_blob(
                &gen_dir.join(INDEX_FILE),
                &scrub,
                manifest.index.size,
                Durable::Now,
            )?;
            crate::storage::index::scrub_snapshot(&scrub, &rewritten, &self.index_key()?, &gone)?;
            let _ = fs::remove_file(&scrub);
            File::open(&rewritten)
                .and_then(|f| f.sync_all())
                .map_err(Error::io(&rewritten))?;
            manifest.index = hash_file(&rewritten).map_err(Error::io(&rewritten))?;
            manifest.index_scrubbed = true;
            manifest.disposed.extend(gone);
            manifest.disposed.sort();
            manifest.disposed.dedup();
            let (json_bytes, sig) = self.signed_manifest(&manifest)?;
            // Every new file first; a crash between the renames is completed by the next run.
            write_synced(&gen_dir.join(MANIFEST_TMP), &json_bytes)?;
            write_synced(&gen_dir.join(SIGNATURE_TMP), &sig)?;
            sync_dir(&gen_dir)?;
            finish_manifest_rewrite(&gen_dir, &own_key)?;
        }
        let mut removed = 0;
        for id in disposed {
            let path = blob_path(to, id);
            match fs::remove_file(&path) {
                Ok(()) => {
                    removed += 1;
                    sync_dir(path.parent().expect("shard"))?;
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(path)(e)),
            }
        }
        Ok(removed)
    }
}
