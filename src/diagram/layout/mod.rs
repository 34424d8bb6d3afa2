//! Where every box, frame and arrow of a scene goes, for the SVG and HTML
//! formats, which Squall draws itself.
//!
//! The boxes are sized from their text (measured with [`text`]), handed to
//! the layered layout with one band per context, and the result is
//! returned as plain geometry: rectangles with their lines of text, frames,
//! and arrow routes. The tests check this geometry directly (no two boxes
//! overlap, every line of text inside its box), and the SVG printer draws
//! exactly this.
//!
//! [`text`]: super::text

mod check;
mod layered;

use super::scene::{Arrangement, LinkKind, Scene, Sticky};
use super::text::{self, Font};

pub use layered::Point;

/// A rectangle: top-left corner and size.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Rect {
    pub fn right(&self) -> f64 {
        self.x + self.w
    }

    pub fn bottom(&self) -> f64 {
        self.y + self.h
    }

    /// Whether the two share any area (touching edges do not count).
    pub fn overlaps(&self, other: &Rect) -> bool {
        const EPSILON: f64 = 0.01;
        self.x + EPSILON < other.right()
            && other.x + EPSILON < self.right()
            && self.y + EPSILON < other.bottom()
            && other.y + EPSILON < self.bottom()
    }

    pub fn contains(&self, other: &Rect) -> bool {
        const EPSILON: f64 = 0.01;
        other.x + EPSILON >= self.x
            && other.y + EPSILON >= self.y
            && other.right() <= self.right() + EPSILON
            && other.bottom() <= self.bottom() + EPSILON
    }
}

/// How a line of text hangs from its `x`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anchor {
    Start,
    Middle,
}

/// One line of text at its baseline.
#[derive(Clone, Debug, PartialEq)]
pub struct TextLine {
    pub text: String,
    pub font: Font,
    pub x: f64,
    /// The baseline.
    pub y: f64,
    pub anchor: Anchor,
    /// Drawn dimmer: secondary information.
    pub quiet: bool,
}

impl TextLine {
    /// The area the line's glyphs may cover (ascenders to descenders).
    pub fn extent(&self) -> Rect {
        let w = text::width(&self.text, self.font);
        let x = match self.anchor {
            Anchor::Start => self.x,
            Anchor::Middle => self.x - w / 2.0,
        };
        Rect { x, y: self.y - self.font.size * 0.8, w, h: self.font.size }
    }
}

/// What a placed box is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// A node of the scene, by index.
    Node(usize),
    /// The label of a link of the scene, by index.
    Label(usize),
    /// The title of a cluster's frame, by index.
    FrameTitle(usize),
    /// A legend entry.
    Legend(Sticky),
    /// The title of the picture.
    Title,
}

/// A box with its text.
#[derive(Clone, Debug, PartialEq)]
pub struct Placed {
    pub part: Part,
    pub rect: Rect,
    pub text: Vec<TextLine>,
}

/// A context's frame.
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    pub cluster: usize,
    pub rect: Rect,
}

/// An arrow's path: one or more polylines (an arrow with a label is cut by
/// its label's box); the arrowhead is at the end of the last.
#[derive(Clone, Debug, PartialEq)]
pub struct Route {
    pub link: usize,
    /// The boxes of the link's source and target nodes, where the route
    /// must start and end.
    pub ends: (usize, usize),
    pub segments: Vec<Vec<Point>>,
}

/// The whole picture.
#[derive(Clone, Debug, PartialEq)]
pub struct Geometry {
    pub width: f64,
    pub height: f64,
    /// Every box that must keep clear of every other.
    pub boxes: Vec<Placed>,
    /// Per node of the scene, the index of its box.
    pub node_box: Vec<usize>,
    pub frames: Vec<Frame>,
    pub routes: Vec<Route>,
}

const MARGIN: f64 = 20.0;
const PAD: f64 = 8.0;
const STACK_GAP: f64 = 4.0;
const TITLE_FONT: Font = Font::bold(18.0);
const FRAME_FONT: Font = Font::bold(14.0);
const FRAME_SUBTITLE_FONT: Font = Font::regular(11.0);
const LEGEND_FONT: Font = Font::regular(11.0);
const LINE_FONT: Font = Font::regular(10.0);
/// A sticky shows at most this many lines of its name or hot spot text: a
/// paragraph on a sticky would push the board apart, and the model holds
/// the whole of it.
pub const MAX_TITLE_LINES: usize = 8;

/// The shape of a sticky: its width, its least height, and the font of its
/// title.
struct Shape {
    width: f64,
    min_height: f64,
    title: Font,
    /// Contexts on a map grow with their text up to this width.
    max_width: Option<f64>,
}

fn shape(sticky: Sticky) -> Shape {
    let fixed = |width, min_height, title| Shape { width, min_height, title, max_width: None };
    match sticky {
        Sticky::Context => Shape { width: 170.0, min_height: 70.0, title: Font::bold(15.0), max_width: Some(260.0) },
        Sticky::Actor | Sticky::External => fixed(104.0, 30.0, Font::bold(11.0)),
        Sticky::Aggregate => fixed(136.0, 72.0, Font::bold(13.0)),
        Sticky::Command | Sticky::Event | Sticky::Policy | Sticky::ReadModel => fixed(124.0, 60.0, Font::bold(12.0)),
        Sticky::Hotspot => fixed(150.0, 40.0, Font::regular(11.0)),
    }
}

/// Lays a scene out.
pub fn lay_out(scene: &Scene) -> Geometry {
    let mut boxes: Vec<Placed> = Vec::new();

    // The header: the title, then the legend on one row.
    let title_rect =
        Rect { x: MARGIN, y: MARGIN, w: text::width(&scene.title, TITLE_FONT) + 2.0, h: TITLE_FONT.line_height() };
    boxes.push(Placed {
        part: Part::Title,
        rect: title_rect,
        text: vec![TextLine {
            text: text::clean(&scene.title).replace('\n', " "),
            font: TITLE_FONT,
            x: title_rect.x + 1.0,
            y: title_rect.y + TITLE_FONT.size,
            anchor: Anchor::Start,
            quiet: false,
        }],
    });
    let mut header_bottom = title_rect.bottom();
    let mut legend_x = MARGIN;
    let legend_y = header_bottom + 8.0;
    for &sticky in &scene.legend {
        let label = sticky.as_str();
        let w = 18.0 + text::width(label, LEGEND_FONT) + 2.0;
        let rect = Rect { x: legend_x, y: legend_y, w, h: 16.0 };
        boxes.push(Placed {
            part: Part::Legend(sticky),
            rect,
            text: vec![TextLine {
                text: label.to_string(),
                font: LEGEND_FONT,
                x: rect.x + 18.0,
                y: rect.y + 12.0,
                anchor: Anchor::Start,
                quiet: false,
            }],
        });
        legend_x += w + 14.0;
        header_bottom = rect.bottom();
    }
    let header_width = boxes.iter().map(|b| b.rect.right()).fold(0.0, f64::max);

    // Units: a node with the nodes drawn beside it stacked above it: hot
    // spots on top, then the rest in scene order, so that an actor sits
    // right on its command. Only one level: a companion of a companion
    // stands alone.
    let host = |node: usize| match scene.nodes[node].beside {
        Some(host) if host < scene.nodes.len() && scene.nodes[host].beside.is_none() => host,
        _ => node,
    };
    let mut unit_of = vec![0; scene.nodes.len()];
    let mut stacks: Vec<Vec<usize>> = Vec::new();
    for i in (0..scene.nodes.len()).filter(|&i| host(i) == i) {
        unit_of[i] = stacks.len();
        stacks.push(Vec::new());
    }
    let companions = (0..scene.nodes.len()).filter(|&i| host(i) != i);
    let (hotspots, others): (Vec<usize>, Vec<usize>) =
        companions.partition(|&i| scene.nodes[i].sticky == Sticky::Hotspot);
    for i in hotspots.into_iter().chain(others) {
        unit_of[i] = unit_of[host(i)];
        stacks[unit_of[i]].push(i);
    }
    for i in (0..scene.nodes.len()).filter(|&i| host(i) == i) {
        stacks[unit_of[i]].push(i);
    }

    // Node boxes, sized; placed later.
    let mut node_text: Vec<SizedNode> = scene.nodes.iter().map(size_node).collect();
    let mut graph = layered::Graph {
        lanes: scene.arrangement == Arrangement::Lanes,
        origin: (MARGIN, header_bottom + 16.0),
        ..layered::Graph::default()
    };
    for stack in &stacks {
        let w = stack.iter().map(|&i| node_text[i].0).fold(0.0, f64::max);
        let h = stack.iter().map(|&i| node_text[i].1).sum::<f64>() + STACK_GAP * (stack.len().saturating_sub(1)) as f64;
        let band = stack.last().and_then(|&host| scene.nodes[host].cluster).map_or(0, |c| c + 1);
        // The host is at the bottom of its stack; its arrows are its own.
        let port = stack.last().filter(|_| stack.len() > 1).map(|&host| {
            let (host_w, host_h, _) = &node_text[host];
            layered::Port { top: h - host_h, height: *host_h, inset: (w - host_w) / 2.0 }
        });
        graph.sizes.push((w, h));
        graph.bands.push(band);
        graph.ports.push(port);
    }
    graph.band_titles.push((0.0, 0.0));
    for cluster in &scene.clusters {
        graph.band_titles.push((
            FRAME_FONT.line_height() + 4.0,
            frame_title_width(cluster.title.as_str(), cluster.subtitle.as_deref()),
        ));
    }

    // Arrows; a labelled one runs through a box of its own.
    struct Pending {
        link: usize,
        edges: Vec<usize>,
    }
    let mut pending = Vec::new();
    let mut label_text = Vec::new();
    for (l, link) in scene.links.iter().enumerate() {
        let (a, b) = (unit_of[link.from], unit_of[link.to]);
        if a == b {
            continue;
        }
        if link.label.is_empty() && link.events.is_empty() {
            graph.edges.push((a, b));
            pending.push(Pending { link: l, edges: vec![graph.edges.len() - 1] });
            continue;
        }
        let lines = size_label(&link.label, &link.events);
        let w = lines.iter().map(|(t, f, _)| text::width(t, *f)).fold(0.0, f64::max) + 2.0 * PAD;
        let h = lines.iter().map(|(_, f, _)| f.line_height()).sum::<f64>() + 2.0 * 6.0;
        let unit = graph.sizes.len();
        graph.sizes.push((w, h));
        graph.bands.push(graph.bands[a]);
        label_text.push((unit, l, lines));
        graph.edges.push((a, unit));
        graph.edges.push((unit, b));
        pending.push(Pending { link: l, edges: vec![graph.edges.len() - 2, graph.edges.len() - 1] });
    }
    for &(a, b) in &scene.before {
        if let (Some(&ua), Some(&ub)) = (unit_of.get(a), unit_of.get(b))
            && ua != ub
        {
            graph.hints.push((ua, ub));
        }
    }

    let mut placement = layered::lay_out(&graph);

    // Boxes of the nodes, stacked within their units.
    let mut node_box = vec![0; scene.nodes.len()];
    for (u, stack) in stacks.iter().enumerate() {
        let (ux, uy) = placement.corners[u];
        let uw = graph.sizes[u].0;
        let mut y = uy;
        for &i in stack {
            // Each node is placed once: its lines move into its box.
            let (w, h, lines) = std::mem::take(&mut node_text[i]);
            let rect = Rect { x: ux + (uw - w) / 2.0, y, w, h };
            node_box[i] = boxes.len();
            boxes.push(Placed { part: Part::Node(i), rect, text: centred(rect, lines) });
            y += h + STACK_GAP;
        }
    }
    for (unit, link, lines) in label_text {
        let (x, y) = placement.corners[unit];
        let (w, h) = graph.sizes[unit];
        let rect = Rect { x, y, w, h };
        boxes.push(Placed { part: Part::Label(link), rect, text: centred(rect, lines) });
    }

    // Frames and their titles.
    let mut frames = Vec::new();
    for (c, cluster) in scene.clusters.iter().enumerate() {
        let Some(Some((x, y, w, h))) = placement.frames.get(c + 1) else { continue };
        let rect = Rect { x: *x, y: *y, w: *w, h: *h };
        frames.push(Frame { cluster: c, rect });
        let title_rect = Rect {
            x: rect.x + 10.0,
            y: rect.y + 8.0,
            w: frame_title_width(&cluster.title, cluster.subtitle.as_deref()),
            h: FRAME_FONT.line_height(),
        };
        let baseline = title_rect.y + FRAME_FONT.size;
        let mut text = vec![TextLine {
            text: text::clean(&cluster.title),
            font: FRAME_FONT,
            x: title_rect.x + 1.0,
            y: baseline,
            anchor: Anchor::Start,
            quiet: false,
        }];
        if let Some(subtitle) = &cluster.subtitle {
            text.push(TextLine {
                text: one_line(subtitle),
                font: FRAME_SUBTITLE_FONT,
                x: title_rect.x + 1.0 + text::width(&cluster.title, FRAME_FONT) + 10.0,
                y: baseline,
                anchor: Anchor::Start,
                quiet: true,
            });
        }
        boxes.push(Placed { part: Part::FrameTitle(c), rect: title_rect, text });
    }

    let routes = pending
        .into_iter()
        .map(|p| Route {
            link: p.link,
            ends: (node_box[scene.links[p.link].from], node_box[scene.links[p.link].to]),
            // Every edge belongs to one link: its route moves there.
            segments: p.edges.iter().map(|&e| std::mem::take(&mut placement.routes[e])).collect(),
        })
        .collect::<Vec<_>>();

    Geometry {
        width: placement.width.max(header_width) + MARGIN,
        height: placement.height + MARGIN,
        boxes,
        node_box,
        frames,
        routes,
    }
}

/// A subtitle shown on one line: line breaks become spaces.
fn one_line(text: &str) -> String {
    text::clean(text).replace('\n', " ")
}

fn frame_title_width(title: &str, subtitle: Option<&str>) -> f64 {
    let mut w = text::width(title, FRAME_FONT) + 2.0;
    if let Some(subtitle) = subtitle {
        w += 10.0 + text::width(&one_line(subtitle), FRAME_SUBTITLE_FONT);
    }
    w
}

/// A line of text before it is placed: its text, font, and whether it is
/// secondary.
type StyledLine = (String, Font, bool);

/// A node's box size and its lines, wrapped to fit.
type SizedNode = (f64, f64, Vec<StyledLine>);

/// The size of a node's box and its lines of text, wrapped to fit.
fn size_node(node: &super::scene::Node) -> SizedNode {
    let shape = shape(node.sticky);
    let width = match shape.max_width {
        Some(max) => {
            let natural = std::iter::once(text::width(&node.title, shape.title))
                .chain(node.lines.iter().map(|l| text::width(l, LINE_FONT)))
                .fold(0.0, f64::max)
                + 2.0 * PAD;
            natural.clamp(shape.width, max)
        }
        None => shape.width,
    };
    let inner = width - 2.0 * PAD;
    let mut lines: Vec<StyledLine> =
        text::truncate(text::wrap(&node.title, shape.title, inner), MAX_TITLE_LINES, shape.title, inner)
            .into_iter()
            .map(|l| (l, shape.title, false))
            .collect();
    for line in &node.lines {
        let wrapped = text::truncate(text::wrap(line, LINE_FONT, inner), 4, LINE_FONT, inner);
        lines.extend(wrapped.into_iter().map(|l| (l, LINE_FONT, true)));
    }
    let text_height: f64 = lines.iter().map(|(_, f, _)| f.line_height()).sum();
    (width, (text_height + 2.0 * PAD).max(shape.min_height), lines)
}

/// The lines of a link's label: the first bold, events smaller.
fn size_label(label: &[String], events: &[String]) -> Vec<StyledLine> {
    const MAX: f64 = 200.0;
    let mut lines = Vec::new();
    for (i, line) in label.iter().enumerate() {
        let font = if i == 0 { Font::bold(11.0) } else { Font::regular(11.0) };
        lines.extend(text::wrap(line, font, MAX).into_iter().map(|l| (l, font, false)));
    }
    for event in events {
        lines.extend(text::wrap(event, LINE_FONT, MAX).into_iter().map(|l| (l, LINE_FONT, true)));
    }
    lines
}

/// Lines centred in a box, the block of them centred vertically.
fn centred(rect: Rect, lines: Vec<StyledLine>) -> Vec<TextLine> {
    let total: f64 = lines.iter().map(|(_, f, _)| f.line_height()).sum();
    let mut top = rect.y + (rect.h - total) / 2.0;
    lines
        .into_iter()
        .map(|(text, font, quiet)| {
            let line_height = font.line_height();
            // The baseline sits so that the glyphs are centred in the line.
            let baseline = top + (line_height - font.size) / 2.0 + font.size * 0.8;
            top += line_height;
            TextLine { text, font, x: rect.x + rect.w / 2.0, y: baseline, anchor: Anchor::Middle, quiet }
        })
        .collect()
}

/// The arrow's style class, shared by the SVG and HTML printers.
pub fn arrow_class(kind: LinkKind, cross_context: bool) -> &'static str {
    match (kind, cross_context) {
        (LinkKind::Relationship, _) => "relationship",
        (LinkKind::Feeds, false) => "feeds",
        (LinkKind::Feeds, true) => "feeds cross",
        (_, true) => "cross",
        _ => "local",
    }
}

#[cfg(test)]
mod tests {
    use crate::diagram::{Kind, fixture, scene};

    #[test]
    fn good_pictures_of_every_kind() {
        for model in [fixture::payments(), fixture::awkward()] {
            for kind in Kind::ALL {
                let scene = scene(&model, kind, &[]);
                let geometry = super::lay_out(&scene);
                assert_eq!(geometry.problems(), Vec::<String>::new(), "{} {kind:?}", model.system.value);
                assert_eq!(geometry.node_box.len(), scene.nodes.len());
            }
        }
    }

    #[test]
    fn a_long_hot_spot_is_cut_to_a_sticky() {
        let model = fixture::payments();
        let mut scene = scene(&model, Kind::Board, &[]);
        let hotspot = scene.nodes.iter_mut().find(|n| n.sticky == super::Sticky::Hotspot).expect("a hot spot");
        hotspot.title = "why ".repeat(3000);
        let geometry = super::lay_out(&scene);
        assert_eq!(geometry.problems(), Vec::<String>::new());
        let placed = geometry.boxes.iter().find(|b| b.text.iter().any(|l| l.text.starts_with("why"))).expect("drawn");
        assert_eq!(placed.text.len(), super::MAX_TITLE_LINES);
        assert!(placed.text.last().is_some_and(|l| l.text.ends_with('…')));
    }

    #[test]
    fn the_check_finds_overlaps_and_spills() {
        let model = fixture::payments();
        let scene = scene(&model, Kind::Board, &[]);
        let mut geometry = super::lay_out(&scene);
        let (a, b) = (geometry.node_box[0], geometry.node_box[1]);
        geometry.boxes[b].rect = geometry.boxes[a].rect;
        geometry.boxes[a].text[0].text = "W".repeat(80);
        let problems = geometry.problems();
        assert!(problems.iter().any(|p| p.contains("overlaps")), "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("spills")), "{problems:?}");
    }
}
