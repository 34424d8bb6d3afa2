//! # syntax (error)
//!
//! Reported while the file is read, and while the model is built from it:
//! the file must be a model in one of the two syntaxes (YAML or the Squall
//! DSL), in the shape the format describes.
//!
//! - The file scans and parses (YAML 1.2, or the DSL's grammar).
//! - Every key is one the format knows where it stands; an unknown key is
//!   reported with the closest known key (`agregates` → `aggregates`).
//! - Values have the right shape (a mapping, a list, a string, `true` or
//!   `false`, a number) and the required keys are there: `system`, a
//!   policy's `on` and `then`, a read model's `from`, a service's `kind` and
//!   `owns`, a relationship's `kind`, a flow's `steps`, a hot spot's `text`,
//!   the `type` of a field in its long form.
//! - `actor` and `actors` are not both given.
//! - A repeated key is `syntax` where the mapping holds fields or structural
//!   keys (a repeated element name is `duplicate-name`).
//! - Words from a fixed list are spelt as the format spells them: an actor's
//!   `kind` (`person`, `timer`, `external`, `system`), a service's `kind`
//!   (`api`, `worker`, `projector`), a relationship's `kind`
//!   (`upstream-downstream`, `customer-supplier`, `partnership`,
//!   `shared-kernel`) and roles (`OHS`, `PL`, `ACL`, `CF`).
//! - A relationship has the keys of its kind: `upstream` and `downstream`
//!   (and roles) for the two directed kinds, `between` with exactly two
//!   contexts (and no roles) for a partnership or a shared kernel.
//! - `lints:` names rules by their code and sets them to `allow`, `warn` or
//!   `deny`; only warnings can be allowed or set to `warn`, since errors
//!   cannot be switched off.
//!
//! The DSL parser recovers after an error, so several are reported at once.
//!
//! ## Why
//!
//! Nothing else can be checked about a file that cannot be read, and a
//! misspelt key would otherwise be silently ignored: `emit: [OrderPlaced]`
//! would leave the command without events and the mistake far from where it
//! was made.
//!
//! ## Example
//!
//! ```yaml
//! system: Shop
//! actors:
//!   Buyer: { kind: persn }           # not an actor kind
//! contexts:
//!   Sales:
//!     agregates: {}                  # not a key of a context
//! relationships:
//!   - kind: partnership
//!     upstream: Sales                # a partnership has `between`
//!     downstream: Billing
//! ```
//!
//! ## Fix
//!
//! Follow the help: it names the closest known key or word, or the shape the
//! format expects there. `squall schema` prints a JSON Schema of the YAML
//! format that editors use to complete and check keys as you type.
