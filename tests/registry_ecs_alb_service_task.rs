//! cloudposse/ecs-alb-service-task/aws checked without `terraform init`: the task role, the
//! task execution role, the service role (a load balancer outside awsvpc networking) and the
//! Service Connect TLS role, each with its own switches (the cloudposse label's `enabled`, an
//! ARN given instead of a role) and policies, from the module's documented behaviour.

use serde_json::Value;

mod module_support;
use module_support::*;

const SERVICE: &str = r#"module "svc" {
  source  = "cloudposse/ecs-alb-service-task/aws"
  version = "VERSION"

  namespace                 = "eg"
  name                      = "web"
  container_definition_json = "[]"
  ecs_cluster_arn           = "arn:aws:ecs:eu-west-1:111122223333:cluster/main"
  vpc_id                    = "vpc-0123456789abcdef0"
EXTRA}
"#;

fn service(version: &str, extra: &str) -> String {
    SERVICE.replace("VERSION", version).replace("EXTRA", extra)
}

const TASK: &str = "module.svc.aws_iam_role.ecs_task";
const EXEC: &str = "module.svc.aws_iam_role.ecs_exec";
const SVC: &str = "module.svc.aws_iam_role.ecs_service";
const TLS: &str = "module.svc.aws_iam_role.ecs_service_connect_tls";

fn principal(r: &Value) -> &Value {
    &r["trust"]["statements"][0]["principals"][0]["value"]
}

/// With its defaults the module makes the task role and the task execution role, both trusting
/// the ECS tasks service, the execution role with the module's own policy (logs, ECR pulls,
/// SSM parameters); the service role (awsvpc networking needs none) and the Service Connect
/// TLS role are not created.
#[test]
fn defaults_make_the_task_and_execution_roles() {
    let main = service("0.78.0", "");
    let rs = roles(&main);
    for addr in [TASK, EXEC] {
        let r = role(&rs, addr);
        assert_eq!(r["state"], "checked", "{r}");
        assert_eq!(r["trust_resolved"], true, "{r}");
        assert_eq!(principal(r), "ecs-tasks.amazonaws.com", "{r}");
    }
    for action in [
        "logs:PutLogEvents",
        "ecr:BatchGetImage",
        "ssm:GetParameters",
    ] {
        assert_eq!(can(&main, action), [EXEC], "{action}");
    }
    // ECS Exec is off: the task role has no policy of the module's.
    assert!(can(&main, "ssmmessages:CreateControlChannel").is_empty());
    for off in [SVC, TLS] {
        let r = role(&rs, off);
        assert_eq!(r["state"], "not_created", "{r}");
    }
}

/// Each role's own inputs reach it: an administrator policy in task_policy_arns is reported on
/// the task role at the input's line and not on the execution role; task_exec_policy_arns_map
/// lands on the execution role; exec_enabled gives the task role the SSM messages channel.
#[test]
fn inputs_reach_their_own_role() {
    let extra = r#"  task_policy_arns = [
    "arn:aws:iam::aws:policy/AdministratorAccess",
  ]
"#;
    let main = service("0.72.0", extra);
    let (code, fs) = findings(&main);
    assert_eq!(code, Some(1), "{fs:#?}");
    let admin = line_of(&main, "AdministratorAccess");
    assert!(
        fs.iter()
            .any(|(rule, res, line)| rule == "IAM101" && res.starts_with(TASK) && *line == admin),
        "IAM101 on the task role at line {admin}: {fs:#?}"
    );
    assert!(
        !fs.iter().any(|(_, res, _)| res.starts_with(EXEC)),
        "the execution role is not the one with admin: {fs:#?}"
    );

    let extra = r#"  task_exec_policy_arns_map = {
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
  }
"#;
    let main = service("0.78.0", extra);
    let (_, fs) = findings(&main);
    let admin = line_of(&main, "AdministratorAccess");
    assert!(
        fs.iter()
            .any(|(rule, res, line)| rule == "IAM101" && res.starts_with(EXEC) && *line == admin),
        "IAM101 on the execution role at line {admin}: {fs:#?}"
    );
    assert!(
        !fs.iter().any(|(_, res, _)| res.starts_with(TASK)),
        "{fs:#?}"
    );

    let main = service("0.78.0", "  exec_enabled = true\n");
    assert_eq!(can(&main, "ssmmessages:CreateControlChannel"), [TASK]);
}

/// A role ARN given instead (a list of one, or the deprecated string) means the module makes
/// no such role; `enabled = false` (the cloudposse label) turns every role off.
#[test]
fn given_roles_and_enabled_switch_roles_off() {
    let extra = r#"  task_role_arn      = ["arn:aws:iam::111122223333:role/app"]
  task_exec_role_arn = "arn:aws:iam::111122223333:role/exec"
"#;
    let rs = roles(&service("0.78.0", extra));
    for addr in [TASK, EXEC] {
        let r = role(&rs, addr);
        assert_eq!(r["state"], "not_created", "{r}");
    }
    let rs = roles(&service("0.78.0", "  task_role_arn = []\n"));
    assert_eq!(role(&rs, TASK)["state"], "checked");

    let rs = roles(&service("0.78.0", "  enabled = false\n"));
    for addr in [TASK, EXEC, SVC, TLS] {
        let r = role(&rs, addr);
        assert_eq!(r["state"], "not_created", "{r}");
    }
    let rs = roles(&service("0.78.0", "  context = { enabled = false }\n"));
    assert_eq!(role(&rs, TASK)["state"], "not_created");
}

/// A load balancer outside awsvpc networking makes the service role (trusting ECS, with the
/// module's load-balancer registration policy) unless service_role_arn names one.
#[test]
fn bridge_networking_with_a_load_balancer_makes_the_service_role() {
    let extra = r#"  network_mode = "bridge"
  ecs_load_balancers = [{
    container_name   = "web"
    container_port   = 80
    target_group_arn = "arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/web/0123456789abcdef"
  }]
"#;
    let main = service("0.78.0", extra);
    let rs = roles(&main);
    let svc = role(&rs, SVC);
    assert_eq!(svc["state"], "checked", "{svc}");
    assert_eq!(principal(svc), "ecs.amazonaws.com", "{svc}");
    assert_eq!(can(&main, "elasticloadbalancing:RegisterTargets"), [SVC]);

    let given =
        format!("{extra}  service_role_arn = \"arn:aws:iam::111122223333:role/ecs-service\"\n");
    let rs = roles(&service("0.78.0", &given));
    assert_eq!(role(&rs, SVC)["state"], "not_created");
    // awsvpc (the default) with a load balancer: no service role.
    let rs = roles(&service("0.78.0", &extra.replace("bridge", "awsvpc")));
    assert_eq!(role(&rs, SVC)["state"], "not_created");
}

/// A Service Connect service with TLS and no role_arn of its own makes the TLS role with the
/// AWS managed policy for Service Connect TLS; naming a role_arn makes none.
#[test]
fn service_connect_tls_makes_its_role_unless_one_is_named() {
    let conf = |role_arn: &str| {
        format!(
            r#"  service_connect_configurations = [{{
    enabled   = true
    namespace = "internal"
    service = [{{
      port_name    = "http"
      client_alias = [{{ dns_name = "web", port = 80 }}]
      tls = [{{
        issuer_cert_authority = {{ aws_pca_authority_arn = "arn:aws:acm-pca:eu-west-1:111122223333:certificate-authority/abc" }}
        {role_arn}
      }}]
    }}]
  }}]
"#
        )
    };
    let rs = roles(&service("0.78.0", &conf("")));
    let tls = role(&rs, TLS);
    assert_eq!(tls["state"], "checked", "{tls}");
    assert!(
        tls["managed_policies"]
            .to_string()
            .contains("AmazonECSInfrastructureRolePolicyForServiceConnectTransportLayerSecurity"),
        "{tls}"
    );
    let rs = roles(&service(
        "0.78.0",
        &conf("role_arn = \"arn:aws:iam::111122223333:role/tls\""),
    ));
    assert_eq!(role(&rs, TLS)["state"], "not_created");
    // Service Connect without TLS: none either.
    let plain = "  service_connect_configurations = [{ enabled = true, service = [{ port_name = \"http\", client_alias = [{ dns_name = \"web\", port = 80 }] }] }]\n";
    let rs = roles(&service("0.78.0", plain));
    assert_eq!(role(&rs, TLS)["state"], "not_created");
}

/// The description holds from 0.62.1 on; an earlier release, or a constraint that admits one,
/// falls back to the inputs. A call without a version gets the latest release.
#[test]
fn versions() {
    for v in ["0.66.2", "~> 0.72.0"] {
        let rs = roles(&service(v, ""));
        assert_eq!(role(&rs, TASK)["state"], "checked", "{v}");
    }
    let rs = roles(&service("0.78.0", "").replace("  version = \"0.78.0\"\n", ""));
    assert_eq!(role(&rs, EXEC)["state"], "checked");
    for v in ["0.60.0", ">= 0.50.0"] {
        let rs = roles(&service(v, ""));
        assert!(
            !rs.iter().any(|r| r["address"] == TASK),
            "{v} is not described: {rs:#?}"
        );
    }
}

/// A role that only a root variable's default switches off is checked as a template, and the
/// reason names the variable behind the switch that is off (network_mode), not one behind a
/// switch that is on (enabled).
#[test]
fn a_role_off_by_a_root_default_names_that_default() {
    let main = r#"variable "enabled" {
  type    = bool
  default = true
}

variable "network_mode" {
  type    = string
  default = "awsvpc"
}

module "svc" {
  source  = "cloudposse/ecs-alb-service-task/aws"
  version = "0.78.0"

  enabled                   = var.enabled
  network_mode              = var.network_mode
  container_definition_json = "[]"
  ecs_load_balancers = [{
    container_name   = "web"
    container_port   = 80
    target_group_arn = "arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/web/0123456789abcdef"
  }]
}
"#;
    let rs = roles(main);
    let svc = role(&rs, SVC);
    assert_eq!(svc["state"], "template", "{svc}");
    let why = svc["state_reason"].as_str().unwrap_or_default();
    assert!(why.contains("var.network_mode"), "{why}");
    assert!(!why.contains("var.enabled"), "{why}");
}

/// A role that one switch keeps off whatever the root's variables (no load balancer at all) is
/// not created, though another of its switches (network_mode) is off by a root default.
#[test]
fn a_role_off_whatever_the_variables_is_not_created() {
    let main = r#"variable "network_mode" {
  type    = string
  default = "awsvpc"
}

module "svc" {
  source  = "cloudposse/ecs-alb-service-task/aws"
  version = "0.78.0"

  network_mode              = var.network_mode
  container_definition_json = "[]"
  ecs_load_balancers        = []
}
"#;
    let rs = roles(main);
    let svc = role(&rs, SVC);
    assert_eq!(svc["state"], "not_created", "{svc}");
}
