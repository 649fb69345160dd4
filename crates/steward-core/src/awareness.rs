//! Update awareness: message-center notices (service and feature updates), reading vendor
//! feeds into notices, the operational plan and its discovery questions, and the readiness
//! checks that say whether administrators and the help desk know about the changes. Pure: the
//! store keeps the data, the caller passes the time.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use steward_proto::Platform;

use crate::compliance::compare_versions;
use crate::Lang;

const DAY_MS: i64 = 86_400_000;

/// Microsoft 365 message center's categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    PreventOrFixIssues,
    PlanForChange,
    #[default]
    StayInformed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseStatus {
    #[default]
    Scheduled,
    RollingOut,
    Launched,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NoticeSeverity {
    #[default]
    Normal,
    High,
    Critical,
}

/// The tags a notice can carry.
pub const TAGS: [&str; 7] = [
    "feature_update",
    "major_update",
    "new_feature",
    "retirement",
    "admin_impact",
    "user_impact",
    "data_privacy",
];

/// A platform a notice affects, optionally only some OS versions of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlatformRange {
    pub platform: Platform,
    /// Inclusive.
    #[serde(default)]
    pub min_version: Option<String>,
    /// Exclusive: "below 15" is `max_version: "15"`.
    #[serde(default)]
    pub max_version: Option<String>,
}

impl PlatformRange {
    pub fn matches(&self, platform: Platform, version: &str) -> bool {
        use std::cmp::Ordering::*;
        platform == self.platform
            && self
                .min_version
                .as_deref()
                .is_none_or(|min| matches!(compare_versions(version, min), Some(Greater | Equal)))
            && self
                .max_version
                .as_deref()
                .is_none_or(|max| matches!(compare_versions(version, max), Some(Less)))
    }
}

/// A message-center notice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Notice {
    pub id: String,
    /// `manual`, or the feed it came from.
    pub source: String,
    /// The feed's own id of the entry (de-duplicates re-imports).
    pub source_id: Option<String>,
    /// Title per language; `default_language` must be present.
    pub title: BTreeMap<Lang, String>,
    /// Markdown body per language.
    pub body: BTreeMap<Lang, String>,
    pub default_language: Lang,
    pub category: Category,
    pub tags: Vec<String>,
    pub severity: NoticeSeverity,
    pub features: Vec<String>,
    pub platforms: Vec<PlatformRange>,
    /// Milliseconds since the epoch.
    pub act_by: Option<i64>,
    pub release_status: ReleaseStatus,
    /// A help-desk briefing: every help-desk member must acknowledge it.
    pub help_desk: bool,
    pub created_at: i64,
    pub updated_at: i64,
    /// Changed after it was first published.
    pub revised: bool,
}

/// A text written in several languages, in `lang` if it is there, else in `default`.
pub fn in_language(texts: &BTreeMap<Lang, String>, lang: Lang, default: Lang) -> &str {
    texts
        .get(&lang)
        .or_else(|| texts.get(&default))
        .map(String::as_str)
        .unwrap_or("")
}

impl Notice {
    pub fn title(&self, lang: Lang) -> &str {
        in_language(&self.title, lang, self.default_language)
    }

    pub fn body(&self, lang: Lang) -> &str {
        in_language(&self.body, lang, self.default_language)
    }

    pub fn has_tag(&self, tag: &str) -> bool {
        self.tags.iter().any(|t| t == tag)
    }

    /// Administrators must acknowledge it (readiness item 3).
    pub fn for_admins(&self) -> bool {
        self.has_tag("admin_impact") || self.has_tag("feature_update")
    }

    pub fn is_major(&self) -> bool {
        self.has_tag("major_update")
    }

    /// When everyone who must acknowledge it must have: the grace after it arrived, or its
    /// act-by date if that is sooner.
    pub fn due_at(&self, grace_days: u32) -> i64 {
        let grace = self.created_at + i64::from(grace_days) * DAY_MS;
        self.act_by.map_or(grace, |a| a.min(grace))
    }

    /// Refuses notices that cannot be shown; names the field.
    pub fn validate(&self) -> Result<(), &'static str> {
        if steward_proto::text::is_blank(self.title(self.default_language))
            || self.title.values().any(|t| t.chars().count() > 500)
        {
            return Err("title");
        }
        if self.body.values().any(|b| b.chars().count() > 100_000) {
            return Err("body");
        }
        if self.tags.iter().any(|t| !TAGS.contains(&t.as_str())) {
            return Err("tags");
        }
        if self
            .features
            .iter()
            .any(|f| steward_proto::text::is_blank(f) || f.chars().count() > 200)
        {
            return Err("features");
        }
        let bad_version = |v: &Option<String>| {
            v.as_deref()
                .is_some_and(|v| compare_versions(v, v).is_none())
        };
        if self
            .platforms
            .iter()
            .any(|p| bad_version(&p.min_version) || bad_version(&p.max_version))
        {
            return Err("platforms");
        }
        Ok(())
    }

    /// Whether the content people read changed (title, body, dates, impact), for "updated".
    pub fn content_differs(&self, other: &Notice) -> bool {
        self.title != other.title
            || self.body != other.body
            || self.act_by != other.act_by
            || self.release_status != other.release_status
            || self.tags != other.tags
            || self.platforms != other.platforms
    }
}

/// One entry of a vendor feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEntry {
    pub id: String,
    pub title: String,
    pub body: String,
    pub published: Option<i64>,
}

/// Reads an RSS, Atom or JSON Feed document.
pub fn parse_feed(bytes: &[u8]) -> Result<Vec<FeedEntry>, String> {
    let feed = feed_rs::parser::parse(bytes).map_err(|e| e.to_string())?;
    Ok(feed
        .entries
        .into_iter()
        .map(|e| FeedEntry {
            title: e.title.map(|t| t.content).unwrap_or_default(),
            body: e
                .summary
                .map(|s| s.content)
                .or_else(|| e.content.and_then(|c| c.body))
                .unwrap_or_default(),
            published: e.published.or(e.updated).map(|t| t.timestamp_millis()),
            id: e.id,
        })
        .filter(|e| !e.id.is_empty() && !e.title.trim().is_empty())
        .collect())
}

/// The operational plan: who the O&M team is, how it reports, who owns update awareness, and
/// the focus areas.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct OpsPlan {
    pub team: Vec<TeamMember>,
    pub reporting: Vec<ReportingLine>,
    /// Who is responsible for update awareness.
    pub update_awareness_owner: String,
    pub focus_areas: Vec<FocusArea>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct TeamMember {
    pub person: String,
    pub role: String,
    pub responsibilities: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ReportingLine {
    pub who: String,
    pub stakeholders: String,
    /// weekly, monthly …
    pub cadence: String,
    /// The scheduled report these stakeholders get (its id), when there is one.
    pub report: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct FocusArea {
    /// planning, help_desk, awareness, training or operations.
    pub area: String,
    pub goals: String,
    pub owner: String,
    /// not_started, in_progress or done.
    pub status: String,
}

pub const FOCUS_AREAS: [&str; 5] = [
    "planning",
    "help_desk",
    "awareness",
    "training",
    "operations",
];
pub const FOCUS_STATUS: [&str; 3] = ["not_started", "in_progress", "done"];

impl OpsPlan {
    /// The discovery questions still unanswered, as catalog keys. Reporting is answered when
    /// there are stakeholders and each line of them names one of the scheduled `reports`.
    pub fn unanswered(&self, reports: &[String]) -> Vec<&'static str> {
        let mut out = Vec::new();
        if !self.team.iter().any(|m| !m.person.trim().is_empty()) {
            out.push("discovery-team");
        }
        let lines: Vec<&ReportingLine> = self
            .reporting
            .iter()
            .filter(|r| !r.stakeholders.trim().is_empty())
            .collect();
        if lines.is_empty() || lines.iter().any(|r| !reports.contains(&r.report)) {
            out.push("discovery-reporting");
        }
        if self.update_awareness_owner.trim().is_empty() {
            out.push("discovery-awareness-owner");
        }
        out
    }

    pub fn validate(&self) -> Result<(), &'static str> {
        if self.focus_areas.iter().any(|f| {
            !FOCUS_AREAS.contains(&f.area.as_str()) || !FOCUS_STATUS.contains(&f.status.as_str())
        }) {
            return Err("focus_areas");
        }
        let long = |s: &String| s.chars().count() > 2000;
        if self
            .team
            .iter()
            .any(|m| long(&m.person) || long(&m.role) || long(&m.responsibilities))
            || self.team.len() > 200
            || self.reporting.len() > 200
        {
            return Err("team");
        }
        Ok(())
    }
}

/// One readiness check: whether it holds, why (catalog messages), and where to look.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Check {
    pub id: &'static str,
    pub pass: bool,
    /// What was found: catalog keys with arguments.
    pub evidence: Vec<crate::alerting::Reason>,
    pub link: &'static str,
}

/// Item 3: every administrator acknowledged every notice for administrators whose grace has
/// passed. `acked(notice, user)` says whether that person acknowledged it.
pub fn admins_aware(
    notices: &[Notice],
    admins: &[(String, String)],
    acked: &dyn Fn(&str, &str) -> bool,
    now: i64,
    grace_days: u32,
) -> Check {
    use crate::alerting::Reason;
    let mut evidence = Vec::new();
    for n in notices
        .iter()
        .filter(|n| n.for_admins() && n.due_at(grace_days) <= now)
    {
        let missing: Vec<&str> = admins
            .iter()
            .filter(|(id, _)| !acked(&n.id, id))
            .map(|(_, name)| name.as_str())
            .collect();
        if !missing.is_empty() {
            evidence.push(Reason::new(
                "readiness-not-acknowledged",
                &[
                    ("notice", n.title(n.default_language).to_string()),
                    ("people", missing.join(", ")),
                ],
            ));
        }
    }
    let pass = evidence.is_empty();
    if pass {
        evidence.push(Reason::new("readiness-all-acknowledged", &[]));
    }
    Check {
        id: "admins_aware",
        pass,
        evidence,
        link: "/notices",
    }
}

/// Item 4: every help-desk member acknowledged every briefing, and every notice about a
/// platform present in the fleet, once its grace has passed.
pub fn help_desk_aware(
    notices: &[Notice],
    help_desk: &[(String, String)],
    fleet_platforms: &[Platform],
    acked: &dyn Fn(&str, &str) -> bool,
    now: i64,
    grace_days: u32,
) -> Check {
    let relevant: Vec<Notice> = notices
        .iter()
        .filter(|n| {
            n.help_desk
                || n.platforms
                    .iter()
                    .any(|p| fleet_platforms.contains(&p.platform))
        })
        .map(|n| Notice {
            tags: vec!["admin_impact".into()],
            ..n.clone()
        })
        .collect();
    let mut c = admins_aware(&relevant, help_desk, acked, now, grace_days);
    c.id = "help_desk_aware";
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(tags: &[&str], created: i64) -> Notice {
        Notice {
            id: "n1".into(),
            source: "manual".into(),
            source_id: None,
            title: [(Lang::En, "New admin center".to_string())].into(),
            body: BTreeMap::new(),
            default_language: Lang::En,
            category: Category::PlanForChange,
            tags: tags.iter().map(|t| t.to_string()).collect(),
            severity: NoticeSeverity::High,
            features: vec![],
            platforms: vec![],
            act_by: None,
            release_status: ReleaseStatus::Scheduled,
            help_desk: false,
            created_at: created,
            updated_at: created,
            revised: false,
        }
    }

    #[test]
    fn version_ranges_include_the_minimum_and_exclude_the_maximum() {
        let below_15 = PlatformRange {
            platform: Platform::Macos,
            min_version: None,
            max_version: Some("15".into()),
        };
        assert!(below_15.matches(Platform::Macos, "14.7.1"));
        assert!(!below_15.matches(Platform::Macos, "15.0"));
        assert!(!below_15.matches(Platform::Macos, "15.1"));
        assert!(!below_15.matches(Platform::Windows, "10.0"));
        let from_14 = PlatformRange {
            min_version: Some("14".into()),
            ..below_15
        };
        assert!(from_14.matches(Platform::Macos, "14.0"));
        assert!(!from_14.matches(Platform::Macos, "13.6"));
    }

    #[test]
    fn administrators_must_acknowledge_after_the_grace_or_the_act_by_date() {
        let admins = vec![
            ("a".to_string(), "ann".to_string()),
            ("b".into(), "bo".into()),
        ];
        let n = notice(&["feature_update", "major_update"], 0);
        let only_ann = |_: &str, u: &str| u == "a";
        assert!(
            admins_aware(std::slice::from_ref(&n), &admins, &only_ann, 6 * DAY_MS, 7).pass,
            "within grace"
        );
        let late = admins_aware(std::slice::from_ref(&n), &admins, &only_ann, 8 * DAY_MS, 7);
        assert!(!late.pass);
        assert_eq!(late.evidence[0].args["people"], "bo");
        let soon = Notice {
            act_by: Some(DAY_MS),
            ..n.clone()
        };
        assert!(
            !admins_aware(&[soon], &admins, &only_ann, 2 * DAY_MS, 7).pass,
            "act-by first"
        );
        assert!(
            admins_aware(
                std::slice::from_ref(&n),
                &admins,
                &|_, _| true,
                8 * DAY_MS,
                7
            )
            .pass
        );
        let other = notice(&["data_privacy"], 0);
        assert!(
            admins_aware(&[other], &admins, &only_ann, 30 * DAY_MS, 7).pass,
            "not for admins"
        );
    }

    #[test]
    fn the_help_desk_must_know_briefings_and_changes_of_platforms_in_the_fleet() {
        let desk = vec![("h".to_string(), "hal".to_string())];
        let mut ios = notice(&["user_impact"], 0);
        ios.platforms = vec![PlatformRange {
            platform: Platform::Ios,
            min_version: None,
            max_version: None,
        }];
        let nobody = |_: &str, _: &str| false;
        assert!(
            !help_desk_aware(
                &[ios.clone()],
                &desk,
                &[Platform::Ios],
                &nobody,
                9 * DAY_MS,
                7
            )
            .pass
        );
        assert!(help_desk_aware(&[ios], &desk, &[Platform::Windows], &nobody, 9 * DAY_MS, 7).pass);
        let mut briefing = notice(&[], 0);
        briefing.help_desk = true;
        assert!(!help_desk_aware(&[briefing], &desk, &[], &nobody, 9 * DAY_MS, 7).pass);
    }

    #[test]
    fn feeds_of_every_kind_are_read() {
        let rss = br#"<?xml version="1.0"?><rss version="2.0"><channel><title>Vendor</title>
            <item><guid>mc-1</guid><title>Major update to the admin center</title>
            <description>Plan for it.</description><pubDate>Fri, 20 Nov 2026 10:00:00 GMT</pubDate></item>
            </channel></rss>"#;
        let e = parse_feed(rss).expect("rss");
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].id, "mc-1");
        assert_eq!(e[0].body, "Plan for it.");
        assert!(e[0].published.is_some());
        let json = br#"{"version": "https://jsonfeed.org/version/1.1", "title": "x",
            "items": [{"id": "j1", "title": "Retirement of a setting", "content_text": "Soon."}]}"#;
        let e = parse_feed(json).expect("json feed");
        assert_eq!(
            (e[0].id.as_str(), e[0].title.as_str()),
            ("j1", "Retirement of a setting")
        );
        assert!(parse_feed(b"not a feed").is_err());
    }

    #[test]
    fn unanswered_discovery_questions_are_named() {
        let mut plan = OpsPlan::default();
        assert_eq!(plan.unanswered(&[]).len(), 3);
        plan.team.push(TeamMember {
            person: "Ann".into(),
            role: "lead".into(),
            responsibilities: "everything".into(),
        });
        plan.update_awareness_owner = "Bo".into();
        assert_eq!(plan.unanswered(&[]), ["discovery-reporting"]);
        let reports = vec!["weekly-cio".to_string()];
        plan.reporting.push(ReportingLine {
            who: "Ann".into(),
            stakeholders: "CIO".into(),
            cadence: "weekly".into(),
            report: String::new(),
        });
        assert_eq!(
            plan.unanswered(&reports),
            ["discovery-reporting"],
            "no report named"
        );
        plan.reporting[0].report = "weekly-cio".into();
        assert!(plan.unanswered(&reports).is_empty());
        assert_eq!(
            plan.unanswered(&[]),
            ["discovery-reporting"],
            "a report that no longer exists"
        );
    }
}
