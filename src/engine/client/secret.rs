//! Secrets (API keys, admin tokens) and the masker that keeps them out of every output.

use std::fmt;
use std::sync::Arc;

use parking_lot::RwLock;

/// A secret string. `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The real value, for putting on the wire only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(****)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****")
    }
}

/// Replaces every known secret in a text by a shell variable name
/// (`$GATECHECK_API_KEY`), so reproductions stay copy-pasteable and safe.
/// Clones share one list: a key learned mid-run (admin-created) is masked everywhere.
#[derive(Clone, Default)]
pub struct Masker {
    secrets: Arc<RwLock<Vec<(String, String)>>>,
}

impl Masker {
    pub fn new() -> Masker {
        Masker::default()
    }

    /// Registers `secret` to be shown as `$variable`. Empty secrets are ignored.
    pub fn add(&self, secret: &str, variable: &str) {
        if secret.is_empty() {
            return;
        }
        let mut list = self.secrets.write();
        if list.iter().any(|(s, _)| s == secret) {
            return;
        }
        list.push((secret.to_string(), format!("${variable}")));
        // Longest first, so a secret that contains another is replaced whole.
        list.sort_by_key(|entry| std::cmp::Reverse(entry.0.len()));
    }

    /// Registers a secret learned during the run under a numbered variable name.
    pub fn add_numbered(&self, secret: &str, prefix: &str) -> String {
        let n = self.secrets.read().len();
        let name = format!("{prefix}_{n}");
        self.add(secret, &name);
        format!("${name}")
    }

    pub fn mask(&self, text: &str) -> String {
        let list = self.secrets.read();
        let mut out = text.to_string();
        for (secret, variable) in list.iter() {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), variable);
            }
        }
        out
    }
}

impl fmt::Debug for Masker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Masker({} secrets)", self.secrets.read().len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_longest_first_and_everywhere() {
        let m = Masker::new();
        m.add("abc", "SHORT");
        m.add("abcdef", "LONG");
        assert_eq!(m.mask("x abcdef y abc"), "x $LONG y $SHORT");
        assert_eq!(format!("{}", Secret::new("k")), "****");
        assert_eq!(format!("{:?}", Secret::new("k")), "Secret(****)");
    }
}
