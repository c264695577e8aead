//! Where a target's starting inputs come from: the extraction fixtures
//! (`crates/extract/tests/fixtures`, recursively), the public corpora beside the workspace
//! (`../shared/corpus/en16931`, `../shared/corpus/third-party/files`; skipped when absent), the
//! committed regression inputs of the target, folders given with `--seed-dir`, and the inputs
//! the target generates itself ([`crate::harness::Harness::generated_seeds`]).

use std::path::{Path, PathBuf};

use crate::paths;
use crate::targets::Target;

/// Largest file taken as a seed (bigger ones are skipped: they would only slow the loop).
pub const MAX_SEED_BYTES: u64 = 2 * 1024 * 1024;

/// One starting input.
#[derive(Debug, Clone)]
pub struct Seed {
    /// Where it came from (a path, or `generated:...`).
    pub name: String,
    /// Its bytes.
    pub data: Vec<u8>,
}

/// Seeds found, and what was left out.
#[derive(Debug, Default)]
pub struct Loaded {
    /// The seeds.
    pub seeds: Vec<Seed>,
    /// Notes: corpora absent, files skipped as too large.
    pub notes: Vec<String>,
}

/// A minimal EN 16931 invoice in UBL.
pub const MINIMAL_UBL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>
  <cbc:ID>UBL-2026-7</cbc:ID>
  <cbc:IssueDate>2026-03-02</cbc:IssueDate>
  <cbc:DueDate>2026-04-01</cbc:DueDate>
  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
  <cac:AccountingSupplierParty><cac:Party><cac:PartyName><cbc:Name>Fuzz &amp; Co</cbc:Name></cac:PartyName>
    <cac:PartyTaxScheme><cbc:CompanyID>FR44732829320</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:PartyTaxScheme>
    <cac:PartyLegalEntity><cbc:RegistrationName>Fuzz SAS</cbc:RegistrationName><cbc:CompanyID schemeID="0002">732829320</cbc:CompanyID></cac:PartyLegalEntity></cac:Party></cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty><cac:Party><cac:PartyLegalEntity><cbc:RegistrationName>Client SARL</cbc:RegistrationName></cac:PartyLegalEntity></cac:Party></cac:AccountingCustomerParty>
  <cac:PaymentMeans><cbc:PaymentMeansCode>30</cbc:PaymentMeansCode><cac:PayeeFinancialAccount><cbc:ID>FR7630006000011234567890189</cbc:ID></cac:PayeeFinancialAccount></cac:PaymentMeans>
  <cac:TaxTotal><cbc:TaxAmount currencyID="EUR">20.00</cbc:TaxAmount>
    <cac:TaxSubtotal><cbc:TaxableAmount currencyID="EUR">100.00</cbc:TaxableAmount><cbc:TaxAmount currencyID="EUR">20.00</cbc:TaxAmount>
      <cac:TaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>20</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:TaxCategory></cac:TaxSubtotal></cac:TaxTotal>
  <cac:LegalMonetaryTotal><cbc:LineExtensionAmount currencyID="EUR">100.00</cbc:LineExtensionAmount><cbc:TaxExclusiveAmount currencyID="EUR">100.00</cbc:TaxExclusiveAmount><cbc:TaxInclusiveAmount currencyID="EUR">120.00</cbc:TaxInclusiveAmount><cbc:PayableAmount currencyID="EUR">120.00</cbc:PayableAmount></cac:LegalMonetaryTotal>
  <cac:InvoiceLine><cbc:ID>1</cbc:ID><cbc:InvoicedQuantity unitCode="C62">4</cbc:InvoicedQuantity><cbc:LineExtensionAmount currencyID="EUR">100.00</cbc:LineExtensionAmount>
    <cac:Item><cbc:Name>Conseil</cbc:Name><cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID><cbc:Percent>20</cbc:Percent><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory></cac:Item>
    <cac:Price><cbc:PriceAmount currencyID="EUR">25.00</cbc:PriceAmount></cac:Price></cac:InvoiceLine>
</Invoice>
"#;

/// A minimal EN 16931 invoice in CII (as embedded in Factur-X).
pub const MINIMAL_CII: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100" xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
  <rsm:ExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn:cen.eu:en16931:2017</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter></rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument><ram:ID>CII-2026-9</ram:ID><ram:TypeCode>380</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">20260302</udt:DateTimeString></ram:IssueDateTime></rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>
    <ram:IncludedSupplyChainTradeLineItem><ram:AssociatedDocumentLineDocument><ram:LineID>1</ram:LineID></ram:AssociatedDocumentLineDocument>
      <ram:SpecifiedTradeProduct><ram:Name>Schrauben</ram:Name></ram:SpecifiedTradeProduct>
      <ram:SpecifiedLineTradeAgreement><ram:NetPriceProductTradePrice><ram:ChargeAmount>5.00</ram:ChargeAmount></ram:NetPriceProductTradePrice></ram:SpecifiedLineTradeAgreement>
      <ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode="C62">20</ram:BilledQuantity></ram:SpecifiedLineTradeDelivery>
      <ram:SpecifiedLineTradeSettlement><ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>19</ram:RateApplicablePercent></ram:ApplicableTradeTax>
        <ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>100.00</ram:LineTotalAmount></ram:SpecifiedTradeSettlementLineMonetarySummation></ram:SpecifiedLineTradeSettlement>
    </ram:IncludedSupplyChainTradeLineItem>
    <ram:ApplicableHeaderTradeAgreement>
      <ram:SellerTradeParty><ram:Name>Muster GmbH</ram:Name><ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">DE123456789</ram:ID></ram:SpecifiedTaxRegistration></ram:SellerTradeParty>
      <ram:BuyerTradeParty><ram:Name>Kunde AG</ram:Name></ram:BuyerTradeParty>
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeDelivery/>
    <ram:ApplicableHeaderTradeSettlement><ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
      <ram:SpecifiedTradeSettlementPaymentMeans><ram:TypeCode>58</ram:TypeCode><ram:PayeePartyCreditorFinancialAccount><ram:IBANID>DE89370400440532013000</ram:IBANID></ram:PayeePartyCreditorFinancialAccount></ram:SpecifiedTradeSettlementPaymentMeans>
      <ram:ApplicableTradeTax><ram:CalculatedAmount>19.00</ram:CalculatedAmount><ram:TypeCode>VAT</ram:TypeCode><ram:BasisAmount>100.00</ram:BasisAmount><ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>19</ram:RateApplicablePercent></ram:ApplicableTradeTax>
      <ram:SpecifiedTradePaymentTerms><ram:DueDateDateTime><udt:DateTimeString format="102">20260401</udt:DateTimeString></ram:DueDateDateTime></ram:SpecifiedTradePaymentTerms>
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation><ram:LineTotalAmount>100.00</ram:LineTotalAmount><ram:TaxBasisTotalAmount>100.00</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="EUR">19.00</ram:TaxTotalAmount><ram:GrandTotalAmount>119.00</ram:GrandTotalAmount><ram:DuePayableAmount>119.00</ram:DuePayableAmount></ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
"#;

fn has_ext(p: &Path, exts: &[&str]) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| exts.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Adds the files of `dir` accepted by `keep` (path, bytes).
fn add_dir(out: &mut Loaded, dir: &Path, keep: &dyn Fn(&Path, &[u8]) -> bool) {
    for p in paths::files_under(dir) {
        match std::fs::metadata(&p) {
            Ok(m) if m.len() > MAX_SEED_BYTES => {
                out.notes
                    .push(format!("skipped {} ({} bytes)", p.display(), m.len()));
                continue;
            }
            Err(_) => continue,
            Ok(_) => {}
        }
        let Ok(data) = std::fs::read(&p) else {
            continue;
        };
        if keep(&p, &data) {
            out.seeds.push(Seed {
                name: p.display().to_string(),
                data,
            });
        }
    }
}

fn add_shared(out: &mut Loaded, name: &str, keep: &dyn Fn(&Path, &[u8]) -> bool) {
    match paths::shared_corpus(name) {
        Some(dir) => add_dir(out, &dir, keep),
        None => out
            .notes
            .push(format!("../shared/corpus/{name} absent: skipped")),
    }
}

/// The file seeds of `target`: fixtures and corpora it reads, its regression inputs, and every
/// file of `extra` folders.
pub fn from_files(target: Target, extra: &[PathBuf]) -> Loaded {
    let mut out = Loaded::default();
    let pdf = |p: &Path, _: &[u8]| has_ext(p, &["pdf"]);
    let xml = |p: &Path, _: &[u8]| has_ext(p, &["xml"]);
    let einvoice_pdf = |p: &Path, d: &[u8]| {
        has_ext(p, &["pdf"]) && (contains(d, b"EmbeddedFile") || contains(d, b"/AF"))
    };
    match target {
        Target::PdfText => {
            add_dir(&mut out, &paths::fixtures(), &pdf);
            add_shared(&mut out, "third-party/files", &pdf);
        }
        Target::PdfAttachment => {
            add_dir(&mut out, &paths::fixtures(), &einvoice_pdf);
            add_shared(&mut out, "third-party/files", &einvoice_pdf);
        }
        Target::Mail => {
            let mail = |p: &Path, _: &[u8]| has_ext(p, &["eml", "msg"]);
            add_dir(
                &mut out,
                &paths::root().join("crates/cli/tests/fixtures/mail"),
                &mail,
            );
        }
        Target::Xml => {
            add_dir(&mut out, &paths::fixtures(), &xml);
            add_shared(&mut out, "en16931", &xml);
            add_shared(&mut out, "third-party/files", &xml);
        }
        _ => {}
    }
    let all = |_: &Path, _: &[u8]| true;
    add_dir(&mut out, &paths::regressions().join(target.name()), &all);
    for dir in extra {
        if dir.is_file() {
            add_dir_file(&mut out, dir);
        } else {
            add_dir(&mut out, dir, &all);
        }
    }
    out
}

fn add_dir_file(out: &mut Loaded, file: &Path) {
    if let Ok(data) = std::fs::read(file) {
        out.seeds.push(Seed {
            name: file.display().to_string(),
            data,
        });
    }
}
