//! CloudFormation extraction over whole testdata trees: roles, resolved principals (type and
//! value), lines, notes, metadata, linked policies, SAM and CDK.

mod cloudformation_support;

use cloudformation_support::*;
use iamlint::value::SELF_ACCOUNT;

fn principal_entries(role: &iamlint::iam::model::Role) -> Vec<&iamlint::iam::model::Principal> {
    role.trust
        .iter()
        .flat_map(|d| d.statements.iter())
        .flat_map(|s| s.principal.iter())
        .flat_map(|p| p.entries.iter())
        .collect()
}

#[test]
fn landing_zone_yaml_resolves_sub_and_default_and_keeps_lines() {
    let r = run(&["landing_zone"]);
    let audit = r.role("AuditRole");
    assert_eq!(audit.resource_type, "AWS::IAM::Role");
    assert_eq!(
        audit.name.as_ref().and_then(|n| n.get()),
        Some("landing-zone-audit")
    );
    let ps = principal_entries(audit);
    assert_eq!(ps.len(), 1);
    assert_eq!(ps[0].type_name, "AWS");
    assert_eq!(ps[0].value.get(), Some("arn:aws:iam::111122223333:root"));
    // The span is the !Sub scalar the user wrote, on line 29.
    assert_eq!(r.line(ps[0].value.span), 29);
    assert_eq!(
        r.text(ps[0].value.span),
        "!Sub \"arn:${AWS::Partition}:iam::${AuditAccountId}:root\""
    );
    // The role span starts at the logical id.
    assert_eq!(r.line(audit.span), 20);
    assert!(r.text(audit.span).starts_with("AuditRole:"));
    assert_eq!(audit.trust_span.map(|s| r.line(s)), Some(24));
    assert_eq!(
        managed_arns(audit),
        vec!["arn:aws:iam::aws:policy/SecurityAudit"]
    );
    // ManagedPolicy linked by role name through Roles.
    let linked: Vec<&str> = audit
        .inline_policies
        .iter()
        .map(|p| p.origin.as_str())
        .collect();
    assert_eq!(linked, vec!["ReadOnlyManaged"]);
    let res = &audit.inline_policies[0]
        .document
        .as_ref()
        .unwrap()
        .statements[0]
        .resource;
    assert_eq!(
        res.as_ref().unwrap().items[0].get(),
        Some(format!("arn:aws:s3:::audit-{SELF_ACCOUNT}/*").as_str())
    );
    // Condition entries keep the key spans.
    let st = &audit.trust.as_ref().unwrap().statements[0];
    assert_eq!(st.conditions.len(), 1);
    assert_eq!(st.conditions[0].key.get(), Some("sts:ExternalId"));
    assert_eq!(r.line(st.conditions[0].key.span), 33);
    assert_eq!(r.line(st.principal.as_ref().unwrap().key_span), 28);
}

#[test]
fn parameter_without_default_is_an_unknown_with_reason_at_the_ref() {
    let r = run(&["landing_zone"]);
    let bg = r.role("BreakGlassRole");
    let unknowns = bg.trust_unknowns();
    assert_eq!(unknowns.len(), 1);
    let (span, u) = unknowns[0];
    assert_eq!(u.expr, "!Ref TrustedAccount");
    assert_eq!(
        u.reason,
        "parameter TrustedAccount has no Default and no value was given with --parameter"
    );
    assert_eq!(r.line(span), 45);
    assert!(!bg.trust_resolved());
}

#[test]
fn allowed_values_give_one_variant_each_with_notes() {
    let r = run(&["landing_zone"]);
    let variants = r.roles("DeploymentRole");
    assert_eq!(variants.len(), 2);
    let mut seen: Vec<(String, String)> = variants
        .iter()
        .map(|v| (v.notes.join("; "), principals(v)[0].1.clone()))
        .collect();
    seen.sort();
    assert!(
        seen[0].0.contains("parameter Environment = dev"),
        "{seen:?}"
    );
    assert_eq!(seen[0].1, "arn:aws:iam::777788889999:root");
    assert!(
        seen[1].0.contains("parameter Environment = prod"),
        "{seen:?}"
    );
    assert_eq!(seen[1].1, "arn:aws:iam::444455556666:role/prod-pipeline");
    for v in &variants {
        assert_eq!(
            v.name
                .as_ref()
                .and_then(|n| n.get())
                .map(|n| n.starts_with("deploy-")),
            Some(true)
        );
        assert_eq!(
            v.max_session_duration.as_ref().and_then(|m| m.get()),
            Some("3600")
        );
        let origins: Vec<&str> = v
            .inline_policies
            .iter()
            .map(|p| p.origin.as_str())
            .collect();
        assert_eq!(origins, vec!["DeploymentPolicy"]);
        assert_eq!(r.line(principal_entries(v)[0].value.span), 60);
    }
}

#[test]
fn json_template_long_forms_and_role_policy() {
    let r = run(&["landing_zone"]);
    let role = r.role("AuditRoleJson");
    assert_eq!(
        principals(role),
        vec![
            (
                "AWS".to_string(),
                "arn:aws:iam::111122223333:root".to_string()
            ),
            ("Service".to_string(), "config.amazonaws.com".to_string()),
        ]
    );
    let p = principal_entries(role);
    assert_eq!(r.line(p[0].value.span), 17);
    assert!(r.text(p[0].value.span).starts_with("{ \"Fn::Join\""));
    let cond = &role.trust.as_ref().unwrap().statements[0].conditions[0];
    assert_eq!(cond.values[0].get(), Some("o-abc123def4"));
    let origins: Vec<&str> = role
        .inline_policies
        .iter()
        .map(|p| p.origin.as_str())
        .collect();
    assert_eq!(origins, vec!["inline", "LinkedRolePolicy"]);
    assert_eq!(
        role.inline_policies[0].name.as_ref().and_then(|n| n.get()),
        Some("inline-read")
    );
}

#[test]
fn conditions_decide_or_split_roles() {
    let r = run(&["ci_conditions"]);
    // IsProduction is false only because of the default DeployStage: the role is checked as a
    // template, with the reason.
    assert_eq!(
        r.role("ProductionOnlyRole").state,
        iamlint::iam::model::RoleState::Template(
            "not created with the default values: condition IsProduction is false because parameter DeployStage defaults to staging".into()
        )
    );
    // Decided Fn::If in a condition value.
    let gh = r.role("GitHubOidcRole");
    let st = &gh.trust.as_ref().unwrap().statements[0];
    assert_eq!(st.conditions[0].values[0].get(), Some("repo:acme/*"));
    assert_eq!(
        principals(gh),
        vec![(
            "Federated".to_string(),
            format!(
                "arn:aws:iam::{SELF_ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"
            )
        )]
    );
    // Undecided condition (parameter without value): both variants, with notes.
    let runner = r.roles("RunnerRole");
    assert_eq!(runner.len(), 2);
    let with = runner
        .iter()
        .find(|v| {
            v.notes
                .iter()
                .any(|n| n == "when condition SharedRunner is true")
        })
        .unwrap();
    let without = runner
        .iter()
        .find(|v| {
            v.notes
                .iter()
                .any(|n| n == "when condition SharedRunner is false")
        })
        .unwrap();
    assert_eq!(principals(with).len(), 2);
    assert_eq!(principals(with)[1].1, "arn:aws:iam::222233334444:root");
    assert_eq!(
        principals(without),
        vec![("Service".to_string(), "codebuild.amazonaws.com".to_string())]
    );
    // NotProduction is true: the inline policy keeps its second statement.
    assert_eq!(
        with.inline_policies[0]
            .document
            .as_ref()
            .unwrap()
            .statements
            .len(),
        2
    );
    // JSON: Fn::And over a Condition and a literal Fn::Equals.
    let p = r.role("PipelineRole");
    assert_eq!(principals(p)[0].1, "arn:aws:iam::555566667777:root");
    // The default Stage decides the Fn::If: the note says which branch was checked.
    assert_eq!(
        p.notes,
        vec![
            "Fn::If on condition IsProdAndEu takes its true branch because parameter Stage defaults to prod; the other branch is not checked"
        ]
    );
}

#[test]
fn mappings_with_known_unknown_and_default_keys() {
    let r = run(&["mappings"]);
    let role = r.role("ToolingAccessRole");
    let values: Vec<String> = principals(role).into_iter().map(|p| p.1).collect();
    assert_eq!(
        values,
        vec![
            "arn:aws:iam::210987654321:root",
            // Looked up by AWS::Region, but every region gives the same account.
            "arn:aws:iam::333344445555:root",
            // No "staging" entry: DefaultValue.
            "arn:aws:iam::121212121212:root",
        ]
    );
    assert!(role.trust_resolved());
}

#[test]
fn imports_are_unknown_with_a_notice() {
    let r = run(&["imports"]);
    let role = r.role("SharedServicesRole");
    let unknowns = role.trust_unknowns();
    assert_eq!(unknowns.len(), 1);
    assert_eq!(unknowns[0].1.expr, "!ImportValue SharedExternalId");
    assert_eq!(
        unknowns[0].1.reason,
        "cross-stack import of SharedExternalId"
    );
    assert_eq!(r.line(unknowns[0].0), 17);
    let notices: Vec<_> = r
        .out
        .notices
        .iter()
        .filter(|n| n.kind == "cross-stack-import")
        .collect();
    assert_eq!(notices.len(), 2);
    assert_eq!(notices[0].address, "SharedServicesRole");
    assert_eq!(r.line(notices[0].span), 17);
    // The principal itself is known.
    assert_eq!(principals(role)[0].1, "arn:aws:iam::135791357913:root");
}

#[test]
fn local_nested_stack_is_followed_with_its_parameters() {
    let r = run(&["nested_local"]);
    let role = r.role("PartnerStack/PartnerRole");
    assert_eq!(principals(role)[0].1, "arn:aws:iam::246824682468:root");
    assert_eq!(
        role.name.as_ref().and_then(|n| n.get()),
        Some("partner-access")
    );
    assert!(
        role.notes
            .iter()
            .any(|n| n == "used by EC2 through instance profile PartnerProfile")
    );
    // The span points into the nested template.
    let file = r.sources.display(role.span.file);
    assert!(
        file.ends_with("nested_local/stacks/partner-role.yaml"),
        "{file}"
    );
    assert_eq!(r.line(principal_entries(role)[0].value.span), 19);
    // Read once: not also as a top-level template.
    assert_eq!(
        r.out
            .roles
            .iter()
            .filter(|x| x.address.ends_with("PartnerRole"))
            .count(),
        1
    );
    assert!(
        r.out
            .notices
            .iter()
            .any(|n| n.kind == "nested-stack-remote" && n.address == "RemoteStack")
    );
}

#[test]
fn sam_implicit_roles_with_globals_and_policy_templates() {
    let r = run(&["sam_app"]);
    let f = r.role("CreateOrderFunction");
    assert_eq!(f.resource_type, "AWS::Serverless::Function");
    assert_eq!(
        principals(f),
        vec![("Service".to_string(), "lambda.amazonaws.com".to_string())]
    );
    assert_eq!(r.line(f.span), 27);
    let arns = managed_arns(f);
    assert!(
        arns.contains(
            &"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole".to_string()
        )
    );
    assert!(arns.contains(&"arn:aws:iam::aws:policy/AWSLambdaExecute".to_string()));
    // Globals: Tracing Active and the permissions boundary.
    assert!(arns.contains(&"arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess".to_string()));
    assert_eq!(
        f.permissions_boundary.as_ref().and_then(|b| b.get()),
        Some("arn:aws:iam::123456789012:policy/lambda-boundary")
    );
    // SQS event source.
    assert!(arns.contains(
        &"arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole".to_string()
    ));
    // Policy templates expanded with their parameters.
    let s3 = f
        .inline_policies
        .iter()
        .find(|p| p.origin == "inline (SAM policy template S3ReadPolicy)")
        .unwrap();
    let st = &s3.document.as_ref().unwrap().statements[0];
    let actions: Vec<&str> = st
        .action
        .as_ref()
        .unwrap()
        .items
        .iter()
        .filter_map(|a| a.get())
        .collect();
    assert!(actions.contains(&"s3:GetObject"));
    let resources: Vec<String> = st
        .resource
        .as_ref()
        .unwrap()
        .items
        .iter()
        .map(|x| x.render())
        .collect();
    assert_eq!(
        resources,
        vec![
            "arn:aws:s3:::orders-archive",
            "arn:aws:s3:::orders-archive/*"
        ]
    );
    let ddb = f
        .inline_policies
        .iter()
        .find(|p| p.origin == "inline (SAM policy template DynamoDBCrudPolicy)")
        .unwrap();
    let st = &ddb.document.as_ref().unwrap().statements[0];
    // The ARN needs the table's physical name: the resource is an unknown that says so, at the
    // template entry (the region is this region, a placeholder like the account).
    let res0 = &st.resource.as_ref().unwrap().items[0];
    assert_eq!(
        res0.unknown().unwrap().reason,
        "the physical id of OrdersTable (AWS::Serverless::SimpleTable) is assigned when the stack is deployed"
    );
    assert_eq!(
        res0.unknown().unwrap().expr,
        "DynamoDBCrudPolicy: TableName: !Ref OrdersTable"
    );
    assert_eq!(r.line(ddb.span), 34);
    let inline = f
        .inline_policies
        .iter()
        .find(|p| p.origin == "inline (Policies)")
        .unwrap();
    assert_eq!(inline.document.as_ref().unwrap().statements.len(), 1);

    // A function with Role gets no implicit role; the named role is checked itself.
    assert!(r.roles("ReportFunction").is_empty());
    assert_eq!(r.roles("ReportRole").len(), 1);
    // AssumeRolePolicyDocument replaces the default trust.
    let edge = r.role("EdgeFunction");
    assert_eq!(principals(edge).len(), 2);
    assert_eq!(principals(edge)[1].1, "edgelambda.amazonaws.com");
    assert!(
        managed_arns(edge).contains(&"arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess".to_string())
    );
    // State machines trust states.amazonaws.com and get no Lambda basic role.
    let sm = r.role("OrderWorkflow");
    assert_eq!(
        principals(sm),
        vec![("Service".to_string(), "states.amazonaws.com".to_string())]
    );
    assert_eq!(
        managed_arns(sm),
        vec!["arn:aws:iam::aws:policy/CloudWatchLogsFullAccess"]
    );
    assert_eq!(
        sm.inline_policies[0].origin,
        "inline (SAM policy template LambdaInvokePolicy)"
    );
}

#[test]
fn cdk_app_from_manifest_with_nested_stack_and_cdk_path() {
    // Only the manifest is given: the templates it lists are read, and the nested template is
    // read through its parent.
    let sources = iamlint::span::SourceMap::default();
    let options = iamlint::source::ResolveOptions::default();
    let root = testdata();
    let ctx = iamlint::source::Context {
        sources: &sources,
        root: root.clone(),
        options: &options,
    };
    let manifest = root.join("cdk_app/cdk.out/manifest.json");
    let out = iamlint::source::cloudformation::extract(&ctx, &[manifest]);
    let addresses: Vec<&str> = out.roles.iter().map(|r| r.address.as_str()).collect();
    assert_eq!(
        addresses,
        vec![
            "PipelineRoleB27FAA37",
            "WorkersNestedStackWorkersNestedStackResource3A2B1C0D/WorkerRole9F8E7D6C"
        ]
    );
    let pipeline = &out.roles[0];
    assert_eq!(
        principals(pipeline),
        vec![(
            "AWS".to_string(),
            "arn:aws:iam::123456789012:root".to_string()
        )]
    );
    assert_eq!(
        pipeline.metadata,
        vec![(
            "aws:cdk:path".to_string(),
            "OrdersStack/PipelineRole/Resource".to_string()
        )]
    );
    assert_eq!(
        pipeline.inline_policies[0].origin,
        "PipelineRoleDefaultPolicy7BDC1ABB"
    );
    let worker = &out.roles[1];
    // The parent passes the pipeline role's ARN: same account, generated name.
    assert_eq!(
        principals(worker)[0].1,
        format!("arn:aws:iam::{SELF_ACCOUNT}:role/(generated-name-of-PipelineRoleB27FAA37)")
    );
    assert_eq!(
        managed_arns(worker),
        vec!["arn:aws:iam::aws:policy/AmazonSQSFullAccess"]
    );

    // Given the templates directly as well, nothing is read twice.
    let r = run(&["cdk_app"]);
    assert_eq!(r.out.roles.len(), 2);
    assert!(r.out.errors.is_empty(), "{:?}", r.out.errors);
}
