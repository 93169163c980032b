//! Rules of the source's shape, checked on every production file of the
//! workspace (the program, the client crates, the tools; not tests):
//!
//! - no function is longer than 80 lines: a longer one does several
//!   things, and its parts want names;
//! - no two modules of a crate import each other, even through others: a
//!   cycle means their roles are not separate.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::spanned::Spanned;
use syn::visit::Visit;

const MAX_FUNCTION_LINES: usize = 80;

/// The workspace's folder.
fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

/// Every crate's source folder.
fn crate_sources() -> Vec<PathBuf> {
    let root = root();
    let mut dirs = vec![
        root.join("programs/tasknet/src"),
        root.join("tools/idl/src"),
    ];
    let mut members: Vec<PathBuf> = std::fs::read_dir(root.join("crates"))
        .unwrap()
        .map(|e| e.unwrap().path().join("src"))
        .filter(|p| p.is_dir())
        .collect();
    members.sort();
    dirs.extend(members);
    dirs
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// `a/b.rs` and `a/b/mod.rs` are module `a::b`; `lib.rs`, `main.rs` the root.
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    // Binaries are roots of their own.
    if parts.first().map(String::as_str) == Some("bin") {
        return vec![format!("bin::{}", parts[1..].join("::"))];
    }
    parts
}

/// `#[test]`, `#[tokio::test]` or `#[cfg(test)]`.
fn is_test_only(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        let path = a.path();
        match &a.meta {
            syn::Meta::List(list) if path.is_ident("cfg") => list.tokens.to_string() == "test",
            _ => path.segments.last().is_some_and(|s| s.ident == "test"),
        }
    })
}

/// What one file holds: its functions' lengths and the modules it names.
struct FileVisitor {
    functions: Vec<(String, usize)>,
    paths: Vec<Vec<String>>,
}

impl FileVisitor {
    /// A function from its signature to its closing brace (doc comments
    /// and attributes do not count).
    fn function(&mut self, sig: &syn::Signature, block: &syn::Block) {
        let (start, end) = (sig.span().start().line, block.span().end().line);
        let name = format!("{} (line {start})", sig.ident);
        self.functions.push((name, end - start + 1));
    }
}

impl<'ast> Visit<'ast> for FileVisitor {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if !is_test_only(&m.attrs) {
            syn::visit::visit_item_mod(self, m);
        }
    }

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        if is_test_only(&f.attrs) {
            return;
        }
        self.function(&f.sig, &f.block);
        syn::visit::visit_item_fn(self, f);
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        if is_test_only(&f.attrs) {
            return;
        }
        self.function(&f.sig, &f.block);
        syn::visit::visit_impl_item_fn(self, f);
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        flatten_use(&u.tree, Vec::new(), &mut self.paths);
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        self.paths
            .push(p.segments.iter().map(|s| s.ident.to_string()).collect());
        syn::visit::visit_path(self, p);
    }
}

fn flatten_use(tree: &syn::UseTree, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    let with = |name: String| {
        let mut p = prefix.clone();
        p.push(name);
        p
    };
    match tree {
        syn::UseTree::Path(p) => flatten_use(&p.tree, with(p.ident.to_string()), out),
        syn::UseTree::Name(n) => out.push(with(n.ident.to_string())),
        syn::UseTree::Rename(r) => out.push(with(r.ident.to_string())),
        syn::UseTree::Glob(_) => out.push(prefix),
        syn::UseTree::Group(g) => g
            .items
            .iter()
            .for_each(|t| flatten_use(t, prefix.clone(), out)),
    }
}

/// The module a path inside `module` names, if it is one of `modules`
/// (the longest known prefix after resolving `crate`, `super`, `self`).
fn target(
    module: &[String],
    path: &[String],
    modules: &BTreeSet<Vec<String>>,
) -> Option<Vec<String>> {
    let mut resolved: Vec<String> = match path.first().map(String::as_str) {
        Some("crate") => Vec::new(),
        Some("self") => module.to_vec(),
        Some("super") => module.to_vec(),
        _ => return None,
    };
    let mut rest = &path[1..];
    if path[0] == "super" {
        resolved.pop();
        while rest.first().map(String::as_str) == Some("super") {
            resolved.pop();
            rest = &rest[1..];
        }
    }
    let mut best = None;
    for part in rest {
        resolved.push(part.clone());
        if modules.contains(&resolved) {
            best = Some(resolved.clone());
        }
    }
    best
}

/// A cycle in `edges`, if there is one, as its modules in order.
fn find_cycle(edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Option<Vec<String>> {
    fn visit(
        node: &Vec<String>,
        edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        stack: &mut Vec<Vec<String>>,
        done: &mut BTreeSet<Vec<String>>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            return Some(stack[at..].iter().map(|m| m.join("::")).collect());
        }
        if !done.insert(node.clone()) {
            return None;
        }
        stack.push(node.clone());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|start| visit(start, edges, &mut Vec::new(), &mut done))
}

#[test]
fn no_production_function_is_longer_than_80_lines_and_no_modules_form_a_cycle() {
    let mut functions = Vec::new();
    let mut cycles = Vec::new();
    let mut files_read = 0;
    for src in crate_sources() {
        let mut paths_by_module = BTreeMap::new();
        for file in rust_files(&src) {
            let text = std::fs::read_to_string(&file).unwrap();
            let syntax =
                syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let mut visitor = FileVisitor {
                functions: Vec::new(),
                paths: Vec::new(),
            };
            visitor.visit_file(&syntax);
            files_read += 1;
            let shown = file.strip_prefix(root()).unwrap_or(&file);
            for (name, lines) in visitor.functions {
                functions.push((lines, format!("{}: {name}", shown.display())));
            }
            paths_by_module.insert(module_path(&src, &file), visitor.paths);
        }
        let modules: BTreeSet<Vec<String>> = paths_by_module.keys().cloned().collect();
        let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
        for (module, paths) in &paths_by_module {
            for path in paths {
                let Some(to) = target(module, path, &modules) else {
                    continue;
                };
                // A module may use its own items and its children's.
                if !to.starts_with(module) {
                    edges.entry(module.clone()).or_default().insert(to);
                }
            }
        }
        if let Some(cycle) = find_cycle(&edges) {
            cycles.push(format!("{}: {}", src.display(), cycle.join(" → ")));
        }
    }
    assert!(files_read > 50, "read only {files_read} files");
    functions.sort_by_key(|(lines, _)| std::cmp::Reverse(*lines));
    for (lines, name) in functions.iter().take(5) {
        println!("{lines:>4} lines  {name}");
    }
    let long: Vec<String> = functions
        .iter()
        .filter(|(lines, _)| *lines > MAX_FUNCTION_LINES)
        .map(|(lines, name)| format!("{name}: {lines} lines"))
        .collect();
    assert!(
        long.is_empty(),
        "functions over {MAX_FUNCTION_LINES} lines:\n{}",
        long.join("\n")
    );
    assert!(cycles.is_empty(), "module cycles:\n{}", cycles.join("\n"));
}

#[test]
fn the_rules_see_what_they_look_for() {
    // A long function and a cycle, in the rules' own terms.
    let body = "let x = 1;\n".repeat(MAX_FUNCTION_LINES);
    let text = format!(
        "fn long() {{\n{body}}}\n#[cfg(test)]\nmod tests {{ fn also_long() {{\n{body}}} }}"
    );
    let mut visitor = FileVisitor {
        functions: Vec::new(),
        paths: Vec::new(),
    };
    visitor.visit_file(&syn::parse_file(&text).unwrap());
    assert_eq!(visitor.functions.len(), 1, "{:?}", visitor.functions);
    let (name, lines) = &visitor.functions[0];
    assert!(name.starts_with("long") && *lines > MAX_FUNCTION_LINES);

    let m = |s: &str| s.split("::").map(String::from).collect::<Vec<_>>();
    let modules: BTreeSet<_> = [m("a"), m("b"), m("c::d")].into();
    assert_eq!(target(&m("a"), &m("super::b::f"), &modules), Some(m("b")));
    assert_eq!(target(&m("c::d"), &m("crate::a"), &modules), Some(m("a")));
    assert_eq!(target(&m("a"), &m("std::io"), &modules), None);
    let mut edges = BTreeMap::new();
    edges.insert(m("a"), [m("b")].into());
    edges.insert(m("b"), [m("c::d")].into());
    assert_eq!(find_cycle(&edges), None);
    edges.insert(m("c::d"), [m("a")].into());
    assert!(find_cycle(&edges).is_some());
}
