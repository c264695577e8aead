//! UN/CEFACT CII D16B CrossIndustryInvoice reader (EN 16931 CII binding, also the XML inside
//! Factur-X / ZUGFeRD 2.x / XRechnung PDFs).
//!
//! Promises: values are read from the elements EN 16931 binds them to, trimmed and otherwise as
//! written; `udt:DateTimeString` with `format="102"` (YYYYMMDD) becomes `YYYY-MM-DD`, any other
//! format becomes null plus an issue; BT-110 is the `ram:TaxTotalAmount` whose `currencyID` is
//! the invoice currency (CII may carry a second one in the accounting currency).

use roxmltree::Node;

use super::{amount, at, kid, kids, profile_name, text};
use crate::model::{Extraction, Line, VatBreakdown};

const RSM: &str = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100";
const RAM: &str =
    "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100";
const UDT: &str = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100";

fn ram<'a, 'i>(n: Node<'a, 'i>, name: &str) -> Option<String> {
    text(kid(n, RAM, name))
}

/// Reads a CII CrossIndustryInvoice root into `out`.
pub fn read(root: Node, out: &mut Extraction) {
    out.profile = text(at(
        root,
        &[
            (RSM, "ExchangedDocumentContext"),
            (RAM, "GuidelineSpecifiedDocumentContextParameter"),
            (RAM, "ID"),
        ],
    ))
    .map(|p| profile_name(&p));

    if let Some(doc) = kid(root, RSM, "ExchangedDocument") {
        out.number = ram(doc, "ID");
        out.type_code = ram(doc, "TypeCode");
        out.issue_date = date(out, "IssueDateTime", kid(doc, RAM, "IssueDateTime"));
    }

    let Some(tx) = kid(root, RSM, "SupplyChainTradeTransaction") else {
        out.issue("CII: no SupplyChainTradeTransaction");
        return;
    };

    if let Some(agreement) = kid(tx, RAM, "ApplicableHeaderTradeAgreement") {
        if let Some(s) = kid(agreement, RAM, "SellerTradeParty") {
            out.seller.name = ram(s, "Name");
            out.seller.legal_id = text(at(s, &[(RAM, "SpecifiedLegalOrganization"), (RAM, "ID")]));
            out.seller.vat_id = vat_id(s);
        }
        if let Some(b) = kid(agreement, RAM, "BuyerTradeParty") {
            out.buyer.name = ram(b, "Name");
            out.buyer.vat_id = vat_id(b);
        }
    }

    if let Some(st) = kid(tx, RAM, "ApplicableHeaderTradeSettlement") {
        out.currency = ram(st, "InvoiceCurrencyCode");
        out.iban = kids(st, RAM, "SpecifiedTradeSettlementPaymentMeans").find_map(|pm| {
            let acct = kid(pm, RAM, "PayeePartyCreditorFinancialAccount")?;
            ram(acct, "IBANID").or_else(|| ram(acct, "ProprietaryID"))
        });
        let due = kids(st, RAM, "SpecifiedTradePaymentTerms")
            .find_map(|pt| kid(pt, RAM, "DueDateDateTime"));
        out.due_date = date(out, "DueDateDateTime", due);
        for tax in kids(st, RAM, "ApplicableTradeTax") {
            out.vat_breakdown.push(VatBreakdown {
                category: ram(tax, "CategoryCode"),
                rate: ram(tax, "RateApplicablePercent"),
                taxable_amount: ram(tax, "BasisAmount"),
                tax_amount: ram(tax, "CalculatedAmount"),
            });
        }
        if let Some(sum) = kid(st, RAM, "SpecifiedTradeSettlementHeaderMonetarySummation") {
            out.total_without_vat =
                amount(out, "TaxBasisTotalAmount", ram(sum, "TaxBasisTotalAmount"));
            out.total_with_vat = amount(out, "GrandTotalAmount", ram(sum, "GrandTotalAmount"));
            out.amount_due = amount(out, "DuePayableAmount", ram(sum, "DuePayableAmount"));
            let totals: Vec<Node> = kids(sum, RAM, "TaxTotalAmount").collect();
            let cur = out.currency.clone();
            let chosen = cur
                .as_deref()
                .and_then(|c| totals.iter().find(|t| t.attribute("currencyID") == Some(c)))
                .or_else(|| totals.iter().find(|t| t.attribute("currencyID").is_none()))
                .or_else(|| {
                    if totals.len() == 1 {
                        totals.first()
                    } else {
                        None
                    }
                });
            out.total_vat = amount(out, "TaxTotalAmount", text(chosen.copied()));
            if chosen.is_none() && !totals.is_empty() {
                out.issue("CII: no TaxTotalAmount in the invoice currency");
            }
        }
    }

    for item in kids(tx, RAM, "IncludedSupplyChainTradeLineItem") {
        let qty = at(
            item,
            &[(RAM, "SpecifiedLineTradeDelivery"), (RAM, "BilledQuantity")],
        );
        let settle = kid(item, RAM, "SpecifiedLineTradeSettlement");
        out.lines.push(Line {
            id: text(at(
                item,
                &[(RAM, "AssociatedDocumentLineDocument"), (RAM, "LineID")],
            )),
            name: text(at(item, &[(RAM, "SpecifiedTradeProduct"), (RAM, "Name")])),
            quantity: text(qty),
            unit_code: qty
                .and_then(|q| q.attribute("unitCode"))
                .map(str::to_string),
            net_amount: settle.and_then(|s| {
                text(at(
                    s,
                    &[
                        (RAM, "SpecifiedTradeSettlementLineMonetarySummation"),
                        (RAM, "LineTotalAmount"),
                    ],
                ))
            }),
            vat_rate: settle.and_then(|s| {
                text(at(
                    s,
                    &[(RAM, "ApplicableTradeTax"), (RAM, "RateApplicablePercent")],
                ))
            }),
        });
    }
}

/// BT-31 / BT-48: the tax registration with schemeID VA.
fn vat_id(party: Node) -> Option<String> {
    kids(party, RAM, "SpecifiedTaxRegistration")
        .filter_map(|r| kid(r, RAM, "ID"))
        .find(|id| id.attribute("schemeID") == Some("VA"))
        .and_then(|id| text(Some(id)))
}

/// Reads a `udt:DateTimeString` under a date element; format 102 only.
fn date(out: &mut Extraction, what: &str, parent: Option<Node>) -> Option<String> {
    let dts = kid(parent?, UDT, "DateTimeString")?;
    let raw = text(Some(dts))?;
    let format = dts.attribute("format").unwrap_or("102");
    let parsed = if format == "102" {
        date_102(&raw)
    } else {
        None
    };
    if parsed.is_none() {
        out.issue(format!(
            "{what}: {raw:?} (format {format}) is not a YYYYMMDD date"
        ));
    }
    parsed
}

/// `YYYYMMDD` → `YYYY-MM-DD`, validated.
pub fn date_102(raw: &str) -> Option<String> {
    if raw.len() != 8 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (y, m, d) = (&raw[0..4], &raw[4..6], &raw[6..8]);
    let ok = crate::heuristics::dates::valid_ymd(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    ok.then(|| format!("{y}-{m}-{d}"))
}
