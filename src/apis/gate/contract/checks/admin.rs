//! §9.2 The sandbox admin API's own authentication: under `/_sandbox`, a missing or wrong
//! `X-Sandbox-Admin` token → `401 unauthorized`. Checked only when an admin token is
//! given (the target then claims to be a sandbox).

use serde_json::json;

use super::{expect_error, Check, ExpectError, Param, Run, Skip};
use crate::apis::gate::admin::AdminCall;
use crate::apis::gate::contract::context::{Ctx, Req};
use crate::engine::client::Auth;

pub const ADMIN_TOKEN: Check = Check::must(
    "admin.token_required",
    "§9.2 Sandbox admin",
    "the sandbox admin API refuses a missing or wrong X-Sandbox-Admin with 401",
);

pub async fn token_required(ctx: &Ctx<'_>) -> Run {
    if !ctx.has_admin() {
        return Err(Skip(
            "needs --admin-token (the target's sandbox admin API)".into(),
        ));
    }
    let want = ExpectError::new(401, "unauthorized", Param::Any);
    let body = json!({"deposits": []});
    let path = AdminCall::CreateAgent { deposits: vec![] }.path();
    let missing = ctx
        .send(Req::post(path.clone()).auth(Auth::None).json(&body))
        .await;
    let wrong = ctx
        .send(
            Req::post(path)
                .auth(Auth::None)
                .header("X-Sandbox-Admin", "gatecheck-wrong-admin-token")
                .json(&body),
        )
        .await;
    Ok([
        expect_error(&ADMIN_TOKEN, "no X-Sandbox-Admin", &missing, &want),
        expect_error(&ADMIN_TOKEN, "a wrong X-Sandbox-Admin", &wrong, &want),
    ]
    .into_iter()
    .flatten()
    .collect())
}
