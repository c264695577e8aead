//! The mutations: byte-level (bit flip, interesting byte, insert, delete, duplicate, splice,
//! truncate) and text-aware (a decimal number made huge, negative or zero; a token repeated many
//! times; a target's dictionary token inserted). All driven by one seeded PRNG, so a run is
//! reproduced by its seed.

/// Bytes that often sit on boundaries of parsers' checks.
pub const INTERESTING_BYTES: [u8; 4] = [0x00, 0xff, 0x7f, 0x80];

/// Replacements for a decimal number found in the input.
pub const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "-1",
    "1",
    "255",
    "65536",
    "2147483647",
    "2147483648",
    "-2147483649",
    "4294967296",
    "9223372036854775807",
    "18446744073709551616",
    "-99999999999999999999",
    "999999999999999999999999999999999999",
    "1e308",
    "1e-400",
    "0.0000000000000000001",
    "99999999999999999999.999",
    "NaN",
];

/// How often a token is repeated.
const REPEATS: [usize; 6] = [2, 3, 16, 256, 4096, 65536];

/// One mutation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutation {
    /// Flips one bit.
    BitFlip,
    /// Sets one byte to one of [`INTERESTING_BYTES`].
    InterestingByte,
    /// Inserts random bytes, a copy of a part of the input, or a dictionary token.
    Insert,
    /// Deletes a chunk.
    Delete,
    /// Copies a chunk somewhere else (often right after itself).
    Duplicate,
    /// Keeps a prefix of the input and appends a suffix of another seed.
    Splice,
    /// Cuts the input short.
    Truncate,
    /// Replaces a decimal number with one of [`NUMBERS`].
    Number,
    /// Repeats a token (a word, a punctuation mark, an XML tag) many times in place.
    RepeatToken,
}

const ALL: [Mutation; 9] = [
    Mutation::BitFlip,
    Mutation::InterestingByte,
    Mutation::Insert,
    Mutation::Delete,
    Mutation::Duplicate,
    Mutation::Splice,
    Mutation::Truncate,
    Mutation::Number,
    Mutation::RepeatToken,
];

/// Applies random mutations with a seeded PRNG.
pub struct Mutator {
    rng: fastrand::Rng,
    /// Longest input produced (longer results are cut).
    pub max_len: usize,
}

impl Mutator {
    /// A mutator whose choices all follow from `seed`.
    pub fn new(seed: u64) -> Self {
        Mutator {
            rng: fastrand::Rng::with_seed(seed),
            max_len: 8 * 1024 * 1024,
        }
    }

    /// The PRNG, for the caller's own choices (which seed to start from).
    pub fn rng(&mut self) -> &mut fastrand::Rng {
        &mut self.rng
    }

    /// Applies 1 to 8 mutations to `data`; `other` is a second seed to splice with, `dict` the
    /// target's tokens. Returns the mutations applied, in order.
    pub fn mutate(&mut self, data: &mut Vec<u8>, other: &[u8], dict: &[&[u8]]) -> Vec<Mutation> {
        let n = self.rng.usize(1..=8);
        let mut applied = Vec::with_capacity(n);
        for _ in 0..n {
            let m = ALL[self.rng.usize(..ALL.len())];
            self.apply(m, data, other, dict);
            applied.push(m);
        }
        data.truncate(self.max_len);
        applied
    }

    /// Applies one mutation.
    pub fn apply(&mut self, m: Mutation, d: &mut Vec<u8>, other: &[u8], dict: &[&[u8]]) {
        if d.is_empty() && !matches!(m, Mutation::Insert | Mutation::Splice) {
            d.push(self.rng.u8(..));
            return;
        }
        match m {
            Mutation::BitFlip => {
                let i = self.rng.usize(..d.len());
                d[i] ^= 1 << self.rng.u8(0..8);
            }
            Mutation::InterestingByte => {
                let i = self.rng.usize(..d.len());
                d[i] = INTERESTING_BYTES[self.rng.usize(..INTERESTING_BYTES.len())];
            }
            Mutation::Insert => self.insert(d, dict),
            Mutation::Delete => {
                let start = self.rng.usize(..d.len());
                let len = self.chunk_len(d.len() - start);
                d.drain(start..start + len);
            }
            Mutation::Duplicate => {
                let start = self.rng.usize(..d.len());
                let len = self.chunk_len(d.len() - start);
                let chunk = d[start..start + len].to_vec();
                let at = if self.rng.bool() {
                    start + len
                } else {
                    self.rng.usize(..=d.len())
                };
                d.splice(at..at, chunk);
            }
            Mutation::Splice => {
                if other.is_empty() {
                    return self.insert(d, dict);
                }
                let cut = self.rng.usize(..=d.len());
                let from = self.rng.usize(..other.len());
                d.truncate(cut);
                d.extend_from_slice(&other[from..]);
            }
            Mutation::Truncate => {
                let len = self.rng.usize(..d.len());
                d.truncate(len);
            }
            Mutation::Number => self.number(d),
            Mutation::RepeatToken => self.repeat_token(d),
        }
    }

    /// A chunk length of at most `cap` (at least 1 when `cap` is): mostly short, sometimes long.
    fn chunk_len(&mut self, cap: usize) -> usize {
        let max = match self.rng.u8(0..10) {
            0..=5 => 8,
            6..=8 => 64,
            _ => 4096,
        };
        self.rng.usize(1..=max.min(cap).max(1)).min(cap)
    }

    fn insert(&mut self, d: &mut Vec<u8>, dict: &[&[u8]]) {
        let at = self.rng.usize(..=d.len());
        let bytes: Vec<u8> = match self.rng.u8(0..3) {
            0 if !dict.is_empty() => dict[self.rng.usize(..dict.len())].to_vec(),
            1 if !d.is_empty() => {
                let start = self.rng.usize(..d.len());
                let len = self.chunk_len(d.len() - start);
                d[start..start + len].to_vec()
            }
            _ => {
                let len = self.chunk_len(4096);
                (0..len).map(|_| self.rng.u8(..)).collect()
            }
        };
        d.splice(at..at, bytes);
    }

    /// Replaces one run of ASCII digits (with its sign and decimals) by one of [`NUMBERS`].
    fn number(&mut self, d: &mut Vec<u8>) {
        // Reservoir sampling over the runs, without collecting them.
        let mut chosen: Option<(usize, usize)> = None;
        let mut seen = 0u32;
        let mut i = 0;
        while i < d.len() {
            if d[i].is_ascii_digit() {
                let mut start = i;
                if start > 0 && d[start - 1] == b'-' {
                    start -= 1;
                }
                while i < d.len() && (d[i].is_ascii_digit() || d[i] == b'.') {
                    i += 1;
                }
                seen += 1;
                if self.rng.u32(0..seen) == 0 {
                    chosen = Some((start, i));
                }
            } else {
                i += 1;
            }
        }
        match chosen {
            Some((start, end)) => {
                let n = NUMBERS[self.rng.usize(..NUMBERS.len())].as_bytes();
                d.splice(start..end, n.iter().copied());
            }
            None => {
                let at = self.rng.usize(..=d.len());
                let n = NUMBERS[self.rng.usize(..NUMBERS.len())].as_bytes();
                d.splice(at..at, n.iter().copied());
            }
        }
    }

    /// Repeats the token at a random place: an XML tag when on `<`, a word when on an
    /// alphanumeric byte, else the single byte.
    fn repeat_token(&mut self, d: &mut Vec<u8>) {
        let p = self.rng.usize(..d.len());
        let (start, end) = if d[p] == b'<' {
            let end = d[p..]
                .iter()
                .position(|&b| b == b'>')
                .map_or(d.len(), |k| (p + k + 1).min(p + 256));
            (p, end)
        } else if d[p].is_ascii_alphanumeric() {
            let mut s = p;
            while s > 0 && d[s - 1].is_ascii_alphanumeric() && p - s < 64 {
                s -= 1;
            }
            let mut e = p + 1;
            while e < d.len() && d[e].is_ascii_alphanumeric() && e - p < 64 {
                e += 1;
            }
            (s, e)
        } else {
            (p, p + 1)
        };
        let token = d[start..end].to_vec();
        let room = self.max_len.saturating_sub(d.len()) / token.len().max(1);
        // Biased towards few repeats: a huge input now and then, not every time.
        let bound = self.rng.usize(..REPEATS.len());
        let times = REPEATS[self.rng.usize(..=bound)].min(room);
        let repeated: Vec<u8> = token
            .iter()
            .copied()
            .cycle()
            .take(token.len() * times)
            .collect();
        d.splice(end..end, repeated);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_mutations() {
        let run = |seed| {
            let mut m = Mutator::new(seed);
            let mut d = b"<a>Total 1234.56 EUR</a>".to_vec();
            for _ in 0..50 {
                m.mutate(&mut d, b"other seed 42", &[b"<b>"]);
            }
            d
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
    }

    #[test]
    fn every_mutation_survives_edge_inputs() {
        let mut m = Mutator::new(1);
        m.max_len = 1 << 16;
        for mutation in ALL {
            for start in [&b""[..], b"1", b"<", b"a", b"-12.5"] {
                for _ in 0..200 {
                    let mut d = start.to_vec();
                    m.apply(mutation, &mut d, b"", &[]);
                    m.apply(mutation, &mut d, b"xyz", &[b"tok"]);
                }
            }
        }
    }

    #[test]
    fn numbers_are_replaced() {
        let mut m = Mutator::new(3);
        let mut d = b"amount 12.50".to_vec();
        m.apply(Mutation::Number, &mut d, b"", &[]);
        let s = String::from_utf8(d).unwrap();
        assert!(s.starts_with("amount ") && !s.ends_with("12.50"), "{s}");
    }
}
