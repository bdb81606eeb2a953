//! Who is calling (contract §2, §9.2): the in-memory ring of active API keys (loaded from
//! the store at start, updated with every key the admin API adds or revokes), the
//! per-key rate limit (§10), and the admin token check.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use http::HeaderMap;
use parking_lot::{Mutex, RwLock};

use crate::engine::sandbox::errors::ApiError;

/// Active API keys → the id of who owns each (the Gate's agent, the Wallet's merchant).
#[derive(Debug, Default)]
pub struct KeyRing {
    keys: RwLock<HashMap<String, String>>,
}

impl KeyRing {
    pub fn new(active: impl IntoIterator<Item = (String, String)>) -> KeyRing {
        KeyRing {
            keys: RwLock::new(active.into_iter().collect()),
        }
    }

    pub fn add(&self, key: String, owner: String) {
        self.keys.write().insert(key, owner);
    }

    pub fn revoke(&self, key: &str) {
        self.keys.write().remove(key);
    }

    /// The caller's key and its owner from `Authorization: <raw key>`; `401` otherwise
    /// (missing, unknown, revoked, or `Bearer <key>`).
    pub fn authenticate(&self, headers: &HeaderMap) -> Result<(String, String), ApiError> {
        let mut values = headers.get_all(http::header::AUTHORIZATION).iter();
        let (Some(value), None) = (values.next(), values.next()) else {
            return Err(ApiError::unauthorized(
                "An API key is required in the Authorization header",
            ));
        };
        let key = value
            .to_str()
            .map_err(|_| ApiError::unauthorized("The API key is not valid"))?;
        match self.keys.read().get(key) {
            Some(owner) => Ok((key.to_string(), owner.clone())),
            None => Err(ApiError::unauthorized("The API key is not valid")),
        }
    }
}

/// The admin token check of §9.2.
pub fn check_admin(headers: &HeaderMap, token: &str) -> Result<(), ApiError> {
    match headers.get("x-sandbox-admin").map(|v| v.as_bytes()) {
        Some(given) if given == token.as_bytes() => Ok(()),
        _ => Err(ApiError::admin_unauthorized()),
    }
}

/// A fixed one-second window per API key.
#[derive(Debug)]
pub struct RateLimiter {
    per_second: u32,
    windows: Mutex<HashMap<String, (u64, u32)>>,
}

impl RateLimiter {
    pub fn new(per_second: u32) -> RateLimiter {
        RateLimiter {
            per_second,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request; `429` with `Retry-After: 1` once the window is full.
    pub fn admit(&self, key: &str) -> Result<(), ApiError> {
        let second = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let mut windows = self.windows.lock();
        if windows.len() > 10_000 {
            windows.retain(|_, (s, _)| *s == second);
        }
        let entry = windows.entry(key.to_string()).or_insert((second, 0));
        if entry.0 != second {
            *entry = (second, 0);
        }
        if entry.1 >= self.per_second {
            return Err(ApiError::rate_limited(1));
        }
        entry.1 += 1;
        Ok(())
    }
}
