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
