//! Which keys the YAML format allows where: one table, read by the reader
//! (unknown keys, missing required keys, the shape each value must have),
//! the printer (the canonical order of keys) and the JSON Schema (`squall
//! schema`), so the three cannot drift apart.

/// The kind of thing a mapping describes: the top level, an actor, a command…
#[derive(Debug)]
pub struct Shape {
    /// How messages name it: "a command".
    pub what: &'static str,
    /// The pattern its names follow, for shapes that are named elements.
    pub names: Option<&'static str>,
    /// A short example body, for helps.
    pub example: &'static str,
    /// What it is, from the format's element table.
    pub doc: &'static str,
    /// Its keys, in the canonical order `fmt` writes them.
    pub keys: &'static [Key],
}

/// One key of a shape.
#[derive(Debug)]
pub struct Key {
    pub name: &'static str,
    pub value: ValueKind,
    /// A missing required key is a `syntax` error.
    pub required: bool,
    pub doc: &'static str,
}

/// The shape of a key's value.
#[derive(Debug)]
pub enum ValueKind {
    /// Any text: a description, a name, a reference, a type.
    Text,
    /// A word from a fixed set, kept as written (the model checks it).
    Word(&'static [&'static str]),
    /// `true` or `false`.
    Bool,
    /// A positive whole number.
    Version,
    /// One value or a list of values (references, roles); `Some` gives the
    /// words allowed.
    List(Option<&'static [&'static str]>),
    /// A mapping from names to elements of a shape.
    Elements(&'static Shape),
    /// A mapping from field names to types, short or long form.
    Fields,
    /// A mapping from rule codes to levels.
    Lints,
    /// One hot spot or a list of them.
    Hotspots,
    /// A list of relationships.
    Relationships,
}

impl Shape {
    pub fn key(&self, name: &str) -> Option<&'static Key> {
        self.keys.iter().find(|key| key.name == name)
    }

    pub fn key_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.keys.iter().map(|key| key.name)
    }
}

pub const PASCAL_CASE: &str = "^[A-Z][A-Za-z0-9]*$";
pub const SNAKE_CASE: &str = "^[a-z][a-z0-9_]*$";
pub const KEBAB_CASE: &str = "^[a-z][a-z0-9-]*$";

pub const LEVELS: &[&str] = &["allow", "warn", "deny"];

const fn key(name: &'static str, value: ValueKind, doc: &'static str) -> Key {
    Key { name, value, required: false, doc }
}

const fn required(name: &'static str, value: ValueKind, doc: &'static str) -> Key {
    Key { name, value, required: true, doc }
}

const DESCRIPTION: Key = key("description", ValueKind::Text, "What it is, in a sentence or two.");

pub static FILE: Shape = Shape {
    what: "the model",
    names: None,
    example: "system: Payments",
    doc: "A Squall model: one system described by event storming.",
    keys: &[
        required("system", ValueKind::Text, "The name of the system the model describes."),
        DESCRIPTION,
        key("lints", ValueKind::Lints, "Levels of warnings, as in clippy: `event-tense: allow`, `unused-event: deny`."),
        key("actors", ValueKind::Elements(&ACTOR), "The people, timers and external systems that issue commands."),
        key("contexts", ValueKind::Elements(&CONTEXT), "The bounded contexts of the system."),
        key("relationships", ValueKind::Relationships, "The context map: how bounded contexts depend on each other."),
        key(
            "flows",
            ValueKind::Elements(&FLOW),
            "Stories through the model: commands, events and policies in the order they happen.",
        ),
        key("hotspots", ValueKind::Hotspots, "Open questions and problems about the whole system."),
    ],
};

pub static ACTOR: Shape = Shape {
    what: "an actor",
    names: Some(PASCAL_CASE),
    example: "{ kind: person }",
    doc: "Someone or something that issues commands (a yellow sticky; an external system is pink).",
    keys: &[
        key(
            "kind",
            ValueKind::Word(&["person", "timer", "external", "system"]),
            "`person` (default), `timer`, `external` or `system`.",
        ),
        key(
            "role",
            ValueKind::Text,
            "The authorization role that stands for the actor in tokens (default: its name in kebab-case).",
        ),
        DESCRIPTION,
    ],
};

pub static CONTEXT: Shape = Shape {
    what: "a context",
    names: Some(PASCAL_CASE),
    example: "{ team: Team Blue, aggregates: { ... } }",
    doc: "A bounded context: a part of the system with its own language and model.",
    keys: &[
        key("team", ValueKind::Text, "The team that owns the context."),
        DESCRIPTION,
        key("aggregates", ValueKind::Elements(&AGGREGATE), "The aggregates of the context."),
        key("policies", ValueKind::Elements(&POLICY), "Reactions: whenever an event happens, issue a command."),
        key("read_models", ValueKind::Elements(&READ_MODEL), "Views built from events."),
        key(
            "services",
            ValueKind::Elements(&SERVICE),
            "The deployable services of the context (absent: one service that owns everything).",
        ),
        key("hotspots", ValueKind::Hotspots, "Open questions and problems about this context."),
    ],
};

pub static AGGREGATE: Shape = Shape {
    what: "an aggregate",
    names: Some(PASCAL_CASE),
    example: "{ commands: { ... }, events: { ... } }",
    doc: "An aggregate: the consistency boundary that handles commands and emits events (a large yellow sticky).",
    keys: &[
        DESCRIPTION,
        key("id", ValueKind::Text, "The type of the aggregate's identity (default `uuid`)."),
        key("fields", ValueKind::Fields, "The aggregate's state."),
        key("commands", ValueKind::Elements(&COMMAND), "The commands the aggregate handles."),
        key("events", ValueKind::Elements(&EVENT), "The domain events the aggregate emits."),
    ],
};

pub static FIELD: Shape = Shape {
    what: "a field",
    names: Some(SNAKE_CASE),
    example: "{ type: string, pii: true }",
    doc: "A field: `name: type`, or `name: { type, pii, description }`.",
    keys: &[
        required(
            "type",
            ValueKind::Text,
            "`string`, `int`, `float`, `decimal`, `bool`, `uuid`, `timestamp`, `date`, `list<T>`, and `T?` for an optional `T`.",
        ),
        key(
            "pii",
            ValueKind::Bool,
            "Personal data: encrypted at rest with a per-aggregate key, so forgetting the key erases it.",
        ),
        DESCRIPTION,
    ],
};

pub static COMMAND: Shape = Shape {
    what: "a command",
    names: Some(PASCAL_CASE),
    example: "{ actor: Buyer, emits: [OrderPlaced] }",
    doc: "A command: an intention to change an aggregate (a blue sticky).",
    keys: &[
        DESCRIPTION,
        key("actor", ValueKind::List(None), "The actor that issues the command."),
        key("actors", ValueKind::List(None), "The actors that issue the command, when there are several."),
        key("creates", ValueKind::Bool, "Whether the command starts a new aggregate."),
        key(
            "schedule",
            ValueKind::Text,
            "A 5-field cron schedule (minute, hour, day of month, month, day of week); only with a timer actor.",
        ),
        key("fields", ValueKind::Fields, "The command's parameters."),
        key("emits", ValueKind::List(None), "The events of the same aggregate the command emits (at least one)."),
        key("errors", ValueKind::List(None), "The names of the domain errors the command may return."),
    ],
};

pub static EVENT: Shape = Shape {
    what: "a domain event",
    names: Some(PASCAL_CASE),
    example: "{ public: true, fields: { order_id: uuid } }",
    doc: "A domain event: something that happened, named in the past tense (an orange sticky).",
    keys: &[
        DESCRIPTION,
        key(
            "public",
            ValueKind::Bool,
            "Published to other contexts (default false: only public events cross a context boundary).",
        ),
        key("version", ValueKind::Version, "The schema version of the event (default 1)."),
        key("fields", ValueKind::Fields, "The data the event carries."),
    ],
};

pub static POLICY: Shape = Shape {
    what: "a policy",
    names: Some(PASCAL_CASE),
    example: "{ on: OrderPlaced, then: ReserveStock }",
    doc: "A policy: whenever an event happens, issue a command (a lilac sticky).",
    keys: &[
        DESCRIPTION,
        required("on", ValueKind::List(None), "The event, or list of events, that triggers the policy."),
        required("then", ValueKind::Text, "The command of the same context the policy issues."),
        key(
            "key",
            ValueKind::Text,
            "The field of the triggering event that holds the id of the aggregate `then` acts on.",
        ),
    ],
};

pub static READ_MODEL: Shape = Shape {
    what: "a read model",
    names: Some(PASCAL_CASE),
    example: "{ from: [OrderPlaced], key: order_id }",
    doc: "A read model: a view built from events (a green sticky).",
    keys: &[
        DESCRIPTION,
        required("from", ValueKind::List(None), "The events the read model is built from."),
        key(
            "key",
            ValueKind::Text,
            "The field it is keyed by, present in every `from` event (absent: the id of the event's aggregate).",
        ),
        key("fields", ValueKind::Fields, "The fields the read model stores."),
    ],
};

pub static SERVICE: Shape = Shape {
    what: "a service",
    names: Some(KEBAB_CASE),
    example: "{ kind: api, owns: [Order] }",
    doc: "An autonomous business capability deployed on its own.",
    keys: &[
        required("kind", ValueKind::Word(&["api", "worker", "projector"]), "`api`, `worker` or `projector`."),
        required(
            "owns",
            ValueKind::List(None),
            "The aggregates, policies and read models of the context the service owns.",
        ),
        DESCRIPTION,
    ],
};

pub static FLOW: Shape = Shape {
    what: "a flow",
    names: Some(PASCAL_CASE),
    example: "{ steps: [PlaceOrder, OrderPlaced] }",
    doc: "A story through the model.",
    keys: &[
        DESCRIPTION,
        required(
            "steps",
            ValueKind::List(None),
            "References to commands, events and policies, in the order they happen.",
        ),
    ],
};

pub static HOTSPOT: Shape = Shape {
    what: "a hot spot",
    names: None,
    example: "{ text: Who pays the fees?, on: Payment }",
    doc: "A hot spot: an open question or problem (a red sticky).",
    keys: &[
        required("text", ValueKind::Text, "The question or problem."),
        key("on", ValueKind::Text, "The element the hot spot is about."),
    ],
};

pub const RELATIONSHIP_KINDS: &[&str] = &["upstream-downstream", "customer-supplier", "partnership", "shared-kernel"];

pub static RELATIONSHIP: Shape = Shape {
    what: "a relationship",
    names: None,
    example: "{ kind: customer-supplier, upstream: Orders, downstream: Billing }",
    doc: "A relationship of the context map.",
    keys: &[
        required(
            "kind",
            ValueKind::Word(RELATIONSHIP_KINDS),
            "`upstream-downstream`, `customer-supplier`, `partnership` or `shared-kernel`.",
        ),
        key("upstream", ValueKind::Text, "The upstream context (for `upstream-downstream` and `customer-supplier`)."),
        key(
            "downstream",
            ValueKind::Text,
            "The downstream context (for `upstream-downstream` and `customer-supplier`).",
        ),
        key("upstream_roles", ValueKind::List(Some(&["OHS", "PL"])), "Roles of the upstream: `OHS`, `PL`."),
        key("downstream_roles", ValueKind::List(Some(&["ACL", "CF"])), "Roles of the downstream: `ACL`, `CF`."),
        key(
            "between",
            ValueKind::List(None),
            "The two contexts of a symmetric relationship (`partnership`, `shared-kernel`).",
        ),
        DESCRIPTION,
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    fn all_shapes() -> [&'static Shape; 13] {
        [
            &FILE,
            &ACTOR,
            &CONTEXT,
            &AGGREGATE,
            &FIELD,
            &COMMAND,
            &EVENT,
            &POLICY,
            &READ_MODEL,
            &SERVICE,
            &FLOW,
            &HOTSPOT,
            &RELATIONSHIP,
        ]
    }

    #[test]
    fn no_shape_lists_a_key_twice() {
        for shape in all_shapes() {
            let mut names: Vec<_> = shape.key_names().collect();
            names.sort_unstable();
            let before = names.len();
            names.dedup();
            assert_eq!(before, names.len(), "{}", shape.what);
        }
    }
}
