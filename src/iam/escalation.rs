//! Privilege-escalation paths: sets of actions that, allowed together on all resources, let a
//! principal give itself (or code it controls) more permissions than it has. The table is our
//! own summary of published research (Rhino Security Labs' methods, Bishop Fox's list, the paths
//! catalogued by pathfinding.cloud); each path names its source. [`crate::iam::permissions`]
//! checks them against a role's effective permissions.

/// One escalation path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Path {
    /// Short name used in findings: the actions joined with ` + `.
    pub name: &'static str,
    /// Every action the path needs, each allowed on all resources.
    pub actions: &'static [&'static str],
    /// How the path is used, in one sentence.
    pub how: &'static str,
    /// Where the path is described.
    pub reference: &'static str,
    /// For a path through iam:PassRole, the service principals the role is passed to (what an
    /// `iam:PassedToService` condition must allow for the path to work); empty otherwise.
    pub passed_to: &'static [&'static str],
}

impl Path {
    /// True when every action of the path is an IAM action (then full IAM access covers it).
    pub fn iam_only(&self) -> bool {
        self.actions
            .iter()
            .all(|a| a.len() > 4 && a[..4].eq_ignore_ascii_case("iam:"))
    }
}

const RHINO: &str =
    "https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/";
const PATHFINDING: &str = "https://pathfinding.cloud";
const BISHOPFOX: &str = "https://bishopfox.com/blog/privilege-escalation-in-aws";

/// The known paths, most direct first.
pub const PATHS: &[Path] = &[
    Path {
        name: "iam:CreatePolicyVersion",
        actions: &["iam:CreatePolicyVersion"],
        how: "write a new default version of a customer managed policy attached to the role, granting `*`",
        reference: RHINO,
        passed_to: &[],
    },
    Path {
        name: "iam:SetDefaultPolicyVersion",
        actions: &["iam:SetDefaultPolicyVersion"],
        how: "switch a policy attached to the role to an older, broader version",
        reference: RHINO,
        passed_to: &[],
    },
    Path {
        name: "iam:AttachRolePolicy",
        actions: &["iam:AttachRolePolicy"],
        how: "attach AdministratorAccess to the role itself or to another role it can use",
        reference: RHINO,
        passed_to: &[],
    },
    Path {
        name: "iam:AttachUserPolicy",
        actions: &["iam:AttachUserPolicy"],
        how: "attach AdministratorAccess to an IAM user whose credentials the caller holds",
        reference: RHINO,
        passed_to: &[],
    },
    Path {
        name: "iam:AttachGroupPolicy",
        actions: &["iam:AttachGroupPolicy"],
        how: "attach AdministratorAccess to a group of a user the caller controls",
        reference: RHINO,
        passed_to: &[],
    },
    Path {
        name: "iam:PutRolePolicy",
        actions: &["iam:PutRolePolicy"],
        how: "write an inline policy allowing `*` on the role itself",
        reference: RHINO,
        passed_to: &[],
    },
    Path {
        name: "iam:PutUserPolicy",
        actions: &["iam:PutUserPolicy"],
        how: "write an inline policy allowing `*` on a user the caller controls",
        reference: RHINO,
        passed_to: &[],
    },
    Path {
        name: "iam:PutGroupPolicy",
        actions: &["iam:PutGroupPolicy"],
        how: "write an inline policy allowing `*` on a group of a user the caller controls",
        reference: RHINO,
        passed_to: &[],
    },
    Path {
        name: "iam:AddUserToGroup",
        actions: &["iam:AddUserToGroup"],
        how: "add a user the caller controls to an administrators group",
        reference: RHINO,
        passed_to: &[],
    },
    Path {
        name: "iam:UpdateAssumeRolePolicy",
        actions: &["iam:UpdateAssumeRolePolicy"],
        how: "rewrite the trust policy of a more privileged role so that the caller can assume it",
        reference: RHINO,
        passed_to: &[],
    },
    Path {
        name: "iam:CreateAccessKey",
        actions: &["iam:CreateAccessKey"],
        how: "create access keys for a more privileged IAM user and sign in as that user",
        reference: RHINO,
        passed_to: &[],
    },
    Path {
        name: "iam:CreateLoginProfile",
        actions: &["iam:CreateLoginProfile"],
        how: "set a console password on a more privileged user that has none",
        reference: RHINO,
        passed_to: &[],
    },
    Path {
        name: "iam:UpdateLoginProfile",
        actions: &["iam:UpdateLoginProfile"],
        how: "change the console password of a more privileged user",
        reference: RHINO,
        passed_to: &[],
    },
    Path {
        name: "iam:DeleteRolePermissionsBoundary",
        actions: &["iam:DeleteRolePermissionsBoundary"],
        how: "remove the permissions boundary that limits a role",
        reference: PATHFINDING,
        passed_to: &[],
    },
    Path {
        name: "iam:PutRolePermissionsBoundary",
        actions: &["iam:PutRolePermissionsBoundary"],
        how: "replace a role's permissions boundary with a permissive one",
        reference: PATHFINDING,
        passed_to: &[],
    },
    Path {
        name: "iam:DeleteUserPermissionsBoundary",
        actions: &["iam:DeleteUserPermissionsBoundary"],
        how: "remove the permissions boundary that limits a user",
        reference: PATHFINDING,
        passed_to: &[],
    },
    Path {
        name: "iam:PutUserPermissionsBoundary",
        actions: &["iam:PutUserPermissionsBoundary"],
        how: "replace a user's permissions boundary with a permissive one",
        reference: PATHFINDING,
        passed_to: &[],
    },
    Path {
        name: "iam:PassRole + ec2:RunInstances",
        actions: &["iam:PassRole", "ec2:RunInstances"],
        how: "launch an instance with a privileged instance profile and read its credentials",
        reference: RHINO,
        passed_to: &["ec2.amazonaws.com"],
    },
    Path {
        name: "iam:PassRole + ec2:RequestSpotInstances",
        actions: &["iam:PassRole", "ec2:RequestSpotInstances"],
        how: "request a spot instance with a privileged instance profile",
        reference: PATHFINDING,
        passed_to: &["ec2.amazonaws.com"],
    },
    Path {
        name: "iam:PassRole + autoscaling:CreateLaunchConfiguration + autoscaling:CreateAutoScalingGroup",
        actions: &[
            "iam:PassRole",
            "autoscaling:CreateLaunchConfiguration",
            "autoscaling:CreateAutoScalingGroup",
        ],
        how: "start instances with a privileged instance profile through an Auto Scaling group",
        reference: PATHFINDING,
        passed_to: &["ec2.amazonaws.com"],
    },
    Path {
        name: "ec2:CreateLaunchTemplateVersion + ec2:ModifyLaunchTemplate",
        actions: &[
            "ec2:CreateLaunchTemplateVersion",
            "ec2:ModifyLaunchTemplate",
        ],
        how: "add a version with your user data to a launch template that already carries a privileged instance profile, and make it the default",
        reference: PATHFINDING,
        passed_to: &[],
    },
    Path {
        name: "ec2:ModifyInstanceAttribute + ec2:StopInstances + ec2:StartInstances",
        actions: &[
            "ec2:ModifyInstanceAttribute",
            "ec2:StopInstances",
            "ec2:StartInstances",
        ],
        how: "replace an instance's user data and restart it to run code under its instance profile",
        reference: PATHFINDING,
        passed_to: &[],
    },
    Path {
        name: "ec2-instance-connect:SendSSHPublicKey",
        actions: &["ec2-instance-connect:SendSSHPublicKey"],
        how: "push an SSH key to any instance and use its instance profile",
        reference: PATHFINDING,
        passed_to: &[],
    },
    Path {
        name: "ssm:SendCommand",
        actions: &["ssm:SendCommand"],
        how: "run commands on any managed instance and use its instance profile",
        reference: PATHFINDING,
        passed_to: &[],
    },
    Path {
        name: "ssm:StartSession",
        actions: &["ssm:StartSession"],
        how: "open a shell on any managed instance and use its instance profile",
        reference: PATHFINDING,
        passed_to: &[],
    },
    Path {
        name: "ssm:CreateAssociation",
        actions: &["ssm:CreateAssociation"],
        how: "run a Systems Manager document on any managed instance",
        reference: PATHFINDING,
        passed_to: &[],
    },
    Path {
        name: "iam:PassRole + lambda:CreateFunction + lambda:InvokeFunction",
        actions: &[
            "iam:PassRole",
            "lambda:CreateFunction",
            "lambda:InvokeFunction",
        ],
        how: "create a function with a privileged execution role and invoke it",
        reference: RHINO,
        passed_to: &["lambda.amazonaws.com"],
    },
    Path {
        name: "iam:PassRole + lambda:CreateFunction + lambda:CreateEventSourceMapping",
        actions: &[
            "iam:PassRole",
            "lambda:CreateFunction",
            "lambda:CreateEventSourceMapping",
        ],
        how: "create a function with a privileged execution role and trigger it from a stream or queue",
        reference: RHINO,
        passed_to: &["lambda.amazonaws.com"],
    },
    Path {
        name: "iam:PassRole + lambda:CreateFunction + lambda:AddPermission",
        actions: &[
            "iam:PassRole",
            "lambda:CreateFunction",
            "lambda:AddPermission",
        ],
        how: "create a function with a privileged execution role and let an outside principal invoke it",
        reference: PATHFINDING,
        passed_to: &["lambda.amazonaws.com"],
    },
    Path {
        name: "lambda:UpdateFunctionCode",
        actions: &["lambda:UpdateFunctionCode"],
        how: "replace the code of an existing function and run under its execution role",
        reference: RHINO,
        passed_to: &[],
    },
    Path {
        name: "lambda:UpdateFunctionConfiguration",
        actions: &["lambda:UpdateFunctionConfiguration"],
        how: "attach a malicious layer or change the handler of an existing function to run under its execution role",
        reference: BISHOPFOX,
        passed_to: &[],
    },
    Path {
        name: "iam:PassRole + lambda:UpdateFunctionConfiguration",
        actions: &["iam:PassRole", "lambda:UpdateFunctionConfiguration"],
        how: "give an existing function a more privileged execution role",
        reference: PATHFINDING,
        passed_to: &["lambda.amazonaws.com"],
    },
    Path {
        name: "iam:PassRole + glue:CreateDevEndpoint",
        actions: &["iam:PassRole", "glue:CreateDevEndpoint"],
        how: "create a Glue development endpoint with a privileged role and log in to it",
        reference: RHINO,
        passed_to: &["glue.amazonaws.com"],
    },
    Path {
        name: "glue:UpdateDevEndpoint",
        actions: &["glue:UpdateDevEndpoint"],
        how: "add an SSH key to an existing Glue development endpoint and use its role",
        reference: RHINO,
        passed_to: &[],
    },
    Path {
        name: "iam:PassRole + glue:CreateJob + glue:StartJobRun",
        actions: &["iam:PassRole", "glue:CreateJob", "glue:StartJobRun"],
        how: "create and run a Glue job under a privileged role",
        reference: PATHFINDING,
        passed_to: &["glue.amazonaws.com"],
    },
    Path {
        name: "glue:UpdateJob + glue:StartJobRun",
        actions: &["glue:UpdateJob", "glue:StartJobRun"],
        how: "change the script of an existing Glue job and run it under its role",
        reference: PATHFINDING,
        passed_to: &[],
    },
    Path {
        name: "iam:PassRole + cloudformation:CreateStack",
        actions: &["iam:PassRole", "cloudformation:CreateStack"],
        how: "create a stack with a privileged service role that creates whatever the template says",
        reference: RHINO,
        passed_to: &["cloudformation.amazonaws.com"],
    },
    Path {
        name: "iam:PassRole + cloudformation:UpdateStack",
        actions: &["iam:PassRole", "cloudformation:UpdateStack"],
        how: "update a stack with a privileged service role",
        reference: PATHFINDING,
        passed_to: &["cloudformation.amazonaws.com"],
    },
    Path {
        name: "iam:PassRole + cloudformation:CreateChangeSet + cloudformation:ExecuteChangeSet",
        actions: &[
            "iam:PassRole",
            "cloudformation:CreateChangeSet",
            "cloudformation:ExecuteChangeSet",
        ],
        how: "deploy a change set with a privileged service role",
        reference: PATHFINDING,
        passed_to: &["cloudformation.amazonaws.com"],
    },
    Path {
        name: "iam:PassRole + datapipeline:CreatePipeline + datapipeline:PutPipelineDefinition",
        actions: &[
            "iam:PassRole",
            "datapipeline:CreatePipeline",
            "datapipeline:PutPipelineDefinition",
        ],
        how: "run a Data Pipeline activity with a privileged role",
        reference: RHINO,
        passed_to: &[
            "datapipeline.amazonaws.com",
            "elasticmapreduce.amazonaws.com",
        ],
    },
    Path {
        name: "iam:PassRole + codebuild:CreateProject + codebuild:StartBuild",
        actions: &[
            "iam:PassRole",
            "codebuild:CreateProject",
            "codebuild:StartBuild",
        ],
        how: "create and run a CodeBuild project with a privileged service role",
        reference: PATHFINDING,
        passed_to: &["codebuild.amazonaws.com"],
    },
    Path {
        name: "codebuild:StartBuild",
        actions: &["codebuild:StartBuild"],
        how: "start any existing project with a buildspec override that runs under its service role",
        reference: PATHFINDING,
        passed_to: &[],
    },
    Path {
        name: "iam:PassRole + sagemaker:CreateNotebookInstance + sagemaker:CreatePresignedNotebookInstanceUrl",
        actions: &[
            "iam:PassRole",
            "sagemaker:CreateNotebookInstance",
            "sagemaker:CreatePresignedNotebookInstanceUrl",
        ],
        how: "create a notebook instance with a privileged role and open it",
        reference: PATHFINDING,
        passed_to: &["sagemaker.amazonaws.com"],
    },
    Path {
        name: "sagemaker:CreatePresignedNotebookInstanceUrl",
        actions: &["sagemaker:CreatePresignedNotebookInstanceUrl"],
        how: "open an existing notebook instance and use its role",
        reference: PATHFINDING,
        passed_to: &[],
    },
    Path {
        name: "iam:PassRole + sagemaker:CreateTrainingJob",
        actions: &["iam:PassRole", "sagemaker:CreateTrainingJob"],
        how: "run a training job container under a privileged role",
        reference: PATHFINDING,
        passed_to: &["sagemaker.amazonaws.com"],
    },
    Path {
        name: "iam:PassRole + sagemaker:CreateProcessingJob",
        actions: &["iam:PassRole", "sagemaker:CreateProcessingJob"],
        how: "run a processing job container under a privileged role",
        reference: PATHFINDING,
        passed_to: &["sagemaker.amazonaws.com"],
    },
    Path {
        name: "iam:PassRole + ecs:RegisterTaskDefinition + ecs:RunTask",
        actions: &["iam:PassRole", "ecs:RegisterTaskDefinition", "ecs:RunTask"],
        how: "register a task definition with a privileged task role and run it",
        reference: PATHFINDING,
        passed_to: &["ecs-tasks.amazonaws.com"],
    },
    Path {
        name: "iam:PassRole + ecs:RegisterTaskDefinition + ecs:CreateService",
        actions: &[
            "iam:PassRole",
            "ecs:RegisterTaskDefinition",
            "ecs:CreateService",
        ],
        how: "register a task definition with a privileged task role and run it as a service",
        reference: PATHFINDING,
        passed_to: &["ecs-tasks.amazonaws.com"],
    },
    Path {
        name: "iam:PassRole + ecs:RegisterTaskDefinition + ecs:StartTask",
        actions: &[
            "iam:PassRole",
            "ecs:RegisterTaskDefinition",
            "ecs:StartTask",
        ],
        how: "register a task definition with a privileged task role and start it",
        reference: PATHFINDING,
        passed_to: &["ecs-tasks.amazonaws.com"],
    },
    Path {
        name: "ecs:ExecuteCommand",
        actions: &["ecs:ExecuteCommand"],
        how: "open a shell in any running task and use its task role",
        reference: PATHFINDING,
        passed_to: &[],
    },
    Path {
        name: "iam:PassRole + states:CreateStateMachine + states:StartExecution",
        actions: &[
            "iam:PassRole",
            "states:CreateStateMachine",
            "states:StartExecution",
        ],
        how: "run a state machine under a privileged role that calls any AWS API",
        reference: PATHFINDING,
        passed_to: &["states.amazonaws.com"],
    },
    Path {
        name: "iam:PassRole + apprunner:CreateService",
        actions: &["iam:PassRole", "apprunner:CreateService"],
        how: "run a container service with a privileged instance role",
        reference: PATHFINDING,
        passed_to: &[
            "build.apprunner.amazonaws.com",
            "tasks.apprunner.amazonaws.com",
        ],
    },
    Path {
        name: "iam:PassRole + batch:RegisterJobDefinition + batch:SubmitJob",
        actions: &[
            "iam:PassRole",
            "batch:RegisterJobDefinition",
            "batch:SubmitJob",
        ],
        how: "run a Batch job container under a privileged job role",
        reference: PATHFINDING,
        passed_to: &["batch.amazonaws.com", "ecs-tasks.amazonaws.com"],
    },
    Path {
        name: "iam:PassRole + ecs:RunTask",
        actions: &["iam:PassRole", "ecs:RunTask"],
        how: "run an existing task definition with overrides that set a privileged task role and the container's command",
        reference: PATHFINDING,
        passed_to: &["ecs-tasks.amazonaws.com"],
    },
    Path {
        name: "iam:PassRole + ec2:CreateLaunchTemplate + autoscaling:CreateAutoScalingGroup",
        actions: &[
            "iam:PassRole",
            "ec2:CreateLaunchTemplate",
            "autoscaling:CreateAutoScalingGroup",
        ],
        how: "make a launch template with a privileged instance profile and let an Auto Scaling group start instances from it",
        reference: PATHFINDING,
        passed_to: &["ec2.amazonaws.com"],
    },
    Path {
        name: "iam:PassRole + glue:CreateSession + glue:RunStatement",
        actions: &["iam:PassRole", "glue:CreateSession", "glue:RunStatement"],
        how: "open a Glue interactive session with a privileged role and run code in it",
        reference: PATHFINDING,
        passed_to: &["glue.amazonaws.com"],
    },
    Path {
        name: "iam:PassRole + ssm:StartAutomationExecution",
        actions: &["iam:PassRole", "ssm:StartAutomationExecution"],
        how: "run an Automation runbook whose AutomationAssumeRole is a privileged role",
        reference: PATHFINDING,
        passed_to: &["ssm.amazonaws.com"],
    },
    Path {
        name: "codebuild:StartBuildBatch",
        actions: &["codebuild:StartBuildBatch"],
        how: "start a batch build of an existing project with a buildspec override that runs as the project's service role",
        reference: PATHFINDING,
        passed_to: &[],
    },
    Path {
        name: "iam:PassRole + codebuild:CreateProject + codebuild:StartBuildBatch",
        actions: &[
            "iam:PassRole",
            "codebuild:CreateProject",
            "codebuild:StartBuildBatch",
        ],
        how: "create a build project with a privileged service role and run a batch build in it",
        reference: PATHFINDING,
        passed_to: &["codebuild.amazonaws.com"],
    },
    Path {
        name: "iam:PassRole + sagemaker:CreateHyperParameterTuningJob",
        actions: &["iam:PassRole", "sagemaker:CreateHyperParameterTuningJob"],
        how: "start training containers of your choice under a privileged execution role",
        reference: PATHFINDING,
        passed_to: &["sagemaker.amazonaws.com"],
    },
    Path {
        name: "iam:PassRole + bedrock-agentcore:CreateCodeInterpreter + bedrock-agentcore:StartCodeInterpreterSession + bedrock-agentcore:InvokeCodeInterpreter",
        actions: &[
            "iam:PassRole",
            "bedrock-agentcore:CreateCodeInterpreter",
            "bedrock-agentcore:StartCodeInterpreterSession",
            "bedrock-agentcore:InvokeCodeInterpreter",
        ],
        how: "create an AgentCore code interpreter with a privileged execution role and run code in it",
        reference: PATHFINDING,
        passed_to: &["bedrock-agentcore.amazonaws.com"],
    },
    Path {
        name: "iam:PassRole + elasticmapreduce:RunJobFlow",
        actions: &["iam:PassRole", "elasticmapreduce:RunJobFlow"],
        how: "start an EMR cluster whose instances run with a privileged instance profile",
        reference: PATHFINDING,
        passed_to: &["elasticmapreduce.amazonaws.com", "ec2.amazonaws.com"],
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::actions;

    #[test]
    fn every_action_of_every_path_is_in_the_catalog() {
        for p in PATHS {
            for a in p.actions {
                assert!(
                    actions::lookup(a).is_some(),
                    "{} names unknown action {a}",
                    p.name
                );
            }
            assert_eq!(p.name, p.actions.join(" + "), "name of {}", p.name);
        }
    }

    #[test]
    fn iam_only_paths() {
        assert!(PATHS[0].iam_only());
        assert!(
            !PATHS
                .iter()
                .find(|p| p.name.contains("ec2:RunInstances"))
                .is_some_and(Path::iam_only)
        );
    }
}
