//! Small tools with no knowledge of invoices or vaults: CSV tables.

pub mod csv;
pub mod dates;
pub mod files;
pub mod names;
pub mod schedule;
pub mod sizes;
