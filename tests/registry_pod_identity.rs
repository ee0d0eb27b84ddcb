//! Two EKS Pod Identity modules of terraform-aws-modules, checked without `terraform init`, from
//! their documented behaviour (README and variables.tf):
//!
//! - `terraform-aws-modules/eks-pod-identity/aws` makes one role that the EKS Pod Identity
//!   service (`pods.eks.amazonaws.com`) may assume and tag sessions of, with
//!   `trust_policy_conditions` on that statement and `trust_policy_statements` added;
//!   `additional_policy_arns` are attached, and the custom policy (`attach_custom_policy`) holds
//!   `policy_statements` and the source and override documents. Its associations are not roles.
//! - `terraform-aws-modules/eks/aws//modules/karpenter` makes the Karpenter controller role
//!   (Pod Identity; in v20 also IRSA with `enable_irsa`), with a controller policy the module
//!   writes and iamlint does not describe, and the node role (`ec2.amazonaws.com`, with the
//!   worker node, ECR and CNI policies and `node_iam_role_additional_policies`).

use serde_json::Value;

mod module_support;
use module_support::*;

/// A finding as the tests compare it.
#[derive(Debug)]
struct F {
    rule: String,
    line: u64,
    resource: String,
    notes: String,
}

/// The exit code and findings of `main.tf`.
fn findings(main: &str) -> (Option<i32>, Vec<F>) {
    let d = tempfile::tempdir().expect("tempdir");
    write(d.path(), "main.tf", main);
    let (code, v) = iamlint(d.path(), &["--format", "json", "."]);
    let fs = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| F {
            rule: f["rule"].as_str().unwrap_or_default().into(),
            line: f["line"].as_u64().unwrap_or_default(),
            resource: f["resource"].as_str().unwrap_or_default().into(),
            notes: f["notes"].to_string(),
        })
        .collect();
    (code, fs)
}

/// The ARNs of a role's managed policies.
fn managed(r: &Value) -> Vec<String> {
    r["managed_policies"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| p["arn"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// `(type, value)` of every principal of a role's trust, and the actions of each statement.
fn principals(r: &Value) -> Vec<(String, String)> {
    r["trust"]["statements"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["principals"].as_array().cloned().unwrap_or_default())
        .map(|p| {
            (
                p["type"].as_str().unwrap_or_default().to_string(),
                p["value"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn pair(t: &str, v: &str) -> (String, String) {
    (t.to_string(), v.to_string())
}

const ADMIN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

// ---------------------------------------------------------------------------------------------
// terraform-aws-modules/eks-pod-identity/aws

const POD: &str = r#"module "app_pod_identity" {
  source  = "terraform-aws-modules/eks-pod-identity/aws"
  version = "VERSION"

  name = "app"

  additional_policy_arns = {
    s3 = "arn:aws:iam::111122223333:policy/app-s3"
  }

  associations = {
    app = {
      cluster_name    = "main"
      namespace       = "apps"
      service_account = "app"
    }
  }
EXTRA}
"#;

fn pod(version: &str, extra: &str) -> String {
    POD.replace("VERSION", version).replace("EXTRA", extra)
}

const POD_ROLE: &str = "module.app_pod_identity.aws_iam_role.this";

/// With its defaults the module makes one role, named with the `name` prefix, that the EKS
/// Pod Identity service may assume and tag sessions of; the additional ARNs are attached and
/// nothing is reported. `trust_policy_conditions` become that statement's conditions.
#[test]
fn pod_identity_defaults_trust_the_pod_identity_service() {
    for version in ["~> 2.0", "2.8.1", "~> 1.4"] {
        let main = pod(version, "");
        let rs = roles(&main);
        let ours: Vec<&Value> = rs
            .iter()
            .filter(|r| {
                r["address"]
                    .as_str()
                    .unwrap_or_default()
                    .starts_with("module.app_pod_identity")
            })
            .collect();
        assert_eq!(ours.len(), 1, "one role, no association: {ours:#?}");
        let r = role(&rs, POD_ROLE);
        assert_eq!(r["state"], "checked", "{version}: {r}");
        assert_eq!(r["trust_resolved"], true, "{r}");
        assert_eq!(r["name"], "app-", "{r}");
        assert!(
            r["notes"]
                .to_string()
                .contains("modelled from the module's interface"),
            "{r}"
        );
        assert_eq!(
            principals(r),
            vec![pair("Service", "pods.eks.amazonaws.com")],
            "{r}"
        );
        let actions = &r["trust"]["statements"][0]["actions"];
        assert_eq!(
            actions,
            &serde_json::json!(["sts:AssumeRole", "sts:TagSession"]),
            "{r}"
        );
        assert_eq!(
            managed(r),
            ["arn:aws:iam::111122223333:policy/app-s3"],
            "{r}"
        );
        let (code, fs) = findings(&main);
        assert!(fs.is_empty(), "{version}: {fs:#?}");
        assert_eq!(code, Some(0));
    }

    let main = pod(
        "~> 2.0",
        r#"  use_name_prefix = false
  trust_policy_conditions = [{
    test     = "StringEquals"
    variable = "aws:SourceAccount"
    values   = ["111122223333"]
  }]
"#,
    );
    let rs = roles(&main);
    let r = role(&rs, POD_ROLE);
    assert_eq!(r["name"], "app", "{r}");
    let conds = r["trust"]["statements"][0]["conditions"].to_string();
    assert!(
        conds.contains("aws:SourceAccount") && conds.contains("111122223333"),
        "{conds}"
    );
}

/// AdministratorAccess in `additional_policy_arns` is IAM101 on the role, at its line; a
/// wildcard AWS principal in `trust_policy_statements` is IAM001 at the statement.
#[test]
fn pod_identity_risky_inputs_are_reported_at_their_lines() {
    let main = pod("~> 2.0", "").replace(
        "    s3 = \"arn:aws:iam::111122223333:policy/app-s3\"\n",
        &format!("    admin = \"{ADMIN}\"\n"),
    );
    let (code, fs) = findings(&main);
    let f = fs
        .iter()
        .find(|f| f.rule == "IAM101")
        .unwrap_or_else(|| panic!("IAM101: {fs:#?}"));
    assert_eq!(f.resource, POD_ROLE, "{f:?}");
    assert_eq!(f.line, line_of(&main, "admin = "), "{f:?}");
    assert!(
        f.notes.contains("modelled from the module's interface, v2"),
        "{f:?}"
    );
    assert_eq!(code, Some(1));

    let main = pod(
        "~> 2.0",
        r#"  trust_policy_statements = [{
    actions    = ["sts:AssumeRole"]
    principals = [{ type = "AWS", identifiers = ["*"] }]
  }]
"#,
    );
    let rs = roles(&main);
    let r = role(&rs, POD_ROLE);
    assert!(
        principals(r).contains(&pair("AWS", "*")),
        "the statement is in the trust: {r}"
    );
    let (_, fs) = findings(&main);
    let f = fs
        .iter()
        .find(|f| f.rule == "IAM001")
        .unwrap_or_else(|| panic!("IAM001: {fs:#?}"));
    assert_eq!(f.resource, POD_ROLE, "{f:?}");
    assert!(
        (line_of(&main, "trust_policy_statements")..=line_of(&main, "identifiers = [\"*\"]"))
            .contains(&f.line),
        "{f:?}"
    );
}

/// `policy_statements` reach the role only in a policy the module makes: the custom policy
/// (`attach_custom_policy`) or an add-on's; an add-on's own policy is a note, CloudWatch
/// Observability's two AWS managed policies are attached.
#[test]
fn pod_identity_policies_follow_their_switches() {
    let statements = r#"  policy_statements = [{
    actions   = ["dynamodb:GetItem"]
    resources = ["*"]
  }]
"#;
    let main = pod("~> 2.0", statements);
    assert!(
        can(&main, "dynamodb:GetItem").is_empty(),
        "no custom policy"
    );
    let custom = pod(
        "~> 2.0",
        &format!("{statements}  attach_custom_policy = true\n"),
    );
    assert_eq!(can(&custom, "dynamodb:GetItem"), [POD_ROLE]);

    let ebs = pod(
        "~> 2.0",
        &format!("{statements}  attach_aws_ebs_csi_policy = true\n"),
    );
    assert_eq!(can(&ebs, "dynamodb:GetItem"), [POD_ROLE]);
    let rs = roles(&ebs);
    let r = role(&rs, POD_ROLE);
    assert!(
        r["notes"]
            .to_string()
            .contains("attach_aws_ebs_csi_policy: the module writes the EBS CSI driver policy"),
        "{r}"
    );

    let cw = pod(
        "~> 2.0",
        "  attach_aws_cloudwatch_observability_policy = true\n",
    );
    let rs = roles(&cw);
    let r = role(&rs, POD_ROLE);
    let arns = managed(r);
    assert!(
        arns.contains(&"arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy".to_string())
            && arns.contains(&"arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess".to_string()),
        "{arns:?}"
    );
}

/// `create = false` makes no role: listed as not created, nothing reported.
#[test]
fn pod_identity_create_false_makes_no_role() {
    let main = pod("~> 2.0", "  create = false\n").replace(
        "    s3 = \"arn:aws:iam::111122223333:policy/app-s3\"\n",
        &format!("    admin = \"{ADMIN}\"\n"),
    );
    let rs = roles(&main);
    let r = role(&rs, POD_ROLE);
    assert_eq!(r["state"], "not_created", "{r}");
    let (code, fs) = findings(&main);
    assert!(fs.iter().all(|f| f.rule != "IAM101"), "{fs:#?}");
    assert_eq!(code, Some(0), "{fs:#?}");
}

/// A version that admits no described major is checked at the inputs-only level; the same
/// call at a described major is modelled.
#[test]
fn pod_identity_undescribed_version_is_inputs_only() {
    let rs = roles(&pod("~> 2.0", ""));
    assert_eq!(role(&rs, POD_ROLE)["resource_type"], "aws_iam_role");
    let main = pod("~> 3.0", "");
    let rs = roles(&main);
    let r = role(&rs, "module.app_pod_identity");
    assert_eq!(r["resource_type"], "module (inputs only)", "{r}");
    assert_eq!(r["trust_resolved"], false, "{r}");
    assert!(rs.iter().all(|r| r["address"] != POD_ROLE), "{rs:#?}");
}

// ---------------------------------------------------------------------------------------------
// terraform-aws-modules/eks/aws//modules/karpenter

const KARPENTER: &str = r#"module "karpenter" {
  source  = "terraform-aws-modules/eks/aws//modules/karpenter"
  version = "VERSION"

  cluster_name = "main"
EXTRA}
"#;

fn karpenter(version: &str, extra: &str) -> String {
    KARPENTER
        .replace("VERSION", version)
        .replace("EXTRA", extra)
}

const CONTROLLER: &str = "module.karpenter.aws_iam_role.controller";
const NODE: &str = "module.karpenter.aws_iam_role.node";

/// With its defaults the submodule makes the controller role (trusted by EKS Pod Identity,
/// with the controller policy it writes, which is not described: IAM019 says so) and the node
/// role (trusted by EC2, named after the cluster, with the worker node, ECR and IPv4 CNI
/// policies; v20 attaches the ECR read-only policy, v21 the pull-only one).
#[test]
fn karpenter_defaults_make_the_controller_and_node_roles() {
    for (version, ecr) in [
        ("~> 21.0", "AmazonEC2ContainerRegistryPullOnly"),
        ("~> 20.0", "AmazonEC2ContainerRegistryReadOnly"),
    ] {
        let main = karpenter(version, "");
        let rs = roles(&main);
        let c = role(&rs, CONTROLLER);
        assert_eq!(c["state"], "checked", "{version}: {c}");
        assert_eq!(c["trust_resolved"], true, "{c}");
        assert_eq!(c["name"], "KarpenterController-", "{c}");
        assert_eq!(
            principals(c),
            vec![pair("Service", "pods.eks.amazonaws.com")],
            "{c}"
        );
        assert_eq!(
            c["trust"]["statements"][0]["actions"],
            serde_json::json!(["sts:AssumeRole", "sts:TagSession"]),
            "{c}"
        );
        assert_eq!(c["inline_policies"][0]["resolved"], false, "{c}");

        let n = role(&rs, NODE);
        assert_eq!(n["state"], "checked", "{version}: {n}");
        assert_eq!(n["trust_resolved"], true, "{n}");
        assert_eq!(n["name"], "Karpenter-main-", "{n}");
        assert_eq!(principals(n), vec![pair("Service", "ec2.amazonaws.com")]);
        assert_eq!(
            managed(n),
            [
                "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy".to_string(),
                format!("arn:aws:iam::aws:policy/{ecr}"),
                "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy".to_string(),
            ],
            "{n}"
        );

        let (code, fs) = findings(&main);
        let rules: Vec<&str> = fs.iter().map(|f| f.rule.as_str()).collect();
        assert_eq!(rules, ["IAM019"], "{fs:#?}");
        assert_eq!(fs[0].resource, "the module's own policy", "{fs:#?}");
        assert_eq!(code, Some(0), "{fs:#?}");
    }

    // IPv6 clusters get the account's IPv6 CNI policy; no CNI policy when switched off; an
    // exact name when the prefix is off.
    let rs = roles(&karpenter(
        "~> 21.0",
        "  cluster_ip_family = \"ipv6\"\n  node_iam_role_name = \"nodes\"\n  node_iam_role_use_name_prefix = false\n",
    ));
    let n = role(&rs, NODE);
    assert_eq!(n["name"], "nodes", "{n}");
    assert!(
        managed(n).contains(&"arn:aws:iam::(this-account):policy/AmazonEKS_CNI_IPv6_Policy".into())
            && !managed(n)
                .iter()
                .any(|a| a.ends_with("/AmazonEKS_CNI_Policy")),
        "{n}"
    );
    let rs = roles(&karpenter(
        "~> 21.0",
        "  node_iam_role_attach_cni_policy = false\n",
    ));
    let n = role(&rs, NODE);
    assert!(!managed(n).iter().any(|a| a.contains("CNI")), "{n}");
}

/// AdministratorAccess is IAM101 on the role it is given to, at its line:
/// `node_iam_role_additional_policies` on the node role, `iam_role_policies` on the
/// controller; `iam_policy_statements` reach the controller role only.
#[test]
fn karpenter_risky_inputs_land_on_the_right_role() {
    let main = karpenter(
        "~> 21.0",
        &format!("  node_iam_role_additional_policies = {{\n    admin = \"{ADMIN}\"\n  }}\n"),
    );
    let (code, fs) = findings(&main);
    let admin: Vec<&F> = fs.iter().filter(|f| f.rule == "IAM101").collect();
    assert_eq!(admin.len(), 1, "{fs:#?}");
    assert_eq!(admin[0].resource, NODE, "{fs:#?}");
    assert_eq!(admin[0].line, line_of(&main, "admin = "), "{fs:#?}");
    assert_eq!(code, Some(1));

    let main = karpenter(
        "~> 20.0",
        &format!("  iam_role_policies = {{\n    admin = \"{ADMIN}\"\n  }}\n"),
    );
    let (_, fs) = findings(&main);
    let admin: Vec<&F> = fs.iter().filter(|f| f.rule == "IAM101").collect();
    assert_eq!(admin.len(), 1, "{fs:#?}");
    assert_eq!(admin[0].resource, CONTROLLER, "{fs:#?}");
    assert_eq!(admin[0].line, line_of(&main, "admin = "), "{fs:#?}");

    let main = karpenter(
        "~> 21.0",
        "  iam_policy_statements = [{\n    actions   = [\"dynamodb:GetItem\"]\n    resources = [\"*\"]\n  }]\n",
    );
    assert_eq!(can(&main, "dynamodb:GetItem"), [CONTROLLER]);
}

/// `create_node_iam_role = false` (an existing role by ARN) makes no node role and
/// `create_iam_role = false` no controller role; `create = false` neither.
#[test]
fn karpenter_switches_turn_roles_off() {
    let rs = roles(&karpenter(
        "~> 21.0",
        "  create_node_iam_role = false\n  node_iam_role_arn = \"arn:aws:iam::111122223333:role/nodes\"\n",
    ));
    assert_eq!(role(&rs, NODE)["state"], "not_created");
    assert_eq!(role(&rs, CONTROLLER)["state"], "checked");

    let rs = roles(&karpenter("~> 21.0", "  create_iam_role = false\n"));
    assert_eq!(role(&rs, CONTROLLER)["state"], "not_created");
    assert_eq!(role(&rs, NODE)["state"], "checked");

    let rs = roles(&karpenter("~> 20.0", "  create = false\n"));
    assert_eq!(role(&rs, CONTROLLER)["state"], "not_created");
    assert_eq!(role(&rs, NODE)["state"], "not_created");
}

/// In v20, `enable_irsa` adds the cluster's OIDC provider for the listed service accounts,
/// with `sub` and `aud` pinned; `enable_pod_identity = false` drops the Pod Identity statement.
/// In v21 the trust documents the module merges are a note and leave the trust unresolved.
#[test]
fn karpenter_v20_irsa_and_v21_trust_documents() {
    let provider =
        "arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC123";
    let main = karpenter(
        "~> 20.0",
        &format!(
            "  enable_pod_identity = false\n  enable_irsa = true\n  irsa_oidc_provider_arn = \"{provider}\"\n  irsa_namespace_service_accounts = [\"kube-system:karpenter\"]\n"
        ),
    );
    let rs = roles(&main);
    let c = role(&rs, CONTROLLER);
    assert_eq!(c["trust_resolved"], true, "{c}");
    assert_eq!(principals(c), vec![pair("Federated", provider)], "{c}");
    let conds = c["trust"]["statements"][0]["conditions"].to_string();
    assert!(
        conds.contains("oidc.eks.eu-west-1.amazonaws.com/id/ABC123:sub")
            && conds.contains("system:serviceaccount:kube-system:karpenter")
            && conds.contains("oidc.eks.eu-west-1.amazonaws.com/id/ABC123:aud"),
        "{conds}"
    );

    let main = karpenter(
        "~> 21.0",
        "  iam_role_source_assume_policy_documents = [data.aws_iam_policy_document.extra.json]\n",
    );
    let rs = roles(&main);
    let c = role(&rs, CONTROLLER);
    assert_eq!(c["trust_resolved"], false, "{c}");
    assert!(
        c["notes"]
            .to_string()
            .contains("iam_role_source_assume_policy_documents"),
        "{c}"
    );
}

/// A version that admits no described major is checked at the inputs-only level; a described
/// major is modelled.
#[test]
fn karpenter_undescribed_version_is_inputs_only() {
    let rs = roles(&karpenter("21.19.0", ""));
    assert_eq!(role(&rs, NODE)["resource_type"], "aws_iam_role");
    let main = karpenter(
        "~> 19.0",
        &format!("  iam_role_additional_policies = {{ admin = \"{ADMIN}\" }}\n"),
    );
    let rs = roles(&main);
    let r = role(&rs, "module.karpenter");
    assert_eq!(r["resource_type"], "module (inputs only)", "{r}");
    assert!(
        rs.iter()
            .all(|r| r["address"] != CONTROLLER && r["address"] != NODE),
        "{rs:#?}"
    );
}
