//! The parties: seller and buyer names, their VAT ids and the seller's legal id.
//!
//! Promises: a VAT id in the buyer block (the buyer label and the unlabelled lines after it) or
//! on a buyer-VAT line ("N° TVA client", "Customer VAT Number") is the buyer's, others are the
//! seller's; when several distinct seller VAT ids remain, the only one printed within four lines
//! of the seller's name is chosen, else none. A SIREN/SIRET in the buyer block is not the
//! seller's. The seller's name comes from its label (or a heading alone on its line, skipping
//! "Key: value" and identifier lines below it), else a legal-form name on the letterhead, else
//! the name of a one-line sender address, else a legal-form name in the block that holds the
//! seller's VAT id or SIREN, else one in the footer, else a plain name heading the letterhead and
//! repeated later, else a plain name that a domain or a repetition confirms (see `names`);
//! greetings and page numbers never head a letterhead. The buyer's comes from
//! its label, else the recipient of a DIN 5008 letter.

use std::sync::LazyLock;

use regex::Regex;

use super::candidates::Candidate;
use super::identifiers::{VAT_ID, valid_vat_in};
use super::labels::{Hit, Label, label_hits, pieces};
use super::names::confirmed_name;
use super::values::clean_name;
use super::{TextFields, guess, numbers};

static LEGAL_FORM_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*((?:[\p{L}\p{N}&'’.\-]+ ){0,6}?(?:SASU|SAS|SARL|EURL|SA|SCI|SNC|SCOP|GmbH & Co\. KG|GmbH|AG|KG|UG|OHG|e\.K\.|Ltd\.?|Limited|LLC|LLP|Inc\.?|PLC|plc|B\.V\.|BV|S\.r\.l\.|SRL|S\.p\.A\.|SpA))(?:$|[\s,·•|])")
        .expect("static regex")
});
static SEPARATOR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\s+[·•●|–-]\s+|,\s+").expect("static regex"));
/// A label of the buyer's VAT id: the id on that line is not the seller's.
static BUYER_VAT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:(?:n[°º]\s*(?:de\s+)?)?tva (?:du )?client|customer(?:'s)? vat|vat (?:no\.?|number|id) (?:of the )?(?:customer|buyer|client)|buyer(?:'s)? vat|your vat|ihre ust|ust-?id(?:nr)?\.? (?:des )?(?:kunden|k[äa]ufers)|kunden-?ust|uw btw|btw[- ]?(?:nummer|nr\.?) (?:klant|afnemer)|nif (?:del )?cliente|p\.?\s?iva cliente|partita iva cliente)")
        .expect("static regex")
});
/// A greeting opens a letter's body, never a letterhead.
static GREETING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:bonjour|madame|monsieur|cher|ch[èe]re|dear|hello|hi\b|sehr geehrte|liebe|hallo|guten tag|geachte|beste|estimad[oa]|gentile|egregio)")
        .expect("static regex")
});
/// A one-line sender address ("Name GmbH · Street 5 · 10115 Berlin"): DIN 5008 return line.
static POSTCODE_PART: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(?:[A-Z]{1,2}-)?\d{4,5}\s+\p{L}").expect("static regex"));
static TITLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(?:facture|invoice|tax invoice|rechnung|avoir|credit note|gutschrift|factuur|creditnota|factura|fattura)\b")
        .expect("static regex")
});

/// Byte index where a line's buyer part starts, for lines of the buyer block.
pub(super) fn parties(
    lines: &[&str],
    indents: &[usize],
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
    // Lines of the buyer block whose buyer part is known from the page's columns.
    let mut by_column: Vec<usize> = Vec::new();
    if let Some(b) = buyer_line {
        let h = hits[b].iter().find(|h| h.label == Label::Buyer).copied();
        if let Some(h) = h {
            two_columns = h.start > 0;
            let buyer_col = (indents[b] + lines[b][..h.start].chars().count()).saturating_sub(4);
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
                // Positioned text (indented or padded): the buyer's part is what lies in or
                // right of the buyer label's column.
                let positioned = indents[j] > 0 || line.contains("  ");
                if two_columns && positioned {
                    let skip = buyer_col.saturating_sub(indents[j]);
                    let start = line.char_indices().nth(skip).map_or(line.len(), |c| c.0);
                    by_column.push(j);
                    buyer_block.push((j, start));
                    continue;
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
        if found.len() == 1 && BUYER_VAT.is_match(line) {
            buyer_vats.push(found[0].1.clone());
            continue;
        }
        match (block, found.len()) {
            (_, 0) => {}
            (Some(&(_, start)), 1)
                if start > 0 || !two_columns || buyer_block[0].0 == i || by_column.contains(&i) =>
            {
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

    // Legal id (seller): labelled SIREN/SIRET outside the buyer block.
    let legal_cands: Vec<&Candidate> = cands
        .iter()
        .filter(|c| {
            c.label == Label::LegalId && !buyer_block.iter().any(|(l, s)| *l == c.line && *s == 0)
        })
        .collect();
    let legal: std::collections::BTreeSet<String> =
        legal_cands.iter().map(|c| c.value.clone()).collect();
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
        out.buyer_name = din_recipient(lines, indents).and_then(|n| guess(n, 0.7));
    }

    // The lines that hold the seller's identifiers: the seller's block is around them.
    let block_lines: Vec<usize> = buyer_block.iter().map(|b| b.0).collect();
    let mut id_lines: Vec<usize> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let has_seller_vat = VAT_ID.find_iter(line).any(|m| {
            valid_vat_in(m.as_str()).is_some_and(|v| seller_vats.iter().any(|(s, _)| *s == v))
        });
        if has_seller_vat && !block_lines.contains(&i) {
            id_lines.push(i);
        }
    }
    id_lines.extend(legal_cands.iter().map(|c| c.line));
    id_lines.sort_unstable();
    id_lines.dedup();

    let buyer_name = out.buyer_name.as_ref().map(|g| g.value.clone());
    out.seller_name =
        seller_name(lines, hits, cands, buyer_line, &block_lines, &id_lines).or_else(|| {
            let n = confirmed_name(lines, &block_lines, &id_lines, buyer_name.as_deref())?;
            guess(n, 0.7)
        });

    // Seller VAT id: the only one left, else the only one printed next to the seller's name.
    let distinct: std::collections::BTreeSet<&String> =
        seller_vats.iter().map(|(v, _)| v).collect();
    let labelled_of = |v: &str| seller_vats.iter().any(|(s, l)| s == v && *l);
    if distinct.len() == 1 {
        let v = seller_vats[0].0.clone();
        out.seller_vat_id = guess(v.clone(), if labelled_of(&v) { 0.95 } else { 0.85 });
    } else if distinct.len() > 1 {
        let near_name: std::collections::BTreeSet<String> = out
            .seller_name
            .as_ref()
            .map(|n| n.value.to_lowercase())
            .map(|name| {
                let name_lines: Vec<usize> = (0..lines.len())
                    .filter(|&i| lines[i].to_lowercase().contains(&name))
                    .filter(|i| !block_lines.contains(i))
                    .collect();
                lines
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| name_lines.iter().any(|n| n.abs_diff(*i) <= 4))
                    .flat_map(|(_, l)| {
                        VAT_ID
                            .find_iter(l)
                            .filter_map(|m| valid_vat_in(m.as_str()))
                            .collect::<Vec<_>>()
                    })
                    .filter(|v| distinct.contains(v))
                    .collect()
            })
            .unwrap_or_default();
        if near_name.len() == 1 {
            let v = near_name.into_iter().next().unwrap_or_default();
            out.seller_vat_id = guess(v, 0.8);
        } else {
            out.issues
                .push("several seller VAT ids: none chosen".to_string());
        }
    }
    let bdistinct: std::collections::BTreeSet<&String> = buyer_vats.iter().collect();
    if bdistinct.len() == 1 {
        out.buyer_vat_id = guess(buyer_vats[0].clone(), 0.9);
    }
}

/// The seller's name: labelled; else a legal-form name heading the letterhead (before the
/// buyer); else the name of a one-line sender address (DIN 5008); else a legal-form name in the
/// block that holds the seller's VAT id or SIREN (`id_lines`); else one in the footer; else a
/// plain name heading the letterhead and repeated later in the document.
fn seller_name(
    lines: &[&str],
    hits: &[Vec<Hit>],
    cands: &[Candidate],
    buyer_line: Option<usize>,
    block_lines: &[usize],
    id_lines: &[usize],
) -> Option<super::Guess> {
    if let Some(c) = cands.iter().find(|c| c.label == Label::Seller) {
        return guess(c.value.clone(), 0.85);
    }
    let legal_form = |s: &str| {
        LEGAL_FORM_NAME
            .captures(s)
            .and_then(|c| c.get(1))
            .and_then(|m| clean_name(m.as_str()))
            .filter(|n| label_hits(n).is_empty() && !GREETING.is_match(n))
    };
    // The first line that is not a title, a greeting or a page number (or its part before a
    // buyer label on two-column headers) is where letterheads put the seller's name. Lines
    // with an amount and no legal-form name are skipped: producers that paint a floated totals
    // box first (Chromium) put its lines at the top of the text.
    let is_total_line = |i: usize| {
        !numbers::find_amounts(lines[i]).is_empty() && !LEGAL_FORM_NAME.is_match(lines[i])
    };
    let few_letters = |l: &str| l.chars().filter(|c| c.is_alphabetic()).count() < 2;
    let first = lines
        .iter()
        .enumerate()
        .find(|(i, l)| {
            !l.is_empty()
                && !TITLE.is_match(l)
                && !is_total_line(*i)
                && !few_letters(l)
                && !GREETING.is_match(l)
        })
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
    if let Some(n) = first_part.and_then(legal_form) {
        return guess(n, 0.9);
    }
    // The sender's one-line address above the recipient's window.
    let sender = din_sender(lines);
    if let Some(i) = sender
        && let Some(head) = SEPARATOR.split(lines[i]).next()
        && let Some(n) = legal_form(head).or_else(|| {
            let plain = head
                .chars()
                .all(|c| c.is_alphabetic() || " &'’.-".contains(c));
            plain.then(|| clean_name(head)).flatten()
        })
    {
        return guess(n, 0.8);
    }
    // The block that holds the seller's VAT id or SIREN: the nearest legal-form name above
    // (up to 12 lines) or just below (3 lines), outside the buyer's block.
    let mut best: Option<(usize, String)> = None;
    for &id in id_lines {
        let above = (id.saturating_sub(12)..=id).rev();
        let below = id + 1..(id + 4).min(lines.len());
        for j in above.chain(below) {
            if block_lines.contains(&j) {
                continue;
            }
            let part = SEPARATOR.split(lines[j]).next().unwrap_or("");
            if let Some(n) = legal_form(part) {
                let d = j.abs_diff(id);
                if best.as_ref().is_none_or(|b| d < b.0) {
                    best = Some((d, n));
                }
            }
        }
    }
    if let Some((_, n)) = best {
        return guess(n, 0.85);
    }
    for (i, line) in lines.iter().enumerate().rev() {
        if block_lines.contains(&i) {
            continue;
        }
        let footer = hits[i]
            .iter()
            .any(|h| matches!(h.label, Label::LegalId | Label::VatId | Label::Iban));
        if footer && let Some(n) = legal_form(line) {
            return guess(n, 0.85);
        }
    }
    // A plain name heading the letterhead and heading another line (the footer) too; not when
    // a sender's address line says the top of the page is the recipient's window.
    if sender.is_some() {
        return None;
    }
    let (part, (fi, _)) = (first_part?, first?);
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
        return clean_name(head).and_then(|n| guess(n, 0.75));
    }
    None
}

/// The sender's one-line return address of a letter ("Name GmbH · Street 5 · 10115 Berlin"):
/// at least two separated parts, a later one with a postcode and a town, in the first 40 lines.
fn din_sender(lines: &[&str]) -> Option<usize> {
    (0..lines.len().min(40)).find(|&i| {
        let parts: Vec<&str> = SEPARATOR.split(lines[i]).collect();
        let separated = lines[i].contains(['·', '•', '●', '|'])
            || lines[i].contains(" - ")
            || lines[i].contains(" – ");
        separated
            && parts.len() >= 3
            && parts[0].chars().filter(|c| c.is_alphabetic()).count() >= 2
            && parts[1..].iter().any(|p| POSTCODE_PART.is_match(p))
    })
}

/// The recipient of a DIN 5008 letter, which addresses the buyer without a label: under the
/// sender's one-line return address ("Name · Street 5 · 10115 Berlin") comes the address block,
/// a name without digits or labels followed by a line with a number (street or postcode). In
/// positioned text only the window's column counts (the letterhead may run beside it): the
/// first piece of each line, when it starts near the return line's column.
fn din_recipient(lines: &[&str], indents: &[usize]) -> Option<String> {
    let sender = din_sender(lines)?;
    let col = indents.get(sender).copied().unwrap_or(0);
    let window = |i: usize| -> Option<&str> {
        let (at, first) = *pieces(lines[i]).first()?;
        let start = indents.get(i).copied().unwrap_or(0) + lines[i][..at].chars().count();
        (start.abs_diff(col) <= 8).then_some(first)
    };
    let mut block = (sender + 1..lines.len().min(sender + 12)).filter_map(window);
    let (name, next) = (block.next()?, block.next()?);
    let unlabelled = |piece: &str| label_hits(piece).iter().all(|h| h.label == Label::Ignore);
    let plain =
        unlabelled(name) && !TITLE.is_match(name) && !name.chars().any(|c| c.is_ascii_digit());
    let address_follows = unlabelled(next) && next.chars().any(|c| c.is_ascii_digit());
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
        // The letterhead printed beside the window (positioned text).
        let t = "                    Bei Spiel GmbH  ●  Ecke 12  ●  12345 Stadthausen                      12345 Stadthausen\n\
                 \x20             Theodor Est                                                                 fon (555) 23 78 -0\n\
                 \x20                                                                                         fax (555) 23 78 -51\n\
                 \x20             Bahnstr. 42\n\n           Rechnung # RE-1 von 13.06.2015\n";
        assert_eq!(v(&extract_fields(t).buyer_name), Some("Theodor Est"));
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

    #[test]
    fn buyer_labels_are_not_sentences_or_identifiers() {
        let t = "ACME SAS\nFacture N° F-1\nRèglement Facture à régler par virement sur le compte suivant :\n";
        assert_eq!(v(&extract_fields(t).buyer_name), None);
        let t = "Globex Ltd\nInvoice No. 7\nPayment Invoice to pay by wire transfer to the following bank account:\n";
        assert_eq!(v(&extract_fields(t).buyer_name), None);
        let t = "ACME SAS\nN° DE CLIENT : 4711\nFacture N° F-1\n";
        assert_eq!(v(&extract_fields(t).buyer_name), None);
        let t = "Globex Ltd\nCustomer: 2\nInvoice No. 7\n";
        assert_eq!(v(&extract_fields(t).buyer_name), None);
        let t = "Globex Ltd\nBill To:\nInitech LLC\n";
        assert_eq!(v(&extract_fields(t).buyer_name), Some("Initech LLC"));
    }

    #[test]
    fn party_name_under_its_heading_skips_label_lines() {
        let t = "Verkäufer:\nNummer   : 12345676\nRohstoff AG Salzgitter\nMarktstr. 153\n\
                 Käufer/Leistungsempfänger:\nNummer : 75969813\nMetallbau Leipzig GmbH & Co. KG\n";
        let f = extract_fields(t);
        assert_eq!(v(&f.seller_name), Some("Rohstoff AG Salzgitter"));
        assert_eq!(v(&f.buyer_name), Some("Metallbau Leipzig GmbH & Co. KG"));
        // A heading alone on its line, then "Name: X" (XRechnung visualisation), blank lines between.
        let t = "Verkäufer\n\nGlobale Nummer: 4000001123452 (GLN)\n\nName: Lieferant GmbH\n\nKäufer\nName: Kunden AG Mitte\n";
        let f = extract_fields(t);
        assert_eq!(v(&f.seller_name), Some("Lieferant GmbH"));
        assert_eq!(v(&f.buyer_name), Some("Kunden AG Mitte"));
        let t = "Service Provider:\n(Not to be used for payment remittance)\nAmazing Web Services, Inc.\n";
        assert_eq!(
            v(&extract_fields(t).seller_name),
            Some("Amazing Web Services, Inc.")
        );
    }

    #[test]
    fn seller_anchored_on_its_vat_id_not_the_recipient() {
        // Recipient's window first in the text, then the sender's return line.
        let t = "Hong Kong\nYuen Long\n93B Sai Yu Chung\nNorthwind Ltd.\n\
                 Hosting Partner AG - Uferweg 40 - D-63571 Gelnhausen\nRechnungsdatum 7. Mai 2014\n\
                 Hosting Partner AG\nRegistergericht Hanau\nUStId DE 232 446 240\nHong Kong\n";
        let f = extract_fields(t);
        assert_eq!(v(&f.seller_name), Some("Hosting Partner AG"));
        assert_eq!(v(&f.seller_vat_id), Some("DE232446240"));
        // No letterhead name: the legal-form name of the block holding the VAT id.
        let t = "FACTUUR.\nDat betaal ik zelf wel.\n Koelblauw B.V.\nWeena 664\n3012 CN Rotterdam\n\
                 NL810433941B01BTW \nPino Bluebird\nSessamestreet 32\n";
        let f = extract_fields(t);
        assert_eq!(v(&f.seller_name), Some("Koelblauw B.V."));
        assert_eq!(
            v(&f.seller_vat_id),
            Some("NL810433941B01"),
            "label glued after the id"
        );
        // A greeting or a page number does not head a letterhead.
        let t = "1 / 1\nSehr geehrte Damen und Herren,\nMüller Technik GmbH · Hauptstr. 1 · 10115 Berlin\n";
        assert_eq!(
            v(&extract_fields(t).seller_name),
            Some("Müller Technik GmbH")
        );
        let t = "Dear customer,\nThank you.\nDear customer,\n";
        assert_eq!(v(&extract_fields(t).seller_name), None);
    }

    #[test]
    fn buyer_vat_id_in_the_buyer_column() {
        let t = "         ACME Conseil SAS                                  Facturé à : Dupont & Fils SARL\n\
                 \x20        12 rue des Lilas                                  5 avenue Foch\n\
                 \x20                                                          TVA intracom. : FR34494894363\n\n\
                 \x20        FACTURE\n\
                 \x20        ACME Conseil SAS - RCS Lyon 503 093 809 - TVA intracom. : FR45503093809\n";
        let f = extract_fields(t);
        assert_eq!(v(&f.buyer_vat_id), Some("FR34494894363"));
        assert_eq!(v(&f.seller_vat_id), Some("FR45503093809"));
        // The seller's id in the left column of a buyer block line stays the seller's.
        let t = "  ACME SAS                        Client : Dupont SARL\n\
                 \x20 TVA : FR45503093809             5 avenue Foch\n";
        let f = extract_fields(t);
        assert_eq!(v(&f.seller_vat_id), Some("FR45503093809"));
        assert_eq!(f.buyer_vat_id, None);
    }

    #[test]
    fn buyer_vat_labels_and_two_vat_ids() {
        let t = "Au bon moulin SARL - 1242 chemin de l'olive - 84340 Malaucène\n\
                 TVA : FR44732829320 - SIRET : 732 829 320 00074\nFacture FA-1\n\
                 N° TVA client FR40303265045\n";
        let f = extract_fields(t);
        assert_eq!(v(&f.seller_vat_id), Some("FR44732829320"));
        assert_eq!(v(&f.buyer_vat_id), Some("FR40303265045"));
        let t = "Northwind Ltd\nVAT No: GB123456789\nCustomer VAT Number FR40303265045\n";
        assert_eq!(v(&extract_fields(t).seller_vat_id), Some("GB123456789"));
        // Two ids, no label: the one printed by the seller's name.
        let t = "Hosting GmbH Industriestr. 25 | 91710 Gunzenhausen\nGeschäftsführer: M. H.\n\
                 USt-IdNr. DE136695976\nHosting GmbH • Industriestr. 25 • 91710 Gunzenhausen\n\
                 Usegroup\nHerr J. S.\nHuswertstr. 14\n60435 Frankfurt\nTel. 1\nFax 2\nWeb\n\
                 USt-IdNr.: DE123456789\nRechnung R1\n";
        let f = extract_fields(t);
        assert_eq!(v(&f.seller_name), Some("Hosting GmbH"));
        assert_eq!(v(&f.seller_vat_id), Some("DE136695976"));
    }
}
