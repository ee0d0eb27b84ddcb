//! SAM policy templates (`- S3ReadPolicy: {BucketName: !Ref B}`): the statements each one
//! grants, as the SAM policy templates reference defines them, written with `Fn::Sub` over the
//! template's parameters. `sam` expands them with the user's parameter values.

/// The parameters a template takes and its `Statement` list as JSON.
pub struct PolicyTemplate {
    pub params: &'static [&'static str],
    pub statements: String,
}

const RES_SQS: &str = r#"{"Fn::Sub": ["arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:${queueName}", {"queueName": {"Ref": "QueueName"}}]}"#;

macro_rules! sub1 {
    ($fmt:literal, $var:literal, $param:literal) => {
        concat!(
            r#"{"Fn::Sub": [""#,
            $fmt,
            r#"", {""#,
            $var,
            r#"": {"Ref": ""#,
            $param,
            r#""}}]}"#
        )
    };
}

const S3_BUCKET: &str = sub1!(
    "arn:${AWS::Partition}:s3:::${bucketName}",
    "bucketName",
    "BucketName"
);
const S3_OBJECTS: &str = sub1!(
    "arn:${AWS::Partition}:s3:::${bucketName}/*",
    "bucketName",
    "BucketName"
);
const DDB_TABLE: &str = sub1!(
    "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${tableName}",
    "tableName",
    "TableName"
);
const DDB_INDEX: &str = sub1!(
    "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${tableName}/index/*",
    "tableName",
    "TableName"
);

/// The template named `name`, if iamlint knows it.
pub fn get(name: &str) -> Option<PolicyTemplate> {
    let (params, statements): (&'static [&'static str], String) = match name {
        "S3ReadPolicy" => (
            &["BucketName"],
            format!(
                r#"[{{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation", "s3:GetObjectVersion", "s3:GetLifecycleConfiguration"], "Resource": [{S3_BUCKET}, {S3_OBJECTS}]}}]"#
            ),
        ),
        "S3WritePolicy" => (
            &["BucketName"],
            format!(
                r#"[{{"Effect": "Allow", "Action": ["s3:PutObject", "s3:PutObjectAcl", "s3:PutLifecycleConfiguration"], "Resource": [{S3_BUCKET}, {S3_OBJECTS}]}}]"#
            ),
        ),
        "S3CrudPolicy" => (
            &["BucketName"],
            format!(
                r#"[{{"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation", "s3:GetObjectVersion", "s3:PutObject", "s3:PutObjectAcl", "s3:GetLifecycleConfiguration", "s3:PutLifecycleConfiguration", "s3:DeleteObject"], "Resource": [{S3_BUCKET}, {S3_OBJECTS}]}}]"#
            ),
        ),
        "S3FullAccessPolicy" => (
            &["BucketName"],
            format!(
                r#"[{{"Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectAcl", "s3:GetObjectVersion", "s3:PutObject", "s3:PutObjectAcl", "s3:DeleteObject", "s3:DeleteObjectTagging", "s3:DeleteObjectVersionTagging", "s3:GetObjectTagging", "s3:GetObjectVersionTagging", "s3:PutObjectTagging", "s3:PutObjectVersionTagging"], "Resource": [{S3_OBJECTS}]}}, {{"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation", "s3:GetLifecycleConfiguration", "s3:PutLifecycleConfiguration"], "Resource": [{S3_BUCKET}]}}]"#
            ),
        ),
        "DynamoDBReadPolicy" => (
            &["TableName"],
            format!(
                r#"[{{"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:Scan", "dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:DescribeTable"], "Resource": [{DDB_TABLE}, {DDB_INDEX}]}}]"#
            ),
        ),
        "DynamoDBWritePolicy" => (
            &["TableName"],
            format!(
                r#"[{{"Effect": "Allow", "Action": ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem"], "Resource": [{DDB_TABLE}, {DDB_INDEX}]}}]"#
            ),
        ),
        "DynamoDBCrudPolicy" => (
            &["TableName"],
            format!(
                r#"[{{"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:Scan", "dynamodb:Query", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem", "dynamodb:BatchGetItem", "dynamodb:DescribeTable", "dynamodb:ConditionCheckItem"], "Resource": [{DDB_TABLE}, {DDB_INDEX}]}}]"#
            ),
        ),
        "SQSSendMessagePolicy" => (
            &["QueueName"],
            format!(r#"[{{"Effect": "Allow", "Action": ["sqs:SendMessage*"], "Resource": {RES_SQS}}}]"#),
        ),
        "SQSPollerPolicy" => (
            &["QueueName"],
            format!(
                r#"[{{"Effect": "Allow", "Action": ["sqs:ChangeMessageVisibility", "sqs:ChangeMessageVisibilityBatch", "sqs:DeleteMessage", "sqs:DeleteMessageBatch", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"], "Resource": {RES_SQS}}}]"#
            ),
        ),
        "SNSPublishMessagePolicy" => (
            &["TopicName"],
            format!(
                r#"[{{"Effect": "Allow", "Action": ["sns:Publish"], "Resource": {}}}]"#,
                sub1!("arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:${topicName}", "topicName", "TopicName")
            ),
        ),
        "LambdaInvokePolicy" => (
            &["FunctionName"],
            format!(
                r#"[{{"Effect": "Allow", "Action": ["lambda:InvokeFunction"], "Resource": {}}}]"#,
                sub1!("arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${functionName}*", "functionName", "FunctionName")
            ),
        ),
        "AWSSecretsManagerGetSecretValuePolicy" => (
            &["SecretArn"],
            format!(
                r#"[{{"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": {}}}]"#,
                sub1!("${secretArn}", "secretArn", "SecretArn")
            ),
        ),
        "AWSSecretsManagerRotationPolicy" => (
            &["FunctionName"],
            format!(
                r#"[{{"Effect": "Allow", "Action": ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"], "Resource": {{"Fn::Sub": "arn:${{AWS::Partition}}:secretsmanager:${{AWS::Region}}:${{AWS::AccountId}}:secret:*"}}, "Condition": {{"StringEquals": {{"secretsmanager:resource/AllowRotationLambdaArn": {}}}}}}}, {{"Effect": "Allow", "Action": ["secretsmanager:GetRandomPassword"], "Resource": "*"}}]"#,
                sub1!("arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${functionName}", "functionName", "FunctionName")
            ),
        ),
        "SSMParameterReadPolicy" => (
            &["ParameterName"],
            format!(
                r#"[{{"Effect": "Allow", "Action": ["ssm:DescribeParameters"], "Resource": "*"}}, {{"Effect": "Allow", "Action": ["ssm:GetParameters", "ssm:GetParameter", "ssm:GetParametersByPath"], "Resource": {}}}]"#,
                sub1!("arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/${parameterName}", "parameterName", "ParameterName")
            ),
        ),
        "SSMParameterWithSlashPrefixReadPolicy" => (
            &["ParameterName"],
            format!(
                r#"[{{"Effect": "Allow", "Action": ["ssm:DescribeParameters"], "Resource": "*"}}, {{"Effect": "Allow", "Action": ["ssm:GetParameters", "ssm:GetParameter", "ssm:GetParametersByPath"], "Resource": {}}}]"#,
                sub1!("arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${parameterName}", "parameterName", "ParameterName")
            ),
        ),
        "KMSDecryptPolicy" => (
            &["KeyId"],
            format!(
                r#"[{{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": {}}}]"#,
                sub1!("arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/${keyId}", "keyId", "KeyId")
            ),
        ),
        "KMSEncryptPolicy" => (
            &["KeyId"],
            format!(
                r#"[{{"Effect": "Allow", "Action": "kms:Encrypt", "Resource": {}}}]"#,
                sub1!("arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/${keyId}", "keyId", "KeyId")
            ),
        ),
        "StepFunctionsExecutionPolicy" => (
            &["StateMachineName"],
            format!(
                r#"[{{"Effect": "Allow", "Action": ["states:StartExecution"], "Resource": {}}}]"#,
                sub1!("arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:${stateMachineName}", "stateMachineName", "StateMachineName")
            ),
        ),
        "EventBridgePutEventsPolicy" => (
            &["EventBusName"],
            format!(
                r#"[{{"Effect": "Allow", "Action": "events:PutEvents", "Resource": {}}}]"#,
                sub1!("arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/${eventBusName}", "eventBusName", "EventBusName")
            ),
        ),
        "KinesisStreamReadPolicy" => (
            &["StreamName"],
            format!(
                r#"[{{"Effect": "Allow", "Action": ["kinesis:ListStreams", "kinesis:DescribeLimits"], "Resource": {{"Fn::Sub": "arn:${{AWS::Partition}}:kinesis:${{AWS::Region}}:${{AWS::AccountId}}:stream/*"}}}}, {{"Effect": "Allow", "Action": ["kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords", "kinesis:GetShardIterator"], "Resource": {}}}]"#,
                sub1!("arn:${AWS::Partition}:kinesis:${AWS::Region}:${AWS::AccountId}:stream/${streamName}", "streamName", "StreamName")
            ),
        ),
        "CloudWatchPutMetricPolicy" => (
            &[],
            r#"[{"Effect": "Allow", "Action": ["cloudwatch:PutMetricData"], "Resource": "*"}]"#.to_string(),
        ),
        "VPCAccessPolicy" => (
            &[],
            r#"[{"Effect": "Allow", "Action": ["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DetachNetworkInterface"], "Resource": "*"}]"#.to_string(),
        ),
        "EC2DescribePolicy" => (
            &[],
            r#"[{"Effect": "Allow", "Action": ["ec2:DescribeRegions", "ec2:DescribeInstances"], "Resource": "*"}]"#.to_string(),
        ),
        _ => return None,
    };
    Some(PolicyTemplate { params, statements })
}
