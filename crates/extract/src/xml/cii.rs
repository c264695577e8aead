//! UN/CEFACT CII readers: the D16B `CrossIndustryInvoice` (EN 16931 CII binding, also the XML
//! inside Factur-X / ZUGFeRD 2.x / XRechnung PDFs) and its predecessor, the ZUGFeRD 1.0
//! `CrossIndustryDocument` (2014–2019, profiles BASIC, COMFORT and EXTENDED; its XML is usually
//! attached to the PDF as `ZUGFeRD-invoice.xml`).
//!
//! Both versions have the same tree shape under different names and namespaces, so there is one
//! walk ([`read_with`]) driven by a [`Syntax`] table of per-version element names ([`D16B`],
//! [`ZUGFERD_1P0`]); a field is read from the same place, with the same rules, in both.
//!
//! Promises: values are read from the elements EN 16931 (resp. the ZUGFeRD 1.0 specification)
//! binds them to, trimmed and otherwise as written; `udt:DateTimeString` with `format="102"`
//! (YYYYMMDD) becomes `YYYY-MM-DD`, any other format becomes null plus an issue; an amount that
//! may be repeated in several currencies (BT-110 `ram:TaxTotalAmount` in D16B, every summation
//! and tax amount in ZUGFeRD 1.0) is the one whose `currencyID` is the invoice currency, else the
//! one without `currencyID`, else the only one; with several and none of those, null plus an
//! issue.

use roxmltree::Node;

use super::{amount, at, kid, kids, profile_name, text};
use crate::model::{Extraction, Line, VatBreakdown};

/// The element names and namespaces of one CII version: everything the walk needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Syntax {
    /// How issues name the syntax (`CII`, `ZUGFeRD 1.0`).
    pub label: &'static str,
    /// Namespace of the root and its direct children (`rsm`).
    pub rsm: &'static str,
    /// Namespace of the aggregates (`ram`).
    pub ram: &'static str,
    /// Namespace of the data types (`udt`, for `DateTimeString`).
    pub udt: &'static str,
    /// Local name of the root element.
    pub root: &'static str,
    /// `rsm:` child holding the guideline (profile) parameter.
    pub context: &'static str,
    /// `rsm:` child holding the document header (number, type code, issue date).
    pub document: &'static str,
    /// `rsm:` child holding the trade transaction.
    pub transaction: &'static str,
    /// Header trade agreement (seller and buyer).
    pub agreement: &'static str,
    /// Header trade delivery (ship-to party).
    pub delivery: &'static str,
    /// Header trade settlement (currency, payment, tax, totals).
    pub settlement: &'static str,
    /// Document-level monetary summation under the settlement.
    pub header_summation: &'static str,
    /// VAT rate element of a trade tax.
    pub rate: &'static str,
    /// Line trade delivery (billed quantity).
    pub line_delivery: &'static str,
    /// Line trade settlement (line tax and total).
    pub line_settlement: &'static str,
    /// Line monetary summation under the line settlement.
    pub line_summation: &'static str,
    /// Trade party child holding the legal registration (BT-30); absent from the version when
    /// `None`.
    pub legal_organization: Option<&'static str>,
    /// Put before a known profile name (`ZUGFeRD 1.0` + `COMFORT`) when the profile names alone
    /// do not tell the version (BASIC and EXTENDED exist in ZUGFeRD 1.0 and 2.x).
    pub profile_prefix: Option<&'static str>,
}

/// UN/CEFACT CII D16B (`rsm:CrossIndustryInvoice`, EN 16931, Factur-X, ZUGFeRD 2.x, XRechnung).
pub const D16B: Syntax = Syntax {
    label: "CII",
    rsm: "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    ram: "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    udt: "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    root: "CrossIndustryInvoice",
    context: "ExchangedDocumentContext",
    document: "ExchangedDocument",
    transaction: "SupplyChainTradeTransaction",
    agreement: "ApplicableHeaderTradeAgreement",
    delivery: "ApplicableHeaderTradeDelivery",
    settlement: "ApplicableHeaderTradeSettlement",
    header_summation: "SpecifiedTradeSettlementHeaderMonetarySummation",
    rate: "RateApplicablePercent",
    line_delivery: "SpecifiedLineTradeDelivery",
    line_settlement: "SpecifiedLineTradeSettlement",
    line_summation: "SpecifiedTradeSettlementLineMonetarySummation",
    legal_organization: Some("SpecifiedLegalOrganization"),
    profile_prefix: None,
};

/// ZUGFeRD 1.0 (`rsm:CrossIndustryDocument`, FeRD 2014, on CEFACT RAM 12 / UDT 15).
pub const ZUGFERD_1P0: Syntax = Syntax {
    label: "ZUGFeRD 1.0",
    rsm: "urn:ferd:CrossIndustryDocument:invoice:1p0",
    ram: "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12",
    udt: "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:15",
    root: "CrossIndustryDocument",
    context: "SpecifiedExchangedDocumentContext",
    document: "HeaderExchangedDocument",
    transaction: "SpecifiedSupplyChainTradeTransaction",
    agreement: "ApplicableSupplyChainTradeAgreement",
    delivery: "ApplicableSupplyChainTradeDelivery",
    settlement: "ApplicableSupplyChainTradeSettlement",
    header_summation: "SpecifiedTradeSettlementMonetarySummation",
    rate: "ApplicablePercent",
    line_delivery: "SpecifiedSupplyChainTradeDelivery",
    line_settlement: "SpecifiedSupplyChainTradeSettlement",
    line_summation: "SpecifiedTradeSettlementMonetarySummation",
    // ZUGFeRD 1.0's TradePartyType has no legal organization (BT-30 came with EN 16931).
    legal_organization: None,
    profile_prefix: Some("ZUGFeRD 1.0"),
};

/// The profile shown for a ZUGFeRD 1.0 document whose conformance level is `level` (from its
/// guideline id or the PDF's XMP): `ZUGFeRD 1.0 COMFORT`.
pub fn zugferd1_profile(level: &str) -> String {
    ZUGFERD_1P0.profile(level.trim().to_ascii_uppercase())
}

impl Syntax {
    /// A profile name as this version shows it (see [`Syntax::profile_prefix`]).
    fn profile(&self, name: String) -> String {
        match self.profile_prefix {
            Some(prefix) => format!("{prefix} {name}"),
            None => name,
        }
    }
}

/// Reads a CII D16B CrossIndustryInvoice root into `out`.
pub fn read(root: Node, out: &mut Extraction) {
    read_with(&D16B, root, out);
}

/// Reads a ZUGFeRD 1.0 CrossIndustryDocument root into `out`.
pub fn read_zugferd1(root: Node, out: &mut Extraction) {
    read_with(&ZUGFERD_1P0, root, out);
}

/// The walk shared by every CII version: reads `root` into `out` with the names of `sx`.
pub fn read_with(sx: &Syntax, root: Node, out: &mut Extraction) {
    let (rsm, ram) = (sx.rsm, sx.ram);
    let txt = |n: Node, name: &str| text(kid(n, ram, name));

    let guideline = text(at(
        root,
        &[
            (rsm, sx.context),
            (ram, "GuidelineSpecifiedDocumentContextParameter"),
            (ram, "ID"),
        ],
    ));
    // A known profile (BASIC, COMFORT...) in the version's words; an unknown id as written.
    out.profile = guideline.map(|id| match profile_name(&id) {
        name if name == id => id,
        name => sx.profile(name),
    });

    out.business_process = text(at(
        root,
        &[
            (rsm, sx.context),
            (ram, "BusinessProcessSpecifiedDocumentContextParameter"),
            (ram, "ID"),
        ],
    ));

    if let Some(doc) = kid(root, rsm, sx.document) {
        out.number = txt(doc, "ID");
        out.type_code = txt(doc, "TypeCode");
        out.issue_date = date(sx, out, "IssueDateTime", kid(doc, ram, "IssueDateTime"));
    }

    let Some(tx) = kid(root, rsm, sx.transaction) else {
        out.issue(format!("{}: no {}", sx.label, sx.transaction));
        return;
    };

    if let Some(agreement) = kid(tx, ram, sx.agreement) {
        if let Some(s) = kid(agreement, ram, "SellerTradeParty") {
            out.seller.name = txt(s, "Name");
            out.seller.legal_id = sx
                .legal_organization
                .and_then(|lo| text(at(s, &[(ram, lo), (ram, "ID")])));
            out.seller.vat_id = vat_id(sx, s);
        }
        if let Some(b) = kid(agreement, ram, "BuyerTradeParty") {
            out.buyer.name = txt(b, "Name");
            out.buyer.vat_id = vat_id(sx, b);
            out.buyer.legal_id = sx
                .legal_organization
                .and_then(|lo| text(at(b, &[(ram, lo), (ram, "ID")])));
        }
    }
    out.delivery_address = at(
        tx,
        &[
            (ram, sx.delivery),
            (ram, "ShipToTradeParty"),
            (ram, "PostalTradeAddress"),
        ],
    )
    .and_then(|a| {
        super::one_line(
            [
                "LineOne",
                "LineTwo",
                "PostcodeCode",
                "CityName",
                "CountryID",
            ]
            .iter()
            .map(|n| txt(a, n)),
        )
    });

    let settlement = kid(tx, ram, sx.settlement);
    out.currency = settlement.and_then(|st| txt(st, "InvoiceCurrencyCode"));
    let currency = out.currency.clone();
    let cur = currency.as_deref();
    if let Some(st) = settlement {
        out.iban = kids(st, ram, "SpecifiedTradeSettlementPaymentMeans").find_map(|pm| {
            let acct = kid(pm, ram, "PayeePartyCreditorFinancialAccount")?;
            txt(acct, "IBANID").or_else(|| txt(acct, "ProprietaryID"))
        });
        let due = kids(st, ram, "SpecifiedTradePaymentTerms")
            .find_map(|pt| kid(pt, ram, "DueDateDateTime"));
        out.due_date = date(sx, out, "DueDateDateTime", due);
        out.vat_point_code =
            kids(st, ram, "ApplicableTradeTax").find_map(|t| txt(t, "DueDateTypeCode"));
        for tax in kids(st, ram, "ApplicableTradeTax") {
            let taxable_amount = text(in_currency(sx, out, tax, "BasisAmount", cur));
            let tax_amount = text(in_currency(sx, out, tax, "CalculatedAmount", cur));
            out.vat_breakdown.push(VatBreakdown {
                category: txt(tax, "CategoryCode"),
                rate: txt(tax, sx.rate),
                taxable_amount,
                tax_amount,
            });
        }
        if let Some(sum) = kid(st, ram, sx.header_summation) {
            let total = |out: &mut Extraction, name: &str| {
                let raw = text(in_currency(sx, out, sum, name, cur));
                amount(out, name, raw)
            };
            out.total_without_vat = total(out, "TaxBasisTotalAmount");
            out.total_vat = total(out, "TaxTotalAmount");
            out.total_with_vat = total(out, "GrandTotalAmount");
            out.amount_due = total(out, "DuePayableAmount");
        }
    }

    for item in kids(tx, ram, "IncludedSupplyChainTradeLineItem") {
        let qty = at(item, &[(ram, sx.line_delivery), (ram, "BilledQuantity")]);
        let settle = kid(item, ram, sx.line_settlement);
        let net_amount = settle
            .and_then(|s| kid(s, ram, sx.line_summation))
            .and_then(|sum| text(in_currency(sx, out, sum, "LineTotalAmount", cur)));
        out.lines.push(Line {
            id: text(at(
                item,
                &[(ram, "AssociatedDocumentLineDocument"), (ram, "LineID")],
            )),
            name: text(at(item, &[(ram, "SpecifiedTradeProduct"), (ram, "Name")])),
            quantity: text(qty),
            unit_code: qty
                .and_then(|q| q.attribute("unitCode"))
                .map(str::to_string),
            net_amount,
            vat_rate: settle
                .and_then(|s| text(at(s, &[(ram, "ApplicableTradeTax"), (ram, sx.rate)]))),
        });
    }
}

/// The `name` child of `parent` in the invoice currency `cur`: the one whose `currencyID` is
/// `cur`, else the one without `currencyID`, else the only one. With several candidates and none
/// of those, `None` plus an issue.
fn in_currency<'a, 'i>(
    sx: &Syntax,
    out: &mut Extraction,
    parent: Node<'a, 'i>,
    name: &str,
    cur: Option<&str>,
) -> Option<Node<'a, 'i>> {
    let all: Vec<Node> = parent
        .children()
        .filter(|c| {
            c.is_element()
                && c.tag_name().name() == name
                && c.tag_name().namespace() == Some(sx.ram)
        })
        .collect();
    let chosen = cur
        .and_then(|c| all.iter().find(|n| n.attribute("currencyID") == Some(c)))
        .or_else(|| all.iter().find(|n| n.attribute("currencyID").is_none()))
        .or(if all.len() == 1 { all.first() } else { None })
        .copied();
    if chosen.is_none() && !all.is_empty() {
        out.issue(format!("{}: no {name} in the invoice currency", sx.label));
    }
    chosen
}

/// BT-31 / BT-48: the tax registration with schemeID VA.
fn vat_id(sx: &Syntax, party: Node) -> Option<String> {
    kids(party, sx.ram, "SpecifiedTaxRegistration")
        .filter_map(|r| kid(r, sx.ram, "ID"))
        .find(|id| id.attribute("schemeID") == Some("VA"))
        .and_then(|id| text(Some(id)))
}

/// Reads a `udt:DateTimeString` under a date element; format 102 only.
fn date(sx: &Syntax, out: &mut Extraction, what: &str, parent: Option<Node>) -> Option<String> {
    let dts = kid(parent?, sx.udt, "DateTimeString")?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn profile_of(sx: &Syntax, id: &str) -> Option<String> {
        let ctx = if *sx == ZUGFERD_1P0 {
            "SpecifiedExchangedDocumentContext"
        } else {
            "ExchangedDocumentContext"
        };
        let xml = format!(
            r#"<rsm:{root} xmlns:rsm="{rsm}" xmlns:ram="{ram}"><rsm:{ctx}><ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>{id}</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter></rsm:{ctx}></rsm:{root}>"#,
            root = sx.root,
            rsm = sx.rsm,
            ram = sx.ram,
        );
        let doc = roxmltree::Document::parse(&xml).expect("xml");
        let mut out = Extraction::empty(crate::Format::Cii, "application/xml");
        read_with(sx, doc.root_element(), &mut out);
        out.profile
    }

    #[test]
    fn profiles_are_named_per_version() {
        let v1 = |id| profile_of(&ZUGFERD_1P0, id);
        assert_eq!(
            v1("urn:ferd:CrossIndustryDocument:invoice:1p0:basic").as_deref(),
            Some("ZUGFeRD 1.0 BASIC")
        );
        assert_eq!(
            v1("urn:ferd:CrossIndustryDocument:invoice:1p0:comfort").as_deref(),
            Some("ZUGFeRD 1.0 COMFORT")
        );
        assert_eq!(
            v1("urn:ferd:CrossIndustryDocument:invoice:1p0:extended").as_deref(),
            Some("ZUGFeRD 1.0 EXTENDED")
        );
        // An early release-candidate id, as some 2014 producers wrote it.
        assert_eq!(
            v1("urn:ferd:invoice:rc:comfort").as_deref(),
            Some("ZUGFeRD 1.0 COMFORT")
        );
        // Unknown ids are kept as written.
        assert_eq!(v1("urn:example:x").as_deref(), Some("urn:example:x"));
        assert_eq!(
            profile_of(&D16B, "urn:factur-x.eu:1p0:basic").as_deref(),
            Some("BASIC")
        );
        assert_eq!(zugferd1_profile(" comfort "), "ZUGFeRD 1.0 COMFORT");
    }
}
