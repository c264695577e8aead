//! What a document says and how it is found: its fields, media kind, retention rules, search and browsing, the extraction worker, sample invoices.

pub mod browse;
pub mod fields;
pub mod media;
pub mod retention;
pub mod sample;
pub mod search;
pub mod worker;
