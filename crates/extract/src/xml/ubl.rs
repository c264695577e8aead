//! UBL 2.1 Invoice and CreditNote reader (EN 16931 UBL syntax binding).
//!
//! Promises: every value comes from the element EN 16931 binds the business term to, trimmed
//! and otherwise as written; the VAT total (BT-110) is the `cac:TaxTotal/cbc:TaxAmount` whose
//! `currencyID` is the document currency (UBL may carry a second one in the accounting currency).

use roxmltree::Node;

use super::{amount, at, iso_date, kid, kids, profile_name, text};
use crate::model::{Extraction, Line, VatBreakdown};

const CAC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2";
const CBC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2";

fn cbc<'a, 'i>(n: Node<'a, 'i>, name: &str) -> Option<String> {
    text(kid(n, CBC, name))
}

/// Reads a UBL Invoice or CreditNote root into `out`.
pub fn read(root: Node, out: &mut Extraction) {
    let credit = root.tag_name().name() == "CreditNote";
    out.profile = cbc(root, "CustomizationID").map(|p| profile_name(&p));
    out.business_process = cbc(root, "ProfileID");
    out.vat_point_code = kids(root, CAC, "InvoicePeriod").find_map(|p| cbc(p, "DescriptionCode"));
    out.number = cbc(root, "ID");
    out.issue_date = date(out, "IssueDate", cbc(root, "IssueDate"));
    out.type_code = cbc(
        root,
        if credit {
            "CreditNoteTypeCode"
        } else {
            "InvoiceTypeCode"
        },
    );
    out.currency = cbc(root, "DocumentCurrencyCode");

    let due = cbc(root, "DueDate")
        .or_else(|| kids(root, CAC, "PaymentMeans").find_map(|pm| cbc(pm, "PaymentDueDate")));
    out.due_date = date(out, "DueDate", due);

    if let Some(party) = at(root, &[(CAC, "AccountingSupplierParty"), (CAC, "Party")]) {
        out.seller.name = party_name(party);
        out.seller.vat_id = vat_id(party);
        out.seller.legal_id = text(at(party, &[(CAC, "PartyLegalEntity"), (CBC, "CompanyID")]));
    }
    if let Some(party) = at(root, &[(CAC, "AccountingCustomerParty"), (CAC, "Party")]) {
        out.buyer.name = party_name(party);
        out.buyer.vat_id = vat_id(party);
        out.buyer.legal_id = text(at(party, &[(CAC, "PartyLegalEntity"), (CBC, "CompanyID")]));
    }
    out.delivery_address = kids(root, CAC, "Delivery")
        .find_map(|d| at(d, &[(CAC, "DeliveryLocation"), (CAC, "Address")]))
        .and_then(|a| {
            let country = text(at(a, &[(CAC, "Country"), (CBC, "IdentificationCode")]));
            super::one_line(
                [
                    "StreetName",
                    "AdditionalStreetName",
                    "PostalZone",
                    "CityName",
                ]
                .iter()
                .map(|n| cbc(a, n))
                .chain(std::iter::once(country)),
            )
        });

    if let Some(t) = kid(root, CAC, "LegalMonetaryTotal") {
        out.total_without_vat = amount(out, "TaxExclusiveAmount", cbc(t, "TaxExclusiveAmount"));
        out.total_with_vat = amount(out, "TaxInclusiveAmount", cbc(t, "TaxInclusiveAmount"));
        out.amount_due = amount(out, "PayableAmount", cbc(t, "PayableAmount"));
    }

    // BT-110: the TaxTotal in the document currency.
    let totals: Vec<Node> = kids(root, CAC, "TaxTotal").collect();
    let chosen = pick_tax_total(&totals, out.currency.as_deref());
    if let Some(tt) = chosen {
        out.total_vat = amount(out, "TaxTotal/TaxAmount", cbc(tt, "TaxAmount"));
        for sub in kids(tt, CAC, "TaxSubtotal") {
            let cat = kid(sub, CAC, "TaxCategory");
            out.vat_breakdown.push(VatBreakdown {
                category: cat.and_then(|c| cbc(c, "ID")),
                rate: cat.and_then(|c| cbc(c, "Percent")),
                taxable_amount: cbc(sub, "TaxableAmount"),
                tax_amount: cbc(sub, "TaxAmount"),
            });
        }
    }

    out.iban = kids(root, CAC, "PaymentMeans")
        .find_map(|pm| text(at(pm, &[(CAC, "PayeeFinancialAccount"), (CBC, "ID")])));

    let (line_tag, qty_tag) = if credit {
        ("CreditNoteLine", "CreditedQuantity")
    } else {
        ("InvoiceLine", "InvoicedQuantity")
    };
    for l in kids(root, CAC, line_tag) {
        let qty = kid(l, CBC, qty_tag);
        out.lines.push(Line {
            id: cbc(l, "ID"),
            name: text(at(l, &[(CAC, "Item"), (CBC, "Name")])),
            quantity: text(qty),
            unit_code: qty
                .and_then(|q| q.attribute("unitCode"))
                .map(str::to_string),
            net_amount: cbc(l, "LineExtensionAmount"),
            vat_rate: text(at(
                l,
                &[
                    (CAC, "Item"),
                    (CAC, "ClassifiedTaxCategory"),
                    (CBC, "Percent"),
                ],
            )),
        });
    }
}

fn date(out: &mut Extraction, what: &str, raw: Option<String>) -> Option<String> {
    let raw = raw?;
    let d = iso_date(&raw);
    if d.is_none() {
        out.issue(format!("{what}: {raw:?} is not a YYYY-MM-DD date"));
    }
    d
}

/// BT-27: the legal registration name, else the trading name.
fn party_name(party: Node) -> Option<String> {
    text(at(
        party,
        &[(CAC, "PartyLegalEntity"), (CBC, "RegistrationName")],
    ))
    .or_else(|| text(at(party, &[(CAC, "PartyName"), (CBC, "Name")])))
}

/// BT-31 / BT-48: the PartyTaxScheme whose TaxScheme is VAT.
fn vat_id(party: Node) -> Option<String> {
    kids(party, CAC, "PartyTaxScheme")
        .find(|pts| {
            text(at(*pts, &[(CAC, "TaxScheme"), (CBC, "ID")]))
                .is_some_and(|id| id.eq_ignore_ascii_case("VAT"))
        })
        .and_then(|pts| cbc(pts, "CompanyID"))
}

fn pick_tax_total<'a, 'i>(totals: &[Node<'a, 'i>], currency: Option<&str>) -> Option<Node<'a, 'i>> {
    if let Some(cur) = currency {
        let in_currency = |t: &&Node| {
            kid(**t, CBC, "TaxAmount").is_some_and(|a| a.attribute("currencyID") == Some(cur))
        };
        if let Some(t) = totals.iter().find(in_currency) {
            return Some(*t);
        }
    }
    totals
        .iter()
        .find(|t| kid(**t, CAC, "TaxSubtotal").is_some())
        .or_else(|| totals.first())
        .copied()
}
