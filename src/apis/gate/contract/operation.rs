//! Which documented operation an exchange addressed (contract §4–§9), derived from its
//! method and path alone, and what the contract documents for it: the status codes it may
//! answer, and the kind of object its success body carries.
//!
//! **Invariant:** classification never looks at the response, so a broken server cannot
//! change which rules apply to it.

use serde_json::Value;

/// A documented route of the Gate API (or none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    Health,
    ProductTypes,
    ProductCategories,
    Products,
    Product,
    Orders,
    Order,
    Balance,
    Deposits,
    AdminAgents,
    AdminDeposits,
    AdminKeys,
    AdminRevokeKey,
    AdminOrderTransition,
    Unknown,
}

/// What an object in a success body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Health,
    ProductType,
    ProductCategory,
    Product,
    Order,
    Balance,
    Deposit,
}

/// A route plus the method used on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    pub route: Route,
    /// The method is one the route supports.
    pub supported: bool,
    pub method: Method,
}

/// The methods the harness distinguishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Delete,
    Head,
    Other,
}

impl Method {
    pub fn parse(m: &str) -> Method {
        match m.to_ascii_uppercase().as_str() {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "DELETE" => Method::Delete,
            "HEAD" => Method::Head,
            _ => Method::Other,
        }
    }
}

impl Route {
    /// Classifies a path (query ignored). Agent routes match whatever `{agent_id}` says.
    pub fn of_path(path: &str) -> Route {
        let path = path.split(['?', '#']).next().unwrap_or("");
        let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        match segs.as_slice() {
            ["health"] => Route::Health,
            ["agent", _, "product-types"] => Route::ProductTypes,
            ["agent", _, "product-categories"] => Route::ProductCategories,
            ["agent", _, "products"] => Route::Products,
            ["agent", _, "products", _] => Route::Product,
            ["agent", _, "orders"] => Route::Orders,
            ["agent", _, "orders", _] => Route::Order,
            ["agent", _, "balance"] => Route::Balance,
            ["agent", _, "deposits"] => Route::Deposits,
            ["_sandbox", "agents"] => Route::AdminAgents,
            ["_sandbox", "agents", _, "deposits"] => Route::AdminDeposits,
            ["_sandbox", "agents", _, "keys"] => Route::AdminKeys,
            ["_sandbox", "keys", _] => Route::AdminRevokeKey,
            ["_sandbox", "orders", _, "complete" | "fail"] => Route::AdminOrderTransition,
            _ => Route::Unknown,
        }
    }

    /// The methods the route supports (what an `Allow` header must list).
    pub fn allowed_methods(self) -> &'static [&'static str] {
        match self {
            Route::Orders => &["GET", "POST"],
            Route::AdminAgents
            | Route::AdminDeposits
            | Route::AdminKeys
            | Route::AdminOrderTransition => &["POST"],
            Route::AdminRevokeKey => &["DELETE"],
            Route::Unknown => &[],
            _ => &["GET"],
        }
    }

    pub fn is_admin(self) -> bool {
        matches!(
            self,
            Route::AdminAgents
                | Route::AdminDeposits
                | Route::AdminKeys
                | Route::AdminRevokeKey
                | Route::AdminOrderTransition
        )
    }

    pub fn is_list(self) -> bool {
        matches!(
            self,
            Route::ProductTypes
                | Route::ProductCategories
                | Route::Products
                | Route::Orders
                | Route::Balance
                | Route::Deposits
        )
    }
}

impl Operation {
    pub fn of(method: &str, path: &str) -> Operation {
        let route = Route::of_path(path);
        let method_upper = method.to_ascii_uppercase();
        let supported = route.allowed_methods().contains(&method_upper.as_str());
        Operation {
            route,
            supported,
            method: Method::parse(method),
        }
    }

    /// The kind of object the success body carries (a list's items for list routes).
    pub fn success_kind(self) -> Option<Kind> {
        if !self.supported {
            return None;
        }
        match (self.route, self.method) {
            (Route::Health, _) => Some(Kind::Health),
            (Route::ProductTypes, _) => Some(Kind::ProductType),
            (Route::ProductCategories, _) => Some(Kind::ProductCategory),
            (Route::Products | Route::Product, _) => Some(Kind::Product),
            (Route::Orders | Route::Order | Route::AdminOrderTransition, _) => Some(Kind::Order),
            (Route::Balance, _) => Some(Kind::Balance),
            (Route::Deposits | Route::AdminDeposits, _) => Some(Kind::Deposit),
            _ => None,
        }
    }

    /// True when a success body is the list envelope rather than one object.
    pub fn success_is_list(self) -> bool {
        self.supported && self.method == Method::Get && self.route.is_list()
    }

    /// The 2xx–4xx statuses the contract documents for this operation (§3, §5, §9.2, §10).
    /// 5xx are judged by `transport.no_server_errors`, not here.
    pub fn documented_statuses(self) -> &'static [u16] {
        let r = self.route;
        if r == Route::Unknown {
            return &[401, 403, 404, 429];
        }
        if !self.supported {
            // 405 for a known path; auth failures come first (§10). Admin routes check
            // the admin token first; /health has no auth.
            return match r {
                Route::Health => &[405],
                _ if r.is_admin() => &[401, 405],
                _ => &[401, 403, 405, 429],
            };
        }
        match r {
            Route::Health => &[200],
            Route::ProductTypes
            | Route::ProductCategories
            | Route::Products
            | Route::Orders
            | Route::Balance
            | Route::Deposits
                if self.method == Method::Get =>
            {
                &[200, 400, 401, 403, 429]
            }
            Route::Product | Route::Order => &[200, 400, 401, 403, 404, 429],
            Route::Orders => &[201, 400, 401, 403, 409, 415, 422, 429],
            Route::AdminAgents | Route::AdminKeys | Route::AdminDeposits => {
                &[201, 400, 401, 404, 415]
            }
            Route::AdminRevokeKey => &[204, 401, 404],
            Route::AdminOrderTransition => &[200, 401, 404, 409],
            _ => &[],
        }
    }
}

/// The objects of a given kind inside a success body: the body itself, or a list's items.
pub fn objects_in(op: Operation, body: &Value) -> Vec<(Kind, &Value)> {
    let Some(kind) = op.success_kind() else {
        return Vec::new();
    };
    if op.success_is_list() {
        body.get("items")
            .and_then(Value::as_array)
            .map(|items| items.iter().map(|v| (kind, v)).collect())
            .unwrap_or_default()
    } else {
        vec![(kind, body)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_routes_and_methods() {
        let op = Operation::of("GET", "/agent/a/products?limit=2");
        assert_eq!(op.route, Route::Products);
        assert!(op.success_is_list());
        let op = Operation::of("DELETE", "/agent/a/orders");
        assert!(!op.supported);
        assert_eq!(op.documented_statuses(), &[401, 403, 405, 429]);
        assert_eq!(Route::of_path("/agent/a/orders/x/y"), Route::Unknown);
        assert_eq!(
            Operation::of("POST", "/_sandbox/orders/x/fail").success_kind(),
            Some(Kind::Order)
        );
    }
}
