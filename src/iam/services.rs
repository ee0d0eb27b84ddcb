//! AWS service principals and the confused-deputy problem. Some services assume a customer's
//! role on behalf of a resource that any customer can configure (an EventBridge rule, a Config
//! recorder, a log subscription), and tell STS which resource and account they act for in
//! `aws:SourceArn` and `aws:SourceAccount`. Their roles should pin those keys. Other services
//! (EC2 instance profiles, Lambda execution roles, ECS tasks) only receive a role through
//! `iam:PassRole`, which only principals of the role's own account can call, and do not send
//! the keys: a condition on them would break the role. The table lists the first kind, each
//! with the AWS page that documents the keys.

/// A service that sends aws:SourceArn / aws:SourceAccount when it assumes a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceKeyService {
    pub principal: &'static str,
    pub reference: &'static str,
}

/// Services whose role trust should pin aws:SourceArn or aws:SourceAccount.
pub const SENDS_SOURCE_KEYS: &[SourceKeyService] = &[
    SourceKeyService {
        principal: "config.amazonaws.com",
        reference: "https://docs.aws.amazon.com/config/latest/developerguide/iamrole-permissions.html",
    },
    SourceKeyService {
        principal: "events.amazonaws.com",
        reference: "https://docs.aws.amazon.com/eventbridge/latest/userguide/cross-service-confused-deputy-prevention.html",
    },
    SourceKeyService {
        principal: "scheduler.amazonaws.com",
        reference: "https://docs.aws.amazon.com/scheduler/latest/UserGuide/cross-service-confused-deputy-prevention.html",
    },
    SourceKeyService {
        principal: "pipes.amazonaws.com",
        reference: "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-permissions.html",
    },
    SourceKeyService {
        principal: "logs.amazonaws.com",
        reference: "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html",
    },
    SourceKeyService {
        principal: "vpc-flow-logs.amazonaws.com",
        reference: "https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html",
    },
    SourceKeyService {
        principal: "ssm.amazonaws.com",
        reference: "https://docs.aws.amazon.com/systems-manager/latest/userguide/hybrid-multicloud-service-role.html",
    },
    SourceKeyService {
        principal: "transfer.amazonaws.com",
        reference: "https://docs.aws.amazon.com/transfer/latest/userguide/confused-deputy.html",
    },
    SourceKeyService {
        principal: "datasync.amazonaws.com",
        reference: "https://docs.aws.amazon.com/datasync/latest/userguide/cross-service-confused-deputy-prevention.html",
    },
    SourceKeyService {
        principal: "appsync.amazonaws.com",
        reference: "https://docs.aws.amazon.com/appsync/latest/devguide/cross-service-confused-deputy-prevention.html",
    },
    SourceKeyService {
        principal: "iot.amazonaws.com",
        reference: "https://docs.aws.amazon.com/iot/latest/developerguide/cross-service-confused-deputy-prevention.html",
    },
    SourceKeyService {
        principal: "bedrock.amazonaws.com",
        reference: "https://docs.aws.amazon.com/bedrock/latest/userguide/cross-service-confused-deputy-prevention.html",
    },
    SourceKeyService {
        principal: "batchoperations.s3.amazonaws.com",
        reference: "https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-iam-role-policies.html",
    },
    SourceKeyService {
        principal: "codebuild.amazonaws.com",
        reference: "https://docs.aws.amazon.com/codebuild/latest/userguide/cross-service-confused-deputy-prevention.html",
    },
    SourceKeyService {
        principal: "sns.amazonaws.com",
        reference: "https://docs.aws.amazon.com/sns/latest/dg/sns-topic-attributes.html",
    },
];

/// Services that only receive a role through iam:PassRole and do not send the source keys.
pub const PASS_ROLE_ONLY: &[&str] = &[
    "ec2.amazonaws.com",
    "lambda.amazonaws.com",
    "edgelambda.amazonaws.com",
    "ecs-tasks.amazonaws.com",
    "eks.amazonaws.com",
    "glue.amazonaws.com",
    "sagemaker.amazonaws.com",
    "states.amazonaws.com",
    "elasticmapreduce.amazonaws.com",
    "batch.amazonaws.com",
];

/// The table entry of a service principal (case-insensitive; `.amazonaws.com.cn` and
/// GovCloud spellings name the same service).
pub fn source_key_service(principal: &str) -> Option<&'static SourceKeyService> {
    let p = principal.trim().to_ascii_lowercase();
    let p = p.strip_suffix(".cn").unwrap_or(&p);
    SENDS_SOURCE_KEYS.iter().find(|s| s.principal == p)
}

/// True when the service only receives roles through iam:PassRole.
pub fn pass_role_only(principal: &str) -> bool {
    let p = principal.trim().to_ascii_lowercase();
    PASS_ROLE_ONLY.contains(&p.as_str())
}

/// The condition keys that bind a service's use of a role to one resource or account.
pub const SOURCE_KEYS: &[&str] = &[
    "aws:SourceArn",
    "aws:SourceAccount",
    "aws:SourceOrgID",
    "aws:SourceOrgPaths",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_disjoint() {
        for s in SENDS_SOURCE_KEYS {
            assert!(!pass_role_only(s.principal), "{}", s.principal);
        }
        assert!(source_key_service("Events.amazonaws.com").is_some());
        assert!(source_key_service("lambda.amazonaws.com").is_none());
    }
}

/// AWS managed service-role policies and the service whose role they are made for, and the
/// services that run the customer's code under the role they assume
/// (`data/iam/service-role-policies.tsv`, each row with its AWS documentation page).
const SERVICE_ROLE_TSV: &str = include_str!("../../data/iam/service-role-policies.tsv");

fn service_role_rows() -> impl Iterator<Item = Vec<&'static str>> {
    SERVICE_ROLE_TSV
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split('\t').collect())
}

/// The service principal an AWS managed service-role policy (by path and name) is made for:
/// under `/service-role/` for most, at the root path for the few the table marks
/// `policy-root`.
pub fn service_role_policy_service(path: &str, policy: &str) -> Option<&'static str> {
    service_role_rows().find_map(|r| match r.as_slice() {
        ["policy", name, service, ..] if *name == policy && path == "/service-role/" => {
            Some(*service)
        }
        ["policy-root", name, service, ..] if *name == policy && path == "/" => Some(*service),
        _ => None,
    })
}

/// True when the service runs the customer's code with the credentials of the role it assumes
/// (Lambda, ECS tasks, EC2, CodeBuild, SageMaker, Glue jobs, Systems Manager automation).
pub fn runs_customer_code(service: &str) -> bool {
    let s = same_service(service);
    service_role_rows().any(|r| matches!(r.as_slice(), ["runs-code", svc, ..] if *svc == s))
}

/// The service principal without the China partition suffix (`ec2.amazonaws.com.cn`).
fn same_service(principal: &str) -> &str {
    principal.strip_suffix(".cn").unwrap_or(principal)
}

/// True when `policy` (an AWS managed policy at `path`) is the service-role policy of the one
/// service that all of `trusted` (the role's service principals) name, and that service does
/// not run the customer's code: the shape AWS prescribes for that service.
pub fn prescribed_service_role(path: &str, policy: &str, trusted: &[&str]) -> bool {
    let Some(service) = service_role_policy_service(path, policy) else {
        return false;
    };
    !trusted.is_empty()
        && trusted.iter().all(|t| same_service(t) == service)
        && !runs_customer_code(service)
}

#[cfg(test)]
mod service_role_tests {
    use super::*;

    #[test]
    fn the_table_parses_and_names_real_policies() {
        let mut policies = 0;
        for r in service_role_rows() {
            match r.as_slice() {
                ["policy", name, service, source] => {
                    policies += 1;
                    assert!(
                        crate::iam::managed::lookup(&format!(
                            "arn:aws:iam::aws:policy/service-role/{name}"
                        ))
                        .is_some(),
                        "{name}"
                    );
                    assert!(service.ends_with(".amazonaws.com"), "{service}");
                    assert!(
                        source.starts_with("https://docs.aws.amazon.com/"),
                        "{source}"
                    );
                }
                ["policy-root", name, service, source] => {
                    policies += 1;
                    assert!(
                        crate::iam::managed::lookup(&format!("arn:aws:iam::aws:policy/{name}"))
                            .is_some(),
                        "{name}"
                    );
                    assert!(service.ends_with(".amazonaws.com"), "{service}");
                    assert!(
                        source.starts_with("https://docs.aws.amazon.com/"),
                        "{source}"
                    );
                }
                ["runs-code", service, source] => {
                    assert!(service.ends_with(".amazonaws.com"), "{service}");
                    assert!(
                        source.starts_with("https://docs.aws.amazon.com/"),
                        "{source}"
                    );
                }
                other => panic!("bad row {other:?}"),
            }
        }
        assert!(policies >= 10);
        let sr = "/service-role/";
        assert!(prescribed_service_role(
            sr,
            "AWSBatchServiceRole",
            &["batch.amazonaws.com"]
        ));
        assert!(!prescribed_service_role(
            sr,
            "AWSGlueServiceRole",
            &["glue.amazonaws.com"]
        ));
        assert!(!prescribed_service_role(
            sr,
            "AWSBatchServiceRole",
            &["batch.amazonaws.com", "ec2.amazonaws.com"]
        ));
        // The path is part of the policy's identity.
        assert!(!prescribed_service_role(
            "/",
            "AWSBatchServiceRole",
            &["batch.amazonaws.com"]
        ));
        assert!(prescribed_service_role(
            "/",
            "AmazonEKSComputePolicy",
            &["eks.amazonaws.com"]
        ));
    }
}
