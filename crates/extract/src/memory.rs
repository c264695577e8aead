//! Supplier memory: where one supplier prints a field, learned from the owner's correction of
//! one of its invoices and used first on its next ones.
//!
//! An [`Anchor`] is the label printed beside a value (normalised: lower case, single spaces, no
//! surrounding punctuation) and where the value sat: to its right on the same line, or on a
//! following line, below. [`learn`] finds the corrected value in the text of the corrected
//! invoice and the label beside it; [`recall`] finds that label in another invoice's text and
//! reads the value to its right or below it (the learned placement first, the others next:
//! suppliers move things between templates), read and checked like any value of the field: a
//! date is a real date, an amount an amount, an identifier passes its checksum, a number holds a
//! digit. [`identifiers`] lists the identifiers printed in a text (VAT ids, SIREN, IBANs), by
//! which the vault recognises a supplier.
//!
//! Promises: pure functions over text that do not panic on any input; a recalled value is one
//! the field's own reader accepts, or nothing.

use crate::checks;
use crate::heuristics::identifiers::{IBAN, VAT_ID, legal_id_in, valid_iban_in, valid_vat_in};
use crate::heuristics::values::clean_name;
use crate::heuristics::{dates, numbers};

/// Most following lines a value may sit below its label.
pub const MAX_LINES_BELOW: u8 = 3;

/// Where a value sat relative to its label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// On the label's line, after it.
    Right,
    /// On the n-th non-blank line after the label's (1 = the next one), nearest the label's
    /// column.
    Below(u8),
}

impl Placement {
    /// The placement's stored form: `right` or `below:N`.
    pub fn as_text(self) -> String {
        match self {
            Placement::Right => "right".into(),
            Placement::Below(n) => format!("below:{n}"),
        }
    }

    /// Reads [`Placement::as_text`]'s form.
    pub fn from_text(s: &str) -> Option<Placement> {
        if s == "right" {
            return Some(Placement::Right);
        }
        let n: u8 = s.strip_prefix("below:")?.parse().ok()?;
        (1..=MAX_LINES_BELOW)
            .contains(&n)
            .then_some(Placement::Below(n))
    }
}

/// How a supplier lays out one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    /// The field path (`number`, `issue_date`, `total_with_vat`, `seller.name`...).
    pub field: String,
    /// The label's normalised text (`total ttc`, `invoice no`).
    pub label: String,
    /// Where the value was, relative to the label.
    pub placement: Placement,
}

/// What kind of value a field holds, for finding and checking it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Date,
    Amount,
    VatId,
    Iban,
    Code,
    Name,
}

fn kind_of(field: &str) -> Option<Kind> {
    Some(match field {
        "issue_date" | "due_date" => Kind::Date,
        "total_without_vat" | "total_vat" | "total_with_vat" | "amount_due" => Kind::Amount,
        "seller.vat_id" | "buyer.vat_id" => Kind::VatId,
        "iban" => Kind::Iban,
        "number" => Kind::Code,
        "seller.name" | "buyer.name" => Kind::Name,
        _ => return None,
    })
}

/// Whether supplier memory can learn `field` (dates, totals, VAT ids, IBAN, number, names).
pub fn learnable(field: &str) -> bool {
    kind_of(field).is_some()
}

/// The values of `kind` in `s`, as (byte offset, normalised value), in order.
fn values_in(kind: Kind, s: &str) -> Vec<(usize, String)> {
    match kind {
        Kind::Date => dates::find_dates(s)
            .into_iter()
            .map(|(start, _, v)| (start, v))
            .collect(),
        Kind::Amount => numbers::find_amounts(s)
            .into_iter()
            .map(|(start, v)| (start, v.trim_start_matches('-').to_owned()))
            .collect(),
        Kind::VatId => VAT_ID
            .find_iter(s)
            .filter_map(|m| Some((m.start(), valid_vat_in(m.as_str())?)))
            .collect(),
        Kind::Iban => IBAN
            .find_iter(s)
            .filter_map(|m| Some((m.start(), valid_iban_in(m.as_str())?)))
            .collect(),
        Kind::Code => tokens(s)
            .filter(|(_, t)| is_code(t))
            .map(|(i, t)| (i, t.to_owned()))
            .collect(),
        Kind::Name => {
            let t = s.trim_start_matches(|c: char| c.is_whitespace() || ":-–#".contains(c));
            let start = s.len() - t.len();
            let t = t.split("  ").next().unwrap_or("");
            clean_name(t).map(|v| vec![(start, v)]).unwrap_or_default()
        }
    }
}

/// Whitespace-separated tokens with their byte offsets, outer punctuation trimmed.
fn tokens(s: &str) -> impl Iterator<Item = (usize, &str)> {
    s.split_whitespace().map(move |t| {
        let offset = t.as_ptr() as usize - s.as_ptr() as usize;
        let trimmed = t.trim_start_matches([':', '#', '(']);
        let lead = t.len() - trimmed.len();
        let trimmed = trimmed.trim_end_matches([',', ';', ':', ')', '.']);
        (offset + lead, trimmed)
    })
}

/// An invoice number's shape: 1 to 40 characters, a digit among them, letters, digits and
/// `-/_.` only, not a date.
fn is_code(t: &str) -> bool {
    (1..=40).contains(&t.chars().count())
        && dates::find_dates(t).is_empty()
        && t.chars().any(|c| c.is_ascii_digit())
        && t.chars().all(|c| c.is_alphanumeric() || "-/_.".contains(c))
}

/// Whether a value found in text is the value the owner entered.
fn same(kind: Kind, found: &str, wanted: &str) -> bool {
    match kind {
        Kind::Amount => crate::amount::same(found, wanted.trim_start_matches('-')),
        Kind::VatId | Kind::Iban => checks::compact(found) == checks::compact(wanted),
        Kind::Name => found.to_lowercase() == wanted.trim().to_lowercase(),
        Kind::Date | Kind::Code => found == wanted.trim(),
    }
}

/// Lower case, whitespace runs as one space; each output char with the byte offset in `s` of
/// the char it comes from.
fn normalise_mapped(s: &str) -> (Vec<char>, Vec<usize>) {
    let (mut out, mut map) = (Vec::new(), Vec::new());
    let mut space = true;
    for (i, c) in s.char_indices() {
        if c.is_whitespace() {
            if !space {
                out.push(' ');
                map.push(i);
                space = true;
            }
            continue;
        }
        for lc in c.to_lowercase() {
            out.push(lc);
            map.push(i);
        }
        space = false;
    }
    (out, map)
}

/// A label's stored form: normalised, outer punctuation and spaces removed, at most six words;
/// `None` unless it holds two letters.
fn label_text(s: &str) -> Option<String> {
    let (chars, _) = normalise_mapped(s);
    let text: String = chars.into_iter().collect();
    let text = text.trim_matches(|c: char| c.is_whitespace() || ":#-–—.|=*".contains(c));
    let words: Vec<&str> = text.split(' ').collect();
    let text = words[words.len().saturating_sub(6)..].join(" ");
    (text.chars().filter(|c| c.is_alphabetic()).count() >= 2).then_some(text)
}

/// The piece of a line in its own column: text between runs of two or more spaces (or tabs).
fn segments(line: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    let mut gap = 0;
    for (i, c) in line.char_indices() {
        if c == '\t' || (c == ' ' && (gap > 0 || line[i + 1..].starts_with(' '))) {
            if let Some(s) = start.take() {
                out.push((s, line[s..i].trim_end()));
            }
            gap += 1;
        } else {
            gap = 0;
            if start.is_none() && !c.is_whitespace() {
                start = Some(i);
            }
        }
    }
    if let Some(s) = start {
        out.push((s, line[s..].trim_end()));
    }
    out
}

fn column(line: &str, byte: usize) -> usize {
    line.get(..byte).map_or(0, |p| p.chars().count())
}

/// The non-blank lines after line `i`, with their indexes, at most [`MAX_LINES_BELOW`].
fn lines_below<'a>(lines: &[&'a str], i: usize) -> Vec<(u8, &'a str)> {
    lines[i + 1..]
        .iter()
        .filter(|l| !l.trim().is_empty())
        .take(MAX_LINES_BELOW as usize)
        .enumerate()
        .map(|(k, l)| (k as u8 + 1, *l))
        .collect()
}

/// Learns how `field` is laid out from an invoice's text and the value the owner says it has.
/// `None` when the value is not printed or has no label beside or above it.
pub fn learn(text: &str, field: &str, value: &str) -> Option<Anchor> {
    let kind = kind_of(field)?;
    let lines: Vec<&str> = text.lines().collect();
    let mut below = None;
    for (i, line) in lines.iter().enumerate() {
        for (start, _) in found_in(kind, line, value) {
            let before = segments(&line[..start]);
            if let Some(label) = before.last().and_then(|(_, s)| label_text(s)) {
                return Some(Anchor {
                    field: field.to_owned(),
                    label,
                    placement: Placement::Right,
                });
            }
            if below.is_none() {
                below = label_above(&lines, i, column(line, start), kind);
            }
        }
    }
    let (label, n) = below?;
    Some(Anchor {
        field: field.to_owned(),
        label,
        placement: Placement::Below(n),
    })
}

/// Where `value` is printed on `line`, as (byte offset, text found).
fn found_in(kind: Kind, line: &str, value: &str) -> Vec<(usize, String)> {
    if kind == Kind::Name {
        let (chars, map) = normalise_mapped(line);
        let (wanted, _) = normalise_mapped(value.trim());
        return find_words(&chars, &wanted)
            .map(|at| vec![(map[at], value.trim().to_owned())])
            .unwrap_or_default();
    }
    values_in(kind, line)
        .into_iter()
        .filter(|(_, v)| same(kind, v, value))
        .collect()
}

/// The first place `needle` appears in `hay` between word boundaries.
fn find_words(hay: &[char], needle: &[char]) -> Option<usize> {
    if needle.is_empty() || needle.len() > hay.len() {
        return None;
    }
    (0..=hay.len() - needle.len()).find(|&at| {
        hay[at..at + needle.len()] == *needle
            && (at == 0 || !hay[at - 1].is_alphanumeric())
            && hay
                .get(at + needle.len())
                .is_none_or(|c| !c.is_alphanumeric())
    })
}

/// The label above a value at `col` on line `i`: the nearest segment, by column, of one of the
/// non-blank lines above that holds no value of the field's kind.
fn label_above(lines: &[&str], i: usize, col: usize, kind: Kind) -> Option<(String, u8)> {
    let above = lines[..i]
        .iter()
        .rev()
        .filter(|l| !l.trim().is_empty())
        .take(MAX_LINES_BELOW as usize);
    for (k, line) in above.enumerate() {
        let nearest = segments(line)
            .into_iter()
            .filter(|(_, s)| values_in(kind, s).is_empty() || kind == Kind::Name)
            .min_by_key(|(at, _)| column(line, *at).abs_diff(col));
        if let Some(label) = nearest.and_then(|(_, s)| label_text(s)) {
            return Some((label, k as u8 + 1));
        }
    }
    None
}

/// Reads the field an anchor describes from another invoice's text: at the first place the
/// label is printed (between word boundaries), the value in the learned placement, else to its
/// right, else below it. `None` when the label is not there or no valid value is beside it.
pub fn recall(text: &str, anchor: &Anchor) -> Option<String> {
    let kind = kind_of(&anchor.field)?;
    let (label, _) = normalise_mapped(&anchor.label);
    if label.is_empty() {
        return None;
    }
    // A label followed by a colon and a value on its own line is read there whatever was
    // learned: that layout says where its value is.
    let mut order = vec![anchor.placement, Placement::Right];
    order.extend((1..=MAX_LINES_BELOW).map(Placement::Below));
    order.dedup_by(|a, b| a == b);
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let (chars, map) = normalise_mapped(line);
        let Some(at) = find_words(&chars, &label) else {
            continue;
        };
        let end = map.get(at + label.len()).copied().unwrap_or(line.len());
        let col = column(line, map[at]);
        let below = lines_below(&lines, i);
        let right = &line[end..];
        let said = right.trim_start().starts_with(':');
        for placement in order.iter().copied() {
            let found = match placement {
                Placement::Right => values_in(kind, right).into_iter().next(),
                Placement::Below(_) if said && !values_in(kind, right).is_empty() => continue,
                Placement::Below(n) => below
                    .iter()
                    .find(|(k, _)| *k == n)
                    .and_then(|(_, l)| nearest_value(kind, l, col)),
            };
            if let Some((_, v)) = found {
                return Some(v);
            }
        }
    }
    None
}

/// The value of `kind` on `line` nearest column `col` (names: the nearest column's text).
fn nearest_value(kind: Kind, line: &str, col: usize) -> Option<(usize, String)> {
    segments(line)
        .into_iter()
        .flat_map(|(at, s)| {
            values_in(kind, s)
                .into_iter()
                .map(move |(i, v)| (at + i, v))
        })
        .min_by_key(|(at, _)| column(line, *at).abs_diff(col))
}

/// The identifiers printed in a text by which a supplier is recognised: valid VAT ids, IBANs,
/// and SIRENs (the first nine digits of a SIRET), compacted, each once, in order.
pub fn identifiers(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in text.lines() {
        let mut found: Vec<String> = VAT_ID
            .find_iter(line)
            .filter_map(|m| valid_vat_in(m.as_str()))
            .chain(
                IBAN.find_iter(line)
                    .filter_map(|m| valid_iban_in(m.as_str())),
            )
            .collect();
        found.extend(legal_id_in(line).map(|id| id[..9].to_owned()));
        for id in found {
            if !out.contains(&id) {
                out.push(id);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anchor(text: &str, field: &str, value: &str) -> Anchor {
        learn(text, field, value).unwrap_or_else(|| panic!("nothing learned for {field}"))
    }

    #[test]
    fn a_value_right_of_its_label_is_read_below_it_on_another_layout() {
        let first =
            "ACME SARL\nRéf. pièce : FA-2024-117    Échéance 15/04/2024\nÀ payer : 1 234,56 €\n";
        let number = anchor(first, "number", "FA-2024-117");
        assert_eq!(number.label, "réf. pièce");
        assert_eq!(number.placement, Placement::Right);
        let due = anchor(first, "due_date", "2024-04-15");
        assert_eq!(due.label, "échéance");
        let total = anchor(first, "total_with_vat", "1234.56");
        assert_eq!(total.label, "à payer");

        let next = "ACME SARL\n   Échéance        Réf. pièce\n   02/06/2024      FA-2024-211\n\nTotal HT 100,00\nÀ payer\n120,00\n";
        assert_eq!(recall(next, &number).as_deref(), Some("FA-2024-211"));
        assert_eq!(recall(next, &due).as_deref(), Some("2024-06-02"));
        assert_eq!(recall(next, &total).as_deref(), Some("120.00"));
    }

    #[test]
    fn a_value_below_its_label_is_learned_with_the_label_in_its_column() {
        let text = "Facture\nDate d'émission      Pièce comptable\n12.03.2024           RE-88812\n";
        let a = anchor(text, "number", "RE-88812");
        assert_eq!(a.label, "pièce comptable");
        assert_eq!(a.placement, Placement::Below(1));
        let d = anchor(text, "issue_date", "2024-03-12");
        assert_eq!(d.label, "date d'émission");
        let other = "Pièce comptable : RE-90001\nDate d'émission : 01.04.2024\n";
        assert_eq!(recall(other, &a).as_deref(), Some("RE-90001"));
        assert_eq!(recall(other, &d).as_deref(), Some("2024-04-01"));
    }

    #[test]
    fn nothing_is_recalled_without_the_label_or_a_valid_value() {
        let a = Anchor {
            field: "total_with_vat".into(),
            label: "à payer".into(),
            placement: Placement::Right,
        };
        assert_eq!(recall("Total 12,00\n", &a), None);
        assert_eq!(recall("À payer : voir conditions\nmerci\n", &a), None);
        // The label must be whole words: "reste à payer" holds it, "à payerx" does not.
        assert_eq!(recall("reste à payer 5,00\n", &a).as_deref(), Some("5.00"));
        assert_eq!(recall("à payerx 5,00\n", &a), None);
        let n = Anchor {
            field: "number".into(),
            label: "pièce".into(),
            placement: Placement::Right,
        };
        assert_eq!(recall("Pièce jointe : contrat\n", &n), None);
    }

    #[test]
    fn values_not_printed_or_without_a_label_teach_nothing() {
        assert_eq!(learn("Total 12,00\n", "total_with_vat", "99.00"), None);
        assert_eq!(learn("12,00\n", "total_with_vat", "12.00"), None);
        assert_eq!(learn("Total 12,00\n", "currency", "EUR"), None);
        assert!(!learnable("type_code"));
    }

    #[test]
    fn names_and_identifiers() {
        let text = "Fournisseur :   Boulangerie Martin\nTVA FR40303265045\nIBAN FR76 3000 6000 0112 3456 7890 189\n";
        let name = anchor(text, "seller.name", "Boulangerie Martin");
        assert_eq!(name.label, "fournisseur");
        let vat = anchor(text, "seller.vat_id", "FR40303265045");
        assert_eq!(vat.label, "tva");
        let next = "Fournisseur\nBoulangerie Martin & Fils\nTVA : FR 40 303265045\n";
        assert_eq!(
            recall(next, &name).as_deref(),
            Some("Boulangerie Martin & Fils")
        );
        assert_eq!(recall(next, &vat).as_deref(), Some("FR40303265045"));
        let ids = identifiers(text);
        assert!(ids.contains(&"FR40303265045".to_owned()), "{ids:?}");
        assert!(
            ids.contains(&"FR7630006000011234567890189".to_owned()),
            "{ids:?}"
        );
    }

    #[test]
    fn placements_round_trip_and_odd_text_is_refused() {
        for p in [Placement::Right, Placement::Below(1), Placement::Below(3)] {
            assert_eq!(Placement::from_text(&p.as_text()), Some(p));
        }
        assert_eq!(Placement::from_text("below:9"), None);
        assert_eq!(Placement::from_text("left"), None);
    }

    #[test]
    fn hostile_text_does_not_panic() {
        let a = Anchor {
            field: "number".into(),
            label: "İ".into(),
            placement: Placement::Below(3),
        };
        for text in ["", "İİİ\n\u{0}\n", "\u{130}\t\t1\n", "label\n\n\n\n\n"] {
            let _ = recall(text, &a);
            let _ = learn(text, "number", "1");
            let _ = learn(text, "seller.name", "İ");
            let _ = identifiers(text);
        }
    }
}
