//! Integration tests of the Terraform loader over testdata/terraform trees: addresses,
//! resolved principals with their lines, unknowns with reasons, links, notices and errors.
mod terraform_common;
use iamlint::iam::model::PrincipalType::*;
use iamlint::source::ResolveOptions;
use terraform_common::*;

#[test]
fn basic_roles_resolve_with_lines() {
    let r = run("basic");
    assert_eq!(
        r.addresses(),
        [
            "aws_iam_role.ci",
            "aws_iam_role.ec2",
            "aws_iam_role.heredoc",
            "aws_iam_role.lambda"
        ]
    );
    assert_eq!(
        r.principals("aws_iam_role.ci"),
        [(Aws, "arn:aws:iam::111122223333:root".to_string(), 11)]
    );
    assert_eq!(
        r.principals("aws_iam_role.lambda"),
        [(Service, "lambda.amazonaws.com".to_string(), 26)]
    );
    assert_eq!(
        r.principals("aws_iam_role.heredoc"),
        [(Aws, "arn:aws:iam::(this-account):root".to_string(), 39)]
    );
    assert_eq!(
        r.principals("aws_iam_role.ec2"),
        [(Service, "ec2.amazonaws.com".to_string(), 52)]
    );
    let ci = r.role("aws_iam_role.ci");
    assert_eq!(r.line(ci.span), 4);
    assert_eq!(ci.trust_span.map(|s| r.line(s)), Some(6));
    let origins: Vec<&str> = ci
        .inline_policies
        .iter()
        .map(|p| p.origin.as_str())
        .collect();
    assert_eq!(origins, ["inline", "aws_iam_policy.deploy"]);
    let pass = &ci.inline_policies[1].document.as_ref().unwrap().statements[0];
    assert_eq!(
        pass.action.as_ref().unwrap().items[0].get(),
        Some("iam:PassRole")
    );
    assert_eq!(
        ci.managed_policies[0].arn.get(),
        Some("arn:aws:iam::aws:policy/AdministratorAccess")
    );
    let ec2 = r.role("aws_iam_role.ec2");
    let arns: Vec<String> = ec2
        .managed_policies
        .iter()
        .map(|m| m.arn.render())
        .collect();
    assert_eq!(
        arns,
        [
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
            "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
        ]
    );
    assert!(
        ec2.notes
            .iter()
            .any(|n| n.contains("aws_iam_instance_profile.ec2"))
    );
    let lambda = r.role("aws_iam_role.lambda");
    assert_eq!(
        lambda.inline_policies[0].origin,
        "aws_iam_role_policy.lambda_logs"
    );
    assert!(r.ex.errors.is_empty(), "{:?}", r.ex.errors);
}

#[test]
fn assumable_role_module_with_tfvars_and_switches() {
    let r = run("assumable");
    assert_eq!(
        r.addresses(),
        [
            "module.admin.aws_iam_role.this",
            "module.batch.aws_iam_role.this",
            "module.custom.aws_iam_role.this"
        ]
    );
    // the account id comes from terraform.tfvars through the caller's interpolation (main.tf line 8)
    assert_eq!(
        r.principals("module.admin.aws_iam_role.this"),
        [(Aws, "arn:aws:iam::999988887777:root".to_string(), 8)]
    );
    let admin = r.role("module.admin.aws_iam_role.this");
    assert!(
        r.file(admin.span)
            .ends_with("modules/assumable-role/main.tf")
    );
    let c = &admin.trust.as_ref().unwrap().statements[0].conditions[0];
    assert_eq!(
        (c.operator.render(), c.key.render()),
        ("Bool".into(), "aws:MultiFactorAuthPresent".into())
    );
    assert_eq!(
        admin.managed_policies[0].origin,
        "aws_iam_role_policy_attachment.admin"
    );
    assert_eq!(
        r.principals("module.batch.aws_iam_role.this"),
        [(Service, "batch.amazonaws.com".to_string(), 14)]
    );
    let custom = r.principals("module.custom.aws_iam_role.this");
    assert_eq!(
        custom,
        [(
            Aws,
            "arn:aws:iam::444455556666:role/deployer".to_string(),
            7
        )]
    );
    let custom_role = r.role("module.custom.aws_iam_role.this");
    let p = &custom_role.trust.as_ref().unwrap().statements[0]
        .principal
        .as_ref()
        .unwrap()
        .entries[0];
    assert!(r.file(p.value.span).ends_with("custom-trust.json"));
}

#[test]
fn var_option_overrides_tfvars() {
    let opts = ResolveOptions {
        tf_var_args: vec![iamlint::source::TfVarArg::Value(
            "admin_account".into(),
            "121212121212".into(),
        )],
        ..Default::default()
    };
    let r = run_with("assumable", opts, &[]);
    assert_eq!(
        r.values("module.admin.aws_iam_role.this"),
        ["arn:aws:iam::121212121212:root"]
    );
    let mut env = std::collections::BTreeMap::new();
    env.insert("admin_account".to_string(), "343434343434".to_string());
    let opts = ResolveOptions {
        tf_env_vars: env,
        ..Default::default()
    };
    // terraform.tfvars wins over the environment
    let r = run_with("assumable", opts, &[]);
    assert_eq!(
        r.values("module.admin.aws_iam_role.this"),
        ["arn:aws:iam::999988887777:root"]
    );
}

#[test]
fn eks_irsa_from_oidc_provider_url() {
    let r = run("irsa");
    let host = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";
    assert_eq!(
        r.principals("aws_iam_role.irsa"),
        [(
            Federated,
            format!("arn:aws:iam::(this-account):oidc-provider/{host}"),
            27
        )]
    );
    let st = &r
        .role("aws_iam_role.irsa")
        .trust
        .as_ref()
        .unwrap()
        .statements[0];
    assert_eq!(st.conditions[0].key.render(), format!("{host}:sub"));
    let vals: Vec<String> = st.conditions[0].values.iter().map(|v| v.render()).collect();
    assert_eq!(
        vals,
        [
            "system:serviceaccount:kube-system:cluster-autoscaler",
            "system:serviceaccount:monitoring:prometheus"
        ]
    );
    assert_eq!(r.line(st.conditions[0].span), 30);
}

#[test]
fn github_actions_module_with_for_each() {
    let r = run("github_oidc");
    assert_eq!(
        r.addresses(),
        [
            "module.deploy.aws_iam_role.this",
            "module.team[\"a\"].aws_iam_role.this",
            "module.team[\"b\"].aws_iam_role.this"
        ]
    );
    assert_eq!(
        r.values("module.team[\"a\"].aws_iam_role.this"),
        ["arn:aws:iam::(this-account):oidc-provider/token.actions.githubusercontent.com"]
    );
    let st = &r
        .role("module.team[\"b\"].aws_iam_role.this")
        .trust
        .as_ref()
        .unwrap()
        .statements[0];
    let sub = st
        .conditions
        .iter()
        .find(|c| c.key.render().ends_with(":sub"))
        .unwrap();
    assert_eq!(
        sub.values.iter().map(|v| v.render()).collect::<Vec<_>>(),
        ["repo:acme/team-b:*"]
    );
}

#[test]
fn cross_account_ids_from_tfvars() {
    let r = run("cross_account");
    assert_eq!(
        r.addresses(),
        [
            "aws_iam_role.audit[\"logging\"]",
            "aws_iam_role.audit[\"security\"]",
            "aws_iam_role.readers[0]",
            "aws_iam_role.readers[1]"
        ]
    );
    assert_eq!(
        r.values("aws_iam_role.audit[\"security\"]"),
        ["arn:aws:iam::123456789012:root"]
    );
    assert_eq!(
        r.values("aws_iam_role.readers[1]"),
        ["arn:aws:iam::123456789012:root"]
    );
    let c = &r
        .role("aws_iam_role.audit[\"logging\"]")
        .trust
        .as_ref()
        .unwrap()
        .statements[0]
        .conditions[0];
    assert_eq!(c.values[0].get(), Some("s3cr3t-ext"));
    // the external id literal is in terraform.tfvars line 5
    assert!(r.file(c.values[0].span).ends_with("terraform.tfvars"));
    assert_eq!(r.line(c.values[0].span), 5);
}

#[test]
fn for_each_map_and_unknown_template() {
    let r = run("for_each_teams");
    assert_eq!(
        r.principals("aws_iam_role.team[\"web\"]")[1],
        (Service, "ecs-tasks.amazonaws.com".to_string(), 5)
    );
    assert_eq!(
        r.values("aws_iam_role.team[\"data\"]"),
        ["arn:aws:iam::111111111111:root", "glue.amazonaws.com"]
    );
    let extra = r.role("aws_iam_role.extra");
    assert_eq!(
        extra.notes,
        [
            "checked once as a template: for_each is unknown (var.extra_teams has no default and no value in any tfvars file)"
        ]
    );
    assert_eq!(
        extra.name.as_ref().unwrap().unknown().unwrap().expr,
        "\"extra-${each.key}\""
    );
}

#[test]
fn policy_documents_merge_source_override_and_dynamic() {
    let r = run("policy_merge");
    let sids: Vec<String> = r
        .role("aws_iam_role.merged")
        .trust
        .as_ref()
        .unwrap()
        .statements
        .iter()
        .map(|s| s.sid.as_ref().unwrap().render())
        .collect();
    assert_eq!(sids, ["Services", "Old", "TrustCi", "TrustProd"]);
    assert_eq!(
        r.principals("aws_iam_role.merged"),
        [
            (Service, "ec2.amazonaws.com".to_string(), 14),
            (Aws, "arn:aws:iam::666666666666:root".to_string(), 33),
            (Aws, "arn:aws:iam::333333333333:role/ci".to_string(), 3),
            (
                Aws,
                "arn:aws:iam::444444444444:role/deployer".to_string(),
                4
            ),
        ]
    );
    let sts = &r
        .role("aws_iam_role.merged")
        .trust
        .as_ref()
        .unwrap()
        .statements;
    assert!(sts[2].conditions.is_empty());
    assert_eq!(
        sts[3].conditions[0].key.render(),
        "aws:MultiFactorAuthPresent"
    );
}

#[test]
fn module_not_on_disk_and_downloaded_module() {
    let r = run("modules_remote");
    assert_eq!(
        r.values("module.downloaded.aws_iam_role.this"),
        ["arn:aws:iam::777777777777:root"]
    );
    // The registry module that is not on disk is modelled from its described interface (v5):
    // its role is checked, with the principal at the caller's input line, and no IAM009 note.
    assert_eq!(
        r.principals("module.iam_assumable_role.aws_iam_role.this"),
        [(Aws, "arn:aws:iam::111122223333:root".to_string(), 5)]
    );
    let role = r.role("module.iam_assumable_role.aws_iam_role.this");
    assert!(role.notes[0].starts_with("modelled from the module's interface, v5"));
    assert!(r.ex.notices.is_empty(), "{:?}", r.ex.notices);
}

#[test]
fn locals_cycle_is_an_error_naming_both() {
    let r = run("locals_cycle");
    assert_eq!(r.ex.errors.len(), 1);
    assert_eq!(
        r.ex.errors[0].message,
        "locals form a cycle: local.a (line 2) and local.b (line 3) depend on each other"
    );
    let u = r.role("aws_iam_role.cyclic").trust_unknowns();
    assert_eq!(u.len(), 1);
    assert!(u[0].1.reason.contains("cycle"));
}

#[test]
fn file_and_templatefile_inside_root_only() {
    let r = run("files");
    assert_eq!(
        r.principals("aws_iam_role.from_file"),
        [(Service, "ecs-tasks.amazonaws.com".to_string(), 7)]
    );
    assert_eq!(
        r.values("aws_iam_role.from_template"),
        [
            "arn:aws:iam::123123123123:root",
            "arn:aws:iam::456456456456:root"
        ]
    );
    assert_eq!(r.principals("aws_iam_role.from_template")[0].2, 10);
    let outside = r.role("aws_iam_role.outside");
    assert!(outside.trust.is_none());
    assert!(
        outside
            .trust_unknown
            .as_ref()
            .unwrap()
            .1
            .reason
            .contains("outside the scanned root")
    );
    assert_eq!(r.ex.errors.len(), 1);
    assert_eq!(r.line(r.ex.errors[0].span.unwrap()), 15);
    assert!(
        !r.sources
            .all()
            .iter()
            .any(|(_, f)| f.path.ends_with("Cargo.toml")),
        "must not read outside the root"
    );
}

#[test]
fn terraform_json_syntax_and_plan() {
    let r = run("json_syntax");
    assert_eq!(
        r.principals("aws_iam_role.cdk_role"),
        [(Aws, "arn:aws:iam::121212121212:root".to_string(), 9)]
    );
    let plan = testdata("plan").join("plan.json");
    let r = run_with("plan", ResolveOptions::default(), &[plan]);
    assert_eq!(
        r.principals("aws_iam_role.planned"),
        [(Aws, "arn:aws:iam::898989898989:root".to_string(), 14)]
    );
    let role = r.role("aws_iam_role.planned");
    let p = &role.trust.as_ref().unwrap().statements[0]
        .principal
        .as_ref()
        .unwrap()
        .entries[0];
    let text = r
        .sources
        .get(p.value.span.file)
        .unwrap()
        .slice(p.value.span)
        .to_string();
    assert_eq!(text, "\\\"arn:aws:iam::898989898989:root\\\"");
    assert_eq!(
        role.managed_policies[0].arn.get(),
        Some("arn:aws:iam::aws:policy/PowerUserAccess")
    );
}

#[test]
fn hostile_input_is_bounded_and_other_files_still_read() {
    let t = std::time::Instant::now();
    let r = run("hostile");
    assert!(t.elapsed().as_secs() < 20, "took {:?}", t.elapsed());
    assert_eq!(r.values("aws_iam_role.survivor"), ["ec2.amazonaws.com"]);
    let lc: Vec<(usize, usize)> = r.ex.errors.iter().filter_map(|e| e.line_col).collect();
    assert!(lc.contains(&(5, 3)), "{:?}", r.ex.errors);
    assert!(
        r.ex.errors
            .iter()
            .any(|e| r.sources.display(e.file).ends_with("deep.tf"))
    );
    let u = r.role("aws_iam_role.survivor").trust_unknowns();
    assert!(
        !u.is_empty(),
        "the oversized values are unknown, not computed"
    );
}

#[test]
fn partners_for_each_from_tfvars() {
    let r = run("partners");
    assert_eq!(r.ex.roles.len(), 70);
    assert_eq!(
        r.values("aws_iam_role.partner[\"partner01\"]"),
        ["arn:aws:iam::100000001111:root"]
    );
    let c = &r
        .role("aws_iam_role.partner[\"partner01\"]")
        .trust
        .as_ref()
        .unwrap()
        .statements[0]
        .conditions[0];
    assert_eq!(c.values[0].get(), Some("ext-partner01"));
}
