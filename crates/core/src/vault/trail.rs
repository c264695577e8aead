//! The audit trail as the owner reads it: every entry or one document's, or pages newest
//! first, with the file names sealed in them revealed while their document exists
//! ([`crate::vault::shred`]).

use crate::Result;
use crate::storage::audit::{self, AuditEntry};
use crate::vault::Vault;

impl Vault {
    /// The audit trail, optionally only about one document.
    pub fn audit_entries(&self, doc_id: Option<&str>) -> Result<Vec<AuditEntry>> {
        let mut entries = audit::entries(self.index.conn(), doc_id)?;
        self.reveal(&mut entries);
        Ok(entries)
    }

    /// At most `limit` audit entries before sequence number `before`, newest first.
    pub fn audit_page(&self, before: Option<i64>, limit: u32) -> Result<Vec<AuditEntry>> {
        let mut entries = audit::entries_page(self.index.conn(), before, limit)?;
        self.reveal(&mut entries);
        Ok(entries)
    }
}
