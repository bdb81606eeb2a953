//! CreateOrderRequest bodies as the generators describe them (an [`OrderDraft`]), and what
//! the contract says each must get: a priced order, or a `400` with a given code and param.
//!
//! **Invariant:** the expected charge is computed from the catalog and §5.1's formula
//! here, never read back from the server.

use serde_json::{json, Map, Value};

use crate::apis::gate::invariants::catalog::{Catalog, FieldRule, Orderable, PriceRule};
use crate::apis::gate::money::Amount;

/// How an order's life is chosen (contract §9.1 `external_ref` prefixes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    /// `sandbox-slow-…`: stays pending for 5 s; the probe forces its end (admin).
    Held,
    /// No sandbox prefix: completes after the sandbox's delay.
    AutoComplete,
    /// `sandbox-fail-…`: goes pending → failed.
    AutoFail,
}

/// How a request amount is written (§1 Money: `"10"`, `"10.5"`, `"10.50"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountForm {
    TwoDecimals,
    Shortest,
}

/// One near-valid defect: exactly one rule broken, everything else valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Defect {
    UnknownProduct,
    UnavailableProduct,
    ProductIdString,
    QuantityZero,
    QuantityTooLarge,
    QuantityString,
    QuantityFraction,
    TopUpQuantityTwo,
    CurrencyMismatch,
    ExternalRefEmpty,
    ExternalRefTooLong,
    TestNotBoolean,
    TopUpOnVoucher,
    TopUpMissing,
    AmountBelowMin,
    AmountAboveMax,
    AmountThreeDecimals,
    AmountNumber,
    AmountZero,
    AmountNegative,
    AmountExponent,
    AmountWhitespace,
    AccountMissing,
    AccountNotObject,
    /// The field at this index of the product's `customer_account_fields`.
    RequiredFieldMissing(usize),
    FieldPatternMismatch(usize),
    FieldNotString(usize),
}

/// A generated order, before it becomes JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderDraft {
    /// Index into `Catalog::products`.
    pub product: usize,
    /// `None`: the field is absent (default 1).
    pub quantity: Option<u32>,
    pub send_currency: bool,
    /// `Some(None)`: `"external_ref": null`; `None`: absent (unless the lifecycle needs one).
    pub external_ref: Option<Option<String>>,
    pub amount_cents: i64,
    pub amount_form: AmountForm,
    /// Values for the product's fields by index; `None` leaves an optional field out.
    pub account: Vec<Option<String>>,
    pub extra_account_field: bool,
    /// `None`: absent; `Some(b)`: `"test": b`.
    pub test: Option<bool>,
    pub defect: Option<Defect>,
}

/// What a valid order must be charged and echo.
#[derive(Debug, Clone, PartialEq)]
pub struct Priced {
    pub product_id: u64,
    pub currency: String,
    pub quantity: u32,
    pub charge: Amount,
    pub is_test: bool,
    pub external_ref: Option<String>,
    pub rule: PriceRule,
    /// The top-up amount, for messages.
    pub amount: Option<Amount>,
}

/// The contract's verdict on a body, before balance and key are considered.
#[derive(Debug, Clone, PartialEq)]
pub enum Validity {
    Valid(Priced),
    Invalid {
        code: &'static str,
        param: Option<String>,
        defect: String,
    },
}

impl Validity {
    pub fn priced(&self) -> Option<&Priced> {
        match self {
            Validity::Valid(p) => Some(p),
            Validity::Invalid { .. } => None,
        }
    }
}

/// A body ready to send and its verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderRequest {
    pub body: Value,
    pub validity: Validity,
    pub lifecycle: Lifecycle,
}

impl OrderDraft {
    /// Renders the draft for `catalog` with the lifecycle's `external_ref` prefix;
    /// `ref_tag` makes the reference unique within a case. `force_test` turns it into a
    /// test order (spend policy).
    pub fn render(
        &self,
        catalog: &Catalog,
        lifecycle: Lifecycle,
        ref_tag: &str,
        force_test: bool,
    ) -> OrderRequest {
        let product = &catalog.products[self.product % catalog.products.len()];
        let mut body = Map::new();
        body.insert("product_id".into(), json!(product.id));
        let quantity = match (&product.price, self.quantity) {
            (PriceRule::TopUp { .. }, Some(_)) => Some(1),
            (_, q) => q,
        };
        if let Some(q) = quantity {
            body.insert("quantity".into(), json!(q));
        }
        if self.send_currency {
            body.insert("currency_code".into(), json!(product.currency));
        }
        let external_ref = match lifecycle {
            Lifecycle::Held => Some(format!("sandbox-slow-{ref_tag}")),
            Lifecycle::AutoFail => Some(format!("sandbox-fail-{ref_tag}")),
            Lifecycle::AutoComplete => match &self.external_ref {
                Some(Some(r)) => Some(format!("{r}-{ref_tag}")),
                Some(None) => {
                    body.insert("external_ref".into(), Value::Null);
                    None
                }
                None => None,
            },
        };
        if let Some(r) = &external_ref {
            body.insert("external_ref".into(), json!(r));
        }
        let mut amount = None;
        if let PriceRule::TopUp { .. } = product.price {
            let a = Amount::from_minor(self.amount_cents);
            amount = Some(a);
            let mut account = Map::new();
            for (i, field) in product.fields.iter().enumerate() {
                if let Some(Some(v)) = self.account.get(i) {
                    account.insert(field.name.clone(), json!(v));
                } else if field.required {
                    account.insert(field.name.clone(), json!(fallback_value(field)));
                }
            }
            if self.extra_account_field {
                account.insert("gatecheck_note".into(), json!("extra fields are allowed"));
            }
            body.insert(
                "topup_request".into(),
                json!({"amount": render_amount(a, self.amount_form), "customer_account": account}),
            );
        }
        let is_test = force_test || self.test == Some(true);
        if force_test {
            body.insert("test".into(), json!(true));
        } else if let Some(t) = self.test {
            body.insert("test".into(), json!(t));
        }
        let mut priced = Priced {
            product_id: product.id,
            currency: product.currency.clone(),
            quantity: quantity.unwrap_or(1),
            charge: charge_for(&product.price, quantity.unwrap_or(1), amount),
            is_test,
            external_ref,
            rule: product.price.clone(),
            amount,
        };
        let validity = match &self.defect {
            None => Validity::Valid(priced),
            Some(defect) => {
                match apply_defect(defect, &mut body, product, catalog) {
                    Some((code, param)) => Validity::Invalid {
                        code,
                        param,
                        defect: format!("{defect:?}"),
                    },
                    // The defect does not apply to this product: the body stays valid.
                    None => {
                        priced.quantity = body
                            .get("quantity")
                            .and_then(Value::as_u64)
                            .map_or(1, |q| q as u32);
                        Validity::Valid(priced)
                    }
                }
            }
        };
        OrderRequest {
            body: Value::Object(body),
            validity,
            lifecycle,
        }
    }
}

/// §5.1 "The charge".
pub fn charge_for(rule: &PriceRule, quantity: u32, amount: Option<Amount>) -> Amount {
    rule.charge(quantity, amount).unwrap_or(match rule {
        PriceRule::Voucher { agent_price } => *agent_price,
        PriceRule::TopUp { .. } => Amount::ZERO,
    })
}

/// `"10.50"` or its shortest request form (`"10.5"`, `"10"`).
pub fn render_amount(a: Amount, form: AmountForm) -> String {
    let full = a.to_string();
    match form {
        AmountForm::TwoDecimals => full,
        AmountForm::Shortest => {
            let trimmed = full.trim_end_matches('0');
            trimmed.trim_end_matches('.').to_string()
        }
    }
}

fn fallback_value(field: &FieldRule) -> String {
    field
        .valid_value()
        .unwrap_or_else(|| crate::apis::gate::catalog::PLAIN_VALUE.to_string())
}

/// Breaks `body` the way `defect` says; `None` when it cannot apply to this product.
fn apply_defect(
    defect: &Defect,
    body: &mut Map<String, Value>,
    product: &Orderable,
    catalog: &Catalog,
) -> Option<(&'static str, Option<String>)> {
    const INVALID: &str = "invalid_request";
    let p = |s: &str| Some(s.to_string());
    let topup = match &product.price {
        PriceRule::TopUp { min, max, .. } => Some((*min, *max)),
        PriceRule::Voucher { .. } => None,
    };
    let set_amount = |body: &mut Map<String, Value>, v: Value| {
        if let Some(t) = body.get_mut("topup_request").and_then(Value::as_object_mut) {
            t.insert("amount".into(), v);
        }
    };
    match defect {
        Defect::UnknownProduct => {
            body.insert("product_id".into(), json!(catalog.unknown_id));
            Some((INVALID, p("product_id")))
        }
        Defect::UnavailableProduct => {
            let id = catalog.unavailable?;
            body.clear();
            body.insert("product_id".into(), json!(id));
            Some(("product_unavailable", p("product_id")))
        }
        Defect::ProductIdString => {
            body.insert("product_id".into(), json!(product.id.to_string()));
            Some((INVALID, p("product_id")))
        }
        Defect::QuantityZero => {
            body.insert("quantity".into(), json!(0));
            Some((INVALID, p("quantity")))
        }
        Defect::QuantityTooLarge => {
            body.insert("quantity".into(), json!(101));
            Some((INVALID, p("quantity")))
        }
        Defect::QuantityString => {
            body.insert("quantity".into(), json!("2"));
            Some((INVALID, p("quantity")))
        }
        Defect::QuantityFraction => {
            body.insert("quantity".into(), json!(1.5));
            Some((INVALID, p("quantity")))
        }
        Defect::TopUpQuantityTwo => {
            topup?;
            body.insert("quantity".into(), json!(2));
            Some((INVALID, p("quantity")))
        }
        Defect::CurrencyMismatch => {
            let other = if product.currency == "EUR" {
                "USD"
            } else {
                "EUR"
            };
            body.insert("currency_code".into(), json!(other));
            Some((INVALID, p("currency_code")))
        }
        Defect::ExternalRefEmpty => {
            body.insert("external_ref".into(), json!(""));
            Some((INVALID, p("external_ref")))
        }
        Defect::ExternalRefTooLong => {
            body.insert("external_ref".into(), json!("r".repeat(65)));
            Some((INVALID, p("external_ref")))
        }
        Defect::TestNotBoolean => {
            body.insert("test".into(), json!("yes"));
            Some((INVALID, p("test")))
        }
        Defect::TopUpOnVoucher => {
            if topup.is_some() {
                return None;
            }
            body.insert(
                "topup_request".into(),
                json!({"amount": "10.00", "customer_account": {}}),
            );
            Some((INVALID, p("topup_request")))
        }
        Defect::TopUpMissing => {
            topup?;
            body.remove("topup_request");
            Some((INVALID, p("topup_request")))
        }
        Defect::AmountBelowMin => {
            let (min, _) = topup?;
            let below = min.checked_sub(Amount::from_minor(1))?;
            if below.is_zero() || below.is_negative() {
                return None;
            }
            set_amount(body, json!(below.to_string()));
            Some((INVALID, p("topup_request.amount")))
        }
        Defect::AmountAboveMax => {
            let (_, max) = topup?;
            set_amount(
                body,
                json!(max.checked_add(Amount::from_minor(1))?.to_string()),
            );
            Some((INVALID, p("topup_request.amount")))
        }
        Defect::AmountThreeDecimals => {
            let (min, _) = topup?;
            set_amount(body, json!(format!("{min}1")));
            Some((INVALID, p("topup_request.amount")))
        }
        Defect::AmountNumber => {
            let (min, max) = topup?;
            let whole = min.decimal().ceil();
            if Amount::round_half_up(whole) > max {
                return None;
            }
            set_amount(
                body,
                serde_json::to_value(whole.to_string().parse::<u64>().ok()?).ok()?,
            );
            Some((INVALID, p("topup_request.amount")))
        }
        Defect::AmountZero => {
            topup?;
            set_amount(body, json!("0"));
            Some((INVALID, p("topup_request.amount")))
        }
        Defect::AmountNegative => {
            let (min, _) = topup?;
            set_amount(body, json!(format!("-{min}")));
            Some((INVALID, p("topup_request.amount")))
        }
        Defect::AmountExponent => {
            topup?;
            set_amount(body, json!("1e1"));
            Some((INVALID, p("topup_request.amount")))
        }
        Defect::AmountWhitespace => {
            let (min, _) = topup?;
            set_amount(body, json!(format!(" {min}")));
            Some((INVALID, p("topup_request.amount")))
        }
        Defect::AccountMissing => {
            let t = body.get_mut("topup_request")?.as_object_mut()?;
            t.remove("customer_account");
            Some((INVALID, p("topup_request.customer_account")))
        }
        Defect::AccountNotObject => {
            let t = body.get_mut("topup_request")?.as_object_mut()?;
            t.insert("customer_account".into(), json!("player_123"));
            Some((INVALID, p("topup_request.customer_account")))
        }
        Defect::RequiredFieldMissing(i) => {
            let field = nth_field(product, *i, |f| f.required)?;
            account_of(body)?.remove(&field.name);
            Some((
                INVALID,
                Some(format!("topup_request.customer_account.{}", field.name)),
            ))
        }
        Defect::FieldPatternMismatch(i) => {
            let field = nth_field(product, *i, |f| f.values.is_some())?;
            // Invalid in every regex dialect (printable ASCII, see `engine::dialect`).
            let bad = field.invalid_value()?;
            account_of(body)?.insert(field.name.clone(), json!(bad));
            Some((
                INVALID,
                Some(format!("topup_request.customer_account.{}", field.name)),
            ))
        }
        Defect::FieldNotString(i) => {
            let field = nth_field(product, *i, |_| true)?;
            account_of(body)?.insert(field.name.clone(), json!(12345));
            Some((
                INVALID,
                Some(format!("topup_request.customer_account.{}", field.name)),
            ))
        }
    }
}

fn nth_field(
    product: &Orderable,
    i: usize,
    keep: impl Fn(&FieldRule) -> bool,
) -> Option<&FieldRule> {
    let candidates: Vec<_> = product.fields.iter().filter(|f| keep(f)).collect();
    if candidates.is_empty() {
        return None;
    }
    Some(candidates[i % candidates.len()])
}

fn account_of(body: &mut Map<String, Value>) -> Option<&mut Map<String, Value>> {
    body.get_mut("topup_request")?
        .as_object_mut()?
        .get_mut("customer_account")?
        .as_object_mut()
}

/// A valid payload that differs from `body` (for key-mismatch operations) and prices the
/// same: unknown body fields count towards the payload (§10), so adding or changing one
/// makes a different payload without changing its verdict.
pub fn tweak(body: &Value, variant: u8) -> Value {
    let mut out = body.clone();
    if let Some(map) = out.as_object_mut() {
        let value = match map.get("gatecheck_variant") {
            Some(v) if *v == json!(variant) => json!(format!("v{variant}")),
            _ => json!(variant),
        };
        map.insert("gatecheck_variant".into(), value);
    }
    out
}

/// The same JSON value written differently (key order, white space): still the same
/// payload (§10).
pub fn render_body(body: &Value, style: u8) -> String {
    match style % 3 {
        0 => body.to_string(),
        // Pretty-printed, then joined onto one line: JSON strings never hold a raw
        // newline, so only the white space between tokens changes.
        1 => serde_json::to_string_pretty(body)
            .unwrap_or_else(|_| body.to_string())
            .replace('\n', " "),
        _ => reversed_keys(body).to_string(),
    }
}

fn reversed_keys(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, v) in m.iter().rev() {
                out.insert(k.clone(), reversed_keys(v));
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    fn catalog() -> Catalog {
        crate::apis::gate::invariants::catalog::tests::sample()
    }

    fn draft(product: usize) -> OrderDraft {
        OrderDraft {
            product,
            quantity: Some(3),
            send_currency: true,
            external_ref: Some(Some("inv".into())),
            amount_cents: 334,
            amount_form: AmountForm::Shortest,
            account: vec![Some("player_1".into()), None],
            extra_account_field: false,
            test: None,
            defect: None,
        }
    }

    #[test]
    fn voucher_charge_is_price_times_quantity() {
        let r = draft(0).render(&catalog(), Lifecycle::AutoComplete, "7", false);
        let p = r.validity.priced().unwrap();
        assert_eq!(p.charge.to_string(), "28.50");
        assert_eq!(r.body["quantity"], 3);
        assert_eq!(r.body["external_ref"], "inv-7");
    }

    #[test]
    fn topup_charge_rounds_half_up_and_forces_quantity_one() {
        let r = draft(1).render(&catalog(), Lifecycle::Held, "1", false);
        let p = r.validity.priced().unwrap();
        assert_eq!(p.charge.to_string(), "4.18");
        assert_eq!(p.quantity, 1);
        assert_eq!(r.body["topup_request"]["amount"], "3.34");
        assert_eq!(r.body["external_ref"], "sandbox-slow-1");
        assert_eq!(
            r.body["topup_request"]["customer_account"]["steam_login"],
            "player_1"
        );
    }

    #[test]
    fn defects_name_their_param() {
        let mut d = draft(1);
        d.defect = Some(Defect::AmountAboveMax);
        let r = d.render(&catalog(), Lifecycle::AutoComplete, "1", false);
        assert_eq!(
            r.validity,
            Validity::Invalid {
                code: "invalid_request",
                param: Some("topup_request.amount".into()),
                defect: "AmountAboveMax".into()
            }
        );
        assert_eq!(r.body["topup_request"]["amount"], "500.01");
        d.defect = Some(Defect::FieldPatternMismatch(0));
        let r = d.render(&catalog(), Lifecycle::AutoComplete, "1", false);
        assert!(
            matches!(r.validity, Validity::Invalid { param: Some(ref p), .. } if p == "topup_request.customer_account.steam_login")
        );
        d.defect = Some(Defect::UnavailableProduct);
        let r = d.render(&catalog(), Lifecycle::AutoComplete, "1", false);
        assert_eq!(r.body, json!({"product_id": 3}));
        // A voucher has no amount: the defect does not apply, the body stays valid.
        let mut v = draft(0);
        v.defect = Some(Defect::AmountZero);
        assert!(v
            .render(&catalog(), Lifecycle::AutoComplete, "1", false)
            .validity
            .priced()
            .is_some());
    }

    #[test]
    fn tweaks_differ_and_renderings_are_json_equal() {
        let r = draft(0).render(&catalog(), Lifecycle::AutoComplete, "1", false);
        for v in 0..4 {
            assert_ne!(tweak(&r.body, v), r.body);
        }
        for s in 0..3 {
            let text = render_body(&r.body, s);
            assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), r.body);
        }
        assert_eq!(
            render_amount(Amount::from_minor(1000), AmountForm::Shortest),
            "10"
        );
        assert_eq!(
            render_amount(Amount::from_minor(1050), AmountForm::Shortest),
            "10.5"
        );
        assert_eq!(
            render_amount(Amount::from_minor(1050), AmountForm::TwoDecimals),
            "10.50"
        );
    }
}
