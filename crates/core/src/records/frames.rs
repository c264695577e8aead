//! The extraction worker's wire format: length-prefixed frames (a little-endian `u64` length,
//! then the data), and the answer's frames tagged by their first byte: `p` progress (the page
//! OCR is reading), `j` the extraction's JSON, `t` its text, `a` one part of an e-mail message
//! (its name, media type and inline flag as JSON, then its bytes), `e` the end of the answer.
//!
//! Promises: a frame longer than the reader's maximum, or shorter than it announces, is an
//! error (never a huge allocation or a hang); a part frame that does not parse is an error.

use std::io::{self, Read, Write};

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

pub(crate) const TAG_PROGRESS: u8 = b'p';
pub(crate) const TAG_JSON: u8 = b'j';
pub(crate) const TAG_TEXT: u8 = b't';
pub(crate) const TAG_PART: u8 = b'a';
pub(crate) const TAG_END: u8 = b'e';

/// One part of an e-mail message, taken out by the worker (see `coffre_extract::mail`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessagePart {
    /// Its name, prefixed by its containers' (`archive.zip/facture.pdf`).
    pub name: String,
    /// The media type the message declares.
    pub media_type: String,
    /// Shown in the body rather than attached.
    pub inline: bool,
    /// Its bytes (plaintext: zeroized when dropped).
    pub bytes: Zeroizing<Vec<u8>>,
}

impl From<coffre_extract::mail::Part> for MessagePart {
    fn from(p: coffre_extract::mail::Part) -> Self {
        MessagePart {
            name: p.name,
            media_type: p.media_type,
            inline: p.inline,
            bytes: Zeroizing::new(p.bytes),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct PartHeader {
    name: String,
    media_type: String,
    inline: bool,
}

/// A part frame's data (after its tag): the header's length (`u32`), the header, the bytes.
pub(crate) fn write_part(w: &mut impl Write, part: &coffre_extract::mail::Part) -> io::Result<()> {
    let header = serde_json::to_vec(&PartHeader {
        name: part.name.clone(),
        media_type: part.media_type.clone(),
        inline: part.inline,
    })?;
    let len = header.len() + 4 + part.bytes.len();
    w.write_all(&(len as u64 + 1).to_le_bytes())?;
    w.write_all(&[TAG_PART])?;
    w.write_all(&(header.len() as u32).to_le_bytes())?;
    w.write_all(&header)?;
    w.write_all(&part.bytes)
}

/// A part from a part frame's data (after its tag).
pub(crate) fn read_part(data: &[u8]) -> Option<MessagePart> {
    let len = u32::from_le_bytes(data.get(..4)?.try_into().ok()?) as usize;
    let header: PartHeader = serde_json::from_slice(data.get(4..4usize.checked_add(len)?)?).ok()?;
    Some(MessagePart {
        name: header.name,
        media_type: header.media_type,
        inline: header.inline,
        bytes: Zeroizing::new(data.get(4 + len..)?.to_vec()),
    })
}

/// A frame of the worker's answer: its tag, then its data.
pub(crate) fn write_tagged(w: &mut impl Write, tag: u8, data: &[u8]) -> io::Result<()> {
    w.write_all(&(data.len() as u64 + 1).to_le_bytes())?;
    w.write_all(&[tag])?;
    w.write_all(data)
}

/// A progress report as sent: kind (1: an OCR page), page, pages (u32, little-endian).
pub(crate) fn progress_bytes(p: coffre_extract::Progress) -> [u8; 9] {
    let coffre_extract::Progress::OcrPage { page, pages } = p;
    let mut out = [1u8; 9];
    out[1..5].copy_from_slice(&u32::try_from(page).unwrap_or(u32::MAX).to_le_bytes());
    out[5..9].copy_from_slice(&u32::try_from(pages).unwrap_or(u32::MAX).to_le_bytes());
    out
}

pub(crate) fn progress_of(data: &[u8]) -> Option<coffre_extract::Progress> {
    let n = |r: std::ops::Range<usize>| -> Option<usize> {
        Some(u32::from_le_bytes(data.get(r)?.try_into().ok()?) as usize)
    };
    (data.len() == 9 && data[0] == 1).then_some(())?;
    Some(coffre_extract::Progress::OcrPage {
        page: n(1..5)?,
        pages: n(5..9)?,
    })
}

pub(crate) fn write_frame(w: &mut impl Write, data: &[u8]) -> io::Result<()> {
    w.write_all(&(data.len() as u64).to_le_bytes())?;
    w.write_all(data)
}

/// One frame, or `None` at a clean end of input.
pub(crate) fn read_frame(r: &mut impl Read, max: u64) -> io::Result<Option<Vec<u8>>> {
    let mut len = [0u8; 8];
    match r.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = u64::from_le_bytes(len);
    if len > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "frame too large",
        ));
    }
    let mut buf = Vec::new();
    r.take(len).read_to_end(&mut buf)?;
    if buf.len() as u64 != len {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    Ok(Some(buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_refuse_oversize() {
        let mut buf = Vec::new();
        write_frame(&mut buf, b"abc").unwrap();
        write_frame(&mut buf, b"").unwrap();
        let mut r = &buf[..];
        assert_eq!(read_frame(&mut r, 10).unwrap().unwrap(), b"abc");
        assert_eq!(read_frame(&mut r, 10).unwrap().unwrap(), b"");
        assert!(read_frame(&mut r, 10).unwrap().is_none());
        let mut big = Vec::new();
        write_frame(&mut big, &[0u8; 20]).unwrap();
        assert!(read_frame(&mut &big[..], 10).is_err());
        // A length announcing more than is there is an error, not a hang or a huge allocation.
        let lie = (u64::MAX / 2).to_le_bytes();
        assert!(read_frame(&mut &lie[..], u64::MAX).is_err());
    }

    #[test]
    fn tagged_answers_carry_progress() {
        let mut buf = Vec::new();
        let p = coffre_extract::Progress::OcrPage { page: 2, pages: 7 };
        write_tagged(&mut buf, TAG_PROGRESS, &progress_bytes(p)).unwrap();
        write_tagged(&mut buf, TAG_JSON, b"{}").unwrap();
        let mut r = &buf[..];
        let frame = read_frame(&mut r, 100).unwrap().unwrap();
        assert_eq!(frame[0], TAG_PROGRESS);
        assert_eq!(progress_of(&frame[1..]), Some(p));
        assert_eq!(read_frame(&mut r, 100).unwrap().unwrap(), b"j{}");
        assert_eq!(progress_of(&[1, 2, 3]), None);
        assert_eq!(progress_of(&[9; 9]), None);
    }

    #[test]
    fn parts_round_trip_and_refuse_garbage() {
        let part = coffre_extract::mail::Part {
            name: "archive.zip/facture.pdf".into(),
            media_type: "application/pdf".into(),
            inline: true,
            bytes: b"%PDF-1.7 ...".to_vec(),
        };
        let mut buf = Vec::new();
        write_part(&mut buf, &part).unwrap();
        let frame = read_frame(&mut &buf[..], 1000).unwrap().unwrap();
        assert_eq!(frame[0], TAG_PART);
        let got = read_part(&frame[1..]).unwrap();
        assert_eq!(got, MessagePart::from(part));
        assert_eq!(read_part(&[255, 255, 255, 255, b'{']), None);
        assert_eq!(read_part(&[2, 0, 0, 0, b'{', b'}']), None);
    }
}
