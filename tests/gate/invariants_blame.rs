//! Confirmed blame (issue 10): a refusal that would be blamed on another rule is re-sent
//! as a control first. Against a sandbox whose regex dialect refuses valid account values
//! with a digit, a key whose first request was refused (a malformed product_id) and then
//! reused with a valid payload is refused again: without the control that reads as "a
//! failed request bound its key" (idempotency); the control — the same payload with a
//! fresh key — is refused the same way, so the finding is a validation disagreement on
//! the field `error.param` names, and the idempotency rule is not blamed.

use proptest::sample::Index;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;

use gatecheck::apis::gate::invariants::checks::CheckId;
use gatecheck::apis::gate::invariants::exec::execute;
use gatecheck::apis::gate::invariants::payload::{AmountForm, Defect, Lifecycle, OrderDraft};
use gatecheck::apis::gate::invariants::strategy::{CaseSpec, KeyUse, Op};
use gatecheck::apis::gate::invariants::{Env, InvariantOptions};
use gatecheck::apis::gate::sandbox::SandboxConfig;
use gatecheck::engine::target::TargetArgs;

fn any_index() -> Index {
    proptest::arbitrary::any::<Index>()
        .new_tree(&mut TestRunner::deterministic())
        .expect("an index")
        .current()
}

/// The two-step case: a refused request with a fresh key, then the key reused with a
/// valid payload whose account value holds a digit.
async fn blamed(mutant: Option<&str>) -> Option<(usize, String, CheckId)> {
    let config = SandboxConfig {
        mutant: mutant.map(|m| m.parse().expect("a known mutant")),
        ..SandboxConfig::default()
    };
    let resolved = TargetArgs::default()
        .resolve(&gatecheck::apis::gate::GATE, &config)
        .await
        .expect("the sandbox starts");
    let env = Env::prepare(&InvariantOptions::default(), &resolved)
        .await
        .expect("the catalog is discovered");
    let steam = env
        .catalog
        .products
        .iter()
        .position(|p| p.fields.first().is_some_and(|f| f.name == "steam_login"))
        .expect("the sandbox sells a top-up with a steam_login");
    let draft = |value: &str, defect: Option<Defect>| OrderDraft {
        product: steam,
        quantity: None,
        send_currency: false,
        external_ref: None,
        amount_cents: 500,
        amount_form: AmountForm::TwoDecimals,
        account: vec![Some(value.to_string())],
        extra_account_field: false,
        test: None,
        defect,
    };
    let case = CaseSpec {
        funding: env.currencies.iter().map(|_| 1_000_000).collect(),
        ops: vec![
            Op::Create {
                draft: draft("gatecheck_user", Some(Defect::ProductIdString)),
                key: KeyUse::Fresh,
                lifecycle: Lifecycle::Held,
            },
            Op::Create {
                draft: draft("player123", None),
                key: KeyUse::Reuse(any_index()),
                lifecycle: Lifecycle::Held,
            },
        ],
    };
    let outcome = execute(&env, &case).await.expect("the case runs");
    resolved.shutdown().await;
    outcome
        .violation
        .map(|(step, v)| (step, v.message, v.check))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_confirmed_by_its_control_is_a_validation_disagreement() {
    let (step, message, check) = blamed(Some("refuses-digits-in-account"))
        .await
        .expect("the refused reuse is a finding");
    assert_eq!(step, 2, "{message}");
    assert_eq!(check, CheckId::ValidPayloadAccepted, "{message}");
    assert!(
        message.contains("validation disagreement on topup_request.customer_account.steam_login")
            && message.contains("\"player123\"")
            && message.contains("idempotency.error_does_not_bind_key"),
        "names the field, the value and the rule it spared: {message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_case_passes_on_the_correct_sandbox() {
    assert_eq!(blamed(None).await, None);
}
