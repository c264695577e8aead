//! The labels that point at invoice fields, in French, English and German (and the common
//! Dutch, Spanish and Italian ones), and where they sit in a line.
//!
//! Promises: [`label_hits`] returns non-overlapping hits in line order; where two patterns
//! overlap, the longer match wins. `Ignore` labels (delivery date, customer number, unit
//! price...) are hits too, so that they shadow the shorter field labels they contain.

use std::sync::LazyLock;

use regex::Regex;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Label {
    Number,
    IssueDate,
    DueDate,
    Net,
    Vat,
    Gross,
    Due,
    Seller,
    Buyer,
    VatId,
    LegalId,
    Iban,
    Ignore,
}

impl Label {
    pub(super) fn is_amount(self) -> bool {
        matches!(self, Label::Net | Label::Vat | Label::Gross | Label::Due)
    }
    pub(super) fn is_date(self) -> bool {
        matches!(self, Label::IssueDate | Label::DueDate)
    }
}

/// (label, specificity, pattern). Longer matches win over shorter overlapping ones.
const LABEL_PATTERNS: &[(Label, u8, &str)] = &[
    (
        Label::Number,
        3,
        r"\b(?:facture|invoice|\p{L}*rechnung|avoir|credit note|gutschrift|factuur|creditnota|factura|fattura|nota di credito)\s*(?:\(\d{3}\)\s*)?(?:n[°º]|no\b\.?|nr\b\.?|num[ée]ro\b|number\b|nummer\b|n[uú]mero\b|#)",
    ),
    (
        Label::Number,
        3,
        r"\b(?:n[°º]|num[ée]ro)\s*(?:de\s+)?(?:la\s+)?(?:facture\b|d['’]avoir\b)",
    ),
    (
        Label::Number,
        3,
        r"\b(?:rechnungsnummer|rechnungs-nr\.?|rechnungsnr\.?|gutschriftsnummer|invoice\s*no\.?|invoice\s*#|belegnummer|beleg-nr\.?|factuurnummer|factuurnr\.?|n[uú]mero de factura|numero (?:di )?fattura|fattura n\.?)",
    ),
    // A title followed by its number: "Facture FA-2017-0010", "Invoice INV/2023/03/0008".
    // The value must hold a digit and not be a date (see `values`), so "Rechnung Seite 1" or
    // "Invoice Summary" give nothing.
    (
        Label::Number,
        2,
        r"^(?:facture|invoice|tax invoice|rechnung|\p{L}+rechnung|avoir|credit note|gutschrift|factuur|creditnota|factura|fattura)\s",
    ),
    // A title alone on its line or in its column ("INVOICE" over "# INV-7", a column header
    // "Factuur" over a row of values): the number is read below it.
    (
        Label::Number,
        2,
        r"^(?:facture|invoice|tax invoice|rechnung|avoir|credit note|gutschrift|factuur|creditnota|factura|fattura)\s*$",
    ),
    (
        Label::IssueDate,
        3,
        r"\b(?:date de (?:la )?factur(?:e|ation)\b|date d['’][ée]mission\b|invoice date\b|date of issue\b|issue date\b|rechnungsdatum\b|ausstellungsdatum\b|belegdatum\b|beleg-datum\b|factuurdatum\b|factuur datum\b|fecha de (?:la )?factura\b|fecha de emisi[óo]n\b|data (?:della )?fattura\b|data di emissione\b)",
    ),
    (
        Label::IssueDate,
        1,
        r"\b(?:date|datum|dated|fecha|data)\b|,\s*le\b",
    ),
    (
        Label::DueDate,
        3,
        r"\b(?:date d['’][ée]ch[ée]ance\b|date limite de (?:paiement|r[èe]glement)\b|[ée]ch[ée]ance\b|due date\b|payment due(?: date)?\b|due by\b|due on\b|f[äa]lligkeitsdatum\b|f[äa]lligkeit\b|zahlbar (?:ohne (?:abzug|abschlag) |netto )?bis\b|(?:[üu]berweisen|zahlen|bezahlen|begleichen) sie (?:\p{L}+ ){0,4}bis (?:zum|sp[äa]testens)\b|f[äa]llig am\b|f[äa]llig\b|zahlbar bis\b|payable (?:le|avant le)\b|[àa] payer avant le\b|vervaldatum\b|fecha de vencimiento\b|vencimiento\b|data (?:di )?scadenza\b|scadenza\b)",
    ),
    (
        Label::Net,
        3,
        r"\b(?:total hors taxes?\b|total h\.?t\.?(?:\s|$|:)|montant h\.?t\.?(?:\s|$|:)|sous-total h\.?t\.?(?:\s|$|:)|total net\b|net total\b|total excl\.?\s*vat\b|total excluding vat\b|net amount\b|nettobetrag\b|summe netto\b|gesamt netto\b|nettosumme\b|netto\b|rechnungssumme ohne ust\.?|gesamtsumme netto\b|totaal excl\.?\s*btw\b|exclusief btw\b|excl\.?\s*btw\b|base imponible\b|grondslag\b|bemessungsgrundlage\b|total sin iva\b|imponibile\b|totale imponibile\b)",
    ),
    (
        Label::Net,
        1,
        r"\b(?:subtotal\b|sub-total\b|zwischensumme\b|net\b|ht\b|subtotaal\b)",
    ),
    (
        Label::Vat,
        3,
        r"\b(?:total tva\b|total taxes?\b|montant (?:de la )?tva\b|total vat\b|vat amount\b|vat total\b|tax total\b|total tax\b|umsatzsteuer\b|mehrwertsteuer\b|summe mwst\.?|summe ust\.?|steuerbetrag\b|totaal btw\b|btw[- ]bedrag\b|cuota de iva\b|importe (?:del )?iva\b|totale iva\b|importo iva\b)",
    ),
    (
        Label::Vat,
        2,
        r"\b(?:tva\b|vat\b|tax\b|sales tax\b|mwst\b\.?|ust\b\.?|btw\b|iva\b)",
    ),
    (
        Label::Gross,
        3,
        r"\b(?:total ttc\b|montant ttc\b|total toutes taxes comprises\b|total t\.t\.c\.?|total incl\.?\s*vat\b|total including vat\b|gross total\b|total gross\b|invoice total\b|grand total\b|gesamtbetrag\b|bruttobetrag\b|summe brutto\b|gesamtsumme\b|rechnungsbetrag\b|endbetrag\b|brutto\b|bruttosumme\b|totaal incl\.?\s*btw\b|factuurbedrag\b|total factura\b|importe total\b|totale (?:fattura|documento)\b)",
    ),
    (
        Label::Gross,
        1,
        r"\b(?:total\b|ttc\b|gross\b|total amount\b|totaal\b|totale\b)",
    ),
    (
        Label::Due,
        3,
        r"\b(?:net [àa] payer\b|reste [àa] payer\b|solde [àa] payer\b|montant [àa] payer\b|montant d[ûu]\b|amount due\b|balance due\b|total due\b|amount payable\b|residual\b|zahlbetrag\b|zu zahlen\b|offener betrag\b|te betalen\b|importe a pagar\b|totale da pagare\b|netto a pagare\b)",
    ),
    (
        Label::Seller,
        3,
        r"\b(?:vendeur|[ée]metteur|fournisseur|prestataire|seller|supplier|service provider|from|verk[äa]ufer|lieferant|rechnungssteller|leverancier|verkoper|proveedor|vendedor|emisor|fornitore|venditore|cedente)\s*:",
    ),
    // A party heading alone on its line ("Verkäufer", "Seller"), the name in the lines below.
    (
        Label::Seller,
        3,
        r"^(?:vendeur|[ée]metteur|fournisseur|seller|supplier|verk[äa]ufer|lieferant|leverancier|proveedor|fornitore)\s*$",
    ),
    // Phrase labels need a colon or the end of the line: "Facture à régler par virement" and
    // "Invoice to pay by" are sentences, not the buyer's label.
    (
        Label::Buyer,
        3,
        r"\b(?:factur[ée]e? [àa]|adress[ée]e? [àa]|bill to|billed to|invoice to|sold to|factuur aan|facturar a|fatturare a)\s*(?::|$)",
    ),
    // Single-word buyer labels need their colon: "Kunde Bau AG" is a name, "Kunde:" a label.
    (
        Label::Buyer,
        3,
        r"\b(?:client|destinataire|acheteur|customer|buyer|kunde|rechnungsempf[äa]nger|empf[äa]nger|k[äa]ufer(?:\s*/\s*leistungsempf[äa]nger)?|leistungsempf[äa]nger|klant|afnemer|cliente|comprador|destinatario|committente)\s*:",
    ),
    (
        Label::Buyer,
        3,
        r"^(?:acheteur|buyer|k[äa]ufer(?:\s*/\s*leistungsempf[äa]nger)?|rechnungsempf[äa]nger|afnemer|comprador|cessionario)\s*$",
    ),
    (
        Label::VatId,
        4,
        r"\b(?:n[°º]\s*(?:de\s+)?tva(?: intracom(?:munautaire)?)?|tva intracom(?:munautaire)?|num[ée]ro de tva(?: intracom(?:munautaire)?)?|identifiant tva|vat (?:no\b\.?|number\b|id\b|reg\.?\s*no\b\.?|registration(?: number)?\b)|ust-?id(?:nr)?\.?|ust\.?-?id\.?-?nr\.?|umsatzsteuer-id(?:entifikationsnummer)?|steuernummer\b|btw[- ]?(?:nummer|nr\.?|id)|btw-identificatienummer|n[uú]mero de iva|nif(?:-iva)?\b|cif\b|partita iva|p\.\s?iva)",
    ),
    (Label::LegalId, 3, r"\b(?:siret|siren|rcs)\b"),
    (Label::Iban, 3, r"\biban\b"),
    (
        Label::Ignore,
        5,
        r"\b(?:date de livraison|delivery date|date of delivery|lieferdatum|leistungsdatum|leistungs-datum|liefer- und leistungsdatum|date de commande|order date|bestelldatum|bestell-datum|lieferschein-datum|auftrag-datum\S*|orderdatum|n[°º]\s*(?:de\s+)?client|num[ée]ro (?:de )?client|code client|r[ée]f[ée]rence client|customer (?:no\b\.?|number|id)|kundennummer|kunden-nr\.?|klantnummer|p[ée]riode|billing period|leistungszeitraum|date de (?:paiement|r[èe]glement|d[ée]but|fin)|payment date|start date|end date|zahlungsdatum|prix unitaire|unit price|einzelpreis|taux|rate|date de (?:la )?facture (?:associ[ée]e|d['’]origine|initiale|li[ée]e|pr[ée]c[ée]dente)|facture (?:associ[ée]e|d['’]origine|li[ée]e)|(?:original|preceding|related) invoice(?: date| number| no\.?)?|invoice reference|ursprungsrechnung|urspr[üu]ngliche rechnung|bezug(?:srechnung)?|rechnungsbezug)",
    ),
];

/// The patterns, compiled, each with whether it starts at a word boundary. That leading `\b` is
/// checked in code, not by the regex (which then keeps its literal prefilter: the labels are
/// most of the extraction's time), and also accepts a digit before the label: right-aligned
/// columns come out glued to the value before them ("€ 717,97Exclusief BTW").
static LABELS: LazyLock<Vec<(Label, u8, Regex, bool)>> = LazyLock::new(|| {
    LABEL_PATTERNS
        .iter()
        .map(|(l, s, p)| {
            let (p, boundary) = match p.strip_prefix(r"\b") {
                Some(rest) => (rest, true),
                None => (*p, false),
            };
            (
                *l,
                *s,
                Regex::new(&format!("(?i){}", ascii_boundaries(p))).expect("static regex"),
                boundary,
            )
        })
        .collect()
});

/// `p` with each `\b` that follows an ASCII letter or digit, or a group or optional part
/// ending in one, as an ASCII word boundary. Unicode word boundaries keep the regex engine off
/// its fast automaton on any line with an accent or a euro sign; after an ASCII letter both
/// kinds agree except before a non-ASCII letter glued to the label. A `\b` after a character
/// class (`d[ûu]\b`) may follow a non-ASCII letter and stays Unicode.
fn ascii_boundaries(p: &str) -> String {
    let mut out = String::with_capacity(p.len() + 16);
    let mut prev: Option<char> = None;
    let mut chars = p.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek() == Some(&'b') {
            chars.next();
            let ascii = prev.is_some_and(|q| q.is_ascii_alphanumeric() || q == ')' || q == '?');
            out.push_str(if ascii { "(?-u:\\b)" } else { "\\b" });
            prev = Some('b');
            continue;
        }
        if c == '\\' {
            out.push(c);
            if let Some(n) = chars.next() {
                out.push(n);
                prev = Some(n);
            }
            continue;
        }
        out.push(c);
        prev = Some(c);
    }
    out
}

/// The matches of `re` in `s`, left to right, not overlapping; with `boundary`, only those
/// not preceded by a letter or `_`.
fn find_labels<'r, 's>(
    re: &'r Regex,
    boundary: bool,
    s: &'s str,
) -> impl Iterator<Item = regex::Match<'s>> + use<'r, 's> {
    let mut at = 0;
    std::iter::from_fn(move || {
        while at <= s.len() {
            let m = re.find_at(s, at)?;
            let next = |i: usize| i + s[i..].chars().next().map_or(1, char::len_utf8);
            at = if m.end() > m.start() {
                m.end()
            } else {
                next(m.start())
            };
            let glued = s[..m.start()]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphabetic() || c == '_');
            if boundary && glued {
                at = next(m.start());
                continue;
            }
            return Some(m);
        }
        None
    })
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Hit {
    pub(super) label: Label,
    pub(super) spec: u8,
    pub(super) start: usize,
    pub(super) end: usize,
    /// Where the label's value may run to: the end of the line, or of the column the label
    /// was found alone in.
    pub(super) scope_end: usize,
}

/// The labels of a line. A heading that must stand alone on its line may also stand alone in
/// its column (blocks side by side: "Lieferant      Käufer").
pub(super) fn label_hits(line: &str) -> Vec<Hit> {
    let mut all = Vec::new();
    let pieces = pieces(line);
    let mut scopes: Vec<(usize, &str)> = vec![(0, line)];
    if pieces.len() > 1 {
        scopes.extend(pieces);
    }
    for (k, (offset, scope)) in scopes.into_iter().enumerate() {
        for (label, spec, re, boundary) in LABELS.iter() {
            // In a column piece only the headings that stand alone count (the rest were
            // found on the whole line).
            if k > 0 && !re.as_str().starts_with("(?i)^") {
                continue;
            }
            for m in find_labels(re, *boundary, scope) {
                all.push(Hit {
                    label: *label,
                    spec: *spec,
                    start: offset + m.start(),
                    end: offset + m.end(),
                    scope_end: offset + scope.len(),
                });
            }
        }
    }
    all.sort_by_key(|h| (std::cmp::Reverse(h.end - h.start), h.start));
    let mut picked: Vec<Hit> = Vec::new();
    for h in all {
        if picked.iter().all(|p| h.end <= p.start || h.start >= p.end) {
            picked.push(h);
        }
    }
    picked.sort_by_key(|h| h.start);
    picked
}

/// The pieces of a line separated by two or more spaces, with their byte offsets.
pub(super) fn pieces(line: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (at, _) in line.match_indices("  ") {
        if at > start {
            out.push((start, line[start..at].trim()));
        }
        start = at + 2;
    }
    out.push((start, line[start..].trim()));
    out.retain(|(_, p)| !p.is_empty());
    // Offsets of pieces after trimming their leading spaces; a piece after a colon is the
    // value of the one before ("Nummer   : 123", "Name:      Lieferant GmbH").
    let mut merged: Vec<(usize, &str)> = Vec::new();
    for (at, p) in out {
        let at = at + line[at..].find(p).unwrap_or(0);
        match merged.last_mut() {
            Some((prev, text)) if p.starts_with(':') || text.ends_with(':') => {
                *text = line[*prev..at + p.len()].trim();
            }
            _ => merged.push((at, p)),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_boundaries_only_after_ascii() {
        assert_eq!(
            ascii_boundaries(r"total\b|factur(?:e|ation)\b|taxes?\b|montant d[ûu]\b|n\.\b"),
            r"total(?-u:\b)|factur(?:e|ation)(?-u:\b)|taxes?(?-u:\b)|montant d[ûu]\b|n\.\b"
        );
    }

    #[test]
    fn labels_start_at_a_word_boundary_or_after_a_digit() {
        fn hits(s: &str) -> Vec<(Label, &str)> {
            label_hits(s)
                .into_iter()
                .map(|h| (h.label, &s[h.start..h.end]))
                .collect()
        }
        assert_eq!(hits("Montant dû : 12,00"), vec![(Label::Due, "Montant dû")]);
        assert!(hits("Sousmontant dû : 12,00").is_empty());
        assert_eq!(hits("717,97Total TTC"), vec![(Label::Gross, "Total TTC")]);
        // An accent glued after an ASCII label is the rare case where the two boundaries differ.
        assert_eq!(hits("Net à payer : 5,00")[0].1, "Net à payer");
    }
}
