//! The trust edges as a graph, in Graphviz DOT and Mermaid: the roles inside a "this account"
//! cluster, the principals outside it (one node per account, vendor, service, identity provider,
//! or anyone), and one edge per trust labelled with its guards. Node ids are generated (`p1`,
//! `r1`), so names never reach the syntax except inside labels, and every label is escaped for
//! its language.

use std::collections::BTreeMap;

use crate::iam::principals::Relation;
use crate::trusts::edges::Edge;

/// A principal node: what it stands for, its label, and whether it is this account.
fn principal_node(e: &Edge) -> (String, String, bool) {
    let p = &e.principal;
    let inside = p.relation == Some(Relation::SelfAccount) && p.kind == "account";
    match (p.kind, &p.account) {
        ("account", Some(a)) => {
            let label = match (&p.relation, &p.name) {
                (Some(Relation::SelfAccount), _) => "this account".to_string(),
                (Some(Relation::Vendor), Some(n)) => format!("{n} ({a})"),
                (Some(Relation::Trusted), Some(n)) => format!("{a} ({n}, trusted)"),
                (Some(Relation::Trusted), None) => format!("{a} (trusted)"),
                (Some(Relation::Any), _) => "any account (*)".to_string(),
                _ => format!("{a} (unknown account)"),
            };
            (format!("account:{a}"), label, inside)
        }
        ("any", _) => ("any".into(), "anyone (*)".into(), false),
        ("service", _) => (
            format!("service:{}", p.value),
            format!("{} (service)", p.value),
            false,
        ),
        ("federated", _) => (
            format!("federated:{}", p.value),
            format!(
                "{} ({})",
                p.name.clone().unwrap_or_else(|| "federated".into()),
                p.value
            ),
            false,
        ),
        _ => (
            format!("other:{}:{}", p.ty, p.value),
            format!("{} ({})", p.value, p.kind),
            false,
        ),
    }
}

/// The label of an edge: the identity when it is not the account as a whole, then its guards
/// (or `no guard`), then `unresolved` when something is.
fn edge_label(e: &Edge) -> String {
    let mut parts = Vec::new();
    if e.principal.kind == "account"
        && e.principal.value.starts_with("arn:")
        && let Some((_, res)) = e.principal.value.rsplit_once(':')
        && res != "root"
    {
        parts.push(res.to_string());
    }
    let guards = e.guards.labels();
    if guards.is_empty() {
        parts.push("no guard".to_string());
    } else {
        parts.extend(guards);
    }
    if !e.unresolved.is_empty() {
        parts.push("unresolved".into());
    }
    parts.join(", ")
}

fn role_label(e: &Edge) -> String {
    if e.root == "." {
        e.role.clone()
    } else {
        format!("{} in {}", e.role, e.root)
    }
}

struct Layout {
    roles: Vec<(String, String)>,
    principals: Vec<(String, String, bool)>,
    links: Vec<(String, String, String)>,
}

fn layout(edges: &[Edge]) -> Layout {
    let mut roles: BTreeMap<(String, String), (String, String)> = BTreeMap::new();
    let mut principals: BTreeMap<String, (String, String, bool)> = BTreeMap::new();
    let mut links = Vec::new();
    for e in edges {
        let n = roles.len();
        let r = roles
            .entry((e.root.clone(), e.role.clone()))
            .or_insert_with(|| (format!("r{}", n + 1), role_label(e)))
            .0
            .clone();
        let (key, label, inside) = principal_node(e);
        let n = principals.len();
        let p = principals
            .entry(key)
            .or_insert_with(|| (format!("p{}", n + 1), label, inside))
            .0
            .clone();
        links.push((p, r, edge_label(e)));
    }
    Layout {
        roles: roles.into_values().collect(),
        principals: principals.into_values().collect(),
        links,
    }
}

/// A DOT double-quoted string: `"` and `\` escaped, line breaks as `\n`.
fn dot_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' | '\r' => out.push_str("\\n"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The edges as a Graphviz digraph.
pub fn dot(edges: &[Edge]) -> String {
    let l = layout(edges);
    let mut s = String::from("digraph trusts {\n  rankdir=LR;\n  node [shape=box];\n");
    s.push_str("  subgraph cluster_this_account {\n    label=\"this account\";\n");
    for (id, label) in &l.roles {
        s.push_str(&format!("    {id} [label={}];\n", dot_str(label)));
    }
    for (id, label, inside) in &l.principals {
        if *inside {
            s.push_str(&format!(
                "    {id} [label={}, shape=ellipse];\n",
                dot_str(label)
            ));
        }
    }
    s.push_str("  }\n");
    for (id, label, inside) in &l.principals {
        if !inside {
            s.push_str(&format!(
                "  {id} [label={}, shape=ellipse];\n",
                dot_str(label)
            ));
        }
    }
    for (from, to, label) in &l.links {
        s.push_str(&format!("  {from} -> {to} [label={}];\n", dot_str(label)));
    }
    s.push_str("}\n");
    s
}

/// Mermaid label text: everything but letters, digits and a few safe marks becomes an entity
/// code (`#34;`), so quotes, brackets, pipes and markdown never end the label.
fn mermaid_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || " .,:/_-()*=@+".contains(c) {
            out.push(c);
        } else if c == '\n' || c == '\r' || c.is_control() {
            out.push(' ');
        } else {
            out.push_str(&format!("#{};", c as u32));
        }
    }
    out.push('"');
    out
}

/// The edges as a Mermaid flowchart.
pub fn mermaid(edges: &[Edge]) -> String {
    let l = layout(edges);
    let mut s = String::from("flowchart LR\n  subgraph this_account[\"this account\"]\n");
    for (id, label) in &l.roles {
        s.push_str(&format!("    {id}[{}]\n", mermaid_str(label)));
    }
    for (id, label, inside) in &l.principals {
        if *inside {
            s.push_str(&format!("    {id}([{}])\n", mermaid_str(label)));
        }
    }
    s.push_str("  end\n");
    for (id, label, inside) in &l.principals {
        if !inside {
            s.push_str(&format!("  {id}([{}])\n", mermaid_str(label)));
        }
    }
    for (from, to, label) in &l.links {
        s.push_str(&format!("  {from} -->|{}| {to}\n", mermaid_str(label)));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped() {
        assert_eq!(dot_str("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
        assert_eq!(mermaid_str("x\"]|y"), "\"x#34;#93;#124;y\"");
    }
}
