//! `ocsfmap explain` end to end: an entry by code, number or name; the list of every
//! code; an unknown code is a usage error naming the nearest codes.

mod common;

use common::ocsfmap;

#[test]
fn a_code_is_explained_whichever_way_it_is_written() {
    let (code, entry, _) = ocsfmap(&["explain", "OM015"]);
    assert_eq!(code, 0);
    assert!(
        entry.starts_with("OM015 contradiction\n\nSeverity: error."),
        "{entry}"
    );
    assert!(
        entry.contains("\nBad:\n\n    schema: network_activity\n"),
        "{entry}"
    );
    assert!(entry.contains("\nGood:\n\n"), "{entry}");
    for other in ["om015", "15", "contradiction"] {
        assert_eq!(ocsfmap(&["explain", other]).1, entry, "{other}");
    }
    let (code, entry, _) = ocsfmap(&["explain", "OM111"]);
    assert_eq!(code, 0);
    assert!(
        entry.starts_with("OM111 unrouted\n\nThe record is set aside as `unrouted`"),
        "{entry}"
    );
}

#[test]
fn without_a_code_every_code_is_listed() {
    let (code, list, _) = ocsfmap(&["explain"]);
    assert_eq!(code, 0);
    let codes: Vec<&str> = list.lines().map(|l| &l[..5]).collect();
    assert_eq!(codes.first(), Some(&"OM001"));
    assert!(codes.contains(&"OM029") && codes.contains(&"OM100"));
    assert!(codes.windows(2).all(|w| w[0] < w[1]), "{list}");
}

#[test]
fn an_unknown_code_fails_naming_the_nearest() {
    let (code, out, err) = ocsfmap(&["explain", "OM033"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.contains(
            "no diagnostic code `OM033`; near: OM032 (bad-lookup), OM100 (malformed-json)"
        ),
        "{err}"
    );
}
