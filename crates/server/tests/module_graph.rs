//! No module imports, directly or through others, a module that imports it back — in any crate of the
//! workspace. A circle makes two concepts one in all but name: neither can be read, tested or moved alone.
//!
//! The graph is read from the source with `syn`: every path that leaves a module (`use crate::x::…`,
//! `crate::x::f()` in code, types and attribute/macro tokens, `super::x` from a top-level module) is an
//! edge to the top-level module it names. An item the crate root re-exports (`crate::Foo` where lib.rs says
//! `pub use x::Foo`) counts as module `x`. The crate root itself is not a node: it only declares and
//! re-exports. Inline modules (`mod tests { use super::*; }`) belong to the module of their file.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use proc_macro2::{TokenStream, TokenTree};
use syn::visit::Visit;

/// One crate's modules and their edges: module → (module it names → a file where it does).
#[derive(Default)]
struct Graph {
    modules: BTreeSet<String>,
    reexports: BTreeMap<String, String>,
    edges: BTreeMap<String, BTreeMap<String, PathBuf>>,
}

impl Graph {
    fn of_crate(src: &Path) -> Graph {
        let mut graph = Graph::default();
        let mut files = Vec::new();
        for entry in std::fs::read_dir(src).unwrap() {
            let path = entry.unwrap().path();
            let Some(stem) = path.file_stem().map(|s| s.to_string_lossy().into_owned()) else {
                continue;
            };
            if path.extension().is_some_and(|e| e == "rs") && stem != "lib" && stem != "main" {
                graph.modules.insert(stem.clone());
                files.push((stem, path));
            }
        }
        let root = src.join("lib.rs");
        if root.exists() {
            for item in parse(&root).items {
                if let syn::Item::Use(item) = item
                    && matches!(item.vis, syn::Visibility::Public(_))
                {
                    let mut leaves = Vec::new();
                    flatten(&item.tree, &mut Vec::new(), &mut leaves);
                    for (path, name) in leaves {
                        if let Some(first) = path.first().filter(|m| graph.modules.contains(*m)) {
                            graph.reexports.insert(name, first.clone());
                        }
                    }
                }
            }
        }
        for (module, path) in files {
            let mut visitor = PathsOf {
                depth: 1,
                paths: Vec::new(),
            };
            visitor.visit_file(&parse(&path));
            for absolute in visitor.paths {
                if let Some(target) = graph.module_named_by(&absolute)
                    && target != module
                {
                    graph
                        .edges
                        .entry(module.clone())
                        .or_default()
                        .entry(target)
                        .or_insert(path.clone());
                }
            }
        }
        graph
    }

    /// The top-level module a crate-absolute path (without `crate`) names, if any.
    fn module_named_by(&self, path: &[String]) -> Option<String> {
        let first = path.first()?;
        if self.modules.contains(first) {
            Some(first.clone())
        } else {
            self.reexports.get(first).cloned()
        }
    }

    /// Every set of modules that reach each other (strongly connected, more than one).
    fn circles(&self) -> Vec<BTreeSet<String>> {
        let reach = |from: &String| {
            let mut seen = BTreeSet::new();
            let mut todo = vec![from.clone()];
            while let Some(m) = todo.pop() {
                for next in self.edges.get(&m).into_iter().flat_map(BTreeMap::keys) {
                    if seen.insert(next.clone()) {
                        todo.push(next.clone());
                    }
                }
            }
            seen
        };
        let reaches: BTreeMap<&String, BTreeSet<String>> =
            self.modules.iter().map(|m| (m, reach(m))).collect();
        let mut circles: Vec<BTreeSet<String>> = Vec::new();
        for (module, reached) in &reaches {
            let circle: BTreeSet<String> = reached
                .iter()
                .filter(|other| reaches[other].contains(*module))
                .cloned()
                .collect();
            if circle.len() > 1 && !circles.contains(&circle) {
                circles.push(circle);
            }
        }
        circles
    }
}

fn parse(path: &Path) -> syn::File {
    let text = std::fs::read_to_string(path).unwrap();
    syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `use a::{b, c::d as e}` → ([a], b), ([a, c], e).
fn flatten(tree: &syn::UseTree, prefix: &mut Vec<String>, out: &mut Vec<(Vec<String>, String)>) {
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            flatten(&p.tree, prefix, out);
            prefix.pop();
        }
        syn::UseTree::Name(n) => out.push((prefix.clone(), n.ident.to_string())),
        syn::UseTree::Rename(r) => out.push((prefix.clone(), r.rename.to_string())),
        syn::UseTree::Glob(_) => out.push((prefix.clone(), "*".to_owned())),
        syn::UseTree::Group(g) => g.items.iter().for_each(|t| flatten(t, prefix, out)),
    }
}

/// The crate-absolute paths (without `crate`) a file names; `depth` is how deep in modules the visitor is
/// (1: the file's own module).
struct PathsOf {
    depth: usize,
    paths: Vec<Vec<String>>,
}

impl PathsOf {
    fn push(&mut self, segments: Vec<String>) {
        match segments.first().map(String::as_str) {
            Some("crate") => self.paths.push(segments[1..].to_vec()),
            Some("super") => {
                let supers = segments.iter().take_while(|s| *s == "super").count();
                // Only a `super` that climbs out of the file's module reaches another module.
                if supers == self.depth {
                    self.paths.push(segments[supers..].to_vec());
                }
            }
            _ => {}
        }
    }

    fn tokens(&mut self, tokens: TokenStream) {
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        let mut i = 0;
        while i < trees.len() {
            match &trees[i] {
                TokenTree::Group(group) => self.tokens(group.stream()),
                TokenTree::Ident(ident) if ident == "crate" || ident == "super" => {
                    let mut segments = vec![ident.to_string()];
                    let mut j = i + 1;
                    while let (
                        Some(TokenTree::Punct(a)),
                        Some(TokenTree::Punct(b)),
                        Some(TokenTree::Ident(next)),
                    ) = (trees.get(j), trees.get(j + 1), trees.get(j + 2))
                    {
                        if a.as_char() != ':' || b.as_char() != ':' {
                            break;
                        }
                        segments.push(next.to_string());
                        j += 3;
                    }
                    self.push(segments);
                    i = j.max(i + 1) - 1;
                }
                _ => {}
            }
            i += 1;
        }
    }
}

impl<'ast> Visit<'ast> for PathsOf {
    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        self.depth += 1;
        syn::visit::visit_item_mod(self, item);
        self.depth -= 1;
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        let mut leaves = Vec::new();
        flatten(&item.tree, &mut Vec::new(), &mut leaves);
        for (mut path, name) in leaves {
            path.push(name);
            self.push(path);
        }
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        self.push(path.segments.iter().map(|s| s.ident.to_string()).collect());
        syn::visit::visit_path(self, path);
    }

    fn visit_attribute(&mut self, attr: &'ast syn::Attribute) {
        if let syn::Meta::List(list) = &attr.meta {
            self.tokens(list.tokens.clone());
        }
        syn::visit::visit_attribute(self, attr);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.tokens(mac.tokens.clone());
        syn::visit::visit_macro(self, mac);
    }
}

fn workspace_crates() -> Vec<PathBuf> {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf();
    let mut sources: Vec<PathBuf> = std::fs::read_dir(&crates)
        .unwrap()
        .map(|entry| entry.unwrap().path().join("src"))
        .filter(|src| src.is_dir())
        .collect();
    sources.sort();
    sources
}

#[test]
fn no_module_imports_a_module_that_imports_it_back() {
    let mut report = Vec::new();
    let mut modules = 0;
    for src in workspace_crates() {
        let graph = Graph::of_crate(&src);
        modules += graph.modules.len();
        for circle in graph.circles() {
            let edges: Vec<String> = circle
                .iter()
                .flat_map(|from| {
                    graph.edges[from]
                        .iter()
                        .filter(|(to, _)| circle.contains(*to))
                        .map(move |(to, file)| format!("{from} -> {to} ({})", file.display()))
                })
                .collect();
            report.push(format!(
                "{}: {circle:?}\n    {}",
                src.display(),
                edges.join("\n    ")
            ));
        }
    }
    assert!(modules > 50, "the workspace was not read: {modules} modules");
    assert!(report.is_empty(), "module circles:\n{}", report.join("\n"));
}

#[test]
fn the_checker_sees_circles_through_uses_paths_attributes_and_reexports() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    write("lib.rs", "mod a; mod b; mod c; mod d; mod e; pub use e::Thing;");
    write("a.rs", "use crate::{b::X, self as _};");
    write("b.rs", "fn f() { crate::c::g(); }");
    write("c.rs", "#[utoipa::path(body = super::a::Body)] fn g() {}");
    write("d.rs", "mod tests { use super::*; use crate::Thing; }");
    write("e.rs", "pub struct Thing; fn h() -> Vec<crate::d::Y> { vec![] }");
    let graph = Graph::of_crate(dir.path());
    let circles = graph.circles();
    let names = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<BTreeSet<String>>();
    assert_eq!(circles, vec![names(&["a", "b", "c"]), names(&["d", "e"])]);
}
