//! IAM's evaluation rules as iamlint implements them: for every semantic point, a risky policy
//! and a safe one, built straight from JSON (no loader involved) and asked through the `iam`
//! module.

use iamlint::iam::conditions::{constraint, limits_permission, requires_mfa};
use iamlint::iam::federation::{Weakness, gaps};
use iamlint::iam::model::{
    AttachedPolicy, DocumentKind, ManagedPolicyRef, PolicyDocument, ProblemCode, Role, SourceKind,
    Str,
};
use iamlint::iam::permissions::{Kind, Permissions};
use iamlint::iam::policy::parse_document;
use iamlint::iam::principals::{Class, Provider};
use iamlint::iam::trust::{covers_action, grants};
use iamlint::iam::{managed, services};
use iamlint::source::json;
use iamlint::span::{FileId, Span};

fn doc(text: &str, kind: DocumentKind) -> PolicyDocument {
    let v = json::parse(text, FileId(0), 0).expect("valid JSON");
    parse_document(&v, kind)
}

fn trust(statements: &str) -> PolicyDocument {
    doc(
        &format!(r#"{{"Version": "2012-10-17", "Statement": [{statements}]}}"#),
        DocumentKind::Trust,
    )
}

fn identity(statements: &str) -> PolicyDocument {
    doc(
        &format!(r#"{{"Version": "2012-10-17", "Statement": [{statements}]}}"#),
        DocumentKind::Identity,
    )
}

fn role(
    trust_doc: Option<PolicyDocument>,
    policies: Vec<PolicyDocument>,
    managed: &[&str],
) -> Role {
    Role {
        address: "aws_iam_role.test".into(),
        source: SourceKind::Terraform,
        span: Span::default(),
        resource_type: "aws_iam_role".into(),
        name: None,
        path: None,
        trust: trust_doc,
        trust_span: None,
        trust_unknown: None,
        inline_policies: policies
            .into_iter()
            .map(|d| AttachedPolicy {
                origin: "inline".into(),
                name: None,
                span: Span::default(),
                document: Some(d),
                unknown: None,
            })
            .collect(),
        managed_policies: managed
            .iter()
            .map(|arn| ManagedPolicyRef {
                origin: "managed_policy_arns".into(),
                arn: Str::known(*arn, Span::default()),
            })
            .collect(),
        permissions_boundary: None,
        boundary_policy: None,
        max_session_duration: None,
        name_is_prefix: false,
        tags: Default::default(),
        notes: Vec::new(),
        metadata: Vec::new(),
        root: String::new(),
        state: Default::default(),
        files: Vec::new(),
    }
}

fn perms(statements: &str) -> Vec<Kind> {
    let r = role(None, vec![identity(statements)], &[]);
    Permissions::of(&r)
        .summary()
        .iter()
        .map(|h| h.kind)
        .collect()
}

const ANY: &str = r#""Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole""#;

fn any_with(condition: &str) -> bool {
    let d = trust(&format!("{{{ANY}, \"Condition\": {condition}}}"));
    let g = grants(&d);
    assert_eq!(g.len(), 1);
    g[0].restricted_by.is_some()
}

#[test]
fn string_equals_star_is_a_literal_and_string_like_star_is_open() {
    assert!(any_with(r#"{"StringEquals": {"aws:PrincipalOrgID": "*"}}"#));
    assert!(!any_with(r#"{"StringLike": {"aws:PrincipalOrgID": "*"}}"#));
}

#[test]
fn if_exists_and_for_all_values_on_a_missing_key_do_not_restrict() {
    assert!(!any_with(
        r#"{"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}"#
    ));
    assert!(!any_with(
        r#"{"ForAllValues:StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}"#
    ));
    assert!(any_with(
        r#"{"ForAnyValue:StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}"#
    ));
}

#[test]
fn source_ip_alone_does_not_restrict_but_principal_org_id_does() {
    assert!(!any_with(
        r#"{"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}"#
    ));
    assert!(any_with(
        r#"{"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}"#
    ));
}

#[test]
fn a_deny_that_names_the_org_restricts_the_allow() {
    let d = trust(&format!(
        r#"{{{ANY}}}, {{"Effect": "Deny", "Principal": {{"AWS": "*"}}, "Action": "sts:AssumeRole",
           "Condition": {{"StringNotEquals": {{"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}}}}"#
    ));
    assert!(grants(&d)[0].restricted_by.is_some());
    let d = trust(&format!("{{{ANY}}}"));
    assert!(grants(&d)[0].restricted_by.is_none());
}

#[test]
fn a_deny_grants_nothing_and_an_explicit_deny_removes_the_grant() {
    let deny_only =
        trust(r#"{"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}"#);
    assert!(grants(&deny_only).is_empty());
    let both = trust(&format!(
        r#"{{{ANY}}}, {{"Effect": "Deny", "Principal": {{"AWS": "*"}}, "Action": "sts:*"}}"#
    ));
    assert!(grants(&both).is_empty());
    let allow = trust(&format!("{{{ANY}}}"));
    assert_eq!(grants(&allow).len(), 1);
    assert_eq!(grants(&allow)[0].class, Class::Any);

    // Permissions: an unconditional Deny on `*` removes the action from an Allow `*`.
    let with_deny = perms(
        r#"{"Effect": "Allow", "Action": "*", "Resource": "*"},
           {"Effect": "Deny", "Action": ["iam:*", "sts:*"], "Resource": "*"}"#,
    );
    assert!(!with_deny.contains(&Kind::Admin), "{with_deny:?}");
    assert!(!with_deny.contains(&Kind::FullIam), "{with_deny:?}");
    assert!(!with_deny.contains(&Kind::PassRoleAny), "{with_deny:?}");
    // The rest of `*` still escalates (lambda:UpdateFunctionCode, ssm:SendCommand, ...).
    assert!(
        with_deny.contains(&Kind::PrivilegeEscalation),
        "{with_deny:?}"
    );
    assert_eq!(
        perms(r#"{"Effect": "Allow", "Action": "*", "Resource": "*"}"#),
        vec![Kind::Admin]
    );
    // A Deny statement alone grants nothing.
    assert!(perms(r#"{"Effect": "Deny", "Action": "*", "Resource": "*"}"#).is_empty());
}

#[test]
fn a_conditional_deny_does_not_remove_the_grant() {
    let k = perms(
        r#"{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"},
           {"Effect": "Deny", "Action": "iam:PassRole", "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}}"#,
    );
    assert!(k.contains(&Kind::PassRoleAny));
}

#[test]
fn not_action_is_a_complement() {
    let d =
        identity(r#"{"Effect": "Allow", "NotAction": ["s3:*", "iam:Create*"], "Resource": "*"}"#);
    let st = &d.statements[0];
    assert!(covers_action(st, "iam:PassRole"));
    assert!(covers_action(st, "ec2:RunInstances"));
    assert!(!covers_action(st, "s3:GetObject"));
    assert!(!covers_action(st, "iam:CreateUser"));
    let k = perms(r#"{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}"#);
    assert!(k.contains(&Kind::PrivilegeEscalation), "{k:?}");
    assert!(!k.contains(&Kind::FullIam), "{k:?}");
}

#[test]
fn actions_match_case_insensitively_and_with_wildcards() {
    let d = identity(r#"{"Effect": "Allow", "Action": ["IAM:passrole"], "Resource": "*"}"#);
    assert!(covers_action(&d.statements[0], "iam:PassRole"));
    let d = identity(r#"{"Effect": "Allow", "Action": ["iam:Pass*"], "Resource": "*"}"#);
    assert!(covers_action(&d.statements[0], "iam:PassRole"));
    let d = identity(r#"{"Effect": "Allow", "Action": ["iam:Pas?Role"], "Resource": "*"}"#);
    assert!(covers_action(&d.statements[0], "iam:PassRole"));
    let d = identity(r#"{"Effect": "Allow", "Action": ["iam:Get*"], "Resource": "*"}"#);
    assert!(!covers_action(&d.statements[0], "iam:PassRole"));
    assert!(
        perms(r#"{"Effect": "Allow", "Action": "iam:Pass*", "Resource": "*"}"#)
            .contains(&Kind::PassRoleAny)
    );
    assert!(perms(r#"{"Effect": "Allow", "Action": "iam:Get*", "Resource": "*"}"#).is_empty());
}

#[test]
fn a_specific_resource_or_a_limiting_condition_is_not_everywhere() {
    assert!(perms(r#"{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::111122223333:role/app"}"#).is_empty());
    assert!(perms(r#"{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::111122223333:role/*"}"#).contains(&Kind::PassRoleAny));
    // iam:PassedToService narrows the service, not the roles.
    assert!(
        perms(
            r#"{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*",
        "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}}"#
        )
        .contains(&Kind::PassRoleAny)
    );
    // A tag condition limits which resources; IfExists does not.
    let tag = r#"{"Effect": "Allow", "Action": "ssm:SendCommand", "Resource": "*",
        "Condition": {"StringEquals": {"ssm:resourceTag/team": "web"}}}"#;
    assert!(perms(tag).is_empty());
    assert!(limits_permission(&identity(tag).statements[0]));
    let if_exists = r#"{"Effect": "Allow", "Action": "ssm:SendCommand", "Resource": "*",
        "Condition": {"StringEqualsIfExists": {"ssm:resourceTag/team": "web"}}}"#;
    assert!(!limits_permission(&identity(if_exists).statements[0]));
    assert!(perms(if_exists).contains(&Kind::PrivilegeEscalation));
}

#[test]
fn escalation_paths_combine_statements_and_policies() {
    let r = role(
        None,
        vec![
            identity(r#"{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}"#),
            identity(r#"{"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*"}"#),
        ],
        &[],
    );
    let s = Permissions::of(&r).summary();
    let esc: Vec<&str> = s
        .iter()
        .filter(|h| h.kind == Kind::PrivilegeEscalation)
        .map(|h| h.name.as_str())
        .collect();
    assert_eq!(esc, vec!["iam:PassRole + ec2:RunInstances"]);
    let r = role(
        None,
        vec![identity(
            r#"{"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*"}"#,
        )],
        &[],
    );
    assert!(Permissions::of(&r).summary().is_empty());
}

#[test]
fn managed_administrator_access_is_admin_and_read_only_access_is_not() {
    let admin = role(
        None,
        vec![],
        &["arn:aws:iam::aws:policy/AdministratorAccess"],
    );
    let kinds: Vec<Kind> = Permissions::of(&admin)
        .summary()
        .iter()
        .map(|h| h.kind)
        .collect();
    assert_eq!(kinds, vec![Kind::Admin]);
    let ro = role(None, vec![], &["arn:aws:iam::aws:policy/ReadOnlyAccess"]);
    let kinds: Vec<Kind> = Permissions::of(&ro)
        .summary()
        .iter()
        .map(|h| h.kind)
        .collect();
    assert!(
        !kinds.contains(&Kind::Admin) && !kinds.contains(&Kind::FullIam),
        "{kinds:?}"
    );
    // ReadOnlyAccess does read every S3 object.
    assert!(kinds.contains(&Kind::DataRead), "{kinds:?}");
    let iam = role(None, vec![], &["arn:aws:iam::aws:policy/IAMFullAccess"]);
    let kinds: Vec<Kind> = Permissions::of(&iam)
        .summary()
        .iter()
        .map(|h| h.kind)
        .collect();
    assert!(kinds.contains(&Kind::FullIam), "{kinds:?}");
    let lambda = role(
        None,
        vec![],
        &["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"],
    );
    assert!(Permissions::of(&lambda).summary().is_empty());
    assert!(
        managed::lookup("arn:aws:iam::aws:policy/AdministratorAccess")
            .is_some_and(|p| p.grants.full_admin)
    );
}

#[test]
fn a_managed_boundary_limits_the_role() {
    let mut r = role(
        None,
        vec![identity(
            r#"{"Effect": "Allow", "Action": "*", "Resource": "*"}"#,
        )],
        &[],
    );
    r.permissions_boundary = Some(Str::known(
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
        Span::default(),
    ));
    let kinds: Vec<Kind> = Permissions::of(&r)
        .summary()
        .iter()
        .map(|h| h.kind)
        .collect();
    assert!(!kinds.contains(&Kind::Admin), "{kinds:?}");
    assert!(!kinds.contains(&Kind::PrivilegeEscalation), "{kinds:?}");
}

#[test]
fn data_reads_on_everything() {
    let k = perms(r#"{"Effect": "Allow", "Action": ["s3:Get*", "kms:Decrypt"], "Resource": "*"}"#);
    // One grant per policy, naming every kind of data it reads.
    assert_eq!(k, vec![Kind::DataRead]);
    assert!(
        perms(r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::app/*"}"#)
            .is_empty()
    );
}

#[test]
fn unknown_actions_are_problems_with_a_suggestion() {
    let d = identity(
        r#"{"Effect": "Allow", "Action": ["s3:GetObjects", "s3:GetObject"], "Resource": "*"}"#,
    );
    let p: Vec<_> = d
        .problems
        .iter()
        .filter(|p| p.code == ProblemCode::UnknownAction)
        .collect();
    assert_eq!(p.len(), 1, "{:?}", d.problems);
    assert!(p[0].message.contains("`s3:GetObject`"), "{}", p[0].message);
    let d = identity(
        r#"{"Effect": "Allow", "Action": ["S3:getobject", "ec2:Describe*"], "Resource": "*"}"#,
    );
    assert!(d.problems.is_empty(), "{:?}", d.problems);
}

#[test]
fn grammar_problems_name_what_iam_rejects() {
    let codes = |d: &PolicyDocument| d.problems.iter().map(|p| p.code).collect::<Vec<_>>();
    let d = trust(
        r#"{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole", "Resource": "*"}"#,
    );
    assert_eq!(codes(&d), vec![ProblemCode::ResourceInTrust]);
    let d = identity(
        r#"{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject", "Resource": "bucket"}"#,
    );
    assert_eq!(
        codes(&d),
        vec![ProblemCode::PrincipalInIdentity, ProblemCode::InvalidArn]
    );
    let d = doc(
        r#"{"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}"#,
        DocumentKind::Identity,
    );
    assert_eq!(codes(&d), vec![ProblemCode::MissingVersion]);
    let d = identity(
        r#"{"Sid": "A", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
                        {"Sid": "A", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}"#,
    );
    assert_eq!(codes(&d), vec![ProblemCode::DuplicateSid]);
    let d = identity(
        r#"{"Effect": "Deny", "Action": "s3:*", "Resource": "*", "Condition": {"StringEqual": {"aws:RequestedRegion": "eu-west-1"}}}"#,
    );
    assert_eq!(codes(&d), vec![ProblemCode::NeverMatches]);
    let d = trust(
        r#"{"Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"}"#,
    );
    assert_eq!(codes(&d), vec![ProblemCode::NotPrincipalInTrust]);
    let d = identity(
        r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"}"#,
    );
    assert!(d.problems.is_empty(), "{:?}", d.problems);
}

fn federated_gaps(principal: &str, condition: &str) -> Vec<Weakness> {
    let d = trust(&format!(
        r#"{{"Effect": "Allow", "Principal": {{"Federated": "{principal}"}}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {condition}}}"#
    ));
    let g = grants(&d);
    let Class::Federated {
        provider, issuer, ..
    } = &g[0].class
    else {
        panic!("not federated: {:?}", g[0].class);
    };
    gaps(*provider, issuer, g[0].statement)
        .into_iter()
        .map(|g| g.weakness)
        .collect()
}

const GH: &str = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com";

#[test]
fn github_subjects() {
    let aud = r#""token.actions.githubusercontent.com:aud": "sts.amazonaws.com""#;
    assert_eq!(
        federated_gaps(GH, &format!("{{\"StringEquals\": {{{aud}}}}}")),
        vec![Weakness::SubMissing]
    );
    let like = |sub: &str| {
        federated_gaps(
            GH,
            &format!(
                r#"{{"StringEquals": {{{aud}}}, "StringLike": {{"token.actions.githubusercontent.com:sub": {sub}}}}}"#
            ),
        )
    };
    assert_eq!(like(r#""repo:*""#), vec![Weakness::SubAny]);
    assert_eq!(like(r#""repo:my-org/*""#), vec![Weakness::SubOwnerWide]);
    assert_eq!(like(r#""repo:my-org/app:*""#), Vec::<Weakness>::new());
    // One loose value in the list opens the role.
    assert_eq!(
        like(r#"["repo:my-org/app:ref:refs/heads/main", "*"]"#),
        vec![Weakness::SubAny]
    );
    // Immutable ids in a customised subject pin the repository; the owner id alone does not.
    assert_eq!(
        like(r#""repository_owner_id:123:repository_id:456:*""#),
        Vec::<Weakness>::new()
    );
    assert_eq!(
        like(r#""repository_owner_id:123:*""#),
        vec![Weakness::SubOwnerWide]
    );
    // StringEquals with `*` is a literal.
    let eq = federated_gaps(
        GH,
        &format!(
            r#"{{"StringEquals": {{{aud}, "token.actions.githubusercontent.com:sub": "*"}}}}"#
        ),
    );
    assert!(eq.is_empty(), "{eq:?}");
}

#[test]
fn eks_cognito_gitlab_and_terraform_cloud() {
    let eks = "arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC";
    let k = "oidc.eks.eu-west-1.amazonaws.com/id/ABC";
    assert_eq!(
        federated_gaps(
            eks,
            &format!(r#"{{"StringEquals": {{"{k}:sub": "system:serviceaccount:prod:app"}}}}"#)
        ),
        vec![Weakness::AudMissing]
    );
    assert!(federated_gaps(
        eks,
        &format!(r#"{{"StringEquals": {{"{k}:sub": "system:serviceaccount:prod:app", "{k}:aud": "sts.amazonaws.com"}}}}"#)
    )
    .is_empty());
    let cog = "cognito-identity.amazonaws.com";
    assert_eq!(
        federated_gaps(
            cog,
            r#"{"StringEquals": {"cognito-identity.amazonaws.com:aud": "eu-west-1:pool"}}"#
        ),
        vec![Weakness::AmrMissing]
    );
    assert!(
        federated_gaps(
            cog,
            r#"{"StringEquals": {"cognito-identity.amazonaws.com:aud": "eu-west-1:pool"},
            "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"}}"#
        )
        .is_empty()
    );
    let gl = "arn:aws:iam::111122223333:oidc-provider/gitlab.com";
    assert_eq!(
        federated_gaps(
            gl,
            r#"{"StringLike": {"gitlab.com:sub": "project_path:*"}}"#
        ),
        vec![Weakness::SubAny]
    );
    assert_eq!(
        federated_gaps(
            gl,
            r#"{"StringLike": {"gitlab.com:sub": "project_path:my-group/*"}}"#
        ),
        vec![Weakness::SubOwnerWide]
    );
    let tfc = "arn:aws:iam::111122223333:oidc-provider/app.terraform.io";
    assert_eq!(
        federated_gaps(
            tfc,
            r#"{"StringLike": {"app.terraform.io:sub": "organization:acme:project:*:workspace:*:run_phase:*"}}"#
        ),
        vec![Weakness::SubOwnerWide]
    );
    assert!(federated_gaps(
        tfc,
        r#"{"StringLike": {"app.terraform.io:sub": "organization:acme:project:infra:workspace:prod:run_phase:*"}}"#
    )
    .is_empty());
    let _ = Provider::Saml;
}

#[test]
fn mfa_is_required_only_by_a_positive_condition() {
    let st = |c: &str| trust(&format!("{{{ANY}, \"Condition\": {c}}}"));
    assert!(requires_mfa(
        &st(r#"{"Bool": {"aws:MultiFactorAuthPresent": "true"}}"#).statements[0]
    ));
    assert!(!requires_mfa(
        &st(r#"{"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}"#).statements[0]
    ));
    assert!(!requires_mfa(
        &st(r#"{"Bool": {"aws:MultiFactorAuthPresent": "false"}}"#).statements[0]
    ));
}

#[test]
fn confused_deputy_table() {
    assert!(services::source_key_service("config.amazonaws.com").is_some());
    assert!(services::source_key_service("ec2.amazonaws.com").is_none());
    assert!(services::pass_role_only("lambda.amazonaws.com"));
    let d = trust(
        r#"{"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}}}"#,
    );
    assert!(constraint(&d.statements[0].conditions, "aws:SourceAccount").restricts());
}
