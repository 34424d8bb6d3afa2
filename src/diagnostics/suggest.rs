//! "Did you mean" suggestions: the closest existing name to a misspelt one.

/// The candidate closest to `wanted`, if any is close enough to be a likely
/// typo (Jaro-Winkler similarity, case-insensitive).
pub fn closest<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let wanted_lower = wanted.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&wanted_lower, &c.to_lowercase()), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, c)| c)
}

/// `did you mean `X`?` for the closest candidate, if any.
pub fn did_you_mean<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    closest(wanted, candidates).map(|c| format!("did you mean `{c}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_typos_and_ignores_strangers() {
        let keys = ["aggregates", "policies", "read_models", "hotspots"];
        assert_eq!(closest("agregates", keys), Some("aggregates"));
        assert_eq!(closest("readmodels", keys), Some("read_models"));
        assert_eq!(closest("zzz", keys), None);
    }
}
