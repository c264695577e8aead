//! Property tests of the chunked AEAD (blob format): round trip at every length, and every
//! flipped bit, truncation, extension, chunk swap or foreign header is an error, never data.

use std::io::{Read, Write};

use coffre_core::SecretKey;
use coffre_core::format::crypto::random_key;
use coffre_core::format::stream::{
    BlobHeader, BlobReader, BlobWriter, CHUNK_LEN, HEADER_LEN, TAG_LEN, blob_len,
};
use proptest::prelude::*;

const ID: [u8; 16] = [9; 16];

fn seal(key: &SecretKey, data: &[u8], write_size: usize) -> Vec<u8> {
    let mut w = BlobWriter::new(Vec::new(), key, BlobHeader::new(ID).unwrap()).unwrap();
    for part in data.chunks(write_size.max(1)) {
        w.write_all(part).unwrap();
    }
    w.finish().unwrap()
}

fn open(key: &SecretKey, blob: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    BlobReader::new(blob, key, &ID)?.read_to_end(&mut out)?;
    Ok(out)
}

/// Lengths around every interesting boundary, and random ones.
fn length() -> impl Strategy<Value = usize> {
    prop_oneof![
        Just(0usize),
        Just(1),
        (0usize..4).prop_flat_map(|k| (k * CHUNK_LEN).saturating_sub(2)..=k * CHUNK_LEN + 2),
        0usize..(3 * CHUNK_LEN + 100),
    ]
}

fn data_of(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn round_trip_at_any_length(len in length(), seed: u8, write_size in 1usize..100_000) {
        let key = random_key().unwrap();
        let data = data_of(len, seed);
        let blob = seal(&key, &data, write_size);
        prop_assert_eq!(blob.len() as u64, blob_len(len as u64));
        prop_assert_eq!(open(&key, &blob).unwrap(), data);
    }

    #[test]
    fn any_flipped_bit_is_an_error(len in length(), pos_seed: usize, bit in 0u8..8) {
        let key = random_key().unwrap();
        let mut blob = seal(&key, &data_of(len, 1), 4096);
        let pos = pos_seed % blob.len();
        blob[pos] ^= 1 << bit;
        prop_assert!(open(&key, &blob).is_err(), "flip at {} of {} accepted", pos, blob.len());
    }

    #[test]
    fn any_truncation_or_extension_is_an_error(len in length(), cut_seed: usize, extra in 1usize..40) {
        let key = random_key().unwrap();
        let blob = seal(&key, &data_of(len, 2), 4096);
        let cut = cut_seed % blob.len();
        prop_assert!(open(&key, &blob[..cut]).is_err(), "cut at {} of {} accepted", cut, blob.len());
        let mut longer = blob.clone();
        longer.extend(std::iter::repeat_n(0u8, extra));
        prop_assert!(open(&key, &longer).is_err());
    }

    #[test]
    fn swapped_chunks_are_an_error(chunks in 2usize..5, tail in 1usize..1000) {
        let key = random_key().unwrap();
        let data = data_of(chunks * CHUNK_LEN + tail, 3);
        let blob = seal(&key, &data, 65_536);
        let c = CHUNK_LEN + TAG_LEN;
        let mut swapped = blob.clone();
        let (a, b) = (HEADER_LEN, HEADER_LEN + c);
        let first = blob[a..a + c].to_vec();
        swapped[a..a + c].copy_from_slice(&blob[b..b + c]);
        swapped[b..b + c].copy_from_slice(&first);
        prop_assert!(open(&key, &swapped).is_err());
    }
}

#[test]
fn wrong_key_and_foreign_blob_are_errors() {
    let key = random_key().unwrap();
    let blob = seal(&key, b"invoice", 10);
    assert!(open(&random_key().unwrap(), &blob).is_err());
    let mut out = Vec::new();
    let err = BlobReader::new(&blob[..], &key, &[1; 16]).map(|mut r| r.read_to_end(&mut out));
    assert!(err.is_err(), "a blob must not open as another document");
}
