//! No silent passes, CloudFormation side: every role of the scanned templates is listed with a
//! state, and what iamlint cannot check is a finding, a notice or an error at a place. One test
//! per shape: a resource switched off only by a parameter default (checked as a template), or by
//! a value the user gave (listed as not created), nested stacks in a cycle, a role without a
//! trust policy, SAM resources without the transform, a CDK manifest naming a template that is
//! not there, and each role's provenance (the files its evaluation read).

use std::path::{Path, PathBuf};

use iamlint::config;
use iamlint::iam::model::{Role, RoleState};
use iamlint::rules;
use iamlint::rules::engine::Finding;
use iamlint::run::{self, Options, Outcome};

/// Writes `files` (path, text) into a fresh directory.
fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (path, text) in files {
        let p = dir.path().join(path);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(p, text).expect("write");
    }
    dir
}

fn check_with(paths: Vec<PathBuf>, edit: impl FnOnce(&mut Options)) -> Outcome {
    let cfg = config::parse("", "test config", None).expect("config");
    let mut opts = Options {
        paths,
        ..Options::default()
    };
    edit(&mut opts);
    run::check(&opts, &cfg, &rules::builtin().expect("rules")).expect("run")
}

fn check(dir: &Path) -> Outcome {
    check_with(vec![dir.to_path_buf()], |_| {})
}

fn roles<'o>(o: &'o Outcome, address: &str) -> Vec<&'o Role> {
    o.roles.iter().filter(|r| r.address == address).collect()
}

fn role<'o>(o: &'o Outcome, address: &str) -> &'o Role {
    let found = roles(o, address);
    assert_eq!(
        found.len(),
        1,
        "one role {address} expected among {:?}",
        o.roles.iter().map(|r| &r.address).collect::<Vec<_>>()
    );
    found[0]
}

fn findings<'o>(o: &'o Outcome, rule: &str, resource: &str) -> Vec<&'o Finding> {
    o.findings
        .iter()
        .filter(|f| f.rule == rule && f.resource == resource)
        .collect()
}

/// The file name and 1-based line of a finding.
fn place(o: &Outcome, f: &Finding) -> (String, usize) {
    let file = o.sources.get(f.span.file).expect("file");
    let name = file
        .path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let line = o.sources.range(f.span).map(|(s, _)| s.line).unwrap_or(0);
    (name, line)
}

/// The file names of a role's provenance.
fn files_read(o: &Outcome, r: &Role) -> Vec<String> {
    let mut names: Vec<String> = r
        .files
        .iter()
        .filter_map(|f| o.sources.get(*f))
        .map(|s| {
            s.path
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default()
        })
        .collect();
    names.sort();
    names
}

const SWITCHED: &str = r#"AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Env:
    Type: String
    Default: dev
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  ProdRole:
    Type: AWS::IAM::Role
    Condition: IsProd
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {AWS: "*"}
            Action: sts:AssumeRole
"#;

const DEFAULT_REASON: &str = "not created with the default values: condition IsProd is false because parameter Env defaults to dev";

#[test]
fn a_resource_switched_off_by_a_default_is_checked_as_a_template() {
    let dir = tree(&[("stack.yaml", SWITCHED)]);
    let o = check(dir.path());
    let r = role(&o, "ProdRole");
    assert_eq!(r.state, RoleState::Template(DEFAULT_REASON.into()));
    let f = findings(&o, "IAM001", "ProdRole");
    assert_eq!(f.len(), 1, "{:?}", o.findings);
    assert_eq!(place(&o, f[0]), ("stack.yaml".into(), 17));
    assert!(
        f[0].notes.iter().any(|n| n == DEFAULT_REASON),
        "{:?}",
        f[0].notes
    );
}

#[test]
fn a_resource_switched_off_by_a_given_parameter_is_listed_as_not_created() {
    let dir = tree(&[("stack.yaml", SWITCHED)]);
    let o = check_with(vec![dir.path().to_path_buf()], |opts| {
        opts.resolve.cfn_parameters = vec![("Env".into(), "dev".into())];
    });
    let r = role(&o, "ProdRole");
    assert!(
        matches!(&r.state, RoleState::NotCreated(why) if why.contains("condition IsProd is false")),
        "{:?}",
        r.state
    );
    assert!(
        o.findings.iter().all(|f| f.resource != "ProdRole"),
        "{:?}",
        o.findings
    );
    // The same template with the value that creates it: checked.
    let o = check_with(vec![dir.path().to_path_buf()], |opts| {
        opts.resolve.cfn_parameters = vec![("Env".into(), "prod".into())];
    });
    assert_eq!(role(&o, "ProdRole").state, RoleState::Checked);
    assert_eq!(findings(&o, "IAM001", "ProdRole").len(), 1);
}

#[test]
fn the_defaults_that_switch_a_resource_off_are_unknown_inside_it() {
    let text = r#"AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  PartnerAccountId:
    Type: String
    Default: ""
Conditions:
  HasPartner: !Not [!Equals [!Ref PartnerAccountId, ""]]
Resources:
  PartnerRole:
    Type: AWS::IAM::Role
    Condition: HasPartner
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {AWS: !Ref PartnerAccountId}
            Action: sts:AssumeRole
"#;
    let dir = tree(&[("stack.yaml", text)]);
    let o = check(dir.path());
    let r = role(&o, "PartnerRole");
    assert_eq!(
        r.state,
        RoleState::Template(
            r#"not created with the default values: condition HasPartner is false because parameter PartnerAccountId defaults to """#.into()
        )
    );
    // Not an invalid empty principal: the account a user gives is unknown, and said so.
    assert!(
        findings(&o, "IAM010", "PartnerRole").is_empty(),
        "{:?}",
        o.findings
    );
    let f = findings(&o, "IAM008", "PartnerRole");
    assert_eq!(f.len(), 1, "{:?}", o.findings);
    assert_eq!(place(&o, f[0]), ("stack.yaml".into(), 17));
    assert!(f[0].message.contains("HasPartner"), "{}", f[0].message);
}

#[test]
fn a_nested_stack_switched_off_by_a_default_is_checked_as_a_template() {
    let parent = r#"AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  WithPartner:
    Type: String
    Default: "false"
Conditions:
  Partner: !Equals [!Ref WithPartner, "true"]
Resources:
  PartnerStack:
    Type: AWS::CloudFormation::Stack
    Condition: Partner
    Properties:
      TemplateURL: ./child.yaml
"#;
    let child = r#"AWSTemplateFormatVersion: "2010-09-09"
Resources:
  PartnerRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {AWS: "*"}
            Action: sts:AssumeRole
"#;
    let dir = tree(&[("parent.yaml", parent), ("child.yaml", child)]);
    let o = check(dir.path());
    let r = role(&o, "PartnerStack/PartnerRole");
    assert_eq!(
        r.state,
        RoleState::Template(
            "not created with the default values: condition Partner is false because parameter WithPartner defaults to false".into()
        )
    );
    let f = findings(&o, "IAM001", "PartnerStack/PartnerRole");
    assert_eq!(f.len(), 1, "{:?}", o.findings);
    assert_eq!(place(&o, f[0]), ("child.yaml".into(), 9));
}

#[test]
fn a_parent_stack_value_switches_a_nested_role_off_or_its_default_does_not() {
    let parent = r#"AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Stage:
    Type: String
    Default: dev
Resources:
  Literal:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: ./child.yaml
      Parameters: {Env: dev}
  FromDefault:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: ./child.yaml
      Parameters: {Env: !Ref Stage}
"#;
    let dir = tree(&[("parent.yaml", parent), ("child.yaml", SWITCHED)]);
    let o = check(dir.path());
    assert_eq!(
        role(&o, "Literal/ProdRole").state,
        RoleState::NotCreated(
            "not created with the values given: condition IsProd is false because parameter Env is dev, passed by the parent stack".into()
        )
    );
    assert!(findings(&o, "IAM001", "Literal/ProdRole").is_empty());
    assert_eq!(
        role(&o, "FromDefault/ProdRole").state,
        RoleState::Template(
            "not created with the default values: condition IsProd is false because parameter Stage defaults to dev (in the parent stack)".into()
        )
    );
    let f = findings(&o, "IAM001", "FromDefault/ProdRole");
    assert_eq!(f.len(), 1, "{:?}", o.findings);
    assert_eq!(place(&o, f[0]), ("child.yaml".into(), 17));
}

#[test]
fn an_fn_if_decided_by_a_default_notes_the_branch_it_took() {
    let text = r#"AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Env:
    Type: String
    Default: dev
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  DeployRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {AWS: !If [IsProd, "arn:aws:iam::111122223333:root", "*"]}
            Action: sts:AssumeRole
"#;
    let dir = tree(&[("stack.yaml", text)]);
    let o = check(dir.path());
    let r = role(&o, "DeployRole");
    assert_eq!(r.state, RoleState::Checked);
    let f = findings(&o, "IAM001", "DeployRole");
    assert_eq!(f.len(), 1, "{:?}", o.findings);
    assert_eq!(place(&o, f[0]), ("stack.yaml".into(), 15));
    assert!(
        f[0].notes.iter().any(|n| n
            == "Fn::If on condition IsProd takes its false branch because parameter Env defaults to dev; the other branch is not checked"),
        "{:?}",
        f[0].notes
    );
}

const OPEN_ROLE: &str = r#"
  OpenRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {AWS: "*"}
            Action: sts:AssumeRole
"#;

#[test]
fn nested_stacks_in_a_cycle_are_each_evaluated_and_the_cycle_is_an_error() {
    let a = format!(
        r#"AWSTemplateFormatVersion: "2010-09-09"
Resources:
  B:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: ./b.yaml{OPEN_ROLE}"#
    );
    let b = format!(
        r#"AWSTemplateFormatVersion: "2010-09-09"
Conditions:
  Never: !Equals [a, b]
Resources:
  A:
    Type: AWS::CloudFormation::Stack
    Condition: Never
    Properties:
      TemplateURL: ./a.yaml{OPEN_ROLE}"#
    );
    let dir = tree(&[("a.yaml", &a), ("b.yaml", &b)]);
    let o = check(dir.path());
    // a.yaml is evaluated on its own, b.yaml through it.
    assert_eq!(role(&o, "OpenRole").state, RoleState::Checked);
    assert_eq!(role(&o, "B/OpenRole").state, RoleState::Checked);
    assert_eq!(findings(&o, "IAM001", "OpenRole").len(), 1);
    let f = findings(&o, "IAM001", "B/OpenRole");
    assert_eq!(f.len(), 1, "{:?}", o.findings);
    assert_eq!(place(&o, f[0]), ("b.yaml".into(), 16));
    let cycle: Vec<_> = o
        .errors
        .iter()
        .filter(|e| e.message.contains("cycle"))
        .collect();
    assert_eq!(cycle.len(), 1, "{:?}", o.errors);
    assert!(cycle[0].file.ends_with("b.yaml"), "{:?}", cycle[0]);
    assert_eq!((cycle[0].line, cycle[0].column), (9, 20), "{:?}", cycle[0]);
}

#[test]
fn a_template_that_nests_itself_is_evaluated_and_the_cycle_is_an_error() {
    let me = format!(
        r#"AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Me:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: ./self.yaml{OPEN_ROLE}"#
    );
    let dir = tree(&[("self.yaml", &me)]);
    let o = check(dir.path());
    assert_eq!(role(&o, "OpenRole").state, RoleState::Checked);
    let f = findings(&o, "IAM001", "OpenRole");
    assert_eq!(f.len(), 1, "{:?}", o.findings);
    assert_eq!(place(&o, f[0]), ("self.yaml".into(), 13));
    let cycle: Vec<_> = o
        .errors
        .iter()
        .filter(|e| e.message.contains("cycle"))
        .collect();
    assert_eq!(cycle.len(), 1, "{:?}", o.errors);
    assert_eq!((cycle[0].line, cycle[0].column), (6, 20), "{:?}", cycle[0]);
}

#[test]
fn a_role_without_a_trust_policy_is_unresolved_not_a_pass() {
    let text = r#"AWSTemplateFormatVersion: "2010-09-09"
Transform: AcmeRoleMacro
Resources:
  MacroRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: filled-in-by-a-macro
"#;
    let dir = tree(&[("stack.yaml", text)]);
    let o = check(dir.path());
    let r = role(&o, "MacroRole");
    assert_eq!(r.state, RoleState::Checked);
    assert!(!r.trust_resolved());
    let f = findings(&o, "IAM008", "MacroRole");
    assert_eq!(f.len(), 1, "{:?}", o.findings);
    assert_eq!(place(&o, f[0]), ("stack.yaml".into(), 4));
    assert!(
        f[0].message.contains("AssumeRolePolicyDocument"),
        "{}",
        f[0].message
    );
}

#[test]
fn sam_resources_without_the_transform_get_a_notice() {
    let text = r#"AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Handler:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Policies: [AdministratorAccess]
"#;
    let dir = tree(&[("template.yaml", text)]);
    let o = check(dir.path());
    let f = findings(&o, "IAM020", "Handler");
    assert_eq!(f.len(), 1, "{:?}", o.findings);
    assert_eq!(place(&o, f[0]), ("template.yaml".into(), 4));
    assert!(
        f[0].message.contains("AWS::Serverless-2016-10-31"),
        "{}",
        f[0].message
    );
    // With the transform, the role SAM creates is read and checked instead.
    let with = text.replace(
        "AWSTemplateFormatVersion: \"2010-09-09\"\n",
        "AWSTemplateFormatVersion: \"2010-09-09\"\nTransform: AWS::Serverless-2016-10-31\n",
    );
    let dir = tree(&[("template.yaml", &with)]);
    let o = check(dir.path());
    assert!(findings(&o, "IAM020", "Handler").is_empty());
    assert_eq!(role(&o, "Handler").state, RoleState::Checked);
    assert!(
        o.findings.iter().any(|f| f.rule == "IAM101"),
        "{:?}",
        o.findings
    );
}

#[test]
fn a_remote_or_unknown_nested_template_gets_a_notice() {
    let text = r#"AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Bucket:
    Type: String
Resources:
  Remote:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: https://s3.amazonaws.com/example-bucket/roles.yaml
  Unknown:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: !Sub "https://${Bucket}.s3.amazonaws.com/roles.yaml"
"#;
    let dir = tree(&[("stack.yaml", text)]);
    let o = check(dir.path());
    let remote = findings(&o, "IAM021", "Remote");
    assert_eq!(remote.len(), 1, "{:?}", o.findings);
    assert_eq!(place(&o, remote[0]), ("stack.yaml".into(), 9));
    let unknown = findings(&o, "IAM021", "Unknown");
    assert_eq!(unknown.len(), 1, "{:?}", o.findings);
    assert_eq!(place(&o, unknown[0]), ("stack.yaml".into(), 13));
}

const MANIFEST: &str = r#"{
  "version": "36.0.0",
  "artifacts": {
    "Present": {
      "type": "aws:cloudformation:stack",
      "properties": {"templateFile": "Present.template.json"}
    },
    "Missing": {
      "type": "aws:cloudformation:stack",
      "properties": {"templateFile": "Missing.template.json"}
    },
    "Outside": {
      "type": "aws:cloudformation:stack",
      "properties": {"templateFile": "../../Outside.template.json"}
    }
  }
}
"#;

const CDK_TEMPLATE: &str = r#"{
  "Resources": {
    "OpenRole": {
      "Type": "AWS::IAM::Role",
      "Properties": {
        "AssumeRolePolicyDocument": {
          "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]
        }
      }
    }
  }
}
"#;

#[test]
fn a_cdk_manifest_naming_a_missing_or_outside_template_is_an_error_at_the_manifest() {
    let outer = tree(&[("Outside.template.json", CDK_TEMPLATE)]);
    let root = outer.path().join("app");
    std::fs::create_dir_all(root.join("cdk.out")).expect("mkdir");
    std::fs::create_dir_all(root.join(".git")).expect("mkdir");
    std::fs::write(root.join("cdk.out/manifest.json"), MANIFEST).expect("write");
    std::fs::write(root.join("cdk.out/Present.template.json"), CDK_TEMPLATE).expect("write");
    let o = check(&root);
    let mut errors: Vec<(String, usize, usize)> = o
        .errors
        .iter()
        .map(|e| (e.file.clone(), e.line, e.column))
        .collect();
    errors.sort();
    assert_eq!(errors.len(), 2, "{:?}", o.errors);
    for (file, _, _) in &errors {
        assert!(file.ends_with("cdk.out/manifest.json"), "{:?}", o.errors);
    }
    assert_eq!(
        errors.iter().map(|e| (e.1, e.2)).collect::<Vec<_>>(),
        vec![(10, 38), (14, 38)],
        "{:?}",
        o.errors
    );
    assert!(
        o.errors
            .iter()
            .any(|e| e.message.contains("Missing.template.json"))
    );
    assert!(o.errors.iter().any(|e| e.message.contains("outside")));
    // The template that is there is read, and its provenance names the manifest.
    let r = role(&o, "OpenRole");
    assert_eq!(
        files_read(&o, r),
        vec![
            "Present.template.json".to_string(),
            "manifest.json".to_string()
        ]
    );
}

#[test]
fn role_files_hold_the_parameter_file_and_the_parent_template() {
    let parent = r#"AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Partner:
    Type: String
Resources:
  Child:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: ./nested/child.yaml
      Parameters:
        Partner: !Ref Partner
  ParentRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: ec2.amazonaws.com}
            Action: sts:AssumeRole
"#;
    let child = r#"AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Partner:
    Type: String
Resources:
  PartnerRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {AWS: !Sub "arn:aws:iam::${Partner}:root"}
            Action: sts:AssumeRole
"#;
    let params = r#"[{"ParameterKey": "Partner", "ParameterValue": "210987654321"}]"#;
    let dir = tree(&[
        ("parent.yaml", parent),
        ("nested/child.yaml", child),
        ("params/prod.json", params),
    ]);
    let o = check_with(vec![dir.path().to_path_buf()], |opts| {
        opts.resolve.cfn_parameter_files = vec![dir.path().join("params/prod.json")];
    });
    let r = role(&o, "Child/PartnerRole");
    assert_eq!(
        files_read(&o, r),
        vec!["child.yaml", "parent.yaml", "prod.json"]
    );
    assert_eq!(
        files_read(&o, role(&o, "ParentRole")),
        vec!["parent.yaml", "prod.json"]
    );
    // The value came from the parameter file through the parent.
    assert_eq!(findings(&o, "IAM002", "Child/PartnerRole").len(), 1);
}

#[test]
fn a_run_on_a_changed_parameter_file_or_parent_reports_the_nested_role() {
    let parent = r#"AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Partner:
    Type: String
Resources:
  Child:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: ./nested/child.yaml
      Parameters:
        Partner: !Ref Partner
"#;
    let child = r#"AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Partner:
    Type: String
Resources:
  PartnerRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {AWS: !Sub "arn:aws:iam::${Partner}:root"}
            Action: sts:AssumeRole
"#;
    let params = r#"{"Parameters": {"Partner": "210987654321"}}"#;
    let dir = tree(&[
        ("parent.yaml", parent),
        ("nested/child.yaml", child),
        ("params/prod.json", params),
        (".git/HEAD", "ref: refs/heads/main\n"),
    ]);
    let file = dir.path().join("params/prod.json");
    for staged in [file.clone(), dir.path().join("parent.yaml")] {
        let o = check_with(vec![staged.clone()], |opts| {
            opts.resolve.cfn_parameter_files = vec![file.clone()];
        });
        let f = findings(&o, "IAM002", "Child/PartnerRole");
        assert_eq!(f.len(), 1, "{staged:?}: {:?}", o.findings);
        assert_eq!(place(&o, f[0]), ("child.yaml".into(), 12));
    }
}

#[test]
fn nested_template_paths_are_normalised() {
    let parent = r#"AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Gone:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: ./sub/../missing.yaml
"#;
    let dir = tree(&[("parent.yaml", parent), ("sub/keep.txt", "")]);
    let o = check(dir.path());
    let e: Vec<_> = o
        .errors
        .iter()
        .filter(|e| e.message.contains("missing.yaml"))
        .collect();
    assert_eq!(e.len(), 1, "{:?}", o.errors);
    assert!(!e[0].message.contains(".."), "{}", e[0].message);
    assert_eq!((e[0].line, e[0].column), (6, 20));
}
