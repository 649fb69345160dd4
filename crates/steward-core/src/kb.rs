//! The help desk's knowledge: troubleshooting articles (per language, tied to failure codes
//! and alert rule types), the catalog of enrollment failure reasons and app-install error
//! codes with a plain-language explanation and the article that fixes them, and what the help
//! desk's feedback says about each article.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use steward_proto::Platform;

use crate::awareness::in_language;
use crate::Lang;

/// A troubleshooting article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Article {
    pub id: String,
    /// Stable short name (`enrollment-token-invalid`), used in links from failure codes.
    pub slug: String,
    /// Title per language; `default_language` must be present.
    pub title: BTreeMap<Lang, String>,
    /// Markdown body per language.
    pub body: BTreeMap<Lang, String>,
    pub default_language: Lang,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Failure reasons and error codes it resolves (`token_expired`, `0x80070643`).
    #[serde(default)]
    pub codes: Vec<String>,
    /// Alert rule types (`realtime_protection_off`) or rule ids it helps with.
    #[serde(default)]
    pub rules: Vec<String>,
    #[serde(default)]
    pub owner: String,
    /// Milliseconds since the epoch.
    pub last_reviewed_at: i64,
    pub updated_at: i64,
    /// 1 for a new article, one more for every change.
    pub revision: u32,
}

impl Article {
    pub fn title(&self, lang: Lang) -> &str {
        in_language(&self.title, lang, self.default_language)
    }

    pub fn body(&self, lang: Lang) -> &str {
        in_language(&self.body, lang, self.default_language)
    }

    pub fn validate(&self) -> Result<(), &'static str> {
        let slug_ok = !self.slug.is_empty()
            && self.slug.chars().count() <= 100
            && self
                .slug
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !slug_ok {
            return Err("slug");
        }
        if self
            .title
            .get(&self.default_language)
            .is_none_or(|t| steward_proto::text::is_blank(t))
            || self.title.values().any(|t| t.chars().count() > 300)
        {
            return Err("title");
        }
        if self.body.values().any(|b| b.chars().count() > 100_000) {
            return Err("body");
        }
        let short =
            |v: &Vec<String>| v.len() <= 50 && v.iter().all(|s| !s.is_empty() && s.len() <= 100);
        if !short(&self.tags) || !short(&self.codes) || !short(&self.rules) {
            return Err("tags");
        }
        Ok(())
    }

    /// What other pages need of it.
    pub fn link(&self) -> ArticleLink {
        ArticleLink {
            id: self.id.clone(),
            slug: self.slug.clone(),
            title: self.title.clone(),
            default_language: self.default_language,
            codes: self.codes.clone(),
            rules: self.rules.clone(),
        }
    }
}

/// What pages showing failures and alerts need of an article: how to link to it and what it
/// covers (kept in memory for every article, without the bodies).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ArticleLink {
    pub id: String,
    pub slug: String,
    pub title: BTreeMap<Lang, String>,
    pub default_language: Lang,
    pub codes: Vec<String>,
    pub rules: Vec<String>,
}

impl ArticleLink {
    pub fn title(&self, lang: Lang) -> &str {
        in_language(&self.title, lang, self.default_language)
    }

    /// Whether the article is about this failure code (codes compare case-insensitively:
    /// `0x80070643` is `0X80070643`).
    pub fn covers_code(&self, code: &str) -> bool {
        self.codes.iter().any(|c| c.eq_ignore_ascii_case(code))
    }

    /// Whether the article helps with alerts of a rule (by its id or its type).
    pub fn covers_rule(&self, rule_id: &str, rule_type: &str) -> bool {
        self.rules.iter().any(|r| r == rule_id || r == rule_type)
    }
}

/// The article for a failure code among `links`: one naming the code, else the catalog's.
pub fn article_for_code<'a>(links: &'a [ArticleLink], code: &str) -> Option<&'a ArticleLink> {
    links.iter().find(|a| a.covers_code(code)).or_else(|| {
        let slug = failure_reason(code)?.article;
        links.iter().find(|a| a.slug == slug)
    })
}

/// Where a failure code comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    Enrollment,
    AppInstall,
}

/// A known failure code: what it means (a catalog message) and the article that fixes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FailureReason {
    pub code: &'static str,
    pub kind: FailureKind,
    /// The platform whose code it is; `None` for Steward's own codes.
    pub platform: Option<Platform>,
    /// Catalog key of the plain-language explanation.
    pub explanation: &'static str,
    /// Slug of the troubleshooting article.
    pub article: &'static str,
}

const fn reason(
    code: &'static str,
    kind: FailureKind,
    platform: Option<Platform>,
    explanation: &'static str,
    article: &'static str,
) -> FailureReason {
    FailureReason {
        code,
        kind,
        platform,
        explanation,
        article,
    }
}

use FailureKind::{AppInstall, Enrollment};

/// Steward's enrollment failure reasons, its app-install error codes, and the well-known
/// Windows / Intune codes of the platforms the agent and simulator report.
pub const FAILURE_REASONS: [FailureReason; 34] = [
    reason(
        "unknown_token",
        Enrollment,
        None,
        "reason-unknown-token",
        "enrollment-token-invalid",
    ),
    reason(
        "token_expired",
        Enrollment,
        None,
        "reason-token-expired",
        "enrollment-token-invalid",
    ),
    reason(
        "token_revoked",
        Enrollment,
        None,
        "reason-token-revoked",
        "enrollment-token-invalid",
    ),
    reason(
        "token_exhausted",
        Enrollment,
        None,
        "reason-token-exhausted",
        "too-many-devices",
    ),
    reason(
        "platform_not_allowed",
        Enrollment,
        None,
        "reason-platform-not-allowed",
        "blocked-platform",
    ),
    reason(
        "duplicate_device",
        Enrollment,
        None,
        "reason-duplicate-device",
        "already-enrolled",
    ),
    reason(
        "malformed_request",
        Enrollment,
        None,
        "reason-malformed-request",
        "enrollment-token-invalid",
    ),
    reason(
        "0x80180014",
        Enrollment,
        Some(Platform::Windows),
        "reason-win-mdm-blocked",
        "blocked-platform",
    ),
    reason(
        "0x801c000e",
        Enrollment,
        Some(Platform::Windows),
        "reason-win-device-quota",
        "too-many-devices",
    ),
    reason(
        "0x80180018",
        Enrollment,
        Some(Platform::Windows),
        "reason-win-license",
        "enrollment-token-invalid",
    ),
    reason(
        "download_failed",
        AppInstall,
        None,
        "reason-app-download-failed",
        "app-install-failed",
    ),
    reason(
        "checksum_mismatch",
        AppInstall,
        None,
        "reason-app-checksum",
        "app-install-failed",
    ),
    reason(
        "disk_full",
        AppInstall,
        None,
        "reason-app-disk-full",
        "app-install-failed",
    ),
    reason(
        "not_detected",
        AppInstall,
        None,
        "reason-app-not-detected",
        "app-install-failed",
    ),
    reason(
        "0x80070643",
        AppInstall,
        Some(Platform::Windows),
        "reason-win-1603",
        "app-install-failed",
    ),
    reason(
        "0x80070652",
        AppInstall,
        Some(Platform::Windows),
        "reason-win-1618",
        "app-install-failed",
    ),
    reason(
        "0x80070666",
        AppInstall,
        Some(Platform::Windows),
        "reason-win-1638",
        "app-install-failed",
    ),
    reason(
        "0x80070070",
        AppInstall,
        Some(Platform::Windows),
        "reason-win-disk-full",
        "app-install-failed",
    ),
    reason(
        "0x80073cf9",
        AppInstall,
        Some(Platform::Windows),
        "reason-win-appx-failed",
        "app-install-failed",
    ),
    reason(
        "0x87d1041c",
        AppInstall,
        Some(Platform::Windows),
        "reason-intune-not-detected",
        "app-install-failed",
    ),
    reason(
        "0x87d12906",
        AppInstall,
        Some(Platform::Ios),
        "reason-ios-install-command",
        "app-install-failed",
    ),
    reason(
        "0x87d1313c",
        AppInstall,
        Some(Platform::Ios),
        "reason-ios-network-lost",
        "app-install-failed",
    ),
    reason(
        "timeout",
        AppInstall,
        None,
        "reason-app-timeout",
        "app-install-failed",
    ),
    reason(
        "dependency_missing",
        AppInstall,
        None,
        "reason-app-dependency",
        "app-install-failed",
    ),
    reason(
        "script_failed",
        AppInstall,
        None,
        "reason-app-script-failed",
        "app-install-failed",
    ),
    reason(
        "package_manager_busy",
        AppInstall,
        None,
        "reason-app-busy",
        "app-install-failed",
    ),
    reason(
        "bad_package",
        AppInstall,
        None,
        "reason-app-bad-package",
        "app-install-failed",
    ),
    reason(
        "wrong_architecture",
        AppInstall,
        None,
        "reason-app-architecture",
        "app-install-failed",
    ),
    reason(
        "not_root",
        AppInstall,
        None,
        "reason-app-not-root",
        "app-install-failed",
    ),
    reason(
        "package_not_found",
        AppInstall,
        None,
        "reason-app-package-not-found",
        "app-install-failed",
    ),
    reason(
        "install_failed",
        AppInstall,
        None,
        "reason-app-install-failed",
        "app-install-failed",
    ),
    reason(
        "no_answer",
        AppInstall,
        None,
        "reason-app-no-answer",
        "app-install-failed",
    ),
    reason(
        "inventory_disagrees",
        AppInstall,
        None,
        "reason-app-inventory",
        "app-install-failed",
    ),
    reason(
        "wrong_platform",
        AppInstall,
        None,
        "reason-app-wrong-platform",
        "app-install-failed",
    ),
];

/// The catalog entry of a code, if it is a known one (case-insensitive).
pub fn failure_reason(code: &str) -> Option<&'static FailureReason> {
    FAILURE_REASONS
        .iter()
        .find(|r| r.code.eq_ignore_ascii_case(code))
}

/// How an article fares in the help desk's feedback.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ArticleScore {
    pub solved: u64,
    pub not_solved: u64,
}

impl ArticleScore {
    pub fn total(&self) -> u64 {
        self.solved + self.not_solved
    }

    /// Solved share in percent, once there is feedback.
    pub fn success_percent(&self) -> Option<u64> {
        (self.total() > 0).then(|| self.solved * 100 / self.total())
    }

    /// Fewer than half of at least `min_votes` cases solved.
    pub fn is_low(&self, min_votes: u64) -> bool {
        self.total() >= min_votes.max(1) && self.solved * 2 < self.total()
    }
}

/// Something the operator should look at: an article that rarely solves cases, or a frequent
/// failure reason without an article that works.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Gap {
    LowSuccess {
        article_id: String,
        slug: String,
        score: ArticleScore,
    },
    NoArticle {
        code: String,
        failures: u64,
    },
    ArticleNotHelping {
        code: String,
        failures: u64,
        slug: String,
        score: ArticleScore,
    },
}

/// The gaps among `articles` given their feedback and the failure codes seen recently
/// (`failures`: code → count), most frequent first. A code is frequent from `min_failures`.
pub fn gaps(
    articles: &[ArticleLink],
    scores: &BTreeMap<String, ArticleScore>,
    failures: &BTreeMap<String, u64>,
    min_votes: u64,
    min_failures: u64,
) -> Vec<Gap> {
    let score = |a: &ArticleLink| scores.get(&a.id).cloned().unwrap_or_default();
    let mut out: Vec<Gap> = articles
        .iter()
        .filter(|a| score(a).is_low(min_votes))
        .map(|a| Gap::LowSuccess {
            article_id: a.id.clone(),
            slug: a.slug.clone(),
            score: score(a),
        })
        .collect();
    let mut frequent: Vec<(&String, &u64)> = failures
        .iter()
        .filter(|(code, n)| **n >= min_failures.max(1) && code.as_str() != "success")
        .collect();
    frequent.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (code, n) in frequent {
        match article_for_code(articles, code) {
            None => out.push(Gap::NoArticle {
                code: code.clone(),
                failures: *n,
            }),
            Some(a) if score(a).is_low(min_votes) => out.push(Gap::ArticleNotHelping {
                code: code.clone(),
                failures: *n,
                slug: a.slug.clone(),
                score: score(a),
            }),
            Some(_) => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(slug: &str, codes: &[&str]) -> Article {
        Article {
            id: format!("id-{slug}"),
            slug: slug.into(),
            title: [(Lang::En, slug.to_string())].into(),
            body: BTreeMap::new(),
            default_language: Lang::En,
            tags: Vec::new(),
            codes: codes.iter().map(|c| c.to_string()).collect(),
            rules: Vec::new(),
            owner: String::new(),
            last_reviewed_at: 0,
            updated_at: 0,
            revision: 1,
        }
    }

    #[test]
    fn every_catalog_code_is_unique_lowercase_and_points_at_a_slug() {
        let mut seen = std::collections::HashSet::new();
        for r in FAILURE_REASONS {
            assert!(seen.insert(r.code), "{} twice", r.code);
            assert_eq!(r.code, r.code.to_ascii_lowercase());
            assert!(!r.article.is_empty());
        }
        assert_eq!(
            failure_reason("0X80070643").map(|r| r.article),
            Some("app-install-failed")
        );
        assert!(failure_reason("0xdeadbeef").is_none());
    }

    #[test]
    fn validation_refuses_bad_slugs_and_missing_default_titles() {
        let mut a = article("silent-device", &[]);
        assert_eq!(a.validate(), Ok(()));
        a.slug = "Device Not".into();
        assert_eq!(a.validate(), Err("slug"));
        a.slug = "ok".into();
        a.default_language = Lang::Fr;
        assert_eq!(a.validate(), Err("title"));
    }

    #[test]
    fn gaps_name_low_success_articles_and_frequent_codes_without_a_working_article() {
        let token = article("enrollment-token-invalid", &["unknown_token"]);
        let apps = article("app-install-failed", &[]);
        let scores: BTreeMap<String, ArticleScore> = [
            (
                token.id.clone(),
                ArticleScore {
                    solved: 1,
                    not_solved: 4,
                },
            ),
            (
                apps.id.clone(),
                ArticleScore {
                    solved: 5,
                    not_solved: 1,
                },
            ),
        ]
        .into();
        let failures: BTreeMap<String, u64> = [
            ("unknown_token".to_string(), 40),
            ("0x80070643".to_string(), 30),
            ("weird_code".to_string(), 20),
            ("rare_code".to_string(), 1),
            ("success".to_string(), 900),
        ]
        .into();
        let g = gaps(&[token.link(), apps.link()], &scores, &failures, 5, 5);
        assert_eq!(
            g,
            vec![
                Gap::LowSuccess {
                    article_id: token.id.clone(),
                    slug: token.slug.clone(),
                    score: ArticleScore {
                        solved: 1,
                        not_solved: 4
                    },
                },
                Gap::ArticleNotHelping {
                    code: "unknown_token".into(),
                    failures: 40,
                    slug: token.slug.clone(),
                    score: ArticleScore {
                        solved: 1,
                        not_solved: 4
                    },
                },
                // 0x80070643 reaches the app article through the catalog, and it helps.
                Gap::NoArticle {
                    code: "weird_code".into(),
                    failures: 20,
                },
            ]
        );
        assert!(
            ArticleScore {
                solved: 2,
                not_solved: 2
            }
            .success_percent()
                == Some(50)
        );
        assert!(
            !ArticleScore {
                solved: 0,
                not_solved: 4
            }
            .is_low(5),
            "too few votes"
        );
    }
}
