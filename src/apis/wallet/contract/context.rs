//! The Wallet suite's context: the engine's recorder classified by Wallet route, the
//! OpenAPI document the traffic rules are judged by, the spend guard (every real
//! authorization counted), and helpers to authorize and to wait for a final status.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::apis::wallet::schemas::WalletSchema;
pub use crate::apis::wallet::wire::WalletTransaction;
use crate::apis::wallet::wire::{self, WalletStatus};
use crate::engine::client::{ApiClient, Auth};
use crate::engine::contract::{Observed, Recorder, Req, Skip};
use crate::engine::schema::openapi::OpenApi;
use crate::engine::spend::{Minor, SpendGuard};

pub use crate::engine::contract::NoResponse;

/// The documented operation an exchange addressed (by method and path, in the Wallet's
/// OpenAPI document): its success body's schema and list-ness.
pub type Operation = crate::engine::contract::operation::Operation<WalletSchema>;

/// A recorded Wallet exchange.
pub type WObserved = Observed<Operation>;
/// What a send returns.
pub type Sent = Result<Arc<WObserved>, NoResponse>;

/// Why a check cannot run its setup (a skip with the reason, never a finding).
#[derive(Debug, thiserror::Error)]
pub enum Unrunnable {
    /// The spend cap refuses the authorization.
    #[error("{0}")]
    SpendCap(#[from] crate::engine::spend::SpendCapReached),
    #[error("real authorizations need --allow-spend outside loopback")]
    NeedsAllowSpend,
    #[error("{} got no response: {}", .0.label, .0.reason)]
    NoResponse(NoResponse),
    /// No currency the merchant was tried with took an authorization; the last answer.
    #[error("no authorization succeeded ({0})")]
    NoAuthorization(String),
    /// A sandbox admin request (`what`) answered other than it must.
    #[error("{what} answered {status}")]
    Admin { what: &'static str, status: u16 },
    /// A request that got no answer at all (the reason only).
    #[error("{0}")]
    Unanswered(String),
}

impl From<Unrunnable> for Skip {
    fn from(e: Unrunnable) -> Skip {
        Skip(e.to_string())
    }
}

/// A phone number for the sandbox's plain scenario (ends in neither 0000 nor 1111).
pub const PHONE: &str = "+77011234567";
/// A phone number the sandbox fails (suffix `0000`, §6); an ordinary number elsewhere.
pub const PHONE_FAIL: &str = "+77019990000";
/// A valid IIN (the contract's own example).
pub const IIN: &str = "900101300007";

/// The least time between an answered change the harness made and its next one (and
/// between the transactions of one sorted list). A server may keep `createdAt`/
/// `updatedAt` finer than the milliseconds it shows: two changes inside one shown
/// millisecond would show a tie that proves nothing about its tie-break or its "strictly
/// increases" (§1 Lists, §4); changes more than a millisecond apart never share one.
/// Ties and repeats that happen anyway are still judged.
pub const SHOWN_TIME_GAP: Duration = Duration::from_micros(1_100);

/// The run's shared state.
pub struct Ctx<'a> {
    pub recorder: Recorder<Operation>,
    pub spend: SpendGuard,
    pub openapi: &'a OpenApi,
    /// A run-unique tag for order references, so lists can be filtered to our own items.
    pub tag: String,
    /// Deadline for our transactions to leave NEW/PROCESSING.
    pub settle: Duration,
    /// The currency the merchant accepts (found by the first authorization).
    pub currency: parking_lot::Mutex<Option<String>>,
}

impl<'a> Ctx<'a> {
    pub fn new(
        client: ApiClient,
        spend: SpendGuard,
        openapi: &'a Arc<OpenApi>,
        settle: Duration,
    ) -> Self {
        let tag = format!("gc-{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
        Ctx {
            recorder: Recorder::classified_by(client, Operation::classifier(openapi.clone())),
            spend,
            openapi,
            tag,
            settle,
            currency: parking_lot::Mutex::new(None),
        }
    }

    pub fn client(&self) -> &ApiClient {
        &self.recorder.client
    }

    pub fn has_admin(&self) -> bool {
        self.client().target().admin_token.is_some()
    }

    pub fn is_loopback(&self) -> bool {
        self.client().target().is_loopback()
    }

    pub async fn send(&self, req: Req) -> Sent {
        self.recorder.send(req).await
    }

    pub async fn send_as(&self, other: &ApiClient, req: Req) -> Sent {
        self.recorder.send_as(other, req).await
    }

    pub fn observed(&self) -> Vec<Arc<WObserved>> {
        self.recorder.observed()
    }

    /// The accepted currency (KZT until the first authorization found another).
    pub fn currency(&self) -> String {
        self.currency.lock().clone().unwrap_or_else(|| "KZT".into())
    }

    /// A run-unique order reference.
    pub fn reference(&self, what: &str) -> String {
        format!("{}-{what}", self.tag)
    }

    /// A valid authorize body.
    pub fn body(&self, amount: u64, reference: &str) -> Value {
        json!({
            "amount": amount,
            "phoneNumber": PHONE,
            "iin": IIN,
            "orderReference": reference,
            "currency": self.currency(),
        })
    }

    /// Counts `amount` against the spend cap; `Err` with the reason when refused.
    pub fn may_spend(&self, amount: u64) -> Result<(), Unrunnable> {
        let minor = Minor(i64::try_from(amount).unwrap_or(i64::MAX));
        self.spend.try_spend(&self.currency(), minor).map_err(|e| {
            if self.spend.real_orders_allowed() {
                Unrunnable::SpendCap(e)
            } else {
                Unrunnable::NeedsAllowSpend
            }
        })
    }

    /// `POST /v1/wallet/authorize` with an Idempotency-Key and a raw JSON body, counted
    /// against the spend cap by `amount` (what a server would hold were it to accept).
    pub async fn authorize_raw(
        &self,
        amount: u64,
        body: String,
        key: Option<&str>,
    ) -> Result<Sent, Unrunnable> {
        self.may_spend(amount)?;
        let mut req = Req::post(wire::AUTHORIZE_PATH)
            .header("Content-Type", "application/json")
            .raw_body(body);
        if let Some(key) = key {
            req = req.header("Idempotency-Key", key);
        }
        Ok(self.send(req).await)
    }

    /// A fresh idempotency key.
    pub fn key(&self) -> String {
        format!("{}-{}", self.tag, uuid::Uuid::new_v4().simple())
    }

    /// Authorizes `amount` with a fresh key and a valid body; the transaction on a 201.
    pub async fn authorize(
        &self,
        amount: u64,
        reference: &str,
        phone: &str,
    ) -> Result<(Arc<WObserved>, Option<WalletTransaction>), Unrunnable> {
        let mut body = self.body(amount, reference);
        body["phoneNumber"] = json!(phone);
        let sent = self
            .authorize_raw(amount, body.to_string(), Some(&self.key()))
            .await?
            .map_err(Unrunnable::NoResponse)?;
        let tx = (sent.status() == 201)
            .then(|| {
                sent.json
                    .clone()
                    .and_then(|j| serde_json::from_value(j).ok())
            })
            .flatten();
        Ok((sent, tx))
    }

    /// Finds the currency the merchant accepts (KZT, USD, EUR in that order) with one
    /// small authorization; returns it with the transaction.
    pub async fn discover(&self, amount: u64) -> Result<WalletTransaction, Unrunnable> {
        let mut last = String::new();
        for currency in ["KZT", "USD", "EUR"] {
            *self.currency.lock() = Some(currency.to_string());
            let (sent, tx) = self
                .authorize(amount, &self.reference("first"), PHONE)
                .await?;
            if let Some(tx) = tx {
                return Ok(tx);
            }
            last = format!(
                "{} answered {}: {}",
                sent.label(),
                sent.status(),
                sent.exchange.body_excerpt()
            );
            if sent.error_param() != Some(Some("currency")) {
                break;
            }
        }
        Err(Unrunnable::NoAuthorization(last))
    }

    /// `GET /v1/wallet/transaction/{id}` as our merchant.
    pub async fn get(&self, id: &str) -> Sent {
        self.send(Req::get(wire::transaction_path(id))).await
    }

    /// Polls until the transaction is final or `settle` (plus a generous slack: the
    /// contract bounds no completion time, and a slow target is no finding) passes; the
    /// last read. The suite's transactions settle concurrently, so this is waited once.
    pub async fn settle(&self, id: &str) -> Option<WalletTransaction> {
        let deadline = Instant::now() + self.settle + Duration::from_secs(15);
        let mut wait = Duration::from_millis(50);
        loop {
            let tx = self
                .get(id)
                .await
                .ok()
                .filter(|o| o.status() == 200)
                .and_then(|o| o.json.clone())
                .and_then(|j| serde_json::from_value::<WalletTransaction>(j).ok());
            let done = tx
                .as_ref()
                .is_some_and(|t| t.wallet_transaction_status.is_final());
            if done || Instant::now() >= deadline {
                return tx;
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(Duration::from_millis(400));
        }
    }

    /// Forces an outcome through the admin API (§6): `succeed` or `fail`.
    pub async fn force(&self, id: &str, outcome: &str) -> Sent {
        self.send(
            Req::post(format!("/_sandbox/wallet/transactions/{id}/{outcome}")).auth(Auth::Admin),
        )
        .await
    }

    /// A fresh merchant through the admin API: (merchant_id, api key).
    pub async fn new_merchant(
        &self,
        currencies: Option<&[&str]>,
    ) -> Result<(String, String), Unrunnable> {
        let mut req = Req::post("/_sandbox/merchants").auth(Auth::Admin);
        if let Some(c) = currencies {
            req = req.json(&json!({ "currencies": c }));
        }
        let o = self
            .send(req)
            .await
            .map_err(|e| Unrunnable::Unanswered(e.reason))?;
        let j = o.json.clone().unwrap_or(Value::Null);
        match (o.status(), j["merchant_id"].as_str(), j["api_key"].as_str()) {
            (201, Some(m), Some(k)) => {
                self.client()
                    .masker()
                    .add_numbered(k, "GATECHECK_OTHER_KEY");
                Ok((m.to_string(), k.to_string()))
            }
            _ => Err(Unrunnable::Admin {
                what: "POST /_sandbox/merchants",
                status: o.status(),
            }),
        }
    }

    /// A client acting as another merchant with `key`.
    pub fn as_merchant(&self, key: &str) -> ApiClient {
        self.client().as_identity(Default::default(), key)
    }
}

/// The transaction in a 200/201 body, if it parses.
pub fn transaction_of(o: &WObserved) -> Option<WalletTransaction> {
    o.json.clone().and_then(|j| serde_json::from_value(j).ok())
}

/// Whether a status is one of `NEW`/`PROCESSING`.
pub fn is_pending(s: WalletStatus) -> bool {
    !s.is_final()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::contract::operation::Success;

    fn of(method: &str, path: &str) -> Option<Success<WalletSchema>> {
        let api = OpenApi::embedded(&crate::apis::wallet::schemas::BUNDLE).expect("document");
        Operation::of(&api, method, path).success
    }

    #[test]
    fn success_bodies_come_from_the_wallet_document() {
        let one = |schema| {
            Some(Success {
                schema,
                list: false,
            })
        };
        let list = Some(Success {
            schema: WalletSchema::WalletTransaction,
            list: true,
        });
        let tx = one(WalletSchema::WalletTransaction);
        assert_eq!(of("POST", "/v1/wallet/authorize"), tx);
        assert_eq!(of("GET", "/v1/wallet/transaction/wt_01J"), tx);
        assert_eq!(of("GET", "/v1/wallet/transactions?limit=2"), list);
        assert_eq!(of("GET", "/v1/wallet/transactions/"), list);
        for op in ["capture", "cancel", "refund"] {
            let path = format!("/v1/wallet/wt_01J/{op}");
            assert_eq!(of("POST", &path), one(WalletSchema::WalletOperation));
        }
        let forced = "/_sandbox/wallet/transactions/wt_01J/succeed";
        assert_eq!(of("POST", forced), tx);
        // Not a Wallet object, an undocumented method, an unknown route.
        assert_eq!(of("POST", "/_sandbox/merchants"), None);
        assert_eq!(of("GET", "/v1/wallet/authorize"), None);
        assert_eq!(of("GET", "/v1/wallet/wt_01J/capture/x"), None);
    }
}
