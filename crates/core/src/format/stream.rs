//! The encrypted document file ("blob"): a 32-byte header, then the plaintext in 64 KiB chunks,
//! each sealed with AES-256-GCM under the document's own key.
//!
//! Layout (see docs/vault-format.md):
//!
//! ```text
//! header  = "COFFRE" 'B' 0x01 | document id (16) | nonce prefix (7) | 0x00
//! chunk i = AES-256-GCM(key, nonce = prefix || u32_be(i) || last, aad = header, plaintext_i)
//! ```
//!
//! Every chunk but the last holds exactly [`CHUNK_LEN`] plaintext bytes; the last holds 0 to
//! [`CHUNK_LEN`] bytes and is sealed with `last = 1`. Promises: the reader returns only
//! authenticated bytes; truncation (at or between chunk boundaries), extension, reordering, a
//! blob of another document, and any flipped bit are reported as [`BlobError`]s, never returned as
//! data.

use std::io::{self, Read, Write};

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use zeroize::Zeroizing;

use crate::format::crypto::random_array;
use crate::format::secret::SecretKey;

/// Plaintext bytes per chunk.
pub const CHUNK_LEN: usize = 64 * 1024;
/// Authentication tag bytes per chunk.
pub const TAG_LEN: usize = 16;
/// Header bytes at the start of every blob.
pub const HEADER_LEN: usize = 32;
/// The first eight header bytes: magic and format version.
pub const MAGIC: [u8; 8] = *b"COFFREB\x01";

const PREFIX_LEN: usize = 7;

/// Why a blob was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlobError {
    /// The file does not start with the blob magic or has an unknown version.
    #[error("not a Coffre blob, or an unknown version")]
    BadMagic,
    /// The header names another document: blobs were swapped or renamed.
    #[error("the file belongs to another document")]
    WrongDocument,
    /// The file ends before its last chunk.
    #[error("truncated")]
    Truncated,
    /// A chunk failed authentication (altered, reordered, wrong key or trailing data).
    #[error("chunk {0} failed authentication")]
    Chunk(u32),
    /// More chunks than the counter allows (over 256 TiB).
    #[error("too many chunks")]
    TooLong,
}

impl From<BlobError> for io::Error {
    fn from(e: BlobError) -> Self {
        io::Error::new(io::ErrorKind::InvalidData, e)
    }
}

/// The parsed blob header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobHeader {
    /// The document the blob belongs to.
    pub doc_id: [u8; 16],
    nonce_prefix: [u8; PREFIX_LEN],
}

impl BlobHeader {
    /// A header for `doc_id` with a fresh random nonce prefix.
    pub fn new(doc_id: [u8; 16]) -> crate::Result<Self> {
        Ok(BlobHeader {
            doc_id,
            nonce_prefix: random_array()?,
        })
    }

    /// The header's bytes.
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[..8].copy_from_slice(&MAGIC);
        out[8..24].copy_from_slice(&self.doc_id);
        out[24..31].copy_from_slice(&self.nonce_prefix);
        out
    }

    /// Parses header bytes.
    pub fn decode(bytes: &[u8; HEADER_LEN]) -> Result<Self, BlobError> {
        if bytes[..8] != MAGIC || bytes[31] != 0 {
            return Err(BlobError::BadMagic);
        }
        let mut doc_id = [0u8; 16];
        doc_id.copy_from_slice(&bytes[8..24]);
        let mut nonce_prefix = [0u8; PREFIX_LEN];
        nonce_prefix.copy_from_slice(&bytes[24..31]);
        Ok(BlobHeader {
            doc_id,
            nonce_prefix,
        })
    }

    fn nonce(&self, counter: u32, last: bool) -> Nonce {
        let mut n = [0u8; NONCE_LEN];
        n[..PREFIX_LEN].copy_from_slice(&self.nonce_prefix);
        n[PREFIX_LEN..PREFIX_LEN + 4].copy_from_slice(&counter.to_be_bytes());
        n[NONCE_LEN - 1] = u8::from(last);
        Nonce::assume_unique_for_key(n)
    }
}

fn aead(key: &SecretKey) -> LessSafeKey {
    // AES-256 accepts any 32-byte key: this cannot fail.
    LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key.dangerously_expose()).expect("32-byte key"))
}

/// Encrypts a document into a blob as it is written. Call [`BlobWriter::finish`]: dropping the
/// writer without it leaves a blob with no last chunk, which readers refuse as truncated.
pub struct BlobWriter<W: Write> {
    inner: W,
    key: LessSafeKey,
    header: BlobHeader,
    header_bytes: [u8; HEADER_LEN],
    counter: u32,
    buf: Zeroizing<Vec<u8>>,
}

impl<W: Write> BlobWriter<W> {
    /// Writes the header and returns a writer for the plaintext.
    pub fn new(mut inner: W, key: &SecretKey, header: BlobHeader) -> io::Result<Self> {
        let header_bytes = header.encode();
        inner.write_all(&header_bytes)?;
        Ok(BlobWriter {
            inner,
            key: aead(key),
            header,
            header_bytes,
            counter: 0,
            buf: Zeroizing::new(Vec::with_capacity(CHUNK_LEN + TAG_LEN)),
        })
    }

    fn seal_chunk(&mut self, last: bool) -> io::Result<()> {
        let nonce = self.header.nonce(self.counter, last);
        let tag = self
            .key
            .seal_in_place_separate_tag(nonce, Aad::from(&self.header_bytes), &mut self.buf[..])
            .map_err(|_| io::Error::other("aes-gcm seal failed"))?;
        self.inner.write_all(&self.buf)?;
        self.inner.write_all(tag.as_ref())?;
        self.buf.clear();
        if !last {
            self.counter = self.counter.checked_add(1).ok_or(BlobError::TooLong)?;
        }
        Ok(())
    }

    /// Seals the last chunk and returns the inner writer (not flushed to disk: the caller syncs).
    pub fn finish(mut self) -> io::Result<W> {
        self.seal_chunk(true)?;
        self.inner.flush()?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for BlobWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if data.is_empty() {
            return Ok(0);
        }
        // A full buffer is sealed only once more data arrives, so that a final full chunk is
        // sealed as the last one by `finish`.
        if self.buf.len() == CHUNK_LEN {
            self.seal_chunk(false)?;
        }
        let n = data.len().min(CHUNK_LEN - self.buf.len());
        self.buf.extend_from_slice(&data[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Decrypts a blob as it is read, returning only authenticated bytes.
pub struct BlobReader<R: Read> {
    inner: R,
    key: LessSafeKey,
    header: BlobHeader,
    header_bytes: [u8; HEADER_LEN],
    counter: u32,
    /// The current decrypted chunk (plaintext in `chunk[..plain_len]`).
    chunk: Zeroizing<Vec<u8>>,
    plain_len: usize,
    pos: usize,
    done: bool,
    /// One byte read ahead to tell a full last chunk from a full middle one.
    peeked: Option<u8>,
}

impl<R: Read> BlobReader<R> {
    /// Reads and checks the header: the blob must belong to `expected_doc_id`.
    pub fn new(mut inner: R, key: &SecretKey, expected_doc_id: &[u8; 16]) -> io::Result<Self> {
        let mut header_bytes = [0u8; HEADER_LEN];
        read_full(&mut inner, &mut header_bytes).and_then(|n| {
            if n < HEADER_LEN {
                Err(BlobError::Truncated.into())
            } else {
                Ok(())
            }
        })?;
        let header = BlobHeader::decode(&header_bytes)?;
        if &header.doc_id != expected_doc_id {
            return Err(BlobError::WrongDocument.into());
        }
        Ok(BlobReader {
            inner,
            key: aead(key),
            header,
            header_bytes,
            counter: 0,
            chunk: Zeroizing::new(vec![0u8; CHUNK_LEN + TAG_LEN]),
            plain_len: 0,
            pos: 0,
            done: false,
            peeked: None,
        })
    }

    fn next_chunk(&mut self) -> io::Result<()> {
        let full = CHUNK_LEN + TAG_LEN;
        let mut n = 0;
        if let Some(b) = self.peeked.take() {
            self.chunk[0] = b;
            n = 1;
        }
        n += read_full(&mut self.inner, &mut self.chunk[n..full])?;
        let last = if n < full {
            true
        } else {
            let mut one = [0u8; 1];
            if read_full(&mut self.inner, &mut one)? == 0 {
                true
            } else {
                self.peeked = Some(one[0]);
                false
            }
        };
        if n < TAG_LEN {
            return Err(BlobError::Truncated.into());
        }
        let nonce = self.header.nonce(self.counter, last);
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(&self.header_bytes), &mut self.chunk[..n])
            .map_err(|_| BlobError::Chunk(self.counter))?;
        self.plain_len = plain.len();
        self.pos = 0;
        if last {
            self.done = true;
        } else {
            self.counter = self.counter.checked_add(1).ok_or(BlobError::TooLong)?;
        }
        Ok(())
    }
}

impl<R: Read> Read for BlobReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.plain_len {
            if self.done {
                return Ok(0);
            }
            self.next_chunk()?;
        }
        let n = out.len().min(self.plain_len - self.pos);
        out[..n].copy_from_slice(&self.chunk[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Reads until `buf` is full or the end of input; returns the number of bytes read.
fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// The [`BlobError`] inside an I/O error from a [`BlobReader`], if that is what it is.
pub fn blob_error(e: &io::Error) -> Option<&BlobError> {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<BlobError>())
}

/// Size of the blob holding `plain_len` plaintext bytes.
pub fn blob_len(plain_len: u64) -> u64 {
    // A full final chunk is sealed as the last one: no empty trailing chunk, except for an empty
    // document, which is one empty last chunk.
    let chunks = plain_len.div_ceil(CHUNK_LEN as u64).max(1);
    HEADER_LEN as u64 + plain_len + chunks * TAG_LEN as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::crypto::random_key;

    fn seal(key: &SecretKey, id: [u8; 16], data: &[u8]) -> Vec<u8> {
        let mut w = BlobWriter::new(Vec::new(), key, BlobHeader::new(id).unwrap()).unwrap();
        // Uneven writes exercise buffering.
        for part in data.chunks(7777) {
            w.write_all(part).unwrap();
        }
        w.finish().unwrap()
    }

    fn open(key: &SecretKey, id: [u8; 16], blob: &[u8]) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        BlobReader::new(blob, key, &id)?.read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn sizes_follow_the_formula() {
        let key = random_key().unwrap();
        for len in [0, 1, CHUNK_LEN - 1, CHUNK_LEN, CHUNK_LEN + 1, 3 * CHUNK_LEN] {
            let data = vec![0xA5; len];
            let blob = seal(&key, [1; 16], &data);
            assert_eq!(blob.len() as u64, blob_len(len as u64), "len {len}");
            assert_eq!(open(&key, [1; 16], &blob).unwrap(), data);
        }
    }

    #[test]
    fn cut_at_chunk_boundary_is_detected() {
        let key = random_key().unwrap();
        let data = vec![3u8; 2 * CHUNK_LEN + 10];
        let blob = seal(&key, [1; 16], &data);
        // Drop the last chunk: the remaining ones end on a non-last chunk.
        let cut = HEADER_LEN + 2 * (CHUNK_LEN + TAG_LEN);
        let err = open(&key, [1; 16], &blob[..cut]).unwrap_err();
        assert_eq!(blob_error(&err), Some(&BlobError::Chunk(1)));
    }

    #[test]
    fn wrong_document_and_bad_magic() {
        let key = random_key().unwrap();
        let blob = seal(&key, [1; 16], b"hello");
        let err = open(&key, [2; 16], &blob).unwrap_err();
        assert_eq!(blob_error(&err), Some(&BlobError::WrongDocument));
        let mut bad = blob.clone();
        bad[0] = b'X';
        let err = open(&key, [1; 16], &bad).unwrap_err();
        assert_eq!(blob_error(&err), Some(&BlobError::BadMagic));
        let err = open(&key, [1; 16], &blob[..10]).unwrap_err();
        assert_eq!(blob_error(&err), Some(&BlobError::Truncated));
    }
}
