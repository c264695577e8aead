//! Purchases and sales: whether a document is an invoice the owner received (a purchase) or one
//! they issued (a sale), decided from the owner's identifiers and names.
//!
//! Promises: identifiers are compared as companies, not as strings: a French VAT id
//! (`FRkk` + SIREN), a SIRET (SIREN + 5 digits) and a SIREN name the same company, spaces and
//! punctuation ignored; a name counts only for a party without identifiers (or when the owner
//! gave none), compared without case, accents, punctuation or legal form; a document where both
//! parties look like the owner, or neither does, is `Unknown` — never a guess. Only invoice-like
//! documents (e-invoices, PDFs, scans) get a direction.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::Why;
use crate::records::fields::get;
use crate::{Error, Result};

/// Purchase, sale, or not known (yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// The owner is the buyer.
    Purchase,
    /// The owner is the seller.
    Sale,
    /// Neither is known (or both parties look like the owner).
    Unknown,
}

impl Direction {
    /// Every direction, in order.
    pub const ALL: [Direction; 3] = [Direction::Purchase, Direction::Sale, Direction::Unknown];

    /// The contract name (`purchase`, `sale`, `unknown`).
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Purchase => "purchase",
            Direction::Sale => "sale",
            Direction::Unknown => "unknown",
        }
    }

    /// Parses a contract name.
    pub fn parse(s: &str) -> Result<Direction> {
        Direction::ALL
            .into_iter()
            .find(|d| d.as_str() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| {
                Error::invalid(
                    "direction",
                    Why::NotOneOf {
                        value: s.trim().to_owned(),
                        allowed: "purchase, sale, unknown".into(),
                    },
                )
            })
    }
}

/// Who the owner is: identifiers (VAT ids, SIREN, SIRET) and names.
#[derive(Debug, Clone, Default)]
pub struct Owner {
    /// `owner-ids`.
    pub ids: Vec<String>,
    /// `owner-names`.
    pub names: Vec<String>,
}

/// The comparable forms of one identifier: itself without separators, upper case, and the
/// SIREN it contains when it is a French VAT id, a SIRET or a SIREN.
pub fn id_keys(id: &str) -> Vec<String> {
    let compact: String = id
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_uppercase();
    if compact.is_empty() {
        return Vec::new();
    }
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mut keys = vec![compact.clone()];
    let siren = match compact.len() {
        9 if digits(&compact) => Some(compact.clone()),
        14 if digits(&compact) => Some(compact[..9].to_owned()),
        13 if compact.starts_with("FR") && digits(&compact[4..]) => Some(compact[4..].to_owned()),
        _ => None,
    };
    if let Some(s) = siren {
        keys.push(format!("SIREN:{s}"));
    }
    keys
}

const LEGAL_FORMS: &[&str] = &[
    "sarl", "sas", "sasu", "eurl", "sa", "sci", "snc", "scop", "ei", "eirl", "gmbh", "ag", "ltd",
    "llc", "inc", "bv", "nv", "srl", "spa", "sl",
];

/// A name in comparable form: lower case, no accents, words of letters and digits only, legal
/// forms left out.
pub fn name_key(name: &str) -> String {
    // Dots go without a trace, so that `S.A.` is the legal form `sa`.
    let folded: String = name
        .chars()
        .filter(|c| *c != '.')
        .map(|c| match c {
            'à' | 'â' | 'ä' | 'á' | 'À' | 'Â' | 'Ä' | 'Á' => 'a',
            'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => 'e',
            'î' | 'ï' | 'í' | 'Î' | 'Ï' | 'Í' => 'i',
            'ô' | 'ö' | 'ó' | 'Ô' | 'Ö' | 'Ó' => 'o',
            'ù' | 'û' | 'ü' | 'ú' | 'Ù' | 'Û' | 'Ü' | 'Ú' => 'u',
            'ç' | 'Ç' => 'c',
            'ß' => 's',
            c if c.is_alphanumeric() => c.to_lowercase().next().unwrap_or(c),
            _ => ' ',
        })
        .collect();
    folded
        .split_whitespace()
        .filter(|w| !LEGAL_FORMS.contains(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The identifier keys of a party (`seller` or `buyer`) of an extraction.
pub fn party_keys(fields: &Value, party: &str) -> BTreeSet<String> {
    ["vat_id", "legal_id"]
        .iter()
        .filter_map(|k| get(fields, &format!("{party}.{k}")))
        .flat_map(id_keys)
        .collect()
}

/// Whether two sets of identifier keys name the same company.
pub fn same_company(a: &BTreeSet<String>, b: &BTreeSet<String>) -> bool {
    a.intersection(b).next().is_some()
}

/// Formats whose documents are invoices (or may be): they get a direction.
pub fn is_invoice_format(format: &str) -> bool {
    matches!(
        format,
        "factur-x" | "ubl" | "cii" | "pdf-text" | "pdf-scan" | "image"
    )
}

/// How a party relates to the owner.
fn is_owner(fields: &Value, party: &str, owner: &Owner, owner_keys: &BTreeSet<String>) -> bool {
    let keys = party_keys(fields, party);
    if !keys.is_empty() && !owner_keys.is_empty() {
        return same_company(&keys, owner_keys);
    }
    let Some(name) = get(fields, &format!("{party}.name")).map(name_key) else {
        return false;
    };
    !name.is_empty() && owner.names.iter().any(|n| name_key(n) == name)
}

/// The direction of a document from its effective fields (see the module documentation).
pub fn decide(fields: &Value, owner: &Owner) -> Direction {
    if !get(fields, "format").is_some_and(is_invoice_format) {
        return Direction::Unknown;
    }
    let owner_keys: BTreeSet<String> = owner.ids.iter().flat_map(|i| id_keys(i)).collect();
    let seller = is_owner(fields, "seller", owner, &owner_keys);
    let buyer = is_owner(fields, "buyer", owner, &owner_keys);
    match (seller, buyer) {
        (true, false) => Direction::Sale,
        (false, true) => Direction::Purchase,
        _ => Direction::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn owner(ids: &[&str], names: &[&str]) -> Owner {
        Owner {
            ids: ids.iter().map(|s| (*s).to_owned()).collect(),
            names: names.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    fn invoice(seller: Value, buyer: Value) -> Value {
        json!({ "format": "ubl", "seller": seller, "buyer": buyer })
    }

    #[test]
    fn the_same_company_under_its_vat_id_siret_or_siren() {
        let fields = invoice(
            json!({ "name": "Au bon moulin", "vat_id": "FR 11 999 999 998" }),
            json!({ "name": "Ma jolie boutique", "vat_id": "FR19787878784" }),
        );
        // The owner gave a SIRET: its SIREN is in the seller's VAT id.
        assert_eq!(
            decide(&fields, &owner(&["99999999800010"], &[])),
            Direction::Sale
        );
        // The owner gave the buyer's SIREN.
        assert_eq!(
            decide(&fields, &owner(&["787 878 784"], &[])),
            Direction::Purchase
        );
        // Nobody we know.
        assert_eq!(
            decide(&fields, &owner(&["FR40303265045"], &[])),
            Direction::Unknown
        );
        // No owner set.
        assert_eq!(decide(&fields, &Owner::default()), Direction::Unknown);
    }

    #[test]
    fn a_foreign_vat_id_is_compared_whole() {
        let fields = invoice(
            json!({ "vat_id": "DE123456789" }),
            json!({ "vat_id": "DE987654321" }),
        );
        assert_eq!(
            decide(&fields, &owner(&["de 123456789"], &[])),
            Direction::Sale
        );
        // A prefix is not the same company.
        assert_eq!(
            decide(&fields, &owner(&["DE1234"], &[])),
            Direction::Unknown
        );
    }

    #[test]
    fn names_count_only_where_identifiers_are_missing() {
        let fields = invoice(
            json!({ "name": "AU BON MOULIN SARL" }),
            json!({ "name": "Ma jolie boutique", "vat_id": "FR19787878784" }),
        );
        let o = owner(&["FR40303265045"], &["Au Bon Moulin"]);
        // The seller has no identifier: its name is the owner's.
        assert_eq!(decide(&fields, &o), Direction::Sale);
        // A seller whose identifier is someone else's is not the owner, whatever its name.
        let other = invoice(
            json!({ "name": "Au bon moulin", "vat_id": "FR11999999998" }),
            json!({ "name": "Client" }),
        );
        assert_eq!(decide(&other, &o), Direction::Unknown);
        assert_eq!(name_key("Société Générale S.A."), "societe generale");
    }

    #[test]
    fn both_parties_the_owner_or_not_an_invoice_is_unknown() {
        let fields = invoice(
            json!({ "vat_id": "FR11999999998" }),
            json!({ "legal_id": "999999998" }),
        );
        assert_eq!(
            decide(&fields, &owner(&["999999998"], &[])),
            Direction::Unknown
        );
        let mail = json!({ "format": "message", "seller": { "vat_id": "FR11999999998" } });
        assert_eq!(
            decide(&mail, &owner(&["999999998"], &[])),
            Direction::Unknown
        );
    }

    #[test]
    fn directions_parse_from_their_names_only() {
        assert_eq!(Direction::parse(" Sale ").unwrap(), Direction::Sale);
        assert!(Direction::parse("sales").is_err());
    }
}
