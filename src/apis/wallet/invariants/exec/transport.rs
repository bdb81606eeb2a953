//! The transport of a case: every request paced (a `429` waited out, past the budget the
//! case ends), recorded in the trace, and changes spaced when the target's clock is coarse.

use std::time::Instant;

use serde_json::Value;

use super::{Exec, Run, Stop};
use crate::apis::wallet::contract::context::SHOWN_TIME_GAP;
use crate::apis::wallet::invariants::ProbeError;
use crate::engine::client::{ApiClient, Auth, Exchange};
use crate::engine::invariants::pace::{self, PaceError};
use crate::engine::invariants::script::{Recorded, Role};

impl Exec<'_> {
    pub(super) fn record(&mut self, role: Role, exchange: &Exchange) {
        self.requests += 1;
        self.trace.push(Recorded {
            step: self.step,
            role,
            exchange: exchange.clone(),
        });
    }

    fn paced(e: PaceError) -> Stop {
        ProbeError::from(e).into()
    }

    /// Changes apart by SHOWN_TIME_GAP, so each may show a later updatedAt (§4) — once
    /// the target showed a timestamp no finer than milliseconds (finer ones never tie).
    async fn space_changes(&self) {
        if !self.coarse_clock {
            return;
        }
        if let Some(wait) = SHOWN_TIME_GAP.checked_sub(self.last_post.elapsed()) {
            tokio::time::sleep(wait).await;
        }
    }

    pub(super) async fn post(
        &mut self,
        role: Role,
        client: Option<&ApiClient>,
        path: &str,
        body: &Value,
        key: Option<&str>,
    ) -> Run<Exchange> {
        let client = client.unwrap_or(&self.client).clone();
        self.space_changes().await;
        let ex = pace::send(|| {
            let mut rb = client.post(path).json(body);
            if let Some(k) = key {
                rb = rb.header("Idempotency-Key", k);
            }
            rb
        })
        .await
        .map_err(Self::paced)?;
        self.last_post = Instant::now();
        self.record(role, &ex);
        Ok(ex)
    }

    pub(super) async fn get(
        &mut self,
        role: Role,
        client: Option<&ApiClient>,
        path: &str,
    ) -> Run<Exchange> {
        let client = client.unwrap_or(&self.client).clone();
        let ex = pace::send(|| client.get(path)).await.map_err(Self::paced)?;
        self.record(role, &ex);
        Ok(ex)
    }

    pub(super) async fn admin_post(&mut self, path: &str) -> Run<Exchange> {
        let client = self.client.clone();
        self.space_changes().await;
        let ex = pace::send(|| client.post(path).auth(Auth::Admin))
            .await
            .map_err(Self::paced)?;
        self.last_post = Instant::now();
        self.record(Role::Action, &ex);
        Ok(ex)
    }
}
