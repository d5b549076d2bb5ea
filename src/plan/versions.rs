//! Version checks: for every campaign whose plan changes the version it serves, the target version must
//! exist, belong to the file's solution and be ACTIVE, and meet the file's `guard:` against the version
//! serving now. Read-only: DescribeSolutionVersion and GetSolutionMetrics, once per distinct version.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use super::guard::{self, GuardFailure};
use super::{Action, Plan, ResourcePlan, TagChanges, observe::patiently};
use crate::arn::SolutionVersionArn;
use crate::live::{
    CallSlots, LiveError, PersonalizeApi, SolutionMetrics, SolutionVersionDetail, map_concurrently,
};
use crate::spec::MetricGuard;

/// One version as the review shows it: what DescribeSolutionVersion said (`None`: it does not exist) and,
/// for an ACTIVE version, its offline metrics.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionFacts {
    pub arn: String,
    pub detail: Option<SolutionVersionDetail>,
    pub metrics: Option<SolutionMetrics>,
}

/// What plan found about a change of the serving version, or, for a campaign on `$LATEST`, about the
/// version AWS deployed for it.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionReview {
    /// The version apply would deploy; `None` for a `$LATEST` campaign whose version does not change.
    pub target: Option<VersionFacts>,
    /// The version serving now; `None` for a create.
    pub serving: Option<VersionFacts>,
    /// The guard's bounds the target does not meet (for `$LATEST` without a change: the serving version).
    pub guard_failures: Vec<GuardFailure>,
    /// Why the change cannot be deployed, with the file's place of `solutionVersionArn`.
    pub blocked: Option<String>,
    /// The change reviewed, as (the version the file asks for, the one serving then); `None` for a
    /// `$LATEST` campaign whose version does not change. A later decision keeps the verdict only for it.
    pub deploy: Option<(String, Option<String>)>,
}

impl VersionReview {
    /// Both versions were trained, at different times: their metrics come from different data.
    pub fn trained_apart(&self) -> bool {
        let created = |facts: &Option<VersionFacts>| {
            facts.as_ref().and_then(|facts| facts.detail.as_ref()).and_then(|detail| detail.created_at)
        };
        matches!((created(&self.target), created(&self.serving)), (Some(a), Some(b)) if (a - b).abs() >= 1.0)
    }
}

/// The change of version a plan makes: the ARN the file asks for and the one serving now.
#[derive(Debug, Clone, PartialEq, Eq)]
enum VersionChange {
    /// Create, or update of `solutionVersionArn`.
    Deploy { wanted: String, serving: Option<String> },
    /// A `$LATEST` campaign with a guard whose version does not change: AWS deploys new versions itself.
    FollowsLatest { serving: String },
}

fn version_change(plan: &ResourcePlan) -> Option<VersionChange> {
    let spec = plan.desired_spec.as_campaign()?;
    let wanted = spec.solution_version_arn.clone();
    let live = plan.observed.campaign();
    let serving = live.map(|live| {
        // The in-flight update decides what will serve; `$LATEST` as AWS reports it names no version.
        let version = live
            .update_in_flight()
            .and_then(|update| update.solution_version_arn.clone())
            .unwrap_or_else(|| live.solution_version_arn.clone());
        match &plan.observed.latest_version {
            Some(latest) if version.ends_with("/$LATEST") => latest.arn.clone(),
            _ => version,
        }
    });
    match plan.action {
        Action::Create => Some(VersionChange::Deploy { wanted, serving: None }),
        Action::Update if plan.changes.iter().any(|change| change.path == "solutionVersionArn") => {
            Some(VersionChange::Deploy { wanted, serving })
        }
        // Without a guard there is nothing to check, and a table on every plan of such a campaign would
        // only bury the change under review.
        _ if wanted.ends_with("/$LATEST") && spec.guard.is_some() => serving
            .filter(|serving| !serving.ends_with("/$LATEST"))
            .map(|serving| VersionChange::FollowsLatest { serving }),
        _ => None,
    }
}

type FactsAnswer = Result<VersionFacts, LiveError>;
type NewestAnswer = Result<Option<String>, LiveError>;

/// Each version read once per run, and each solution's newest ACTIVE version once.
#[derive(Debug, Default)]
pub struct VersionCache {
    facts: Mutex<HashMap<String, Arc<OnceCell<FactsAnswer>>>>,
    newest: Mutex<HashMap<String, Arc<OnceCell<NewestAnswer>>>>,
}

fn cell<T>(map: &Mutex<HashMap<String, Arc<OnceCell<T>>>>, key: &str) -> Arc<OnceCell<T>> {
    map.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).entry(key.to_string()).or_default().clone()
}

impl VersionCache {
    async fn facts<A: PersonalizeApi>(&self, api: &A, slots: &CallSlots, arn: &str) -> FactsAnswer {
        let cell = cell(&self.facts, arn);
        cell.get_or_init(|| async {
            let detail = patiently(|| slots.call(api.describe_solution_version(arn))).await?;
            let metrics = match &detail {
                Some(detail) if detail.is_active() => {
                    match patiently(|| slots.call(api.solution_metrics(arn))).await {
                        Ok(metrics) => Some(metrics),
                        // Became not ACTIVE between the two reads: it has no metrics to show.
                        Err(LiveError::InUse { .. }) => None,
                        Err(error) => return Err(error),
                    }
                }
                _ => None,
            };
            Ok(VersionFacts { arn: arn.to_string(), detail, metrics })
        })
        .await
        .clone()
    }

    async fn newest<A: PersonalizeApi>(
        &self,
        api: &A,
        slots: &CallSlots,
        solution_arn: &str,
    ) -> NewestAnswer {
        let cell = cell(&self.newest, solution_arn);
        cell.get_or_init(|| patiently(|| slots.call(api.newest_active_version(solution_arn)))).await.clone()
    }
}

/// Reviews the version change of every campaign in `plan` that makes one, at most `concurrency` calls at
/// a time, and applies each review to its campaign's plan. A failed read fails that campaign's plan.
pub async fn review_versions<A: PersonalizeApi + 'static>(
    api: Arc<A>,
    plan: &mut Plan,
    concurrency: usize,
) -> Vec<(String, LiveError)> {
    let cache = Arc::new(VersionCache::default());
    let work: Vec<(usize, VersionChange, Asked)> = plan
        .campaigns
        .iter()
        .enumerate()
        .filter_map(|(index, campaign)| {
            let asked = Asked {
                place: format!("{}:{}", campaign.file.display(), campaign.version_position.line),
                guard: campaign.desired_spec.as_campaign().and_then(|spec| spec.guard.clone()),
            };
            Some((index, version_change(campaign)?, asked))
        })
        .collect();
    if work.is_empty() {
        return Vec::new();
    }
    let indexes: Vec<usize> = work.iter().map(|(index, _, _)| *index).collect();
    let reviews = map_concurrently(work, concurrency, move |(_, change, asked), slots| {
        let (api, cache) = (api.clone(), cache.clone());
        async move { review(api.as_ref(), &slots, &cache, change, &asked).await }
    })
    .await;
    let mut failures = Vec::new();
    for (index, review) in indexes.into_iter().zip(reviews) {
        let campaign = &mut plan.campaigns[index];
        match review {
            Ok(review) => apply_review(campaign, review),
            Err(error) => failures.push((campaign.name.clone(), error)),
        }
    }
    failures
}

/// What the file asks of a version change: where to point at, and its guard.
struct Asked {
    place: String,
    guard: Option<BTreeMap<String, MetricGuard>>,
}

async fn review<A: PersonalizeApi>(
    api: &A,
    slots: &CallSlots,
    cache: &VersionCache,
    change: VersionChange,
    asked: &Asked,
) -> Result<VersionReview, LiveError> {
    let place = &asked.place;
    let guard = asked.guard.as_ref();
    match change {
        VersionChange::FollowsLatest { serving } => {
            let serving = cache.facts(api, slots, &serving).await?;
            let guard_failures = match (guard, &serving.metrics) {
                (Some(guard), Some(metrics)) => guard::check(guard, metrics, None),
                _ => Vec::new(),
            };
            Ok(VersionReview {
                target: None,
                serving: Some(serving),
                guard_failures,
                blocked: None,
                deploy: None,
            })
        }
        VersionChange::Deploy { wanted, serving: serving_arn } => {
            let serving = match &serving_arn {
                Some(serving) => Some(cache.facts(api, slots, serving).await?),
                None => None,
            };
            let wanted_arn = SolutionVersionArn::parse(&wanted).ok();
            let deploy = Some((wanted.clone(), serving_arn.clone()));
            let target_arn = match &wanted_arn {
                Some(arn) if arn.is_latest() => match cache.newest(api, slots, &arn.solution_arn()).await? {
                    Some(newest) => newest,
                    None => {
                        let blocked = format!(
                            "{place}: the solution {} has no ACTIVE version, so $LATEST would serve nothing; train one first",
                            arn.solution_arn()
                        );
                        return Ok(VersionReview {
                            target: None,
                            serving,
                            guard_failures: Vec::new(),
                            blocked: Some(blocked),
                            deploy,
                        });
                    }
                },
                _ => wanted.clone(),
            };
            let target = cache.facts(api, slots, &target_arn).await?;
            let blocked =
                target_problem(&target, wanted_arn.as_ref()).map(|problem| format!("{place}: {problem}"));
            let guard_failures = match (guard, &target.metrics, &blocked) {
                (Some(guard), Some(metrics), None) => guard::check(
                    guard,
                    metrics,
                    serving.as_ref().and_then(|serving| serving.metrics.as_ref()),
                ),
                _ => Vec::new(),
            };
            let blocked = blocked.or_else(|| {
                (!guard_failures.is_empty()).then(|| {
                    let failed: Vec<String> = guard_failures.iter().map(ToString::to_string).collect();
                    format!("{place}: the new version fails the file's guard: {}", failed.join("; "))
                })
            });
            Ok(VersionReview { target: Some(target), serving, guard_failures, blocked, deploy })
        }
    }
}

/// Why `target` cannot be deployed, if it cannot.
fn target_problem(target: &VersionFacts, wanted: Option<&SolutionVersionArn>) -> Option<String> {
    let Some(detail) = &target.detail else {
        return Some(format!("the solution version {} does not exist", target.arn));
    };
    if let (Some(wanted), Some(solution)) = (wanted, &detail.solution_arn)
        && *solution != wanted.solution_arn()
    {
        return Some(format!(
            "the solution version {} belongs to {solution}, not to {} as the file says",
            target.arn,
            wanted.solution_arn()
        ));
    }
    match detail.status.as_str() {
        "ACTIVE" => None,
        "CREATE FAILED" => Some(format!(
            "the solution version {} failed training: {}",
            target.arn,
            detail.failure_reason.as_deref().unwrap_or("no reason given")
        )),
        status => Some(format!(
            "the solution version {} is not ACTIVE yet ({status}); apply once it has finished training",
            target.arn
        )),
    }
}

/// Puts a review into a campaign's plan: a blocked change sends nothing at all.
pub fn apply_review(plan: &mut ResourcePlan, review: VersionReview) {
    if let Some(reason) = &review.blocked {
        plan.action = Action::Blocked;
        plan.blocked_reason = Some(reason.clone());
        plan.request = None;
        plan.tags = TagChanges::default();
    } else if review.target.is_none() && !review.guard_failures.is_empty() {
        let failed: Vec<String> = review.guard_failures.iter().map(ToString::to_string).collect();
        plan.notes.push(format!(
            "warning: the version $LATEST serves fails the file's guard ({}); AWS deployed it, pz-apply has nothing to send",
            failed.join("; ")
        ));
    }
    if review.trained_apart() {
        plan.notes.push(
            "the versions were trained at different times, on different data: their metrics are not strictly comparable"
                .to_string(),
        );
    }
    plan.versions = Some(Box::new(review));
}

/// The review of the plan the user saw, held against a plan decided again later (after the prompt, or
/// after someone else's update): the same change keeps its verdict; a change that was not reviewed is
/// blocked rather than sent unchecked.
pub fn with_review(mut plan: ResourcePlan, reviewed: Option<&VersionReview>) -> ResourcePlan {
    let change = match version_change(&plan) {
        Some(VersionChange::Deploy { wanted, serving }) => (wanted, serving),
        _ => return plan,
    };
    match reviewed {
        Some(review) if review.deploy.as_ref() == Some(&change) => apply_review(&mut plan, review.clone()),
        _ => {
            plan.action = Action::Blocked;
            plan.request = None;
            plan.tags = TagChanges::default();
            plan.blocked_reason = Some(
                "the version to deploy or the one serving changed since the plan checked them; run apply again"
                    .to_string(),
            );
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::fake::active_campaign;
    use crate::load::check_source;
    use crate::plan::{Observed, plan_resource};
    use crate::validate::LoadedResource;

    fn loaded(version: &str) -> LoadedResource {
        let source = format!(
            "name: home\nsolutionVersionArn: arn:aws:personalize:us-east-1:111122223333:solution/s/{version}\n"
        );
        check_source(std::path::Path::new("home.yaml"), &source).0.remove(0)
    }

    fn observed(serving: &str) -> Observed {
        let mut campaign = active_campaign("home");
        campaign.solution_version_arn =
            format!("arn:aws:personalize:us-east-1:111122223333:solution/s/{serving}");
        Observed::of(crate::live::LiveResource::Campaign(campaign))
    }

    #[test]
    fn a_later_decision_keeps_the_verdict_only_for_the_change_that_was_checked() {
        let file = loaded("v2");
        let checked = Some((
            "arn:aws:personalize:us-east-1:111122223333:solution/s/v2".to_string(),
            Some("arn:aws:personalize:us-east-1:111122223333:solution/s/v1".to_string()),
        ));
        let passed = VersionReview {
            target: None,
            serving: None,
            guard_failures: Vec::new(),
            blocked: None,
            deploy: checked,
        };
        // The same change, decided again: the verdict holds and the update goes ahead.
        let again = with_review(plan_resource(&file, &observed("v1")), Some(&passed));
        assert_eq!(again.action, Action::Update);
        // Someone moved the campaign to v3 meanwhile: the guard was checked against v1, so nothing is sent.
        let moved = with_review(plan_resource(&file, &observed("v3")), Some(&passed));
        assert_eq!((moved.action, moved.request.is_none()), (Action::Blocked, true));
        // A change no review saw is never sent unchecked; no change at all needs none.
        let unchecked = with_review(plan_resource(&file, &observed("v1")), None);
        assert_eq!(unchecked.action, Action::Blocked);
        let settled = with_review(plan_resource(&file, &observed("v2")), Some(&passed));
        assert_eq!(settled.action, Action::NoOp);
    }

    #[test]
    fn a_blocked_review_sends_nothing_at_all() {
        let file = loaded("v2");
        let mut plan = plan_resource(&file, &observed("v1"));
        let blocked = VersionReview {
            target: None,
            serving: None,
            guard_failures: Vec::new(),
            blocked: Some("home.yaml:2: the solution version does not exist".into()),
            deploy: None,
        };
        apply_review(&mut plan, blocked);
        assert_eq!(
            (plan.action, plan.request.is_none(), plan.tags.is_empty()),
            (Action::Blocked, true, true)
        );
    }
}
