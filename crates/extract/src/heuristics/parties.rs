//! The parties: seller and buyer names, their VAT ids and the seller's legal id.
//!
//! Promises: a VAT id in the buyer block (the buyer label and the unlabelled lines after it) is
//! the buyer's, others are the seller's; when several distinct seller VAT ids remain, none is
//! chosen. A SIREN/SIRET in the buyer block is not the seller's. The seller's name comes from
//! its label, else a legal-form name on the letterhead or in the footer, else a plain name
//! heading the letterhead and repeated later; the buyer's from its label, else the recipient of
//! a DIN 5008 letter.

use std::sync::LazyLock;

use regex::Regex;

use super::candidates::Candidate;
use super::identifiers::{VAT_ID, valid_vat_in};
use super::labels::{Hit, Label, label_hits};
use super::values::clean_name;
use super::{TextFields, guess, numbers};

static LEGAL_FORM_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*((?:[\p{L}\p{N}&'’.\-]+ ){0,6}?(?:SASU|SAS|SARL|EURL|SA|SCI|SNC|SCOP|GmbH & Co\. KG|GmbH|AG|KG|UG|OHG|e\.K\.|Ltd\.?|Limited|LLC|LLP|Inc\.?|PLC|plc|B\.V\.|BV|S\.r\.l\.|SRL|S\.p\.A\.|SpA))(?:$|[\s,·•|])")
        .expect("static regex")
});
static SEPARATOR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\s+[·•|–-]\s+|,\s+").expect("static regex"));
static TITLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(?:facture|invoice|tax invoice|rechnung|avoir|credit note|gutschrift)\b")
        .expect("static regex")
});

/// Byte index where a line's buyer part starts, for lines of the buyer block.
pub(super) fn parties(
    lines: &[&str],
    hits: &[Vec<Hit>],
    cands: &[Candidate],
    out: &mut TextFields,
) {
    // The buyer block: the buyer label line and the next non-empty lines without other labels.
    let buyer_line = hits
        .iter()
        .position(|hs| hs.iter().any(|h| h.label == Label::Buyer));
    let mut buyer_block: Vec<(usize, usize)> = Vec::new(); // (line, byte start of buyer part)
    let mut two_columns = false;
    if let Some(b) = buyer_line {
        let h = hits[b].iter().find(|h| h.label == Label::Buyer).copied();
        if let Some(h) = h {
            two_columns = h.start > 0;
            buyer_block.push((b, h.start));
            for (j, line) in lines.iter().enumerate().skip(b + 1).take(6) {
                let has_vat_id = VAT_ID
                    .find_iter(line)
                    .any(|m| valid_vat_in(m.as_str()).is_some());
                // A "TVA :" label followed by a VAT id labels the id, not a VAT amount.
                let neutral = |l: Label| {
                    matches!(l, Label::VatId | Label::Ignore | Label::LegalId)
                        || (l == Label::Vat && has_vat_id)
                };
                let labelled = hits[j].iter().any(|h| !neutral(h.label));
                if line.is_empty() || labelled {
                    break;
                }
                buyer_block.push((j, 0));
            }
        }
    }
    let in_buyer =
        |line: usize, pos: usize| buyer_block.iter().any(|&(l, s)| l == line && pos >= s);

    // VAT ids.
    let mut seller_vats: Vec<(String, bool)> = Vec::new();
    let mut buyer_vats: Vec<String> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let found: Vec<(usize, String)> = VAT_ID
            .find_iter(line)
            .filter_map(|m| valid_vat_in(m.as_str()).map(|v| (m.start(), v)))
            .collect();
        let labelled = hits[i].iter().any(|h| h.label == Label::VatId);
        let block = buyer_block.iter().find(|(l, _)| *l == i);
        match (block, found.len()) {
            (_, 0) => {}
            (Some(&(_, start)), 1) if start > 0 || !two_columns || buyer_block[0].0 == i => {
                let (pos, v) = &found[0];
                if in_buyer(i, *pos) {
                    buyer_vats.push(v.clone());
                } else {
                    seller_vats.push((v.clone(), labelled));
                }
            }
            (Some(_), 1) => {} // one id on a two-column line: whose is it? Leave it.
            (Some(_), _) => {
                seller_vats.push((found[0].1.clone(), labelled));
                buyer_vats.push(found[found.len() - 1].1.clone());
            }
            (None, _) => {
                for (_, v) in found {
                    seller_vats.push((v, labelled));
                }
            }
        }
    }
    seller_vats.retain(|(v, _)| !buyer_vats.contains(v));
    let distinct: std::collections::BTreeSet<&String> =
        seller_vats.iter().map(|(v, _)| v).collect();
    if distinct.len() == 1 {
        let labelled = seller_vats.iter().any(|(_, l)| *l);
        out.seller_vat_id = guess(seller_vats[0].0.clone(), if labelled { 0.95 } else { 0.85 });
    } else if distinct.len() > 1 {
        out.issues
            .push("several seller VAT ids: none chosen".to_string());
    }
    let bdistinct: std::collections::BTreeSet<&String> = buyer_vats.iter().collect();
    if bdistinct.len() == 1 {
        out.buyer_vat_id = guess(buyer_vats[0].clone(), 0.9);
    }

    // Legal id (seller): labelled SIREN/SIRET outside the buyer block.
    let legal: std::collections::BTreeSet<String> = cands
        .iter()
        .filter(|c| {
            c.label == Label::LegalId && !buyer_block.iter().any(|(l, s)| *l == c.line && *s == 0)
        })
        .map(|c| c.value.clone())
        .collect();
    if legal.len() == 1 {
        out.seller_legal_id = legal.into_iter().next().and_then(|v| guess(v, 0.95));
    } else if legal.len() == 2 {
        // A SIRET and its own SIREN: keep the SIRET.
        let v: Vec<String> = legal.into_iter().collect();
        let (a, b) = (&v[0], &v[1]);
        let pick = if a.len() == 14 && a.starts_with(b.as_str()) {
            Some(a.clone())
        } else if b.len() == 14 && b.starts_with(a.as_str()) {
            Some(b.clone())
        } else {
            None
        };
        out.seller_legal_id = pick.and_then(|p| guess(p, 0.9));
    }

    // Buyer name.
    if let Some(c) = cands.iter().find(|c| c.label == Label::Buyer) {
        out.buyer_name = guess(c.value.clone(), if c.below { 0.8 } else { 0.85 });
    } else if buyer_line.is_none() {
        out.buyer_name = din_recipient(lines, hits).and_then(|n| guess(n, 0.7));
    }

    // Seller name: labelled, else a legal-form name at the top (before the buyer), else one in
    // the footer, else a first line repeated later in the document.
    if let Some(c) = cands.iter().find(|c| c.label == Label::Seller) {
        out.seller_name = guess(c.value.clone(), 0.85);
        return;
    }
    // The first line that is not a title (or its part before a buyer label on two-column
    // headers) is where letterheads put the seller's name. Lines with an amount and no
    // legal-form name are skipped: producers that paint a floated totals box first (Chromium)
    // put its lines at the top of the text.
    let is_total_line = |i: usize| {
        !numbers::find_amounts(lines[i]).is_empty() && !LEGAL_FORM_NAME.is_match(lines[i])
    };
    let first = lines
        .iter()
        .enumerate()
        .find(|(i, l)| !l.is_empty() && !TITLE.is_match(l) && !is_total_line(*i))
        .filter(|(i, _)| buyer_line.is_none_or(|b| *i <= b));
    let first_part: Option<&str> = first.map(|(i, line)| {
        let limit = if Some(i) == buyer_line {
            hits[i]
                .iter()
                .find(|h| h.label == Label::Buyer)
                .map_or(0, |h| h.start)
        } else {
            line.len()
        };
        &line[..limit]
    });
    if let Some(part) = first_part
        && let Some(n) = LEGAL_FORM_NAME
            .captures(part)
            .and_then(|c| c.get(1))
            .and_then(|m| clean_name(m.as_str()))
    {
        out.seller_name = guess(n, 0.9);
        return;
    }
    let block_lines: Vec<usize> = buyer_block.iter().map(|b| b.0).collect();
    for (i, line) in lines.iter().enumerate().rev() {
        if block_lines.contains(&i) {
            continue;
        }
        let footer = hits[i]
            .iter()
            .any(|h| matches!(h.label, Label::LegalId | Label::VatId | Label::Iban));
        if !footer {
            continue;
        }
        if let Some(c) = LEGAL_FORM_NAME.captures(line)
            && let Some(n) = c.get(1).and_then(|m| clean_name(m.as_str()))
        {
            out.seller_name = guess(n, 0.85);
            return;
        }
    }
    // A plain name heading the letterhead and heading another line (the footer) too.
    if let (Some(part), Some((fi, _))) = (first_part, first) {
        let head = SEPARATOR.split(part).next().unwrap_or("").trim();
        let plain = head
            .chars()
            .all(|c| c.is_alphabetic() || " &'’.-".contains(c));
        let len = head.chars().count();
        let repeated = lines
            .iter()
            .enumerate()
            .any(|(j, l)| j != fi && l.starts_with(head) && !block_lines.contains(&j));
        if plain && (2..=50).contains(&len) && repeated && label_hits(head).is_empty() {
            out.seller_name = clean_name(head).and_then(|n| guess(n, 0.75));
        }
    }
}

/// The recipient of a DIN 5008 letter, which addresses the buyer without a label: under the
/// sender's one-line return address ("Name · Street 5 · 10115 Berlin") comes the address block,
/// a name without digits or labels followed by a line with a number (street or postcode).
fn din_recipient(lines: &[&str], hits: &[Vec<Hit>]) -> Option<String> {
    let nonempty: Vec<usize> = (0..lines.len().min(12))
        .filter(|&i| !lines[i].is_empty())
        .collect();
    let (k, _) = nonempty.iter().enumerate().find(|&(_, &i)| {
        let parts: Vec<&str> = SEPARATOR.split(lines[i]).collect();
        parts.len() >= 2
            && lines[i].contains(['·', '•', '|'])
            && parts[1..]
                .iter()
                .any(|p| p.chars().any(|c| c.is_ascii_digit()))
    })?;
    let (&name_line, &next_line) = (nonempty.get(k + 1)?, nonempty.get(k + 2)?);
    let name = lines[name_line];
    let plain = hits[name_line].is_empty()
        && !TITLE.is_match(name)
        && !name.chars().any(|c| c.is_ascii_digit());
    let address_follows =
        hits[next_line].is_empty() && lines[next_line].chars().any(|c| c.is_ascii_digit());
    if plain && address_follows {
        clean_name(name)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::super::{extract_fields, v};

    #[test]
    fn din_letter_recipient_without_label() {
        let t = "Lindner Gartenbau GmbH & Co. KG · Gärtnerweg 9, 01067 Dresden\n\n\
                 Hotel Seeblick GmbH\nUferstraße 1\n01326 Dresden\n\
                 Rechnungsnummer: 2026/RE/0733\nRECHNUNG\n";
        let f = extract_fields(t);
        assert_eq!(v(&f.buyer_name), Some("Hotel Seeblick GmbH"));
        assert_eq!(v(&f.seller_name), Some("Lindner Gartenbau GmbH & Co. KG"));
        // A letterhead line followed by a title or a phone number names no recipient.
        let t = "ACME SAS · 12 rue des Lilas · 69003 Lyon\nFACTURE\nFacture N° F-1\n";
        assert_eq!(v(&extract_fields(t).buyer_name), None);
        let t = "ACME SAS · 12 rue des Lilas · 69003 Lyon\nTél. 04 72 00 00 00\nFacture N° F-1\n";
        assert_eq!(v(&extract_fields(t).buyer_name), None);
    }

    #[test]
    fn totals_box_read_before_the_letterhead() {
        let t = "Total HT 5.130,00 €\nTVA 10 % 513,00 €\nTotal TTC 5.643,00 €\n\
                 Acompte versé -1.500,00 €\nNet à payer 4.143,00 €\n\n\
                 Menuiserie Fabre SARL\nRoute de Nîmes, 30000 Nîmes\n\nFACTURE\n\
                 Facture N° 2026-F-0099\nDate de facture : 31/01/2026\n";
        let f = extract_fields(t);
        assert_eq!(v(&f.seller_name), Some("Menuiserie Fabre SARL"));
        assert_eq!(v(&f.amount_due), Some("4143.00"));
        let capital = "ACME SAS au capital de 10 000,00 €\nFacture N° F-1\n";
        assert_eq!(v(&extract_fields(capital).seller_name), Some("ACME SAS"));
    }
}
