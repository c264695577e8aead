//! VAT per rate: the breakdown of an invoice (EN 16931 BG-23) as the owner and the accountant
//! see it, and the text form in which the owner corrects it.
//!
//! Promises: amounts stay exact decimals (never floats); a correction is
//! `RATE:BASE:TAX[:CATEGORY]` entries separated by `;` (`20:100.00:20.00; 5.5:50:2.75`),
//! validated before it is stored and replacing the whole extracted breakdown; [`lines`] gives the
//! per-rate lines of any effective fields, and [`booking_lines`] the lines an accounting entry
//! needs, whose sums are always the invoice's totals.

use coffre_extract::amount::Decimal;
use serde::Serialize;
use serde_json::{Value, json};

use crate::error::Why;
use crate::records::fields::{amount, get};
use crate::{Error, Result};

/// One VAT rate of an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS), ts(export))]
pub struct VatLine {
    /// The rate in percent (`20`, `5.5`), empty when not known.
    pub rate: String,
    /// The amount without VAT taxed at this rate.
    pub taxable_amount: String,
    /// The VAT at this rate.
    pub tax_amount: String,
    /// The VAT category code (S, Z, E, AE, ...), when known.
    pub category: Option<String>,
}

/// A rate as written, without trailing zeros (`20.00` → `20`, `5.50` → `5.5`).
pub fn rate_text(rate: &str) -> String {
    let r = rate.trim();
    if Decimal::parse(r).is_some() && r.contains('.') {
        let t = r.trim_end_matches('0').trim_end_matches('.');
        if t.is_empty() || t == "-" {
            return "0".to_owned();
        }
        return t.to_owned();
    }
    r.to_owned()
}

/// Parses the owner's text form (see the module documentation).
pub fn parse(text: &str) -> Result<Vec<VatLine>> {
    let mut out = Vec::new();
    for entry in text.split(';').map(str::trim).filter(|e| !e.is_empty()) {
        let parts: Vec<&str> = entry.split(':').map(str::trim).collect();
        if !(3..=4).contains(&parts.len()) {
            return Err(Error::invalid(
                "vat_breakdown",
                Why::BadFormat {
                    value: entry.to_owned(),
                    format: "RATE:BASE:TAX[:CATEGORY]; ...".into(),
                },
            ));
        }
        let category = parts.get(3).filter(|c| !c.is_empty()).map(|c| {
            c.chars()
                .filter(char::is_ascii_alphabetic)
                .take(2)
                .collect::<String>()
                .to_ascii_uppercase()
        });
        out.push(VatLine {
            rate: rate_text(&amount("vat_breakdown", parts[0])?),
            taxable_amount: amount("vat_breakdown", parts[1])?,
            tax_amount: amount("vat_breakdown", parts[2])?,
            category: category.filter(|c| !c.is_empty()),
        });
    }
    Ok(out)
}

/// The text form of lines (what [`parse`] reads back).
pub fn format(lines: &[VatLine]) -> String {
    lines
        .iter()
        .map(|l| {
            let mut s = format!("{}:{}:{}", l.rate, l.taxable_amount, l.tax_amount);
            if let Some(c) = &l.category {
                s.push(':');
                s.push_str(c);
            }
            s
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The extraction JSON of lines (the shape `coffre-extract` writes in `vat_breakdown`).
pub fn to_json(lines: &[VatLine]) -> Value {
    Value::Array(
        lines
            .iter()
            .map(|l| {
                json!({
                    "category": l.category, "rate": l.rate,
                    "taxable_amount": l.taxable_amount, "tax_amount": l.tax_amount,
                    "base": l.taxable_amount, "amount": l.tax_amount,
                })
            })
            .collect(),
    )
}

/// The VAT lines of effective fields: each breakdown entry with an amount.
pub fn lines(fields: &Value) -> Vec<VatLine> {
    let Some(entries) = fields.get("vat_breakdown").and_then(Value::as_array) else {
        return Vec::new();
    };
    entries
        .iter()
        .filter_map(|e| {
            let s = |k: &str| e.get(k).and_then(Value::as_str).map(str::to_owned);
            let (base, tax) = (s("taxable_amount"), s("tax_amount"));
            if base.is_none() && tax.is_none() {
                return None;
            }
            Some(VatLine {
                rate: s("rate").map(|r| rate_text(&r)).unwrap_or_default(),
                taxable_amount: base.unwrap_or_else(|| "0".into()),
                tax_amount: tax.unwrap_or_else(|| "0".into()),
                category: s("category"),
            })
        })
        .collect()
}

/// One line of an accounting entry: an invoice's amounts at one rate; an amount the invoice
/// does not give (and that cannot be computed from the others) is `None`, never a guessed 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingLine {
    /// The rate, empty when the invoice has no usable breakdown.
    pub rate: String,
    /// Without VAT.
    pub net: Option<Decimal>,
    /// The VAT.
    pub vat: Option<Decimal>,
    /// With VAT.
    pub gross: Option<Decimal>,
}

/// The lines an accounting entry books for an invoice: one per VAT rate when the breakdown
/// agrees with every total the invoice gives (without VAT, VAT, with VAT); otherwise one line
/// of the totals without a rate, each missing one computed from the two others when it can be.
/// Either way the lines add up to the invoice.
pub fn booking_lines(fields: &Value) -> Vec<BookingLine> {
    let dec = |p: &str| get(fields, p).and_then(|v| Decimal::parse(v.trim()));
    let (net_total, vat_total, gross_total) = (
        dec("total_without_vat"),
        dec("total_vat"),
        dec("total_with_vat"),
    );
    let per_rate: Option<Vec<(String, Decimal, Decimal, Decimal)>> = lines(fields)
        .into_iter()
        .map(|l| {
            let net = Decimal::parse(&l.taxable_amount)?;
            let vat = Decimal::parse(&l.tax_amount)?;
            Some((l.rate, net, vat, net.checked_add(vat)?))
        })
        .collect();
    if let Some(per_rate) = per_rate.filter(|l| !l.is_empty()) {
        let sum = |f: fn(&(String, Decimal, Decimal, Decimal)) -> Decimal| {
            per_rate
                .iter()
                .try_fold(Decimal::parse("0")?, |acc, l| acc.checked_add(f(l)))
        };
        let agrees = |total: Option<Decimal>, s: Option<Decimal>| match (total, s) {
            (None, _) => true,
            (Some(t), Some(s)) => t.same_value(s),
            (Some(_), None) => false,
        };
        if agrees(net_total, sum(|l| l.1))
            && agrees(vat_total, sum(|l| l.2))
            && agrees(gross_total, sum(|l| l.3))
        {
            return per_rate
                .into_iter()
                .map(|(rate, net, vat, gross)| BookingLine {
                    rate,
                    net: Some(net),
                    vat: Some(vat),
                    gross: Some(gross),
                })
                .collect();
        }
    }
    if net_total.is_none() && vat_total.is_none() && gross_total.is_none() {
        return Vec::new();
    }
    let net = net_total.or_else(|| gross_total?.checked_sub(vat_total?));
    let vat = vat_total.or_else(|| gross_total?.checked_sub(net_total?));
    let gross = gross_total.or_else(|| net_total?.checked_add(vat_total?));
    vec![BookingLine {
        rate: String::new(),
        net,
        vat,
        gross,
    }]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_form_round_trips_and_refuses_nonsense() {
        let l = parse(" 20,00 : 100.00 : 20.00 ; 5.5:50:2.75:s ").unwrap();
        assert_eq!(l.len(), 2);
        assert_eq!(l[0].rate, "20");
        assert_eq!(l[0].taxable_amount, "100.00");
        assert_eq!(l[1].category.as_deref(), Some("S"));
        assert_eq!(parse(&format(&l)).unwrap(), l);
        assert!(parse("20:100").is_err());
        assert!(parse("20:=1+1:3").is_err());
        assert!(parse("").unwrap().is_empty());
    }

    #[test]
    fn booking_lines_add_up_to_the_invoice() {
        let two_rates = json!({
            "total_without_vat": "624.90", "total_vat": "46.25", "total_with_vat": "671.15",
            "vat_breakdown": [
                { "rate": "20.00", "taxable_amount": "81.90", "tax_amount": "16.38" },
                { "rate": "5.50", "taxable_amount": "543.00", "tax_amount": "29.87" }
            ]
        });
        let l = booking_lines(&two_rates);
        assert_eq!(l.len(), 2);
        assert_eq!(l[0].rate, "20");
        assert_eq!(l[0].gross.unwrap().to_plain_string(), "98.28");
        // A breakdown that disagrees with the totals: one line with the totals.
        let wrong = json!({
            "total_without_vat": "100.00", "total_vat": "20.00", "total_with_vat": "120.00",
            "vat_breakdown": [{ "rate": "20", "taxable_amount": "90.00", "tax_amount": "18.00" }]
        });
        let l = booking_lines(&wrong);
        assert_eq!(l.len(), 1);
        assert_eq!(l[0].rate, "");
        assert_eq!(l[0].gross.unwrap().to_plain_string(), "120.00");
        // Lines that agree with the totals without VAT and of VAT but not with the total with
        // VAT (a disbursement outside VAT): the totals.
        let debours = json!({
            "total_without_vat": "100.00", "total_vat": "20.00", "total_with_vat": "150.00",
            "vat_breakdown": [{ "rate": "20", "taxable_amount": "100.00", "tax_amount": "20.00" }]
        });
        let l = booking_lines(&debours);
        assert_eq!(
            (l.len(), l[0].gross.unwrap().to_plain_string()),
            (1, "150.00".into())
        );
        // A missing VAT total is computed, not taken as 0.
        let l =
            booking_lines(&json!({ "total_without_vat": "100.00", "total_with_vat": "120.00" }));
        assert_eq!(l[0].vat.unwrap().to_plain_string(), "20.00");
        // Only a total with VAT: the rest is unknown, not 0.
        let l = booking_lines(&json!({ "total_with_vat": "12.00" }));
        assert_eq!((l[0].net, l[0].vat), (None, None));
        assert_eq!(l[0].gross.unwrap().to_plain_string(), "12.00");
        assert!(booking_lines(&json!({})).is_empty());
    }
}
