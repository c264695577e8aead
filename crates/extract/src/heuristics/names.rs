//! The seller's name when no label, legal form or letterhead pattern gives it: a plain name
//! line that the document confirms elsewhere.
//!
//! Promises: a name is returned only from a line holding nothing but a plain name (letters,
//! spaces and `&'’.-`, 2 to 40 characters, no label, no title), outside the buyer's block, and
//! only when (a) it is among the first lines of the page and its letters are exactly those of
//! a site or mail domain printed away from the name's block ("Azure Interior" and
//! azure-interior.com in the footer; a buyer's address block holds the buyer's mail address),
//! or (a') it is the page's first line, a name of two words or more, over a mail address whose
//! local part holds one of its words, or (b) it heads the block that holds the seller's
//! identifiers (just above them, after a blank line) and appears again on another line
//! ("Titulaire du compte : NETPRESSE").

use std::sync::LazyLock;

use regex::Regex;

use super::labels::label_hits;
use super::values::clean_name;

/// A web or mail host: "www.azure-interior.com", "info@acme-tools.de".
static HOST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:https?://|www\.|@)((?:[a-z0-9-]+\.)+[a-z]{2,})").expect("static regex")
});
/// The local part of a mail address that starts its line.
static MAIL_LOCAL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([A-Za-z0-9._-]+)@[A-Za-z0-9-]+\.").expect("static regex"));
static TITLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(?:facture|invoice|tax invoice|rechnung|avoir|credit note|gutschrift|factuur|creditnota|factura|fattura|page|seite)\b")
        .expect("static regex")
});

/// Lower-case letters and digits only.
fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// A line that is a plain name and nothing else.
fn plain_name(line: &str) -> Option<String> {
    let len = line.chars().count();
    let plain = line
        .chars()
        .all(|c| c.is_alphabetic() || " &'’.-".contains(c));
    (plain && (2..=40).contains(&len) && !line.contains("  "))
        .then_some(line)
        .filter(|l| label_hits(l).is_empty() && !TITLE.is_match(l))
        .and_then(clean_name)
}

/// The seller's name confirmed by a domain or by its repetition (see the module's promises).
/// `excluded` are the lines of the buyer's block; `id_lines` those holding the seller's ids.
pub(super) fn confirmed_name(
    lines: &[&str],
    excluded: &[usize],
    id_lines: &[usize],
    buyer: Option<&str>,
) -> Option<String> {
    let not_buyer = |n: &String| buyer.is_none_or(|b| !b.eq_ignore_ascii_case(n));
    // (a) A name among the first lines whose letters make a domain of the document.
    let domains: Vec<(usize, String)> = lines
        .iter()
        .enumerate()
        .flat_map(|(i, l)| HOST.captures_iter(l).map(move |c| (i, c)))
        .filter_map(|(i, c)| {
            let host = c.get(1)?.as_str();
            let labels: Vec<&str> = host.split('.').collect();
            let main = labels.get(labels.len().checked_sub(2)?)?;
            Some((i, squash(main)))
        })
        .filter(|(_, d)| d.len() >= 4)
        .collect();
    let head = (0..lines.len())
        .filter(|&i| !lines[i].is_empty())
        .take(15)
        .filter(|i| !excluded.contains(i));
    for i in head {
        // The domain printed away from the name's own block: a buyer's address block holds
        // the buyer's mail address too.
        if let Some(n) = plain_name(lines[i]).filter(not_buyer)
            && domains
                .iter()
                .any(|(j, d)| j.abs_diff(i) > 8 && *d == squash(&n))
        {
            return Some(n);
        }
    }
    // (a') A person's name heading the page, over a mail address made of one of its words
    // ("Sammy Maystone" over "smaystone4@fake.com").
    let mut nonempty = (0..lines.len()).filter(|&i| !lines[i].is_empty());
    if let (Some(first), Some(next)) = (nonempty.next(), nonempty.next())
        && !excluded.contains(&first)
        && let Some(n) = plain_name(lines[first]).filter(not_buyer)
        && let Some(local) = MAIL_LOCAL.captures(lines[next]).and_then(|c| c.get(1))
    {
        let local = squash(local.as_str());
        let words = n.split_whitespace().map(squash).filter(|w| w.len() >= 4);
        if n.split_whitespace().count() >= 2 && words.into_iter().any(|w| local.contains(&w)) {
            return Some(n);
        }
    }
    // (b) The name heading the block of the seller's identifiers, repeated elsewhere.
    for &id in id_lines {
        for j in (id.saturating_sub(3)..id).rev() {
            let heads_block = j == 0 || lines[j - 1].is_empty();
            if excluded.contains(&j) || !heads_block {
                continue;
            }
            let Some(n) = plain_name(lines[j]).filter(not_buyer) else {
                continue;
            };
            let word = Regex::new(&format!(r"(?:^|\W){}(?:$|\W)", regex::escape(&n))).ok()?;
            let again = (0..lines.len())
                .any(|k| k != j && !excluded.contains(&k) && word.is_match(lines[k]));
            if again {
                return Some(n);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::{extract_fields, v};

    #[test]
    fn name_confirmed_by_the_site_domain() {
        let t = "                                        Global Wholesaler\n\n     Azure Interior\n\n\
                 \x20    4557 De Silva St\n\n     Invoice INV/2023/03/0008\n\n\
                 \x20    Payment terms: 15 Days\n\n     Subtotal    $ 262.90\n\n     Total    $ 279.84\n\n\
                 \x20    Bank Account: US1234567890\n\n\
                 \x20       (870)-931-0505 azure.Interior24@example.com http://www.azure-interior.com\n";
        assert_eq!(v(&extract_fields(t).seller_name), Some("Azure Interior"));
        // A buyer's name with its own mail address in its block: no name.
        let t = "   Invoice FA-2017-0008\n                          Me gusta olive\n\
                 \x20                         87 camino de la calor\n   ✉ contact@megustaolive.es\n";
        assert_eq!(extract_fields(t).seller_name, None);
        // No domain made of its letters: no name.
        let t = "     Azure Interior\n\n     Invoice INV/2023/03/0008\n     www.example.com\n";
        assert_eq!(extract_fields(t).seller_name, None);
    }

    #[test]
    fn person_heading_the_page_over_their_mail() {
        let t = "         Sammy Maystone\n         smaystone4@fake.com                         INVOICE\n\n\
                 \x20        Bill To:                Ship To:\n         Taylor Riddel           Taylor's Store\n";
        assert_eq!(v(&extract_fields(t).seller_name), Some("Sammy Maystone"));
        // A mail address of someone else: no name.
        let t = "         Sammy Maystone\n         billing@fake.com\n";
        assert_eq!(extract_fields(t).seller_name, None);
    }

    #[test]
    fn name_heading_the_footer_ids_and_repeated() {
        let t = "                    ALEXINUX\n                    27 rue Henri Rolland\n\
                 \x20     Facture n° 2022089083\n   Date : 28/11/2022\n\
                 \x20  Virement   BRED – Titulaire du compte : NETPRESSE\n\n\
                 \x20                          NETPRESSE\n\
                 \x20    Siège social : 16 rue Mollien - 92100 BOULOGNE\n\
                 \x20    Sarl au capital de 10 000€ - RCS Paris B 530 848 134 – Siret 53084813400017\n";
        assert_eq!(v(&extract_fields(t).seller_name), Some("NETPRESSE"));
        // Not repeated anywhere: no name.
        let t = "   Facture n° 2022089083\n\n                 BOULOGNE\n\
                 \x20    Sarl au capital de 10 000€ - RCS Paris B 530 848 134\n";
        assert_eq!(extract_fields(t).seller_name, None);
    }
}
