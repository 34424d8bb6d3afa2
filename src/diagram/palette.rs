//! The standard event-storming colours, one per kind of sticky, shared by
//! every format that can colour a box.

use super::scene::{LinkKind, Sticky};

/// Fill and text colour of a sticky.
pub fn fill(sticky: Sticky) -> &'static str {
    match sticky {
        Sticky::Context => "#F5F7FA",
        Sticky::Actor => "#FFF176",
        Sticky::External => "#F48FB1",
        Sticky::Aggregate => "#FFE082",
        Sticky::Command => "#5DADE2",
        Sticky::Event => "#FFA940",
        Sticky::Policy => "#CE93D8",
        Sticky::ReadModel => "#A5D6A7",
        Sticky::Hotspot => "#EF5350",
    }
}

/// A darker edge for the same sticky, so that stickies stand apart from a
/// white page.
pub fn stroke(sticky: Sticky) -> &'static str {
    match sticky {
        Sticky::Context => "#546E7A",
        Sticky::Actor => "#C9B92E",
        Sticky::External => "#C2185B",
        Sticky::Aggregate => "#C9A23A",
        Sticky::Command => "#2E86C1",
        Sticky::Event => "#D9822B",
        Sticky::Policy => "#9C5BA8",
        Sticky::ReadModel => "#5E9F62",
        Sticky::Hotspot => "#B71C1C",
    }
}

/// Text on the sticky; dark on every colour but the hot spot's red.
pub fn ink(sticky: Sticky) -> &'static str {
    match sticky {
        Sticky::Hotspot => "#FFFFFF",
        _ => "#1A1A1A",
    }
}

/// Arrows inside a context are quiet; arrows between contexts stand out.
pub fn arrow(kind: LinkKind, cross_context: bool) -> &'static str {
    match (kind, cross_context) {
        (LinkKind::Relationship, _) => "#37474F",
        (_, true) => "#C2185B",
        _ => "#78909C",
    }
}

/// The outline of a context's frame.
pub const FRAME: &str = "#90A4AE";
/// The background of a context's frame.
pub const FRAME_FILL: &str = "#F7F9FB";
