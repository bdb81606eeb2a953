//! Values found by their derived names: an enum whose names strum derives
//! (`VariantArray` + `IntoStaticStr`) is parsed by one lookup instead of a hand-kept table.

/// The variant whose derived name is `name`.
pub fn by_name<T>(name: &str) -> Option<T>
where
    T: strum::VariantArray + Copy + Into<&'static str>,
{
    T::VARIANTS.iter().copied().find(|v| (*v).into() == name)
}
