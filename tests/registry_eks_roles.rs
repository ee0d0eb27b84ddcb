//! The roles of terraform-aws-modules/eks/aws, checked without `terraform init`: the cluster
//! role, the EKS Auto Mode node role, and one role per item of the node group and Fargate
//! profile maps (`module.eks.module.eks_managed_node_group["KEY"].aws_iam_role.this`), from the
//! module's documented behaviour at v20 and v21. Majors that are not described stay at the
//! "inputs only" level.

use serde_json::Value;

mod module_support;
use module_support::*;

fn addresses(roles: &[Value]) -> Vec<&str> {
    roles.iter().filter_map(|r| r["address"].as_str()).collect()
}

/// The managed policy ARNs of a role.
fn managed(r: &Value) -> Vec<String> {
    r["managed_policies"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| p["arn"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn service_principals(r: &Value) -> Vec<String> {
    r["trust"]["statements"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["principals"].as_array().cloned().unwrap_or_default())
        .filter(|p| p["type"] == "Service")
        .filter_map(|p| p["value"].as_str().map(str::to_string))
        .collect()
}

/// The findings of `main.tf`: (rule, resource, line).
fn findings(main: &str) -> Vec<(String, String, u64)> {
    let d = tempfile::tempdir().expect("tempdir");
    write(d.path(), "main.tf", main);
    let (_, v) = iamlint(d.path(), &["--format", "json", "."]);
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default().to_string(),
                f["resource"].as_str().unwrap_or_default().to_string(),
                f["line"].as_u64().unwrap_or_default(),
            )
        })
        .collect()
}

const EKS: &str = r#"module "eks" {
  source  = "terraform-aws-modules/eks/aws"
  version = "VERSION"

  NAME_INPUT = "main"
  vpc_id     = "vpc-1234"
EXTRA}
"#;

/// A call of major 21 (`name`) or 20 (`cluster_name`) with `extra` inputs.
fn eks(version: &str, extra: &str) -> String {
    let name = if version.contains("20.") {
        "cluster_name"
    } else {
        "name"
    };
    EKS.replace("VERSION", version)
        .replace("NAME_INPUT", name)
        .replace("EXTRA", extra)
}

const CLUSTER: &str = "module.eks.aws_iam_role.this";
const AUTO: &str = "module.eks.aws_iam_role.eks_auto";
const CLUSTER_POLICY: &str = "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy";
const WORKER: &str = "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy";
const ECR_READ: &str = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly";
const CNI: &str = "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy";
const ADMIN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

/// With its defaults the module makes the cluster role, trusted by EKS, with the cluster
/// policy and its own policy for the cluster's encryption key (a key it makes in this account);
/// no node group is asked for, so no node role, and the Auto Mode node role is listed as not
/// created.
#[test]
fn eks_defaults_make_the_cluster_role() {
    for version in ["~> 21.0", "~> 20.11"] {
        let main = eks(version, "");
        let rs = roles(&main);
        let c = role(&rs, CLUSTER);
        assert_eq!(c["state"], "checked", "{version}: {c}");
        assert_eq!(c["resource_type"], "aws_iam_role", "{version}: {c}");
        assert_eq!(c["trust_resolved"], true, "{version}: {c}");
        assert_eq!(c["name"], "main-cluster", "{version}: {c}");
        assert_eq!(service_principals(c), ["eks.amazonaws.com"], "{version}");
        // v20 also attaches the VPC resource controller policy (security groups for pods).
        let mut want = vec![CLUSTER_POLICY];
        if version.contains("20.") {
            want.push("arn:aws:iam::aws:policy/AmazonEKSVPCResourceController");
        }
        assert_eq!(managed(c), want, "{version}");
        let auto = role(&rs, AUTO);
        assert_eq!(auto["state"], "not_created", "{version}: {auto}");
        assert!(
            !addresses(&rs).iter().any(|a| a.contains("node_group")),
            "{version}: {:?}",
            addresses(&rs)
        );
        // The module's own encryption policy lets the cluster role use the cluster's key.
        assert_eq!(can(&main, "kms:Decrypt"), [CLUSTER], "{version}");
        // Its custom-tags policy for Auto Mode: v20 attaches it to every cluster role, v21
        // only with Auto Mode.
        let fleet = can(&main, "ec2:CreateFleet");
        if version.contains("20.") {
            assert_eq!(fleet, [CLUSTER], "{version}");
        } else {
            assert!(fleet.is_empty(), "{version}: {fleet:?}");
        }
    }
}

/// EKS Auto Mode: the cluster role gets the Auto Mode policies and the module makes the node
/// role, trusted by EC2.
#[test]
fn eks_auto_mode_makes_the_node_role() {
    let main = eks("~> 21.0", "  compute_config = { enabled = true }\n");
    let rs = roles(&main);
    let c = role(&rs, CLUSTER);
    let m = managed(c);
    assert!(
        m.contains(&"arn:aws:iam::aws:policy/AmazonEKSComputePolicy".to_string())
            && m.contains(&CLUSTER_POLICY.to_string()),
        "{m:?}"
    );
    let auto = role(&rs, AUTO);
    assert_eq!(auto["state"], "checked", "{auto}");
    assert_eq!(auto["name"], "main-eks-auto", "{auto}");
    assert_eq!(service_principals(auto), ["ec2.amazonaws.com"]);
    assert!(
        managed(auto).contains(&"arn:aws:iam::aws:policy/AmazonEKSWorkerNodeMinimalPolicy".into())
    );
    // The module's policy for Auto Mode's tagged resources is on the cluster role only.
    assert_eq!(can(&main, "ec2:CreateFleet"), [CLUSTER]);
}

/// One node group item makes one node role, under the module's own node group call, trusted
/// by EC2 with the worker node policies; the item's name names it.
#[test]
fn eks_node_group_item_makes_its_role() {
    for version in ["~> 21.0", "~> 20.11"] {
        let main = eks(
            version,
            r#"  eks_managed_node_groups = {
    default = { instance_types = ["m5.large"] }
    spot    = { name = "cheap" }
  }
"#,
        );
        let rs = roles(&main);
        let ng = role(
            &rs,
            r#"module.eks.module.eks_managed_node_group["default"].aws_iam_role.this"#,
        );
        assert_eq!(ng["state"], "checked", "{version}: {ng}");
        assert_eq!(ng["trust_resolved"], true, "{version}: {ng}");
        assert_eq!(ng["name"], "default-eks-node-group", "{version}: {ng}");
        assert_eq!(service_principals(ng), ["ec2.amazonaws.com"], "{version}");
        assert_eq!(managed(ng), [WORKER, ECR_READ, CNI], "{version}");
        let spot = role(
            &rs,
            r#"module.eks.module.eks_managed_node_group["spot"].aws_iam_role.this"#,
        );
        assert_eq!(spot["name"], "cheap-eks-node-group", "{version}: {spot}");
        // The cluster role is still there.
        role(&rs, CLUSTER);
    }
}

/// Self-managed node groups and Fargate profiles make their roles the same way; v20's
/// `*_defaults` maps stand for the fields an item leaves out.
#[test]
fn eks_self_managed_and_fargate_items_make_their_roles() {
    let main = eks(
        "~> 20.11",
        r#"  self_managed_node_groups = { bottlerocket = {} }
  fargate_profiles = { kube = { selectors = [{ namespace = "kube-system" }] } }
  fargate_profile_defaults = { iam_role_attach_cni_policy = false }
"#,
    );
    let rs = roles(&main);
    let sm = role(
        &rs,
        r#"module.eks.module.self_managed_node_group["bottlerocket"].aws_iam_role.this"#,
    );
    assert_eq!(sm["state"], "checked", "{sm}");
    assert_eq!(sm["name"], "bottlerocket-node-group", "{sm}");
    assert_eq!(service_principals(sm), ["ec2.amazonaws.com"]);
    assert_eq!(managed(sm), [WORKER, ECR_READ, CNI]);
    let fp = role(
        &rs,
        r#"module.eks.module.fargate_profile["kube"].aws_iam_role.this"#,
    );
    assert_eq!(fp["state"], "checked", "{fp}");
    assert_eq!(fp["trust_resolved"], true, "{fp}");
    assert_eq!(fp["name"], "kube", "{fp}");
    assert_eq!(service_principals(fp), ["eks-fargate-pods.amazonaws.com"]);
    // The profile's trust is limited to the cluster's Fargate profiles.
    let conds = fp["trust"]["statements"][0]["conditions"].to_string();
    assert!(
        conds.contains("aws:SourceArn") && conds.contains(":fargateprofile/main/*"),
        "{conds}"
    );
    // The defaults map turned the CNI policy off.
    assert_eq!(
        managed(fp),
        ["arn:aws:iam::aws:policy/AmazonEKSFargatePodExecutionRolePolicy"]
    );
}

/// An administrator policy given to one node group is found on that node group's role, at the
/// line of the input; the cluster role and the other node group are not blamed.
#[test]
fn eks_admin_policy_in_a_node_group_is_found_on_its_role() {
    let main = eks(
        "~> 21.0",
        r#"  eks_managed_node_groups = {
    safe = {}
    risky = {
      iam_role_additional_policies = {
        admin = "arn:aws:iam::aws:policy/AdministratorAccess"
      }
    }
  }
"#,
    );
    let risky = r#"module.eks.module.eks_managed_node_group["risky"].aws_iam_role.this"#;
    let admin: Vec<_> = findings(&main)
        .into_iter()
        .filter(|f| f.0 == "IAM101")
        .collect();
    assert_eq!(
        admin,
        [(
            "IAM101".to_string(),
            risky.to_string(),
            line_of(&main, ADMIN)
        )]
    );
    // The same policy in v20's defaults map reaches every node group.
    let main = eks(
        "~> 20.11",
        r#"  eks_managed_node_groups = { a = {}, b = {} }
  eks_managed_node_group_defaults = {
    iam_role_additional_policies = { admin = "arn:aws:iam::aws:policy/AdministratorAccess" }
  }
"#,
    );
    let mut admin: Vec<_> = findings(&main)
        .into_iter()
        .filter(|f| f.0 == "IAM101")
        .map(|f| f.1)
        .collect();
    admin.sort();
    assert_eq!(
        admin,
        [
            r#"module.eks.module.eks_managed_node_group["a"].aws_iam_role.this"#,
            r#"module.eks.module.eks_managed_node_group["b"].aws_iam_role.this"#,
        ]
    );
}

/// `create_iam_role = false` (with the caller's own role in `iam_role_arn`): the module makes
/// no role, for the cluster or for that node group.
#[test]
fn eks_create_iam_role_false_is_not_created() {
    let main = eks(
        "~> 21.0",
        r#"  create_iam_role = false
  iam_role_arn    = "arn:aws:iam::111122223333:role/cluster"
  eks_managed_node_groups = {
    own = {
      create_iam_role = false
      iam_role_arn    = "arn:aws:iam::111122223333:role/nodes"
    }
    made = {}
  }
"#,
    );
    let rs = roles(&main);
    let c = role(&rs, CLUSTER);
    assert_eq!(c["state"], "not_created", "{c}");
    let own = role(
        &rs,
        r#"module.eks.module.eks_managed_node_group["own"].aws_iam_role.this"#,
    );
    assert_eq!(own["state"], "not_created", "{own}");
    let made = role(
        &rs,
        r#"module.eks.module.eks_managed_node_group["made"].aws_iam_role.this"#,
    );
    assert_eq!(made["state"], "checked", "{made}");
}

/// A node group map that is not known (a variable with no value) gives one template role that
/// stands for every item, with a note that says so.
#[test]
fn eks_unknown_node_group_map_gives_a_template_role() {
    let main = format!(
        "variable \"node_groups\" {{}}\n{}",
        eks("~> 21.0", "  eks_managed_node_groups = var.node_groups\n")
    );
    let rs = roles(&main);
    let t = role(
        &rs,
        "module.eks.module.eks_managed_node_group.aws_iam_role.this",
    );
    assert_eq!(t["state"], "template", "{t}");
    let why = t["state_reason"].as_str().unwrap_or_default();
    assert!(
        why.contains("eks_managed_node_groups") && why.contains("var.node_groups"),
        "{why}"
    );
    // What the template knows: the node role's trust.
    assert_eq!(service_principals(t), ["ec2.amazonaws.com"]);
    role(&rs, CLUSTER);
}

/// A major that is not described (v19), or a v20 constraint that admits releases before the
/// described ones, stays at the inputs-only level: the policy it is given is still checked.
#[test]
fn eks_undescribed_major_stays_inputs_only() {
    for version in ["~> 19.0", "~> 20.0"] {
        let main = eks(
            version,
            &format!("  iam_role_additional_policies = {{ admin = \"{ADMIN}\" }}\n"),
        );
        let rs = roles(&main);
        assert!(
            !addresses(&rs).contains(&CLUSTER),
            "{version}: {:?}",
            addresses(&rs)
        );
        let r = role(&rs, "module.eks");
        assert_eq!(r["resource_type"], "module (inputs only)", "{version}: {r}");
        assert!(
            findings(&main)
                .iter()
                .any(|f| f.0 == "IAM101" && f.1 == "module.eks"),
            "{version}"
        );
        // For v20, the IAM009 note says why the roles are not modelled (v19 is described for
        // its outputs only).
        if !version.contains("20.") {
            continue;
        }
        let d = tempfile::tempdir().expect("tempdir");
        write(d.path(), "main.tf", &main);
        let (_, v) = iamlint(d.path(), &["--format", "json", "."]);
        let note = v["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|f| f["rule"] == "IAM009")
            .map(|f| f["message"].to_string())
            .unwrap_or_default();
        assert!(
            note.contains("describes its roles from 20.11.0"),
            "{version}: {note}"
        );
    }
}

/// The loader refuses a repeated role that reads an item field its `for_each.fields` does not
/// declare (in a switch, a value, a template or the path), or repeats over an input that
/// `inputs` does not declare.
#[test]
fn repeated_role_loader_refuses_undeclared_fields() {
    use iamlint::source::terraform::registry::parse_interface;
    let head = "module: a/b/aws\nrepository: github.com/a/b\nversions:\n  - major: 0\n    reviewed: v0.1.0\n    documentation: x\n    inputs: {groups: {}}\n    role: aws_iam_role.this\n";
    let fe = "    for_each: {input: groups, call: group, fields: {make: true}}\n";
    let cases = [
        (format!("{fe}    create: [each.made]\n"), "`made`"),
        (
            format!("{fe}    name: [{{each: role_name}}]\n"),
            "`role_name`",
        ),
        (
            format!("{fe}    name: [{{template: \"${{each.nm}}-x\"}}]\n"),
            "`nm`",
        ),
        (format!("{fe}    path: each.role_path\n"), "`role_path`"),
        (
            "    for_each: {input: teams, call: group}\n".to_string(),
            "`teams`",
        ),
    ];
    for (body, want) in cases {
        let e = parse_interface("bad.yaml", &format!("{head}{body}"))
            .err()
            .unwrap_or_default();
        assert!(e.contains("bad.yaml") && e.contains(want), "{body}: {e}");
    }
    // The good form loads: declared fields, and the item's key.
    let good =
        format!("{fe}    create: [each.make]\n    name: [{{template: \"${{each.key}}-x\"}}]\n");
    parse_interface("good.yaml", &format!("{head}{good}")).unwrap_or_else(|e| panic!("{e}"));
}
