//! Name rules shared by the check and the emitters: the patterns names
//! follow, the names generated code reserves, and conversions between cases
//! (a context `CardPayments` is the path segment `card-payments` and the
//! crate `card_payments`).

/// PascalCase: `^[A-Z][A-Za-z0-9]*$`.
pub fn is_pascal_case(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase()) && chars.all(|c| c.is_ascii_alphanumeric())
}

/// snake_case: `^[a-z][a-z0-9_]*$`.
pub fn is_snake_case(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// kebab-case: `^[a-z][a-z0-9-]*$`.
pub fn is_kebab_case(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Every Rust keyword, strict, reserved and weak-but-troublesome, for fields
/// and service names.
pub const RUST_KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false", "fn",
    "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self", "static",
    "struct", "super", "trait", "true", "type", "unsafe", "use", "where", "while", "abstract", "become", "box", "do",
    "final", "gen", "macro", "override", "priv", "try", "typeof", "unsized", "virtual", "yield", "union",
];

/// PascalCase names that generated code uses itself.
pub const RESERVED_TYPE_NAMES: &[&str] =
    &["Self", "Result", "Option", "Vec", "String", "Box", "Ok", "Err", "Some", "None"];

/// Why a name is reserved, if it is: `Some("a Rust keyword")`.
pub fn reserved_field_name(name: &str) -> Option<&'static str> {
    RUST_KEYWORDS.contains(&name).then_some("a Rust keyword")
}

/// Why a PascalCase name is reserved, if it is.
pub fn reserved_type_name(name: &str) -> Option<&'static str> {
    RESERVED_TYPE_NAMES.contains(&name).then_some("a name the generated Rust code uses itself")
}

/// Splits `CardPayment2Fast` into `["Card", "Payment2", "Fast"]`, and
/// `card_payment` or `card-payment` into `["card", "payment"]`.
pub fn words(name: &str) -> Vec<&str> {
    let mut words = Vec::new();
    let mut start = None;
    let bytes = name.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'_' || b == b'-' || b == b' ' {
            if let Some(s) = start.take() {
                words.push(&name[s..i]);
            }
            continue;
        }
        let boundary = b.is_ascii_uppercase()
            && i > 0
            && (bytes[i - 1].is_ascii_lowercase()
                || bytes[i - 1].is_ascii_digit()
                || (bytes[i - 1].is_ascii_uppercase() && bytes.get(i + 1).is_some_and(u8::is_ascii_lowercase)));
        if boundary && let Some(s) = start.take() {
            words.push(&name[s..i]);
        }
        start.get_or_insert(i);
    }
    if let Some(s) = start {
        words.push(&name[s..]);
    }
    words
}

/// `CardPayment` → `card-payment`.
pub fn kebab_case(name: &str) -> String {
    words(name).iter().map(|w| w.to_ascii_lowercase()).collect::<Vec<_>>().join("-")
}

/// `CardPayment` → `card_payment`.
pub fn snake_case(name: &str) -> String {
    words(name).iter().map(|w| w.to_ascii_lowercase()).collect::<Vec<_>>().join("_")
}

/// `card_payment` → `CardPayment`.
pub fn pascal_case(name: &str) -> String {
    words(name)
        .iter()
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + &c.as_str().to_ascii_lowercase(),
                None => String::new(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(is_pascal_case("Payment2"));
        assert!(!is_pascal_case("payment"));
        assert!(!is_pascal_case("Card_Payment"));
        assert!(is_snake_case("merchant_id"));
        assert!(!is_snake_case("merchantId"));
        assert!(is_kebab_case("billing-api"));
        assert!(!is_kebab_case("-api"));
    }

    #[test]
    fn cases() {
        assert_eq!(kebab_case("CardPayment"), "card-payment");
        assert_eq!(snake_case("HTTPServer"), "http_server");
        assert_eq!(snake_case("Payment2Fast"), "payment2_fast");
        assert_eq!(pascal_case("merchant_id"), "MerchantId");
        assert_eq!(kebab_case("PaymentProvider"), "payment-provider");
    }
}
