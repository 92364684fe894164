//! Drawings of the lesson's arrays: DOT and SVG task graphs, chunk diagrams, HTML repr.

use spillway::{Array, Element, Error, VisualizeOptions, arange, random};
use std::collections::HashMap;

/// The lesson's 15x15 `(x + x.T).sum()` with chunks (10, 5).
fn lesson_sum() -> Array<f64> {
    let x = random::random([15, 15], [10, 5]);
    (&x + &x.t()).sum()
}

/// A parsed DOT graph: node name -> (label, class), and edges by name.
struct Dot {
    nodes: HashMap<String, (String, String)>,
    edges: Vec<(String, String)>,
}

/// The value of `key="..."` in a DOT attribute list (escaped quotes kept escaped).
fn attr(line: &str, key: &str) -> Option<String> {
    let start = line.find(&format!("{key}=\""))? + key.len() + 2;
    let rest = &line[start..];
    let mut end = None;
    let mut escaped = false;
    for (i, c) in rest.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => {
                end = Some(i);
                break;
            }
            _ => escaped = false,
        }
    }
    Some(rest[..end?].to_string())
}

fn parse_dot(dot: &str) -> Dot {
    let mut lines = dot.lines();
    assert_eq!(lines.next(), Some("digraph spillway {"));
    assert_eq!(dot.trim_end().lines().last(), Some("}"));
    let mut nodes = HashMap::new();
    let mut edges = Vec::new();
    for line in lines.map(str::trim) {
        if let Some((from, to)) = line.strip_suffix(';').and_then(|l| l.split_once(" -> ")) {
            edges.push((from.to_string(), to.to_string()));
        } else if line.starts_with('n') && line.contains(" [label=") {
            let name = line.split_whitespace().next().unwrap().to_string();
            let label = attr(line, "label").expect("a node has a label");
            let class = attr(line, "class").expect("a node has a class");
            assert!(attr(line, "fillcolor").is_some());
            nodes.insert(name, (label, class));
        }
    }
    for (from, to) in &edges {
        assert!(
            nodes.contains_key(from) && nodes.contains_key(to),
            "edge {from} -> {to}"
        );
    }
    Dot { nodes, edges }
}

fn name_of(dot: &Dot, op: &str) -> String {
    dot.nodes
        .iter()
        .find(|(_, (label, _))| label.split("\\n").next() == Some(op))
        .map(|(name, _)| name.clone())
        .unwrap_or_else(|| panic!("no node {op}"))
}

#[test]
fn unfused_dot_of_the_lesson_sum_has_its_ops_and_edges() {
    let dot = parse_dot(
        &lesson_sum()
            .visualize_with(VisualizeOptions { fused: false })
            .dot(),
    );
    assert_eq!(dot.nodes.len(), 4);
    let [random, transpose, add, sum] =
        ["random", "transpose", "add", "sum"].map(|op| name_of(&dot, op));
    let mut edges = dot.edges.clone();
    edges.sort();
    let mut expected = vec![
        (random.clone(), transpose.clone()),
        (random.clone(), add.clone()),
        (transpose.clone(), add.clone()),
        (add.clone(), sum.clone()),
    ];
    expected.sort();
    assert_eq!(edges, expected);
    let (label, class) = &dot.nodes[&random];
    assert!(
        label.contains("shape=(15, 15) chunks=((10, 5), (5, 5, 5)) float64"),
        "{label}"
    );
    assert!(label.contains("6 tasks"), "{label}");
    assert_eq!(class, "source");
    assert!(dot.nodes[&add].0.contains("9 tasks"));
    assert_eq!(dot.nodes[&sum].1, "reduction");
    assert_eq!(dot.nodes[&transpose].1, "layout");
}

#[test]
fn fused_dot_of_the_lesson_sum_is_one_stage() {
    let v = lesson_sum().visualize();
    let dot = parse_dot(&v.dot());
    assert_eq!(dot.nodes.len(), 1);
    assert!(dot.edges.is_empty());
    let (label, class) = dot.nodes.values().next().unwrap();
    assert!(
        label.starts_with("sum\\nrandom → transpose → add → sum\\n9 tasks, "),
        "{label}"
    );
    assert!(label.ends_with(" projected"));
    assert_eq!(class, "reduction");
    assert!(v.task_graph().nodes[0].projected_bytes > 0);
}

#[test]
fn fused_pi_has_a_reduction_stage_feeding_the_output() {
    let xy = random::uniform(0.0, 1.0, (1000, 2), 100);
    let inside = xy.powi(2).sum_axis(1).lt(1.0);
    let pi = 4.0 * inside.sum().astype::<f64>() / inside.size() as f64;
    let fused = pi.visualize();
    let g = fused.task_graph();
    assert_eq!(g.len(), 2);
    assert_eq!(g.edges, vec![(0, 1)]);
    assert_eq!(g.nodes[0].detail, "uniform → pow → sum → lt → sum");
    assert_eq!(g.nodes[0].tasks, 10);
    assert_eq!(g.nodes[1].kind, "fused");
    let unfused = pi.visualize_with(VisualizeOptions { fused: false });
    assert_eq!(unfused.task_graph().len(), 8);
    assert!(unfused.task_graph().len() > g.len());
}

#[test]
fn dot_escapes_quotes_and_backslashes() {
    let mut graph = spillway::graph::view::TaskGraph::default();
    graph.nodes.push(spillway::graph::view::ViewNode {
        id: 1,
        label: "say \"hi\" \\ bye".into(),
        kind: "delayed".into(),
        detail: String::new(),
        tasks: 1,
        projected_bytes: 0,
    });
    let dot = graph.to_dot();
    assert!(
        dot.contains(r#"label="say \"hi\" \\ bye\n1 task, 0 B projected""#),
        "{dot}"
    );
    let parsed = parse_dot(&dot);
    assert_eq!(parsed.nodes.len(), 1);
}

#[test]
fn colours_differ_by_kind() {
    let dot = parse_dot(
        &lesson_sum()
            .visualize_with(VisualizeOptions { fused: false })
            .dot(),
    );
    let text = lesson_sum()
        .visualize_with(VisualizeOptions { fused: false })
        .dot();
    let mut colour_of_class: HashMap<String, String> = HashMap::new();
    for line in text.lines().filter(|l| l.contains("[label=")) {
        let class = attr(line, "class").unwrap();
        let colour = attr(line, "fillcolor").unwrap();
        assert_eq!(
            colour_of_class.entry(class).or_insert(colour.clone()),
            &colour
        );
    }
    assert_eq!(colour_of_class.len(), 4, "{:?}", dot.nodes);
    let mut colours: Vec<&String> = colour_of_class.values().collect();
    colours.sort();
    colours.dedup();
    assert_eq!(colours.len(), 4);
}

/// Checks that every `<tag>` is closed in order; returns the number of elements.
fn balanced(svg: &str) -> usize {
    let mut stack: Vec<String> = Vec::new();
    let mut count = 0;
    let mut rest = svg;
    while let Some(start) = rest.find('<') {
        let end = rest[start..].find('>').expect("tag closed") + start;
        let tag = &rest[start + 1..end];
        rest = &rest[end + 1..];
        if tag.starts_with('?') || tag.starts_with('!') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop().as_deref(), Some(name.trim()), "closing {name}");
        } else {
            count += 1;
            let name = tag.split_whitespace().next().unwrap().trim_end_matches('/');
            if !tag.ends_with('/') {
                stack.push(name.to_string());
            }
        }
    }
    assert!(stack.is_empty(), "unclosed {stack:?}");
    count
}

#[test]
fn svg_is_well_formed_with_a_text_per_node() {
    for fused in [true, false] {
        let v = lesson_sum().visualize_with(VisualizeOptions { fused });
        let svg = v.svg();
        assert!(svg.starts_with("<svg"), "{}", &svg[..40]);
        assert!(svg.trim_end().ends_with("</svg>"));
        balanced(&svg);
        // one text per box (edges carry empty texts)
        let boxes = svg
            .split("<text")
            .skip(1)
            .filter(|t| t.split("</text>").next().unwrap().contains("projected"))
            .count();
        assert_eq!(boxes, v.task_graph().len());
        for node in &v.task_graph().nodes {
            assert!(
                svg.contains(&format!(">{}</tspan>", node.label)),
                "{}",
                node.label
            );
            assert!(svg.contains(spillway::graph::dot::kind_color(&node.kind)));
        }
    }
}

fn rects(svg: &str) -> usize {
    svg.matches("<rect class=\"chunk\"").count()
}

#[test]
fn chunk_diagrams_have_one_cell_per_chunk() {
    let a_da = arange(1i64, 50, 3, 5);
    let svg = a_da.chunk_diagram_svg();
    balanced(&svg);
    assert_eq!(rects(&svg), 4);
    assert!(svg.contains(">17</text>"));

    let x = random::random([15, 15], [10, 5]);
    let svg = x.chunk_diagram_svg();
    balanced(&svg);
    assert_eq!(rects(&svg), 6);
    // rows are cut at 10 of 15 (heights 2:1), columns at 5 and 10 (equal widths)
    let cells: Vec<(f64, f64)> = svg
        .lines()
        .filter(|l| l.starts_with("<rect class=\"chunk\""))
        .map(|l| {
            let num = |k| attr(l, k).unwrap().parse::<f64>().unwrap();
            (num("width"), num("height"))
        })
        .collect();
    let (w, h) = cells[0];
    assert!(cells.iter().all(|c| (c.0 - w).abs() < 0.02), "{cells:?}");
    assert!((cells[5].1 * 2.0 - h).abs() < 0.02, "{cells:?}");
    assert!((w * 3.0 - h * 1.5).abs() < 0.05, "{cells:?}");

    let cube = spillway::zeros::<f32>([4, 6, 8], [2, 3, 4]);
    let svg = cube.chunk_diagram_svg();
    balanced(&svg);
    assert_eq!(rects(&svg), 4);
    assert!(svg.contains("chunk-face"));

    let many = spillway::zeros::<u8>([3, 4, 6, 8], [1, 2, 3, 4]);
    assert_eq!(rects(&many.chunk_diagram_svg()), 4);
    let scalar = x.sum();
    balanced(&scalar.chunk_diagram_svg());
    let dense = spillway::zeros::<u8>([1000], 1);
    let svg = dense.chunk_diagram_svg();
    assert_eq!(rects(&svg), 0);
    assert_eq!(svg.matches("chunks-dense").count(), 1);
}

#[test]
fn html_repr_has_bytes_shape_count_and_dtype() {
    let x = random::random([15, 15], [10, 5]);
    let html = x.html_repr();
    assert!(html.contains("<td>1.76 kiB</td><td>400 B</td>"), "{html}");
    assert!(html.contains("<td>(15, 15)</td><td>(10, 5)</td>"));
    assert!(html.contains("6 chunks"));
    assert!(html.contains("float64"));
    assert!(html.contains("<svg"));
    balanced(&html);
}

#[test]
fn invalid_arrays_draw_their_error() {
    let a = spillway::zeros::<f64>([3], 1);
    let b = spillway::zeros::<f64>([4], 1);
    let bad = &a + &b;
    let v = bad.visualize();
    assert_eq!(v.task_graph().nodes[0].kind, "invalid");
    assert!(v.dot().contains("(3,)"));
    assert!(v.svg().starts_with("<svg"));
    assert!(bad.html_repr().contains("Invalid"));
    balanced(&bad.chunk_diagram_svg());
}

fn save_all<T: Element>(array: &Array<T>, dir: &std::path::Path) {
    let v = array.visualize();
    for name in ["g.dot", "g.svg", "g.GV"] {
        let path = dir.join(name);
        v.save(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with(if name == "g.svg" { "<svg" } else { "digraph" }));
    }
}

#[test]
fn save_writes_dot_and_svg_and_types_its_errors() {
    let dir = std::env::temp_dir().join(format!(
        "spillway-visualize-{}-{:?}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    save_all(&lesson_sum(), &dir);
    let v = lesson_sum().visualize();
    let err = v.save(dir.join("g.png")).unwrap_err();
    assert!(matches!(err, Error::UnknownFormat { .. }), "{err}");
    let err = v.save(dir.join("no-such-dir").join("g.svg")).unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err}");
    assert!(err.to_string().contains("no-such-dir"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn visualize_several_arrays_shares_their_reduction() {
    let x = random::random([100], 10);
    let s = x.sum();
    let v = spillway::visualize(&[&s + 1.0, &s * 2.0]);
    let g = v.task_graph();
    assert_eq!(g.len(), 3);
    assert_eq!(g.edges, vec![(0, 1), (0, 2)]);
}
