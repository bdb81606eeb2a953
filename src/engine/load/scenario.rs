//! The scenario file's shell, the same for every API: a `scenarios/<api>/*.toml` file →
//! a validated [`Scenario`] of the API's own transaction kinds.
//!
//! ```toml
//! name = "catalog"
//! [load]
//! users = 20              # concurrent users (closed model)
//! ramp = "2s"             # time to start them all
//! think_time = "50ms..200ms"
//! # rate = 200            # optional: open model, transactions/s (CO-corrected)
//! [[transaction]]
//! name = "get_product"
//! kind = "get_product"    # one of the API's kinds (its `TransactionKind`)
//! weight = 5
//! ```
//!
//! The engine owns `name`, `description`, `[load]`, each transaction's `name` and
//! `weight`, and the spans; an API's [`TransactionKind`] deserializes the rest of a
//! `[[transaction]]` table and validates it. Every mistake is reported as
//! `FILE:LINE:COLUMN: field `PATH`: what is wrong`, using the spans the `toml` crate keeps.
//! **Invariant:** this module knows nothing about goose or HTTP; it only turns text into a
//! plan or a precise error.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use toml::Spanned;

/// A scenario file that cannot be used, with where and why (line 0: the file as a whole,
/// one that cannot be read).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.describe())]
pub struct ScenarioError {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    /// Dotted path of the offending field, e.g. `transaction[2].weight`.
    pub field: String,
    pub message: String,
}

impl ScenarioError {
    fn describe(&self) -> String {
        let file = self.file.display();
        if self.line == 0 {
            format!("{file}: {}", self.message)
        } else {
            let (line, column, field) = (self.line, self.column, &self.field);
            format!("{file}:{line}:{column}: field `{field}`: {}", self.message)
        }
    }
}

/// A validated scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario<K> {
    pub name: String,
    pub description: String,
    pub source: PathBuf,
    pub load: ScenarioDefaults,
    pub transactions: Vec<TransactionSpec<K>>,
}

/// The scenario's defaults for the run shape; command-line flags override each.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScenarioDefaults {
    pub users: Option<u64>,
    pub ramp: Option<Duration>,
    pub run_time: Option<Duration>,
    pub think_time: Option<ThinkTime>,
    /// Open model: transactions started per second, on a fixed schedule.
    pub rate: Option<f64>,
}

/// A random pause between a user's transactions, uniform in `min..=max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThinkTime {
    pub min: Duration,
    pub max: Duration,
}

/// One named, weighted transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct TransactionSpec<K> {
    /// `[a-z0-9_]+`, unique in the scenario; used as the histogram tag.
    pub name: String,
    pub weight: u32,
    /// What it does: the API's own kind.
    pub action: K,
}

/// An API's transaction kinds: deserialized from a `[[transaction]]` table (every field
/// but `name` and `weight` belongs to the API), then validated with the spans kept.
pub trait TransactionKind: Sized {
    /// The `[[transaction]]` table as the API reads it. It must also accept `name` and
    /// `weight` (the engine reads them through [`TransactionKind::common`]).
    type Raw: DeserializeOwned;
    /// The engine's fields of the raw table: `name` and `weight`.
    fn common(raw: &Self::Raw) -> (&Spanned<String>, Option<&Spanned<i64>>);
    /// Validates the API's fields of transaction `index`; errors through `at`.
    fn parse(at: &SpanContext<'_>, index: usize, raw: &Self::Raw) -> Result<Self, ScenarioError>;
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(bound(deserialize = "R: DeserializeOwned"))]
struct RawScenario<R> {
    name: Option<Spanned<String>>,
    description: Option<String>,
    load: Option<RawLoad>,
    #[serde(default, rename = "transaction")]
    transactions: Vec<Spanned<R>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLoad {
    users: Option<Spanned<i64>>,
    ramp: Option<Spanned<String>>,
    run_time: Option<Spanned<String>>,
    think_time: Option<Spanned<String>>,
    rate: Option<Spanned<f64>>,
}

/// Reads and validates a scenario file.
pub fn load_file<K: TransactionKind>(path: &Path) -> Result<Scenario<K>, ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
        file: path.to_path_buf(),
        line: 0,
        column: 0,
        field: "-".into(),
        message: format!("cannot read the file: {e}"),
    })?;
    parse(path, &text)
}

/// [`load_file`], or one of an API's built-in scenarios by name (`--scenario mixed`)
/// when no such file exists: `embedded` is `(name, text)` pairs.
pub fn load_file_or_embedded<K: TransactionKind>(
    path: &Path,
    embedded: &[(&str, &'static str)],
) -> Result<Scenario<K>, ScenarioError> {
    let builtin = path
        .to_str()
        .filter(|_| !path.exists())
        .and_then(|name| embedded.iter().find(|(n, _)| *n == name))
        .map(|(_, text)| *text);
    match builtin {
        Some(text) => parse(path, text),
        None => load_file(path).map_err(|mut e| {
            if e.line == 0 && !path.exists() {
                let names: Vec<&str> = embedded.iter().map(|(n, _)| *n).collect();
                e.message = format!(
                    "{}; the built-in scenarios are {}",
                    e.message,
                    names.join(", ")
                );
            }
            e
        }),
    }
}

/// Parses and validates scenario text; `path` only names the source in errors.
pub fn parse<K: TransactionKind>(path: &Path, text: &str) -> Result<Scenario<K>, ScenarioError> {
    let ctx = SpanContext { path, text };
    let raw: RawScenario<K::Raw> = toml::from_str(text).map_err(|e| ctx.toml_error(&e))?;
    let name = match &raw.name {
        Some(n) => {
            ctx.check_ident(n, "name")?;
            n.get_ref().clone()
        }
        None => path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "scenario".into()),
    };
    let load = match &raw.load {
        Some(l) => ctx.load_settings(l)?,
        None => ScenarioDefaults::default(),
    };
    if raw.transactions.is_empty() {
        return Err(ctx.error(
            0..0,
            "transaction",
            "at least one [[transaction]] is required",
        ));
    }
    let mut transactions = Vec::with_capacity(raw.transactions.len());
    for (i, t) in raw.transactions.iter().enumerate() {
        let spec = ctx.transaction::<K>(i, t.get_ref())?;
        if transactions
            .iter()
            .any(|s: &TransactionSpec<K>| s.name == spec.name)
        {
            return Err(ctx.error(
                K::common(t.get_ref()).0.span(),
                &format!("transaction[{i}].name"),
                &format!(
                    "`{}` is used by an earlier transaction; names must be unique",
                    spec.name
                ),
            ));
        }
        transactions.push(spec);
    }
    Ok(Scenario {
        name,
        description: raw.description.unwrap_or_default(),
        source: path.to_path_buf(),
        load,
        transactions,
    })
}

/// The file being parsed: turns a span into `FILE:LINE:COLUMN` and checks common value
/// shapes, for the engine and for an API's [`TransactionKind::parse`].
pub struct SpanContext<'a> {
    path: &'a Path,
    text: &'a str,
}

impl SpanContext<'_> {
    pub fn error(&self, span: Range<usize>, field: &str, message: &str) -> ScenarioError {
        let (line, column) = line_col(self.text, span.start);
        ScenarioError {
            file: self.path.to_path_buf(),
            line,
            column,
            field: field.to_string(),
            message: message.to_string(),
        }
    }

    /// A syntax or type error from the TOML layer: name the field from the message or
    /// from the key on the offending line, qualified by the enclosing table.
    fn toml_error(&self, e: &toml::de::Error) -> ScenarioError {
        let span = e.span().unwrap_or(0..0);
        let message = e.message().trim().to_string();
        let key = backticked_after(&message, "unknown field `")
            .or_else(|| backticked_after(&message, "missing field `"))
            .or_else(|| key_on_line(self.text, span.start));
        let table = table_path(self.text, span.start);
        let field = match (table.is_empty(), key) {
            (true, Some(k)) => k,
            (false, Some(k)) => format!("{table}.{k}"),
            (false, None) => table,
            (true, None) => "-".to_string(),
        };
        self.error(span, &field, &message)
    }

    pub fn check_ident(&self, s: &Spanned<String>, field: &str) -> Result<(), ScenarioError> {
        let v = s.get_ref();
        let ok = !v.is_empty()
            && v.len() <= 64
            && v.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if ok {
            Ok(())
        } else {
            Err(self.error(
                s.span(),
                field,
                &format!("`{v}` must be 1–64 characters of a-z, 0-9 and _"),
            ))
        }
    }

    pub fn duration(&self, s: &Spanned<String>, field: &str) -> Result<Duration, ScenarioError> {
        humantime::parse_duration(s.get_ref().trim()).map_err(|e| {
            self.error(
                s.span(),
                field,
                &format!(
                    "`{}` is not a duration like `250ms` or `2s`: {e}",
                    s.get_ref()
                ),
            )
        })
    }

    pub fn positive(&self, v: &Spanned<i64>, field: &str, max: i64) -> Result<u64, ScenarioError> {
        let n = *v.get_ref();
        if (1..=max).contains(&n) {
            Ok(n as u64)
        } else {
            Err(self.error(v.span(), field, &format!("{n} is outside 1..={max}")))
        }
    }

    /// Refuses a field a transaction kind does not take: `present` is every optional
    /// field of the table with its span when given, `allowed` what `kind` accepts.
    pub fn only_allowed(
        &self,
        i: usize,
        kind: &str,
        allowed: &[&str],
        present: &[(&str, Option<Range<usize>>)],
    ) -> Result<(), ScenarioError> {
        for (field, span) in present {
            if let Some(span) = span {
                if !allowed.contains(field) {
                    return Err(self.error(
                        span.clone(),
                        &format!("transaction[{i}].{field}"),
                        &format!("not accepted by kind `{kind}`"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// A polling transaction's `poll_interval` (default 50 ms, > 0) and `poll_timeout`
    /// (default 10 s).
    pub fn poll_settings(
        &self,
        i: usize,
        interval: Option<&Spanned<String>>,
        timeout: Option<&Spanned<String>>,
    ) -> Result<(Duration, Duration), ScenarioError> {
        let at = |f: &str| format!("transaction[{i}].{f}");
        let every = match interval {
            Some(d) => self.duration(d, &at("poll_interval"))?,
            None => Duration::from_millis(50),
        };
        let within = match timeout {
            Some(d) => self.duration(d, &at("poll_timeout"))?,
            None => Duration::from_secs(10),
        };
        if every.is_zero() {
            let span = interval.map(|d| d.span()).unwrap_or(0..0);
            return Err(self.error(span, &at("poll_interval"), "must be > 0"));
        }
        Ok((every, within))
    }

    fn load_settings(&self, l: &RawLoad) -> Result<ScenarioDefaults, ScenarioError> {
        let users = l
            .users
            .as_ref()
            .map(|u| self.positive(u, "load.users", 100_000))
            .transpose()?;
        let ramp = l
            .ramp
            .as_ref()
            .map(|r| self.duration(r, "load.ramp"))
            .transpose()?;
        let run_time = l
            .run_time
            .as_ref()
            .map(|r| self.duration(r, "load.run_time"))
            .transpose()?;
        let think_time = l
            .think_time
            .as_ref()
            .map(|t| self.think_time(t))
            .transpose()?;
        let rate = match &l.rate {
            Some(r) if !(r.get_ref().is_finite() && *r.get_ref() > 0.0) => {
                return Err(self.error(r.span(), "load.rate", "must be a number > 0 (per second)"))
            }
            Some(r) => Some(*r.get_ref()),
            None => None,
        };
        Ok(ScenarioDefaults {
            users,
            ramp,
            run_time,
            think_time,
            rate,
        })
    }

    fn think_time(&self, t: &Spanned<String>) -> Result<ThinkTime, ScenarioError> {
        let field = "load.think_time";
        let (min, max) = match t.get_ref().split_once("..") {
            Some((a, b)) => (a.trim(), b.trim()),
            None => (t.get_ref().trim(), t.get_ref().trim()),
        };
        let parse = |s: &str| {
            humantime::parse_duration(s).map_err(|e| {
                self.error(
                    t.span(),
                    field,
                    &format!("`{s}` is not a duration (write `100ms` or `50ms..200ms`): {e}"),
                )
            })
        };
        let (min, max) = (parse(min)?, parse(max)?);
        if min > max {
            return Err(self.error(t.span(), field, "the minimum is above the maximum"));
        }
        Ok(ThinkTime { min, max })
    }

    fn transaction<K: TransactionKind>(
        &self,
        i: usize,
        raw: &K::Raw,
    ) -> Result<TransactionSpec<K>, ScenarioError> {
        let at = |f: &str| format!("transaction[{i}].{f}");
        let (name, weight) = K::common(raw);
        self.check_ident(name, &at("name"))?;
        let weight = match weight {
            Some(w) => self.positive(w, &at("weight"), 1000)? as u32,
            None => 1,
        };
        let action = K::parse(self, i, raw)?;
        Ok(TransactionSpec {
            name: name.get_ref().clone(),
            weight,
            action,
        })
    }
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..floor_char_boundary(text, offset)];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn backticked_after(message: &str, prefix: &str) -> Option<String> {
    let rest = &message[message.find(prefix)? + prefix.len()..];
    Some(rest[..rest.find('`')?].to_string())
}

/// The key on the line holding `offset` (`key = value`), if any.
fn key_on_line(text: &str, offset: usize) -> Option<String> {
    let start = floor_char_boundary(text, offset.min(text.len()));
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let line = &text[line_start..line_end];
    let (key, _) = line.split_once('=')?;
    let key = key.trim().trim_matches('"');
    (!key.is_empty() && !key.starts_with('[')).then(|| key.to_string())
}

/// The table enclosing `offset`, e.g. `load` or `transaction[1].filters`.
fn table_path(text: &str, offset: usize) -> String {
    let end = floor_char_boundary(text, offset.min(text.len()));
    let mut path = String::new();
    let mut transaction_index: Option<usize> = None;
    for line in text[..end].lines() {
        let l = line.trim();
        if l == "[[transaction]]" {
            transaction_index = Some(transaction_index.map_or(0, |i| i + 1));
            path = format!("transaction[{}]", transaction_index.unwrap_or(0));
        } else if let Some(sub) = l
            .strip_prefix("[transaction.")
            .and_then(|s| s.strip_suffix(']'))
        {
            path = format!("transaction[{}].{sub}", transaction_index.unwrap_or(0));
        } else if l.starts_with('[') && l.ends_with(']') {
            path = l.trim_matches(|c| c == '[' || c == ']').to_string();
        }
    }
    path
}
