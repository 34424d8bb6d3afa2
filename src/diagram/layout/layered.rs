//! A layered layout, left to right, in horizontal bands.
//!
//! The steps of the classic method, each kept simple and linear or
//! `n log n` so that a model of hundreds of contexts lays out in well under
//! a second:
//!
//! 1. arrows that close a cycle are turned around (depth-first search);
//! 2. ranks: the longest path from the sources, with the "comes before"
//!    hints that agree with the arrows; sources move right up to their
//!    nearest successor so that an actor stands next to its command;
//! 3. arrows longer than one rank get a slot in every rank they pass, so
//!    that they run between boxes, never through them;
//! 4. within every band, each rank is sorted by the barycentre of its
//!    neighbours, sweeping back and forth to remove crossings;
//! 5. vertical places: each box as near its neighbours as the boxes above
//!    it allow (pool-adjacent-violators, so a column stays balanced);
//! 6. arrows are routed orthogonally, turning only in the gaps between
//!    ranks, each on its own track in the gap.
//!
//! Bands (contexts) never share vertical space, so frames drawn around
//! them never overlap.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Space between two boxes of the same rank and band.
const NODE_GAP: f64 = 16.0;
/// Space between two bands.
const BAND_GAP: f64 = 20.0;
/// Space inside a band's frame around its boxes.
const BAND_PAD: f64 = 14.0;
/// The narrowest gap between two ranks.
const RANK_GAP: f64 = 44.0;
/// Space between two tracks of arrows in a gap.
const TRACK: f64 = 8.0;
/// The height of the slot an arrow takes where it passes a rank.
const SLOT: f64 = 6.0;
/// How far from a box's top and bottom a straight arrow keeps, so that it
/// meets the box's side clearly rather than at a corner.
const STRAIGHT_MARGIN: f64 = 10.0;

pub type Point = (f64, f64);

/// The part of a box that arrows attach to, when it is not the whole box: a
/// sticky with companions stacked on it (an actor, a hot spot) is one box
/// to the layout, but its arrows belong to the sticky alone.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Port {
    /// From the box's top to the part's top.
    pub top: f64,
    pub height: f64,
    /// From each side of the box to the part (the box is as wide as its
    /// widest companion, and the part is centred in it).
    pub inset: f64,
}

/// What to lay out: boxes (by size), the band of each, arrows and hints.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    pub sizes: Vec<(f64, f64)>,
    /// Per box, where its arrows attach; a box without one (or beyond the
    /// list) takes its arrows at the middle of its sides.
    pub ports: Vec<Option<Port>>,
    pub bands: Vec<usize>,
    /// Per band: the height of its title (0 for a band without a frame) and
    /// the width the frame needs for it.
    pub band_titles: Vec<(f64, f64)>,
    pub edges: Vec<(usize, usize)>,
    /// `(a, b)`: `a` should come before `b`, if no arrow says otherwise.
    pub hints: Vec<(usize, usize)>,
    /// Frames as wide as the whole picture (swimlanes).
    pub lanes: bool,
    /// Where the picture starts: left margin and top (below any header).
    pub origin: Point,
}

/// Where everything went.
#[derive(Clone, Debug, Default)]
pub struct Placement {
    /// Top-left corner of every box.
    pub corners: Vec<Point>,
    /// Per edge, the points from its source to its target.
    pub routes: Vec<Vec<Point>>,
    /// Per band: its frame (x, y, width, height), `None` when the band has
    /// no title and therefore no frame.
    pub frames: Vec<Option<(f64, f64, f64, f64)>>,
    pub width: f64,
    pub height: f64,
}

/// One position in a rank: a box, or an arrow passing through.
#[derive(Clone, Copy, Debug)]
struct Slot {
    band: usize,
    height: f64,
    width: f64,
    /// Where arrows meet it: from its top, and from its left and right.
    anchor: f64,
    inset: f64,
    /// How far above and below `anchor` an arrow may still meet it.
    reach: f64,
    /// For sorting before any sweep: the box's index, or the arrow's source.
    key: f64,
}

pub fn lay_out(graph: &Graph) -> Placement {
    let n = graph.sizes.len();
    let band_count = graph.band_titles.len().max(graph.bands.iter().map(|b| b + 1).max().unwrap_or(0));

    // 1. Orientation.
    let reversed = back_edges(n, &graph.edges);
    let oriented: Vec<(usize, usize)> =
        graph.edges.iter().zip(&reversed).map(|(&(a, b), &r)| if r { (b, a) } else { (a, b) }).collect();

    // 2. Ranks.
    let order = topological_order(n, &oriented);
    let mut position = vec![0; n];
    for (i, &v) in order.iter().enumerate() {
        position[v] = i;
    }
    let mut preds: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut succs: Vec<Vec<usize>> = vec![Vec::new(); n];
    let kept_hints = graph.hints.iter().filter(|&&(a, b)| a < n && b < n && position[a] < position[b]);
    for &(a, b) in oriented.iter().filter(|(a, b)| a != b).chain(kept_hints) {
        preds[b].push(a);
        succs[a].push(b);
    }
    let mut rank = vec![0usize; n];
    for &v in &order {
        rank[v] = preds[v].iter().map(|&u| rank[u] + 1).max().unwrap_or(0);
    }
    for &v in order.iter().rev() {
        if let Some(nearest) = succs[v].iter().map(|&s| rank[s]).min()
            && preds[v].is_empty()
        {
            rank[v] = rank[v].max(nearest.saturating_sub(1));
        }
    }

    // 3. Slots for long arrows.
    let mut slots: Vec<Slot> = (0..n)
        .map(|v| {
            let (width, height) = graph.sizes[v];
            let port = graph.ports.get(v).copied().flatten();
            Slot {
                band: graph.bands.get(v).copied().unwrap_or(0),
                width,
                height,
                anchor: port.map_or(height / 2.0, |p| p.top + p.height / 2.0),
                inset: port.map_or(0.0, |p| p.inset),
                reach: port.map_or(height, |p| p.height) / 2.0 - STRAIGHT_MARGIN,
                key: v as f64,
            }
        })
        .collect();
    let mut slot_rank = rank.clone();
    let mut chains: Vec<Vec<usize>> = Vec::with_capacity(oriented.len());
    for &(a, b) in &oriented {
        let mut chain = vec![a];
        // Arrows between boxes of the same rank cannot happen with the
        // longest-path ranks, except for a box joined to itself.
        for r in rank[a] + 1..rank[b] {
            slots.push(Slot {
                band: slots[b].band,
                width: 0.0,
                height: SLOT,
                anchor: SLOT / 2.0,
                inset: 0.0,
                reach: 0.0,
                key: a as f64 + 0.5,
            });
            slot_rank.push(r);
            chain.push(slots.len() - 1);
        }
        chain.push(b);
        chains.push(chain);
    }
    let total = slots.len();
    let mut up: Vec<Vec<usize>> = vec![Vec::new(); total];
    let mut down: Vec<Vec<usize>> = vec![Vec::new(); total];
    for chain in &chains {
        for pair in chain.windows(2) {
            if pair[0] != pair[1] {
                down[pair[0]].push(pair[1]);
                up[pair[1]].push(pair[0]);
            }
        }
    }

    // 4. Order within ranks.
    let rank_count = slot_rank.iter().max().map_or(0, |r| r + 1);
    let mut layers: Vec<Vec<usize>> = vec![Vec::new(); rank_count];
    for (s, &r) in slot_rank.iter().enumerate() {
        layers[r].push(s);
    }
    for layer in &mut layers {
        layer.sort_by(|&a, &b| {
            (slots[a].band, slots[a].key)
                .partial_cmp(&(slots[b].band, slots[b].key))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
    }
    let mut index_in_layer = vec![0usize; total];
    let renumber = |layers: &Vec<Vec<usize>>, index_in_layer: &mut Vec<usize>| {
        for layer in layers {
            for (i, &s) in layer.iter().enumerate() {
                index_in_layer[s] = i;
            }
        }
    };
    renumber(&layers, &mut index_in_layer);
    let mut best = layers.clone();
    let mut best_crossings = crossings(&layers, &down, &index_in_layer);
    for sweep in 0..8 {
        if best_crossings == 0 {
            break;
        }
        let downward = sweep % 2 == 0;
        let ranks: Vec<usize> =
            if downward { (1..rank_count).collect() } else { (0..rank_count.saturating_sub(1)).rev().collect() };
        for r in ranks {
            let neighbours = if downward { &up } else { &down };
            let mut keyed: Vec<(usize, f64, usize)> = layers[r]
                .iter()
                .map(|&s| {
                    let near = &neighbours[s];
                    let bary = if near.is_empty() {
                        index_in_layer[s] as f64
                    } else {
                        near.iter().map(|&t| index_in_layer[t] as f64).sum::<f64>() / near.len() as f64
                    };
                    (slots[s].band, bary, s)
                })
                .collect();
            keyed.sort_by(|a, b| {
                (a.0, a.1, index_in_layer[a.2])
                    .partial_cmp(&(b.0, b.1, index_in_layer[b.2]))
                    .unwrap_or(std::cmp::Ordering::Equal)
            });
            layers[r] = keyed.into_iter().map(|(_, _, s)| s).collect();
            for (i, &s) in layers[r].iter().enumerate() {
                index_in_layer[s] = i;
            }
        }
        let now = crossings(&layers, &down, &index_in_layer);
        if now < best_crossings {
            best_crossings = now;
            best = layers.clone();
        }
    }
    layers = best;
    renumber(&layers, &mut index_in_layer);

    // 5. Vertical places, per band, relative to the band's content top.
    let mut local_y = vec![0.0f64; total];
    for layer in &layers {
        let mut bottom: Vec<f64> = vec![0.0; band_count];
        for &s in layer {
            let b = slots[s].band;
            local_y[s] = bottom[b];
            bottom[b] += slots[s].height + NODE_GAP;
        }
    }
    for sweep in 0..4 {
        let downward = sweep % 2 == 0;
        let ranks: Vec<usize> =
            if downward { (1..rank_count).collect() } else { (0..rank_count.saturating_sub(1)).rev().collect() };
        for r in ranks {
            let neighbours = if downward { &up } else { &down };
            let mut start = 0;
            let layer = &layers[r];
            while start < layer.len() {
                let band = slots[layer[start]].band;
                let mut end = start;
                while end < layer.len() && slots[layer[end]].band == band {
                    end += 1;
                }
                let group = &layer[start..end];
                let desired: Vec<f64> = group
                    .iter()
                    .map(|&s| {
                        let (sum, count) = neighbours[s]
                            .iter()
                            .filter(|&&t| slots[t].band == band)
                            .fold((0.0, 0usize), |(sum, count), &t| (sum + local_y[t] + slots[t].anchor, count + 1));
                        if count == 0 { local_y[s] } else { sum / count as f64 - slots[s].anchor }
                    })
                    .collect();
                let heights: Vec<f64> = group.iter().map(|&s| slots[s].height).collect();
                for (&s, y) in group.iter().zip(balance(&desired, &heights, NODE_GAP)) {
                    local_y[s] = y;
                }
                start = end;
            }
        }
    }

    // Band heights, then absolute places.
    let mut content_height = vec![0.0f64; band_count];
    let mut band_has_content = vec![false; band_count];
    for (s, slot) in slots.iter().enumerate() {
        content_height[slot.band] = content_height[slot.band].max(local_y[s] + slot.height);
        band_has_content[slot.band] |= s < n;
    }
    let mut band_top = vec![0.0f64; band_count];
    let mut band_height = vec![0.0f64; band_count];
    let mut y = graph.origin.1;
    for b in 0..band_count {
        let (title_height, _) = graph.band_titles.get(b).copied().unwrap_or((0.0, 0.0));
        let framed = title_height > 0.0;
        if !framed && !band_has_content[b] && content_height[b] == 0.0 {
            continue;
        }
        let pad = if framed { BAND_PAD } else { 0.0 };
        band_top[b] = y;
        band_height[b] = pad + title_height + content_height[b] + pad;
        y += band_height[b] + BAND_GAP;
    }
    let height = (y - BAND_GAP).max(graph.origin.1);
    let absolute_y = |s: usize| -> f64 {
        let b = slots[s].band;
        let (title_height, _) = graph.band_titles.get(b).copied().unwrap_or((0.0, 0.0));
        let pad = if title_height > 0.0 { BAND_PAD } else { 0.0 };
        band_top[b] + pad + title_height + local_y[s]
    };
    // Where arrows meet each slot: the middle of its port.
    let centre_y: Vec<f64> = (0..total).map(|s| absolute_y(s) + slots[s].anchor).collect();

    // 6. Tracks in the gaps, then horizontal places.
    struct Turn {
        chain: usize,
        step: usize,
        from_y: f64,
        to_y: f64,
        group: usize,
    }
    let mut turns_in_gap: Vec<Vec<Turn>> = (0..rank_count).map(|_| Vec::new()).collect();
    // An arrow between neighbouring ranks whose ends face each other runs
    // straight, at a height both boxes share, rather than with a small jog
    // where balancing left their middles a few pixels apart.
    let straight: Vec<Option<f64>> = chains
        .iter()
        .map(|chain| match chain[..] {
            [a, b] if a != b => {
                let low = (centre_y[a] - slots[a].reach).max(centre_y[b] - slots[b].reach);
                let high = (centre_y[a] + slots[a].reach).min(centre_y[b] + slots[b].reach);
                let middle = (centre_y[a] + centre_y[b]) / 2.0;
                (low <= high).then(|| middle.clamp(low, high))
            }
            _ => None,
        })
        .collect();
    for (c, chain) in chains.iter().enumerate() {
        if straight[c].is_some() {
            continue;
        }
        for (step, pair) in chain.windows(2).enumerate() {
            let (a, b) = (pair[0], pair[1]);
            if a == b {
                continue;
            }
            let (ya, yb) = (centre_y[a], centre_y[b]);
            if (ya - yb).abs() > 0.5 {
                turns_in_gap[slot_rank[a]].push(Turn { chain: c, step, from_y: ya, to_y: yb, group: a });
            }
        }
    }
    let mut track_of: Vec<Vec<Option<usize>>> = chains.iter().map(|c| vec![None; c.len()]).collect();
    let mut tracks_in_gap = vec![0usize; rank_count];
    for (gap, turns) in turns_in_gap.iter_mut().enumerate() {
        // Arrows going up take the left tracks, the upper sources first;
        // arrows going down the right ones, the lower sources first: so the
        // arrows of a gap do not cross each other where it can be helped.
        turns.sort_by(|a, b| {
            let key = |t: &Turn| {
                let going_down = t.to_y > t.from_y;
                (going_down, if going_down { -t.from_y } else { t.from_y }, t.group)
            };
            key(a).partial_cmp(&key(b)).unwrap_or(std::cmp::Ordering::Equal)
        });
        // The arrows of one source going one way are next to each other
        // after the sort, and share a track.
        let mut tracks = 0;
        let mut last: Option<(usize, bool)> = None;
        for turn in turns.iter() {
            let key = (turn.group, turn.to_y > turn.from_y);
            if last != Some(key) {
                tracks += 1;
                last = Some(key);
            }
            track_of[turn.chain][turn.step] = Some(tracks - 1);
        }
        tracks_in_gap[gap] = tracks;
    }
    let mut column_width = vec![0.0f64; rank_count];
    for (s, slot) in slots.iter().enumerate() {
        column_width[slot_rank[s]] = column_width[slot_rank[s]].max(slot.width);
    }
    let gap_width: Vec<f64> =
        tracks_in_gap.iter().map(|&t| RANK_GAP.max(2.0 * TRACK + 16.0 + t as f64 * TRACK)).collect();
    let inset = if graph.band_titles.iter().any(|t| t.0 > 0.0) { BAND_PAD } else { 0.0 };
    let mut column_x = vec![0.0f64; rank_count];
    let mut x = graph.origin.0 + inset;
    for r in 0..rank_count {
        column_x[r] = x;
        x += column_width[r] + gap_width[r];
    }
    let content_right = if rank_count == 0 { x } else { x - gap_width[rank_count - 1] };
    let left_x: Vec<f64> =
        (0..total).map(|s| column_x[slot_rank[s]] + (column_width[slot_rank[s]] - slots[s].width) / 2.0).collect();

    let mut routes: Vec<Vec<Point>> = Vec::with_capacity(chains.len());
    for (c, chain) in chains.iter().enumerate() {
        let first = chain[0];
        let last = chain[chain.len() - 1];
        let start_x = left_x[first] + slots[first].width - slots[first].inset;
        let end_x = left_x[last] + slots[last].inset;
        if let Some(y) = straight[c] {
            let points = if reversed[c] { vec![(end_x, y), (start_x, y)] } else { vec![(start_x, y), (end_x, y)] };
            routes.push(points);
            continue;
        }
        let mut points = vec![(start_x, centre_y[first])];
        for (step, pair) in chain.windows(2).enumerate() {
            let (a, b) = (pair[0], pair[1]);
            if let Some(track) = track_of[c][step] {
                let gap = slot_rank[a];
                let gap_left = column_x[gap] + column_width[gap];
                let spread = (tracks_in_gap[gap].saturating_sub(1)) as f64 * TRACK;
                let track_x = gap_left + (gap_width[gap] - spread) / 2.0 + track as f64 * TRACK;
                points.push((track_x, centre_y[a]));
                points.push((track_x, centre_y[b]));
            }
        }
        points.push((end_x, centre_y[last]));
        if reversed[c] {
            points.reverse();
        }
        routes.push(simplify(points));
    }

    // Frames.
    let mut frames = vec![None; band_count];
    let mut band_left = vec![f64::INFINITY; band_count];
    let mut band_right = vec![f64::NEG_INFINITY; band_count];
    for s in 0..n {
        let b = slots[s].band;
        band_left[b] = band_left[b].min(left_x[s]);
        band_right[b] = band_right[b].max(left_x[s] + slots[s].width);
    }
    let mut width = content_right;
    for b in 0..band_count {
        let (title_height, title_width) = graph.band_titles.get(b).copied().unwrap_or((0.0, 0.0));
        if title_height > 0.0 {
            let needed = title_width + 2.0 * BAND_PAD;
            let (left, right) = if band_left[b].is_finite() {
                (band_left[b] - BAND_PAD, (band_right[b] + BAND_PAD).max(band_left[b] - BAND_PAD + needed))
            } else {
                (graph.origin.0, graph.origin.0 + needed)
            };
            width = width.max(right);
            frames[b] = Some((left, band_top[b], right - left, band_height[b]));
        }
    }
    if graph.lanes {
        let right = width.max(content_right + inset);
        for frame in frames.iter_mut().flatten() {
            frame.0 = graph.origin.0;
            frame.2 = right - graph.origin.0;
        }
        width = right;
    }

    Placement { corners: (0..n).map(|v| (left_x[v], absolute_y(v))).collect(), routes, frames, width, height }
}

/// The number of arrows that cross between neighbouring ranks, counted as
/// inversions with a Fenwick tree: `E log V` per pair of ranks.
fn crossings(layers: &[Vec<usize>], down: &[Vec<usize>], index_in_layer: &[usize]) -> usize {
    let mut total = 0;
    for pair in layers.windows(2) {
        let (upper, lower) = (&pair[0], &pair[1]);
        let mut ends: Vec<(usize, usize)> = Vec::new();
        for &s in upper {
            for &t in &down[s] {
                ends.push((index_in_layer[s], index_in_layer[t]));
            }
        }
        ends.sort_unstable();
        let mut tree = vec![0usize; lower.len() + 1];
        for (seen, &(_, t)) in ends.iter().enumerate() {
            // Arrows seen so far that end below `t` cross this one.
            let mut at_most = 0;
            let mut i = t + 1;
            while i > 0 {
                at_most += tree[i];
                i &= i - 1;
            }
            total += seen - at_most;
            let mut i = t + 1;
            while i < tree.len() {
                tree[i] += 1;
                i += i & i.wrapping_neg();
            }
        }
    }
    total
}

/// The edges that close a cycle, found by a depth-first search that starts
/// from each box in order (so the result does not depend on anything but
/// the order of the model).
fn back_edges(n: usize, edges: &[(usize, usize)]) -> Vec<bool> {
    let mut out: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
    for (e, &(a, b)) in edges.iter().enumerate() {
        out[a].push((b, e));
    }
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let mut mark = vec![Mark::New; n];
    let mut back = vec![false; edges.len()];
    for root in 0..n {
        if mark[root] != Mark::New {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        mark[root] = Mark::Open;
        while let Some(&mut (v, ref mut next)) = stack.last_mut() {
            if let Some(&(w, e)) = out[v].get(*next) {
                *next += 1;
                match mark[w] {
                    Mark::Open => back[e] = true,
                    Mark::New => {
                        mark[w] = Mark::Open;
                        stack.push((w, 0));
                    }
                    Mark::Done => {}
                }
            } else {
                mark[v] = Mark::Done;
                stack.pop();
            }
        }
    }
    back
}

/// A topological order of an acyclic graph, the box that comes first in
/// the model first among those that are free.
fn topological_order(n: usize, edges: &[(usize, usize)]) -> Vec<usize> {
    let mut indegree = vec![0usize; n];
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(a, b) in edges {
        if a != b {
            out[a].push(b);
            indegree[b] += 1;
        }
    }
    let mut free: BinaryHeap<Reverse<usize>> = (0..n).filter(|&v| indegree[v] == 0).map(Reverse).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(Reverse(v)) = free.pop() {
        order.push(v);
        for &w in &out[v] {
            indegree[w] -= 1;
            if indegree[w] == 0 {
                free.push(Reverse(w));
            }
        }
    }
    order
}

/// Places boxes of the given heights, in order, each as near its desired
/// top as the boxes before it allow, at least `gap` apart and never above
/// 0: boxes that push each other form a block centred on their wishes.
fn balance(desired: &[f64], heights: &[f64], gap: f64) -> Vec<f64> {
    struct Block {
        first: usize,
        /// Sum of (desired top of member - its offset in the block).
        sum: f64,
        count: f64,
        height: f64,
    }
    impl Block {
        fn top(&self, floor: f64) -> f64 {
            (self.sum / self.count).max(floor)
        }
    }
    let mut blocks: Vec<Block> = Vec::new();
    for (i, (&d, &h)) in desired.iter().zip(heights).enumerate() {
        let mut block = Block { first: i, sum: d, count: 1.0, height: h };
        while let Some(previous) = blocks.last() {
            let floor = if blocks.len() == 1 { 0.0 } else { f64::NEG_INFINITY };
            let previous_bottom = previous.top(floor) + previous.height + gap;
            if block.top(f64::NEG_INFINITY) >= previous_bottom {
                break;
            }
            let Some(mut merged) = blocks.pop() else { break };
            let offset = merged.height + gap;
            merged.sum += block.sum - block.count * offset;
            merged.count += block.count;
            merged.height += gap + block.height;
            block = merged;
        }
        blocks.push(block);
    }
    let mut tops = vec![0.0; desired.len()];
    let mut floor = 0.0;
    for (b, block) in blocks.iter().enumerate() {
        let last = blocks.get(b + 1).map_or(desired.len(), |next| next.first);
        let mut y = block.top(floor);
        for i in block.first..last {
            tops[i] = y;
            y += heights[i] + gap;
        }
        floor = y;
    }
    tops
}

/// Drops points that lie on the straight line between their neighbours.
fn simplify(points: Vec<Point>) -> Vec<Point> {
    let mut out: Vec<Point> = Vec::with_capacity(points.len());
    for p in points {
        if out.last().is_some_and(|q| (q.0 - p.0).abs() < 0.01 && (q.1 - p.1).abs() < 0.01) {
            continue;
        }
        if out.len() >= 2 {
            let (a, b) = (out[out.len() - 2], out[out.len() - 1]);
            let collinear = ((a.0 - b.0).abs() < 0.01 && (b.0 - p.0).abs() < 0.01)
                || ((a.1 - b.1).abs() < 0.01 && (b.1 - p.1).abs() < 0.01);
            if collinear {
                out.pop();
            }
        }
        out.push(p);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn overlaps(a: (f64, f64, f64, f64), b: (f64, f64, f64, f64)) -> bool {
        a.0 < b.0 + b.2 && b.0 < a.0 + a.2 && a.1 < b.1 + b.3 && b.1 < a.1 + a.3
    }

    #[test]
    fn a_chain_runs_left_to_right() {
        let graph =
            Graph { sizes: vec![(50.0, 20.0); 3], bands: vec![0; 3], edges: vec![(0, 1), (1, 2)], ..Graph::default() };
        let placed = lay_out(&graph);
        assert!(placed.corners[0].0 < placed.corners[1].0 && placed.corners[1].0 < placed.corners[2].0);
        assert_eq!(placed.routes[0].len(), 2, "a straight arrow: {:?}", placed.routes[0]);
    }

    #[test]
    fn cycles_and_long_edges_keep_boxes_apart() {
        let graph = Graph {
            sizes: vec![(60.0, 30.0); 6],
            bands: vec![1, 1, 2, 2, 1, 2],
            band_titles: vec![(0.0, 0.0), (20.0, 80.0), (20.0, 80.0)],
            edges: vec![(0, 1), (1, 2), (2, 0), (0, 3), (3, 4), (4, 5), (0, 5)],
            hints: vec![(5, 0)],
            ..Graph::default()
        };
        let placed = lay_out(&graph);
        for i in 0..6 {
            for j in i + 1..6 {
                let a = (placed.corners[i].0, placed.corners[i].1, 60.0, 30.0);
                let b = (placed.corners[j].0, placed.corners[j].1, 60.0, 30.0);
                assert!(!overlaps(a, b), "{i} and {j} overlap");
            }
        }
        let frames: Vec<_> = placed.frames.iter().flatten().collect();
        assert_eq!(frames.len(), 2);
        assert!(!overlaps(*frames[0], *frames[1]));
        // The cycle's closing arrow still ends at its own target.
        let closing = &placed.routes[2];
        let end = closing[closing.len() - 1];
        assert!((end.1 - (placed.corners[0].1 + 15.0)).abs() < 0.01);
    }

    #[test]
    fn crossings_are_counted_and_removed() {
        let layers = vec![vec![0, 1], vec![2, 3]];
        let down = vec![vec![3], vec![2], vec![], vec![]];
        assert_eq!(crossings(&layers, &down, &[0, 1, 0, 1]), 1);
        assert_eq!(crossings(&layers, &down, &[0, 1, 1, 0]), 0);
        // Laid out, the same graph has its arrows straight.
        let graph =
            Graph { sizes: vec![(40.0, 20.0); 4], bands: vec![0; 4], edges: vec![(0, 3), (1, 2)], ..Graph::default() };
        let placed = lay_out(&graph);
        assert!(placed.routes.iter().all(|r| r.len() == 2), "{:?}", placed.routes);
    }

    #[test]
    fn balance_keeps_order_and_gaps() {
        let tops = balance(&[10.0, 10.0, 10.0], &[20.0, 20.0, 20.0], 5.0);
        assert_eq!(tops, vec![0.0, 25.0, 50.0]);
        let tops = balance(&[100.0, 100.0], &[20.0, 20.0], 10.0);
        assert_eq!(tops, vec![85.0, 115.0]);
        let tops = balance(&[0.0, 200.0], &[20.0, 20.0], 10.0);
        assert_eq!(tops, vec![0.0, 200.0]);
    }
}
