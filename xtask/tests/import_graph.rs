//! The numerical core's modules depend on each other in one direction: this test reads every
//! module of `crates/ntk-core/src`, builds the graph of which module names which, and fails
//! naming every cycle (strongly connected component) that is not in [`ALLOWED`] — and every
//! entry of [`ALLOWED`] that no longer exists, so that the list only shrinks.
//!
//! The graph:
//!
//! - **A node is one file**: `theory/kernels.rs` is `theory/kernels`, a directory's `mod.rs` is
//!   the directory (`custom_phi`), `lib.rs` is the crate root. The files of one directory are
//!   *not* merged into one node: `theory/` is where the layering matters most, and one node
//!   for it would hide `kernels ↔ fused`.
//! - **An edge** `a → b` is a path in `a` that names `b`: every `crate::…`, `super::…` and
//!   `self::…` path (in `use` declarations, with their `{…}` groups, and in expressions and
//!   types), and in a `mod.rs` or `lib.rs` a path that starts with one of its own submodules
//!   (`pub use expr::{Expr, Func}`). A path names the deepest module along it
//!   (`crate::theory::kernels::KernelPair` names `theory/kernels`); an item re-exported by name
//!   from a `mod.rs` or `lib.rs` (`crate::Activation`) names the module it comes from.
//! - **A directory's `mod.rs` is the facade of the files below it**: an edge from a file to the
//!   `mod.rs` of a directory containing it (`custom_phi/parse → custom_phi` for `PhiError`,
//!   or anything to the crate root) is not counted. Children using their parent's items is how
//!   Rust modules are meant to be used; a cycle must leave the directory and come back.
//! - **Unit tests do not count**: a `#[cfg(test)] mod … { … }` block may use any module (a
//!   fast path's tests compare with the reference path above it).
//!
//! Comments, strings and character literals are skipped, so doc links and messages do not
//! count either.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use common::rust_files;

/// The cycles that remain, as the sets of their nodes, each with the reason it is tolerated —
/// none since the scalar trait (`nets/real`), the Dense layer (`nets/dense`), the ensemble
/// record's types and the result files' envelope (`results/envelope`) became leaves of their
/// cycles. A cycle may be listed here only with its reason; remove an entry when its cycle is
/// broken (the test fails until then).
const ALLOWED: &[(&[&str], &str)] = &[];

fn src_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .join("crates/ntk-core/src")
}

/// A module's path from the crate root, e.g. `["theory", "kernels"]`; the root is `[]`.
type ModPath = Vec<String>;

fn name(m: &ModPath) -> String {
    if m.is_empty() {
        "lib".to_string()
    } else {
        m.join("/")
    }
}

/// `a/b.rs` → `[a, b]`, `a/mod.rs` → `[a]`, `lib.rs` → `[]`.
fn module_of(root: &Path, file: &Path) -> ModPath {
    let rel = file.strip_prefix(root).expect("under the source root").with_extension("");
    let mut parts: ModPath = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

/// The source with comments, string and character literals replaced by spaces (lifetimes
/// kept as they are).
fn strip(src: &str) -> String {
    let b: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    let at = |i: usize, s: &str| s.chars().enumerate().all(|(k, c)| b.get(i + k) == Some(&c));
    while i < b.len() {
        let c = b[i];
        if at(i, "//") {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
        } else if at(i, "/*") {
            let mut depth = 0;
            while i < b.len() {
                if at(i, "/*") {
                    depth += 1;
                    i += 2;
                } else if at(i, "*/") {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if c == '"' || ((c == 'r' || c == 'b') && raw_string_start(&b, i).is_some()) {
            i = skip_string(&b, i);
            out.push_str("\"\"");
        } else if c == '\'' {
            // A character literal ('a', '\n', '\u{1F600}', '\''), else a lifetime or label.
            let end = if b.get(i + 1) == Some(&'\\') {
                (i + 2..b.len()).find(|&k| b[k] == '\'')
            } else if b.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            match end {
                Some(e) => {
                    out.push_str("' '");
                    i = e + 1;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            if c.is_alphanumeric() || c == '_' {
                // Copy a whole identifier, so that `br"…"` inside `abr"` cannot start a string.
                while i < b.len() && (b[i].is_alphanumeric() || b[i] == '_') {
                    if (b[i] == 'r' || b[i] == 'b') && raw_string_start(&b, i).is_some() && !is_ident(&b, i) {
                        break;
                    }
                    out.push(b[i]);
                    i += 1;
                }
                continue;
            }
            out.push(c);
            i += 1;
        }
    }
    out
}

fn is_ident(b: &[char], i: usize) -> bool {
    i > 0 && (b[i - 1].is_alphanumeric() || b[i - 1] == '_')
}

/// Where a raw or byte string starting at `i` (`r"`, `r#"`, `b"`, `br#"`) opens its quote.
fn raw_string_start(b: &[char], i: usize) -> Option<usize> {
    if is_ident(b, i) {
        return None;
    }
    let mut k = i;
    if b.get(k) == Some(&'b') {
        k += 1;
    }
    if b.get(k) == Some(&'r') {
        k += 1;
        while b.get(k) == Some(&'#') {
            k += 1;
        }
    }
    (k > i && b.get(k) == Some(&'"')).then_some(k)
}

/// The index after the string literal starting at `i`.
fn skip_string(b: &[char], i: usize) -> usize {
    if b[i] != '"' {
        let open = raw_string_start(b, i).expect("a string starts here");
        let hashes = b[i..open].iter().filter(|&&c| c == '#').count();
        let raw = b[i..open].contains(&'r');
        let mut k = open + 1;
        while k < b.len() {
            if b[k] == '\\' && !raw {
                k += 2;
                continue;
            }
            if b[k] == '"' && (0..hashes).all(|h| b.get(k + 1 + h) == Some(&'#')) {
                return k + 1 + hashes;
            }
            k += 1;
        }
        return k;
    }
    let mut k = i + 1;
    while k < b.len() && b[k] != '"' {
        k += if b[k] == '\\' { 2 } else { 1 };
    }
    k + 1
}

/// The stripped source without its `#[cfg(test)] mod name { … }` blocks.
fn without_tests(s: &str) -> String {
    let mut s = s.to_string();
    while let Some(start) = s.find("#[cfg(test)]") {
        let after = &s[start + "#[cfg(test)]".len()..];
        let trimmed = after.trim_start();
        let item = trimmed.strip_prefix("pub(crate)").unwrap_or(trimmed).trim_start();
        let Some(open) = item.starts_with("mod ").then(|| item.find(['{', ';'])).flatten() else {
            // An attribute on something other than a module: drop the attribute alone.
            s.replace_range(start..start + "#[cfg(test)]".len(), "");
            continue;
        };
        let open_at = s.len() - item.len() + open;
        let mut end = open_at + 1;
        if s.as_bytes()[open_at] == b'{' {
            let mut depth = 0usize;
            for (k, c) in s[open_at..].char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = open_at + k + 1;
                            break;
                        }
                    }
                    _ => {}
                }
            }
        }
        s.replace_range(start..end, "");
    }
    s
}

/// The paths of a `use` tree (`a::{b, c::{d as e, self}}` → `a::b`, `a::c::d`, `a::c`), each
/// with the name it binds (`None` for a glob).
fn use_paths(tree: &str) -> Vec<(Vec<String>, Option<String>)> {
    fn expand(prefix: &[String], t: &str, out: &mut Vec<(Vec<String>, Option<String>)>) {
        let t = t.trim();
        if t.is_empty() {
            return;
        }
        if let Some(inner) = t.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
            let mut depth = 0;
            let mut from = 0;
            for (k, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        expand(prefix, &inner[from..k], out);
                        from = k + 1;
                    }
                    _ => {}
                }
            }
            expand(prefix, &inner[from..], out);
            return;
        }
        if let Some(k) = t.find("::{") {
            let mut p = prefix.to_vec();
            p.extend(t[..k].split("::").map(|s| s.trim().to_string()));
            expand(&p, &t[k + 2..], out);
            return;
        }
        let (path, alias) = match t.split_once(" as ") {
            Some((p, a)) => (p.trim(), Some(a.trim().to_string())),
            None => (t, None),
        };
        let mut p = prefix.to_vec();
        p.extend(path.split("::").map(|s| s.trim().to_string()));
        if p.last().is_some_and(|l| l == "self") {
            p.pop();
        }
        let bound = match p.last().map(String::as_str) {
            Some("*") => {
                p.pop();
                None
            }
            _ => alias.or_else(|| p.last().cloned()),
        };
        out.push((p, bound));
    }
    let mut out = Vec::new();
    expand(&[], tree, &mut out);
    out
}

/// One module's source, stripped, with its `use` trees and its inline paths.
struct Module {
    /// `pub use` declarations (re-exports)
    reexports: Vec<(Vec<String>, Option<String>)>,
    /// every path that may name a module (`use` trees and inline paths)
    paths: Vec<Vec<String>>,
}

fn parse_module(src: &str) -> Module {
    let s = without_tests(&strip(src));
    let mut reexports = Vec::new();
    let mut paths = Vec::new();
    let mut rest = s.as_str();
    while let Some(k) = find_word(rest, "use") {
        let before = rest[..k].trim_end();
        let public = before.ends_with("pub") || before.ends_with(')') && before.contains("pub(");
        let after = &rest[k + 3..];
        let end = after.find(';').unwrap_or(after.len());
        let tree: String = after[..end].split_whitespace().collect::<Vec<_>>().join(" ");
        let tree = tree.replace(" ::", "::").replace(":: ", "::").replace("{ ", "{").replace(" }", "}");
        for (p, bound) in use_paths(&tree) {
            if public {
                reexports.push((p.clone(), bound));
            }
            paths.push(p);
        }
        rest = &after[end..];
    }
    // Inline paths: identifiers joined by `::`.
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if (chars[i].is_alphabetic() || chars[i] == '_') && (i == 0 || !is_path_char(chars[i - 1])) {
            let mut segs = Vec::new();
            let mut j = i;
            loop {
                let start = j;
                while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
                    j += 1;
                }
                segs.push(chars[start..j].iter().collect::<String>());
                if chars.get(j) == Some(&':')
                    && chars.get(j + 1) == Some(&':')
                    && chars.get(j + 2).is_some_and(|c| c.is_alphabetic() || *c == '_')
                {
                    j += 2;
                } else {
                    break;
                }
            }
            if segs.len() > 1 {
                paths.push(segs);
            }
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    Module { reexports, paths }
}

fn is_path_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == ':'
}

/// The byte offset of the keyword `word` as a whole word in `s`.
fn find_word(s: &str, word: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(k) = s[from..].find(word) {
        let at = from + k;
        let before = s[..at].chars().next_back();
        let after = s[at + word.len()..].chars().next();
        let boundary = |c: Option<char>| c.is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == ':'));
        if boundary(before) && after.is_some_and(char::is_whitespace) {
            return Some(at);
        }
        from = at + word.len();
    }
    None
}

/// The module graph: node → (node → one path that makes the edge).
type Graph = BTreeMap<ModPath, BTreeMap<ModPath, String>>;

struct Crate {
    modules: BTreeMap<ModPath, Module>,
}

impl Crate {
    fn read(root: &Path) -> Crate {
        let mut files = Vec::new();
        rust_files(root, &mut files);
        let modules = files
            .iter()
            .map(|f| {
                let src = std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
                (module_of(root, f), parse_module(&src))
            })
            .collect();
        Crate { modules }
    }

    fn is_facade(&self, m: &ModPath) -> bool {
        self.modules.keys().any(|k| k.len() > m.len() && k.starts_with(m))
    }

    /// The module a path in module `from` names, following re-exports by name; `None` for
    /// paths into other crates or local items.
    fn resolve(&self, from: &ModPath, path: &[String], depth: usize) -> Option<ModPath> {
        let (mut base, rest): (ModPath, &[String]) = match path.first().map(String::as_str) {
            Some("crate") => (Vec::new(), &path[1..]),
            Some("self") => (from.clone(), &path[1..]),
            Some("super") => {
                let mut base = from.clone();
                let mut k = 0;
                while path.get(k).is_some_and(|s| s == "super") {
                    base.pop();
                    k += 1;
                }
                (base, &path[k..])
            }
            Some(first) => {
                let mut child = from.clone();
                child.push(first.to_string());
                if !self.is_facade(from) || !self.modules.contains_key(&child) {
                    return None;
                }
                (from.clone(), path)
            }
            None => return None,
        };
        let mut used = 0;
        while used < rest.len() {
            let mut next = base.clone();
            next.push(rest[used].clone());
            if !self.modules.contains_key(&next) {
                break;
            }
            base = next;
            used += 1;
        }
        // An item re-exported by name from a facade: follow it (a few levels at most).
        if let (Some(item), true) = (rest.get(used), depth < 8) {
            let module = &self.modules[&base];
            if let Some((target, _)) =
                module.reexports.iter().find(|(_, b)| b.as_deref() == Some(item.as_str()))
            {
                let target_module = &target[..target.len().saturating_sub(1)];
                if let Some(m) = self.resolve(&base, target_module, depth + 1) {
                    return Some(m);
                }
            }
        }
        Some(base)
    }

    fn graph(&self) -> Graph {
        let mut graph = Graph::new();
        for (from, module) in &self.modules {
            let edges = graph.entry(from.clone()).or_default();
            for path in &module.paths {
                let Some(to) = self.resolve(from, path, 0) else { continue };
                // Self-references and a child's use of its own facade are not edges.
                if &to == from || (from.starts_with(&to) && self.is_facade(&to)) {
                    continue;
                }
                edges.entry(to).or_insert_with(|| path.join("::"));
            }
        }
        graph
    }
}

/// The strongly connected components of more than one node (Tarjan).
fn cycles(graph: &Graph) -> Vec<BTreeSet<ModPath>> {
    struct State<'a> {
        graph: &'a Graph,
        index: BTreeMap<&'a ModPath, usize>,
        low: BTreeMap<&'a ModPath, usize>,
        stack: Vec<&'a ModPath>,
        on_stack: BTreeSet<&'a ModPath>,
        out: Vec<BTreeSet<ModPath>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a ModPath) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in s.graph[v].keys() {
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(lw);
            } else if s.on_stack.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = BTreeSet::new();
            loop {
                let w = s.stack.pop().expect("on the stack");
                s.on_stack.remove(w);
                component.insert(w.clone());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                s.out.push(component);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.out
}

/// A cycle's nodes and its edges, one per line: `a → b (crate::b::Item)`.
fn describe(graph: &Graph, component: &BTreeSet<ModPath>) -> String {
    let nodes: Vec<String> = component.iter().map(name).collect();
    let mut text = format!("  {{{}}}\n", nodes.join(", "));
    for from in component {
        for (to, path) in &graph[from] {
            if component.contains(to) {
                text.push_str(&format!("    {} → {} ({path})\n", name(from), name(to)));
            }
        }
    }
    text
}

fn check(graph: &Graph) -> Result<(), String> {
    let found = cycles(graph);
    let names = |c: &BTreeSet<ModPath>| -> BTreeSet<String> { c.iter().map(name).collect() };
    let allowed: Vec<BTreeSet<String>> =
        ALLOWED.iter().map(|(nodes, _)| nodes.iter().map(|s| s.to_string()).collect()).collect();
    let mut report = String::new();
    for c in &found {
        if !allowed.contains(&names(c)) {
            report.push_str(&format!("an import cycle in crates/ntk-core/src:\n{}", describe(graph, c)));
        }
    }
    for (nodes, reason) in ALLOWED {
        let set: BTreeSet<String> = nodes.iter().map(|s| s.to_string()).collect();
        if !found.iter().any(|c| names(c) == set) {
            report.push_str(&format!(
                "the allowed cycle {{{}}} ({reason}) no longer exists as listed: remove it from ALLOWED (or list what is left of it)\n",
                nodes.join(", ")
            ));
        }
    }
    if report.is_empty() {
        Ok(())
    } else {
        Err(report)
    }
}

#[test]
fn the_core_has_no_import_cycles_beyond_the_allowed_ones() {
    let graph = Crate::read(&src_root()).graph();
    assert!(graph.len() > 50, "the core's modules were not found: {:?}", graph.keys().collect::<Vec<_>>());
    if let Err(report) = check(&graph) {
        panic!("{report}");
    }
}

/// The reader on a made-up crate: edges from `use` trees, inline paths and re-exports, not
/// from comments, strings, tests or a child's use of its facade; a cycle is named.
#[test]
fn the_reader_sees_the_paths_that_matter() {
    let dir = std::env::temp_dir().join(format!("import-graph-{}", std::process::id()));
    let files = [
        ("lib.rs", "pub mod a;\npub mod b;\npub mod d;\npub use a::Thing;\n"),
        ("a.rs", "use crate::b::{self as bee, Other};\n/// [`crate::d`]\npub struct Thing;\n"),
        (
            "b.rs",
            "pub struct Other;\nfn f() -> crate::Thing { let _ = \"crate::d::X\"; let _c = '{'; crate::Thing }\n#[cfg(test)]\nmod tests { use crate::d::X; }\n",
        ),
        ("d/mod.rs", "pub mod e;\npub use e::X;\npub struct Y;\n"),
        ("d/e.rs", "use super::Y;\npub struct X;\n"),
    ];
    for (file, text) in files {
        let path = dir.join(file);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("a temporary directory");
        std::fs::write(&path, text).expect("written");
    }
    let graph = Crate::read(&dir).graph();
    let edges = |m: &str| -> Vec<String> {
        let key: ModPath = if m == "lib" { vec![] } else { m.split('/').map(str::to_string).collect() };
        graph[&key].keys().map(name).collect()
    };
    assert_eq!(edges("a"), ["b"]);
    assert_eq!(edges("b"), ["a"], "crate::Thing is a's");
    assert_eq!(edges("d"), ["d/e"]);
    assert!(edges("d/e").is_empty(), "a child's use of its facade is not an edge");
    let report = check(&graph).expect_err("a ↔ b is a cycle");
    assert!(report.contains("{a, b}") && report.contains("a → b (crate::b)"), "{report}");
    std::fs::remove_dir_all(&dir).ok();
}
