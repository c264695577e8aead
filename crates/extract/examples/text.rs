//! Prints the text layer the heuristics read for each file given, or with `--plain` what
//! pdf-extract's own plain-text output gives (a development aid:
//! `cargo run --release -p coffre-extract --example text -- [--plain] FILE.pdf`).

fn main() {
    let limits = coffre_extract::Limits::default();
    let plain = std::env::args().any(|a| a == "--plain");
    for path in std::env::args().skip(1).filter(|a| a != "--plain") {
        match std::fs::read(&path) {
            Ok(bytes) if plain => match pdf_extract::extract_text_from_mem(&bytes) {
                Ok(t) => println!("==== {path}\n{t}"),
                Err(err) => eprintln!("{path}: {err}"),
            },
            Ok(bytes) => {
                let e = coffre_extract::extract(&bytes, Some(&path), &limits);
                println!("==== {path}\n{}", e.text().unwrap_or_default());
            }
            Err(err) => eprintln!("{path}: {err}"),
        }
    }
}
