//! The documents and their invoice data: `list`, `show`, `cat`, `extract`, `search`, `correct`,
//! `reextract` and `supplier-memory`.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};

use coffre_core::records::direction::Direction;

use super::Ctx;
use crate::args::{CorrectArgs, SearchArgs, SupplierMemoryCommand};
use crate::output::{outln, print_fields, print_json, print_list, serde_name};

/// `coffre list`: the documents, with their direction, original and status.
pub fn list(
    ctx: &Ctx,
    json: bool,
    direction: Option<&str>,
    payment: Option<&str>,
) -> Result<ExitCode> {
    let direction = direction.map(Direction::parse).transpose()?;
    let docs = ctx.open()?.list_documents(direction, payment)?;
    let empty = if direction.is_some() || payment.is_some() {
        "No document matches."
    } else {
        "The vault is empty. Add documents with `coffre import FILE...`."
    };
    print_list(&docs, json, empty, |l| {
        let d = &l.document;
        let mut line = format!(
            "{}  {:>10}  {:<5}  {}  {:<8}  {}",
            d.id,
            d.size,
            serde_name(d.kind),
            &d.imported_at[..10.min(d.imported_at.len())],
            l.direction.as_str(),
            d.name
        );
        if let Some(s) = &l.status {
            line.push_str(&format!("  [{s}]"));
        }
        if let Some(o) = &l.copy_of {
            line.push_str(&format!("  (copy of {o})"));
        }
        line
    })?;
    Ok(ExitCode::SUCCESS)
}

/// `coffre direction`: purchases or sales, as the owner says.
pub fn set_direction(ctx: &Ctx, direction: &str, ids: &[String]) -> Result<ExitCode> {
    let direction = Direction::parse(direction)?;
    let changed = ctx.open()?.set_direction(ids, direction)?;
    outln!("{changed} document(s) changed, {} given", ids.len());
    Ok(ExitCode::SUCCESS)
}

/// `coffre set-status`: a lifecycle status set by hand.
pub fn set_status(
    ctx: &Ctx,
    id: &str,
    status: &str,
    at: Option<&str>,
    note: Option<&str>,
) -> Result<ExitCode> {
    ctx.open()?.set_status(id, status, at, note)?;
    outln!("status recorded: {}", status.trim().to_ascii_lowercase());
    Ok(ExitCode::SUCCESS)
}

/// `coffre show`: one document's metadata, invoice data, corrections and history.
pub fn show(ctx: &Ctx, id: &str, json: bool) -> Result<ExitCode> {
    let vault = ctx.open()?;
    let details = vault.details(id)?;
    let doc = &details.document;
    let history = vault.audit_entries(Some(&doc.id))?;
    if json {
        // The document, then its invoice data at the top level (the extraction contract
        // with corrections applied), the corrections and the audit history.
        let mut v = serde_json::to_value(doc)?;
        if let (Some(obj), Some(fields)) = (v.as_object_mut(), details.fields.as_object()) {
            for (k, val) in fields {
                if k != "media_type" {
                    obj.insert(k.clone(), val.clone());
                }
            }
        }
        v["corrections"] = serde_json::to_value(&details.corrections)?;
        v["parts"] = serde_json::to_value(&details.parts)?;
        v["messages"] = serde_json::to_value(&details.messages)?;
        v["invoice"] = serde_json::to_value(&details.invoice)?;
        v["history"] = serde_json::to_value(&history)?;
        print_json(&v)?;
    } else {
        outln!("id           {}", doc.id);
        outln!("name         {}", doc.name);
        outln!("size         {} bytes", doc.size);
        outln!("media type   {}", doc.media_type);
        outln!("sha-256      {}", doc.sha256);
        outln!("imported at  {}", doc.imported_at);
        for m in &details.messages {
            outln!("from message {}  {}", m.id, m.name);
        }
        print_fields(&details.fields);
        print_invoice(&details.invoice);
        if !details.parts.is_empty() {
            outln!("attachments");
            for p in &details.parts {
                outln!("  {}  {}", p.document.id, p.name);
            }
        }
        if !details.corrections.is_empty() {
            outln!("corrections");
            for c in &details.corrections {
                outln!(
                    "  {}  {}: {} -> {}",
                    c.at,
                    c.field,
                    c.old_value.as_deref().unwrap_or("(none)"),
                    c.new_value.as_deref().unwrap_or("(none)")
                );
            }
        }
        outln!("history");
        for e in history {
            outln!("  {}  {}", e.at, e.action);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `coffre cat`: a document's original bytes to standard output.
pub fn cat(ctx: &Ctx, id: &str) -> Result<ExitCode> {
    let mut vault = ctx.open()?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    vault.write_document_to(id, &mut out)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `coffre extract`: a file's invoice data, no vault needed.
pub fn extract(file: &Path, json: bool) -> Result<ExitCode> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Parsed in a worker process with memory and time limits, like every import.
    let e = coffre_core::records::worker::Extractor::default()
        .extract(&bytes, &name)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if json {
        outln!("{}", e.json);
    } else {
        print_fields(&e.data());
    }
    Ok(ExitCode::SUCCESS)
}

/// `coffre search`: words and filters on the invoice data.
pub fn search(ctx: &Ctx, args: SearchArgs) -> Result<ExitCode> {
    let SearchArgs {
        query,
        from,
        to,
        supplier,
        min,
        max,
        kind,
        limit,
        json,
    } = args;
    let q = coffre_core::SearchQuery {
        text: query,
        from,
        to,
        supplier,
        min,
        max,
        kind,
        limit: Some(limit),
        include_restricted: false,
    };
    let hits = ctx.open()?.search(&q)?;
    print_list(&hits, json, "No document matches.", |h| {
        format!(
            "{}  {:<10}  {:<16}  {:>12} {:<3}  {:<24}  {}",
            h.document.id,
            h.issue_date.as_deref().unwrap_or("-"),
            h.number.as_deref().unwrap_or("-"),
            h.total_with_vat.as_deref().unwrap_or("-"),
            h.currency.as_deref().unwrap_or(""),
            h.seller.as_deref().unwrap_or("-"),
            h.document.name
        )
    })?;
    Ok(ExitCode::SUCCESS)
}

/// `coffre correct`: one field of a document's invoice data.
pub fn correct(ctx: &Ctx, args: CorrectArgs) -> Result<ExitCode> {
    let CorrectArgs { id, field, value } = args;
    let mut vault = ctx.open()?;
    vault.correct(&id, &field, value.as_deref())?;
    let details = vault.details(&id)?;
    outln!(
        "{} {}: {}",
        details.document.id,
        field,
        coffre_core::records::fields::get(&details.fields, &field).unwrap_or("(none)")
    );
    Ok(ExitCode::SUCCESS)
}

/// `coffre reextract`: extraction again, corrections kept.
pub fn reextract(ctx: &Ctx, ids: &[String]) -> Result<ExitCode> {
    let n = ctx.open()?.reextract(ids)?;
    outln!("re-extracted {n} document(s); corrections kept");
    Ok(ExitCode::SUCCESS)
}

/// `coffre supplier-memory`: the layouts learned from corrections; forget one.
pub fn supplier_memory(ctx: &Ctx, action: SupplierMemoryCommand) -> Result<ExitCode> {
    let mut vault = ctx.open()?;
    match action {
        SupplierMemoryCommand::List { json } => {
            let rows = vault.supplier_memory()?;
            let empty = "Nothing learned yet: correct a field of a PDF invoice and Coffre \
                         remembers where that supplier prints it.";
            print_list(&rows, json, empty, |l| {
                format!(
                    "{:>4}  {:<18}  {:<10}  {:<24}  {}  ({})",
                    l.id,
                    l.field,
                    l.placement,
                    l.label,
                    l.supplier.as_deref().unwrap_or("-"),
                    l.ids.join(", ")
                )
            })?;
        }
        SupplierMemoryCommand::Forget { id } => {
            vault.forget_supplier_layout(id)?;
            outln!("forgotten: layout {id}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The invoice view of `coffre show`: direction, copies, VAT per rate, statuses, missing mentions.
fn print_invoice(i: &coffre_core::vault::invoices::InvoiceInfo) {
    let by = if i.direction_by_owner {
        " (set by you)"
    } else {
        ""
    };
    outln!("direction    {}{by}", i.direction.as_str());
    if let Some(o) = &i.copy_of {
        outln!("copy of      {}  {}", o.id, o.name);
    }
    for c in &i.copies {
        outln!("copy         {}  {}", c.id, c.name);
    }
    for c in &i.conflicts {
        outln!(
            "conflict     {}  {}  total {}",
            c.id,
            c.name,
            c.total_with_vat.as_deref().unwrap_or("?")
        );
    }
    for v in &i.vat {
        outln!(
            "vat          {}%  base {}  vat {}",
            v.rate,
            v.taxable_amount,
            v.tax_amount
        );
    }
    for s in &i.statuses {
        outln!(
            "status       {}  {}  ({}){}",
            s.at,
            s.status,
            s.source,
            s.reason
                .as_deref()
                .map(|r| format!("  {r}"))
                .unwrap_or_default()
        );
    }
    for m in &i.mentions {
        outln!("mention      {} {}", m.severity, m.mention);
    }
}
