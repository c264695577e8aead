//! UN/CEFACT CDAR (`CrossDomainAcknowledgementAndResponse`): the lifecycle status messages
//! e-invoicing platforms exchange (in France the "compte rendu de vie" of the 2026 reform:
//! 200 deposited, 210 refused, 212 cashed, 213 rejected, ...).
//!
//! Promises: the same safe parsing as invoices (no DTD, size, node and depth limits); each
//! `ReferenceReferencedDocument` gives the invoice it concerns (number, issue date, issuer
//! identifiers) and one status per status code it carries, its own (MDT-105) and those of its
//! `SpecifiedDocumentStatus` children, with the most precise date given; a code that is not 3 or 4
//! digits is dropped with an issue. Elements are matched by local name: producers differ in
//! which of the `ram`/`qdt`/`udt` namespaces they put dates in.

use roxmltree::Node;

use crate::model::{Extraction, LifecycleStatus};

/// Namespace of the CDAR root.
pub const NS_CDAR_RSM: &str =
    "urn:un:unece:uncefact:data:standard:CrossDomainAcknowledgementAndResponse:100";

/// Whether a root element (local name, namespace) is a CDAR message.
pub fn is_root(local: &str, namespace: Option<&str>) -> bool {
    local == "CrossDomainAcknowledgementAndResponse" && namespace == Some(NS_CDAR_RSM)
}

fn child<'a, 'i>(n: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    n.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

fn children<'a, 'i: 'a>(n: Node<'a, 'i>, name: &'a str) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    n.children()
        .filter(move |c| c.is_element() && c.tag_name().name() == name)
}

fn text_of(n: Option<Node>, name: &str) -> Option<String> {
    super::text(n.and_then(|n| child(n, name)))
}

/// A date-time element (`IssueDateTime`, `ReferenceDateTime`, ...) as RFC 3339 UTC (format 204,
/// `YYYYMMDDHHMMSS`) or `YYYY-MM-DD` (format 102, or an ISO text).
fn date_time(n: Option<Node>) -> Option<String> {
    let n = n?;
    let inner = n
        .children()
        .find(|c| c.is_element() && c.tag_name().name() == "DateTimeString");
    let raw = super::text(inner.or(Some(n)))?;
    let format = inner.and_then(|i| i.attribute("format")).unwrap_or("");
    let digits = raw.bytes().all(|b| b.is_ascii_digit());
    match (format, raw.len()) {
        ("204", 14) | ("", 14) if digits => {
            let date = super::cii::date_102(&raw[..8])?;
            let (h, m, s) = (&raw[8..10], &raw[10..12], &raw[12..14]);
            let ok = h < "24" && m < "60" && s < "60";
            ok.then(|| format!("{date}T{h}:{m}:{s}Z"))
        }
        ("102", 8) | ("", 8) if digits => super::cii::date_102(&raw),
        _ => super::iso_date(raw.get(..10)?),
    }
}

fn valid_code(code: &str) -> bool {
    (3..=4).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit())
}

/// Reads a parsed CDAR root into `out.lifecycle`.
pub fn read(root: Node, out: &mut Extraction) {
    let exchanged = child(root, "ExchangedDocument");
    let message_date = date_time(exchanged.and_then(|e| child(e, "IssueDateTime")));
    for ack in children(root, "AcknowledgementDocument") {
        let ack_date = date_time(child(ack, "IssueDateTime")).or_else(|| message_date.clone());
        for reference in children(ack, "ReferenceReferencedDocument") {
            let number = text_of(Some(reference), "IssuerAssignedID");
            let issue_date = date_time(child(reference, "FormattedIssueDateTime"));
            let mut issuer_ids = Vec::new();
            if let Some(party) = child(reference, "IssuerTradeParty") {
                for name in ["GlobalID", "ID"] {
                    issuer_ids.extend(children(party, name).filter_map(|n| super::text(Some(n))));
                }
                for (group, name) in [
                    ("SpecifiedLegalOrganization", "ID"),
                    ("SpecifiedTaxRegistration", "ID"),
                ] {
                    issuer_ids
                        .extend(children(party, group).filter_map(|g| text_of(Some(g), name)));
                }
            }
            let statuses: Vec<Node> = children(reference, "SpecifiedDocumentStatus").collect();
            let reason_of =
                |n: Node| text_of(Some(n), "Reason").or_else(|| text_of(Some(n), "ReasonCode"));
            let mut found: Vec<(String, Option<String>, Option<String>)> = Vec::new();
            if let Some(code) = text_of(Some(reference), "ProcessConditionCode") {
                let reason = statuses.iter().find_map(|s| reason_of(*s));
                found.push((code, ack_date.clone(), reason));
            }
            for s in &statuses {
                if let Some(code) = text_of(Some(*s), "ProcessConditionCode") {
                    let date = date_time(child(*s, "ReferenceDateTime")).or(ack_date.clone());
                    found.push((code, date, reason_of(*s)));
                }
            }
            if number.is_none() && !found.is_empty() {
                out.issue("lifecycle status without the invoice number it concerns");
                continue;
            }
            for (code, date, reason) in found {
                if !valid_code(&code) {
                    out.issue(format!(
                        "lifecycle status code {code:?} is not a status code"
                    ));
                    continue;
                }
                let status = LifecycleStatus {
                    number: number.clone(),
                    issue_date: issue_date.clone(),
                    issuer_ids: issuer_ids.clone(),
                    code,
                    date,
                    reason,
                };
                if !out.lifecycle.contains(&status) {
                    out.lifecycle.push(status);
                }
            }
        }
    }
    if out.lifecycle.is_empty() {
        out.issue("lifecycle message without any invoice status");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Limits;
    use crate::model::Format;

    fn read_str(xml: &str) -> Extraction {
        let limits = Limits::default();
        let doc = super::super::parse_safely(xml, &limits).unwrap();
        let mut out = Extraction::empty(Format::Cdar, "application/xml");
        read(doc.root_element(), &mut out);
        out
    }

    const HEAD: &str = r#"<rsm:CrossDomainAcknowledgementAndResponse
        xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossDomainAcknowledgementAndResponse:100"
        xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
        xmlns:qdt="urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
        xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">"#;

    #[test]
    fn statuses_of_the_reference_and_of_its_document_statuses() {
        let xml = format!(
            r#"{HEAD}<rsm:ExchangedDocument><ram:IssueDateTime><udt:DateTimeString format="204">20261006143005</udt:DateTimeString></ram:IssueDateTime></rsm:ExchangedDocument>
            <rsm:AcknowledgementDocument><ram:ReferenceReferencedDocument>
              <ram:IssuerAssignedID>FAC-42</ram:IssuerAssignedID>
              <ram:FormattedIssueDateTime><qdt:DateTimeString format="102">20261001</qdt:DateTimeString></ram:FormattedIssueDateTime>
              <ram:ProcessConditionCode>210</ram:ProcessConditionCode>
              <ram:IssuerTradeParty><ram:GlobalID schemeID="0002">842115763</ram:GlobalID></ram:IssuerTradeParty>
              <ram:SpecifiedDocumentStatus><ram:ReasonCode>TX_TVA_ERR</ram:ReasonCode><ram:Reason>Taux erroné</ram:Reason></ram:SpecifiedDocumentStatus>
              <ram:SpecifiedDocumentStatus><ram:ReferenceDateTime><qdt:DateTimeString format="102">20261020</qdt:DateTimeString></ram:ReferenceDateTime><ram:ProcessConditionCode>212</ram:ProcessConditionCode></ram:SpecifiedDocumentStatus>
              <ram:SpecifiedDocumentStatus><ram:ProcessConditionCode>=1+1</ram:ProcessConditionCode></ram:SpecifiedDocumentStatus>
            </ram:ReferenceReferencedDocument></rsm:AcknowledgementDocument>
            </rsm:CrossDomainAcknowledgementAndResponse>"#
        );
        let e = read_str(&xml);
        assert_eq!(e.lifecycle.len(), 2, "{:?}", e.lifecycle);
        let refused = &e.lifecycle[0];
        assert_eq!(refused.code, "210");
        assert_eq!(refused.number.as_deref(), Some("FAC-42"));
        assert_eq!(refused.issue_date.as_deref(), Some("2026-10-01"));
        assert_eq!(refused.issuer_ids, ["842115763"]);
        assert_eq!(refused.date.as_deref(), Some("2026-10-06T14:30:05Z"));
        assert_eq!(refused.reason.as_deref(), Some("Taux erroné"));
        assert_eq!(e.lifecycle[1].code, "212");
        assert_eq!(e.lifecycle[1].date.as_deref(), Some("2026-10-20"));
        assert!(e.issues.iter().any(|i| i.contains("=1+1")));
    }

    #[test]
    fn a_message_without_status_is_flagged() {
        let e = read_str(&format!(
            "{HEAD}<rsm:AcknowledgementDocument/></rsm:CrossDomainAcknowledgementAndResponse>"
        ));
        assert!(e.lifecycle.is_empty());
        assert!(e.needs_review);
    }
}
