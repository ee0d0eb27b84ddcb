//! Principal classification: what a principal string denotes (anyone, an account and the kind of
//! identity in it, a service, a federated identity provider), and how the account relates to the
//! user's organisation (this account, trusted by the config, a known vendor, unknown).

use crate::iam::model::{Principal, PrincipalType};
use crate::value::SELF_ACCOUNT;

/// What kind of identity an AWS principal ARN names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IdentityKind {
    /// A bare account id or `arn:...:root`: every identity in the account that its own policies
    /// allow.
    Root,
    Role,
    User,
    AssumedRole,
    FederatedUser,
    Group,
    Other,
}

/// A federated identity provider, by what its tokens mean.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    GithubActions,
    EksIrsa,
    Cognito,
    Gitlab,
    TerraformCloud,
    Circleci,
    Bitbucket,
    Buildkite,
    Google,
    Facebook,
    Amazon,
    Saml,
    /// Another OIDC provider.
    Oidc,
}

impl Provider {
    /// The rule-file name of the provider.
    pub fn id(self) -> &'static str {
        match self {
            Provider::GithubActions => "github",
            Provider::EksIrsa => "eks",
            Provider::Cognito => "cognito",
            Provider::Gitlab => "gitlab",
            Provider::TerraformCloud => "terraform_cloud",
            Provider::Circleci => "circleci",
            Provider::Bitbucket => "bitbucket",
            Provider::Buildkite => "buildkite",
            Provider::Google => "google",
            Provider::Facebook => "facebook",
            Provider::Amazon => "amazon",
            Provider::Saml => "saml",
            Provider::Oidc => "oidc",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Provider::GithubActions => "GitHub Actions OIDC",
            Provider::EksIrsa => "EKS IRSA (OIDC)",
            Provider::Cognito => "Cognito identity pools",
            Provider::Gitlab => "GitLab CI OIDC",
            Provider::TerraformCloud => "Terraform Cloud OIDC",
            Provider::Circleci => "CircleCI OIDC",
            Provider::Bitbucket => "Bitbucket Pipelines OIDC",
            Provider::Buildkite => "Buildkite OIDC",
            Provider::Google => "Google",
            Provider::Facebook => "Facebook",
            Provider::Amazon => "Login with Amazon",
            Provider::Saml => "SAML",
            Provider::Oidc => "OIDC",
        }
    }

    /// The host part used as the prefix of its condition keys (`token.actions.githubusercontent.com:sub`).
    pub fn all() -> &'static [Provider] {
        &[
            Provider::GithubActions,
            Provider::EksIrsa,
            Provider::Cognito,
            Provider::Gitlab,
            Provider::TerraformCloud,
            Provider::Circleci,
            Provider::Bitbucket,
            Provider::Buildkite,
            Provider::Google,
            Provider::Facebook,
            Provider::Amazon,
            Provider::Saml,
            Provider::Oidc,
        ]
    }
}

/// What a principal denotes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Class {
    /// `"*"` or `{"AWS": "*"}`: every AWS principal in every account (and anonymous callers of
    /// resource policies).
    Any,
    /// An identity in an account. `account` is the 12-digit id, `SELF_ACCOUNT`, or `*` when the
    /// ARN has a wildcard account.
    Account {
        account: String,
        kind: IdentityKind,
        partition: String,
    },
    /// An AWS service principal such as `lambda.amazonaws.com`.
    Service {
        name: String,
        wildcard: bool,
    },
    /// A federated identity provider. `issuer` is the provider URL without scheme (or the SAML
    /// provider ARN), used as the prefix of its condition keys.
    Federated {
        provider: Provider,
        issuer: String,
        account: Option<String>,
    },
    CanonicalUser,
    /// The value could not be resolved.
    Unresolved,
    /// The value is not a principal IAM accepts; the string says why.
    Invalid(String),
}

/// Classifies one principal entry.
pub fn classify(p: &Principal) -> Class {
    let Some(v) = p.value.get() else {
        return match p.value.unknown() {
            Some(u) if p.ty == PrincipalType::Federated => {
                crate::iam::federation::partial_provider(u).unwrap_or(Class::Unresolved)
            }
            _ => Class::Unresolved,
        };
    };
    let v = v.trim();
    match p.ty {
        PrincipalType::Wildcard => Class::Any,
        PrincipalType::Aws => classify_aws(v),
        PrincipalType::Service => {
            if v == "*" {
                Class::Service {
                    name: v.into(),
                    wildcard: true,
                }
            } else {
                // A regional service principal in the deployment's region
                // (`states.(this-region).amazonaws.com`) is the service's principal.
                let marker = format!(".{}.", crate::value::SELF_REGION);
                let v = v.replacen(&marker, ".", 1);
                Class::Service {
                    name: v.to_string(),
                    wildcard: v.contains('*') || v.contains('?'),
                }
            }
        }
        PrincipalType::Federated => classify_federated(v),
        PrincipalType::CanonicalUser => Class::CanonicalUser,
        PrincipalType::Other => {
            if v == "*" {
                Class::Any
            } else {
                Class::Invalid(format!(
                    "`{v}` is not a valid principal: use \"*\" or a typed principal such as {{\"AWS\": ...}}"
                ))
            }
        }
    }
}

/// True for a 12-digit account id.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn classify_aws(v: &str) -> Class {
    if v == "*" {
        return Class::Any;
    }
    if is_account_id(v) || v == SELF_ACCOUNT {
        return Class::Account {
            account: v.to_string(),
            kind: IdentityKind::Root,
            partition: "aws".into(),
        };
    }
    let Some(rest) = v.strip_prefix("arn:") else {
        // A unique id (AROA..., AIDA...) is what IAM shows after the role behind an ARN was
        // deleted: it names an identity that no longer exists.
        if v.len() == 21 && (v.starts_with("AROA") || v.starts_with("AIDA")) {
            return Class::Invalid(format!(
                "`{v}` is a unique id: IAM shows one when the principal it named was deleted"
            ));
        }
        return Class::Invalid(format!("`{v}` is neither an account id, an ARN nor \"*\""));
    };
    let parts: Vec<&str> = rest.splitn(5, ':').collect();
    if parts.len() < 5 {
        return Class::Invalid(format!("`{v}` is not a valid ARN"));
    }
    let (partition, service, account, resource) = (parts[0], parts[1], parts[3], parts[4]);
    if service != "iam" && service != "sts" {
        return Class::Invalid(format!(
            "`{v}` is not an IAM principal ARN (service `{service}`)"
        ));
    }
    if !(is_account_id(account) || account == SELF_ACCOUNT || account == "*") {
        return Class::Invalid(format!("`{account}` in `{v}` is not a 12-digit account id"));
    }
    let kind = if resource == "root" {
        IdentityKind::Root
    } else if let Some(r) = resource.split_once('/').map(|(t, _)| t) {
        match (service, r) {
            ("iam", "role") => IdentityKind::Role,
            ("iam", "user") => IdentityKind::User,
            ("iam", "group") => IdentityKind::Group,
            ("sts", "assumed-role") => IdentityKind::AssumedRole,
            ("sts", "federated-user") => IdentityKind::FederatedUser,
            _ => IdentityKind::Other,
        }
    } else {
        IdentityKind::Other
    };
    Class::Account {
        account: account.to_string(),
        kind,
        partition: partition.to_string(),
    }
}

fn classify_federated(v: &str) -> Class {
    // Federated principals are an OIDC/SAML provider ARN or a well-known public provider host.
    let (issuer, account, saml) = match v.strip_prefix("arn:") {
        Some(rest) => {
            let parts: Vec<&str> = rest.splitn(5, ':').collect();
            if parts.len() < 5 {
                return Class::Invalid(format!("`{v}` is not a valid ARN"));
            }
            let resource = parts[4];
            if let Some(host) = resource.strip_prefix("oidc-provider/") {
                (host.to_string(), Some(parts[3].to_string()), false)
            } else if resource.starts_with("saml-provider/") {
                (v.to_string(), Some(parts[3].to_string()), true)
            } else {
                return Class::Invalid(format!(
                    "`{v}` is neither an oidc-provider nor a saml-provider ARN"
                ));
            }
        }
        None => (v.to_string(), None, false),
    };
    let host = issuer.trim_start_matches("https://").to_string();
    let lower = host.to_ascii_lowercase();
    let provider = if saml {
        Provider::Saml
    } else if lower == "token.actions.githubusercontent.com"
        || lower.starts_with("token.actions.githubusercontent.com/")
    {
        Provider::GithubActions
    } else if lower.starts_with("oidc.eks.") && lower.contains(".amazonaws.com/id/") {
        Provider::EksIrsa
    } else if lower == "cognito-identity.amazonaws.com" {
        Provider::Cognito
    } else if lower.starts_with("gitlab.") || lower.contains("gitlab") {
        Provider::Gitlab
    } else if lower == "app.terraform.io" || lower.contains("terraform") {
        Provider::TerraformCloud
    } else if lower.starts_with("oidc.circleci.com") {
        Provider::Circleci
    } else if lower.starts_with("api.bitbucket.org") {
        Provider::Bitbucket
    } else if lower == "agent.buildkite.com" {
        Provider::Buildkite
    } else if lower == "accounts.google.com" {
        Provider::Google
    } else if lower == "graph.facebook.com" {
        Provider::Facebook
    } else if lower == "www.amazon.com" {
        Provider::Amazon
    } else {
        Provider::Oidc
    };
    Class::Federated {
        provider,
        issuer: host,
        account,
    }
}

/// How an account relates to the user's estate.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Relation {
    /// The account the code is deployed into.
    #[serde(rename = "self")]
    SelfAccount,
    /// Listed in the config's trusted_accounts.
    Trusted,
    /// A known vendor's or AWS service's account (shared data).
    Vendor,
    /// Any other account.
    Unknown,
    /// Every account.
    Any,
}

impl Relation {
    pub fn id(&self) -> &'static str {
        match self {
            Relation::SelfAccount => "self",
            Relation::Trusted => "trusted",
            Relation::Vendor => "vendor",
            Relation::Unknown => "unknown",
            Relation::Any => "any",
        }
    }
}

/// Who the user trusts, and the public list of vendor accounts.
pub trait Trust {
    /// The name the config gives a trusted account, or `Some("")` when listed without a name.
    fn trusted_account(&self, id: &str) -> Option<&str>;
    /// The vendor name of a known account.
    fn vendor(&self, id: &str) -> Option<&str>;
    /// True when the config lists the organization (`o-...`) as trusted.
    fn trusted_organization(&self, id: &str) -> bool;
}

/// The relation of an account id (or `*`) and its display label such as
/// `464622532012 (Datadog)`.
pub fn relate(account: &str, trust: &(dyn Trust + Sync)) -> (Relation, String) {
    if account == SELF_ACCOUNT {
        return (Relation::SelfAccount, "this account".into());
    }
    if account == "*" {
        return (Relation::Any, "any account (*)".into());
    }
    if let Some(name) = trust.trusted_account(account) {
        let label = if name.is_empty() {
            format!("{account} (trusted)")
        } else {
            format!("{account} ({name}, trusted)")
        };
        return (Relation::Trusted, label);
    }
    if let Some(vendor) = trust.vendor(account) {
        return (Relation::Vendor, format!("{account} ({vendor})"));
    }
    (Relation::Unknown, account.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::model::Str;
    use crate::span::Span;

    fn p(ty: PrincipalType, v: &str) -> Principal {
        Principal {
            ty,
            type_name: String::new(),
            value: Str::known(v, Span::default()),
        }
    }

    #[test]
    fn aws_principals() {
        assert_eq!(classify(&p(PrincipalType::Aws, "*")), Class::Any);
        assert_eq!(classify(&p(PrincipalType::Wildcard, "*")), Class::Any);
        assert!(matches!(
            classify(&p(PrincipalType::Aws, "arn:aws:iam::111122223333:role/ci")),
            Class::Account { account, kind: IdentityKind::Role, .. } if account == "111122223333"
        ));
        assert!(matches!(
            classify(&p(PrincipalType::Aws, "111122223333")),
            Class::Account {
                kind: IdentityKind::Root,
                ..
            }
        ));
        assert!(matches!(
            classify(&p(PrincipalType::Aws, "arn:aws:iam::*:role/x")),
            Class::Account { account, .. } if account == "*"
        ));
        assert!(matches!(
            classify(&p(PrincipalType::Aws, "arn:aws:iam::12345:root")),
            Class::Invalid(_)
        ));
    }

    #[test]
    fn federated_providers() {
        let gh = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com";
        assert!(matches!(
            classify(&p(PrincipalType::Federated, gh)),
            Class::Federated {
                provider: Provider::GithubActions,
                ..
            }
        ));
        let eks = "arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC";
        assert!(matches!(
            classify(&p(PrincipalType::Federated, eks)),
            Class::Federated {
                provider: Provider::EksIrsa,
                ..
            }
        ));
        assert!(matches!(
            classify(&p(
                PrincipalType::Federated,
                "cognito-identity.amazonaws.com"
            )),
            Class::Federated {
                provider: Provider::Cognito,
                ..
            }
        ));
        assert!(matches!(
            classify(&p(
                PrincipalType::Federated,
                "arn:aws:iam::111122223333:saml-provider/Okta"
            )),
            Class::Federated {
                provider: Provider::Saml,
                ..
            }
        ));
    }
}
