//! The Wallet's scenario transaction kinds (`WALLET_API.md` §1, §5): what a
//! `[[transaction]]` of `scenarios/wallet.toml` may say, checked with file:line:field
//! errors. The file's shell (`name`, `[load]`, names, weights) is the engine's.

use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::apis::wallet::wire::{OperationKind, WalletStatus, MAX_AMOUNT};
pub use crate::engine::load::scenario::ScenarioError;
use crate::engine::load::scenario::{self as shell, SpanContext, TransactionKind};

/// A Wallet scenario.
pub type Scenario = shell::Scenario<Action>;
/// One named, weighted Wallet transaction.
pub type TransactionSpec = shell::TransactionSpec<Action>;

/// The scenarios built into gatecheck, by name: `--scenario wallet` works from any folder.
pub const EMBEDDED: &[(&str, &str)] =
    &[("wallet", include_str!("../../../../scenarios/wallet.toml"))];

/// Reads and validates a Wallet scenario file, or a built-in one by name.
pub fn load_file(path: &Path) -> Result<Scenario, ScenarioError> {
    shell::load_file_or_embedded(path, EMBEDDED)
}

/// Parses and validates Wallet scenario text; `path` only names the source in errors.
pub fn parse(path: &Path, text: &str) -> Result<Scenario, ScenarioError> {
    shell::parse(path, text)
}

/// What a transaction does.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// `POST /v1/wallet/authorize` with a fresh Idempotency-Key: a real hold of `amount`
    /// minor units, counted against the spend cap.
    Authorize { amount: u64, currency: String },
    /// Polls this user's latest transaction until `SUCCESS` or `FAILED`.
    PollTransaction {
        interval: Duration,
        timeout: Duration,
    },
    /// Capture, cancel or refund on this user's latest `SUCCESS` transaction: `amount`, or
    /// by default what remains (capture, cancel) or half of what is refundable (refund),
    /// never more than the user's own bookkeeping says is left.
    Operation {
        kind: OperationKind,
        amount: Option<u64>,
    },
    /// `GET /v1/wallet/transaction/{id}` of this user's latest transaction.
    GetTransaction,
    /// `GET /v1/wallet/transactions/` with an optional `limit` and `status` filter.
    ListTransactions {
        limit: Option<u32>,
        status: Option<WalletStatus>,
    },
}

const KINDS: &str =
    "authorize, poll_transaction, capture, cancel, refund, get_transaction, list_transactions";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTransaction {
    name: Spanned<String>,
    kind: Spanned<String>,
    weight: Option<Spanned<i64>>,
    amount: Option<Spanned<i64>>,
    currency: Option<Spanned<String>>,
    limit: Option<Spanned<i64>>,
    status: Option<Spanned<String>>,
    poll_interval: Option<Spanned<String>>,
    poll_timeout: Option<Spanned<String>>,
}

impl TransactionKind for Action {
    type Raw = RawTransaction;

    fn common(raw: &RawTransaction) -> (&Spanned<String>, Option<&Spanned<i64>>) {
        (&raw.name, raw.weight.as_ref())
    }

    fn parse(ctx: &SpanContext<'_>, i: usize, t: &RawTransaction) -> Result<Action, ScenarioError> {
        let at = |f: &str| format!("transaction[{i}].{f}");
        let kind = t.kind.get_ref().as_str();
        let allowed: &[&str] = match kind {
            "authorize" => &["amount", "currency"],
            "poll_transaction" => &["poll_interval", "poll_timeout"],
            "capture" | "cancel" | "refund" => &["amount"],
            "get_transaction" => &[],
            "list_transactions" => &["limit", "status"],
            other => {
                return Err(ctx.error(
                    t.kind.span(),
                    &at("kind"),
                    &format!("unknown kind `{other}`; expected one of {KINDS}"),
                ))
            }
        };
        let present: [(&str, Option<Range<usize>>); 6] = [
            ("amount", t.amount.as_ref().map(|v| v.span())),
            ("currency", t.currency.as_ref().map(|v| v.span())),
            ("limit", t.limit.as_ref().map(|v| v.span())),
            ("status", t.status.as_ref().map(|v| v.span())),
            ("poll_interval", t.poll_interval.as_ref().map(|v| v.span())),
            ("poll_timeout", t.poll_timeout.as_ref().map(|v| v.span())),
        ];
        ctx.only_allowed(i, kind, allowed, &present)?;
        let amount = t
            .amount
            .as_ref()
            .map(|a| ctx.positive(a, &at("amount"), MAX_AMOUNT as i64))
            .transpose()?;
        let action = match kind {
            "authorize" => {
                let currency = match &t.currency {
                    None => "KZT".to_string(),
                    Some(c) => {
                        let v = c.get_ref();
                        if v.len() != 3 || !v.bytes().all(|b| b.is_ascii_uppercase()) {
                            return Err(ctx.error(
                                c.span(),
                                &at("currency"),
                                &format!("`{v}` is not an ISO 4217 code like `KZT`"),
                            ));
                        }
                        v.clone()
                    }
                };
                Action::Authorize {
                    amount: amount.unwrap_or(1_000),
                    currency,
                }
            }
            "poll_transaction" => {
                let (interval, timeout) =
                    ctx.poll_settings(i, t.poll_interval.as_ref(), t.poll_timeout.as_ref())?;
                Action::PollTransaction { interval, timeout }
            }
            "capture" => Action::Operation {
                kind: OperationKind::Capture,
                amount,
            },
            "cancel" => Action::Operation {
                kind: OperationKind::Cancel,
                amount,
            },
            "refund" => Action::Operation {
                kind: OperationKind::Refund,
                amount,
            },
            "get_transaction" => Action::GetTransaction,
            _ => {
                let limit = t
                    .limit
                    .as_ref()
                    .map(|l| ctx.positive(l, &at("limit"), 100).map(|v| v as u32))
                    .transpose()?;
                let status = match &t.status {
                    None => None,
                    Some(s) => Some(WalletStatus::parse(s.get_ref()).ok_or_else(|| {
                        ctx.error(
                            s.span(),
                            &at("status"),
                            &format!(
                                "`{}`: expected NEW, PROCESSING, SUCCESS or FAILED",
                                s.get_ref()
                            ),
                        )
                    })?),
                };
                Action::ListTransactions { limit, status }
            }
        };
        Ok(action)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(s: &str) -> Result<Scenario, ScenarioError> {
        parse(Path::new("w.toml"), s)
    }

    #[test]
    fn the_built_in_scenario_parses() {
        let s = parse_str(EMBEDDED[0].1).expect("scenarios/wallet.toml is valid");
        assert!(s
            .transactions
            .iter()
            .any(|t| matches!(t.action, Action::Authorize { .. })));
    }

    #[test]
    fn kinds_fields_and_values_are_checked_with_their_line() {
        let s = parse_str(
            "[[transaction]]\nname=\"a\"\nkind=\"authorize\"\namount=250\n\
             [[transaction]]\nname=\"r\"\nkind=\"refund\"\n\
             [[transaction]]\nname=\"l\"\nkind=\"list_transactions\"\nstatus=\"SUCCESS\"\nlimit=5\n",
        )
        .expect("valid");
        assert_eq!(
            s.transactions[0].action,
            Action::Authorize {
                amount: 250,
                currency: "KZT".into()
            }
        );
        let e = parse_str("[[transaction]]\nname=\"a\"\nkind=\"authorize\"\namount=0\n")
            .expect_err("zero");
        assert_eq!(
            (e.line, e.field.as_str()),
            (4, "transaction[0].amount"),
            "{e}"
        );
        let e = parse_str("[[transaction]]\nname=\"a\"\nkind=\"authorize\"\ncurrency=\"kzt\"\n")
            .expect_err("lower case");
        assert_eq!(e.field, "transaction[0].currency", "{e}");
        let e = parse_str("[[transaction]]\nname=\"a\"\nkind=\"get_transaction\"\nlimit=5\n")
            .expect_err("not accepted");
        assert_eq!(e.field, "transaction[0].limit", "{e}");
        let e =
            parse_str("[[transaction]]\nname=\"l\"\nkind=\"list_transactions\"\nstatus=\"DONE\"\n")
                .expect_err("status");
        assert_eq!(
            (e.line, e.field.as_str()),
            (4, "transaction[0].status"),
            "{e}"
        );
        let e =
            parse_str("[[transaction]]\nname=\"a\"\nkind=\"create_order\"\n").expect_err("kind");
        assert_eq!(e.field, "transaction[0].kind", "{e}");
    }
}
