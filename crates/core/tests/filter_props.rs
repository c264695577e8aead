//! Property tests of what the user types into searches and the documents table: any Unicode
//! text, in any filter, gives results or a typed error, never a panic (issue 12: a date filter
//! like `abc€x` was sliced inside the euro sign).

use std::path::PathBuf;

use coffre_core::vault::browse::BrowseQuery;
use coffre_core::vault::search::match_expression;
use coffre_core::{CreateOptions, KdfParams, Passphrase, SearchQuery, Vault};
use proptest::prelude::*;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../extract/tests/fixtures")
        .join(name)
}

/// Any Unicode, and short strings of digits, separators and multi-byte characters, which hit
/// the 4-, 7- and 10-byte shapes of dates and the shapes of amounts far more often.
fn user_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9\\-.,' €é\u{a0}\u{202f}a+]{0,12}",
        "[0-9]{4}-[0-9€é\\-]{1,6}",
    ]
}

fn optional() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(user_text())
}

#[test]
fn search_and_browse_filters_never_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let opts = CreateOptions {
        kdf: KdfParams::MINIMUM,
    };
    let (mut vault, _) = Vault::create(
        &tmp.path().join("v"),
        &Passphrase::new("filter props pass".into()),
        &opts,
    )
    .unwrap();
    vault
        .import_file(&fixture("ubl-invoice-eur.xml"), None)
        .unwrap();

    let config = ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(
        text in user_text(),
        from in optional(),
        to in optional(),
        seller in optional(),
        min in optional(),
        max in optional(),
        kind in optional(),
        category in optional(),
        status in optional(),
        direction in optional(),
        payment in optional(),
        copies in any::<bool>(),
    )| {
        // Whatever the words, the expression is valid FTS5: a text-only search succeeds.
        let _ = match_expression(&text);
        let words = SearchQuery {
            text: text.clone(),
            ..SearchQuery::default()
        };
        prop_assert!(vault.search(&words).is_ok(), "{text:?}");

        // Filters may be refused (typed errors), never panic.
        let q = SearchQuery {
            text: text.clone(),
            from: from.clone(),
            to: to.clone(),
            supplier: seller.clone(),
            min,
            max,
            kind,
            limit: Some(10),
            ..SearchQuery::default()
        };
        let _ = vault.search(&q);
        let b = BrowseQuery {
            text,
            from,
            to,
            seller,
            category,
            status,
            direction,
            payment,
            copies,
        };
        let _ = vault.browse(&b, 0, 10);
        let _ = vault.browse_totals(&b);
    });
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    /// The parsers behind the filters and the other dates a user types.
    #[test]
    fn parsers_never_panic(s in user_text()) {
        let _ = coffre_core::records::fields::scaled_e4(&s);
        let _ = coffre_core::records::fields::validate("issue_date", Some(&s));
        let _ = coffre_core::records::fields::validate("total_with_vat", Some(&s));
        let _ = coffre_core::records::retention::parse_date(&s);
        let _ = coffre_core::records::retention::Policy::parse_fiscal_year_end(&s);
        let _ = coffre_core::sharing::bundle::parse_period(&s);
    }
}
