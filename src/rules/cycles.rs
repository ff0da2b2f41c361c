//! G009 nesting cycles in bounded memory: the strongly connected components of the
//! group-in-group graph (Tarjan's algorithm, iterative), one finding per component that holds
//! a cycle, naming one shortest cycle through it. Time and memory are linear in groups plus
//! memberships, however many cycles the nesting holds (listing every cycle path is exponential:
//! 3 MB of members reached 2 GB).

use std::collections::VecDeque;

use super::engine::State;
use super::groups::CYCLE;
use super::index::Place;

/// Groups a cycle message names before it says how many more there are.
const NAMES_SHOWN: usize = 12;

/// One component with a cycle: a shortest cycle through its first group (closing edge's place
/// last), and the component's size.
#[derive(Debug, Clone, PartialEq)]
pub struct Knot {
    pub cycle: Vec<u32>,
    pub place: Place,
    pub groups: usize,
}

/// Reports each component with a cycle once, at the membership that closes the cycle shown.
pub fn report(st: &mut State<'_>) {
    let knots = knots(st.group_names.len(), &st.edges);
    for knot in knots {
        let name = |g: &u32| st.group_names.get(*g as usize).map_or("?", |s| &**s);
        let mut names: Vec<&str> = knot.cycle.iter().take(NAMES_SHOWN).map(name).collect();
        if knot.cycle.len() > NAMES_SHOWN {
            names.push("...");
        }
        names.push(knot.cycle.first().map_or("?", name));
        let mut msg = format!("nesting cycle: {}", names.join(" -> "));
        if knot.groups > knot.cycle.len() {
            msg.push_str(&format!(
                " ({} groups in all reach each other through nesting)",
                knot.groups
            ));
        }
        st.enter_file(knot.place.file());
        st.sink.at(&CYCLE, Some(knot.place.line()), None, None, msg);
    }
}

/// The components of `n` groups and their `edges` (from, to, where) that hold a cycle, in order
/// of their first group.
pub fn knots(n: usize, edges: &[(u32, u32, Place)]) -> Vec<Knot> {
    // Adjacency in one flat array (counting sort by source): no Vec per group.
    let mut start = vec![0u32; n + 1];
    for &(from, to, _) in edges {
        if (from as usize) < n && (to as usize) < n {
            start[from as usize + 1] += 1;
        }
    }
    for i in 0..n {
        start[i + 1] += start[i];
    }
    let mut fill = start.clone();
    let mut adj = vec![(0u32, Place::new(0, 0)); start[n] as usize];
    for &(from, to, place) in edges {
        if (from as usize) < n && (to as usize) < n {
            let slot = &mut fill[from as usize];
            adj[*slot as usize] = (to, place);
            *slot += 1;
        }
    }
    let out = |v: u32| &adj[start[v as usize] as usize..start[v as usize + 1] as usize];

    let comp = components(n, &out);
    let mut size = vec![0usize; n];
    for &c in &comp {
        size[c as usize] += 1;
    }
    let mut seen = vec![false; n];
    let mut knots = Vec::new();
    // Reused across components: each BFS touches only its own component.
    let mut parent: Vec<Option<(u32, Place)>> = vec![None; n];
    for first in 0..n as u32 {
        let c = comp[first as usize];
        if seen[c as usize] {
            continue;
        }
        seen[c as usize] = true;
        let groups = size[c as usize];
        let self_loop = out(first).iter().find(|(to, _)| *to == first);
        if groups == 1 {
            if let Some(&(_, place)) = self_loop {
                knots.push(Knot {
                    cycle: vec![first],
                    place,
                    groups,
                });
            }
            continue;
        }
        // Shortest way back to `first` inside the component (breadth first).
        let mut queue = VecDeque::from([first]);
        let mut visited = vec![first];
        let mut closing = None;
        'bfs: while let Some(v) = queue.pop_front() {
            for &(to, place) in out(v) {
                if comp[to as usize] != c {
                    continue;
                }
                if to == first {
                    closing = Some((v, place));
                    break 'bfs;
                }
                if parent[to as usize].is_none() {
                    parent[to as usize] = Some((v, place));
                    visited.push(to);
                    queue.push_back(to);
                }
            }
        }
        if let Some((last, place)) = closing {
            let mut cycle = vec![last];
            let mut v = last;
            while v != first {
                match parent[v as usize] {
                    Some((p, _)) => {
                        cycle.push(p);
                        v = p;
                    }
                    None => break,
                }
            }
            cycle.reverse();
            knots.push(Knot {
                cycle,
                place,
                groups,
            });
        }
        for v in visited {
            parent[v as usize] = None;
        }
    }
    knots
}

/// Tarjan's strongly connected components without recursion: the component id of each group.
fn components<'a>(n: usize, out: &dyn Fn(u32) -> &'a [(u32, Place)]) -> Vec<u32> {
    const NONE: u32 = u32::MAX;
    let mut index = vec![NONE; n];
    let mut low = vec![0u32; n];
    let mut on_stack = vec![false; n];
    let mut comp = vec![NONE; n];
    let mut stack: Vec<u32> = Vec::new();
    // (group, next edge to look at)
    let mut call: Vec<(u32, usize)> = Vec::new();
    let (mut next_index, mut next_comp) = (0u32, 0u32);
    for root in 0..n as u32 {
        if index[root as usize] != NONE {
            continue;
        }
        call.push((root, 0));
        index[root as usize] = next_index;
        low[root as usize] = next_index;
        next_index += 1;
        stack.push(root);
        on_stack[root as usize] = true;
        while let Some(&mut (v, ref mut i)) = call.last_mut() {
            let edges = out(v);
            if let Some(&(w, _)) = edges.get(*i) {
                *i += 1;
                if index[w as usize] == NONE {
                    index[w as usize] = next_index;
                    low[w as usize] = next_index;
                    next_index += 1;
                    stack.push(w);
                    on_stack[w as usize] = true;
                    call.push((w, 0));
                } else if on_stack[w as usize] {
                    low[v as usize] = low[v as usize].min(index[w as usize]);
                }
                continue;
            }
            call.pop();
            if let Some(&(parent, _)) = call.last() {
                low[parent as usize] = low[parent as usize].min(low[v as usize]);
            }
            if low[v as usize] == index[v as usize] {
                while let Some(w) = stack.pop() {
                    on_stack[w as usize] = false;
                    comp[w as usize] = next_comp;
                    if w == v {
                        break;
                    }
                }
                next_comp += 1;
            }
        }
    }
    comp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edges(list: &[(u32, u32)]) -> Vec<(u32, u32, Place)> {
        list.iter()
            .enumerate()
            .map(|(i, &(a, b))| (a, b, Place::new(0, i as u64 + 2)))
            .collect()
    }

    #[test]
    fn one_knot_per_component_with_a_shortest_cycle() {
        // 0 -> 1 -> 2 -> 0, 2 -> 1 (same component); 3 -> 3; 4 -> 0 (no cycle); 5 <-> 6.
        let e = edges(&[
            (0, 1),
            (1, 2),
            (2, 0),
            (2, 1),
            (3, 3),
            (4, 0),
            (5, 6),
            (6, 5),
        ]);
        let k = knots(7, &e);
        assert_eq!(k.len(), 3, "{k:?}");
        assert_eq!(k[0].cycle, [0, 1, 2]);
        assert_eq!(k[0].groups, 3);
        assert_eq!(k[0].place.line(), 4, "the membership 2 -> 0 closes it");
        assert_eq!((k[1].cycle.clone(), k[1].groups), (vec![3], 1));
        assert_eq!(k[2].cycle, [5, 6]);
        assert!(knots(3, &edges(&[(0, 1), (1, 2)])).is_empty());
    }

    #[test]
    fn a_dense_knot_is_linear_not_exponential() {
        // Every group contains every other: (n-1)! cycles, one component, one finding.
        let n = 400u32;
        let mut list = Vec::new();
        for a in 0..n {
            for b in 0..n {
                if a != b {
                    list.push((a, b));
                }
            }
        }
        let started = std::time::Instant::now();
        let k = knots(n as usize, &edges(&list));
        assert_eq!(k.len(), 1);
        assert_eq!(k[0].cycle.len(), 2);
        assert_eq!(k[0].groups, n as usize);
        assert!(started.elapsed().as_secs() < 10);
        // A long chain closed at the end: deep, but no recursion.
        let chain: Vec<(u32, u32)> = (0..200_000).map(|i| (i, (i + 1) % 200_000)).collect();
        let k = knots(200_000, &edges(&chain));
        assert_eq!(k[0].cycle.len(), 200_000);
    }

    #[test]
    fn lint_reports_a_knot_once_however_many_cycles_it_holds() {
        // A chain whose every group also contains the first: 3,000 back edges, each closing a
        // cycle. Before: one path per back edge (quadratic memory), 100 findings and a note.
        let n = 3000;
        let mut groups = String::from("Name,Address\n");
        let mut members = String::from("Group,Member\n");
        for i in 0..n {
            groups.push_str(&format!("G{i},g{i}@contoso.com\n"));
            if i + 1 < n {
                members.push_str(&format!("g{i}@contoso.com,g{}@contoso.com\n", i + 1));
            }
            if i > 0 {
                members.push_str(&format!("g{i}@contoso.com,g0@contoso.com\n"));
            }
        }
        let r = crate::rules::testing::lint_files(&[
            ("g.csv", groups.as_bytes()),
            ("m.csv", members.as_bytes()),
        ]);
        let cycles: Vec<_> = r.iter().filter(|f| f.code == "G009").collect();
        assert_eq!(cycles.len(), 1, "{cycles:?}");
        assert!(
            cycles[0]
                .message
                .starts_with("nesting cycle: G0 -> G1 -> G0 (3000 groups"),
            "{}",
            cycles[0].message
        );
    }
}
