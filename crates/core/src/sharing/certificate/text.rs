//! The words of an integrity certificate: what is known of each document, written as the lines
//! of text that are both signed and shown on the certificate's pages, in French or English.
//!
//! Promises: [`write`] is a pure function of its facts and language; every value taken from a
//! document (names, fields, audit details) is put on one line (control characters become
//! spaces) and bounded in length, so a value can neither start a line of its own nor imitate
//! the certificate's structure.

use serde::{Deserialize, Serialize};

use crate::storage::audit::AuditEntry;
use crate::{Error, Result, Why};

/// The first line of the signed text's format statement: the layout of the pages a certificate
/// of this format has ([`super::pdf`]) is fixed by it.
pub const FORMAT: &str = "coffre-certificate/1";

/// Longest value shown, in characters.
const MAX_VALUE: usize = 300;

/// The language of a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// English.
    En,
    /// French.
    Fr,
}

impl Lang {
    /// `en` or `fr`, as written in audit entries and on the wire.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    /// `en` or `fr` (a region such as `fr-FR` or `fr_FR.UTF-8` is accepted).
    pub fn parse(text: &str) -> Result<Lang> {
        let base = text
            .trim()
            .split(['-', '_', '.'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match base.as_str() {
            "en" => Ok(Lang::En),
            "fr" => Ok(Lang::Fr),
            _ => Err(Error::invalid(
                "lang",
                Why::NotOneOf {
                    value: text.trim().to_owned(),
                    allowed: "en, fr".into(),
                },
            )),
        }
    }
}

/// What a certificate states about one document.
#[derive(Debug, Clone)]
pub struct DocumentFacts {
    /// The document's id.
    pub id: String,
    /// Its original file name.
    pub name: String,
    /// Its media type.
    pub media_type: String,
    /// Its size in bytes.
    pub size: u64,
    /// SHA-256 of its original bytes, hex, as recorded at import (and found again now).
    pub sha256: String,
    /// When it was imported, RFC 3339.
    pub imported_at: String,
    /// How it came in (`drop`, `watch`, `cli`, `mail`, `inbox`, `attachment`), if recorded.
    pub source: Option<String>,
    /// Key fields: number, issue date, seller, buyer, totals and currency (effective values,
    /// corrections applied).
    pub number: Option<String>,
    /// Issue date.
    pub issue_date: Option<String>,
    /// Seller's name.
    pub seller: Option<String>,
    /// Buyer's name.
    pub buyer: Option<String>,
    /// Total without VAT.
    pub total_without_vat: Option<String>,
    /// Total VAT.
    pub total_vat: Option<String>,
    /// Total with VAT.
    pub total_with_vat: Option<String>,
    /// Currency code.
    pub currency: Option<String>,
    /// Last day it must be kept.
    pub retain_until: String,
    /// Why it is on legal hold, if it is.
    pub hold_reason: Option<String>,
    /// Why its processing is restricted, if it is.
    pub restricted_reason: Option<String>,
    /// Every audit entry that concerns it, oldest first.
    pub audit: Vec<AuditEntry>,
}

/// What a certificate states.
#[derive(Debug, Clone)]
pub struct Facts {
    /// The certificate's id (random).
    pub certificate_id: String,
    /// When it was made, RFC 3339 UTC.
    pub created_at: String,
    /// The vault's id.
    pub vault_id: String,
    /// The signing key's fingerprint ([`crate::sharing::bundle::key_fingerprint`]).
    pub key_fingerprint: String,
    /// Audit entries checked in the chain (which held).
    pub audit_entries: u64,
    /// The documents, in the order asked.
    pub documents: Vec<DocumentFacts>,
}

struct Words {
    /// What follows a label: `:` in English, ` :` in French.
    colon: &'static str,
    title: &'static str,
    certificate: &'static str,
    made: &'static str,
    vault: &'static str,
    key: &'static str,
    chain: &'static str,
    count: &'static str,
    document: &'static str,
    of: &'static str,
    id: &'static str,
    media: &'static str,
    size: &'static str,
    bytes: &'static str,
    imported: &'static str,
    number: &'static str,
    issued: &'static str,
    seller: &'static str,
    buyer: &'static str,
    totals: &'static str,
    without_vat: &'static str,
    vat: &'static str,
    with_vat: &'static str,
    kept_until: &'static str,
    hold: &'static str,
    restricted: &'static str,
    none: &'static str,
    result: &'static str,
    intact_word: &'static str,
    intact: &'static str,
    /// Singular, plural.
    history: [&'static str; 2],
    closing: [&'static str; 4],
}

const EN: Words = Words {
    colon: ":",
    title: "Coffre — Integrity certificate",
    certificate: "Certificate",
    made: "made",
    vault: "vault",
    key: "Signing key (Ed25519), SHA-256 fingerprint",
    chain: "Audit trail: the chain of entries holds ({n} entries checked, none altered, none missing).",
    count: "Documents certified",
    document: "Document",
    of: "of",
    id: "Id",
    media: "Type",
    size: "Size",
    bytes: "bytes",
    imported: "Imported",
    number: "Invoice number",
    issued: "Issue date",
    seller: "Seller",
    buyer: "Buyer",
    totals: "Totals",
    without_vat: "without VAT",
    vat: "VAT",
    with_vat: "with VAT",
    kept_until: "Kept until",
    hold: "Legal hold",
    restricted: "Restricted",
    none: "none",
    result: "Result",
    intact_word: "intact",
    intact: "its bytes, decrypted and authenticated when this certificate was made, match the SHA-256 recorded at import.",
    history: ["History (1 audit entry)", "History ({n} audit entries)"],
    closing: [
        "The text of this certificate is attached to this PDF (certificate.txt) with its Ed25519",
        "signature (certificate.sig) and the signer's public key (signer.pem). `coffre certify",
        "--verify` checks the signature, the signer and that these pages show that text; see",
        "docs/vault-format.md, section 16, for checking with standard tools.",
    ],
};

const FR: Words = Words {
    colon: " :",
    title: "Coffre — Certificat d'intégrité",
    certificate: "Certificat",
    made: "établi le",
    vault: "coffre",
    key: "Clé de signature (Ed25519), empreinte SHA-256",
    chain: "Journal d'audit : la chaîne des entrées est intègre ({n} entrées vérifiées, aucune altérée, aucune manquante).",
    count: "Documents certifiés",
    document: "Document",
    of: "sur",
    id: "Identifiant",
    media: "Type",
    size: "Taille",
    bytes: "octets",
    imported: "Importé le",
    number: "Numéro de facture",
    issued: "Date d'émission",
    seller: "Vendeur",
    buyer: "Acheteur",
    totals: "Totaux",
    without_vat: "HT",
    vat: "TVA",
    with_vat: "TTC",
    kept_until: "Conservé jusqu'au",
    hold: "Gel juridique",
    restricted: "Limitation",
    none: "aucun",
    result: "Résultat",
    intact_word: "intègre",
    intact: "ses octets, déchiffrés et authentifiés à l'établissement de ce certificat, correspondent au SHA-256 enregistré à l'import.",
    history: [
        "Historique (1 entrée du journal d'audit)",
        "Historique ({n} entrées du journal d'audit)",
    ],
    closing: [
        "Le texte de ce certificat est joint à ce PDF (certificate.txt) avec sa signature Ed25519",
        "(certificate.sig) et la clé publique du signataire (signer.pem). `coffre certify --verify`",
        "vérifie la signature, le signataire et que ces pages montrent ce texte ; voir",
        "docs/vault-format.md, section 16, pour la vérification avec des outils standard.",
    ],
};

fn source_text(source: Option<&str>, lang: Lang) -> &'static str {
    match (lang, source) {
        (Lang::En, Some("drop")) => "dropped on the window",
        (Lang::En, Some("watch")) => "from the watched import folder",
        (Lang::En, Some("inbox")) => "from the watched import folder, while the vault was locked",
        (Lang::En, Some("cli")) => "imported with the coffre command",
        (Lang::En, Some("mail")) => "fetched from a mailbox",
        (Lang::En, Some("attachment")) => "attached to an e-mail stored in the vault",
        (Lang::En, _) => "source not recorded",
        (Lang::Fr, Some("drop")) => "déposé sur la fenêtre",
        (Lang::Fr, Some("watch")) => "depuis le dossier d'import surveillé",
        (Lang::Fr, Some("inbox")) => "depuis le dossier d'import surveillé, coffre verrouillé",
        (Lang::Fr, Some("cli")) => "importé avec la commande coffre",
        (Lang::Fr, Some("mail")) => "relevé dans une boîte aux lettres",
        (Lang::Fr, Some("attachment")) => "joint à un e-mail conservé dans le coffre",
        (Lang::Fr, _) => "origine non enregistrée",
    }
}

/// A value from a document on one line: control characters become spaces, runs of spaces
/// shrink to one, and it is cut at [`MAX_VALUE`] characters.
pub fn one_line(value: &str) -> String {
    let mut out = String::new();
    let mut space = false;
    for c in value.chars() {
        if c.is_control() || c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        if out.chars().count() >= MAX_VALUE {
            out.push('…');
            break;
        }
        out.push(c);
    }
    out
}

/// An audit entry's detail as `key=value` pairs on one line, keys sorted.
fn detail_text(detail: &serde_json::Value) -> String {
    let Some(map) = detail.as_object() else {
        return String::new();
    };
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    let pairs: Vec<String> = keys
        .into_iter()
        .filter(|k| !map[*k].is_null())
        .map(|k| match &map[k] {
            serde_json::Value::String(s) => format!("{k}={s}"),
            other => format!("{k}={other}"),
        })
        .collect();
    one_line(&pairs.join(" "))
}

fn n(template: &str, count: impl std::fmt::Display) -> String {
    template.replace("{n}", &count.to_string())
}

/// The certificate's text: one line per `\n`, the first its title.
pub fn write(facts: &Facts, lang: Lang) -> String {
    let w = match lang {
        Lang::En => &EN,
        Lang::Fr => &FR,
    };
    let field =
        |indent: &str, label: &str, value: &str| format!("{indent}{label}{} {value}", w.colon);
    let mut out: Vec<String> = vec![
        w.title.to_owned(),
        format!(
            "{} {} · {} {} · {} {}",
            w.certificate, facts.certificate_id, w.made, facts.created_at, w.vault, facts.vault_id
        ),
        field("", w.key, ""),
        format!("  {}", facts.key_fingerprint),
        n(w.chain, facts.audit_entries),
        field("", w.count, &facts.documents.len().to_string()),
    ];
    // The key's label ends the line.
    out[2] = out[2].trim_end().to_owned();
    let total = facts.documents.len();
    for (i, d) in facts.documents.iter().enumerate() {
        let opt = |v: &Option<String>| v.as_deref().map(one_line);
        let heading = format!("{} {} {} {}", w.document, i + 1, w.of, total);
        out.push(String::new());
        out.push(field("", &heading, &one_line(&d.name)));
        out.push(field("  ", w.id, &d.id));
        out.push(field("  ", w.media, &one_line(&d.media_type)));
        out.push(field("  ", w.size, &format!("{} {}", d.size, w.bytes)));
        out.push(field("  ", "SHA-256", &d.sha256));
        let how = source_text(d.source.as_deref(), lang);
        out.push(field(
            "  ",
            w.imported,
            &format!("{} ({how})", d.imported_at),
        ));
        for (label, value) in [
            (w.number, &d.number),
            (w.issued, &d.issue_date),
            (w.seller, &d.seller),
            (w.buyer, &d.buyer),
        ] {
            if let Some(v) = opt(value) {
                out.push(field("  ", label, &v));
            }
        }
        let totals: Vec<String> = [
            (&d.total_without_vat, w.without_vat),
            (&d.total_vat, w.vat),
            (&d.total_with_vat, w.with_vat),
        ]
        .into_iter()
        .filter_map(|(v, label)| opt(v).map(|v| format!("{v} {label}")))
        .collect();
        if !totals.is_empty() {
            let currency = opt(&d.currency)
                .map(|c| format!(" ({c})"))
                .unwrap_or_default();
            out.push(field(
                "  ",
                w.totals,
                &format!("{}{currency}", totals.join(", ")),
            ));
        }
        out.push(field("  ", w.kept_until, &d.retain_until));
        let hold = opt(&d.hold_reason).unwrap_or_else(|| w.none.to_owned());
        out.push(field("  ", w.hold, &hold));
        if let Some(v) = opt(&d.restricted_reason) {
            out.push(field("  ", w.restricted, &v));
        }
        out.push(field(
            "  ",
            w.result,
            &format!("{} — {}", w.intact_word, w.intact),
        ));
        let history = w.history[usize::from(d.audit.len() != 1)];
        out.push(
            field("  ", &n(history, d.audit.len()), "")
                .trim_end()
                .to_owned(),
        );
        for e in &d.audit {
            let detail = detail_text(&e.detail);
            let sep = if detail.is_empty() { "" } else { " " };
            out.push(format!(
                "    #{} {} {}{sep}{detail}",
                e.seq,
                e.at,
                one_line(&e.action)
            ));
        }
    }
    out.push(String::new());
    out.push(field("", "Format", FORMAT));
    out.extend(w.closing.iter().map(|s| (*s).to_owned()));
    let mut text = out.join("\n");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_stay_on_their_line() {
        assert_eq!(one_line("  a\n\nb\r\tc  "), "a b c");
        assert_eq!(one_line("x\u{2028}Result: intact"), "x Result: intact");
        let long = "é".repeat(400);
        assert_eq!(one_line(&long).chars().count(), MAX_VALUE + 1);
    }

    #[test]
    fn languages_parse() {
        assert_eq!(Lang::parse("fr_FR.UTF-8").unwrap(), Lang::Fr);
        assert_eq!(Lang::parse("en-GB").unwrap(), Lang::En);
        assert!(Lang::parse("de").is_err());
    }
}
