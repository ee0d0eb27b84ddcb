//! SAM policy templates (`Policies: - S3ReadPolicy: {BucketName: b}`): every template of the
//! embedded list (SAM's own `policy_templates.json`) expands with its parameters as SAM's
//! transform does; SAM's errors (a missing parameter, parameter values that are not a map, an
//! entry with more than one key) are unresolved policies at the function's entry; a parameter
//! whose value is unknown stays an unknown part of the document.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use iamlint::iam::model::{AttachedPolicy, PolicyDocument, Role};
use iamlint::source::{Context, Extraction, ResolveOptions};
use iamlint::span::SourceMap;
use iamlint::value::{SELF_ACCOUNT, SELF_REGION};
use serde_json::{Map, Value, json};

struct Run {
    sources: SourceMap,
    out: Extraction,
    _dir: tempfile::TempDir,
}

impl Run {
    fn role(&self, address: &str) -> &Role {
        let found: Vec<&Role> = self
            .out
            .roles
            .iter()
            .filter(|r| r.address == address)
            .collect();
        assert_eq!(found.len(), 1, "one role {address}");
        found[0]
    }

    fn line(&self, span: iamlint::span::Span) -> usize {
        self.sources.range(span).map(|(s, _)| s.line).unwrap_or(0)
    }
}

/// Extracts the roles of one SAM template written to a temporary directory.
fn extract(template: &str) -> Run {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("template.yaml");
    std::fs::write(&path, template).expect("write");
    let sources = SourceMap::default();
    let options = ResolveOptions::default();
    let out = {
        let ctx = Context {
            sources: &sources,
            root: dir.path().to_path_buf(),
            options: &options,
        };
        iamlint::source::cloudformation::extract(&ctx, &[path])
    };
    Run {
        sources,
        out,
        _dir: dir,
    }
}

const HEAD: &str = "Transform: AWS::Serverless-2016-10-31\nResources:\n";

/// A SAM function whose `Policies` is `policies` (YAML list items, indented by 8).
fn function(id: &str, policies: &str) -> String {
    format!(
        "  {id}:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: app.handler\n      Runtime: python3.12\n      CodeUri: src/\n      Policies:\n{policies}"
    )
}

fn template_policy<'r>(role: &'r Role, name: &str) -> &'r AttachedPolicy {
    let origin = format!("inline (SAM policy template {name})");
    role.inline_policies
        .iter()
        .find(|p| p.origin == origin)
        .unwrap_or_else(|| panic!("{}: no policy {origin}", role.address))
}

/// The document as IAM JSON, normalised: Action and Resource as lists, condition values as
/// lists; an unknown part as `${expr}`.
fn render(doc: &PolicyDocument) -> Value {
    let mut statements = Vec::new();
    for st in &doc.statements {
        let mut m = Map::new();
        let effect = match st.effect {
            Some(iamlint::iam::model::Effect::Allow) => "Allow",
            Some(iamlint::iam::model::Effect::Deny) => "Deny",
            None => "?",
        };
        m.insert("Effect".into(), json!(effect));
        for (key, list) in [
            ("Action", &st.action),
            ("NotAction", &st.not_action),
            ("Resource", &st.resource),
            ("NotResource", &st.not_resource),
        ] {
            if let Some(s) = list {
                let items: Vec<String> = s.items.iter().map(|i| i.render()).collect();
                m.insert(key.into(), json!(items));
            }
        }
        if !st.conditions.is_empty() {
            let mut cond = Map::new();
            for c in &st.conditions {
                let op = cond
                    .entry(c.operator.render())
                    .or_insert_with(|| Value::Object(Map::new()));
                let values: Vec<String> = c.values.iter().map(|v| v.render()).collect();
                if let Value::Object(keys) = op {
                    keys.insert(c.key.render(), json!(values));
                }
            }
            m.insert("Condition".into(), Value::Object(cond));
        }
        statements.push(Value::Object(m));
    }
    Value::Array(statements)
}

/// Every unknown in a document: its own list, and unknown statement parts.
fn unknowns(doc: &PolicyDocument) -> Vec<String> {
    let mut out: Vec<String> = doc.unknowns.iter().map(|(_, u)| u.reason.clone()).collect();
    for st in &doc.statements {
        if let Some(u) = &st.effect_unknown {
            out.push(u.reason.clone());
        }
        if let Some(u) = &st.condition_unknown {
            out.push(u.reason.clone());
        }
        for list in [&st.action, &st.not_action, &st.resource, &st.not_resource]
            .into_iter()
            .flatten()
        {
            out.extend(
                list.items
                    .iter()
                    .filter_map(|i| i.unknown())
                    .map(|u| u.reason.clone()),
            );
        }
        for c in &st.conditions {
            for s in std::iter::once(&c.operator)
                .chain(std::iter::once(&c.key))
                .chain(c.values.iter())
            {
                out.extend(s.unknown().map(|u| u.reason.clone()));
            }
        }
    }
    out
}

fn catalog() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sam/policy_templates.json");
    let text = std::fs::read_to_string(&path).expect("data/sam/policy_templates.json");
    serde_json::from_str(&text).expect("JSON")
}

/// SAM's expansion, written independently of iamlint's resolver: `{"Ref": P}` of a template
/// parameter becomes its value, then CloudFormation's `Fn::Sub` with its variable map and the
/// pseudo parameters; Action and Resource become lists and condition values lists.
fn sam_expand(node: &Value, params: &Map<String, Value>, partition: &str) -> Value {
    match node {
        Value::Object(m) if m.len() == 1 && m.contains_key("Ref") => {
            let name = m["Ref"].as_str().expect("Ref name");
            params.get(name).cloned().expect("a parameter value")
        }
        Value::Object(m) if m.len() == 1 && m.contains_key("Fn::Sub") => {
            let (fmt, vars) = match &m["Fn::Sub"] {
                Value::String(s) => (s.clone(), Map::new()),
                Value::Array(a) => (
                    a[0].as_str().expect("Sub string").to_string(),
                    a[1].as_object().cloned().unwrap_or_default(),
                ),
                other => panic!("Fn::Sub of {other}"),
            };
            let mut out = fmt;
            for (var, v) in &vars {
                let v = sam_expand(v, params, partition);
                out = out.replace(&format!("${{{var}}}"), v.as_str().expect("string"));
            }
            out = out
                .replace("${AWS::Partition}", partition)
                .replace("${AWS::Region}", SELF_REGION)
                .replace("${AWS::AccountId}", SELF_ACCOUNT);
            assert!(!out.contains("${"), "unexpanded {out}");
            Value::String(out)
        }
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let v = sam_expand(v, params, partition);
                    let v = match (k.as_str(), v) {
                        ("Action" | "Resource", Value::String(s)) => json!([s]),
                        (_, v) => v,
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(a) => {
            Value::Array(a.iter().map(|v| sam_expand(v, params, partition)).collect())
        }
        other => other.clone(),
    }
}

/// Condition values as lists, as `render` gives them.
fn listify_conditions(statements: &mut Value) {
    for st in statements.as_array_mut().into_iter().flatten() {
        let Some(Value::Object(ops)) = st.get_mut("Condition") else {
            continue;
        };
        for keys in ops.values_mut() {
            for v in keys
                .as_object_mut()
                .into_iter()
                .flat_map(|k| k.values_mut())
            {
                if let Value::String(s) = v {
                    *v = json!([s.clone()]);
                }
            }
        }
    }
}

/// The partition iamlint gives `${AWS::Partition}` (a placeholder or `aws`), read from a probe.
fn partition_of(run: &Run, probe: &str) -> String {
    let arn = run
        .role(probe)
        .managed_policies
        .iter()
        .filter_map(|m| m.arn.get())
        .find(|a| a.ends_with(":iam::aws:policy/ReadOnlyAccess"))
        .expect("probe ARN")
        .to_string();
    arn.trim_start_matches("arn:")
        .trim_end_matches(":iam::aws:policy/ReadOnlyAccess")
        .to_string()
}

#[test]
fn every_template_in_the_data_expands_as_sam_writes_it() {
    let data = catalog();
    let templates = data["Templates"].as_object().expect("Templates");
    // The whole list SAM ships, not a hand-picked part of it.
    assert!(templates.len() >= 80, "{} templates", templates.len());
    assert_eq!(
        data["Source"]["Package"], "aws-sam-translator",
        "the data names its source"
    );

    let mut yaml = HEAD.to_string();
    let mut values: Vec<(String, String, Map<String, Value>)> = Vec::new();
    for (name, t) in templates {
        let id = format!("Fn{}", name.replace('_', ""));
        let mut params = Map::new();
        let mut lines = format!("        - {name}:\n");
        let declared = t["Parameters"].as_object().expect("Parameters");
        if declared.is_empty() {
            lines = format!("        - {name}: {{}}\n");
        }
        for p in declared.keys() {
            let v = format!(
                "{}-{}",
                name.to_lowercase().replace('_', "-"),
                p.to_lowercase()
            );
            lines.push_str(&format!("            {p}: {v}\n"));
            params.insert(p.clone(), Value::String(v));
        }
        yaml.push_str(&function(&id, &lines));
        values.push((name.clone(), id, params));
    }
    yaml.push_str(&function(
        "Probe",
        "        - !Sub \"arn:${AWS::Partition}:iam::aws:policy/ReadOnlyAccess\"\n",
    ));
    let run = extract(&yaml);
    let partition = partition_of(&run, "Probe");

    let mut failures = Vec::new();
    for (name, id, params) in &values {
        let role = run.role(id);
        let p = template_policy(role, name);
        let Some(doc) = &p.document else {
            failures.push(format!("{name}: no document: {:?}", p.unknown));
            continue;
        };
        if doc.statements.is_empty() {
            failures.push(format!("{name}: no statement"));
        }
        let u = unknowns(doc);
        if !u.is_empty() {
            failures.push(format!("{name}: unknowns {u:?}"));
        }
        let mut want = sam_expand(
            &templates[name]["Definition"]["Statement"],
            params,
            &partition,
        );
        listify_conditions(&mut want);
        let got = render(doc);
        if got != want {
            failures.push(format!("{name}:\n  got  {got}\n  want {want}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} templates:\n{}",
        failures.len(),
        values.len(),
        failures.join("\n")
    );
}

/// Six templates checked statement by statement against the SAM developer guide's policy
/// template list (not against the embedded data).
#[test]
fn documented_templates_statement_by_statement() {
    let policies = "        - S3ReadPolicy:\n            BucketName: orders-archive\n        - DynamoDBCrudPolicy:\n            TableName: orders\n        - SQSPollerPolicy:\n            QueueName: jobs\n        - LambdaInvokePolicy:\n            FunctionName: resize\n        - AWSSecretsManagerGetSecretValuePolicy:\n            SecretArn: arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-AbCdEf\n        - CloudWatchPutMetricPolicy: {}\n";
    let mut yaml = HEAD.to_string();
    yaml.push_str(&function("Fn", policies));
    yaml.push_str(&function(
        "Probe",
        "        - !Sub \"arn:${AWS::Partition}:iam::aws:policy/ReadOnlyAccess\"\n",
    ));
    let run = extract(&yaml);
    let p = partition_of(&run, "Probe");
    let (r, a) = (SELF_REGION, SELF_ACCOUNT);
    let role = run.role("Fn");
    let cases = [
        (
            "S3ReadPolicy",
            json!([{
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation", "s3:GetObjectVersion", "s3:GetLifecycleConfiguration"],
                "Resource": [format!("arn:{p}:s3:::orders-archive"), format!("arn:{p}:s3:::orders-archive/*")]
            }]),
        ),
        (
            "DynamoDBCrudPolicy",
            json!([{
                "Effect": "Allow",
                "Action": ["dynamodb:GetItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:Scan", "dynamodb:Query", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem", "dynamodb:BatchGetItem", "dynamodb:DescribeTable", "dynamodb:ConditionCheckItem"],
                "Resource": [format!("arn:{p}:dynamodb:{r}:{a}:table/orders"), format!("arn:{p}:dynamodb:{r}:{a}:table/orders/index/*")]
            }]),
        ),
        (
            "SQSPollerPolicy",
            json!([{
                "Effect": "Allow",
                "Action": ["sqs:ChangeMessageVisibility", "sqs:ChangeMessageVisibilityBatch", "sqs:DeleteMessage", "sqs:DeleteMessageBatch", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"],
                "Resource": [format!("arn:{p}:sqs:{r}:{a}:jobs")]
            }]),
        ),
        (
            "LambdaInvokePolicy",
            json!([{
                "Effect": "Allow",
                "Action": ["lambda:InvokeFunction"],
                "Resource": [format!("arn:{p}:lambda:{r}:{a}:function:resize*")]
            }]),
        ),
        (
            "AWSSecretsManagerGetSecretValuePolicy",
            json!([{
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue"],
                "Resource": ["arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-AbCdEf"]
            }]),
        ),
        (
            "CloudWatchPutMetricPolicy",
            json!([{
                "Effect": "Allow",
                "Action": ["cloudwatch:PutMetricData"],
                "Resource": ["*"]
            }]),
        ),
    ];
    for (name, want) in cases {
        let doc = template_policy(role, name)
            .document
            .as_ref()
            .unwrap_or_else(|| panic!("{name}: no document"));
        assert_eq!(render(doc), want, "{name}");
        assert_eq!(
            doc.version.as_ref().and_then(|v| v.get()),
            Some("2012-10-17"),
            "{name}"
        );
    }
}

/// SAM fails the transform when a template's parameter has no value ("Following required
/// parameters of template 'S3ReadPolicy' don't have values"), when the parameter values are not
/// a map, and when an entry names more than one template; iamlint reports each as an
/// unresolved policy at the function's entry, never as a policy that grants nothing.
#[test]
fn sam_errors_are_unresolved_policies_at_the_entry() {
    let mut yaml = HEAD.to_string();
    yaml.push_str(&function(
        "Fn",
        "        - S3ReadPolicy: {}\n        - DynamoDBCrudPolicy:\n            Table: orders\n        - CloudWatchPutMetricPolicy:\n        - SQSPollerPolicy:\n            QueueName: jobs\n          SNSPublishMessagePolicy:\n            TopicName: alerts\n        - MadeUpPolicyTemplate: {}\n",
    ));
    let run = extract(&yaml);
    let role = run.role("Fn");
    let unresolved: Vec<(usize, String, String)> = role
        .inline_policies
        .iter()
        .filter(|p| p.document.is_none())
        .filter_map(|p| p.unknown.as_ref())
        .map(|(span, u)| (run.line(*span), u.expr.clone(), u.reason.clone()))
        .collect();
    let has = |line: usize, expr: &str, reason: &str| {
        assert!(
            unresolved
                .iter()
                .any(|(l, e, r)| *l == line && e == expr && r.contains(reason)),
            "line {line} `{expr}` `{reason}` not in {unresolved:#?}"
        );
    };
    has(
        10,
        "S3ReadPolicy: {}",
        "parameters of template 'S3ReadPolicy' don't have values: ['BucketName']",
    );
    has(
        11,
        "DynamoDBCrudPolicy: Table: orders",
        "parameters of template 'DynamoDBCrudPolicy' don't have values: ['TableName']",
    );
    has(
        13,
        "CloudWatchPutMetricPolicy",
        "valid parameter values for policy template 'CloudWatchPutMetricPolicy'",
    );
    has(
        14,
        "SQSPollerPolicy: QueueName: jobs SNSPublishMessagePolicy: TopicName: alerts",
        "Policy at index 3 in the 'Policies' property is not valid",
    );
    has(
        18,
        "MadeUpPolicyTemplate: {}",
        "MadeUpPolicyTemplate is not a SAM policy template iamlint knows",
    );
    assert_eq!(unresolved.len(), 5, "{unresolved:#?}");
    // Nothing else was made of those entries: no policy grants part of them.
    assert!(role.inline_policies.iter().all(|p| p.document.is_none()));
}

/// A template parameter whose value is unknown (a template parameter without a default) keeps
/// the statements: the actions are known and the resource is an unknown part that names the
/// expression, as any other unknown value in a document.
#[test]
fn unknown_parameter_value_is_an_unknown_part_of_the_document() {
    let yaml = format!(
        "Transform: AWS::Serverless-2016-10-31\nParameters:\n  Bucket:\n    Type: String\nResources:\n{}",
        function(
            "Fn",
            "        - S3ReadPolicy:\n            BucketName: !Ref Bucket\n"
        )
    );
    let run = extract(&yaml);
    let p = template_policy(run.role("Fn"), "S3ReadPolicy");
    assert!(p.unknown.is_none(), "{:?}", p.unknown);
    let doc = p.document.as_ref().expect("document");
    let st = &doc.statements[0];
    let actions: Vec<&str> = st
        .action
        .as_ref()
        .expect("Action")
        .items
        .iter()
        .filter_map(|a| a.get())
        .collect();
    assert_eq!(actions.len(), 5);
    assert!(actions.contains(&"s3:GetObject"));
    let resources = &st.resource.as_ref().expect("Resource").items;
    assert_eq!(resources.len(), 2);
    for r in resources {
        let u = r.unknown().expect("the bucket is unknown");
        assert!(u.reason.contains("Bucket"), "{}", u.reason);
        assert_eq!(run.line(r.span), 13);
    }
}

fn iamlint(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("iamlint").expect("binary");
    c.current_dir(dir).env("NO_COLOR", "1");
    c
}

fn findings(dir: &Path, file: &str) -> Vec<Value> {
    let out = iamlint(dir)
        .args(["check", file, "--format", "json"])
        .output()
        .expect("run");
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON output");
    v["findings"].as_array().cloned().unwrap_or_default()
}

/// TextractPolicy (one of the templates iamlint did not know before) grants `textract:*` on
/// every resource: IAM109 reports it at the function's entry, through `iamlint check`.
#[test]
fn cli_reports_write_on_every_resource_from_textract_policy_template() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut yaml = HEAD.to_string();
    yaml.push_str(&function("Ocr", "        - TextractPolicy: {}\n"));
    let file: PathBuf = dir.path().join("template.yaml");
    std::fs::write(&file, yaml).expect("write");
    let f = findings(dir.path(), "template.yaml");
    let hit = f
        .iter()
        .find(|x| x["rule"] == "IAM109" && x["resource"] == "Ocr")
        .unwrap_or_else(|| panic!("no IAM109: {f:#?}"));
    assert_eq!(hit["line"], 10);
    assert!(
        hit["message"]
            .as_str()
            .is_some_and(|m| m.contains("textract:*")),
        "{hit}"
    );
    assert!(
        !f.iter().any(|x| x["rule"] == "IAM019"),
        "the template is known: {f:#?}"
    );
}

/// A missing parameter through `iamlint check`: IAM019 at the function's entry, with SAM's
/// message, instead of a policy that grants nothing.
#[test]
fn cli_reports_missing_template_parameter_at_the_entry() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut yaml = HEAD.to_string();
    yaml.push_str(&function(
        "Resize",
        "        - LambdaInvokePolicy:\n            Function: thumbnails\n",
    ));
    std::fs::write(dir.path().join("template.yaml"), yaml).expect("write");
    let f = findings(dir.path(), "template.yaml");
    let hit = f
        .iter()
        .find(|x| x["rule"] == "IAM019" && x["resource"] == "Resize")
        .unwrap_or_else(|| panic!("no IAM019: {f:#?}"));
    assert_eq!(hit["line"], 10);
    assert!(
        hit["message"]
            .as_str()
            .is_some_and(|m| m.contains("don't have values: ['FunctionName']")),
        "{hit}"
    );
}

/// SAM renames a template's own parameters before it substitutes them, so a value that refers
/// to a stack parameter of the same name (`TableName: !Ref TableName`) is that stack
/// parameter's value, not the template parameter again.
#[test]
fn value_referring_to_a_stack_parameter_of_the_same_name() {
    let yaml = format!(
        "Transform: AWS::Serverless-2016-10-31\nParameters:\n  TableName:\n    Type: String\n    Default: orders\nResources:\n{}",
        function(
            "Fn",
            "        - DynamoDBReadPolicy:\n            TableName: !Ref TableName\n"
        )
    );
    let run = extract(&yaml);
    let doc = template_policy(run.role("Fn"), "DynamoDBReadPolicy")
        .document
        .as_ref()
        .expect("document");
    let resources: Vec<String> = doc.statements[0]
        .resource
        .as_ref()
        .expect("Resource")
        .items
        .iter()
        .map(|r| r.render())
        .collect();
    assert_eq!(resources.len(), 2);
    assert!(
        resources[0].ends_with(&format!("{SELF_REGION}:{SELF_ACCOUNT}:table/orders")),
        "{resources:?}"
    );
    assert!(
        resources[1].ends_with(":table/orders/index/*"),
        "{resources:?}"
    );
}
