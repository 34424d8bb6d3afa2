//! What a good picture promises, checked on the geometry itself: no two
//! boxes overlap, every line of text lies inside its box, every arrow
//! starts and ends on the sides of its own two boxes, and no arrow runs
//! through a box other than its own ends and label.
//!
//! The tests run this on every model and kind; it is public so that
//! integration tests check the real boxes rather than a re-parsed SVG.

use super::{Geometry, Part, Rect};

impl Geometry {
    /// Every broken promise, described; empty for a good picture.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let name = |i: usize| format!("{:?}", self.boxes[i].part);

        // Overlaps: sweep over the boxes sorted by their left edge.
        let mut by_left: Vec<usize> = (0..self.boxes.len()).collect();
        by_left.sort_by(|&a, &b| self.boxes[a].rect.x.total_cmp(&self.boxes[b].rect.x).then(a.cmp(&b)));
        for (k, &a) in by_left.iter().enumerate() {
            let ra = self.boxes[a].rect;
            for &b in &by_left[k + 1..] {
                let rb = self.boxes[b].rect;
                if rb.x >= ra.right() {
                    break;
                }
                if ra.overlaps(&rb) {
                    problems.push(format!("{} overlaps {}", name(a), name(b)));
                }
            }
        }

        for (i, placed) in self.boxes.iter().enumerate() {
            for line in &placed.text {
                if !placed.rect.contains(&line.extent()) {
                    problems.push(format!("{}: `{}` spills out of its box", name(i), line.text));
                }
            }
            if !(placed.rect.right() <= self.width && placed.rect.bottom() <= self.height) {
                problems.push(format!("{} lies outside the picture", name(i)));
            }
        }

        // Arrows meet the stickies they join, not a neighbour stacked on
        // them nor the empty space beside them.
        for route in &self.routes {
            let first = route.segments.first().and_then(|s| s.first());
            let last = route.segments.last().and_then(|s| s.last());
            for (point, end, what) in [(first, route.ends.0, "starts"), (last, route.ends.1, "ends")] {
                if !point.is_some_and(|&p| on_side(p, &self.boxes[end].rect)) {
                    problems.push(format!("arrow {} {what} away from {}", route.link, name(end)));
                }
            }
        }

        // Arrows against boxes, through a coarse grid so that a large
        // picture is checked in linear time.
        const CELL: f64 = 200.0;
        let columns = (self.width / CELL).ceil().max(1.0) as usize;
        let rows = (self.height / CELL).ceil().max(1.0) as usize;
        let mut grid: Vec<Vec<usize>> = vec![Vec::new(); columns * rows];
        let cell = |x: f64, y: f64| {
            let c = ((x / CELL).floor().max(0.0) as usize).min(columns - 1);
            let r = ((y / CELL).floor().max(0.0) as usize).min(rows - 1);
            (c, r)
        };
        for (i, placed) in self.boxes.iter().enumerate() {
            if !matches!(placed.part, Part::Node(_) | Part::Label(_)) {
                continue;
            }
            let (c0, r0) = cell(placed.rect.x, placed.rect.y);
            let (c1, r1) = cell(placed.rect.right(), placed.rect.bottom());
            for r in r0..=r1 {
                for c in c0..=c1 {
                    grid[r * columns + c].push(i);
                }
            }
        }
        for route in &self.routes {
            for segment in &route.segments {
                for pair in segment.windows(2) {
                    let (a, b) = (pair[0], pair[1]);
                    // The segment as a thin rectangle; its ends touch boxes
                    // (its own), so shrink it a little.
                    let inset = 0.5;
                    let line = Rect {
                        x: a.0.min(b.0) + if a.0 == b.0 { 0.0 } else { inset },
                        y: a.1.min(b.1) + if a.1 == b.1 { 0.0 } else { inset },
                        w: ((a.0 - b.0).abs() - if a.0 == b.0 { 0.0 } else { 2.0 * inset }).max(0.0),
                        h: ((a.1 - b.1).abs() - if a.1 == b.1 { 0.0 } else { 2.0 * inset }).max(0.0),
                    };
                    let (c0, r0) = cell(line.x, line.y);
                    let (c1, r1) = cell(line.right(), line.bottom());
                    let mut seen = Vec::new();
                    for r in r0..=r1 {
                        for c in c0..=c1 {
                            for &i in &grid[r * columns + c] {
                                if seen.contains(&i) {
                                    continue;
                                }
                                seen.push(i);
                                let own = match self.boxes[i].part {
                                    Part::Label(l) => l == route.link,
                                    _ => false,
                                };
                                if !own && crosses(&line, &self.boxes[i].rect) {
                                    problems.push(format!("arrow {} runs through {}", route.link, name(i)));
                                }
                            }
                        }
                    }
                }
            }
        }
        problems
    }
}

/// Whether a point lies on the left or right side of a box, clear of its
/// corners.
fn on_side(point: (f64, f64), rect: &Rect) -> bool {
    const EPSILON: f64 = 0.01;
    let on_edge = (point.0 - rect.x).abs() < EPSILON || (point.0 - rect.right()).abs() < EPSILON;
    on_edge && point.1 > rect.y + 1.0 && point.1 < rect.bottom() - 1.0
}

/// Whether an axis-aligned segment (as a zero-width rectangle) passes
/// through the inside of a box.
fn crosses(line: &Rect, rect: &Rect) -> bool {
    line.x < rect.right()
        && rect.x < line.right().max(line.x + f64::EPSILON)
        && line.y < rect.bottom()
        && rect.y < line.bottom().max(line.y + f64::EPSILON)
        && !(line.w == 0.0 && (line.x <= rect.x || line.x >= rect.right()))
        && !(line.h == 0.0 && (line.y <= rect.y || line.y >= rect.bottom()))
}
