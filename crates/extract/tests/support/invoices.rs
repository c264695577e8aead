//! A generator of varied plain-PDF invoices with known truth (FR/EN/DE labels, three number
//! formats, several date formats, four layouts, four content-stream operator styles).

use super::labels::{DE, DE_MONTHS, EN, EN_MONTHS, FR, FR_MONTHS, Labels};
use super::{OpStyle, Placed, build_doc, save};

/// Deterministic xorshift PRNG.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len() as u64) as usize]
    }
    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Fr,
    En,
    De,
}

/// The known truth of one generated invoice, keyed like `Extraction::field_values`.
#[derive(Debug, Clone, Default)]
pub struct Truth {
    pub fields: Vec<(&'static str, Option<String>)>,
}

impl Truth {
    fn set(&mut self, k: &'static str, v: Option<String>) {
        self.fields.push((k, v));
    }
}

pub struct Generated {
    pub pdf: Vec<u8>,
    pub truth: Truth,
    pub style: OpStyle,
    pub lang: Lang,
    pub layout: usize,
    /// Header written column by column rather than row by row.
    pub column_wise: bool,
    /// Every text piece written, for a text-loss check.
    pub words: Vec<String>,
    /// The VAT breakdown (rate, base, VAT amount), as decimals with a dot.
    pub vat_breakdown: Vec<(String, String, String)>,
}

fn luhn_digit(body: &str) -> u32 {
    // The digit d making body+d pass Luhn.
    (0..10)
        .find(|d| coffre_extract::checks::luhn(&format!("{body}{d}")))
        .unwrap_or(0)
}

fn iban(rng: &mut Rng, country: &str) -> String {
    let bban = match country {
        "FR" => rng.digits(23),
        "DE" => rng.digits(18),
        _ => format!("WEST{}", rng.digits(14)),
    };
    let numeric: String = format!("{bban}{country}00")
        .chars()
        .map(|c| {
            if c.is_ascii_digit() {
                c.to_string()
            } else {
                (c as u32 - 'A' as u32 + 10).to_string()
            }
        })
        .collect();
    let rem = numeric
        .bytes()
        .fold(0u32, |r, b| (r * 10 + u32::from(b - b'0')) % 97);
    format!("{country}{:02}{bban}", 98 - rem)
}

fn grouped4(s: &str) -> String {
    s.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

#[derive(Clone, Copy)]
enum NumFmt {
    Space,
    Dot,
    Comma,
    PlainComma,
}

fn money(cents: i64, f: NumFmt) -> String {
    let neg = cents < 0;
    let c = cents.unsigned_abs();
    let (int, frac) = ((c / 100).to_string(), c % 100);
    let group = |sep: &str| {
        let b = int.as_bytes();
        let mut out = String::new();
        for (i, ch) in b.iter().enumerate() {
            if i > 0 && (b.len() - i) % 3 == 0 {
                out.push_str(sep);
            }
            out.push(char::from(*ch));
        }
        out
    };
    let s = match f {
        NumFmt::Space => format!("{},{frac:02}", group(" ")),
        NumFmt::Dot => format!("{},{frac:02}", group(".")),
        NumFmt::Comma => format!("{}.{frac:02}", group(",")),
        NumFmt::PlainComma => format!("{int},{frac:02}"),
    };
    if neg { format!("-{s}") } else { s }
}

fn plain(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    format!("{sign}{}.{:02}", c / 100, c % 100)
}

fn fmt_date(y: u32, m: u32, d: u32, lang: Lang, variant: u64) -> String {
    let mi = (m - 1) as usize;
    match (lang, variant % 3) {
        (Lang::Fr, 0) => format!("{d:02}/{m:02}/{y}"),
        (Lang::Fr, 1) => format!("{d} {} {y}", FR_MONTHS[mi]),
        (Lang::Fr, _) => format!("{y}-{m:02}-{d:02}"),
        (Lang::En, 0) => format!("{} {d}, {y}", EN_MONTHS[mi]),
        (Lang::En, 1) => format!("{y}-{m:02}-{d:02}"),
        (Lang::En, _) => format!("{d:02}/{m:02}/{y}"),
        (Lang::De, 0) => format!("{d:02}.{m:02}.{y}"),
        (Lang::De, 1) => format!("{d}. {} {y}", DE_MONTHS[mi]),
        (Lang::De, _) => format!("{d:02}.{m:02}.{y}"),
    }
}

/// Generates invoice number `i` of the set.
pub fn generate(i: u64) -> Generated {
    let mut rng = Rng::new(i + 1);
    let lang = [Lang::Fr, Lang::En, Lang::De][(i % 3) as usize];
    let layout = ((i / 3) % 5) as usize;
    let style = [
        OpStyle::TdTj,
        OpStyle::TmTJ,
        OpStyle::Quote,
        OpStyle::DoubleQuote,
    ][((i / 2) % 4) as usize];
    let l: &Labels = match lang {
        Lang::Fr => &FR,
        Lang::En => &EN,
        Lang::De => &DE,
    };
    let credit = rng.below(8) == 0;
    let fmt = match lang {
        Lang::Fr => *rng.pick(&[NumFmt::Space, NumFmt::Space, NumFmt::PlainComma]),
        Lang::De => *rng.pick(&[NumFmt::Dot, NumFmt::Dot, NumFmt::PlainComma]),
        Lang::En => NumFmt::Comma,
    };
    let (currency, sym_before, sym_after): (&str, &str, &str) = match lang {
        Lang::Fr | Lang::De => *rng.pick(&[("EUR", "", " €"), ("EUR", "", " EUR")]),
        Lang::En => *rng.pick(&[("GBP", "£", ""), ("USD", "$", ""), ("EUR", "", " EUR")]),
    };
    let cur = |c: i64| format!("{sym_before}{}{sym_after}", money(c, fmt));

    let seller = match lang {
        Lang::Fr => *rng.pick(&[
            "ACME Conseil SAS",
            "Boulangerie Martin SARL",
            "Atelier Dubois",
            "Lumière Digitale SAS",
            "Transports Lefèvre SA",
            "Éditions du Parc EURL",
        ]),
        Lang::En => *rng.pick(&[
            "Widgets Ltd",
            "Northwind Trading Ltd",
            "Blue Harbor Consulting LLC",
            "Oakwood Design",
            "Acme Corp Inc.",
        ]),
        Lang::De => *rng.pick(&[
            "Müller Technik GmbH",
            "Schmidt & Partner KG",
            "Weber Software AG",
            "Bäckerei Hoffmann",
            "Nordlicht Medien UG",
        ]),
    };
    let buyer = match lang {
        Lang::Fr => *rng.pick(&[
            "Dupont & Fils SARL",
            "Mairie de Lyon",
            "Garage Moreau SAS",
            "Clinique Saint-Paul SA",
        ]),
        Lang::En => *rng.pick(&[
            "Globex Corporation",
            "Initech Ltd",
            "Riverside Council",
            "Stark Supplies LLC",
        ]),
        Lang::De => *rng.pick(&[
            "Kunde Bau AG",
            "Stadtwerke Kiel GmbH",
            "Praxis Dr. Lang",
            "Fischer Logistik KG",
        ]),
    };
    let siren = {
        let body = format!("{}{}", 1 + rng.below(9), rng.digits(7));
        format!("{body}{}", luhn_digit(&body))
    };
    let siret = {
        let body = format!("{siren}{}", rng.digits(4));
        format!("{body}{}", luhn_digit(&body))
    };
    let seller_vat = match lang {
        Lang::Fr => {
            let key = coffre_extract::checks::fr_vat_key(&siren).unwrap_or(0);
            format!("FR{key:02}{siren}")
        }
        Lang::En => format!("GB{}", rng.digits(9)),
        Lang::De => format!("DE{}", rng.digits(9)),
    };
    let buyer_vat = if rng.below(2) == 0 {
        Some(match lang {
            Lang::Fr => {
                let body = format!("{}{}", 1 + rng.below(9), rng.digits(7));
                let s = format!("{body}{}", luhn_digit(&body));
                format!(
                    "FR{:02}{s}",
                    coffre_extract::checks::fr_vat_key(&s).unwrap_or(0)
                )
            }
            Lang::En => format!("GB{}", rng.digits(9)),
            Lang::De => format!("DE{}", rng.digits(9)),
        })
    } else {
        None
    };
    let iban_v = iban(
        &mut rng,
        match lang {
            Lang::Fr => "FR",
            Lang::De => "DE",
            Lang::En => "GB",
        },
    );
    let legal_fr = rng.below(3); // 0,1: SIRET, 2: RCS + SIREN

    let (y, m, d) = (
        2025 + rng.below(2) as u32,
        1 + rng.below(12) as u32,
        1 + rng.below(28) as u32,
    );
    let (dy, dm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    let with_due = rng.below(5) != 0;
    let date_variant = rng.below(3);
    let issue_s = fmt_date(y, m, d, lang, date_variant);
    let due_s = fmt_date(dy, dm, d, lang, date_variant);
    let number = match lang {
        Lang::Fr => format!(
            "{}-{y}-{:04}",
            if credit { "AV" } else { "F" },
            rng.below(10000)
        ),
        Lang::En => format!(
            "{}-{:05}",
            if credit { "CN" } else { "INV" },
            rng.below(100000)
        ),
        Lang::De => format!(
            "{}{y}.{:04}",
            if credit { "GS" } else { "RE" },
            rng.below(10000)
        ),
    };

    // Lines and VAT.
    let rates: &[u32] = match lang {
        Lang::Fr => &[200, 100, 55],
        Lang::De => &[190, 70],
        Lang::En => &[200, 50],
    };
    let nlines = 1 + rng.below(4) as usize;
    let two_rates = rng.below(3) == 0;
    let mut lines: Vec<(String, u64, i64, u32)> = Vec::new();
    for k in 0..nlines {
        let qty = 1 + rng.below(5);
        let unit = 1000 + rng.below(150_000) as i64;
        let rate = if two_rates && k % 2 == 1 {
            rates[1 + (k / 2) % (rates.len() - 1)]
        } else {
            rates[0]
        };
        lines.push(((*rng.pick(l.items)).to_string(), qty, unit, rate));
    }
    let mut by_rate: Vec<(u32, i64)> = Vec::new();
    for (_, q, u, r) in &lines {
        let amt = *u * *q as i64;
        match by_rate.iter_mut().find(|(rr, _)| rr == r) {
            Some(e) => e.1 += amt,
            None => by_rate.push((*r, amt)),
        }
    }
    let vats: Vec<(u32, i64, i64)> = by_rate
        .iter()
        .map(|(r, b)| (*r, *b, (*b * i64::from(*r) + 500) / 1000))
        .collect();
    let net: i64 = vats.iter().map(|v| v.1).sum();
    let vat: i64 = vats.iter().map(|v| v.2).sum();
    let gross = net + vat;
    let deposit = if rng.below(5) == 0 && !credit {
        (gross / 400) * 100
    } else {
        0
    };
    let show_pay = deposit > 0 || rng.below(2) == 0;
    let show_vat_total = vats.len() > 1 && rng.below(2) == 0;
    let rate_s = |r: u32| {
        if r.is_multiple_of(10) {
            (r / 10).to_string()
        } else if lang == Lang::En {
            format!("{}.{}", r / 10, r % 10)
        } else {
            format!("{},{}", r / 10, r % 10)
        }
    };

    // Build rows: (x, text) per row; rows go top to bottom.
    let mut rows: Vec<Vec<(f32, String)>> = Vec::new();
    let row = |v: &[(f32, &str)]| -> Vec<(f32, String)> {
        v.iter().map(|(x, t)| (*x, (*t).to_string())).collect()
    };
    let title = if credit { l.credit_title } else { l.title };
    let num_label = if credit {
        l.credit_number.to_string()
    } else {
        (*rng.pick(l.number)).to_string()
    };
    let date_label = *rng.pick(l.date);
    let due_label = *rng.pick(l.due);
    let buyer_label = *rng.pick(l.buyer);
    let vat_id_label = *rng.pick(l.vat_id);
    let legal_line = match (lang, legal_fr) {
        (Lang::Fr, 2) => Some(format!(
            "RCS Lyon {} {} {}",
            &siren[0..3],
            &siren[3..6],
            &siren[6..9]
        )),
        (Lang::Fr, _) => Some(format!(
            "SIRET : {} {} {} {}",
            &siren[0..3],
            &siren[3..6],
            &siren[6..9],
            &siret[9..]
        )),
        _ => None,
    };
    let legal_truth = match (lang, legal_fr) {
        (Lang::Fr, 2) => Some(siren.clone()),
        (Lang::Fr, _) => Some(siret.clone()),
        _ => None,
    };
    let buyer_unlabelled = lang == Lang::De && layout == 2;

    // Header
    match layout {
        0 | 3 | 4 => {
            if layout == 3 {
                rows.push(row(&[(50.0, title)]));
            }
            rows.push(row(&[(50.0, seller)]));
            rows.push(row(&[(50.0, "12 rue des Lilas")]));
            rows.push(row(&[(50.0, "69003 Lyon")]));
            if let Some(ll) = &legal_line {
                rows.push(vec![(50.0, ll.clone())]);
            }
            rows.push(vec![(50.0, format!("{vat_id_label} {seller_vat}"))]);
            rows.push(vec![]);
            if layout == 0 || layout == 4 {
                rows.push(row(&[(50.0, title)]));
            }
            if layout == 4 {
                // Each label above its value.
                rows.push(vec![(
                    50.0,
                    num_label.trim_end_matches([':', ' ']).to_string(),
                )]);
                rows.push(vec![(50.0, number.clone())]);
                rows.push(vec![(50.0, date_label.to_string())]);
                rows.push(vec![(50.0, issue_s.clone())]);
                if with_due {
                    rows.push(vec![(50.0, due_label.to_string())]);
                    rows.push(vec![(50.0, due_s.clone())]);
                }
                rows.push(vec![]);
                rows.push(vec![(50.0, buyer_label.to_string())]);
                rows.push(vec![(50.0, buyer.to_string())]);
            } else {
                rows.push(vec![(50.0, format!("{num_label} {number}"))]);
                rows.push(vec![(50.0, format!("{date_label} {issue_s}"))]);
                if with_due {
                    rows.push(vec![(50.0, format!("{due_label} {due_s}"))]);
                }
                rows.push(vec![]);
                rows.push(vec![(50.0, format!("{buyer_label} {buyer}"))]);
            }
            rows.push(row(&[(50.0, "5 avenue Foch")]));
            if let Some(bv) = &buyer_vat {
                rows.push(vec![(50.0, format!("{vat_id_label} {bv}"))]);
            }
        }
        1 => {
            rows.push(row(&[
                (50.0, seller),
                (330.0, &format!("{buyer_label} {buyer}")),
            ]));
            rows.push(row(&[(50.0, "12 rue des Lilas"), (330.0, "5 avenue Foch")]));
            rows.push(row(&[(50.0, "69003 Lyon"), (330.0, "75016 Paris")]));
            if let Some(bv) = &buyer_vat {
                rows.push(vec![(330.0, format!("{vat_id_label} {bv}"))]);
            }
            rows.push(vec![]);
            rows.push(row(&[(50.0, title)]));
            // Header row of labels, then the values.
            let strip = |s: &str| s.trim_end_matches([':', ' ']).to_string();
            let mut labels = vec![(50.0, strip(&num_label)), (200.0, strip(date_label))];
            let mut values = vec![(50.0, number.clone()), (200.0, issue_s.clone())];
            if with_due {
                labels.push((350.0, strip(due_label)));
                values.push((350.0, due_s.clone()));
            }
            rows.push(labels);
            rows.push(values);
        }
        _ => {
            // German DIN-like: sender line, unlabelled (or labelled) buyer, info block.
            rows.push(vec![(
                50.0,
                format!("{seller} · Hauptstraße 5 · 10115 Berlin"),
            )]);
            rows.push(vec![]);
            if buyer_unlabelled {
                rows.push(vec![(50.0, buyer.to_string())]);
            } else {
                rows.push(vec![(50.0, buyer_label.to_string())]);
                rows.push(vec![(50.0, buyer.to_string())]);
            }
            rows.push(row(&[(50.0, "Am Markt 3")]));
            rows.push(row(&[(50.0, "24103 Kiel")]));
            if let (Some(bv), false) = (&buyer_vat, buyer_unlabelled) {
                rows.push(vec![(50.0, format!("{vat_id_label} {bv}"))]);
            }
            rows.push(vec![]);
            rows.push(vec![(330.0, format!("{num_label} {number}"))]);
            rows.push(vec![(330.0, format!("{date_label} {issue_s}"))]);
            rows.push(row(&[(330.0, "Kundennummer: K-4711")]));
            rows.push(vec![]);
            rows.push(row(&[(50.0, title)]));
        }
    }
    // Distractors: a delivery date that differs from the issue date, an order reference.
    if rng.below(2) == 0 {
        let (ld, lm) = if d > 1 { (d - 1, m) } else { (d, m) };
        let label = match lang {
            Lang::Fr => "Date de livraison :",
            Lang::En => "Delivery date:",
            Lang::De => "Lieferdatum:",
        };
        let delivery = fmt_date(y, lm, ld, lang, date_variant + 1);
        rows.push(vec![(50.0, format!("{label} {delivery}"))]);
    }
    if rng.below(2) == 0 {
        let label = match lang {
            Lang::Fr => "Référence commande : PO-",
            Lang::En => "Purchase order: PO-",
            Lang::De => "Bestellnummer: PO-",
        };
        rows.push(vec![(50.0, format!("{label}{}", rng.digits(5)))]);
    }
    rows.push(vec![]);
    // Items table.
    let hdr: Vec<&str> = l.header.split(' ').collect();
    let half = hdr.len() / 2;
    rows.push(vec![
        (50.0, hdr[..half].join(" ")),
        (380.0, hdr[half..].join(" ")),
    ]);
    for (name, q, u, _) in &lines {
        rows.push(vec![
            (50.0, name.clone()),
            (300.0, q.to_string()),
            (380.0, money(*u, fmt)),
            (480.0, money(*u * *q as i64, fmt)),
        ]);
    }
    rows.push(vec![]);
    // Totals.
    let totals_start = rows.len();
    rows.push(vec![
        (330.0, (*rng.pick(l.net)).to_string()),
        (480.0, cur(net)),
    ]);
    let vat_label = *rng.pick(l.vat);
    for (r, _, v) in &vats {
        rows.push(vec![
            (330.0, vat_label.replace("{r}", &rate_s(*r))),
            (480.0, cur(*v)),
        ]);
    }
    if show_vat_total {
        rows.push(vec![(330.0, l.vat_total.to_string()), (480.0, cur(vat))]);
    }
    rows.push(vec![
        (330.0, (*rng.pick(l.gross)).to_string()),
        (480.0, cur(gross)),
    ]);
    if deposit > 0 {
        rows.push(vec![(330.0, l.deposit.to_string()), (480.0, cur(-deposit))]);
    }
    let pay_label = *rng.pick(l.pay);
    if show_pay {
        rows.push(vec![
            (330.0, pay_label.to_string()),
            (480.0, cur(gross - deposit)),
        ]);
    }
    rows.push(vec![]);
    let terms = match lang {
        Lang::Fr => format!(
            "Conditions de paiement : 30 jours. Pénalités de retard : 3 fois le taux légal. Indemnité forfaitaire pour frais de recouvrement : {}",
            cur(4000)
        ),
        Lang::En => {
            "Payment terms: 30 days net. Late payments incur interest at 8% per annum.".to_string()
        }
        Lang::De => format!(
            "Zahlbar innerhalb von 30 Tagen ohne Abzug. Mahngebühr {}",
            cur(500)
        ),
    };
    if rng.below(2) == 0 {
        rows.push(vec![(50.0, terms)]);
    }
    if layout == 2 && with_due {
        rows.push(vec![(50.0, format!("{due_label} {due_s}"))]);
    }
    // Footer.
    match layout {
        1 | 2 => {
            let mut f = seller.to_string();
            if let Some(ll) = &legal_line {
                f.push_str(&format!(" - {ll}"));
            }
            f.push_str(&format!(" - {vat_id_label} {seller_vat}"));
            rows.push(vec![(50.0, f)]);
            rows.push(vec![(50.0, format!("IBAN : {}", grouped4(&iban_v)))]);
        }
        _ => {
            rows.push(vec![(50.0, format!("IBAN {}", grouped4(&iban_v)))]);
            rows.push(vec![(
                50.0,
                format!("{seller} - 12 rue des Lilas - 69003 Lyon"),
            )]);
        }
    }

    let mut placed = Vec::new();
    let mut words = Vec::new();
    for (k, r) in rows.iter().enumerate() {
        for (x, t) in r {
            placed.push(Placed {
                x: *x,
                y: 800.0 - 14.0 * k as f32,
                text: t.clone(),
            });
            words.extend(t.split_whitespace().map(str::to_string));
        }
    }
    // Some producers write the header's left column entirely, then the right one.
    let column_wise = layout == 1 && rng.below(2) == 0;
    if column_wise {
        let header_end = placed
            .iter()
            .position(|p| p.y < 800.0 - 14.0 * 3.0)
            .unwrap_or(0);
        let (head, _) = placed.split_at_mut(header_end);
        head.sort_by(|a, b| a.x.total_cmp(&b.x).then(b.y.total_cmp(&a.y)));
    }
    // Layout 4 writes the totals' label column entirely, then the value column.
    if layout == 4 {
        let top = 800.0 - 14.0 * totals_start as f32 + 0.5;
        let from = placed
            .iter()
            .position(|p| p.y < top)
            .unwrap_or(placed.len());
        let to = placed[from..]
            .iter()
            .position(|p| p.x < 300.0)
            .map_or(placed.len(), |k| from + k);
        placed[from..to].sort_by(|a, b| a.x.total_cmp(&b.x).then(b.y.total_cmp(&a.y)));
    }
    let pdf = save(&mut build_doc(&[placed], style));

    let mut truth = Truth::default();
    truth.set("number", Some(number));
    truth.set("issue_date", Some(format!("{y}-{m:02}-{d:02}")));
    truth.set("due_date", with_due.then(|| format!("{dy}-{dm:02}-{d:02}")));
    truth.set(
        "type_code",
        Some(if credit { "381" } else { "380" }.to_string()),
    );
    truth.set("currency", Some(currency.to_string()));
    truth.set("seller.name", Some(seller.to_string()));
    truth.set("seller.vat_id", Some(seller_vat));
    truth.set("seller.legal_id", legal_truth);
    truth.set("buyer.name", Some(buyer.to_string()));
    // DIN letters without a buyer label do not print the buyer's VAT id.
    truth.set(
        "buyer.vat_id",
        if buyer_unlabelled { None } else { buyer_vat },
    );
    truth.set("total_without_vat", Some(plain(net)));
    truth.set("total_vat", Some(plain(vat)));
    truth.set("total_with_vat", Some(plain(gross)));
    truth.set("amount_due", show_pay.then(|| plain(gross - deposit)));
    truth.set("iban", Some(iban_v));
    let vat_breakdown = vats
        .iter()
        .map(|(r, b, v)| (format!("{}.{}", r / 10, r % 10), plain(*b), plain(*v)))
        .collect();
    Generated {
        pdf,
        truth,
        style,
        lang,
        layout,
        column_wise,
        words,
        vat_breakdown,
    }
}
