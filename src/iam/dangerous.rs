//! Single actions that open a resource to others or destroy data, dangerous on their own when a
//! policy allows them on every resource: a curated list, each entry with what it does and the AWS
//! documentation page that says so. Rules ask [`named_in`] which of them a statement names.
//!
//! Only actions that take a resource ARN are listed, so that naming the resources limits them;
//! actions that accept only `*` (`cloudwatch:PutMetricData`, `ec2:Describe*`) are never here.
//! Wildcard patterns (`s3:*`, `s3:Put*`) are IAM108's and IAM109's.

use crate::iam::model::{Statement, Str};

/// One dangerous action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dangerous {
    /// `service:Action`, as the catalog spells it.
    pub action: &'static str,
    /// What it lets the holder do to every resource.
    pub why: &'static str,
    /// The AWS documentation page of the API action.
    pub source: &'static str,
}

const fn d(action: &'static str, why: &'static str, source: &'static str) -> Dangerous {
    Dangerous {
        action,
        why,
        source,
    }
}

/// The curated list.
pub const ACTIONS: &[Dangerous] = &[
    d(
        "s3:PutBucketPolicy",
        "replace the policy of every bucket, making any of them public or cross-account",
        "https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketPolicy.html",
    ),
    d(
        "s3:DeleteBucketPolicy",
        "remove the policy (and its Deny guards) of every bucket",
        "https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucketPolicy.html",
    ),
    d(
        "s3:PutBucketAcl",
        "grant anyone access to every bucket through its ACL",
        "https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketAcl.html",
    ),
    d(
        "s3:PutObjectAcl",
        "make any object of any bucket public through its ACL",
        "https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectAcl.html",
    ),
    d(
        "s3:PutBucketPublicAccessBlock",
        "turn off S3 Block Public Access on every bucket",
        "https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutPublicAccessBlock.html",
    ),
    d(
        "s3:PutObject",
        "overwrite any object of any bucket (code, configuration, state files)",
        "https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html",
    ),
    d(
        "s3:DeleteObject",
        "delete any object of any bucket",
        "https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html",
    ),
    d(
        "s3:DeleteBucket",
        "delete every empty bucket, whose name anyone can then register",
        "https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteBucket.html",
    ),
    d(
        "kms:PutKeyPolicy",
        "replace the key policy of every key, locking the account out or letting others in",
        "https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html",
    ),
    d(
        "kms:ScheduleKeyDeletion",
        "delete every KMS key, and with it every piece of data encrypted under it",
        "https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html",
    ),
    d(
        "kms:CreateGrant",
        "give any principal the use of every key through a grant",
        "https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateGrant.html",
    ),
    d(
        "kms:DisableKey",
        "disable every KMS key, making the data encrypted under it unreadable",
        "https://docs.aws.amazon.com/kms/latest/APIReference/API_DisableKey.html",
    ),
    d(
        "lambda:AddPermission",
        "let any account or service invoke (or manage) every function",
        "https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html",
    ),
    d(
        "lambda:DeleteFunction",
        "delete every Lambda function",
        "https://docs.aws.amazon.com/lambda/latest/api/API_DeleteFunction.html",
    ),
    d(
        "ec2:AuthorizeSecurityGroupIngress",
        "open any port of every security group to the internet",
        "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AuthorizeSecurityGroupIngress.html",
    ),
    d(
        "ec2:DeleteSnapshot",
        "delete every EBS snapshot (backups included)",
        "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteSnapshot.html",
    ),
    d(
        "ec2:ModifySnapshotAttribute",
        "share every EBS snapshot with another account or make it public",
        "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifySnapshotAttribute.html",
    ),
    d(
        "ec2:ModifyImageAttribute",
        "share every AMI with another account or make it public",
        "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyImageAttribute.html",
    ),
    d(
        "ec2:TerminateInstances",
        "terminate every EC2 instance",
        "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_TerminateInstances.html",
    ),
    d(
        "secretsmanager:PutResourcePolicy",
        "attach a resource policy to every secret, letting other accounts read it",
        "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutResourcePolicy.html",
    ),
    d(
        "secretsmanager:DeleteSecret",
        "delete every secret",
        "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DeleteSecret.html",
    ),
    d(
        "sns:AddPermission",
        "let other accounts publish to or subscribe to every topic",
        "https://docs.aws.amazon.com/sns/latest/api/API_AddPermission.html",
    ),
    d(
        "sqs:AddPermission",
        "let other accounts send to or receive from every queue",
        "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_AddPermission.html",
    ),
    d(
        "rds:DeleteDBInstance",
        "delete every RDS database instance",
        "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBInstance.html",
    ),
    d(
        "rds:DeleteDBCluster",
        "delete every Aurora or Multi-AZ DB cluster",
        "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBCluster.html",
    ),
    d(
        "rds:ModifyDBSnapshotAttribute",
        "share every database snapshot with another account or make it public",
        "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBSnapshotAttribute.html",
    ),
    d(
        "dynamodb:DeleteTable",
        "delete every DynamoDB table",
        "https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DeleteTable.html",
    ),
    d(
        "ecr:SetRepositoryPolicy",
        "let other accounts pull or push images of every repository",
        "https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_SetRepositoryPolicy.html",
    ),
    d(
        "logs:DeleteLogGroup",
        "delete every log group, audit logs included",
        "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_DeleteLogGroup.html",
    ),
    d(
        "cloudtrail:StopLogging",
        "stop every CloudTrail trail",
        "https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_StopLogging.html",
    ),
    d(
        "cloudtrail:DeleteTrail",
        "delete every CloudTrail trail",
        "https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_DeleteTrail.html",
    ),
    d(
        "backup:DeleteRecoveryPoint",
        "delete every backup recovery point",
        "https://docs.aws.amazon.com/aws-backup/latest/devguide/API_DeleteRecoveryPoint.html",
    ),
];

/// True when some Resource of the statement covers every resource of the action's own service
/// (every listed action acts on its service's resources: buckets, keys, functions, security
/// groups, snapshots, ...): `*`, or a broad ARN whose service part matches. `s3:PutBucketPolicy`
/// on `arn:aws:iam::*:role/*` reaches no bucket. NotResource is taken to reach everything.
pub fn reaches_everything(st: &Statement, action: &str) -> bool {
    let service = action.split(':').next().unwrap_or("");
    let Some(r) = &st.resource else {
        return st.not_resource.is_some();
    };
    r.items.iter().any(|i| match i.get() {
        None => false,
        Some(p) => {
            crate::iam::permissions::resource_is_broad(p)
                && match p.strip_prefix("arn:") {
                    None => true,
                    Some(rest) => {
                        let parts: Vec<&str> = rest.splitn(3, ':').collect();
                        match parts.get(1) {
                            Some(svc) => {
                                crate::iam::actions::wildcard_match(svc, service)
                                    || (parts.len() < 3 && svc.ends_with('*'))
                            }
                            None => true,
                        }
                    }
                }
        }
    })
}

/// The entry for one action, case-insensitively.
pub fn lookup(action: &str) -> Option<&'static Dangerous> {
    ACTIONS
        .iter()
        .find(|d| d.action.eq_ignore_ascii_case(action))
}

/// The listed actions a statement's Action names one by one (no wildcard), with their places,
/// in the order written. An action that a wildcard of the same statement also covers (`s3:*`
/// next to `s3:PutBucketPolicy`) is left to the wildcard rules.
pub fn named_in(st: &Statement) -> Vec<(&Str, &'static Dangerous)> {
    let Some(a) = &st.action else {
        return Vec::new();
    };
    let mut out: Vec<(&Str, &'static Dangerous)> = Vec::new();
    for s in &a.items {
        let Some(text) = s.get().filter(|t| !t.contains(['*', '?'])) else {
            continue;
        };
        let by_wildcard = |d: &Dangerous| {
            a.items.iter().any(|o| {
                o.get().is_some_and(|p| {
                    p.contains(['*', '?']) && crate::iam::actions::wildcard_match(p, d.action)
                })
            })
        };
        if let Some(d) = lookup(text)
            && !out.iter().any(|(_, x)| std::ptr::eq(*x, d))
            && !by_wildcard(d)
        {
            out.push((s, d));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_unique() {
        for (i, a) in ACTIONS.iter().enumerate() {
            assert!(
                ACTIONS[i + 1..].iter().all(|b| b.action != a.action),
                "{} twice",
                a.action
            );
        }
    }
}
