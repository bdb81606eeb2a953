//! Wallet transaction ids: `wt_` and a ULID in upper-case Crockford base32 whose 48-bit
//! time part is the creation time in milliseconds (WALLET_API.md §1).

use rand::Rng;

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A new id for a transaction created at `ms` (Unix milliseconds).
pub fn new_transaction_id(ms: i64) -> String {
    let time = u128::from(u64::try_from(ms).unwrap_or(0) & 0xFFFF_FFFF_FFFF);
    let random: u128 = rand::rng().random::<u128>() & ((1u128 << 80) - 1);
    let value = (time << 80) | random;
    let mut out = String::with_capacity(29);
    out.push_str("wt_");
    for i in (0..26).rev() {
        let index = ((value >> (i * 5)) & 0x1F) as usize;
        out.push(char::from(CROCKFORD[index]));
    }
    out
}

/// The shape `^wt_[0-9A-HJKMNP-TV-Z]{26}$` (§1).
pub fn is_transaction_id(s: &str) -> bool {
    let Some(body) = s.strip_prefix("wt_") else {
        return false;
    };
    body.len() == 26 && body.bytes().all(|b| CROCKFORD.contains(&b))
}

/// The creation time in ms a well-formed id carries.
pub fn time_ms(id: &str) -> Option<i64> {
    let body = id.strip_prefix("wt_")?;
    let mut ms: i64 = 0;
    for b in body.bytes().take(10) {
        let v = CROCKFORD.iter().position(|c| *c == b)? as i64;
        ms = (ms << 5) | v;
    }
    Some(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_carry_their_time() {
        let ms = 1_771_496_338_120; // 2026-02-19T10:18:58.120Z
        let id = new_transaction_id(ms);
        assert!(is_transaction_id(&id), "{id}");
        assert!(id.starts_with("wt_01KHTPHWP8"), "{id}");
        assert_eq!(time_ms(&id), Some(ms));
        assert!(is_transaction_id("wt_01JDM3Z7V8H8Q2X9K0R1ABCD12"));
        assert!(!is_transaction_id("wt_01jdm3z7v8h8q2x9k0r1abcd12"));
        assert!(!is_transaction_id("wt_01JDM3Z7V8H8Q2X9K0R1ABCDI2"));
    }
}
