//! A registry module that makes several roles, checked without `terraform init`: the ECS service
//! module of terraform-aws-modules (task execution, tasks, service and infrastructure roles),
//! each role with its own switches, name, trust and policies, from the module's documented
//! behaviour. Also `path.cwd`, which Terraform gives as the root module's absolute directory.

mod module_support;
use module_support::*;

const SERVICE: &str = r#"module "svc" {
  source  = "terraform-aws-modules/ecs/aws//modules/service"
  version = "VERSION"

  name        = "web"
  cluster_arn = "arn:aws:ecs:eu-west-1:111122223333:cluster/main"
EXTRA}
"#;

fn service(version: &str, extra: &str) -> String {
    SERVICE.replace("VERSION", version).replace("EXTRA", extra)
}

/// With its defaults the module makes the task execution and tasks roles, both trusting the
/// ECS tasks service, the tasks role with the confused-deputy conditions of this account; the
/// service role (awsvpc networking needs none) and the infrastructure role are not created.
#[test]
fn ecs_service_defaults_make_the_task_roles_only() {
    let rs = roles(&service("6.7.0", ""));
    let exec = role(&rs, "module.svc.aws_iam_role.task_exec");
    assert_eq!(exec["state"], "checked", "{exec}");
    assert_eq!(exec["trust_resolved"], true, "{exec}");
    assert_eq!(exec["name"], "web", "{exec}");
    let p = &exec["trust"]["statements"][0]["principals"][0];
    assert_eq!(p["value"], "ecs-tasks.amazonaws.com", "{exec}");
    // The module's own execution policy: logs and ECR pulls, and no secrets when none are
    // named; the tasks role has none of it.
    let main = service("6.7.0", "");
    for action in ["logs:PutLogEvents", "ecr:BatchGetImage"] {
        assert_eq!(
            can(&main, action),
            ["module.svc.aws_iam_role.task_exec"],
            "{action}"
        );
    }
    assert!(can(&main, "secretsmanager:GetSecretValue").is_empty());

    let tasks = role(&rs, "module.svc.aws_iam_role.tasks");
    assert_eq!(tasks["state"], "checked", "{tasks}");
    assert_eq!(tasks["trust_resolved"], true, "{tasks}");
    let conds = tasks["trust"]["statements"][0]["conditions"].to_string();
    assert!(
        conds.contains("aws:SourceArn")
            && conds.contains("arn:aws:ecs:(this-region):(this-account):*")
            && conds.contains("aws:SourceAccount"),
        "{conds}"
    );
    assert!(
        tasks["inline_policies"]
            .as_array()
            .is_some_and(|p| p.is_empty())
    );

    for off in ["service", "infrastructure_iam_role"] {
        let r = role(&rs, &format!("module.svc.aws_iam_role.{off}"));
        assert_eq!(r["state"], "not_created", "{r}");
    }
}

/// A load balancer outside awsvpc networking makes the service role, with the module's own
/// load-balancer registration policy; a volume makes the infrastructure role with its AWS
/// managed policy.
#[test]
fn ecs_service_switches_make_the_service_and_infrastructure_roles() {
    let extra = r#"  network_mode = "bridge"
  load_balancer = {
    web = { target_group_arn = "arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/web/0123456789abcdef", container_name = "web", container_port = 80 }
  }
  volume_configuration = { name = "data", managed_ebs_volume = { role_arn = null } }
"#;
    let main = service("6.7.0", extra);
    let rs = roles(&main);
    let svc = role(&rs, "module.svc.aws_iam_role.service");
    assert_eq!(svc["state"], "checked", "{svc}");
    assert_eq!(
        svc["trust"]["statements"][0]["principals"][0]["value"],
        "ecs.amazonaws.com"
    );
    assert_eq!(
        can(&main, "elasticloadbalancing:RegisterTargets"),
        ["module.svc.aws_iam_role.service"]
    );
    let infra = role(&rs, "module.svc.aws_iam_role.infrastructure_iam_role");
    assert_eq!(infra["state"], "checked", "{infra}");
    assert!(
        infra["managed_policies"]
            .to_string()
            .contains("service-role/AmazonECSInfrastructureRolePolicyForVolumes"),
        "{infra}"
    );
    // awsvpc (the default) with a load balancer: still no service role.
    let extra = "  load_balancer = { web = { container_name = \"web\", container_port = 80 } }\n";
    let rs = roles(&service("6.7.0", extra));
    let svc = role(&rs, "module.svc.aws_iam_role.service");
    assert_eq!(svc["state"], "not_created", "{svc}");
}

/// Each role's own inputs reach it: an administrator policy on the tasks role is reported on
/// the tasks role at the input's line, secrets named for the execution role become its
/// `secretsmanager:GetSecretValue` grant, and switching the execution role off lists it as
/// not created.
#[test]
fn ecs_service_inputs_reach_their_own_role() {
    let extra = r#"  tasks_iam_role_policies = {
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
  }
  task_exec_secret_arns = ["arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-AbCdEf"]
"#;
    let main = service("6.7.0", extra);
    let (code, fs) = findings(&main);
    assert_eq!(code, Some(1), "{fs:#?}");
    let admin = line_of(&main, "AdministratorAccess");
    assert!(
        fs.iter().any(|(rule, res, line)| rule == "IAM101"
            && res.starts_with("module.svc.aws_iam_role.tasks")
            && *line == admin),
        "IAM101 on the tasks role at line {admin}: {fs:#?}"
    );
    assert!(
        !fs.iter().any(|(_, res, _)| res.contains("task_exec")),
        "the execution role is not the one with admin: {fs:#?}"
    );
    // (the tasks role may too, through AdministratorAccess)
    assert!(
        can(&main, "secretsmanager:GetSecretValue")
            .contains(&"module.svc.aws_iam_role.task_exec".to_string())
    );

    let rs = roles(&service("6.7.0", "  create_task_exec_iam_role = false\n"));
    let exec = role(&rs, "module.svc.aws_iam_role.task_exec");
    assert_eq!(exec["state"], "not_created", "{exec}");
    let tasks = role(&rs, "module.svc.aws_iam_role.tasks");
    assert_eq!(tasks["state"], "checked", "{tasks}");
}

/// v7 names the task roles `NAME-task-exec` and `NAME-tasks` unless the caller opts out; a
/// version no description covers falls back to the inputs.
#[test]
fn ecs_service_versions() {
    let rs = roles(&service("~> 7.0", ""));
    assert_eq!(
        role(&rs, "module.svc.aws_iam_role.task_exec")["name"],
        "web-task-exec"
    );
    assert_eq!(
        role(&rs, "module.svc.aws_iam_role.tasks")["name"],
        "web-tasks"
    );
    let rs = roles(&service(
        "~> 7.0",
        "  disable_v7_default_name_description = true\n",
    ));
    assert_eq!(
        role(&rs, "module.svc.aws_iam_role.task_exec")["name"],
        "web"
    );
    let rs = roles(&service("5.12.0", ""));
    assert!(
        !rs.iter()
            .any(|r| r["address"] == "module.svc.aws_iam_role.task_exec"),
        "v5 is not described: {rs:#?}"
    );
}

/// `path.cwd` is the absolute directory Terraform runs in, so `basename(path.cwd)` is the root
/// module's directory name (public examples name their roles with it).
#[test]
fn path_cwd_is_the_root_directory() {
    let d = tempfile::tempdir().expect("tempdir");
    write(
        d.path(),
        "stacks/web-prod/main.tf",
        r#"resource "aws_iam_role" "r" {
  name               = "ex-${basename(path.cwd)}"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }] })
}
"#,
    );
    let (_, v) = iamlint(d.path(), &["roles", "--format", "json", "."]);
    assert_eq!(v["roles"][0]["name"], "ex-web-prod", "{v}");
}

/// A modelled module's outputs that name its role (`iam_role_name`, `iam_role_arn`) are the
/// role's own attributes: a policy attached through the name is the modelled role's (not a
/// role "outside this configuration"), and a trust that names the ARN trusts a role of this
/// account.
#[test]
fn a_policy_attached_through_a_modelled_role_output_is_the_roles() {
    let main = r#"module "app" {
  source  = "terraform-aws-modules/eks-pod-identity/aws"
  version = "~> 2.0"
  name    = "app"
}
resource "aws_iam_policy" "admin" {
  name   = "admin"
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }] })
}
resource "aws_iam_role_policy_attachment" "app_admin" {
  role       = module.app.iam_role_name
  policy_arn = aws_iam_policy.admin.arn
}
resource "aws_iam_role" "reader" {
  name = "reader"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = module.app.iam_role_arn } }]
  })
}
"#;
    let rs = roles(main);
    assert!(
        !rs.iter().any(|r| r["address"]
            .as_str()
            .is_some_and(|a| a.contains("outside this configuration"))),
        "{rs:#?}"
    );
    assert_eq!(
        can(main, "s3:DeleteBucket"),
        ["module.app.aws_iam_role.this"]
    );
    let reader = role(&rs, "aws_iam_role.reader");
    assert_eq!(reader["trust_resolved"], true, "{reader}");
    let p = &reader["trust"]["statements"][0]["principals"][0];
    assert_eq!(p["relation"], "self", "{p}");
}

/// When only a root variable's default switches the modelled role off, the role is checked as
/// a template, and a policy attached through its name output is that template's (it is not
/// lost with the output's null).
#[test]
fn a_policy_attached_to_a_role_off_by_default_reaches_the_template() {
    let main = r#"variable "enabled" {
  type    = bool
  default = false
}
module "app" {
  source  = "terraform-aws-modules/eks-pod-identity/aws"
  version = "~> 2.0"
  name    = "app"
  create  = var.enabled
}
resource "aws_iam_role_policy_attachment" "app_admin" {
  count      = var.enabled ? 1 : 0
  role       = module.app.iam_role_name
  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}
"#;
    let rs = roles(main);
    let app = role(&rs, "module.app.aws_iam_role.this");
    assert_eq!(app["state"], "template", "{app}");
    assert!(
        app["managed_policies"]
            .to_string()
            .contains("AdministratorAccess"),
        "{app}"
    );
    assert!(
        !rs.iter().any(|r| r["address"]
            .as_str()
            .is_some_and(|a| a.contains("outside this configuration"))),
        "{rs:#?}"
    );
}
