//! Values found by their derived names: an enum whose names strum derives
//! (`VariantArray` + `IntoStaticStr`) is parsed by one lookup instead of a hand-kept table.

/// A name that is none of the values a flag or field takes: what it names, the value
/// given, and the ones it may be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{value}`; one of: {}", .known.join(", "))]
pub struct UnknownName {
    pub what: &'static str,
    pub value: String,
    pub known: Vec<String>,
}

impl UnknownName {
    pub fn new<T: ToString>(
        what: &'static str,
        value: &str,
        known: impl IntoIterator<Item = T>,
    ) -> UnknownName {
        UnknownName {
            what,
            value: value.to_string(),
            known: known.into_iter().map(|k| k.to_string()).collect(),
        }
    }
}

/// The variant whose derived name is `name`.
pub fn by_name<T>(name: &str) -> Option<T>
where
    T: strum::VariantArray + Copy + Into<&'static str>,
{
    T::VARIANTS.iter().copied().find(|v| (*v).into() == name)
}
