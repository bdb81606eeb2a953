//! Kazakhstan IINs (`WALLET_API.md` §5): valid ones *generated* with the check digit, and
//! near-valid ones that break exactly one clause (check digit, date, 7th digit, length,
//! non-digits), so the field rule is probed clause by clause.

/// The check digit of eleven digits (weights 1…11, then `3 4 5 6 7 8 9 10 11 1 2`), `None`
/// when both sums give 10 (no IIN has these eleven digits).
pub fn check_digit(d: &[u8; 11]) -> Option<u8> {
    let sum = |w: &[u32; 11]| -> u32 {
        d.iter()
            .zip(w)
            .map(|(digit, weight)| u32::from(*digit) * weight)
            .sum::<u32>()
            % 11
    };
    let first = sum(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    if first != 10 {
        return Some(first as u8);
    }
    let second = sum(&[3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]);
    (second != 10).then_some(second as u8)
}

/// Whether the second weights decide the check digit of these eleven digits.
pub fn uses_second_weights(d: &[u8; 11]) -> bool {
    let first: u32 = d
        .iter()
        .enumerate()
        .map(|(i, digit)| u32::from(*digit) * (i as u32 + 1))
        .sum::<u32>()
        % 11;
    first == 10
}

fn digits(s: &str) -> Option<[u8; 11]> {
    let b = s.as_bytes();
    if b.len() != 11 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut out = [0u8; 11];
    for (o, c) in out.iter_mut().zip(b) {
        *o = c - b'0';
    }
    Some(out)
}

/// `first11` completed with its check digit, `None` when no IIN has these eleven digits.
pub fn complete(first11: &str) -> Option<String> {
    let d = digits(first11)?;
    check_digit(&d).map(|c| format!("{first11}{c}"))
}

/// The whole §5 rule, for testing the generators against the contract's examples.
pub fn is_valid(iin: &str) -> bool {
    let b = iin.as_bytes();
    if b.len() != 12 || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let Some(d) = digits(&iin[..11]) else {
        return false;
    };
    let century = match d[6] {
        1 | 2 => 1800,
        3 | 4 => 1900,
        5 | 6 => 2000,
        _ => return false,
    };
    let year = century + i32::from(d[0]) * 10 + i32::from(d[1]);
    let month = d[2] * 10 + d[3];
    let day = d[4] * 10 + d[5];
    let Ok(month) = time::Month::try_from(month) else {
        return false;
    };
    if time::Date::from_calendar_date(year, month, day).is_err() {
        return false;
    }
    check_digit(&d) == Some(b[11] - b'0')
}

/// Eleven digits: birth date `yymmdd`, century digit, then a four-digit serial.
fn eleven(date: &str, century: u8, serial: u32) -> String {
    format!("{date}{century}{serial:04}")
}

/// The first serial ≥ `from` for which `date`/`century` has a check digit and whose
/// weights are (or are not) the second ones.
fn valid_with(date: &str, century: u8, second: bool, from: u32) -> String {
    (from..10_000)
        .map(|serial| eleven(date, century, serial))
        .find(|e| {
            let d = digits(e).expect("eleven digits");
            check_digit(&d).is_some() && uses_second_weights(&d) == second
        })
        .and_then(|e| complete(&e))
        .expect("some serial of 10,000 has a check digit")
}

/// Valid IINs, generated: each century pair, the first and second weights, and the
/// 29 Feb 2000 leap day. `seed` varies the serials between runs.
pub fn valid(seed: u32) -> Vec<(&'static str, String)> {
    let s = seed % 5000;
    vec![
        (
            "born 1990, first weights",
            valid_with("900101", 3, false, s),
        ),
        (
            "born 1990, second weights",
            valid_with("900101", 3, true, s),
        ),
        ("born 1985 (7th digit 4)", valid_with("850715", 4, false, s)),
        ("born 2001 (7th digit 5)", valid_with("011231", 5, false, s)),
        (
            "born 2005 (7th digit 6), second weights",
            valid_with("050310", 6, true, s),
        ),
        ("born 1899 (7th digit 1)", valid_with("990101", 1, false, s)),
        ("born 1870 (7th digit 2)", valid_with("700620", 2, false, s)),
        ("29 Feb 2000", valid_with("000229", 5, false, s)),
    ]
}

/// Near-valid IINs, each breaking one clause of §5 (and keeping a right check digit
/// wherever the clause is not the check digit itself).
pub fn invalid(seed: u32) -> Vec<(&'static str, String)> {
    let s = seed % 5000;
    let good = valid_with("900101", 3, false, s);
    let wrong_check = {
        let last = good.as_bytes()[11] - b'0';
        format!("{}{}", &good[..11], (last + 1) % 10)
    };
    let second = valid_with("900101", 3, true, s);
    let second_wrong = {
        let last = second.as_bytes()[11] - b'0';
        format!("{}{}", &second[..11], (last + 3) % 10)
    };
    let no_check_digit = (s..s + 10_000)
        .map(|serial| eleven("900101", 3, serial % 10_000))
        .find(|e| check_digit(&digits(e).expect("eleven digits")).is_none())
        .map(|e| format!("{e}0"))
        .expect("some serial has no check digit");
    let dated = |date: &str, century: u8| {
        (s..s + 10_000)
            .map(|serial| eleven(date, century, serial % 10_000))
            .find_map(|e| complete(&e))
            .expect("some serial has a check digit")
    };
    vec![
        ("wrong check digit", wrong_check),
        ("wrong check digit (second weights)", second_wrong),
        ("eleven digits without any check digit", no_check_digit),
        ("month 13, right check digit", dated("901301", 3)),
        ("month 00, right check digit", dated("900001", 3)),
        ("day 32, right check digit", dated("900132", 3)),
        ("31 April, right check digit", dated("900431", 3)),
        ("29 Feb 1900, right check digit", dated("000229", 3)),
        ("29 Feb 2001, right check digit", dated("010229", 5)),
        ("7th digit 0, right check digit", dated("900101", 0)),
        ("7th digit 7, right check digit", dated("900101", 7)),
        ("7th digit 9, right check digit", dated("900101", 9)),
        ("11 digits", good[..11].to_string()),
        ("13 digits", format!("{good}0")),
        (
            "a letter in place of the check digit",
            format!("{}x", &good[..11]),
        ),
        ("a letter inside", format!("{}A{}", &good[..5], &good[6..])),
        ("spaces around", format!(" {good} ")),
        ("empty", String::new()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contract_examples() {
        for ok in ["900101300007", "900101300811", "000229500008"] {
            assert!(is_valid(ok), "{ok}");
        }
        for bad in ["900101300008", "901301300007", "000229300005"] {
            assert!(!is_valid(bad), "{bad}");
        }
        for x in 0..10 {
            assert!(!is_valid(&format!("90010130080{x}")));
        }
        assert!(uses_second_weights(&digits("90010130081").unwrap()));
        assert_eq!(complete("90010130080"), None);
    }

    #[test]
    fn generated_ones_obey_the_rule() {
        for seed in [0, 1, 77, 4999, 123_456] {
            for (what, iin) in valid(seed) {
                assert!(is_valid(&iin), "{what}: {iin}");
            }
            for (what, iin) in invalid(seed) {
                assert!(!is_valid(&iin), "{what}: {iin}");
            }
        }
    }
}
