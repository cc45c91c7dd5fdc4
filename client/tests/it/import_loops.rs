//! No import loop inside any crate of the workspace: within each crate's
//! `src/`, the files that name each other (`crate::…`, `super::…` paths, in
//! `use` lines or inline, and through the root's re-exports) form no
//! cycle, so each file can be read after the files it imports. The crate
//! root only declares and re-exports, and is left out; so are test modules
//! and comments.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The crates' source folders, from the workspace root.
const CRATES: [&str; 3] = ["client/src", "backend/src", "src"];

/// A file's module path below its crate root: `a/b.rs` is `["a", "b"]`.
fn module_of(root: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(root).unwrap().with_extension("");
    let mut path: Vec<String> = relative
        .components()
        .map(|part| part.as_os_str().to_string_lossy().into_owned())
        .collect();
    if path
        .last()
        .is_some_and(|last| last == "mod" || last == "lib")
    {
        path.pop();
    }
    path
}

fn sources(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            // Each file under `bin/` is a crate of its own.
            if path.file_name().is_some_and(|name| name != "bin") {
                sources(&path, found);
            }
        } else if path.extension().is_some_and(|ext| ext == "rs")
            && path.file_name().is_some_and(|name| name != "tests.rs")
        {
            found.push(path);
        }
    }
}

/// The file's code without comments and without its test module.
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod ") {
        Some(at) => &text[..at],
        None => text,
    };
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every path the code names from `crate::` or `super::`, as segments
/// below the crate root; `use crate::{a::B, c}` names `a::B` and `c`.
fn named_paths(code: &str, module: &[String]) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let pattern = regex::Regex::new(r"\b(crate|(?:super::)*super)::").unwrap();
    for found in pattern.find_iter(code) {
        let base: Vec<String> = if found.as_str().starts_with("crate") {
            Vec::new()
        } else {
            let ups = found.as_str().matches("super").count();
            module[..module.len().saturating_sub(ups)].to_vec()
        };
        for tail in tails(&code[found.end()..]) {
            let mut path = base.clone();
            path.extend(tail);
            paths.push(path);
        }
    }
    paths
}

/// The paths at the start of `rest`: one (`a::b::C`) or a group's
/// (`{a::B, c::{D, E}}`), each as its segments.
fn tails(rest: &str) -> Vec<Vec<String>> {
    let mut segments = Vec::new();
    let mut rest = rest;
    loop {
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let end = group
                .char_indices()
                .find(|&(_, c)| {
                    depth += match c {
                        '{' => 1,
                        '}' => -1,
                        _ => 0,
                    };
                    depth == 0
                })
                .map_or(group.len(), |(at, _)| at);
            let inner = &group[..end];
            let mut items = Vec::new();
            let (mut depth, mut start) = (0, 0);
            for (at, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        items.push(&inner[start..at]);
                        start = at + 1;
                    }
                    _ => {}
                }
            }
            items.push(&inner[start..]);
            return items
                .into_iter()
                .flat_map(|item| tails(item.trim()))
                .map(|tail| segments.iter().cloned().chain(tail).collect())
                .collect();
        }
        let length = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if length == 0 {
            return vec![segments];
        }
        segments.push(rest[..length].to_owned());
        rest = &rest[length..];
        match rest.strip_prefix("::") {
            Some(next) => rest = next,
            None => return vec![segments],
        }
    }
}

/// The loops of the graph (Tarjan's strongly connected components of more
/// than one file).
fn loops(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<BTreeSet<String>> {
    struct Walk<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        found: Vec<BTreeSet<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, node: &'a str) {
            let n = self.index.len();
            self.index.insert(node, n);
            self.low.insert(node, n);
            self.stack.push(node);
            for next in self.graph.get(node).into_iter().flatten() {
                if !self.index.contains_key(next.as_str()) {
                    self.visit(next);
                    let low = self.low[node].min(self.low[next.as_str()]);
                    self.low.insert(node, low);
                } else if self.stack.contains(&next.as_str()) {
                    let low = self.low[node].min(self.index[next.as_str()]);
                    self.low.insert(node, low);
                }
            }
            if self.low[node] == self.index[node] {
                let mut component = BTreeSet::new();
                while let Some(top) = self.stack.pop() {
                    component.insert(top.to_owned());
                    if top == node {
                        break;
                    }
                }
                if component.len() > 1 {
                    self.found.push(component);
                }
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for node in graph.keys() {
        if !walk.index.contains_key(node.as_str()) {
            walk.visit(node);
        }
    }
    walk.found
}

/// Which file imports which, within the crate whose sources are in `root`.
fn imports(root: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    sources(root, &mut files);
    let modules: BTreeMap<Vec<String>, String> = files
        .iter()
        .map(|file| {
            let name = file.strip_prefix(root).unwrap().display().to_string();
            (module_of(root, file), name)
        })
        .collect();
    // `crate::Name` through the root's `pub use module::Name`.
    let root_file = files
        .iter()
        .find(|file| module_of(root, file).is_empty())
        .expect("a crate root");
    let root_code = code(&std::fs::read_to_string(root_file).unwrap());
    let reexports: BTreeMap<String, Vec<String>> = root_code
        .split("pub use ")
        .skip(1)
        .flat_map(tails)
        .filter_map(|path| Some((path.last()?.clone(), path)))
        .collect();
    let mut graph = BTreeMap::new();
    for file in &files {
        let module = module_of(root, file);
        if module.is_empty() {
            continue;
        }
        let name = &modules[&module];
        let text = code(&std::fs::read_to_string(file).unwrap());
        let targets: &mut BTreeSet<String> = graph.entry(name.clone()).or_default();
        for mut path in named_paths(&text, &module) {
            let reexported = path
                .first()
                .filter(|_| !modules.contains_key(&path[..1]))
                .and_then(|first| reexports.get(first));
            if let Some(real) = reexported {
                path.splice(..1, real.iter().cloned());
            }
            // The longest prefix that is a file.
            let target = (1..=path.len())
                .rev()
                .find_map(|length| modules.get(&path[..length]));
            if let Some(target) = target.filter(|target| *target != name) {
                targets.insert(target.clone());
            }
        }
    }
    graph
}

#[test]
fn no_crate_has_an_import_loop() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut report = String::new();
    for krate in CRATES {
        let graph = imports(&workspace.join(krate));
        for component in loops(&graph) {
            report.push_str(&format!("{krate}: a loop through {component:?}\n"));
            for file in &component {
                let inside: Vec<&String> = graph[file]
                    .iter()
                    .filter(|target| component.contains(*target))
                    .collect();
                report.push_str(&format!("  {file} -> {inside:?}\n"));
            }
        }
    }
    assert!(report.is_empty(), "{report}");
}

#[test]
fn the_loop_check_sees_a_loop_and_group_imports() {
    let module = |path: &str| path.split("::").map(str::to_owned).collect::<Vec<_>>();
    let paths = named_paths(
        "use crate::{a::B, c::{d::E, F}};\nlet x = super::g::h();",
        &module("x::y"),
    );
    assert_eq!(
        paths,
        [
            module("a::B"),
            module("c::d::E"),
            module("c::F"),
            module("x::g::h")
        ]
    );
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", &["b"][..]),
        ("b", &["c"]),
        ("c", &["a"]),
        ("d", &["a"]),
    ]
    .into_iter()
    .map(|(from, to)| (from.into(), to.iter().map(|to| to.to_string()).collect()))
    .collect();
    let found = loops(&graph);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0], ["a", "b", "c"].map(String::from).into());
}
