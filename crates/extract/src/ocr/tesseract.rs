//! The `tesseract` program (Tesseract 5) as an [`Ocr`] engine.
//!
//! The page goes to the program's standard input as a PNG image and the words come back on its
//! standard output as `tsv`: no file is written. Orientation comes from its OSD mode
//! (`--psm 0`, the `osd` model Debian's `tesseract-ocr` package installs).
//!
//! Promises: the program runs single-threaded, as a child of the current process (the
//! extraction worker, whose memory cap it inherits), and is killed once [`Tesseract::timeout`]
//! has passed; a program that is not installed is [`OcrError::Unavailable`].

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use image::codecs::png::{CompressionType, FilterType as PngFilter, PngEncoder};
use image::{ExtendedColorType, GrayImage, ImageEncoder};

use super::{Ocr, OcrError, Word};

/// The `tesseract` program.
#[derive(Debug, Clone)]
pub struct Tesseract {
    /// The program (a path, or a name looked up in `PATH`).
    pub program: String,
    /// Languages, `+`-separated (`fra+eng+deu`).
    pub languages: String,
    /// Time budget per run (one page's words, or its orientation).
    pub timeout: Duration,
}

impl Default for Tesseract {
    fn default() -> Self {
        Tesseract {
            program: "tesseract".into(),
            languages: "fra+eng+deu".into(),
            timeout: Duration::from_secs(60),
        }
    }
}

impl Ocr for Tesseract {
    fn recognize(&self, page: &GrayImage, dpi: u32) -> Result<Vec<Word>, OcrError> {
        let dpi = dpi.to_string();
        let out = self.run(
            &["-l", &self.languages, "--psm", "3", "--dpi", &dpi, "tsv"],
            page,
        )?;
        Ok(parse_tsv(&String::from_utf8_lossy(&out)))
    }

    fn orientation(&self, page: &GrayImage, dpi: u32) -> Result<Option<u16>, OcrError> {
        let dpi = dpi.to_string();
        // OSD says nothing useful ("too few characters") on a page with little text: that is
        // no turn, not a failure.
        match self.run(&["--psm", "0", "--dpi", &dpi], page) {
            Ok(out) => Ok(parse_osd(&String::from_utf8_lossy(&out))),
            Err(OcrError::Failed(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn engine(&self) -> String {
        // Asked once per process for the usual program (each document would otherwise start
        // one more process); Tesseract 4 printed it on standard error.
        static USUAL: OnceLock<String> = OnceLock::new();
        let ask = || {
            Command::new(&self.program)
                .arg("--version")
                .stdin(Stdio::null())
                .output()
                .ok()
                .and_then(|o| {
                    let text = [o.stdout, o.stderr].concat();
                    let text = String::from_utf8_lossy(&text).into_owned();
                    text.lines()
                        .find(|l| l.trim_start().starts_with("tesseract"))
                        .map(|l| l.trim().to_owned())
                })
                .unwrap_or_else(|| "tesseract".into())
        };
        if self.program == Tesseract::default().program {
            USUAL.get_or_init(ask).clone()
        } else {
            ask()
        }
    }
}

impl Tesseract {
    /// Runs the program on `page` (given as PNG on standard input) and returns its standard
    /// output.
    fn run(&self, args: &[&str], page: &GrayImage) -> Result<Vec<u8>, OcrError> {
        let mut child = Command::new(&self.program)
            .args(["stdin", "stdout"])
            .args(args)
            // One thread: Tesseract's OpenMP threads fight each other and the other workers
            // (a page took 33 s with them on a busy 2-core machine, 3.6 s without).
            .env("OMP_THREAD_LIMIT", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => {
                    OcrError::Unavailable(format!("{} is not installed", self.program))
                }
                _ => OcrError::Failed(e.to_string()),
            })?;
        let (Some(mut stdin), Some(mut stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(OcrError::Failed("no pipes to the engine".into()));
        };
        // PNG, quickly compressed: Tesseract reads its standard input slowly, and a raw page
        // (8.7 MB at 300 dpi) took it 0.2 to 0.5 s more than the same page as PNG.
        let mut png = Vec::new();
        PngEncoder::new_with_quality(&mut png, CompressionType::Fast, PngFilter::Sub)
            .write_image(
                page.as_raw(),
                page.width(),
                page.height(),
                ExtendedColorType::L8,
            )
            .map_err(|e| OcrError::Failed(format!("page not encoded: {e}")))?;
        let deadline = Instant::now() + self.timeout;
        // The image goes in and the words come out on their own threads while this one keeps
        // the time; a scope lets them borrow the image instead of copying it.
        let (status, out) = std::thread::scope(|scope| {
            scope.spawn(move || {
                let _ = stdin.write_all(&png);
            });
            let reader = scope.spawn(move || {
                let mut out = Vec::new();
                let _ = stdout.read_to_end(&mut out);
                out
            });
            let status = loop {
                match child.try_wait() {
                    Ok(Some(status)) => break Ok(status),
                    Ok(None) if Instant::now() < deadline => {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    Ok(None) => {
                        // Killing it closes its pipes, which ends both threads.
                        let _ = child.kill();
                        let _ = child.wait();
                        break Err(OcrError::Failed(format!(
                            "no answer within {:?}: stopped",
                            self.timeout
                        )));
                    }
                    Err(e) => {
                        let _ = child.kill();
                        let _ = child.wait();
                        break Err(OcrError::Failed(e.to_string()));
                    }
                }
            };
            (status, reader.join().unwrap_or_default())
        });
        let status = status?;
        if !status.success() {
            return Err(OcrError::Failed(format!("tesseract ended with {status}")));
        }
        Ok(out)
    }
}

/// The words of Tesseract's `tsv` output (level 5 rows with text).
pub fn parse_tsv(tsv: &str) -> Vec<Word> {
    tsv.lines()
        .skip(1)
        .filter_map(|line| {
            let c: Vec<&str> = line.splitn(12, '\t').collect();
            if c.len() < 12 || c[0] != "5" || c[11].trim().is_empty() {
                return None;
            }
            let n = |i: usize| c[i].trim().parse::<u32>().ok();
            Some(Word {
                left: n(6)?,
                top: n(7)?,
                width: n(8)?,
                height: n(9)?,
                confidence: c[10].trim().parse().ok()?,
                text: c[11].trim().to_owned(),
                line: (n(2)?, n(3)?, n(4)?),
            })
        })
        .collect()
}

/// The clockwise turn (90, 180 or 270 degrees) that OSD output asks for, when it is confident
/// of it (its "Orientation confidence" of 2 or more); `None` for an upright page or a guess.
pub fn parse_osd(out: &str) -> Option<u16> {
    let value = |key: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(key))
            .map(|v| v.trim().to_owned())
    };
    let turn: u16 = value("Rotate:")?.parse().ok()?;
    let confidence: f64 = value("Orientation confidence:")?.parse().ok()?;
    (matches!(turn, 90 | 180 | 270) && confidence >= 2.0).then_some(turn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsv_rows_become_words() {
        let tsv = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n\
                   1\t1\t0\t0\t0\t0\t0\t0\t1000\t1000\t-1\t\n\
                   5\t1\t1\t1\t1\t1\t100\t100\t80\t20\t96.5\tTotal\n\
                   5\t1\t2\t1\t1\t1\t600\t102\t90\t20\t88\t120,00\n";
        let words = parse_tsv(tsv);
        assert_eq!(words.len(), 2);
        assert_eq!(words[1].text, "120,00");
        assert_eq!(words[1].line, (2, 1, 1));
    }

    #[test]
    fn osd_turns_only_when_confident() {
        let osd = "Page number: 0\nOrientation in degrees: 270\nRotate: 90\n\
                   Orientation confidence: 7.41\nScript: Latin\nScript confidence: 3.2\n";
        assert_eq!(parse_osd(osd), Some(90));
        assert_eq!(parse_osd(&osd.replace("7.41", "0.8")), None);
        assert_eq!(parse_osd(&osd.replace("Rotate: 90", "Rotate: 0")), None);
        assert_eq!(parse_osd("Too few characters. Skipping this page"), None);
    }

    #[test]
    fn a_missing_program_is_unavailable() {
        let t = Tesseract {
            program: "/nonexistent/tesseract".into(),
            ..Tesseract::default()
        };
        let page = GrayImage::new(10, 10);
        assert!(matches!(
            t.recognize(&page, 300),
            Err(OcrError::Unavailable(_))
        ));
    }
}
