//! The tera templates of generated files, one per kind of file, compiled
//! into the binary and parsed once per process.

use std::sync::OnceLock;

use serde::Serialize;
use tera::{Context, Tera};

use super::GenError;

/// (name, source) of every template.
const TEMPLATES: &[(&str, &str)] = &[
    ("workspace/Cargo.toml", include_str!("../../templates/workspace/Cargo.toml.tera")),
    ("workspace/gitignore", include_str!("../../templates/workspace/gitignore.tera")),
    ("workspace/README.md", include_str!("../../templates/workspace/README.md.tera")),
    ("support/Cargo.toml", include_str!("../../templates/support/Cargo.toml.tera")),
    ("context/Cargo.toml", include_str!("../../templates/context/Cargo.toml.tera")),
    ("context/lib.rs", include_str!("../../templates/context/lib.rs.tera")),
    ("context/modules.rs", include_str!("../../templates/context/modules.rs.tera")),
    ("context/aggregate.rs", include_str!("../../templates/context/aggregate.rs.tera")),
    ("context/decision.rs", include_str!("../../templates/context/decision.rs.tera")),
    ("context/reaction.rs", include_str!("../../templates/context/reaction.rs.tera")),
    ("context/policy.rs", include_str!("../../templates/context/policy.rs.tera")),
    ("context/read_models.rs", include_str!("../../templates/context/read_models.rs.tera")),
    ("context/upstream.rs", include_str!("../../templates/context/upstream.rs.tera")),
    ("context/http.rs", include_str!("../../templates/context/http.rs.tera")),
    ("service/Cargo.toml", include_str!("../../templates/service/Cargo.toml.tera")),
    ("service/main.rs", include_str!("../../templates/service/main.rs.tera")),
    ("host/Cargo.toml", include_str!("../../templates/host/Cargo.toml.tera")),
    ("host/lib.rs", include_str!("../../templates/host/lib.rs.tera")),
    ("host/main.rs", include_str!("../../templates/host/main.rs.tera")),
    ("host/flows.rs", include_str!("../../templates/host/flows.rs.tera")),
    ("host/decisions_main.rs", include_str!("../../templates/host/decisions_main.rs.tera")),
    ("host/decision_test.rs", include_str!("../../templates/host/decision_test.rs.tera")),
];

/// Files of the `support` crate, copied as they are.
pub const SUPPORT_FILES: &[(&str, &str)] = &[
    ("src/lib.rs", include_str!("../../templates/support/lib.rs")),
    ("src/config.rs", include_str!("../../templates/support/config.rs")),
    ("src/http.rs", include_str!("../../templates/support/http.rs")),
    ("src/projection.rs", include_str!("../../templates/support/projection.rs")),
    ("src/replay.rs", include_str!("../../templates/support/replay.rs")),
    ("src/testing.rs", include_str!("../../templates/support/testing.rs")),
    ("src/timers.rs", include_str!("../../templates/support/timers.rs")),
];

fn tera() -> Result<&'static Tera, GenError> {
    static TERA: OnceLock<Result<Tera, String>> = OnceLock::new();
    let parsed = TERA.get_or_init(|| {
        let mut tera = Tera::default();
        // Generated text is not HTML: nothing is escaped by tera, each view
        // escapes what it puts in (see `rust.rs`).
        tera.autoescape_on(Vec::new());
        tera.add_raw_templates(TEMPLATES.iter().copied()).map_err(|e| format!("{e:?}"))?;
        Ok(tera)
    });
    parsed.as_ref().map_err(|e| GenError::Template(e.clone()))
}

/// Renders template `name` with `view`.
pub fn render(name: &str, view: &impl Serialize) -> Result<String, GenError> {
    let tera = tera()?;
    // One conversion to a JSON value, handed over as it is: serializing the
    // view a second time (`Context::from_serialize`) is the larger half of
    // the cost of a render.
    let value = serde_json::to_value(view).map_err(|e| GenError::Template(format!("{name}: {e}")))?;
    let context = Context::from_value(value).map_err(|e| GenError::Template(format!("{name}: {e:?}")))?;
    tera.render(name, &context).map_err(|e| GenError::Template(format!("{name}: {e:?}")))
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_template_parses() {
        super::tera().unwrap();
    }
}
