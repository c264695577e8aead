//! E-mail messages: an RFC 5322 file (`.eml`, read by `mail-parser`) or an Outlook `.msg`
//! (read by `msg_parser`). A message is read for its envelope (From, To, Cc, Date, Subject,
//! Message-ID) and its text body (HTML turned into text), which make its searchable text, and
//! split into its parts: every attachment, and every inline part that is not the body (an
//! inline PDF counts; whether a small inline image is kept is the caller's rule, see
//! [`rules`]). A nested message's parts and a ZIP archive's files are opened in place, named
//! after their container (`forwarded.eml/facture.pdf`, `factures.zip/2026-03.pdf`).
//!
//! Promises (the input is untrusted): never panics (the callers run it under `catch_unwind` in
//! the extraction worker); at most [`MAX_PARTS`] parts, [`MAX_DEPTH`] levels of nesting, each
//! part at most `Limits::max_input_bytes` and all of them at most [`MAX_TOTAL`] times that; a
//! ZIP entry is inflated with a bound, never to disk, and its name is reduced to its last path
//! component (no traversal can follow from it).

mod archive;
mod eml;
mod msg;
pub mod rules;

use crate::model::{AttachmentInfo, MessageInfo};
use crate::{Extraction, Format, Limits};

/// Most parts taken out of one message (nested ones and ZIP entries included).
pub const MAX_PARTS: usize = 200;

/// Most levels of containers opened (a message in a message in a ZIP...).
pub const MAX_DEPTH: usize = 3;

/// All parts together are at most this many times `Limits::max_input_bytes`.
pub const MAX_TOTAL: usize = 4;

/// The two message formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// RFC 5322 / MIME (`.eml`).
    Eml,
    /// Outlook's compound file (`.msg`).
    Msg,
}

impl Kind {
    /// The IANA media type.
    pub fn media_type(self) -> &'static str {
        match self {
            Kind::Eml => "message/rfc822",
            Kind::Msg => "application/vnd.ms-outlook",
        }
    }
}

/// One part taken out of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Its file name, prefixed by its containers' names (`archive.zip/facture.pdf`).
    pub name: String,
    /// The media type the message declares (lower case; `application/octet-stream` if none).
    pub media_type: String,
    /// Shown in the body rather than attached.
    pub inline: bool,
    /// Its bytes, decoded.
    pub bytes: Vec<u8>,
}

/// A message as read: envelope, body text and parts, before any container is opened.
pub(crate) struct Read {
    pub info: MessageInfo,
    pub body: String,
    pub parts: Vec<Part>,
}

/// Whether these bytes are an e-mail message: an Outlook compound file (its directory names
/// MAPI property streams), or text starting with a header block that has a `From:` and a
/// `Date:`, `Subject:` or `Message-ID:` (or any header block, for a file named `.eml`).
pub fn sniff(bytes: &[u8], file_name: Option<&str>) -> Option<Kind> {
    if msg::is_msg(bytes) {
        return Some(Kind::Msg);
    }
    let named = file_name.is_some_and(|n| n.to_ascii_lowercase().ends_with(".eml"));
    eml::looks_like_headers(bytes, named).then_some(Kind::Eml)
}

fn read(bytes: &[u8], kind: Kind, limits: &Limits) -> Result<Read, String> {
    match kind {
        Kind::Eml => eml::read(bytes, limits),
        Kind::Msg => msg::read(bytes, limits),
    }
}

/// The extraction of a message (its envelope in `message`, its searchable text: the envelope's
/// lines, then the body) and its parts (containers opened), from one reading.
pub fn extract(bytes: &[u8], kind: Kind, limits: &Limits) -> (Extraction, Vec<Part>) {
    let mut e = Extraction::empty(Format::Message, kind.media_type());
    let read = match read(bytes, kind, limits) {
        Ok(r) => r,
        Err(why) => {
            e.issue(format!("unreadable message: {why}"));
            return (e, Vec::new());
        }
    };
    let mut issues = Vec::new();
    let parts = open_containers(read.parts, limits, 0, &mut issues);
    let mut info = read.info;
    info.attachments = parts
        .iter()
        .map(|p| AttachmentInfo {
            name: p.name.clone(),
            media_type: p.media_type.clone(),
            size: p.bytes.len() as u64,
            inline: p.inline,
        })
        .collect();
    let mut text = String::new();
    let mut line = |label: &str, value: &str| {
        if !value.is_empty() {
            text.push_str(&format!("{label}: {value}\n"));
        }
    };
    line("From", info.from.as_deref().unwrap_or_default());
    line("To", &info.to.join(", "));
    line("Cc", &info.cc.join(", "));
    line("Date", info.date.as_deref().unwrap_or_default());
    line("Subject", info.subject.as_deref().unwrap_or_default());
    let names: Vec<&str> = info.attachments.iter().map(|a| a.name.as_str()).collect();
    line("Attachments", &names.join(", "));
    text.push('\n');
    text.push_str(read.body.trim());
    e.text = Some(text.chars().take(limits.max_text_chars).collect());
    e.message = Some(info);
    for i in issues {
        e.issue(i);
    }
    (e, parts)
}

/// The parts of a message, containers opened (see the module docs); nothing when it cannot be
/// read.
pub fn parts(bytes: &[u8], kind: Kind, limits: &Limits) -> Vec<Part> {
    match read(bytes, kind, limits) {
        Ok(r) => open_containers(r.parts, limits, 0, &mut Vec::new()),
        Err(_) => Vec::new(),
    }
}

/// Replaces each nested message and ZIP archive by its parts, up to [`MAX_DEPTH`] levels, and
/// keeps to [`MAX_PARTS`] and the byte budget; what is left out is said in `issues`.
fn open_containers(
    parts: Vec<Part>,
    limits: &Limits,
    depth: usize,
    issues: &mut Vec<String>,
) -> Vec<Part> {
    let budget = limits.max_input_bytes.saturating_mul(MAX_TOTAL);
    let mut out: Vec<Part> = Vec::new();
    let mut total = 0usize;
    for part in parts {
        let opened = if depth >= MAX_DEPTH {
            None
        } else if let Some(kind) = nested_message(&part) {
            match read(&part.bytes, kind, limits) {
                Ok(inner) => Some(inner.parts),
                Err(why) => {
                    issues.push(format!("{}: unreadable message: {why}", part.name));
                    None
                }
            }
        } else if archive::is_zip(&part) {
            match archive::entries(&part.bytes, limits) {
                Ok(entries) => Some(entries),
                Err(why) => {
                    issues.push(format!("{}: {why}", part.name));
                    None
                }
            }
        } else {
            None
        };
        let items = match opened {
            Some(inner) => open_containers(inner, limits, depth + 1, issues)
                .into_iter()
                .map(|p| Part {
                    name: format!("{}/{}", part.name, p.name),
                    ..p
                })
                .collect(),
            None => vec![part],
        };
        for p in items {
            if out.len() >= MAX_PARTS {
                issues.push(format!("more than {MAX_PARTS} parts: the rest left out"));
                return out;
            }
            if p.bytes.len() > limits.max_input_bytes || total + p.bytes.len() > budget {
                issues.push(format!("{}: too large, left out", p.name));
                continue;
            }
            total += p.bytes.len();
            out.push(p);
        }
    }
    out
}

/// The kind of a part that is itself a message (declared `message/rfc822`, or an attached
/// `.eml` or `.msg` file that sniffs as one).
fn nested_message(part: &Part) -> Option<Kind> {
    let lower = part.name.to_ascii_lowercase();
    if part.media_type == "message/rfc822" || lower.ends_with(".eml") {
        return Some(Kind::Eml);
    }
    (part.media_type == Kind::Msg.media_type() || lower.ends_with(".msg"))
        .then(|| msg::is_msg(&part.bytes).then_some(Kind::Msg))
        .flatten()
}

/// A file name made safe to show and store: its last path component, without control
/// characters, at most 200 characters; `fallback` when nothing is left.
pub(crate) fn clean_name(name: &str, fallback: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last.chars().filter(|c| !c.is_control()).take(200).collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    if cleaned.is_empty() {
        fallback.to_owned()
    } else {
        cleaned.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_reduced_to_their_last_component() {
        assert_eq!(clean_name("../../etc/passwd", "x"), "passwd");
        assert_eq!(clean_name("C:\\Users\\a\\facture.pdf", "x"), "facture.pdf");
        assert_eq!(clean_name("..", "part-1"), "part-1");
        assert_eq!(clean_name("a\u{0}b\n.pdf", "x"), "ab.pdf");
        assert_eq!(clean_name("", "part-2"), "part-2");
    }
}
