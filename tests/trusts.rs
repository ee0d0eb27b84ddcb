//! `iamlint trusts`: the inventory of trust relationships in every format (the DOT and Mermaid
//! graphs checked syntactically, with hostile names), the guards read with IAM's condition
//! semantics, and the approval file's round trip: write, rewrite keeping the human fields, a new
//! trust, a widened `sub`, a dropped ExternalId, organization or MFA, a stale entry, an expired
//! entry, a glob over `for_each` instances.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn iamlint(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("iamlint").expect("binary");
    c.current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("IAMLINT_TODAY");
    c
}

fn write(dir: &Path, name: &str, text: &str) {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(p, text).expect("write");
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).expect("read")
}

fn stdout(c: &mut Command) -> (String, i32) {
    let out = c.output().expect("run");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

fn json_of(c: &mut Command) -> (Value, i32) {
    let (s, code) = stdout(c);
    (serde_json::from_str(&s).expect("json output"), code)
}

fn role(name: &str, principal: &str, condition: &str) -> String {
    format!(
        r#"resource "aws_iam_role" "{name}" {{
  name = "{name}"
  assume_role_policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect    = "Allow"
      Principal = {principal}
      Action    = "sts:AssumeRole"
      Condition = {condition}
    }}]
  }})
}}
"#
    )
}

const GITHUB: &str = r#"{ Federated = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com" }"#;

fn github_condition(sub_op: &str, sub: &str) -> String {
    let aud = r#""token.actions.githubusercontent.com:aud" = "sts.amazonaws.com""#;
    let sub = format!(r#""token.actions.githubusercontent.com:sub" = "{sub}""#);
    if sub_op == "StringEquals" {
        format!(
            "{{\n        StringEquals = {{\n          {aud}\n          {sub}\n        }}\n      }}"
        )
    } else {
        format!("{{\n        StringEquals = {{ {aud} }}\n        {sub_op} = {{ {sub} }}\n      }}")
    }
}

/// A repository with a vendor, an unknown account with ExternalId and organization, a GitHub
/// Actions role, an MFA-guarded role, a service with an unresolved second principal, and an
/// ExternalId under IfExists (which guards nothing).
fn inventory_repo(dir: &Path) {
    let mut tf = String::new();
    tf.push_str(&role(
        "payments",
        r#"{ AWS = "arn:aws:iam::999988887777:root" }"#,
        r#"{ StringEquals = { "sts:ExternalId" = "f3a9", "aws:PrincipalOrgID" = "o-abcdef1234" } }"#,
    ));
    tf.push_str(&role(
        "datadog",
        r#"{ AWS = "arn:aws:iam::464622532012:root" }"#,
        "{}",
    ));
    tf.push_str(&role(
        "deploy",
        GITHUB,
        &github_condition("StringLike", "repo:org/app:environment:prod"),
    ));
    tf.push_str(&role(
        "admin",
        r#"{ AWS = "arn:aws:iam::111122223333:role/admin" }"#,
        r#"{ Bool = { "aws:MultiFactorAuthPresent" = "true" } }"#,
    ));
    tf.push_str(&role(
        "optional",
        r#"{ AWS = "arn:aws:iam::999988887777:root" }"#,
        r#"{ StringEqualsIfExists = { "sts:ExternalId" = "f3a9" } }"#,
    ));
    tf.push_str(
        r#"variable "partner" {
  type = string
}

resource "aws_iam_role" "worker" {
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Allow"
        Principal = { Service = "lambda.amazonaws.com" }
        Action    = "sts:AssumeRole"
      },
      {
        Effect    = "Allow"
        Principal = { AWS = var.partner }
        Action    = "sts:AssumeRole"
      },
    ]
  })
}
"#,
    );
    write(dir, "main.tf", &tf);
}

fn edge<'a>(trusts: &'a Value, role: &str, principal: &str) -> &'a Value {
    trusts["trusts"]
        .as_array()
        .expect("trusts")
        .iter()
        .find(|t| t["role"] == role && t["principal"]["value"] == principal)
        .unwrap_or_else(|| panic!("no edge {role} <- {principal} in {trusts:#}"))
}

#[test]
fn json_inventory_has_every_edge_with_relation_and_guards() {
    let dir = tempfile::tempdir().expect("tempdir");
    inventory_repo(dir.path());
    let (j, code) = json_of(iamlint(dir.path()).args(["trusts", "--format", "json"]));
    assert_eq!(code, 0, "{j:#}");
    assert_eq!(j["version"], 1);
    assert_eq!(j["summary"]["trusts"], 7, "{j:#}");
    assert_eq!(j["summary"]["roles"], 6, "{j:#}");

    let p = edge(
        &j,
        "aws_iam_role.payments",
        "arn:aws:iam::999988887777:root",
    );
    assert_eq!(p["root"], ".");
    assert_eq!(p["file"], "main.tf");
    assert_eq!(p["line"], 7);
    assert_eq!(p["principal"]["type"], "AWS");
    assert_eq!(p["principal"]["kind"], "account");
    assert_eq!(p["principal"]["account"], "999988887777");
    assert_eq!(p["principal"]["relation"], "unknown");
    assert_eq!(p["guards"]["external_id"], true);
    assert_eq!(p["guards"]["organizations"][0], "o-abcdef1234");
    assert_eq!(p["guards"]["mfa"], false);

    let d = edge(&j, "aws_iam_role.datadog", "arn:aws:iam::464622532012:root");
    assert_eq!(d["principal"]["relation"], "vendor");
    assert_eq!(d["principal"]["name"], "Datadog");
    assert_eq!(d["guards"]["external_id"], false);

    let g = edge(
        &j,
        "aws_iam_role.deploy",
        "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com",
    );
    assert_eq!(g["principal"]["kind"], "federated");
    assert_eq!(g["principal"]["name"], "GitHub Actions OIDC");
    assert_eq!(g["guards"]["sub"][0], "repo:org/app:environment:prod");
    assert_eq!(g["guards"]["aud"][0], "sts.amazonaws.com");

    let a = edge(
        &j,
        "aws_iam_role.admin",
        "arn:aws:iam::111122223333:role/admin",
    );
    assert_eq!(a["guards"]["mfa"], true);

    // IfExists passes when the key is missing: not a guard.
    let o = edge(
        &j,
        "aws_iam_role.optional",
        "arn:aws:iam::999988887777:root",
    );
    assert_eq!(o["guards"]["external_id"], false, "{o:#}");

    let s = edge(&j, "aws_iam_role.worker", "lambda.amazonaws.com");
    assert_eq!(s["principal"]["kind"], "service");
    assert_eq!(s["principal"]["relation"], Value::Null);
    let u = edge(&j, "aws_iam_role.worker", "${var.partner}");
    assert_eq!(u["principal"]["kind"], "unresolved");
    assert!(
        !u["unresolved"].as_array().expect("list").is_empty(),
        "{u:#}"
    );
    assert_eq!(j["summary"]["unresolved"], 1);
}

#[test]
fn table_and_markdown_list_every_edge() {
    let dir = tempfile::tempdir().expect("tempdir");
    inventory_repo(dir.path());
    let (table, code) = stdout(iamlint(dir.path()).arg("trusts"));
    assert_eq!(code, 0, "{table}");
    let head = table.lines().next().expect("header");
    for col in ["ROLE", "ROOT", "PRINCIPAL", "RELATION", "GUARDS", "WHERE"] {
        assert!(head.contains(col), "{head}");
    }
    let pay = table
        .lines()
        .find(|l| l.starts_with("aws_iam_role.payments"))
        .expect("payments row");
    assert!(pay.contains("ExternalId; org o-abcdef1234"), "{pay}");
    assert!(pay.contains("main.tf:7"), "{pay}");
    assert!(table.contains("vendor (Datadog)"), "{table}");
    assert!(
        table.contains("7 trust relationships of 6 roles; 1 with something unresolved"),
        "{table}"
    );

    let (md, code) = stdout(iamlint(dir.path()).args(["trusts", "--format", "markdown"]));
    assert_eq!(code, 0);
    let rows: Vec<&str> = md.lines().filter(|l| l.starts_with('|')).collect();
    // Header, separator, one row per edge; every row has the same number of cells.
    assert_eq!(rows.len(), 2 + 7, "{md}");
    let cells = |l: &str| l.replace("\\|", "").matches('|').count();
    assert!(rows.iter().all(|r| cells(r) == cells(rows[0])), "{md}");
    assert!(md.contains("sub repo:org/app:environment:prod"), "{md}");
}

/// A CloudFormation template whose names try to break out of every syntax.
const HOSTILE: &str = r#"Resources:
  "Evil\"]; r1 -> p1 [label=\"x\"]; |`end`<br>#quot;\\":
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal:
              Service: "svc\"} -->|x| end\n subgraph [\\]"
            Action: sts:AssumeRole
          - Effect: Allow
            Principal: {AWS: "arn:aws:iam::464622532012:root"}
            Action: sts:AssumeRole
            Condition:
              StringEquals: {sts:ExternalId: "a\"b"}
"#;

const EVIL_ROLE: &str = "Evil\"]; r1 -> p1 [label=\"x\"]; |`end`<br>#quot;\\";
const EVIL_SERVICE: &str = "svc\"} -->|x| end\n subgraph [\\]";

#[derive(Debug, PartialEq, Clone)]
enum Tok {
    Id(String),
    Str(String),
    Punct(String),
}

/// Tokenizes DOT: identifiers, double-quoted strings (only `\"` and `\\` escapes), and the
/// punctuation the graph uses. Anything else is an error.
fn dot_tokens(s: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(Tok::Id(chars[start..i].iter().collect()));
        } else if c == '"' {
            let mut text = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err("unterminated string".into()),
                    Some('"') => break,
                    Some('\n') => return Err("raw line break in a string".into()),
                    Some('\\') => {
                        match chars.get(i + 1) {
                            Some('"') => text.push('"'),
                            Some('\\') => text.push('\\'),
                            Some('n') => text.push('\n'),
                            other => return Err(format!("bad escape {other:?}")),
                        }
                        i += 2;
                    }
                    Some(c) => {
                        text.push(*c);
                        i += 1;
                    }
                }
            }
            i += 1;
            out.push(Tok::Str(text));
        } else if c == '-' && chars.get(i + 1) == Some(&'>') {
            out.push(Tok::Punct("->".into()));
            i += 2;
        } else if "{}[];,=".contains(c) {
            out.push(Tok::Punct(c.to_string()));
            i += 1;
        } else {
            return Err(format!("unexpected character {c:?}"));
        }
    }
    Ok(out)
}

struct DotGraph {
    nodes: Vec<(String, String)>,
    edges: Vec<(String, String, String)>,
    cluster_nodes: Vec<String>,
}

/// Parses the subset of DOT that `--format dot` writes: `digraph ID { stmts }`, with
/// attribute statements, `subgraph ID { ... }`, node statements and edge statements.
fn parse_dot(text: &str) -> Result<DotGraph, String> {
    let toks = dot_tokens(text)?;
    let mut g = DotGraph {
        nodes: Vec::new(),
        edges: Vec::new(),
        cluster_nodes: Vec::new(),
    };
    let mut pos = 0;
    let p = |s: &str| Tok::Punct(s.into());
    let expect = |pos: &mut usize, t: Tok| -> Result<(), String> {
        if toks.get(*pos) == Some(&t) {
            *pos += 1;
            Ok(())
        } else {
            Err(format!(
                "expected {t:?} at token {pos}, found {:?}",
                toks.get(*pos)
            ))
        }
    };
    expect(&mut pos, Tok::Id("digraph".into()))?;
    expect(&mut pos, Tok::Id("trusts".into()))?;
    expect(&mut pos, p("{"))?;
    let attrs = |pos: &mut usize| -> Result<Vec<(String, String)>, String> {
        let mut out = Vec::new();
        expect(pos, p("["))?;
        loop {
            let Some(Tok::Id(k)) = toks.get(*pos).cloned() else {
                return Err(format!("attribute name expected at {pos}"));
            };
            *pos += 1;
            expect(pos, p("="))?;
            let v = match toks.get(*pos).cloned() {
                Some(Tok::Id(v)) | Some(Tok::Str(v)) => v,
                other => return Err(format!("attribute value expected, found {other:?}")),
            };
            *pos += 1;
            out.push((k, v));
            match toks.get(*pos) {
                Some(t) if *t == p(",") => *pos += 1,
                Some(t) if *t == p("]") => {
                    *pos += 1;
                    return Ok(out);
                }
                other => return Err(format!("`,` or `]` expected, found {other:?}")),
            }
        }
    };
    let mut depth = 1;
    while depth > 0 {
        match toks.get(pos).cloned() {
            None => return Err("unexpected end".into()),
            Some(Tok::Punct(x)) if x == "}" => {
                depth -= 1;
                pos += 1;
            }
            Some(Tok::Id(k)) if k == "subgraph" => {
                pos += 1;
                let Some(Tok::Id(_)) = toks.get(pos) else {
                    return Err("subgraph id expected".into());
                };
                pos += 1;
                expect(&mut pos, p("{"))?;
                depth += 1;
            }
            Some(Tok::Id(k)) if k == "node" => {
                pos += 1;
                attrs(&mut pos)?;
                expect(&mut pos, p(";"))?;
            }
            Some(Tok::Id(id)) => {
                pos += 1;
                match toks.get(pos).cloned() {
                    Some(Tok::Punct(x)) if x == "=" => {
                        pos += 1;
                        match toks.get(pos) {
                            Some(Tok::Id(_)) | Some(Tok::Str(_)) => pos += 1,
                            other => return Err(format!("value expected, found {other:?}")),
                        }
                        expect(&mut pos, p(";"))?;
                    }
                    Some(Tok::Punct(x)) if x == "->" => {
                        pos += 1;
                        let Some(Tok::Id(to)) = toks.get(pos).cloned() else {
                            return Err("edge target expected".into());
                        };
                        pos += 1;
                        let a = attrs(&mut pos)?;
                        expect(&mut pos, p(";"))?;
                        let label = a
                            .into_iter()
                            .find(|(k, _)| k == "label")
                            .map(|(_, v)| v)
                            .ok_or("edge without label")?;
                        g.edges.push((id, to, label));
                    }
                    Some(Tok::Punct(x)) if x == "[" => {
                        let a = attrs(&mut pos)?;
                        expect(&mut pos, p(";"))?;
                        let label = a
                            .into_iter()
                            .find(|(k, _)| k == "label")
                            .map(|(_, v)| v)
                            .ok_or("node without label")?;
                        if depth == 2 {
                            g.cluster_nodes.push(id.clone());
                        }
                        g.nodes.push((id, label));
                    }
                    other => return Err(format!("statement expected after {id}, found {other:?}")),
                }
            }
            other => return Err(format!("statement expected, found {other:?}")),
        }
    }
    if pos != toks.len() {
        return Err("tokens after the graph".into());
    }
    Ok(g)
}

#[test]
fn dot_graph_parses_and_keeps_hostile_names_inside_labels() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "template.yaml", HOSTILE);
    inventory_repo(dir.path());
    let (dot, code) = stdout(iamlint(dir.path()).args(["trusts", "--format", "dot"]));
    assert_eq!(code, 0, "{dot}");
    let g = parse_dot(&dot).unwrap_or_else(|e| panic!("{e}\n{dot}"));
    // Roles inside the cluster, principals outside; every edge joins declared nodes.
    let label = |id: &str| {
        g.nodes
            .iter()
            .find(|(n, _)| n == id)
            .map(|(_, l)| l.clone())
            .unwrap_or_else(|| panic!("undeclared node {id}"))
    };
    assert_eq!(g.edges.len(), 9, "{dot}");
    for (from, to, _) in &g.edges {
        assert!(g.cluster_nodes.contains(to), "{to} is not in the cluster");
        assert!(!g.cluster_nodes.contains(from), "{from} is in the cluster");
        label(from);
    }
    let labels: Vec<String> = g.nodes.iter().map(|(_, l)| l.clone()).collect();
    assert!(
        labels.iter().any(|l| l.starts_with(EVIL_ROLE)),
        "{labels:?}"
    );
    assert!(
        labels.iter().any(|l| l.starts_with(EVIL_SERVICE)),
        "{labels:?}"
    );
    assert!(
        labels.iter().any(|l| l == "Datadog (464622532012)"),
        "{labels:?}"
    );
    assert!(
        g.edges
            .iter()
            .any(|(_, _, l)| l == "ExternalId, org o-abcdef1234"),
        "{dot}"
    );
}

/// Decodes Mermaid entity codes (`#34;`).
fn mermaid_decode(s: &str) -> String {
    let re = regex::Regex::new(r"#(\d+);").expect("regex");
    re.replace_all(s, |c: &regex::Captures| {
        c[1].parse::<u32>()
            .ok()
            .and_then(char::from_u32)
            .map(String::from)
            .unwrap_or_default()
    })
    .into_owned()
}

#[test]
fn mermaid_graph_lines_are_well_formed_with_hostile_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "template.yaml", HOSTILE);
    inventory_repo(dir.path());
    let (m, code) = stdout(iamlint(dir.path()).args(["trusts", "--format", "mermaid"]));
    assert_eq!(code, 0, "{m}");
    // A label is a quoted string with nothing in it that Mermaid reads as syntax.
    const LABEL: &str = r#""[A-Za-z0-9 .,:/_\-()*=@+#;]*""#;
    let patterns = [
        r"^flowchart LR$".to_string(),
        r#"^  subgraph this_account\["this account"\]$"#.to_string(),
        format!(r"^    r\d+\[{LABEL}\]$"),
        format!(r"^    p\d+\(\[{LABEL}\]\)$"),
        r"^  end$".to_string(),
        format!(r"^  p\d+\(\[{LABEL}\]\)$"),
        format!(r"^  p\d+ -->\|{LABEL}\| r\d+$"),
    ];
    let res: Vec<regex::Regex> = patterns
        .iter()
        .map(|p| regex::Regex::new(p).expect("regex"))
        .collect();
    let mut in_sub = false;
    let mut declared = Vec::new();
    for line in m.lines() {
        assert!(
            res.iter().any(|r| r.is_match(line)),
            "malformed line {line:?} in\n{m}"
        );
        if line.starts_with("  subgraph") {
            in_sub = true;
        }
        if line == "  end" {
            assert!(in_sub, "end without subgraph");
            in_sub = false;
        }
        if let Some(id) = line.trim().split(['[', '(', ' ']).next()
            && !line.contains("-->")
        {
            declared.push(id.to_string());
        }
    }
    assert!(!in_sub, "subgraph not closed");
    let edges: Vec<&str> = m.lines().filter(|l| l.contains("-->")).collect();
    assert_eq!(edges.len(), 9, "{m}");
    for e in edges {
        let parts: Vec<&str> = e.split_whitespace().collect();
        assert!(declared.iter().any(|d| d == parts[0]), "{e}");
        assert!(declared.iter().any(|d| d == parts[parts.len() - 1]), "{e}");
    }
    let decoded = mermaid_decode(&m);
    assert!(decoded.contains(EVIL_ROLE), "{decoded}");
    assert!(
        decoded.contains(&EVIL_SERVICE.replace('\n', " ")),
        "{decoded}"
    );
}

// ---------------------------------------------------------------------------------------------
// The approval file.

/// A repository for the approval round trip: a partner with ExternalId and organization, a
/// GitHub Actions deploy role pinned to one environment, an admin role behind MFA, and a module
/// stamped out by for_each.
fn approval_repo(dir: &Path) {
    write(dir, ".git/HEAD", "ref: refs/heads/main\n");
    let mut tf = String::new();
    tf.push_str(&role(
        "payments",
        r#"{ AWS = "arn:aws:iam::999988887777:root" }"#,
        r#"{ StringEquals = { "sts:ExternalId" = "f3a9", "aws:PrincipalOrgID" = "o-abcdef1234" } }"#,
    ));
    tf.push_str(&role(
        "deploy",
        GITHUB,
        &github_condition("StringEquals", "repo:org/app:environment:prod"),
    ));
    tf.push_str(&role(
        "admin",
        r#"{ AWS = "arn:aws:iam::111122223333:role/admin" }"#,
        r#"{ Bool = { "aws:MultiFactorAuthPresent" = "true" } }"#,
    ));
    tf.push_str(
        r#"module "team" {
  for_each = toset(["a", "b"])
  source   = "./modules/team"
  name     = each.key
}
"#,
    );
    write(dir, "main.tf", &tf);
    write(
        dir,
        "modules/team/main.tf",
        r#"variable "name" {
  type = string
}

resource "aws_iam_role" "ci" {
  name = "ci-${var.name}"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "codebuild.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}
"#,
    );
}

/// The IAM40x findings of `iamlint check` as (rule, message, file, line).
fn approval_findings(dir: &Path, today: Option<&str>) -> Vec<(String, String, String, u64)> {
    let mut c = iamlint(dir);
    c.args(["--format", "json"]);
    if let Some(t) = today {
        c.env("IAMLINT_TODAY", t);
    }
    let (j, _) = json_of(&mut c);
    assert_eq!(j["errors"].as_array().map(Vec::len), Some(0), "{j:#}");
    j["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"].as_str().is_some_and(|r| r.starts_with("IAM40")))
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or("").to_string(),
                f["message"].as_str().unwrap_or("").to_string(),
                f["file"].as_str().unwrap_or("").to_string(),
                f["line"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

fn line_of(text: &str, needle: &str) -> u64 {
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| i as u64 + 1)
        .unwrap_or_else(|| panic!("{needle} not in\n{text}"))
}

fn write_approvals(dir: &Path) {
    let out = iamlint(dir)
        .args(["trusts", "--write"])
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn written_file_approves_the_code_as_it_is_and_is_stable() {
    let dir = tempfile::tempdir().expect("tempdir");
    approval_repo(dir.path());
    // No approval file: nothing to compare, and `trusts --check` says so.
    assert!(approval_findings(dir.path(), None).is_empty());
    let (_, code) = stdout(iamlint(dir.path()).args(["trusts", "--check"]));
    assert_eq!(code, 2);

    write_approvals(dir.path());
    let first = read(dir.path(), "iam-trusts.yaml");
    assert!(first.contains("role: \"aws_iam_role.payments\""), "{first}");
    assert!(first.contains("external_id: true"), "{first}");
    assert!(
        first.contains("organizations: [\"o-abcdef1234\"]"),
        "{first}"
    );
    assert!(
        first.contains("sub: [\"repo:org/app:environment:prod\"]"),
        "{first}"
    );
    assert!(first.contains("mfa: true"), "{first}");
    assert!(
        first.contains(r#"role: "module.team[\"a\"].aws_iam_role.ci""#),
        "{first}"
    );
    // Sorted by root, role, type, principal.
    let roles: Vec<&str> = first
        .lines()
        .filter(|l| l.trim_start().starts_with("role:"))
        .collect();
    let mut sorted = roles.clone();
    sorted.sort();
    assert_eq!(roles, sorted);
    assert_eq!(roles.len(), 5, "{first}");

    assert!(approval_findings(dir.path(), None).is_empty());
    let (out, code) = stdout(iamlint(dir.path()).args(["trusts", "--check"]));
    assert_eq!(code, 0, "{out}");
    write_approvals(dir.path());
    assert_eq!(read(dir.path(), "iam-trusts.yaml"), first, "not stable");
}

#[test]
fn rewrite_keeps_human_fields_and_globs() {
    let dir = tempfile::tempdir().expect("tempdir");
    approval_repo(dir.path());
    write_approvals(dir.path());
    let text = read(dir.path(), "iam-trusts.yaml");
    // Human fields on the payments entry; one glob entry for the module's instances.
    let mut edited = String::new();
    let mut skip = false;
    for line in text.lines() {
        if line.starts_with("  - ") {
            skip = false;
        }
        if line.contains(r#"role: "module.team[\"b\"].aws_iam_role.ci""#) {
            // Drop the `b` entry: the glob on `a` covers it.
            skip = true;
            let kept = edited.rfind("  - root:").expect("entry start");
            edited.truncate(kept);
            continue;
        }
        if skip {
            continue;
        }
        let line = line.replace(
            r#"module.team[\"a\"].aws_iam_role.ci"#,
            "module.team[*].aws_iam_role.ci",
        );
        edited.push_str(&line);
        edited.push('\n');
        if line.contains("role: \"aws_iam_role.payments\"") {
            edited.push_str("    reason: \"card processor\"\n    ticket: SEC-42\n    approved_by: alice\n    expires: 2999-01-31\n");
        }
        if line.contains("role: \"module.team[*].aws_iam_role.ci\"") {
            edited.push_str("    reason: \"one CI role per team\"\n");
        }
    }
    write(dir.path(), "iam-trusts.yaml", &edited);
    assert!(approval_findings(dir.path(), None).is_empty(), "{edited}");

    write_approvals(dir.path());
    let again = read(dir.path(), "iam-trusts.yaml");
    for kept in [
        "reason: \"card processor\"",
        "ticket: \"SEC-42\"",
        "approved_by: \"alice\"",
        "expires: \"2999-01-31\"",
        "reason: \"one CI role per team\"",
        "role: \"module.team[*].aws_iam_role.ci\"",
    ] {
        assert!(again.contains(kept), "{kept} lost:\n{again}");
    }
    assert!(!again.contains(r#"module.team[\"b\"]"#), "{again}");
    assert!(approval_findings(dir.path(), None).is_empty(), "{again}");
}

#[test]
fn a_new_trust_is_reported_on_the_principal() {
    let dir = tempfile::tempdir().expect("tempdir");
    approval_repo(dir.path());
    write_approvals(dir.path());
    let mut tf = read(dir.path(), "main.tf");
    tf.push_str(&role(
        "ledger",
        r#"{ AWS = "arn:aws:iam::999988887777:root" }"#,
        "{}",
    ));
    write(dir.path(), "main.tf", &tf);
    let f = approval_findings(dir.path(), None);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].0, "IAM401");
    assert_eq!(
        f[0].1,
        "aws_iam_role.ledger can now be assumed by 999988887777 (unknown account), which is not in iam-trusts.yaml"
    );
    assert_eq!(f[0].2, "main.tf");
    let principal_line = tf
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("999988887777"))
        .map(|(i, _)| i as u64 + 1)
        .last()
        .expect("line");
    assert_eq!(f[0].3, principal_line);
    let (out, code) = stdout(iamlint(dir.path()).args(["trusts", "--check"]));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("IAM401"), "{out}");
    assert!(
        !out.contains("IAM002"),
        "--check reports only the approvals: {out}"
    );
}

#[test]
fn weaker_guards_are_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    approval_repo(dir.path());
    write_approvals(dir.path());
    let tf = read(dir.path(), "main.tf");
    let cases = [
        (
            tf.replace(
                r#"          "token.actions.githubusercontent.com:sub" = "repo:org/app:environment:prod""#,
                r#"        }
        StringLike = {
          "token.actions.githubusercontent.com:sub" = "repo:org/*""#,
            ),
            "sub widened from `repo:org/app:environment:prod` to `repo:org/*`",
            "aws_iam_role.deploy",
        ),
        (
            tf.replace(r#""sts:ExternalId" = "f3a9", "#, ""),
            "the sts:ExternalId condition was removed",
            "aws_iam_role.payments",
        ),
        (
            tf.replace(r#", "aws:PrincipalOrgID" = "o-abcdef1234""#, ""),
            "the aws:PrincipalOrgID condition was removed (approved: `o-abcdef1234`)",
            "aws_iam_role.payments",
        ),
        (
            tf.replace(
                r#""aws:PrincipalOrgID" = "o-abcdef1234""#,
                r#""aws:PrincipalOrgID" = ["o-abcdef1234", "o-zzzzzzzzzz"]"#,
            ),
            "organizations widened from `o-abcdef1234` to `o-abcdef1234`, `o-zzzzzzzzzz`",
            "aws_iam_role.payments",
        ),
        (
            tf.replace(
                r#"Bool = { "aws:MultiFactorAuthPresent" = "true" }"#,
                r#"BoolIfExists = { "aws:MultiFactorAuthPresent" = "true" }"#,
            ),
            "the MFA (aws:MultiFactorAuthPresent) condition was removed",
            "aws_iam_role.admin",
        ),
    ];
    for (text, detail, role) in cases {
        assert_ne!(text, tf, "the edit for {detail} did not apply");
        write(dir.path(), "main.tf", &text);
        let f = approval_findings(dir.path(), None);
        assert_eq!(f.len(), 1, "{detail}: {f:?}");
        assert_eq!(f[0].0, "IAM402", "{f:?}");
        assert!(f[0].1.starts_with(role), "{f:?}");
        assert!(f[0].1.contains(detail), "{detail}: {f:?}");
        assert!(
            f[0].1
                .contains("weaker guards than iam-trusts.yaml approves")
        );
    }
    write(dir.path(), "main.tf", &tf);
    assert!(approval_findings(dir.path(), None).is_empty());
}

#[test]
fn a_narrower_guard_than_approved_is_no_finding() {
    let dir = tempfile::tempdir().expect("tempdir");
    approval_repo(dir.path());
    let tf = read(dir.path(), "main.tf");
    let wide = tf.replace(
        r#"          "token.actions.githubusercontent.com:sub" = "repo:org/app:environment:prod""#,
        r#"        }
        StringLike = {
          "token.actions.githubusercontent.com:sub" = "repo:org/*""#,
    );
    assert_ne!(wide, tf);
    write(dir.path(), "main.tf", &wide);
    write_approvals(dir.path());
    write(dir.path(), "main.tf", &tf);
    assert!(approval_findings(dir.path(), None).is_empty());
    // `StringEquals` with `*` is a literal: `repo:org/*` spelled literally is narrower too.
    let literal = tf.replace("repo:org/app:environment:prod", "repo:org/*");
    write(dir.path(), "main.tf", &literal);
    assert!(approval_findings(dir.path(), None).is_empty());
}

#[test]
fn stale_and_expired_entries_are_reported_on_their_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    approval_repo(dir.path());
    write_approvals(dir.path());
    let mut text = read(dir.path(), "iam-trusts.yaml");
    text = text.replace(
        "    role: \"aws_iam_role.admin\"\n",
        "    role: \"aws_iam_role.admin\"\n    expires: 2026-01-31\n",
    );
    text.push_str(
        "  - root: \".\"\n    role: \"aws_iam_role.gone\"\n    type: \"AWS\"\n    principal: \"arn:aws:iam::999988887777:root\"\n    guards: {}\n",
    );
    // An entry of a root that does not exist any more is stale too; one of a root this run did
    // not look at (another directory that exists) is not.
    std::fs::create_dir_all(dir.path().join("other")).expect("mkdir");
    text.push_str(
        "  - root: \"other\"\n    role: \"aws_iam_role.x\"\n    type: \"AWS\"\n    principal: \"arn:aws:iam::999988887777:root\"\n    guards: {}\n",
    );
    write(dir.path(), "iam-trusts.yaml", &text);

    let f = approval_findings(dir.path(), Some("2026-01-31"));
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].0, "IAM403");
    assert!(f[0].1.contains("aws_iam_role.gone"), "{f:?}");
    assert_eq!(f[0].2, "iam-trusts.yaml");
    assert_eq!(f[0].3, line_of(&text, "aws_iam_role.gone") - 1);

    let f = approval_findings(dir.path(), Some("2026-02-01"));
    assert_eq!(f.len(), 2, "{f:?}");
    let expired = f.iter().find(|x| x.0 == "IAM404").expect("IAM404");
    assert!(
        expired.1.contains("aws_iam_role.admin") && expired.1.contains("expired on 2026-01-31"),
        "{expired:?}"
    );
    assert_eq!(expired.2, "iam-trusts.yaml");
    assert_eq!(expired.3, line_of(&text, "aws_iam_role.admin") - 1);

    // The system clock: 2026-01-31 is in the past for anyone running this test.
    let f = approval_findings(dir.path(), None);
    assert!(f.iter().any(|x| x.0 == "IAM404"), "{f:?}");
}

#[test]
fn trusts_file_in_the_config_moves_the_approval_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    approval_repo(dir.path());
    write(
        dir.path(),
        ".iamlint.yaml",
        "trusts_file: security/approved.yaml\n",
    );
    std::fs::create_dir_all(dir.path().join("security")).expect("mkdir");
    write_approvals(dir.path());
    assert!(dir.path().join("security/approved.yaml").is_file());
    assert!(!dir.path().join("iam-trusts.yaml").exists());
    let mut tf = read(dir.path(), "main.tf");
    tf.push_str(&role(
        "ledger",
        r#"{ AWS = "arn:aws:iam::464622532012:root" }"#,
        r#"{ StringEquals = { "sts:ExternalId" = "x1" } }"#,
    ));
    write(dir.path(), "main.tf", &tf);
    let f = approval_findings(dir.path(), None);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(
        f[0].1,
        "aws_iam_role.ledger can now be assumed by 464622532012 (Datadog), which is not in approved.yaml"
    );
}

#[test]
fn a_malformed_approval_file_is_an_error_with_its_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    approval_repo(dir.path());
    write(
        dir.path(),
        "iam-trusts.yaml",
        "version: 1\ntrusts:\n  - root: \".\"\n    role: \"aws_iam_role.admin\"\n    type: AWS\n    principal: x\n    expires: next week\n",
    );
    let out = iamlint(dir.path()).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let all =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(all.contains("iam-trusts.yaml:7"), "{all}");
    assert!(all.contains("not a date"), "{all}");
    let (_, code) = stdout(iamlint(dir.path()).args(["trusts", "--write"]));
    assert_eq!(code, 2, "a rewrite must not drop a file it cannot read");
}

#[test]
fn a_run_on_named_files_reports_their_new_trusts_but_no_stale_entries() {
    let dir = tempfile::tempdir().expect("tempdir");
    approval_repo(dir.path());
    write(
        dir.path(),
        "other/main.tf",
        &role("other", r#"{ Service = "ec2.amazonaws.com" }"#, "{}"),
    );
    write_approvals(dir.path());
    let approvals = read(dir.path(), "iam-trusts.yaml").replace(
        "    role: \"aws_iam_role.admin\"\n",
        "    role: \"aws_iam_role.admin\"\n    expires: 2020-01-31\n",
    );
    write(dir.path(), "iam-trusts.yaml", &approvals);
    // A partial run judges the trusts of the roles it selected, not the approval file as a
    // whole: no stale or expired entry; a new trust in the named file is reported.
    let mut tf = read(dir.path(), "main.tf");
    tf.push_str(&role(
        "ledger",
        r#"{ AWS = "arn:aws:iam::999988887777:root" }"#,
        "{}",
    ));
    write(dir.path(), "main.tf", &tf);
    let (j, code) = json_of(iamlint(dir.path()).args(["--format", "json", "main.tf"]));
    assert_eq!(code, 1, "{j:#}");
    let rules: Vec<&str> = j["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["rule"].as_str())
        .filter(|r| r.starts_with("IAM40"))
        .collect();
    assert_eq!(rules, ["IAM401"], "{j:#}");
    let f = approval_findings(dir.path(), None);
    assert!(
        f.iter().any(|x| x.0 == "IAM404"),
        "the full run reports it: {f:?}"
    );
}

#[test]
fn edges_follow_deny_statements_and_the_union_of_statements() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "main.tf",
        r#"resource "aws_iam_role" "r" {
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::999988887777:root" }
        Action    = "sts:AssumeRole"
        Condition = { StringEquals = { "sts:ExternalId" = "x" } }
      },
      {
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::999988887777:root" }
        Action    = "sts:AssumeRole"
      },
      {
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::210987654321:root" }
        Action    = "sts:AssumeRole"
      },
      {
        Effect    = "Deny"
        Principal = { AWS = "arn:aws:iam::210987654321:root" }
        Action    = "sts:AssumeRole"
      },
      {
        Effect    = "Allow"
        Principal = { AWS = "arn:aws:iam::111122223333:root" }
        Action    = "s3:GetObject"
      },
    ]
  })
}
"#,
    );
    let (j, code) = json_of(iamlint(dir.path()).args(["trusts", "--format", "json"]));
    assert_eq!(code, 0, "{j:#}");
    let all = j["trusts"].as_array().expect("trusts");
    // The denied account and the statement without an assume action let nobody in; the
    // account allowed twice is one edge, guarded only as much as its weaker statement.
    assert_eq!(all.len(), 1, "{j:#}");
    assert_eq!(all[0]["principal"]["account"], "999988887777");
    assert_eq!(all[0]["guards"]["external_id"], false, "{j:#}");
}

#[test]
fn a_condition_with_an_unresolved_key_is_unresolved_not_a_guard() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "main.tf",
        r#"variable "issuer" {
  type = string
}

resource "aws_iam_role" "irsa" {
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Federated = "arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/AB12" }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = {
          "${var.issuer}:sub" = "system:serviceaccount:kube-system:aws-node"
        }
        ArnLike = {
          "aws:SourceArn" = "arn:aws:eks:eu-west-1:111122223333:cluster/*"
        }
      }
    }]
  })
}
"#,
    );
    let (j, code) = json_of(iamlint(dir.path()).args(["trusts", "--format", "json"]));
    assert_eq!(code, 0, "{j:#}");
    let e = &j["trusts"][0];
    let g = &e["guards"];
    // The unknown key may be any key: no ExternalId, organization or ARN guard is claimed
    // from it; the known key still guards.
    assert_eq!(g["external_id"], false, "{e:#}");
    assert_eq!(g["organizations"], Value::Null, "{e:#}");
    assert_eq!(g["source_account"], Value::Null, "{e:#}");
    assert_eq!(
        g["source_arn"][0], "arn:aws:eks:eu-west-1:111122223333:cluster/*",
        "{e:#}"
    );
    let unresolved = e["unresolved"].to_string();
    assert!(unresolved.contains("a condition key"), "{e:#}");
}
