//! The selectors of custom rules (issue 12): which role (`role_name`, `role_path`, `role_tag`,
//! `address`, `file`, `source`), which principal (`account`, `principal_matches`, `vendor`) and
//! which federated subjects and audiences (`subjects_within`, `audiences_within`), run through
//! the whole pipeline with a custom rule, in Terraform and CloudFormation; unknown values under a
//! positive selector and under `not`; the placeholders; and the load-time errors.

use iamlint::config;
use iamlint::rules;
use iamlint::run::{self, Options};

/// A rule file with the given scope, match and message (and optional extra top-level text).
fn rule(scope: &str, matcher: &str, message: &str) -> String {
    format!(
        "id: SEL001\ntitle: selector test\nseverity: low\nscope: {scope}\nmatch: {matcher}\nmessage: \"{message}\"\ndescription: {{what: a, why: b, fix: c}}\n"
    )
}

/// Runs `rule_text` alone over the files, returns the findings as `message` plus their notes.
fn findings_with(rule_text: &str, files: &[(&str, &str)], cfg: Option<&str>) -> Vec<Found> {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, body) in files {
        let p = dir.path().join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(p, body).expect("write");
    }
    let config = match cfg {
        Some(c) => config::parse(c, "test config", None).expect("config"),
        None => config::Config::default(),
    };
    let r = rules::parse_rule(rule_text, "myrules/SEL001.yaml").expect("rule loads");
    let opts = Options {
        paths: vec![dir.path().to_path_buf()],
        ..Options::default()
    };
    let outcome = run::check(&opts, &config, &[r]).expect("run");
    assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
    outcome
        .findings
        .iter()
        .filter(|f| f.rule == "SEL001")
        .map(|f| Found {
            message: f.message.clone(),
            notes: f.notes.join("\n"),
            severity: f.severity.as_str().to_string(),
            root: f.root.clone(),
        })
        .collect()
}

fn findings(rule_text: &str, files: &[(&str, &str)]) -> Vec<Found> {
    findings_with(rule_text, files, None)
}

#[derive(Debug)]
struct Found {
    message: String,
    notes: String,
    severity: String,
    root: String,
}

fn messages(f: &[Found]) -> Vec<&str> {
    let mut m: Vec<&str> = f.iter().map(|f| f.message.as_str()).collect();
    m.sort();
    m
}

fn load_error(rule_text: &str) -> rules::RuleError {
    rules::parse_rule(rule_text, "myrules/SEL001.yaml").expect_err("the rule must not load")
}

const TRUST_LAMBDA_TF: &str = r#"jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "lambda.amazonaws.com" }
    }]
  })"#;

fn tf_role(label: &str, extra: &str) -> String {
    format!(
        "resource \"aws_iam_role\" \"{label}\" {{\n  {extra}\n  assume_role_policy = {TRUST_LAMBDA_TF}\n}}\n"
    )
}

fn cfn_role(id: &str, props: &str) -> String {
    format!(
        "  {id}:\n    Type: AWS::IAM::Role\n    Properties:\n{props}      AssumeRolePolicyDocument:\n        Version: '2012-10-17'\n        Statement:\n          - Effect: Allow\n            Action: sts:AssumeRole\n            Principal: {{Service: lambda.amazonaws.com}}\n"
    )
}

fn cfn(resources: &[String]) -> String {
    format!(
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n{}",
        resources.concat()
    )
}

// ---- role selectors -------------------------------------------------------------------------

#[test]
fn role_name_selects_by_glob_in_terraform_and_cloudformation() {
    let r = rule("role", "{role_name: [\"ci-*\"]}", "{role_name}");
    let tf = [
        tf_role("a", "name = \"ci-deploy\""),
        tf_role("b", "name = \"app\""),
    ]
    .concat();
    assert_eq!(messages(&findings(&r, &[("main.tf", &tf)])), ["ci-deploy"]);
    let t = cfn(&[
        cfn_role("A", "      RoleName: ci-deploy\n"),
        cfn_role("B", "      RoleName: app\n"),
    ]);
    assert_eq!(
        messages(&findings(&r, &[("template.yaml", &t)])),
        ["ci-deploy"]
    );
}

#[test]
fn unknown_or_generated_role_name_is_undecided() {
    let tf = [
        "variable \"name\" {}\n".to_string(),
        tf_role("a", "name = var.name"),
        tf_role("b", ""),
    ]
    .concat();
    // Positive: an unknown name never matches.
    let pos = rule("role", "{role_name: [\"*\"]}", "{role_name}");
    assert!(findings(&pos, &[("main.tf", &tf)]).is_empty());
    // Under `not`: both roles, each with a note naming the selector; `{role_name}` falls back to
    // the address.
    let neg = rule("role", "{not: {role_name: [\"ci-*\"]}}", "{role_name}");
    let f = findings(&neg, &[("main.tf", &tf)]);
    assert_eq!(messages(&f), ["aws_iam_role.a", "aws_iam_role.b"], "{f:?}");
    for x in &f {
        assert!(x.notes.contains("could not decide `role_name`"), "{x:?}");
    }
    assert!(f.iter().any(|x| x.notes.contains("var.name")), "{f:?}");
    // CloudFormation without RoleName: CloudFormation generates the name.
    let t = cfn(&[cfn_role("A", "")]);
    let f = findings(&neg, &[("template.yaml", &t)]);
    assert_eq!(messages(&f), ["A"]);
    assert!(f[0].notes.contains("could not decide `role_name`"), "{f:?}");
}

#[test]
fn role_path_selects_and_defaults_to_slash() {
    let r = rule("role", "{role_path: [\"/service/*\"]}", "{role}");
    let tf = [
        tf_role("a", "path = \"/service/ci/\""),
        tf_role("b", "path = \"/other/\""),
        tf_role("c", ""),
    ]
    .concat();
    assert_eq!(
        messages(&findings(&r, &[("main.tf", &tf)])),
        ["aws_iam_role.a"]
    );
    let t = cfn(&[
        cfn_role("A", "      Path: /service/ci/\n"),
        cfn_role("B", ""),
    ]);
    assert_eq!(messages(&findings(&r, &[("template.yaml", &t)])), ["A"]);
    // No path is IAM's default `/`.
    let root = rule("role", "{role_path: [\"/\"]}", "{role}");
    assert_eq!(
        messages(&findings(&root, &[("main.tf", &tf)])),
        ["aws_iam_role.c"]
    );
}

#[test]
fn role_tag_requires_every_pair() {
    let r = rule("role", "{role_tag: {team: \"plat*\", env: prod}}", "{role}");
    let tf = [
        tf_role("a", "tags = { team = \"platform\", env = \"prod\" }"),
        tf_role("b", "tags = { team = \"platform\", env = \"dev\" }"),
        tf_role("c", "tags = { env = \"prod\" }"),
    ]
    .concat();
    assert_eq!(
        messages(&findings(&r, &[("main.tf", &tf)])),
        ["aws_iam_role.a"]
    );
    let t = cfn(&[
        cfn_role(
            "A",
            "      Tags:\n        - {Key: team, Value: platform}\n        - {Key: env, Value: prod}\n",
        ),
        cfn_role("B", "      Tags:\n        - {Key: team, Value: platform}\n"),
    ]);
    assert_eq!(messages(&findings(&r, &[("template.yaml", &t)])), ["A"]);
}

#[test]
fn unknown_tags_are_undecided() {
    let tf = [
        "variable \"tags\" {}\nvariable \"env\" {}\n".to_string(),
        tf_role("a", "tags = var.tags"),
        tf_role("b", "tags = { env = var.env }"),
    ]
    .concat();
    let pos = rule("role", "{role_tag: {env: prod}}", "{role}");
    assert!(findings(&pos, &[("main.tf", &tf)]).is_empty());
    let neg = rule("role", "{not: {role_tag: {env: prod}}}", "{role}");
    let f = findings(&neg, &[("main.tf", &tf)]);
    assert_eq!(messages(&f), ["aws_iam_role.a", "aws_iam_role.b"]);
    assert!(
        f.iter()
            .all(|x| x.notes.contains("could not decide `role_tag`")),
        "{f:?}"
    );
    // CloudFormation: a tag value from a parameter without a default.
    let t =
        "AWSTemplateFormatVersion: '2010-09-09'\nParameters:\n  Env: {Type: String}\nResources:\n"
            .to_string()
            + &cfn_role("A", "      Tags:\n        - {Key: env, Value: !Ref Env}\n");
    assert!(findings(&pos, &[("template.yaml", &t)]).is_empty());
    let f = findings(&neg, &[("template.yaml", &t)]);
    assert_eq!(messages(&f), ["A"]);
    assert!(f[0].notes.contains("could not decide `role_tag`"), "{f:?}");
}

#[test]
fn address_matches_instances_with_brackets_star() {
    let tf = format!(
        "resource \"aws_iam_role\" \"x\" {{\n  for_each = toset([\"a\", \"b\"])\n  name = each.key\n  assume_role_policy = {TRUST_LAMBDA_TF}\n}}\nresource \"aws_iam_role\" \"y\" {{\n  count = 1\n  name = \"y\"\n  assume_role_policy = {TRUST_LAMBDA_TF}\n}}\n{}",
        tf_role("x_plain", "name = \"plain\"")
    );
    let star = rule("role", "{address: [\"aws_iam_role.x[*]\"]}", "{resource}");
    assert_eq!(
        messages(&findings(&star, &[("main.tf", &tf)])),
        ["aws_iam_role.x[\"a\"]", "aws_iam_role.x[\"b\"]"]
    );
    let counted = rule("role", "{address: [\"aws_iam_role.y[*]\"]}", "{resource}");
    assert_eq!(
        messages(&findings(&counted, &[("main.tf", &tf)])),
        ["aws_iam_role.y[0]"]
    );
    // A plain address names the un-indexed resource only.
    let plain = rule("role", "{address: [\"aws_iam_role.x\"]}", "{resource}");
    assert!(findings(&plain, &[("main.tf", &tf)]).is_empty());
    // CloudFormation: the logical id.
    let t = cfn(&[cfn_role("CiRole", ""), cfn_role("AppRole", "")]);
    let r = rule("role", "{address: [\"Ci*\"]}", "{resource}");
    assert_eq!(
        messages(&findings(&r, &[("template.yaml", &t)])),
        ["CiRole"]
    );
}

#[test]
fn file_selects_by_declaring_file_or_calling_module() {
    let module = tf_role("this", "name = var.name");
    let files = [
        (
            "modules/ci/main.tf",
            "variable \"name\" {}\n".to_string() + &module,
        ),
        (
            "accounts/prod/main.tf",
            "module \"ci\" {\n  source = \"../../modules/ci\"\n  name = \"prod-ci\"\n}\n"
                .to_string(),
        ),
        (
            "accounts/dev/main.tf",
            "module \"ci\" {\n  source = \"../../modules/ci\"\n  name = \"dev-ci\"\n}\n"
                .to_string(),
        ),
        ("stacks/prod/template.yaml", cfn(&[cfn_role("A", "")])),
        ("stacks/dev/template.yaml", cfn(&[cfn_role("B", "")])),
    ];
    let files: Vec<(&str, &str)> = files.iter().map(|(a, b)| (*a, b.as_str())).collect();
    let r = rule(
        "role",
        "{file: [\"accounts/prod/**\", \"stacks/prod/*.yaml\"]}",
        "{role_name} {resource}",
    );
    let f = findings(&r, &files);
    assert_eq!(
        messages(&f),
        ["A A", "prod-ci module.ci.aws_iam_role.this"],
        "{f:?}"
    );
    // `*` does not cross `/`.
    let shallow = rule("role", "{file: [\"accounts/*\"]}", "{role}");
    assert!(findings(&shallow, &files).is_empty());
    // The module's own file selects every instance of it.
    let m = rule("role", "{file: [\"modules/**\"]}", "{role_name}");
    let f = findings(&m, &files);
    assert_eq!(messages(&f), ["dev-ci", "prod-ci"]);
    let roots: Vec<&str> = f.iter().map(|x| x.root.as_str()).collect();
    assert!(roots.contains(&"accounts/prod"), "{roots:?}");
}

#[test]
fn source_tells_terraform_cloudformation_sam_and_cdk_apart() {
    let sam = "AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: python3.12\n      Handler: app.handler\n      CodeUri: src/\n";
    let cdk = "{\"Resources\": {\"CdkRole\": {\"Type\": \"AWS::IAM::Role\", \"Metadata\": {\"aws:cdk:path\": \"App/CdkRole/Resource\"}, \"Properties\": {\"AssumeRolePolicyDocument\": {\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"sts:AssumeRole\", \"Principal\": {\"Service\": \"lambda.amazonaws.com\"}}]}}}}}";
    let files = [
        ("tf/main.tf", tf_role("t", "")),
        ("cfn/template.yaml", cfn(&[cfn_role("Plain", "")])),
        ("sam/template.yaml", sam.to_string()),
        ("cdk.out/App.template.json", cdk.to_string()),
    ];
    let files: Vec<(&str, &str)> = files.iter().map(|(a, b)| (*a, b.as_str())).collect();
    let run = |src: &str| {
        let r = rule("role", &format!("{{source: [{src}]}}"), "{resource}");
        findings(&r, &files)
            .into_iter()
            .map(|f| f.message)
            .collect::<std::collections::BTreeSet<_>>()
    };
    assert_eq!(run("terraform"), ["aws_iam_role.t".to_string()].into());
    assert_eq!(run("sam"), ["Fn".to_string()].into());
    assert_eq!(run("cdk"), ["CdkRole".to_string()].into());
    assert_eq!(
        run("cloudformation"),
        ["CdkRole".to_string(), "Fn".to_string(), "Plain".to_string()].into()
    );
    assert!(run("plan").is_empty());
    // A template that a CDK manifest lists is CDK output even without aws:cdk:path metadata.
    let manifest = "{\"version\": \"36.0.0\", \"artifacts\": {\"Stack\": {\"type\": \"aws:cloudformation:stack\", \"properties\": {\"templateFile\": \"Stack.template.json\"}}}}";
    let listed = "{\"Resources\": {\"Listed\": {\"Type\": \"AWS::IAM::Role\", \"Properties\": {\"AssumeRolePolicyDocument\": {\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"sts:AssumeRole\", \"Principal\": {\"Service\": \"lambda.amazonaws.com\"}}]}}}}}";
    let r = rule("role", "{source: [cdk]}", "{resource}");
    let f = findings(
        &r,
        &[
            ("app/out/manifest.json", manifest),
            ("app/out/Stack.template.json", listed),
        ],
    );
    assert_eq!(messages(&f), ["Listed"]);
}

#[test]
fn role_selectors_apply_in_statement_scopes() {
    let tf = tf_role("a", "name = \"ci-x\"")
        + "resource \"aws_iam_role_policy\" \"p\" {\n  role = aws_iam_role.a.id\n  policy = jsonencode({Version = \"2012-10-17\", Statement = [{Effect = \"Allow\", Action = \"s3:GetObject\", Resource = \"*\"}]})\n}\n"
        + &tf_role("b", "name = \"app\"");
    let r = rule(
        "policy_statement",
        "{all: [{role_name: [\"ci-*\"]}, {effect: Allow}]}",
        "{role_name}",
    );
    assert_eq!(messages(&findings(&r, &[("main.tf", &tf)])), ["ci-x"]);
    let tp = rule(
        "trust_principal",
        "{role_name: [app]}",
        "{role_name} {principal}",
    );
    assert_eq!(
        messages(&findings(&tp, &[("main.tf", &tf)])),
        ["app lambda.amazonaws.com"]
    );
}

// ---- principal selectors --------------------------------------------------------------------

fn tf_trusting(label: &str, principal: &str) -> String {
    format!(
        "resource \"aws_iam_role\" \"{label}\" {{\n  name = \"{label}\"\n  assume_role_policy = jsonencode({{\n    Version = \"2012-10-17\"\n    Statement = [{{\n      Effect = \"Allow\"\n      Action = \"sts:AssumeRole\"\n      Principal = {principal}\n      Condition = {{ StringEquals = {{ \"sts:ExternalId\" = \"x\" }} }}\n    }}]\n  }})\n}}\n"
    )
}

fn cfn_trusting(id: &str, principal: &str) -> String {
    format!(
        "  {id}:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n        Version: '2012-10-17'\n        Statement:\n          - Effect: Allow\n            Action: sts:AssumeRole\n            Principal: {principal}\n"
    )
}

#[test]
fn account_selects_ids_vendor_names_and_trusted_names() {
    let tf = [
        tf_trusting("dd", "{ AWS = \"arn:aws:iam::464622532012:root\" }"),
        tf_trusting("bad", "{ AWS = \"999988887777\" }"),
        tf_trusting(
            "prod",
            "{ AWS = \"arn:aws:iam::111122223333:role/deploy\" }",
        ),
        tf_trusting("svc", "{ Service = \"ecs-tasks.amazonaws.com\" }"),
    ]
    .concat();
    let files = [("main.tf", tf.as_str())];
    let cfg = Some("trusted_accounts:\n  '111122223333': production\n");
    let by_id = rule(
        "trust_principal",
        "{account: [\"999988887777\"]}",
        "{role_name} {account}",
    );
    assert_eq!(
        messages(&findings_with(&by_id, &files, cfg)),
        ["bad 999988887777"]
    );
    let by_vendor = rule("trust_principal", "{account: [datadog]}", "{role_name}");
    assert_eq!(messages(&findings_with(&by_vendor, &files, cfg)), ["dd"]);
    let by_name = rule("trust_principal", "{account: [production]}", "{role_name}");
    assert_eq!(messages(&findings_with(&by_name, &files, cfg)), ["prod"]);
    // Inside `trust:` at role scope, as an allow-list.
    let allow = rule(
        "role",
        "{trust: {all: [{principal: [account]}, {not: {account: [production, Datadog]}}]}}",
        "{role_name} {account}",
    );
    assert_eq!(
        messages(&findings_with(&allow, &files, cfg)),
        ["bad 999988887777"]
    );
    let t = cfn(&[
        cfn_trusting("Bad", "{AWS: '999988887777'}"),
        cfn_trusting("Ok", "{AWS: 'arn:aws:iam::111122223333:root'}"),
    ]);
    assert_eq!(
        messages(&findings_with(
            &by_id,
            &[("template.yaml", t.as_str())],
            cfg
        )),
        ["Bad 999988887777"]
    );
}

#[test]
fn account_names_are_checked() {
    // Not 12 digits: a load error at the value.
    let e = load_error(&rule("trust_principal", "{account: [\"12345\"]}", "m"));
    assert_eq!(e.line, 5, "{e}");
    assert!(e.message.contains("12345"), "{e}");
    // A name that is neither a vendor nor in trusted_accounts stops the run.
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("main.tf"),
        tf_trusting("x", "{ AWS = \"999988887777\" }"),
    )
    .expect("write");
    let r = rules::parse_rule(
        &rule("trust_principal", "{account: [prodution]}", "m"),
        "myrules/SEL001.yaml",
    )
    .expect("a name may be a config name");
    let config = config::parse(
        "trusted_accounts:\n  '111122223333': production\n",
        "test config",
        None,
    )
    .expect("config");
    let opts = Options {
        paths: vec![dir.path().to_path_buf()],
        ..Options::default()
    };
    let out = run::check(&opts, &config, &[r]).expect("run");
    assert!(
        out.errors
            .iter()
            .any(|e| e.message.contains("prodution") && e.message.contains("SEL001")),
        "{:?}",
        out.errors
    );
}

#[test]
fn principal_matches_globs_over_arns_and_service_names() {
    let tf = [
        tf_trusting("ecs", "{ Service = \"ecs-tasks.amazonaws.com\" }"),
        tf_trusting(
            "ci",
            "{ AWS = \"arn:aws:iam::111122223333:role/ci-runner\" }",
        ),
        tf_trusting("any", "\"*\""),
    ]
    .concat();
    let svc = rule(
        "trust_principal",
        "{principal_matches: [\"ecs-tasks.*\"]}",
        "{role_name}",
    );
    assert_eq!(messages(&findings(&svc, &[("main.tf", &tf)])), ["ecs"]);
    let arn = rule(
        "trust_principal",
        "{principal_matches: [\"arn:aws:iam::*:role/ci-*\"]}",
        "{role_name}",
    );
    assert_eq!(messages(&findings(&arn, &[("main.tf", &tf)])), ["ci"]);
    let t = cfn(&[
        cfn_trusting("Ecs", "{Service: ecs-tasks.amazonaws.com}"),
        cfn_trusting("Lambda", "{Service: lambda.amazonaws.com}"),
    ]);
    let r = rule(
        "trust_principal",
        "{principal_matches: [\"ecs-tasks.amazonaws.com\"]}",
        "{resource}",
    );
    assert_eq!(messages(&findings(&r, &[("template.yaml", &t)])), ["Ecs"]);
}

#[test]
fn unresolved_principal_is_undecided() {
    let tf = "variable \"who\" {}\n".to_string() + &tf_trusting("x", "{ AWS = var.who }");
    let pos = rule(
        "trust_principal",
        "{principal_matches: [\"*\"]}",
        "{role_name}",
    );
    assert!(findings(&pos, &[("main.tf", &tf)]).is_empty());
    let neg = rule(
        "trust_principal",
        "{not: {account: [\"111122223333\"]}}",
        "{role_name}",
    );
    let f = findings(&neg, &[("main.tf", &tf)]);
    assert_eq!(messages(&f), ["x"]);
    assert!(f[0].notes.contains("could not decide `account`"), "{f:?}");
}

#[test]
fn vendor_selects_by_vendor_name_case_insensitively() {
    let tf = [
        tf_trusting("dd", "{ AWS = \"arn:aws:iam::464622532012:root\" }"),
        tf_trusting("other", "{ AWS = \"999988887777\" }"),
    ]
    .concat();
    let r = rule(
        "trust_principal",
        "{vendor: [DATADOG]}",
        "{role_name} {account}",
    );
    assert_eq!(
        messages(&findings(&r, &[("main.tf", &tf)])),
        ["dd 464622532012 (Datadog)"]
    );
    let t = cfn(&[cfn_trusting("Dd", "{AWS: '464622532012'}")]);
    assert_eq!(
        messages(&findings(&r, &[("template.yaml", &t)])),
        ["Dd 464622532012 (Datadog)"]
    );
    let e = load_error(&rule("trust_principal", "{vendor: [datdog]}", "m"));
    assert!(e.message.contains("datdog"), "{e}");
    assert!(e.message.contains("did you mean `Datadog`"), "{e}");
    assert_eq!(e.line, 5);
}

// ---- subjects and audiences -----------------------------------------------------------------

fn tf_github(label: &str, cond: &str) -> String {
    format!(
        "resource \"aws_iam_role\" \"{label}\" {{\n  name = \"{label}\"\n  assume_role_policy = jsonencode({{\n    Version = \"2012-10-17\"\n    Statement = [{{\n      Effect = \"Allow\"\n      Action = \"sts:AssumeRoleWithWebIdentity\"\n      Principal = {{ Federated = \"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com\" }}\n      Condition = {cond}\n    }}]\n  }})\n}}\n"
    )
}

#[test]
fn subjects_within_is_pattern_containment() {
    let tf = [
        tf_github(
            "prod",
            "{ StringLike = { \"token.actions.githubusercontent.com:sub\" = \"repo:acme/*:environment:prod\" }, StringEquals = { \"token.actions.githubusercontent.com:aud\" = \"sts.amazonaws.com\" } }",
        ),
        tf_github(
            "wide",
            "{ StringLike = { \"token.actions.githubusercontent.com:sub\" = [\"repo:acme/*:environment:prod\", \"repo:acme/*\"] } }",
        ),
        tf_github(
            "exact",
            "{ StringEquals = { \"token.actions.githubusercontent.com:sub\" = \"repo:acme/app:environment:prod\" } }",
        ),
        tf_github("none", "{ StringEquals = { \"token.actions.githubusercontent.com:aud\" = \"sts.amazonaws.com\" } }"),
        tf_github(
            "anyvalue",
            "{ \"ForAnyValue:StringLike\" = { \"token.actions.githubusercontent.com:sub\" = [\"repo:evil/*\"] } }",
        ),
    ]
    .concat();
    let files = [("main.tf", tf.as_str())];
    let within = rule(
        "trust_principal",
        "{subjects_within: [\"repo:acme/*:environment:prod\"]}",
        "{role_name}",
    );
    assert_eq!(messages(&findings(&within, &files)), ["exact", "prod"]);
    let outside = rule(
        "trust_principal",
        "{all: [{provider: [github]}, {not: {subjects_within: [\"repo:acme/*:environment:prod\"]}}]}",
        "{role_name}: {subject}",
    );
    assert_eq!(
        messages(&findings(&outside, &files)),
        [
            "anyvalue: repo:evil/*",
            "none: every subject",
            "wide: repo:acme/*"
        ]
    );
    // `repo:acme/*` contains the narrower one; `*` contains everything, even no condition.
    let broad = rule(
        "trust_principal",
        "{subjects_within: [\"repo:acme/*\"]}",
        "{role_name}",
    );
    assert_eq!(
        messages(&findings(&broad, &files)),
        ["exact", "prod", "wide"]
    );
    let all = rule(
        "trust_principal",
        "{subjects_within: [\"*\"]}",
        "{role_name}",
    );
    assert_eq!(findings(&all, &files).len(), 5);
    // Audiences the same way: only two roles pin aud.
    let aud = rule(
        "trust_principal",
        "{audiences_within: [\"sts.amazonaws.com\"]}",
        "{role_name}",
    );
    assert_eq!(messages(&findings(&aud, &files)), ["none", "prod"]);
}

#[test]
fn selectors_leave_detail_to_other_predicates() {
    let tf = tf_github(
        "x",
        "{ StringEquals = { \"token.actions.githubusercontent.com:aud\" = \"sts.amazonaws.com\" } }",
    );
    let r = rule(
        "trust_principal",
        "{all: [{federation: [sub_missing]}, {role_name: [\"*\"]}, {account: [\"111122223333\"]}]}",
        "{detail}",
    );
    let f = findings(&r, &[("main.tf", &tf)]);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(f[0].message.contains("sub"), "{f:?}");
}

#[test]
fn subjects_in_cloudformation_and_other_providers() {
    let t = "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Gl:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n        Version: '2012-10-17'\n        Statement:\n          - Effect: Allow\n            Action: sts:AssumeRoleWithWebIdentity\n            Principal: {Federated: 'arn:aws:iam::111122223333:oidc-provider/gitlab.com'}\n            Condition:\n              StringLike: {'gitlab.com:sub': 'project_path:acme/*:ref_type:branch:ref:main'}\n              StringEquals: {'gitlab.com:aud': 'https://gitlab.com'}\n  Cog:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n        Version: '2012-10-17'\n        Statement:\n          - Effect: Allow\n            Action: sts:AssumeRoleWithWebIdentity\n            Principal: {Federated: cognito-identity.amazonaws.com}\n            Condition:\n              StringEquals: {'cognito-identity.amazonaws.com:aud': 'us-east-1:pool-1'}\n              ForAnyValue:StringLike: {'cognito-identity.amazonaws.com:amr': authenticated}\n";
    let files = [("template.yaml", t)];
    let r = rule(
        "trust_principal",
        "{subjects_within: [\"project_path:acme/*\"]}",
        "{resource}",
    );
    assert_eq!(messages(&findings(&r, &files)), ["Gl"]);
    let aud = rule(
        "trust_principal",
        "{audiences_within: [\"us-east-1:*\"]}",
        "{resource}",
    );
    assert_eq!(messages(&findings(&aud, &files)), ["Cog"]);
    let gl_aud = rule(
        "trust_principal",
        "{audiences_within: [\"https://gitlab.com\"]}",
        "{resource}",
    );
    assert_eq!(messages(&findings(&gl_aud, &files)), ["Gl"]);
}

#[test]
fn unknown_subject_is_undecided() {
    let tf = "variable \"sub\" {}\n".to_string()
        + &tf_github(
            "x",
            "{ StringLike = { \"token.actions.githubusercontent.com:sub\" = var.sub } }",
        );
    let pos = rule(
        "trust_principal",
        "{subjects_within: [\"*\"]}",
        "{role_name}",
    );
    assert!(findings(&pos, &[("main.tf", &tf)]).is_empty());
    let neg = rule(
        "role",
        "{trust: {not: {subjects_within: [\"repo:acme/*\"]}}}",
        "{role_name}",
    );
    let f = findings(&neg, &[("main.tf", &tf)]);
    assert_eq!(messages(&f), ["x"]);
    assert!(
        f[0].notes.contains("could not decide `subjects_within`") && f[0].notes.contains("var.sub"),
        "{f:?}"
    );
}

// ---- severity_by, placeholders and load-time errors ------------------------------------------

#[test]
fn severity_by_uses_selectors() {
    let r = rule("role", "{role_name: [\"*\"]}", "{role_name}").replace(
        "message:",
        "severity_by:\n  - when: {role_tag: {env: prod}}\n    severity: critical\nmessage:",
    );
    let tf = [
        tf_role("a", "name = \"a\"\n  tags = { env = \"prod\" }"),
        tf_role("b", "name = \"b\""),
    ]
    .concat();
    let f = findings(&r, &[("main.tf", &tf)]);
    let mut sev: Vec<(String, String)> = f
        .iter()
        .map(|x| (x.message.clone(), x.severity.clone()))
        .collect();
    sev.sort();
    assert_eq!(
        sev,
        [
            ("a".to_string(), "critical".to_string()),
            ("b".to_string(), "low".to_string())
        ]
    );
}

#[test]
fn placeholders_are_accepted_in_their_scopes_only() {
    assert!(
        rules::parse_rule(
            &rule("policy_statement", "{effect: Allow}", "{role_name}"),
            "r"
        )
        .is_ok()
    );
    assert!(
        rules::parse_rule(
            &rule(
                "role",
                "{trust: {provider: [github]}}",
                "{subject} {account}"
            ),
            "r"
        )
        .is_ok()
    );
    let e = load_error(&rule("policy_statement", "{effect: Allow}", "{subject}"));
    assert!(e.message.contains("{subject}"), "{e}");
}

#[test]
fn selector_in_a_scope_without_such_items_is_rejected_at_its_line() {
    let text = "id: SEL001\ntitle: t\nseverity: low\nscope: policy_statement\nmatch:\n  all:\n    - effect: Allow\n    - subjects_within: [\"repo:acme/*\"]\nmessage: m\ndescription: {what: a, why: b, fix: c}\n";
    let e = load_error(text);
    assert_eq!((e.line, e.column), (8, 7), "{e}");
    assert!(
        e.message
            .contains("`subjects_within` applies to trust_principal")
            && e.message
                .contains("inside `trust:` in role and role_permission")
            && e.message.contains("this rule's scope is policy_statement"),
        "{e}"
    );
    // Any predicate, and the second of two with the same name.
    let text = "id: SEL001\ntitle: t\nseverity: low\nscope: trust_principal\nmatch:\n  any:\n    - effect: Allow\n    - not:\n        effect: Deny\nmessage: m\ndescription: {what: a, why: b, fix: c}\n";
    let e = load_error(text);
    assert_eq!(e.line, 7, "{e}");
    // In severity_by: the line of the selector there.
    let text = "id: SEL001\ntitle: t\nseverity: low\nscope: notice\nseverity_by:\n  - when: {notice_kind: [x]}\n    severity: high\n  - when: {role_name: [x]}\n    severity: high\nmessage: m\ndescription: {what: a, why: b, fix: c}\n";
    let e = load_error(text);
    assert_eq!((e.line, e.column), (8, 12), "{e}");
    // Role selectors apply to every scope whose items have a role, not to notices.
    assert!(e.message.contains("this rule's scope is notice"), "{e}");
    // A selector without globs would never hold: a load error.
    let e = load_error(&rule("role", "{role_name: []}", "m"));
    assert!(e.message.contains("role_name"), "{e}");
    let e = load_error(&rule("role", "{role_tag: {}}", "m"));
    assert!(e.message.contains("role_tag"), "{e}");
    // A bad file glob is a load error too.
    let e = load_error(&rule("role", "{file: [\"a/[\"]}", "m"));
    assert_eq!(e.line, 5, "{e}");
}

#[test]
fn provider_default_tags_make_missing_tags_undecided() {
    let tf = "provider \"aws\" {\n  region = \"eu-west-1\"\n  default_tags {\n    tags = { env = \"prod\" }\n  }\n}\n"
        .to_string()
        + &tf_role("a", "tags = { team = \"platform\" }");
    let team = rule("role", "{role_tag: {team: platform}}", "{role}");
    assert_eq!(
        messages(&findings(&team, &[("main.tf", &tf)])),
        ["aws_iam_role.a"]
    );
    let env = rule("role", "{not: {role_tag: {env: prod}}}", "{role}");
    let f = findings(&env, &[("main.tf", &tf)]);
    assert_eq!(messages(&f), ["aws_iam_role.a"]);
    assert!(
        f[0].notes.contains("could not decide `role_tag`") && f[0].notes.contains("default_tags"),
        "{f:?}"
    );
}

#[test]
fn name_prefix_is_a_prefix_of_the_name() {
    let tf = tf_role("a", "name_prefix = \"ci-\"");
    let files = [("main.tf", tf.as_str())];
    // Every name `ci-...` is within `ci-*`.
    let r = rule("role", "{role_name: [\"ci-*\"]}", "{role}");
    assert_eq!(messages(&findings(&r, &files)), ["aws_iam_role.a (ci-)"]);
    // No name `ci-...` is `app-*`: decided, so `not` fires without a note.
    let r = rule("role", "{not: {role_name: [\"app-*\"]}}", "{role}");
    let f = findings(&r, &files);
    assert_eq!(messages(&f), ["aws_iam_role.a (ci-)"]);
    assert!(!f[0].notes.contains("could not decide"), "{f:?}");
    // `ci-deploy` may or may not be the generated name.
    let r = rule("role", "{role_name: [\"ci-deploy\"]}", "{role}");
    assert!(findings(&r, &files).is_empty());
    let r = rule("role", "{not: {role_name: [\"ci-deploy\"]}}", "{role}");
    let f = findings(&r, &files);
    assert!(f.len() == 1 && f[0].notes.contains("name_prefix"), "{f:?}");
}

#[test]
fn plan_roles_are_source_plan_with_tags_all() {
    let role = |addr: &str, tags: &str| {
        format!(
            "{{\"address\": \"{addr}\", \"mode\": \"managed\", \"type\": \"aws_iam_role\", \"name\": \"{addr}\", \"values\": {{\"name\": \"{addr}\", \"assume_role_policy\": \"{{\\\"Version\\\":\\\"2012-10-17\\\",\\\"Statement\\\":[{{\\\"Effect\\\":\\\"Allow\\\",\\\"Action\\\":\\\"sts:AssumeRole\\\",\\\"Principal\\\":{{\\\"Service\\\":\\\"lambda.amazonaws.com\\\"}}}}]}}\"{tags}}}}}"
        )
    };
    let plan = format!(
        "{{\"format_version\": \"1.2\", \"terraform_version\": \"1.9.0\", \"planned_values\": {{\"root_module\": {{\"resources\": [{}, {}]}}}}}}",
        role(
            "aws_iam_role.a",
            ", \"tags\": {\"team\": \"x\"}, \"tags_all\": {\"team\": \"x\", \"env\": \"prod\"}"
        ),
        role("aws_iam_role.b", "")
    );
    let files = [("plan.json", plan.as_str())];
    let src = rule("role", "{source: [plan]}", "{resource}");
    assert_eq!(
        messages(&findings(&src, &files)),
        ["aws_iam_role.a", "aws_iam_role.b"]
    );
    // tags_all has the provider's default_tags; a plan without tags says nothing about them.
    let env = rule("role", "{role_tag: {env: prod}}", "{resource}");
    assert_eq!(messages(&findings(&env, &files)), ["aws_iam_role.a"]);
    let not_env = rule("role", "{not: {role_tag: {env: prod}}}", "{resource}");
    let f = findings(&not_env, &files);
    assert_eq!(messages(&f), ["aws_iam_role.b"]);
    assert!(f[0].notes.contains("could not decide `role_tag`"), "{f:?}");
}
