//! A scene: what a diagram shows, before anyone decides where it goes or how
//! it is spelled.
//!
//! Each kind of diagram walks the model once and describes its picture as a
//! scene (stickies, the contexts that frame them, the arrows between them);
//! every format prints the same scene. So the context map in Mermaid and the
//! context map in SVG cannot disagree about what is on it.

use std::collections::HashMap;

use crate::model::{ActorKind, Context, Element, Model, PolicyId, ReadModelId};

/// What a box on a diagram stands for; it decides its colour and size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Sticky {
    /// A bounded context drawn as a box (on the context map).
    Context,
    /// A person, timer or system that issues commands.
    Actor,
    /// An actor of kind `external`: an external system.
    External,
    Aggregate,
    Command,
    Event,
    Policy,
    ReadModel,
    Hotspot,
}

impl Sticky {
    /// The word a legend and a details panel use.
    pub fn as_str(self) -> &'static str {
        match self {
            Sticky::Context => "context",
            Sticky::Actor => "actor",
            Sticky::External => "external system",
            Sticky::Aggregate => "aggregate",
            Sticky::Command => "command",
            Sticky::Event => "event",
            Sticky::Policy => "policy",
            Sticky::ReadModel => "read model",
            Sticky::Hotspot => "hot spot",
        }
    }

    /// A CSS-class-like name without spaces.
    pub fn class(self) -> &'static str {
        match self {
            Sticky::Context => "context",
            Sticky::Actor => "actor",
            Sticky::External => "external",
            Sticky::Aggregate => "aggregate",
            Sticky::Command => "command",
            Sticky::Event => "event",
            Sticky::Policy => "policy",
            Sticky::ReadModel => "read-model",
            Sticky::Hotspot => "hotspot",
        }
    }
}

/// One box.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The element's identity on the diagram: `Context.Name`, a bare name for
    /// actors and contexts, `Context.hotspot-N` for hot spots. The board may
    /// show an element more than once (an actor beside each of its
    /// commands); the copies share a key.
    pub key: String,
    pub sticky: Sticky,
    /// The element's name, or a hot spot's text.
    pub title: String,
    /// Smaller lines under the title (a team, counts, a description).
    pub lines: Vec<String>,
    /// The cluster (context frame) the box sits in.
    pub cluster: Option<usize>,
    /// Drawn stuck to that node rather than on its own (an actor on its
    /// command, a hot spot on what it is about); no arrow joins them.
    pub beside: Option<usize>,
    /// The model element it stands for, when it is one.
    pub element: Option<Element>,
}

impl Node {
    /// The sticky of a model element, named by it, with no extra lines.
    pub fn of(model: &Model, element: Element, cluster: Option<usize>) -> Node {
        let sticky = match element {
            Element::Actor(id) if model[id].kind == ActorKind::External => Sticky::External,
            Element::Actor(_) => Sticky::Actor,
            Element::Context(_) => Sticky::Context,
            Element::Aggregate(_) => Sticky::Aggregate,
            Element::Command(_) => Sticky::Command,
            Element::Event(_) => Sticky::Event,
            Element::Policy(_) => Sticky::Policy,
            Element::ReadModel(_) => Sticky::ReadModel,
        };
        Node {
            key: model.qualified_name(element),
            sticky,
            title: model.element_name(element).to_string(),
            lines: Vec::new(),
            cluster,
            beside: None,
            element: Some(element),
        }
    }

    /// With an extra line.
    pub fn with_line(mut self, line: impl Into<String>) -> Node {
        self.lines.push(line.into());
        self
    }
}

impl Node {
    /// The lines a text format puts in the node's label: the title, wrapped
    /// when it is free text, then the other lines.
    pub fn label_lines(&self) -> Vec<String> {
        use super::text::{Font, clean, truncate, wrap};
        const FONT: Font = Font::regular(11.0);
        let mut lines = if self.sticky == Sticky::Hotspot {
            truncate(wrap(&self.title, FONT, 160.0), super::layout::MAX_TITLE_LINES, FONT, 160.0)
        } else {
            vec![clean(&self.title).replace('\n', " ")]
        };
        for line in &self.lines {
            lines.extend(truncate(wrap(line, FONT, 200.0), 4, FONT, 200.0));
        }
        lines
    }
}

/// A frame around the boxes of one bounded context.
#[derive(Clone, Debug, PartialEq)]
pub struct Cluster {
    /// The context's name.
    pub key: String,
    pub title: String,
    /// A smaller line beside the title (the team).
    pub subtitle: Option<String>,
}

/// What an arrow means; it decides how it is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LinkKind {
    /// actor → command
    Issues,
    /// command → aggregate (board) or command → event (flow)
    Handles,
    /// aggregate → event, or command → event
    Emits,
    /// event → policy
    Triggers,
    /// policy → command
    Then,
    /// event → read model
    Feeds,
    /// upstream context → downstream context
    Relationship,
    /// hot spot → what it is about
    About,
}

/// An arrow.
#[derive(Clone, Debug, PartialEq)]
pub struct Link {
    pub from: usize,
    pub to: usize,
    pub kind: LinkKind,
    /// Label lines, the first one the most important.
    pub label: Vec<String>,
    /// Events carried along the arrow (public events crossing a relationship).
    pub events: Vec<String>,
    /// Whether it joins two different contexts.
    pub cross_context: bool,
    /// Without an arrowhead: relationships between equals.
    pub undirected: bool,
}

/// How boxes are arranged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrangement {
    /// Layers from left to right; frames fit tightly around their boxes.
    Layered,
    /// A board: time runs left to right, and every cluster is a swimlane as
    /// wide as the board.
    Lanes,
}

/// A whole picture.
#[derive(Clone, Debug, PartialEq)]
pub struct Scene {
    pub title: String,
    pub arrangement: Arrangement,
    pub clusters: Vec<Cluster>,
    pub nodes: Vec<Node>,
    pub links: Vec<Link>,
    /// "Comes before" hints that are not drawn (the order of a flow's steps,
    /// of an aggregate's commands); they bend to the links when they
    /// disagree.
    pub before: Vec<(usize, usize)>,
    /// The stickies a legend explains, in the order it lists them.
    pub legend: Vec<Sticky>,
    /// The first node of every element on the scene.
    first: HashMap<Element, usize>,
}

impl Cluster {
    /// The frame's title on one line, with the team.
    pub fn label(&self) -> String {
        let title = super::text::clean(&self.title).replace('\n', " ");
        match &self.subtitle {
            Some(subtitle) => format!("{title} · {}", super::text::clean(subtitle).replace('\n', " ")),
            None => title,
        }
    }
}

impl Link {
    /// The lines a text format puts on the arrow: the label, then the
    /// events it carries.
    pub fn label_lines(&self) -> Vec<String> {
        self.label.iter().chain(&self.events).map(|l| super::text::clean(l).replace('\n', " ")).collect()
    }
}

impl Scene {
    pub fn new(title: String, arrangement: Arrangement) -> Scene {
        Scene {
            title,
            arrangement,
            clusters: Vec::new(),
            nodes: Vec::new(),
            links: Vec::new(),
            before: Vec::new(),
            legend: Vec::new(),
            first: HashMap::new(),
        }
    }

    /// Adds a node and returns its index.
    pub fn add(&mut self, node: Node) -> usize {
        let index = self.nodes.len();
        if let Some(element) = node.element {
            self.first.entry(element).or_insert(index);
        }
        self.nodes.push(node);
        index
    }

    /// The first node that stands for `element`, if it is on the scene.
    pub fn first(&self, element: Element) -> Option<usize> {
        self.first.get(&element).copied()
    }

    /// Adds a context's frame and returns its index.
    pub fn add_cluster(&mut self, context: &Context) -> usize {
        self.clusters.push(Cluster {
            key: context.name.value.clone(),
            title: context.name.value.clone(),
            subtitle: context.team.clone(),
        });
        self.clusters.len() - 1
    }

    /// Adds "comes before" hints between the first nodes of elements, where
    /// both are on the scene.
    pub fn add_order(&mut self, order: impl IntoIterator<Item = (Element, Element)>) {
        for (a, b) in order {
            if let (Some(a), Some(b)) = (self.first(a), self.first(b)) {
                self.before.push((a, b));
            }
        }
    }

    /// Adds an arrow with no label.
    pub fn link(&mut self, from: usize, to: usize, kind: LinkKind) {
        let cross_context = self.nodes[from].cluster.is_some()
            && self.nodes[to].cluster.is_some()
            && self.nodes[from].cluster != self.nodes[to].cluster;
        self.links.push(Link {
            from,
            to,
            kind,
            label: Vec::new(),
            events: Vec::new(),
            cross_context,
            undirected: false,
        });
    }

    /// Joins every policy and read model on the scene to the events they
    /// react to, and every policy to the command it issues: event →
    /// policy → command, event → read model. Each arrow joins the first
    /// node of each element, and only where both are on the scene (a
    /// focused diagram leaves some out).
    pub fn link_reactions(&mut self, model: &Model) {
        let mut connect = |from: Element, to: Element, kind: LinkKind| {
            if let (Some(a), Some(b)) = (self.first(from), self.first(to)) {
                self.link(a, b, kind);
            }
        };
        for (i, policy) in model.policies.iter().enumerate() {
            let id = Element::Policy(PolicyId(i as u32));
            for event in &policy.on {
                connect(Element::Event(event.value), id, LinkKind::Triggers);
            }
            if let Some(then) = &policy.then {
                connect(id, Element::Command(then.value), LinkKind::Then);
            }
        }
        for (i, read_model) in model.read_models.iter().enumerate() {
            let id = Element::ReadModel(ReadModelId(i as u32));
            for event in &read_model.from {
                connect(Element::Event(event.value), id, LinkKind::Feeds);
            }
        }
    }

    /// The context a node belongs to, for filtering by context: its
    /// cluster's, or its own when it is a context.
    pub fn context_of(&self, node: usize) -> Option<&str> {
        let node = &self.nodes[node];
        match node.cluster {
            Some(c) => Some(self.clusters[c].key.as_str()),
            None if node.sticky == Sticky::Context => Some(node.key.as_str()),
            None => None,
        }
    }

    /// Fills the legend with the stickies that occur, in a fixed order.
    pub fn fill_legend(&mut self) {
        const ORDER: [Sticky; 9] = [
            Sticky::Actor,
            Sticky::External,
            Sticky::Command,
            Sticky::Aggregate,
            Sticky::Event,
            Sticky::Policy,
            Sticky::ReadModel,
            Sticky::Hotspot,
            Sticky::Context,
        ];
        let present: std::collections::BTreeSet<Sticky> = self.nodes.iter().map(|n| n.sticky).collect();
        self.legend = ORDER.into_iter().filter(|s| present.contains(s) && *s != Sticky::Context).collect();
    }
}
