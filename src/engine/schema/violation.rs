//! A schema violation as the harness reports it: where in the instance (JSON pointer),
//! what is wrong (one readable sentence), and which schema keyword said so.
//!
//! `anyOf` failures are flattened: when every branch but one fails only on the type
//! (e.g. a nullable DecimalAmount holding `"12.5"`), the remaining branch's own errors are
//! reported, at their own (possibly deeper) path; when all branches fail on the type, one
//! violation names the allowed types.

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::ValidationError;
use serde::Serialize;

/// One way an instance breaks its schema.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct SchemaViolation {
    /// JSON pointer into the validated document (`""` is the document itself).
    pub instance_path: String,
    /// What is wrong, e.g. `"12.5" does not match "^(0|[1-9][0-9]*)\.[0-9]{2}$"`.
    pub message: String,
    /// JSON pointer of the failing keyword inside the schema (`/properties/price/...`).
    pub schema_path: String,
}

impl std::fmt::Display for SchemaViolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = if self.instance_path.is_empty() {
            "(document)"
        } else {
            &self.instance_path
        };
        write!(f, "{at}: {}", self.message)
    }
}

impl SchemaViolation {
    /// The same violation, placed under `prefix` (a JSON pointer) of an enclosing document.
    pub fn nested_under(mut self, prefix: &str) -> SchemaViolation {
        self.instance_path = format!("{prefix}{}", self.instance_path);
        self
    }
}

/// The violations one jsonschema error stands for (usually one).
pub(crate) fn violations_of(error: &ValidationError<'_>, out: &mut Vec<SchemaViolation>) {
    match &error.kind {
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            explain_alternatives(error, context, out)
        }
        _ => out.push(SchemaViolation {
            instance_path: error.instance_path.as_str().to_owned(),
            message: error.to_string(),
            schema_path: error.schema_path.as_str().to_owned(),
        }),
    }
}

fn explain_alternatives(
    error: &ValidationError<'_>,
    branches: &[Vec<ValidationError<'static>>],
    out: &mut Vec<SchemaViolation>,
) {
    let here = error.instance_path.as_str();
    let is_type_mismatch = |branch: &Vec<ValidationError<'static>>| {
        !branch.is_empty()
            && branch.iter().all(|e| {
                e.instance_path.as_str() == here
                    && matches!(e.kind, ValidationErrorKind::Type { .. })
            })
    };
    let mut relevant = branches.iter().filter(|b| !is_type_mismatch(b));
    match (relevant.next(), relevant.next()) {
        (Some(only), None) => {
            for inner in only {
                violations_of(inner, out);
            }
        }
        (None, _) => {
            let mut allowed: Vec<String> = Vec::new();
            for branch in branches {
                for e in branch {
                    if let ValidationErrorKind::Type { kind } = &e.kind {
                        match kind {
                            TypeKind::Single(t) => allowed.push(format!("\"{t}\"")),
                            TypeKind::Multiple(set) => {
                                allowed.extend(set.iter().map(|t| format!("\"{t}\"")))
                            }
                        }
                    }
                }
            }
            allowed.dedup();
            out.push(SchemaViolation {
                instance_path: here.to_owned(),
                message: format!("{} is not of type {}", error.instance, allowed.join(" or ")),
                schema_path: error.schema_path.as_str().to_owned(),
            });
        }
        (Some(_), Some(_)) => {
            let alternatives: Vec<String> = branches
                .iter()
                .map(|branch| {
                    let mut inner = Vec::new();
                    for e in branch {
                        violations_of(e, &mut inner);
                    }
                    inner
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .collect();
            out.push(SchemaViolation {
                instance_path: here.to_owned(),
                message: format!(
                    "{} matches none of the allowed forms: {}",
                    error.instance,
                    alternatives.join(" | ")
                ),
                schema_path: error.schema_path.as_str().to_owned(),
            });
        }
    }
}

/// Sorts violations into their reporting order (by instance path, then schema path) and
/// drops exact duplicates.
pub(crate) fn in_report_order(mut violations: Vec<SchemaViolation>) -> Vec<SchemaViolation> {
    violations.sort_by(|a, b| {
        (&a.instance_path, &a.schema_path, &a.message).cmp(&(
            &b.instance_path,
            &b.schema_path,
            &b.message,
        ))
    });
    violations.dedup();
    violations
}
