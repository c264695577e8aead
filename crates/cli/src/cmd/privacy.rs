//! Personal data (GDPR): the request register (`request new|list|extend|close`), a data
//! subject's documents (`subject search|erase|export`) and the full plain-file `export`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;

use super::Ctx;
use crate::args::{RequestCommand, SubjectCommand};
use crate::output::{outln, print_json_line, print_list, serde_name};

/// `coffre request new|list|extend|close`: the GDPR request register.
pub fn request(ctx: &Ctx, action: RequestCommand) -> Result<ExitCode> {
    let mut vault = ctx.open()?;
    match action {
        RequestCommand::New {
            subject,
            kind,
            email,
            vat_id,
            siren,
            received,
        } => {
            let r = vault.request_new(&coffre_core::privacy::requests::NewRequest {
                subject,
                email,
                vat_id,
                siren,
                kind: kind.parse()?,
                received,
            })?;
            outln!("request {} registered; due {}", r.id, r.due);
        }
        RequestCommand::List { json } => {
            let all = vault.requests()?;
            print_list(&all, json, "No request registered.", |r| {
                format!(
                    "{:>4}  {:<13}  {:<8}  received {}  due {}{}  {}",
                    r.id,
                    r.kind.as_str(),
                    serde_name(r.status),
                    r.received,
                    r.due,
                    if r.overdue { "  OVERDUE" } else { "" },
                    r.subject
                )
            })?;
        }
        RequestCommand::Extend { id, reason } => {
            let r = vault.request_extend(id, &reason)?;
            outln!("request {id} extended; due {}", r.due);
        }
        RequestCommand::Close { id, outcome } => {
            vault.request_close(id, &outcome)?;
            outln!("request {id} closed");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `coffre subject search|erase|export`: everything about a person named in the documents.
pub fn subject(ctx: &Ctx, action: SubjectCommand) -> Result<ExitCode> {
    match action {
        SubjectCommand::Search { subject, json } => {
            let hits = ctx.open()?.subject_search(&subject)?;
            let none = format!("No document mentions {subject:?}.");
            print_list(&hits, json, &none, |h| {
                format!(
                    "{}  {:<10}  {:<16}  {}",
                    h.document.id,
                    h.issue_date.as_deref().unwrap_or("-"),
                    h.number.as_deref().unwrap_or("-"),
                    h.document.name
                )
            })?;
            Ok(ExitCode::SUCCESS)
        }
        SubjectCommand::Erase {
            subject,
            request,
            json,
        } => {
            for e in ctx.open()?.erase_subject(&subject, request)? {
                if json {
                    print_json_line(&e)?;
                } else {
                    outln!("{} {} {}: {}", e.action, e.id, e.name, e.reason);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        SubjectCommand::Export { subject, out } => {
            let report = ctx.open()?.subject_export(&subject, &out)?;
            eprintln!(
                "coffre: {} holds {} document(s) in plaintext: hand it over securely, then \
                 delete it",
                out.display(),
                report.documents
            );
            outln!(
                "exported {} document(s) to {}",
                report.documents,
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `coffre export`: everything in plain files (documents, metadata, ledgers, audit trail).
pub fn export(ctx: &Ctx, out: &Path) -> Result<ExitCode> {
    let summary = ctx.open()?.export_all(out)?;
    eprintln!(
        "coffre: {} holds your documents in PLAINTEXT: keep it safe, delete it when done",
        out.display()
    );
    outln!(
        "exported {} document(s) ({} bytes), {} consent(s), {} request(s), {} audit \
         entries to {}",
        summary.documents,
        summary.bytes,
        summary.consents,
        summary.requests,
        summary.audit_entries,
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}
