//! RFC 5322 / MIME messages, through `mail-parser`.

use mail_parser::{Address, MessageParser, MimeHeaders, PartType};

use super::{Part, Read, clean_name};
use crate::Limits;
use crate::model::MessageInfo;

/// Whether `bytes` start with a message's header block: header lines (`Name: value`, folded
/// lines allowed) up to a blank line, with a `From:` and one of `Date:`, `Subject:` or
/// `Message-ID:`. For a file named `.eml`, any three header lines will do.
pub(super) fn looks_like_headers(bytes: &[u8], named_eml: bool) -> bool {
    let head = &bytes[..bytes.len().min(64 * 1024)];
    let Ok(head) = std::str::from_utf8(head)
        .or_else(|e| std::str::from_utf8(&head[..e.valid_up_to()]).map_err(|_| ()))
    else {
        return false;
    };
    let head = head.strip_prefix('\u{feff}').unwrap_or(head);
    let (mut fields, mut from, mut other) = (0, false, false);
    for line in head.lines() {
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if fields == 0 {
                return false;
            }
            continue;
        }
        let Some((name, _)) = line.split_once(':') else {
            return false;
        };
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic()) {
            return false;
        }
        fields += 1;
        let name = name.to_ascii_lowercase();
        from |= name == "from";
        other |= matches!(name.as_str(), "date" | "subject" | "message-id");
    }
    (from && other) || (named_eml && fields >= 3)
}

fn addresses(a: Option<&Address<'_>>) -> Vec<String> {
    a.map(|a| {
        a.iter()
            .map(|addr| match (addr.name(), addr.address()) {
                (Some(n), Some(e)) => format!("{n} <{e}>"),
                (None, Some(e)) => e.to_owned(),
                (Some(n), None) => n.to_owned(),
                (None, None) => String::new(),
            })
            .filter(|s| !s.is_empty())
            .collect()
    })
    .unwrap_or_default()
}

/// A default file extension for a part without a name, from its media type.
fn extension(media_type: &str) -> &'static str {
    match media_type {
        "application/pdf" => ".pdf",
        "application/xml" | "text/xml" => ".xml",
        "image/png" => ".png",
        "image/jpeg" => ".jpg",
        "image/tiff" => ".tif",
        "image/gif" => ".gif",
        "application/zip" => ".zip",
        "message/rfc822" => ".eml",
        _ => "",
    }
}

pub(super) fn read(bytes: &[u8], limits: &Limits) -> Result<Read, String> {
    let message = MessageParser::default()
        .parse(bytes)
        .ok_or("not a MIME message")?;
    let info = MessageInfo {
        message_id: message.message_id().map(str::to_owned),
        from: addresses(message.from()).into_iter().next(),
        to: addresses(message.to()),
        cc: addresses(message.cc()),
        date: message.date().map(|d| d.to_rfc3339()),
        subject: message.subject().map(str::to_owned),
        attachments: Vec::new(),
    };
    // The text body, else the HTML body turned into text.
    let body = message
        .body_text(0)
        .map(|t| t.into_owned())
        .unwrap_or_default();
    let mut parts = Vec::new();
    for (n, part) in message.attachments().enumerate() {
        let media_type = part
            .content_type()
            .map(|ct| match ct.subtype() {
                Some(sub) => format!("{}/{}", ct.ctype(), sub),
                None => ct.ctype().to_owned(),
            })
            .unwrap_or_else(|| "application/octet-stream".into())
            .to_ascii_lowercase();
        let inline = part.content_disposition().is_some_and(|d| d.is_inline())
            || (part.content_disposition().is_none() && part.content_id().is_some());
        let fallback = format!("part-{}{}", n + 1, extension(&media_type));
        let name = match &part.body {
            PartType::Message(m) if part.attachment_name().is_none() => m
                .subject()
                .map(|s| format!("{}.eml", clean_name(s, "message")))
                .unwrap_or(fallback),
            _ => clean_name(part.attachment_name().unwrap_or_default(), &fallback),
        };
        let bytes = part.contents();
        if bytes.len() > limits.max_input_bytes {
            continue;
        }
        parts.push(Part {
            name,
            media_type,
            inline,
            bytes: bytes.to_vec(),
        });
    }
    Ok(Read { info, body, parts })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_blocks_are_told_from_other_text() {
        let mail =
            b"Received: from x\r\n\tby y\r\nFrom: A <a@b.fr>\r\nSubject: Facture\r\n\r\nBody";
        assert!(looks_like_headers(mail, false));
        assert!(!looks_like_headers(
            b"From: a@b.fr\r\n\r\nonly a sender",
            false
        ));
        assert!(!looks_like_headers(
            b"Hello: world\nthis is not a header\n",
            true
        ));
        assert!(!looks_like_headers(b"%PDF-1.7\nFrom: x\n", false));
        assert!(looks_like_headers(b"X-A: 1\nX-B: 2\nX-C: 3\n\n", true));
        assert!(!looks_like_headers(b" folded first: no\n", true));
    }
}
