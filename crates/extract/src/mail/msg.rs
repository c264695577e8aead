//! Outlook `.msg` messages (a compound file of MAPI properties), through `msg_parser`.
//!
//! `msg_parser` trusts the stream sizes a file declares (a 200 KB file declaring a 3 GB stream
//! made it allocate 3 GB, found by fuzzing): the compound file is first opened with the `cfb`
//! crate, and one whose streams declare more bytes than the file could hold is refused before
//! `msg_parser` sees it.

use msg_parser::{Outlook, Person};

use super::{Kind, Part, Read, clean_name};
use crate::Limits;
use crate::model::MessageInfo;

/// The signature of a compound file (OLE2).
const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// `__substg1.0_` in UTF-16LE: the name of every property stream of a message's directory.
const PROPERTY_STREAM: &[u8] = b"_\0_\0s\0u\0b\0s\0t\0g\x001\0.\x000\0_\0";

/// Whether `bytes` are a compound file holding MAPI property streams (a `.msg`, not a `.doc`).
pub(super) fn is_msg(bytes: &[u8]) -> bool {
    bytes.starts_with(OLE_MAGIC)
        && bytes
            .windows(PROPERTY_STREAM.len())
            .any(|w| w == PROPERTY_STREAM)
}

fn person(p: &Person) -> Option<String> {
    // An Exchange-internal address (an X.500 name, `/O=.../CN=...`) says nothing to a reader.
    let email = p.email.trim();
    let email = if email.starts_with('/') { "" } else { email };
    match (p.name.trim(), email) {
        ("", "") => None,
        (n, "") => Some(n.to_owned()),
        ("", e) => Some(e.to_owned()),
        (n, e) if n == e => Some(e.to_owned()),
        (n, e) => Some(format!("{n} <{e}>")),
    }
}

fn nonempty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

/// Refuses a compound file that does not open, or whose streams declare more bytes than the
/// file could hold (each at most the file's size; all together at most twice it, as the small
/// streams live inside the root's).
fn check_sizes(bytes: &[u8]) -> Result<(), String> {
    let file = cfb::CompoundFile::open(std::io::Cursor::new(bytes))
        .map_err(|e| format!("not a valid compound file: {e}"))?;
    let size = bytes.len() as u64;
    let mut total = 0u64;
    for entry in file.walk() {
        if entry.len() > size {
            return Err(format!(
                "{} declares {} bytes in a file of {size}",
                entry.name(),
                entry.len()
            ));
        }
        total = total.saturating_add(entry.len());
    }
    if total > size.saturating_mul(2) {
        return Err(format!(
            "its streams declare {total} bytes in a file of {size}"
        ));
    }
    Ok(())
}

pub(super) fn read(bytes: &[u8], limits: &Limits) -> Result<Read, String> {
    check_sizes(bytes)?;
    let m = Outlook::from_slice(bytes).map_err(|e| e.to_string())?;
    let info = MessageInfo {
        message_id: nonempty(m.headers.message_id.trim_matches(['<', '>', ' '])),
        from: person(&m.sender),
        to: m.to.iter().filter_map(person).collect(),
        cc: m.cc.iter().filter_map(person).collect(),
        date: nonempty(&m.client_submit_time).or_else(|| nonempty(&m.message_delivery_time)),
        subject: nonempty(&m.subject),
        attachments: Vec::new(),
    };
    let body = if m.body.trim().is_empty() && !m.html.trim().is_empty() {
        mail_parser::decoders::html::html_to_text(&m.html)
    } else {
        m.body.clone()
    };
    let mut parts = Vec::new();
    for (n, a) in m.attachments.iter().enumerate() {
        if a.payload_bytes.is_empty() || a.payload_bytes.len() > limits.max_input_bytes {
            continue;
        }
        let embedded = a.is_embedded_message() && is_msg(&a.payload_bytes);
        let declared = [&a.long_file_name, &a.file_name, &a.display_name]
            .into_iter()
            .find(|s| !s.trim().is_empty())
            .cloned()
            .unwrap_or_default();
        let media_type = if embedded {
            Kind::Msg.media_type().to_owned()
        } else if a.mime_tag.trim().is_empty() {
            "application/octet-stream".to_owned()
        } else {
            a.mime_tag.trim().to_ascii_lowercase()
        };
        let mut name = clean_name(&declared, &format!("part-{}{}", n + 1, a.extension));
        if embedded && !name.to_ascii_lowercase().ends_with(".msg") {
            name.push_str(".msg");
        }
        parts.push(Part {
            name,
            media_type,
            inline: !a.content_id.trim().is_empty(),
            bytes: a.payload_bytes.clone(),
        });
    }
    Ok(Read { info, body, parts })
}
