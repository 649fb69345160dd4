//! Training and onboarding: features and when they were enabled or changed, training
//! materials that go stale when a feature they cover moves after their last review, and
//! onboarding plans per role.

use serde::{Deserialize, Serialize};

use crate::Role;

/// A feature of the managed environment (a policy area, a new console capability …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Feature {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// When it was enabled; `None` while it is not.
    pub enabled_at: Option<i64>,
    /// When it last changed in a way training should cover.
    pub changed_at: Option<i64>,
}

impl Feature {
    /// The last moment training about it had to catch up with.
    pub fn moved_at(&self) -> Option<i64> {
        self.enabled_at.max(self.changed_at)
    }
}

/// A training material: a link or a body, for a role, covering features.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Material {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub body: String,
    pub audience: Role,
    #[serde(default)]
    pub features: Vec<String>,
    pub last_reviewed_at: i64,
}

impl Material {
    /// The covered features enabled or changed after the last review (the material is stale
    /// while this is not empty).
    pub fn stale_because<'f>(&self, features: &'f [Feature]) -> Vec<&'f Feature> {
        features
            .iter()
            .filter(|f| self.features.contains(&f.id))
            .filter(|f| f.moved_at().is_some_and(|t| t > self.last_reviewed_at))
            .collect()
    }

    pub fn validate(&self) -> Result<(), &'static str> {
        if steward_proto::text::is_blank(&self.title) || self.title.chars().count() > 500 {
            return Err("title");
        }
        if self.url.is_empty() && steward_proto::text::is_blank(&self.body) {
            return Err("body");
        }
        let web = self.url.starts_with("https://") || self.url.starts_with("http://");
        if !(self.url.is_empty() || web) {
            return Err("url");
        }
        Ok(())
    }
}

/// Onboarding: the steps new staff of each role go through.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct OnboardingPlans {
    pub plans: Vec<OnboardingPlan>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OnboardingPlan {
    pub role: Role,
    /// Step ids (short, unique within the plan) and what to do.
    pub steps: Vec<OnboardingStep>,
    /// Days new staff have to finish.
    #[serde(default = "two_weeks")]
    pub within_days: u32,
}

fn two_weeks() -> u32 {
    14
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OnboardingStep {
    pub id: String,
    pub title: String,
    /// A training material to go through, if any.
    #[serde(default)]
    pub material: Option<String>,
}

impl OnboardingPlans {
    /// The steps for someone holding `roles`, each once.
    pub fn steps_for(&self, roles: &[Role]) -> Vec<&OnboardingStep> {
        let mut out: Vec<&OnboardingStep> = Vec::new();
        for p in self.plans.iter().filter(|p| roles.contains(&p.role)) {
            for s in &p.steps {
                if !out.iter().any(|x| x.id == s.id) {
                    out.push(s);
                }
            }
        }
        out
    }

    /// Days allowed for someone holding `roles` (the longest of their plans).
    pub fn within_days(&self, roles: &[Role]) -> Option<u32> {
        self.plans
            .iter()
            .filter(|p| roles.contains(&p.role))
            .map(|p| p.within_days)
            .max()
    }

    pub fn validate(&self) -> Result<(), &'static str> {
        for p in &self.plans {
            if p.steps.iter().any(|s| {
                steward_proto::text::is_blank(&s.id) || steward_proto::text::is_blank(&s.title)
            }) {
                return Err("steps");
            }
        }
        Ok(())
    }

    /// A step id given twice in a plan keeps its first step.
    pub fn without_repeated_steps(mut self) -> OnboardingPlans {
        for p in &mut self.plans {
            let mut seen = std::collections::BTreeSet::new();
            p.steps.retain(|s| seen.insert(s.id.clone()));
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feature(enabled: Option<i64>, changed: Option<i64>) -> Feature {
        Feature {
            id: "f".into(),
            name: "Passkeys".into(),
            description: String::new(),
            enabled_at: enabled,
            changed_at: changed,
        }
    }

    #[test]
    fn a_material_goes_stale_when_a_covered_feature_moves_after_its_review() {
        let m = Material {
            id: "m".into(),
            title: "Signing in".into(),
            url: "https://wiki.example.org/sign-in".into(),
            body: String::new(),
            audience: Role::Helpdesk,
            features: vec!["f".into()],
            last_reviewed_at: 100,
        };
        assert!(
            m.stale_because(&[feature(None, None)]).is_empty(),
            "not enabled yet"
        );
        assert!(
            m.stale_because(&[feature(Some(50), None)]).is_empty(),
            "enabled before the review"
        );
        assert_eq!(m.stale_because(&[feature(Some(150), None)]).len(), 1);
        assert_eq!(
            m.stale_because(&[feature(Some(50), Some(120))]).len(),
            1,
            "changed since"
        );
        let reviewed = Material {
            last_reviewed_at: 200,
            ..m.clone()
        };
        assert!(reviewed
            .stale_because(&[feature(Some(150), None)])
            .is_empty());
        let other = Material {
            features: vec!["g".into()],
            ..m
        };
        assert!(other.stale_because(&[feature(Some(150), None)]).is_empty());
    }

    #[test]
    fn onboarding_steps_follow_the_roles() {
        let step = |id: &str| OnboardingStep {
            id: id.into(),
            title: id.into(),
            material: None,
        };
        let plans = OnboardingPlans {
            plans: vec![
                OnboardingPlan {
                    role: Role::Helpdesk,
                    steps: vec![step("console"), step("kb")],
                    within_days: 7,
                },
                OnboardingPlan {
                    role: Role::Operator,
                    steps: vec![step("console"), step("alerts")],
                    within_days: 14,
                },
            ],
        };
        let ids: Vec<&str> = plans
            .steps_for(&[Role::Helpdesk, Role::Operator])
            .iter()
            .map(|s| s.id.as_str())
            .collect();
        assert_eq!(ids, ["console", "kb", "alerts"]);
        assert_eq!(plans.within_days(&[Role::Helpdesk]), Some(7));
        assert!(plans.steps_for(&[Role::Readonly]).is_empty());
        let dup = OnboardingPlans {
            plans: vec![OnboardingPlan {
                role: Role::Helpdesk,
                steps: vec![step("a"), step("a")],
                within_days: 7,
            }],
        };
        let kept = dup.without_repeated_steps();
        assert_eq!(
            kept.plans[0].steps.len(),
            1,
            "a repeated step id keeps its first step"
        );
        assert_eq!(kept.validate(), Ok(()));
    }
}
