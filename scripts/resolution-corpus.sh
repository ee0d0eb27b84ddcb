#!/bin/sh
# Measures trust resolution on the public repositories the README's "Resolution on public code"
# figures come from. Check them out (any recent snapshot; the figures name the date) as
# sub-directories of CORPUS, named after the repository (`terraform-aws-iam`, ...), then:
#
#   scripts/resolution-corpus.sh CORPUS            # as is
#   scripts/resolution-corpus.sh CORPUS --ci       # with the values a CI run would pass
#
# "As is" gives every root only what the repository holds (terraform.tfvars, *.auto.tfvars,
# defaults). "--ci" adds what a CI job passes where a root has no value of its own: the three
# CloudFormation parameters without defaults whose trust needs one, SRA's
# management_account_id, the fixtures file of terraform-aws-iam-role's example, and the four
# plain string variables of terraform-aws-components' deprecated kops and CIS components.
# Extra arguments after CORPUS (and --ci) go to scripts/measure-resolution.py (`--json`).
set -eu
corpus=${1:?usage: resolution-corpus.sh CORPUS [--ci] [measure-resolution.py options]}
shift
ci=false
if [ "${1:-}" = "--ci" ]; then
    ci=true
    shift
fi
here=$(cd "$(dirname "$0")" && pwd)
cd "$corpus"
terraform="terraform-aws-iam terraform-aws-eks terraform-aws-lambda terraform-aws-ecs
terraform-aws-step-functions terraform-aws-batch terraform-aws-eventbridge terraform-aws-rds
terraform-aws-vpc terraform-aws-atlantis terraform-aws-control_tower_account_factory
terraform-aws-eks-blueprints-addons"
if $ci; then
    set -- "$@" \
        'aws-security-reference-architecture-examples@--var=management_account_id=111111111111,--parameter=pManagementAccountId=111111111111' \
        'aws-cloudformation-templates@--parameter=PeerOwnerIds=111111111111' \
        'serverless-patterns@--parameter=SourceAWSAcctId=111111111111' \
        'terraform-aws-iam-role@--var-file=terraform-aws-iam-role/examples/complete/fixtures.us-east-2.tfvars' \
        'terraform-aws-components@--var=kops_cluster_name=k8s.example.com,--var=administrator_role_arn=arn:aws:iam::111111111111:role/admin,--var=region=us-east-1,--var=cluster_name=k8s.example.com'
else
    set -- "$@" aws-security-reference-architecture-examples aws-cloudformation-templates \
        terraform-aws-iam-role terraform-aws-components serverless-patterns
fi
# shellcheck disable=SC2086
exec python3 "$here/measure-resolution.py" "$@" $terraform aws-sam-cli-app-templates
