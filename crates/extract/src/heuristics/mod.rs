//! Invoice fields from plain text, by labels in French, English and German.
//!
//! Works on text alone (unit-testable without PDFs). Promises: a value is returned only when a
//! label points at it (or, for names, a legal-form pattern or a repetition supports it);
//! identifiers are returned only when their checksum or national pattern holds (SIREN/SIRET
//! Luhn, French VAT key, EU VAT patterns, IBAN mod 97); totals are cross-checked
//! (net + VAT = gross) and, when no consistent combination exists, the totals are dropped
//! rather than guessed. Each value carries a confidence in [0, 1].

pub mod dates;
pub mod numbers;

use std::sync::LazyLock;

use regex::Regex;

use crate::amount::{same, sum_matches};
use crate::checks;

/// A value found in text with its confidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Guess {
    /// The value, normalised (dates `YYYY-MM-DD`, amounts `1234.56`, ids without spaces).
    pub value: String,
    /// Confidence in [0, 1].
    pub confidence: f64,
}

/// Everything the heuristics found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TextFields {
    /// BT-1.
    pub number: Option<Guess>,
    /// BT-2.
    pub issue_date: Option<Guess>,
    /// BT-9.
    pub due_date: Option<Guess>,
    /// BT-3 (380 or 381).
    pub type_code: Option<Guess>,
    /// BT-5.
    pub currency: Option<Guess>,
    /// BT-27.
    pub seller_name: Option<Guess>,
    /// BT-31.
    pub seller_vat_id: Option<Guess>,
    /// BT-30.
    pub seller_legal_id: Option<Guess>,
    /// BT-44.
    pub buyer_name: Option<Guess>,
    /// BT-48.
    pub buyer_vat_id: Option<Guess>,
    /// BT-109.
    pub total_without_vat: Option<Guess>,
    /// BT-110.
    pub total_vat: Option<Guess>,
    /// BT-112.
    pub total_with_vat: Option<Guess>,
    /// BT-115.
    pub amount_due: Option<Guess>,
    /// BT-84.
    pub iban: Option<Guess>,
    /// Problems noticed (inconsistent totals...).
    pub issues: Vec<String>,
}

fn guess(value: impl Into<String>, confidence: f64) -> Option<Guess> {
    Some(Guess {
        value: value.into(),
        confidence,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Label {
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
    fn is_amount(self) -> bool {
        matches!(self, Label::Net | Label::Vat | Label::Gross | Label::Due)
    }
    fn is_date(self) -> bool {
        matches!(self, Label::IssueDate | Label::DueDate)
    }
}

/// (label, specificity, pattern). Longer matches win over shorter overlapping ones.
const LABEL_PATTERNS: &[(Label, u8, &str)] = &[
    (
        Label::Number,
        3,
        r"\b(?:facture|invoice|rechnung|avoir|credit note|gutschrift)\s*(?:n[°º]|no\b\.?|nr\b\.?|num[ée]ro\b|number\b|nummer\b|#)",
    ),
    (
        Label::Number,
        3,
        r"\b(?:n[°º]|num[ée]ro)\s*(?:de\s+)?(?:la\s+)?(?:facture\b|d['’]avoir\b)",
    ),
    (
        Label::Number,
        3,
        r"\b(?:rechnungsnummer|rechnungs-nr\.?|rechnungsnr\.?|gutschriftsnummer|invoice\s*no\.?|invoice\s*#|belegnummer)",
    ),
    (
        Label::IssueDate,
        3,
        r"\b(?:date de (?:la )?factur(?:e|ation)\b|date d['’][ée]mission\b|invoice date\b|date of issue\b|issue date\b|rechnungsdatum\b|ausstellungsdatum\b|belegdatum\b)",
    ),
    (Label::IssueDate, 1, r"\b(?:date|datum|dated)\b|,\s*le\b"),
    (
        Label::DueDate,
        3,
        r"\b(?:date d['’][ée]ch[ée]ance\b|date limite de (?:paiement|r[èe]glement)\b|[ée]ch[ée]ance\b|due date\b|payment due(?: date)?\b|due by\b|due on\b|f[äa]lligkeitsdatum\b|f[äa]llig am\b|f[äa]llig\b|zahlbar bis\b|payable (?:le|avant le)\b|[àa] payer avant le\b)",
    ),
    (
        Label::Net,
        3,
        r"\b(?:total hors taxes?\b|total h\.?t\.?(?:\s|$|:)|montant h\.?t\.?(?:\s|$|:)|sous-total h\.?t\.?(?:\s|$|:)|total net\b|net total\b|total excl\.?\s*vat\b|total excluding vat\b|net amount\b|nettobetrag\b|summe netto\b|gesamt netto\b|nettosumme\b|netto\b)",
    ),
    (
        Label::Net,
        1,
        r"\b(?:subtotal\b|sub-total\b|zwischensumme\b|net\b|ht\b)",
    ),
    (
        Label::Vat,
        3,
        r"\b(?:total tva\b|montant (?:de la )?tva\b|total vat\b|vat amount\b|vat total\b|umsatzsteuer\b|mehrwertsteuer\b|summe mwst\.?|summe ust\.?)",
    ),
    (
        Label::Vat,
        2,
        r"\b(?:tva\b|vat\b|tax\b|sales tax\b|mwst\b\.?|ust\b\.?)",
    ),
    (
        Label::Gross,
        3,
        r"\b(?:total ttc\b|montant ttc\b|total toutes taxes comprises\b|total t\.t\.c\.?|total incl\.?\s*vat\b|total including vat\b|gross total\b|total gross\b|invoice total\b|grand total\b|gesamtbetrag\b|bruttobetrag\b|summe brutto\b|gesamtsumme\b|rechnungsbetrag\b|endbetrag\b|brutto\b)",
    ),
    (
        Label::Gross,
        1,
        r"\b(?:total\b|ttc\b|gross\b|total amount\b)",
    ),
    (
        Label::Due,
        3,
        r"\b(?:net [àa] payer\b|reste [àa] payer\b|montant [àa] payer\b|montant d[ûu]\b|amount due\b|balance due\b|total due\b|amount payable\b|zahlbetrag\b|zu zahlen\b|offener betrag\b)",
    ),
    (
        Label::Seller,
        3,
        r"\b(?:vendeur|[ée]metteur|fournisseur|prestataire|seller|supplier|from|verk[äa]ufer|lieferant|rechnungssteller)\s*:",
    ),
    (
        Label::Buyer,
        3,
        r"\b(?:factur[ée] [àa]|adress[ée] [àa]|bill to|billed to|invoice to|sold to)\b\s*:?",
    ),
    // Single-word buyer labels need their colon: "Kunde Bau AG" is a name, "Kunde:" a label.
    (
        Label::Buyer,
        3,
        r"\b(?:client|destinataire|acheteur|customer|buyer|kunde|rechnungsempf[äa]nger|empf[äa]nger|k[äa]ufer)\s*:",
    ),
    (
        Label::VatId,
        4,
        r"\b(?:n[°º]\s*(?:de\s+)?tva(?: intracom(?:munautaire)?)?|tva intracom(?:munautaire)?|num[ée]ro de tva(?: intracom(?:munautaire)?)?|identifiant tva|vat (?:no\b\.?|number\b|id\b|reg\.?\s*no\b\.?|registration(?: number)?\b)|ust-?id(?:nr)?\.?|ust\.?-?id\.?-?nr\.?|umsatzsteuer-id(?:entifikationsnummer)?|steuernummer\b)",
    ),
    (Label::LegalId, 3, r"\b(?:siret|siren|rcs)\b"),
    (Label::Iban, 3, r"\biban\b"),
    (
        Label::Ignore,
        5,
        r"\b(?:date de livraison|delivery date|date of delivery|lieferdatum|leistungsdatum|date de commande|order date|bestelldatum|n[°º]\s*client|num[ée]ro client|code client|r[ée]f[ée]rence client|customer (?:no\b\.?|number|id)|kundennummer|kunden-nr\.?|p[ée]riode|billing period|leistungszeitraum|date de (?:paiement|r[èe]glement|d[ée]but|fin)|payment date|start date|end date|zahlungsdatum|prix unitaire|unit price|einzelpreis|taux|rate)",
    ),
];

static LABELS: LazyLock<Vec<(Label, u8, Regex)>> = LazyLock::new(|| {
    LABEL_PATTERNS
        .iter()
        .map(|(l, s, p)| {
            (
                *l,
                *s,
                Regex::new(&format!("(?i){p}")).expect("static regex"),
            )
        })
        .collect()
});

#[derive(Debug, Clone, Copy)]
struct Hit {
    label: Label,
    spec: u8,
    start: usize,
    end: usize,
}

fn label_hits(line: &str) -> Vec<Hit> {
    let mut all = Vec::new();
    for (label, spec, re) in LABELS.iter() {
        for m in re.find_iter(line) {
            all.push(Hit {
                label: *label,
                spec: *spec,
                start: m.start(),
                end: m.end(),
            });
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

#[derive(Debug, Clone)]
struct Candidate {
    label: Label,
    spec: u8,
    value: String,
    line: usize,
    /// Value read from the line after its label (stacked or header-row layout).
    below: bool,
}

static NUMBER_TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[\s:.#°º]*(?:n[°º]\s*)?[:.]?\s*([A-Za-z0-9][A-Za-z0-9\-/_.]*)")
        .expect("static regex")
});
static CURRENCY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(EUR|USD|GBP|CHF|CAD|JPY|SEK|DKK|NOK|PLN|CZK|HUF)\b|€|\$|£")
        .expect("static regex")
});
static VAT_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:ATU|BE|BG|CY|CZ|DE|DK|EE|EL|ES|FI|FR|HR|HU|IE|IT|LT|LU|LV|MT|NL|PL|PT|RO|SE|SI|SK|GB|XI|CHE)[ \-]?[0-9A-Z]{2}(?:[ .\-]?[0-9A-Z]{1,4}){1,5}\b")
        .expect("static regex")
});
static IBAN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{1,4}){3,8}\b").expect("static regex")
});
static DIGIT_RUN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\d[\d ]{7,20}\d").expect("static regex"));
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
static CREDIT_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:avoir|credit note|gutschrift|rechnungskorrektur|stornorechnung)\b")
        .expect("static regex")
});
static INVOICE_WORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b(?:facture|invoice|rechnung)\b").expect("static regex"));

/// Compacts a matched VAT id candidate, dropping trailing groups until it validates.
fn valid_vat_in(s: &str) -> Option<String> {
    let mut parts: Vec<&str> = s.split([' ', '.', '-']).filter(|p| !p.is_empty()).collect();
    while !parts.is_empty() {
        let c = checks::compact(&parts.concat());
        if checks::is_vat_id(&c) {
            return Some(c);
        }
        parts.pop();
    }
    None
}

fn valid_iban_in(s: &str) -> Option<String> {
    let mut parts: Vec<&str> = s.split(' ').filter(|p| !p.is_empty()).collect();
    while !parts.is_empty() {
        let c = checks::compact(&parts.concat());
        if checks::is_iban(&c) {
            return Some(c);
        }
        parts.pop();
    }
    None
}

fn legal_id_in(s: &str) -> Option<String> {
    for m in DIGIT_RUN.find_iter(s) {
        let c: String = m.as_str().chars().filter(char::is_ascii_digit).collect();
        if (c.len() == 14 && checks::is_siret(&c)) || (c.len() == 9 && checks::is_siren(&c)) {
            return Some(c);
        }
    }
    None
}

fn clean_name(s: &str) -> Option<String> {
    let t = s
        .trim()
        .trim_start_matches([':', '-', '–'])
        .trim()
        .trim_end_matches([',', ';', ':']);
    let letters = t.chars().filter(|c| c.is_alphabetic()).count();
    if letters < 2 || t.chars().count() > 80 {
        return None;
    }
    Some(t.to_string())
}

/// Reads the value of one label from a piece of text.
fn value_for(label: Label, region: &str) -> Option<String> {
    match label {
        Label::Number => {
            let c = NUMBER_TOKEN.captures(region)?;
            let tok = c.get(1)?.as_str().trim_end_matches(['.', '/', '-']);
            let ok = (3..=30).contains(&tok.len())
                && tok.chars().any(|ch| ch.is_ascii_digit())
                && dates::find_dates(tok).is_empty();
            ok.then(|| tok.to_string())
        }
        Label::IssueDate | Label::DueDate => {
            dates::find_dates(region).into_iter().next().map(|d| d.2)
        }
        Label::Net | Label::Vat | Label::Gross | Label::Due => {
            numbers::find_amounts(region).pop().map(|a| a.1)
        }
        Label::Seller | Label::Buyer => clean_name(region),
        Label::VatId => VAT_ID
            .find_iter(region)
            .find_map(|m| valid_vat_in(m.as_str())),
        Label::LegalId => legal_id_in(region),
        Label::Iban => IBAN
            .find_iter(region)
            .find_map(|m| valid_iban_in(m.as_str())),
        Label::Ignore => None,
    }
}

/// A line made only of one value (plus currency signs): for label-above-value layouts.
fn lone_value(label: Label, line: &str) -> Option<String> {
    let v = value_for(label, line)?;
    let rest: String = line
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect::<String>()
        .replace("EUR", "")
        .replace("USD", "")
        .replace("GBP", "")
        .replace("CHF", "");
    let v_alnum: String = v.chars().filter(|c| c.is_alphanumeric()).collect();
    let ok = if label.is_amount() || label.is_date() {
        // Only digits (and month names for dates) may remain.
        let found = if label.is_amount() {
            numbers::find_amounts(line).len() == 1
        } else {
            dates::find_dates(line).len() == 1
        };
        found && (label.is_date() || rest.chars().all(|c| c.is_ascii_digit()))
    } else {
        rest.len() <= v_alnum.len() + 2
    };
    ok.then_some(v)
}

/// Guesses invoice fields from plain text.
pub fn extract_fields(text: &str) -> TextFields {
    // Fonts re-encoded by PostScript's ISOLatin1Encoding show '-' as U+2212 MINUS SIGN.
    let text: String = text
        .chars()
        .map(|c| match c {
            '\u{2212}' | '\u{2010}' | '\u{2011}' => '-',
            other => other,
        })
        .collect();
    let text = text.as_str();
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let hits: Vec<Vec<Hit>> = lines.iter().map(|l| label_hits(l)).collect();
    let mut cands: Vec<Candidate> = Vec::new();
    let next_nonempty = |i: usize| (i + 1..lines.len().min(i + 3)).find(|&j| !lines[j].is_empty());

    // Pass 1: values on the label's own line.
    let mut valued = vec![0usize; lines.len()];
    for (i, line) in lines.iter().enumerate() {
        let hs = &hits[i];
        for (k, h) in hs.iter().enumerate() {
            let region_end = hs.get(k + 1).map_or(line.len(), |n| n.start);
            let region = &line[h.end..region_end];
            // An IBAN wrapped in a narrow column continues on the next line (unlabelled); the
            // mod-97 check decides whether the joined groups are one IBAN.
            let wrapped_iban = || {
                let j = next_nonempty(i).filter(|&j| hits[j].is_empty())?;
                let joined = format!("{} {}", region.trim_end(), lines[j]);
                value_for(Label::Iban, &joined)
            };
            let value = value_for(h.label, region).or_else(|| {
                (h.label == Label::Iban && k + 1 == hs.len())
                    .then(wrapped_iban)
                    .flatten()
            });
            if let Some(v) = value {
                valued[i] += 1;
                cands.push(Candidate {
                    label: h.label,
                    spec: h.spec,
                    value: v,
                    line: i,
                    below: false,
                });
            }
        }
    }
    let no_hits: Vec<Hit> = Vec::new();
    let hits_at = |i: usize| hits.get(i).unwrap_or(&no_hits);
    let useful = |i: usize| -> Vec<Hit> {
        hits_at(i)
            .iter()
            .filter(|h| h.label != Label::Ignore)
            .copied()
            .collect()
    };
    let has_useful = |i: usize| hits_at(i).iter().any(|h| h.label != Label::Ignore);
    // A line holding one non-name label and no value (a stacked label).
    let lone_label = |i: usize| -> Option<Hit> {
        let u = useful(i);
        (valued.get(i) == Some(&0) && hits_at(i).len() == 1 && u.len() == 1)
            .then(|| u[0])
            .filter(|h| !matches!(h.label, Label::Buyer | Label::Seller))
    };

    // Pass 2: values below their labels.
    for (i, line) in lines.iter().enumerate() {
        let hs = &hits[i];
        let u = useful(i);
        if valued[i] > 0 || u.is_empty() || line.is_empty() {
            continue;
        }
        if hs.len() == 1 && matches!(u[0].label, Label::Buyer | Label::Seller) {
            // A name below its label; not on two-column lines (text before the label).
            let h = u[0];
            if let Some(j) = next_nonempty(i)
                && h.start == 0
                && !has_useful(j)
                && let Some(v) = lone_value(h.label, lines[j])
            {
                cands.push(Candidate {
                    label: h.label,
                    spec: h.spec,
                    value: v,
                    line: j,
                    below: true,
                });
            }
        } else if let Some(first) = lone_label(i) {
            // Stacked labels, then as many stacked values in the same order. A run that
            // started on an earlier line was handled there.
            if i > 0 && lone_label(i - 1).is_some() {
                continue;
            }
            let mut run = vec![(i, first)];
            while let Some(h) = lone_label(run[run.len() - 1].0 + 1) {
                run.push((run[run.len() - 1].0 + 1, h));
            }
            let Some(start) = next_nonempty(run[run.len() - 1].0) else {
                continue;
            };
            let values: Vec<usize> = (start..(start + run.len()).min(lines.len())).collect();
            let pairs: Vec<(Hit, usize, String)> = run
                .iter()
                .zip(values.iter())
                .filter(|(_, j)| !has_useful(**j))
                .filter_map(|((_, h), j)| lone_value(h.label, lines[*j]).map(|v| (*h, *j, v)))
                .collect();
            // The value run must be exactly as long as the label run.
            let after = start + run.len();
            let overflow = after < lines.len()
                && !has_useful(after)
                && run
                    .iter()
                    .any(|(_, h)| lone_value(h.label, lines[after]).is_some());
            if pairs.len() == run.len() && !overflow {
                for (h, j, v) in pairs {
                    cands.push(Candidate {
                        label: h.label,
                        spec: h.spec,
                        value: v,
                        line: j,
                        below: true,
                    });
                }
            }
        } else if u.len() == hs.len() && u.len() > 1 {
            // Header row: labels in one line, values in the same order in the next.
            let Some(j) = next_nonempty(i) else { continue };
            if has_useful(j) {
                continue;
            }
            let next = lines[j];
            let date_labels: Vec<&Hit> = u.iter().filter(|h| h.label.is_date()).collect();
            let amount_labels: Vec<&Hit> = u.iter().filter(|h| h.label.is_amount()).collect();
            let ds = dates::find_dates(next);
            let am = numbers::find_amounts(next);
            if !date_labels.is_empty() && ds.len() == date_labels.len() {
                for (h, d) in date_labels.iter().zip(ds.iter()) {
                    cands.push(Candidate {
                        label: h.label,
                        spec: h.spec,
                        value: d.2.clone(),
                        line: j,
                        below: true,
                    });
                }
            }
            if !amount_labels.is_empty() && am.len() == amount_labels.len() {
                for (h, a) in amount_labels.iter().zip(am.iter()) {
                    cands.push(Candidate {
                        label: h.label,
                        spec: h.spec,
                        value: a.1.clone(),
                        line: j,
                        below: true,
                    });
                }
            }
            if u[0].label == Label::Number {
                let first = next.split_whitespace().next().unwrap_or("");
                if let Some(v) = value_for(Label::Number, first) {
                    cands.push(Candidate {
                        label: Label::Number,
                        spec: u[0].spec,
                        value: v,
                        line: j,
                        below: true,
                    });
                }
            }
        }
    }

    let mut out = TextFields::default();
    let best = |label: Label| -> Option<&Candidate> {
        cands
            .iter()
            .filter(|c| c.label == label)
            .max_by_key(|c| (c.spec, !c.below, std::cmp::Reverse(c.line)))
    };

    out.number =
        best(Label::Number).and_then(|c| guess(c.value.clone(), if c.below { 0.8 } else { 0.9 }));
    out.issue_date = best(Label::IssueDate)
        .and_then(|c| guess(c.value.clone(), if c.spec >= 3 { 0.92 } else { 0.85 }));
    out.due_date = best(Label::DueDate).and_then(|c| guess(c.value.clone(), 0.88));
    if let (Some(i), Some(d)) = (&out.issue_date, &out.due_date) {
        if d.value < i.value {
            out.issues.push(format!(
                "due date {} before issue date {}: dropped",
                d.value, i.value
            ));
            out.due_date = None;
        } else if d.value == i.value
            && best(Label::DueDate)
                .is_some_and(|c| c.line == best(Label::IssueDate).map_or(usize::MAX, |x| x.line))
        {
            // Same date read twice from one line: likely one value for two labels.
            out.due_date = None;
        }
    }

    totals(&cands, &mut out);
    parties(&lines, &hits, &cands, &mut out);
    out.currency = currency(text);
    out.type_code = type_code(&lines);
    out.iban = cands
        .iter()
        .find(|c| c.label == Label::Iban)
        .map(|c| c.value.clone())
        .or_else(|| IBAN.find_iter(text).find_map(|m| valid_iban_in(m.as_str())))
        .and_then(|v| guess(v, 0.95));
    out
}

fn totals(cands: &[Candidate], out: &mut TextFields) {
    let of = |l: Label| -> Vec<&Candidate> {
        let mut v: Vec<&Candidate> = cands.iter().filter(|c| c.label == l).collect();
        v.sort_by_key(|c| (std::cmp::Reverse(c.spec), std::cmp::Reverse(c.line)));
        v.truncate(8);
        v
    };
    let (nets, vats, grosses, dues) = (
        of(Label::Net),
        of(Label::Vat),
        of(Label::Gross),
        of(Label::Due),
    );
    // Extra VAT candidate: the sum of the per-rate VAT lines.
    let generic: Vec<&str> = vats
        .iter()
        .filter(|c| c.spec < 3)
        .map(|c| c.value.as_str())
        .collect();
    let mut vat_values: Vec<(String, u8)> =
        vats.iter().map(|c| (c.value.clone(), c.spec)).collect();
    if generic.len() > 1 {
        let mut sum = crate::amount::Decimal::parse("0.00");
        for g in &generic {
            sum = sum.and_then(|s| s.checked_add(crate::amount::Decimal::parse(g)?));
        }
        if let Some(s) = sum {
            vat_values.push((s.to_plain_string(), 1));
        }
    }

    let mut best: Option<(u32, &Candidate, &str, &Candidate)> = None;
    for n in &nets {
        for (v, vs) in &vat_values {
            for g in &grosses {
                if sum_matches(&n.value, v, &g.value) {
                    let score = u32::from(n.spec) + u32::from(*vs) + u32::from(g.spec);
                    if best.as_ref().is_none_or(|b| score > b.0) {
                        best = Some((score, n, v.as_str(), g));
                    }
                }
            }
        }
    }
    if let Some((_, n, v, g)) = best {
        out.total_without_vat = guess(n.value.clone(), 0.97);
        out.total_vat = guess(v, 0.97);
        out.total_with_vat = guess(g.value.clone(), 0.97);
    } else if let (Some(n), Some(g)) = (nets.first(), grosses.first()) {
        if vats.is_empty() && same(&n.value, &g.value) {
            // VAT-exempt invoice: net equals gross.
            out.total_without_vat = guess(n.value.clone(), 0.85);
            out.total_with_vat = guess(g.value.clone(), 0.85);
        } else {
            out.issues.push(format!(
                "totals do not add up (net {} + VAT {} != gross {}): totals left empty",
                n.value,
                vats.first().map_or("?", |v| v.value.as_str()),
                g.value
            ));
        }
    } else if nets.is_empty()
        && vats.is_empty()
        && let Some(g) = grosses.iter().find(|g| g.spec >= 3)
    {
        out.total_with_vat = guess(g.value.clone(), 0.7);
    }

    if let Some(d) = dues.first() {
        let conf = match &out.total_with_vat {
            Some(g) if same(&g.value, &d.value) => 0.97,
            Some(_) => 0.6,
            None => 0.7,
        };
        out.amount_due = guess(d.value.clone(), conf);
    }
}

/// Byte index where a line's buyer part starts, for lines of the buyer block.
fn parties(lines: &[&str], hits: &[Vec<Hit>], cands: &[Candidate], out: &mut TextFields) {
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

fn currency(text: &str) -> Option<Guess> {
    let mut counts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for m in CURRENCY.find_iter(text) {
        let code = match m.as_str() {
            "€" => "EUR",
            "$" => "USD",
            "£" => "GBP",
            other => other,
        };
        *counts.entry(code).or_default() += 1;
    }
    let total: usize = counts.values().sum();
    let (code, n) = counts.iter().max_by_key(|(_, n)| **n)?;
    if *n == total {
        guess(*code, if *code == "USD" { 0.8 } else { 0.95 })
    } else if *n * 5 >= total * 4 {
        guess(*code, 0.6)
    } else {
        None
    }
}

fn type_code(lines: &[&str]) -> Option<Guess> {
    let head: Vec<&&str> = lines.iter().filter(|l| !l.is_empty()).take(12).collect();
    if head.iter().any(|l| CREDIT_WORD.is_match(l)) {
        return guess("381", 0.85);
    }
    if head.iter().any(|l| INVOICE_WORD.is_match(l)) {
        return guess("380", 0.85);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(g: &Option<Guess>) -> Option<&str> {
        g.as_ref().map(|g| g.value.as_str())
    }

    #[test]
    fn french_invoice() {
        let t = "ACME SAS\n12 rue de la Paix 75002 Paris\nSIRET : 732 829 320 00074\nN° TVA intracommunautaire : FR44732829320\n\nFACTURE\nFacture N° F-2026-0042\nDate : 14/10/2026\nÉchéance : 13/11/2026\n\nClient : Dupont SARL\nTVA : FR 40 303 265 045\n\nDésignation Qté Prix unitaire Total HT\nConseil 2 500,00 1 000,00\n\nTotal HT 1 000,00 €\nTVA 20 % 200,00 €\nTotal TTC 1 200,00 €\nNet à payer 1 200,00 €\nIBAN : FR76 3000 6000 0112 3456 7890 189\n";
        let f = extract_fields(t);
        assert_eq!(v(&f.number), Some("F-2026-0042"));
        assert_eq!(v(&f.issue_date), Some("2026-10-14"));
        assert_eq!(v(&f.due_date), Some("2026-11-13"));
        assert_eq!(v(&f.total_without_vat), Some("1000.00"));
        assert_eq!(v(&f.total_vat), Some("200.00"));
        assert_eq!(v(&f.total_with_vat), Some("1200.00"));
        assert_eq!(v(&f.amount_due), Some("1200.00"));
        assert_eq!(v(&f.seller_name), Some("ACME SAS"));
        assert_eq!(v(&f.buyer_name), Some("Dupont SARL"));
        assert_eq!(v(&f.seller_vat_id), Some("FR44732829320"));
        assert_eq!(v(&f.buyer_vat_id), Some("FR40303265045"));
        assert_eq!(v(&f.seller_legal_id), Some("73282932000074"));
        assert_eq!(v(&f.iban), Some("FR7630006000011234567890189"));
        assert_eq!(v(&f.currency), Some("EUR"));
        assert_eq!(v(&f.type_code), Some("380"));
    }

    #[test]
    fn inconsistent_totals_are_dropped() {
        let t = "Invoice No. INV-1\nDate: 2026-01-05\nNet 100.00\nVAT 20.00\nTotal 130.00\n";
        let f = extract_fields(t);
        assert_eq!(f.total_with_vat, None);
        assert_eq!(f.total_without_vat, None);
        assert!(!f.issues.is_empty());
    }

    #[test]
    fn german_header_row() {
        let t = "Müller Technik GmbH · Hauptstr. 1 · 10115 Berlin\nRechnung\nRechnungsnummer Rechnungsdatum Fällig am\nRE-2026-17 14.10.2026 28.10.2026\nNettobetrag 1.000,00 EUR\nMwSt. 19 % 190,00 EUR\nBruttobetrag 1.190,00 EUR\n";
        let f = extract_fields(t);
        assert_eq!(v(&f.number), Some("RE-2026-17"));
        assert_eq!(v(&f.issue_date), Some("2026-10-14"));
        assert_eq!(v(&f.due_date), Some("2026-10-28"));
        assert_eq!(v(&f.total_with_vat), Some("1190.00"));
        assert_eq!(v(&f.seller_name), Some("Müller Technik GmbH"));
    }

    #[test]
    fn english_credit_note_multi_rate_without_vat_total() {
        let t = "CREDIT NOTE\nNorthwind Trading Ltd\nCredit note no. CN-00017\nDate: October 14, 2026\nDelivery date: October 2, 2026\nBill to:\nGlobex Corporation\n\nSubtotal £1,250.00\nVAT 20% £200.00\nVAT 5% £12.50\nTotal £1,462.50\nVAT No: GB123456789\n";
        let f = extract_fields(t);
        assert_eq!(v(&f.type_code), Some("381"));
        assert_eq!(v(&f.number), Some("CN-00017"));
        assert_eq!(
            v(&f.issue_date),
            Some("2026-10-14"),
            "not the delivery date"
        );
        assert_eq!(v(&f.total_vat), Some("212.50"), "sum of the per-rate lines");
        assert_eq!(v(&f.total_with_vat), Some("1462.50"));
        assert_eq!(v(&f.currency), Some("GBP"));
        assert_eq!(v(&f.buyer_name), Some("Globex Corporation"));
        assert_eq!(v(&f.seller_name), Some("Northwind Trading Ltd"));
        assert_eq!(v(&f.seller_vat_id), Some("GB123456789"));
    }

    #[test]
    fn vat_exempt_and_labels_inside_names() {
        let t = "Atelier Dubois\nFacture N° 2026-12\nDate : 1er mars 2026\nKunde: Kunde Bau AG\nTotal HT 300,00 €\nTVA non applicable, art. 293 B du CGI\nTotal TTC 300,00 €\nAtelier Dubois - SIREN 732 829 320\n";
        let f = extract_fields(t);
        assert_eq!(v(&f.issue_date), Some("2026-03-01"));
        assert_eq!(v(&f.buyer_name), Some("Kunde Bau AG"));
        assert_eq!(v(&f.total_without_vat), Some("300.00"));
        assert_eq!(v(&f.total_with_vat), Some("300.00"));
        assert_eq!(v(&f.total_vat), None);
        assert_eq!(v(&f.seller_name), Some("Atelier Dubois"));
        assert_eq!(v(&f.seller_legal_id), Some("732829320"));
    }

    #[test]
    fn invalid_identifiers_are_not_returned() {
        let t = "ACME SAS\nSIRET : 732 829 320 00075\nN° TVA : FR45732829320\nIBAN FR76 3000 6000 0112 3456 7890 188\n";
        let f = extract_fields(t);
        assert_eq!(f.seller_legal_id, None);
        assert_eq!(f.seller_vat_id, None);
        assert_eq!(f.iban, None);
    }

    #[test]
    fn empty_and_garbage_text() {
        assert_eq!(extract_fields(""), TextFields::default());
        let f = extract_fields("Total Total Total\n%%%% 12,34 % 56,78 %\nDate: 99/99/9999");
        assert_eq!(f.total_with_vat, None);
        assert_eq!(f.issue_date, None);
    }

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
    fn iban_wrapped_onto_the_next_line() {
        let t = "Facture N° F-1\nIBAN : DE18 4306 0967 1234\n5678 00\n";
        assert_eq!(v(&extract_fields(t).iban), Some("DE18430609671234567800"));
        // A next line that does not complete a valid IBAN is not used.
        let t = "Facture N° F-1\nIBAN : DE18 4306 0967 1234\n5678 01\n";
        assert_eq!(v(&extract_fields(t).iban), None);
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
    fn stacked_labels_then_stacked_values() {
        let t = "Facture N° F-9\nTotal HT\nTVA 20 %\nTotal TTC\n1 000,00 €\n200,00 €\n1 200,00 €\n";
        let f = extract_fields(t);
        assert_eq!(v(&f.total_without_vat), Some("1000.00"));
        assert_eq!(v(&f.total_vat), Some("200.00"));
        assert_eq!(v(&f.total_with_vat), Some("1200.00"));
        // Labels and values that do not pair up one to one give nothing.
        let t = "Total HT\nTotal TTC\n1 000,00 €\n200,00 €\n1 200,00 €\n";
        let f = extract_fields(t);
        assert_eq!(f.total_with_vat, None);
        assert_eq!(f.total_without_vat, None);
        // One label above one value.
        let t = "Invoice number\nINV-77\nDate\n2026-01-02\n";
        let f = extract_fields(t);
        assert_eq!(v(&f.number), Some("INV-77"));
        assert_eq!(v(&f.issue_date), Some("2026-01-02"));
    }
}
