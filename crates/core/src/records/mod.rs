//! What a document says, before any storage: its fields, media kind and retention rules, the extraction worker that reads them from untrusted files, sample invoices.

pub mod direction;
pub mod fields;
pub mod frames;
pub mod media;
pub mod mentions;
pub mod retention;
pub mod sample;
pub mod status;
pub mod vat;
pub mod worker;
