//! The live catalog, as the generators need it: a thin view of the Gate's one catalog
//! discovery (`apis::gate::catalog`), keeping the orderable products with their price
//! rules and field rules, plus the ids that make near-valid invalid orders (an
//! unavailable product, an unknown id).

use std::collections::BTreeSet;

use crate::apis::gate::catalog;
use crate::apis::gate::money::Amount;

pub use crate::apis::gate::catalog::{FieldRule, Orderable, PriceRule};

/// The part of the catalog the invariant probes use.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub products: Vec<Orderable>,
    /// An existing product with `is_available: false`, when the catalog has one.
    pub unavailable: Option<u64>,
    /// An id no product has.
    pub unknown_id: u64,
}

/// Why the catalog could not be used.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error(transparent)]
    Discovery(#[from] catalog::CatalogError),
    #[error("the catalog has no available product the probes can order")]
    Empty,
}

impl Catalog {
    /// The view of a discovered catalog; `Empty` when nothing can be ordered.
    pub fn from_catalog(c: catalog::Catalog) -> Result<Catalog, CatalogError> {
        if c.orderable.is_empty() {
            return Err(CatalogError::Empty);
        }
        Ok(Catalog {
            products: c.orderable,
            unavailable: c.unavailable,
            unknown_id: c.unknown_id,
        })
    }

    /// The currencies of orderable products, sorted.
    pub fn currencies(&self) -> Vec<String> {
        let set: BTreeSet<&str> = self.products.iter().map(|p| p.currency.as_str()).collect();
        set.into_iter().map(str::to_string).collect()
    }

    /// The largest single-order charge per currency (sizes the generated deposits).
    pub fn max_charge(&self, currency: &str) -> Amount {
        self.products
            .iter()
            .filter(|p| p.currency == currency)
            .map(Orderable::max_charge)
            .max()
            .unwrap_or(Amount::from_minor(10_000))
    }

    /// The cheapest voucher (the concurrency probes order it: quantity 1, no rounding).
    pub fn cheapest_voucher(&self) -> Option<&Orderable> {
        self.products
            .iter()
            .filter(|p| p.is_voucher())
            .min_by_key(|p| p.min_charge())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub use crate::apis::gate::catalog::tests::sample_products;

    /// The view of sample products.
    pub fn sample() -> Catalog {
        Catalog::from_catalog(catalog::Catalog::from_lists(&sample_products(), &[], &[])).unwrap()
    }

    #[test]
    fn keeps_orderable_products_and_finds_the_unavailable_one() {
        let c = sample();
        assert_eq!(c.products.len(), 2);
        assert_eq!(c.unavailable, Some(3));
        assert!(c.unknown_id > 3);
        assert_eq!(c.currencies(), vec!["USD".to_string()]);
        assert_eq!(c.cheapest_voucher().map(|v| v.id), Some(1));
        assert_eq!(c.max_charge("USD"), Amount::from_minor(62_500));
    }

    #[test]
    fn nothing_orderable_is_empty() {
        let gone = vec![sample_products().remove(2)];
        let c = catalog::Catalog::from_lists(&gone, &[], &[]);
        assert!(matches!(Catalog::from_catalog(c), Err(CatalogError::Empty)));
    }
}
