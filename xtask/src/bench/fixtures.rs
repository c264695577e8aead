//! What the CLI benchmarks share: a throw-away vault driven through the `coffre` binary of
//! the benchmarks' build (release settings), sample PDF invoices, and timing a command under GNU time.
//!
//! Promises: sample PDFs are valid, unique by number and of about the requested size; a vault
//! uses the cheapest accepted key derivation so that its creation does not weigh on the figures.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// A throw-away vault driven through the `coffre` binary of the benchmarks' build.
pub(super) struct BenchVault {
    bin: PathBuf,
    pub(super) dir: PathBuf,
}

impl BenchVault {
    /// A new vault in `dir`, with the cheapest accepted key derivation.
    pub(super) fn create(bin: &Path, dir: PathBuf) -> Result<Self> {
        let v = BenchVault {
            bin: bin.to_path_buf(),
            dir,
        };
        v.run(&["init", "--kdf-memory-mib", "19", "--kdf-iterations", "2"])?;
        Ok(v)
    }

    /// `coffre` on this vault, ready for arguments.
    pub(super) fn cmd(&self) -> Command {
        let mut c = Command::new(&self.bin);
        c.env("COFFRE_VAULT", &self.dir)
            .env("COFFRE_PASSPHRASE", "benchmark passphrase");
        c
    }

    /// Runs `coffre ARGS` quietly; fails when it fails.
    pub(super) fn run(&self, args: &[&str]) -> Result<()> {
        if !self
            .cmd()
            .args(args)
            .stdout(std::process::Stdio::null())
            .status()?
            .success()
        {
            bail!("coffre {} failed", args.join(" "));
        }
        Ok(())
    }
}

/// `n` sample PDFs of `size` bytes, numbered from `from`, in a new folder `work/name`.
pub(super) fn bench_files(
    work: &Path,
    name: &str,
    from: usize,
    n: usize,
    size: usize,
) -> Result<PathBuf> {
    let dir = work.join(name);
    std::fs::create_dir_all(&dir)?;
    for i in from..from + n {
        std::fs::write(dir.join(format!("facture-{i:05}.pdf")), sample_pdf(i, size))?;
    }
    Ok(dir)
}

/// A valid one-page PDF invoice of about `size` bytes (an unreferenced stream pads it), unique
/// by `i`.
fn sample_pdf(i: usize, size: usize) -> Vec<u8> {
    let text = format!(
        "BT /F1 12 Tf 72 720 Td (FACTURE N\\260 F-2026-{i:05}) Tj 0 -20 Td (Date : 14/10/2026) Tj \
         0 -20 Td (Total TTC : {},{:02} EUR) Tj ET",
        100 + i,
        i % 100
    );
    let pad: Vec<u8> = (0..size.saturating_sub(1200))
        .map(|j| b'A' + ((j * 7 + i) % 26) as u8)
        .collect();
    let objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R \
           /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_vec(),
        [
            format!("<< /Length {} >>\nstream\n", text.len()).into_bytes(),
            text.into_bytes(),
            b"\nendstream".to_vec(),
        ]
        .concat(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec(),
        [
            format!("<< /Length {} >>\nstream\n", pad.len()).into_bytes(),
            pad,
            b"\nendstream".to_vec(),
        ]
        .concat(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (n, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", n + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// Runs `cmd` under GNU time; returns (seconds, peak resident KiB).
pub(super) fn timed(cmd: &mut Command) -> Result<(f64, u64)> {
    let report = std::env::temp_dir().join(format!("coffre-time-{}", std::process::id()));
    let program = cmd.get_program().to_owned();
    let args: Vec<_> = cmd.get_args().map(|a| a.to_owned()).collect();
    let envs: Vec<_> = cmd
        .get_envs()
        .map(|(k, v)| (k.to_owned(), v.map(|v| v.to_owned())))
        .collect();
    let mut timed = Command::new("/usr/bin/time");
    timed
        .arg("-f")
        .arg("%e %M")
        .arg("-o")
        .arg(&report)
        .arg(program)
        .args(args);
    for (k, v) in envs {
        match v {
            Some(v) => timed.env(k, v),
            None => timed.env_remove(k),
        };
    }
    if let Some(dir) = cmd.get_current_dir() {
        timed.current_dir(dir);
    }
    let ok = timed
        .stdout(std::process::Stdio::null())
        .status()
        .context("/usr/bin/time (Debian package time)")?
        .success();
    if !ok {
        bail!("{:?} failed", cmd.get_program());
    }
    let text = std::fs::read_to_string(&report)?;
    let _ = std::fs::remove_file(&report);
    let mut parts = text.split_whitespace();
    let secs: f64 = parts.next().context("time output")?.parse()?;
    let kib: u64 = parts.next().context("time output")?.parse()?;
    Ok((secs, kib))
}
