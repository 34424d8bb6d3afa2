//! Diagrams of a model: the context map, the flow, and the event-storming
//! board, in SVG (laid out by Squall itself), DOT, Mermaid, PlantUML, and a
//! self-contained HTML board.
//!
//! Each kind walks the model once into a [`Scene`](scene::Scene); each
//! format prints a scene. SVG and HTML go through [`layout`] first.

mod board;
mod context_map;
mod dot;
mod flow;
mod focus;
mod html;
pub mod layout;
mod mermaid;
mod palette;
mod plantuml;
pub mod scene;
mod svg;
pub mod text;
mod timeline;

#[cfg(test)]
pub(crate) mod fixture;

pub use focus::Focus;

use crate::model::{ContextId, Model};

/// What a diagram shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// Bounded contexts and their relationships.
    ContextMap,
    /// The causal graph: actor → command → event → policy → command.
    Flow,
    /// The event-storming board: a swimlane per context, time left to right.
    Board,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::ContextMap, Kind::Flow, Kind::Board];

    /// The name on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::ContextMap => "context-map",
            Kind::Flow => "flow",
            Kind::Board => "board",
        }
    }
}

/// How a diagram is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    /// A picture, laid out by Squall.
    Svg,
    /// Graphviz.
    Dot,
    /// A Mermaid flowchart, as GitHub renders in Markdown.
    Mermaid,
    Plantuml,
    /// One self-contained page: the picture with pan, zoom, a filter by
    /// context and a details panel.
    Html,
}

impl Format {
    pub const ALL: [Format; 5] = [Format::Svg, Format::Dot, Format::Mermaid, Format::Plantuml, Format::Html];

    /// The name on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Svg => "svg",
            Format::Dot => "dot",
            Format::Mermaid => "mermaid",
            Format::Plantuml => "plantuml",
            Format::Html => "html",
        }
    }

    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Svg => "svg",
            Format::Dot => "dot",
            Format::Mermaid => "mmd",
            Format::Plantuml => "puml",
            Format::Html => "html",
        }
    }
}

/// The scene of a kind of diagram: what is on it, before any format.
pub fn scene(model: &Model, kind: Kind, focus: &[ContextId]) -> scene::Scene {
    let focus = Focus::new(model, focus);
    match kind {
        Kind::ContextMap => context_map::scene(model, &focus),
        Kind::Flow => flow::scene(model, &focus),
        Kind::Board => board::scene(model, &focus),
    }
}

/// Renders a diagram. `focus` names the contexts to show with their direct
/// neighbours; empty shows everything.
pub fn render(model: &Model, kind: Kind, format: Format, focus: &[ContextId]) -> String {
    let scene = scene(model, kind, focus);
    match format {
        Format::Svg => svg::render(&scene, &layout::lay_out(&scene)),
        Format::Dot => dot::render(&scene),
        Format::Mermaid => mermaid::render(&scene),
        Format::Plantuml => plantuml::render(&scene),
        Format::Html => html::render(model, &scene, &layout::lay_out(&scene)),
    }
}
