//! Field types: `string`, `int`, `float`, `decimal`, `bool`, `uuid`,
//! `timestamp`, `date`, `list<T>` and `T?`.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Type {
    String,
    /// 64-bit signed integer.
    Int,
    Float,
    Decimal,
    Bool,
    Uuid,
    /// A UTC instant.
    Timestamp,
    Date,
    List(Box<Type>),
    Optional(Box<Type>),
    /// A type that did not parse; only in a model where `invalid-type` was
    /// reported, never in one a generator accepts.
    Unknown,
}

/// The scalar type names, for "did you mean" help and the JSON Schema.
pub const SCALARS: [&str; 8] = ["string", "int", "float", "decimal", "bool", "uuid", "timestamp", "date"];

/// Why a type did not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeError {
    /// Byte range within the type text.
    pub start: usize,
    pub end: usize,
    pub message: String,
    /// The closest valid name, when the problem is an unknown name.
    pub suggestion: Option<String>,
}

impl Type {
    /// Parses a type as written in a model: `list<uuid>?`, `decimal`, …
    /// Spaces around `<`, `>` and `?` are allowed.
    pub fn parse(text: &str) -> Result<Type, TypeError> {
        let mut parser = Parser { text, pos: 0 };
        let ty = parser.ty(0)?;
        parser.skip_space();
        if parser.pos < text.len() {
            return Err(parser.error(
                parser.pos,
                text.len(),
                format!("unexpected `{}` after the type", &text[parser.pos..]),
            ));
        }
        Ok(ty)
    }

    pub fn is_optional(&self) -> bool {
        matches!(self, Type::Optional(_))
    }

    /// The type without its outer `?`.
    pub fn required(&self) -> &Type {
        match self {
            Type::Optional(inner) => inner,
            other => other,
        }
    }
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn skip_space(&mut self) {
        while self.text[self.pos..].starts_with(' ') {
            self.pos += 1;
        }
    }

    fn error(&self, start: usize, end: usize, message: String) -> TypeError {
        TypeError { start, end, message, suggestion: None }
    }

    fn ty(&mut self, depth: usize) -> Result<Type, TypeError> {
        // Types are written by hand; a few levels of nesting is plenty, and the
        // limit keeps hostile input from recursing without bound.
        if depth > 16 {
            return Err(self.error(self.pos, self.text.len(), "types nest at most 16 levels deep".into()));
        }
        self.skip_space();
        let start = self.pos;
        let rest = &self.text[self.pos..];
        let len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
        let name = &rest[..len];
        self.pos += len;
        let mut ty = match name {
            "string" => Type::String,
            "int" => Type::Int,
            "float" => Type::Float,
            "decimal" => Type::Decimal,
            "bool" => Type::Bool,
            "uuid" => Type::Uuid,
            "timestamp" => Type::Timestamp,
            "date" => Type::Date,
            "list" => {
                self.skip_space();
                if !self.text[self.pos..].starts_with('<') {
                    return Err(self.error(start, self.pos, "`list` needs an element type: `list<T>`".into()));
                }
                self.pos += 1;
                let inner = self.ty(depth + 1)?;
                self.skip_space();
                if !self.text[self.pos..].starts_with('>') {
                    return Err(self.error(start, self.text.len(), "`list<` is not closed with `>`".into()));
                }
                self.pos += 1;
                Type::List(Box::new(inner))
            }
            "" => {
                let found = self.text[self.pos..].chars().next();
                let message = match found {
                    Some(c) => format!("expected a type, found `{c}`"),
                    None => "expected a type".to_string(),
                };
                let end = self.pos + found.map_or(0, char::len_utf8);
                return Err(self.error(start, end, message));
            }
            other => {
                let mut candidates: Vec<&str> = SCALARS.to_vec();
                candidates.push("list");
                let suggestion = crate::diagnostics::suggest::closest(other, candidates).map(str::to_string);
                return Err(TypeError {
                    start,
                    end: self.pos,
                    message: format!("`{other}` is not a type"),
                    suggestion,
                });
            }
        };
        self.skip_space();
        if self.text[self.pos..].starts_with('?') {
            self.pos += 1;
            if ty.is_optional() {
                return Err(self.error(self.pos - 1, self.pos, "a type is optional once: `T?`, not `T??`".into()));
            }
            ty = Type::Optional(Box::new(ty));
            self.skip_space();
            if self.text[self.pos..].starts_with('?') {
                return Err(self.error(self.pos, self.pos + 1, "a type is optional once: `T?`, not `T??`".into()));
            }
        }
        Ok(ty)
    }
}

impl fmt::Display for Type {
    /// The canonical spelling, as `fmt` writes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::String => f.write_str("string"),
            Type::Int => f.write_str("int"),
            Type::Float => f.write_str("float"),
            Type::Decimal => f.write_str("decimal"),
            Type::Bool => f.write_str("bool"),
            Type::Uuid => f.write_str("uuid"),
            Type::Timestamp => f.write_str("timestamp"),
            Type::Date => f.write_str("date"),
            Type::List(inner) => write!(f, "list<{inner}>"),
            Type::Optional(inner) => write!(f, "{inner}?"),
            Type::Unknown => f.write_str("unknown"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form() {
        assert_eq!(Type::parse("string"), Ok(Type::String));
        assert_eq!(Type::parse("string?"), Ok(Type::Optional(Box::new(Type::String))));
        assert_eq!(Type::parse(" list< uuid > ?"), Ok(Type::Optional(Box::new(Type::List(Box::new(Type::Uuid))))));
        assert_eq!(Type::parse("list<decimal?>").map(|t| t.to_string()), Ok("list<decimal?>".into()));
    }

    #[test]
    fn rejects_with_a_place_and_a_suggestion() {
        let err = Type::parse("list<strng>").unwrap_err();
        assert_eq!((err.start, err.end), (5, 10));
        assert_eq!(err.suggestion.as_deref(), Some("string"));
        assert!(Type::parse("int??").is_err());
        assert!(Type::parse("list<int").is_err());
        assert!(Type::parse("").is_err());
        assert!(Type::parse(&"list<".repeat(100)).is_err());
    }
}
