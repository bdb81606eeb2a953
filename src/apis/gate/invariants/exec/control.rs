//! Confirmed blame: before a violation that rests on the target *refusing* a request is
//! reported against idempotency, reservation or the ledger, the same payload is sent again
//! as a control — with a fresh key, as a test order (no money moves). If the control is
//! refused the same way, the refusal is about the payload, not about the rule: the finding
//! becomes a validation disagreement on the field `error.param` names, with the value, the
//! pattern and the dialect note.

use serde_json::Value;

use super::{Exec, Role};
use crate::apis::gate::client::GateClientExt as _;
use crate::apis::gate::invariants::checks::{CheckId, Violation};
use crate::apis::gate::invariants::payload::{render_body, OrderRequest};
use crate::engine::client::Exchange;
use crate::engine::dialect::DIALECT_NOTE;

/// Whether a refusal may be the payload's fault rather than the blamed rule's.
fn needs_control(v: &Violation, ex: &Exchange) -> bool {
    v.check != CheckId::InvalidPayloadRejected
        && v.check != CheckId::ValidPayloadAccepted
        && ex.status == 400
        && ex.error_code().as_deref() == Some("invalid_request")
}

/// The value at a dotted `error.param` path inside the body (`topup_request.customer_account.email`).
fn value_at<'v>(body: &'v Value, param: &str) -> Option<&'v Value> {
    param.split('.').try_fold(body, |v, part| v.get(part))
}

impl Exec<'_> {
    /// Runs the control when the violation needs one; returns the violation to report.
    pub(super) async fn confirm(
        &mut self,
        v: Violation,
        request: &OrderRequest,
        ex: &Exchange,
    ) -> Violation {
        if !needs_control(&v, ex) {
            return v;
        }
        let mut body = request.body.clone();
        if let Some(o) = body.as_object_mut() {
            o.insert("test".into(), Value::Bool(true));
        }
        let key = format!("gc-{}-control-{}", self.nonce, self.step);
        let control = self
            .client
            .post(self.client.agent_path("/orders"))
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", key)
            .raw_body(render_body(&body, 0))
            .send()
            .await;
        let Ok(control) = control else {
            return v;
        };
        self.record(Role::Observe, &control);
        let same = control.status == ex.status
            && control.error_code() == ex.error_code()
            && control.error_param() == ex.error_param();
        if !same {
            return v;
        }
        let param = ex.error_param().flatten().unwrap_or_default();
        let value = value_at(&request.body, &param)
            .map(|v| v.to_string())
            .unwrap_or_else(|| "(absent)".into());
        let field = param.rsplit('.').next().unwrap_or_default();
        let pattern = body
            .get("product_id")
            .and_then(Value::as_u64)
            .and_then(|id| self.env.catalog.products.iter().find(|p| p.id == id))
            .and_then(|p| p.fields.iter().find(|f| f.name == field))
            .and_then(|f| f.pattern.clone())
            .unwrap_or_else(|| "(none)".into());
        Violation::new(
            CheckId::ValidPayloadAccepted,
            format!(
                "validation disagreement on {param}: the target refuses {value} (pattern {pattern}) with a fresh key too, so the refusal is about the value, not {}; {DIALECT_NOTE}",
                v.check.id()
            ),
            format!("the value accepted: it matches {pattern}"),
            format!("{} {}", control.status, control.body_excerpt()),
        )
        .with_exchange(Some(control.evidence()))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn refusal(param: &str) -> Exchange {
        super::super::tests::exchange(
            400,
            &[],
            &json!({"error": {"code": "invalid_request", "message": "m", "param": param}}),
        )
    }

    #[test]
    fn a_field_refusal_blamed_on_another_rule_needs_a_control() {
        let ex = refusal("topup_request.customer_account.email");
        let on_key = Violation::new(CheckId::ErrorDoesNotBindKey, "m", "e", "g");
        assert!(needs_control(&on_key, &ex));
        let on_validation = Violation::new(CheckId::InvalidPayloadRejected, "m", "e", "g");
        assert!(!needs_control(&on_validation, &ex));
        let balance = super::super::tests::exchange(
            400,
            &[],
            &json!({"error": {"code": "insufficient_balance", "message": "m", "param": null}}),
        );
        assert!(!needs_control(&on_key, &balance));
    }

    #[test]
    fn finds_the_value_error_param_names() {
        let body = json!({"topup_request": {"customer_account": {"email": "a@b.io"}}});
        assert_eq!(
            value_at(&body, "topup_request.customer_account.email"),
            Some(&json!("a@b.io"))
        );
        assert_eq!(value_at(&body, "topup_request.amount"), None);
    }
}
