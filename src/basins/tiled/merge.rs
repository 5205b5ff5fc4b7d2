//! The global merge of the blocks' spill graphs (Barnes 2016).
//!
//! Nodes are labels (label 0 is the sea: every true outlet), edges the
//! lowest heights at which water crosses between two labels. A
//! Priority-Flood over the graph from the sea gives each label its *spill
//! level*: the lowest height, over all paths to an outlet, of the highest
//! crossing on the path (a minimax path). That is the water level of the
//! depression-filled mosaic at the label's perimeter sample.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::flood::{order_key, SpillEdges};

/// The spill level (metres) of every label `0..labels`; label 0 gets
/// `-inf`, labels no path reaches `+inf`.
pub fn spill_levels(labels: usize, edges: &SpillEdges) -> Vec<f32> {
    let mut degree = vec![0u32; labels + 1];
    for &(a, b) in edges.keys() {
        degree[a as usize] += 1;
        degree[b as usize] += 1;
    }
    // Compressed adjacency lists.
    let mut start = vec![0usize; labels + 1];
    for i in 0..labels {
        start[i + 1] = start[i] + degree[i] as usize;
    }
    let mut fill_at = start.clone();
    let mut adjacent = vec![(0u32, 0f32); start[labels]];
    for (&(a, b), &h) in edges {
        adjacent[fill_at[a as usize]] = (b, h);
        fill_at[a as usize] += 1;
        adjacent[fill_at[b as usize]] = (a, h);
        fill_at[b as usize] += 1;
    }
    let mut level = vec![f32::INFINITY; labels];
    let mut done = vec![false; labels];
    let mut open = BinaryHeap::new();
    if labels > 0 {
        level[0] = f32::NEG_INFINITY;
        open.push(Reverse((0u32, 0u32)));
    }
    while let Some(Reverse((_, node))) = open.pop() {
        let node = node as usize;
        if done[node] {
            continue;
        }
        done[node] = true;
        for &(next, h) in &adjacent[start[node]..start[node + 1]] {
            let next = next as usize;
            let via = level[node].max(h);
            if !done[next] && via < level[next] {
                level[next] = via;
                open.push(Reverse((order_key(via), next as u32)));
            }
        }
    }
    level
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hand-made graph: 1 drains to the sea at 5, 2 reaches the sea only
    /// over 1 (crossing at 7) or directly at 9; 3 only over 2 at 4; 4 is cut off.
    #[test]
    fn minimax_levels_by_hand() {
        let mut edges = SpillEdges::new();
        edges.insert((0, 1), 5.0);
        edges.insert((1, 2), 7.0);
        edges.insert((0, 2), 9.0);
        edges.insert((2, 3), 4.0);
        let level = spill_levels(5, &edges);
        assert_eq!(level[0], f32::NEG_INFINITY);
        assert_eq!(level[1], 5.0);
        assert_eq!(level[2], 7.0);
        assert_eq!(level[3], 7.0);
        assert_eq!(level[4], f32::INFINITY);
    }
}
