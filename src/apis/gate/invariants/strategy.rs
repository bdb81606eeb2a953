//! proptest strategies built from the live catalog: CreateOrderRequest drafts (valid and
//! near-valid invalid), and the operation sequences of the stateful probe.
//!
//! Valid drafts cover vouchers with quantities, top-ups at and across their min/max
//! boundaries, amounts whose charge needs half-up rounding (ties and above-half
//! remainders), customer-account values matching and not matching each field's pattern.
//! References to earlier keys and orders are [`Index`]es resolved at run time, so any
//! shrunk sequence is still meaningful.

use std::sync::Arc;

use proptest::prelude::*;
use proptest::sample::Index;

use crate::apis::gate::invariants::catalog::{Catalog, FieldRule, Orderable, PriceRule};
use crate::apis::gate::invariants::payload::{AmountForm, Defect, Lifecycle, OrderDraft};

/// How a create operation uses the `Idempotency-Key` header.
#[derive(Debug, Clone)]
pub enum KeyUse {
    /// No header: every POST creates a new order.
    None,
    /// A key never used before.
    Fresh,
    /// A used key with this operation's own payload.
    Reuse(Index),
    /// A used key with the payload last sent with it, written in another JSON style.
    Replay { key: Index, style: u8 },
    /// A used key with a valid payload that differs from the one last sent with it.
    Mismatch { key: Index, variant: u8 },
    /// A 256-character key: `400 invalid_request`, `param: "Idempotency-Key"`.
    Malformed,
}

/// One step of the stateful probe.
#[derive(Debug, Clone)]
pub enum Op {
    ReadBalance,
    ListOrders,
    ReadOrder(Index),
    /// Admin: a completed deposit of `cents` in the `currency`-th catalog currency.
    Deposit {
        currency: Index,
        cents: i64,
    },
    /// Admin: force a pending order to `completed` (or `failed`).
    Force {
        order: Index,
        fail: bool,
    },
    Create {
        draft: OrderDraft,
        key: KeyUse,
        lifecycle: Lifecycle,
    },
}

impl Op {
    pub fn name(&self) -> &'static str {
        match self {
            Op::ReadBalance => "read balance",
            Op::ListOrders => "list orders",
            Op::ReadOrder(_) => "read order",
            Op::Deposit { .. } => "deposit",
            Op::Force { fail: false, .. } => "force complete",
            Op::Force { fail: true, .. } => "force fail",
            Op::Create { .. } => "create order",
        }
    }
}

/// A generated case: the isolated agent's opening deposits and the operations.
#[derive(Debug, Clone)]
pub struct CaseSpec {
    /// Opening deposit in minor units, per catalog currency (0: none).
    pub funding: Vec<i64>,
    pub ops: Vec<Op>,
}

/// What the target allows the probe to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenMode {
    /// The sandbox admin API is available (deposits, forced transitions, isolated agents).
    pub admin: bool,
    /// Only test orders may be created (remote host without `--allow-spend`).
    pub test_only: bool,
}

/// The stateful probe's cases.
pub fn case_strategy(
    catalog: Arc<Catalog>,
    mode: GenMode,
    max_ops: usize,
) -> SBoxedStrategy<CaseSpec> {
    let currencies = catalog.currencies();
    let funding: Vec<SBoxedStrategy<i64>> = currencies
        .iter()
        .map(|c| {
            let top = catalog.max_charge(c).minor().clamp(100, 100_000_000) * 4;
            prop_oneof![Just(0i64), 1..=top, Just(top)].sboxed()
        })
        .collect();
    let ops = proptest::collection::vec(op_strategy(catalog, mode), 1..=max_ops.max(1));
    (funding, ops)
        .prop_map(|(funding, ops)| CaseSpec { funding, ops })
        .sboxed()
}

/// One operation, weighted towards creating orders.
pub fn op_strategy(catalog: Arc<Catalog>, mode: GenMode) -> SBoxedStrategy<Op> {
    let lifecycle = if mode.admin {
        prop_oneof![6 => Just(Lifecycle::Held), 2 => Just(Lifecycle::AutoComplete), 1 => Just(Lifecycle::AutoFail)]
            .sboxed()
    } else {
        Just(Lifecycle::AutoComplete).sboxed()
    };
    let create = (draft_strategy(catalog.clone()), key_strategy(), lifecycle).prop_map(
        |(draft, key, lifecycle)| Op::Create {
            draft,
            key,
            lifecycle,
        },
    );
    if mode.admin {
        let top = catalog
            .currencies()
            .iter()
            .map(|c| catalog.max_charge(c).minor())
            .max()
            .unwrap_or(10_000)
            .clamp(100, 100_000_000);
        prop_oneof![
            1 => Just(Op::ReadBalance),
            1 => Just(Op::ListOrders),
            2 => any::<Index>().prop_map(Op::ReadOrder),
            2 => (any::<Index>(), 1..=top * 2).prop_map(|(currency, cents)| Op::Deposit { currency, cents }),
            3 => (any::<Index>(), any::<bool>()).prop_map(|(order, fail)| Op::Force { order, fail }),
            12 => create,
        ]
        .sboxed()
    } else {
        prop_oneof![
            1 => Just(Op::ReadBalance),
            1 => Just(Op::ListOrders),
            2 => any::<Index>().prop_map(Op::ReadOrder),
            12 => create,
        ]
        .sboxed()
    }
}

pub fn key_strategy() -> SBoxedStrategy<KeyUse> {
    prop_oneof![
        3 => Just(KeyUse::Fresh),
        2 => Just(KeyUse::None),
        3 => (any::<Index>(), 0u8..3).prop_map(|(key, style)| KeyUse::Replay { key, style }),
        2 => (any::<Index>(), any::<u8>()).prop_map(|(key, variant)| KeyUse::Mismatch { key, variant }),
        2 => any::<Index>().prop_map(KeyUse::Reuse),
        1 => Just(KeyUse::Malformed),
    ]
    .sboxed()
}

/// A CreateOrderRequest draft for a product of the catalog: valid most of the time,
/// near-valid invalid (one defect) otherwise.
pub fn draft_strategy(catalog: Arc<Catalog>) -> SBoxedStrategy<OrderDraft> {
    let n = catalog.products.len();
    let has_unavailable = catalog.unavailable.is_some();
    (0..n)
        .prop_flat_map(move |pi| product_draft(&catalog.products[pi], pi, has_unavailable))
        .sboxed()
}

fn product_draft(
    product: &Orderable,
    index: usize,
    has_unavailable: bool,
) -> SBoxedStrategy<OrderDraft> {
    let quantity = prop_oneof![
        2 => Just(None),
        4 => (1u32..=5).prop_map(Some),
        1 => (1u32..=100).prop_map(Some),
        1 => Just(Some(100u32)),
    ];
    let external_ref = prop_oneof![
        Just(None),
        Just(Some(None)),
        "[a-z]{1,8}".prop_map(|s| Some(Some(format!("inv-{s}")))),
    ];
    let amount = match &product.price {
        PriceRule::TopUp { rate, min, max } => {
            amount_strategy(min.minor(), max.minor(), rate_e4(rate))
        }
        PriceRule::Voucher { .. } => Just(0i64).sboxed(),
    };
    let form = prop_oneof![Just(AmountForm::TwoDecimals), Just(AmountForm::Shortest)];
    let account: Vec<SBoxedStrategy<Option<String>>> = product
        .fields
        .iter()
        .map(|f| {
            let value = field_value_strategy(f);
            if f.required {
                value.prop_map(Some).sboxed()
            } else {
                proptest::option::of(value).sboxed()
            }
        })
        .collect();
    let test = prop_oneof![4 => Just(None), 1 => Just(Some(false)), 2 => Just(Some(true))];
    let defect = prop_oneof![
        6 => Just(None),
        1 => defect_strategy(has_unavailable).prop_map(Some),
    ];
    (
        quantity,
        any::<bool>(),
        external_ref,
        amount,
        form,
        account,
        prop::bool::weighted(0.2),
        test,
        defect,
    )
        .prop_map(
            move |(
                quantity,
                send_currency,
                external_ref,
                amount_cents,
                amount_form,
                account,
                extra,
                test,
                defect,
            )| {
                OrderDraft {
                    product: index,
                    quantity,
                    send_currency,
                    external_ref,
                    amount_cents,
                    amount_form,
                    account,
                    extra_account_field: extra,
                    test,
                    defect,
                }
            },
        )
        .sboxed()
}

/// Top-up amounts in minor units: the boundaries, charges that round (exact half-up ties
/// and above-half remainders, where truncation differs), and anything in range.
pub fn amount_strategy(min: i64, max: i64, rate_e4: i64) -> SBoxedStrategy<i64> {
    let small_top = max.min(min.saturating_add(5_000));
    prop_oneof![
        1 => Just(min),
        1 => Just(max),
        3 => (min..=max).prop_map(move |c| toward_rounding(c, min, max, rate_e4, Rounding::Tie)),
        2 => (min..=max).prop_map(move |c| toward_rounding(c, min, max, rate_e4, Rounding::AboveHalf)),
        2 => min..=small_top,
        1 => min..=max,
    ]
    .sboxed()
}

#[derive(Debug, Clone, Copy)]
enum Rounding {
    Tie,
    AboveHalf,
}

/// The nearest amount ≥ `start` (else ≤) whose exact charge has the wanted remainder in
/// its third and fourth decimals; `start` itself when none is near.
fn toward_rounding(start: i64, min: i64, max: i64, rate_e4: i64, want: Rounding) -> i64 {
    let fits = |c: i64| {
        let rem = (c.saturating_mul(rate_e4)).rem_euclid(10_000);
        match want {
            Rounding::Tie => rem == 5_000,
            Rounding::AboveHalf => rem > 5_000,
        }
    };
    (start..=max.min(start.saturating_add(10_000)))
        .chain((min.max(start.saturating_sub(10_000))..start).rev())
        .find(|c| fits(*c))
        .unwrap_or(start)
}

/// `agent_rate` in units of 0.0001.
pub fn rate_e4(rate: &crate::apis::gate::money::Rate) -> i64 {
    let mut d = rate.decimal();
    d.rescale(4);
    i64::try_from(d.mantissa()).unwrap_or(0)
}

/// Values matching a field's pattern in every regex dialect (`engine::dialect`: drawn
/// from the pattern intersected with printable ASCII), or a plain identifier when the
/// field has no pattern.
fn field_value_strategy(field: &FieldRule) -> SBoxedStrategy<String> {
    let fallback = field
        .valid_value()
        .unwrap_or_else(|| crate::apis::gate::catalog::PLAIN_VALUE.to_string());
    let generated = match &field.values {
        Some(v) => v.valid_strategy(),
        None => Some("[a-z0-9_]{3,12}".sboxed()),
    };
    let field = field.clone();
    match generated {
        Some(s) => s
            .prop_map(move |v| {
                if field.accepts(&v) {
                    v
                } else {
                    fallback.clone()
                }
            })
            .sboxed(),
        None => Just(fallback).sboxed(),
    }
}

fn defect_strategy(has_unavailable: bool) -> SBoxedStrategy<Defect> {
    let mut plain = vec![
        Defect::UnknownProduct,
        Defect::ProductIdString,
        Defect::QuantityZero,
        Defect::QuantityTooLarge,
        Defect::QuantityString,
        Defect::QuantityFraction,
        Defect::TopUpQuantityTwo,
        Defect::CurrencyMismatch,
        Defect::ExternalRefEmpty,
        Defect::ExternalRefTooLong,
        Defect::TestNotBoolean,
        Defect::TopUpOnVoucher,
        Defect::TopUpMissing,
        Defect::AmountBelowMin,
        Defect::AmountAboveMax,
        Defect::AmountThreeDecimals,
        Defect::AmountNumber,
        Defect::AmountZero,
        Defect::AmountNegative,
        Defect::AmountExponent,
        Defect::AmountWhitespace,
        Defect::AccountMissing,
        Defect::AccountNotObject,
    ];
    if has_unavailable {
        plain.push(Defect::UnavailableProduct);
    }
    prop_oneof![
        4 => proptest::sample::select(plain),
        1 => (0usize..4).prop_map(Defect::RequiredFieldMissing),
        1 => (0usize..4).prop_map(Defect::FieldPatternMismatch),
        1 => (0usize..4).prop_map(Defect::FieldNotString),
    ]
    .sboxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apis::gate::invariants::payload::Validity;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    fn catalog() -> Arc<Catalog> {
        Arc::new(crate::apis::gate::invariants::catalog::tests::sample())
    }

    #[test]
    fn rounding_targets_hit_ties_and_above_half() {
        // rate 1.2500: cents ≡ 2 (mod 4) gives a .5 tie.
        let tie = toward_rounding(100, 100, 50_000, 12_500, Rounding::Tie);
        assert_eq!((tie * 12_500) % 10_000, 5_000);
        let above = toward_rounding(100, 100, 50_000, 12_345, Rounding::AboveHalf);
        assert!((above * 12_345) % 10_000 > 5_000);
        // rate 1.0000 never rounds: the start comes back.
        assert_eq!(toward_rounding(150, 100, 500, 10_000, Rounding::Tie), 150);
    }

    proptest! {
        #[test]
        fn valid_drafts_render_valid_bodies_within_bounds(d in draft_strategy(catalog())) {
            let c = catalog();
            let r = d.render(&c, Lifecycle::AutoComplete, "1", false);
            if d.defect.is_none() {
                let p = r.validity.priced().expect("a draft without defect is valid");
                let product = &c.products[d.product];
                if let PriceRule::TopUp { min, max, .. } = product.price {
                    let a = p.amount.unwrap();
                    prop_assert!(a >= min && a <= max);
                    let login = r.body["topup_request"]["customer_account"]["steam_login"].as_str().unwrap();
                    prop_assert!(product.fields[0].accepts(login), "{login}");
                } else {
                    prop_assert!((1..=100).contains(&p.quantity));
                }
            }
            if let Validity::Invalid { param, .. } = &r.validity {
                prop_assert!(param.is_some());
            }
        }
    }

    #[test]
    fn cases_generate_and_shrink() {
        let mut runner = TestRunner::deterministic();
        let s = case_strategy(
            catalog(),
            GenMode {
                admin: true,
                test_only: false,
            },
            8,
        );
        let mut tree = s.new_tree(&mut runner).unwrap();
        let first = tree.current();
        assert!(!first.ops.is_empty() && first.ops.len() <= 8);
        assert_eq!(first.funding.len(), 1);
        let mut steps = 0;
        while tree.simplify() && steps < 1000 {
            steps += 1;
        }
        assert!(tree.current().ops.len() <= first.ops.len());
    }
}
