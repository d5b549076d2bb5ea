//! A file's `guard:` against a new version's offline metrics: pure arithmetic, no I/O.

use std::collections::BTreeMap;
use std::fmt;

use crate::live::SolutionMetrics;
use crate::spec::MetricGuard;

/// Metrics are reported to a few decimals; a bound met to within this is met, so that a value printed
/// equal to its bound never fails it.
const TOLERANCE: f64 = 1e-9;

/// One bound a new version does not meet.
#[derive(Debug, Clone, PartialEq)]
pub enum GuardFailure {
    /// The new version does not report the metric at all (its recipe has no such metric).
    NotReported {
        metric: String,
    },
    BelowMin {
        metric: String,
        value: f64,
        min: f64,
    },
    /// Dropped by more than `maxDrop` against the version serving now.
    DroppedTooMuch {
        metric: String,
        serving: f64,
        value: f64,
        max_drop: f64,
    },
    /// Dropped by more than `maxDropPercent` percent of the serving version's value.
    DroppedTooMuchPercent {
        metric: String,
        serving: f64,
        value: f64,
        max_drop_percent: f64,
    },
}

impl fmt::Display for GuardFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GuardFailure::NotReported { metric } => {
                write!(f, "{metric} is not reported for the new version, so its guard cannot be met")
            }
            GuardFailure::BelowMin { metric, value, min } => {
                write!(f, "{metric} is {value:.4}, below the guard's min {min:.4}")
            }
            GuardFailure::DroppedTooMuch { metric, serving, value, max_drop } => write!(
                f,
                "{metric} drops by {:.4} (from {serving:.4} serving now to {value:.4}), more than the guard's maxDrop {max_drop:.4}",
                serving - value
            ),
            GuardFailure::DroppedTooMuchPercent { metric, serving, value, max_drop_percent } => write!(
                f,
                "{metric} drops by {:.1} % (from {serving:.4} serving now to {value:.4}), more than the guard's maxDropPercent {max_drop_percent}",
                drop_percent(*serving, *value)
            ),
        }
    }
}

fn drop_percent(serving: f64, value: f64) -> f64 {
    (serving - value) / serving * 100.0
}

/// The bounds `new` does not meet. A drop is measured against `serving`, the version serving now; with no
/// serving version, or one that lacks the metric, only `min` applies.
pub fn check(
    guard: &BTreeMap<String, MetricGuard>,
    new: &SolutionMetrics,
    serving: Option<&SolutionMetrics>,
) -> Vec<GuardFailure> {
    let mut failures = Vec::new();
    for (metric, rule) in guard {
        let Some(&value) = new.get(metric) else {
            failures.push(GuardFailure::NotReported { metric: metric.clone() });
            continue;
        };
        if let Some(min) = rule.min
            && value < min - TOLERANCE
        {
            failures.push(GuardFailure::BelowMin { metric: metric.clone(), value, min });
        }
        let Some(&before) = serving.and_then(|serving| serving.get(metric)) else { continue };
        if let Some(max_drop) = rule.max_drop
            && before - value > max_drop + TOLERANCE
        {
            failures.push(GuardFailure::DroppedTooMuch {
                metric: metric.clone(),
                serving: before,
                value,
                max_drop,
            });
        }
        if let Some(max_drop_percent) = rule.max_drop_percent
            && before > 0.0
            && drop_percent(before, value) > max_drop_percent + TOLERANCE
        {
            failures.push(GuardFailure::DroppedTooMuchPercent {
                metric: metric.clone(),
                serving: before,
                value,
                max_drop_percent,
            });
        }
    }
    failures
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics(pairs: &[(&str, f64)]) -> SolutionMetrics {
        pairs.iter().map(|(name, value)| (name.to_string(), *value)).collect()
    }

    fn guard(rule: MetricGuard) -> BTreeMap<String, MetricGuard> {
        BTreeMap::from([("precision_at_25".to_string(), rule)])
    }

    fn failures(rule: MetricGuard, new: f64, serving: Option<f64>) -> Vec<GuardFailure> {
        let serving = serving.map(|value| metrics(&[("precision_at_25", value)]));
        check(&guard(rule), &metrics(&[("precision_at_25", new)]), serving.as_ref())
    }

    #[test]
    fn min_is_met_at_the_bound_and_missed_just_below() {
        let rule = MetricGuard { min: Some(0.04), ..MetricGuard::default() };
        assert!(failures(rule, 0.04, None).is_empty());
        assert!(failures(rule, 0.04 - 1e-12, None).is_empty(), "within the tolerance");
        assert_eq!(
            failures(rule, 0.0399, None),
            [GuardFailure::BelowMin { metric: "precision_at_25".into(), value: 0.0399, min: 0.04 }]
        );
    }

    #[test]
    fn max_drop_is_met_at_the_bound_and_missed_past_it() {
        let rule = MetricGuard { max_drop: Some(0.005), ..MetricGuard::default() };
        // 0.045 - 0.040 is 0.005 in decimal, a hair more in binary: still met.
        assert!(failures(rule, 0.040, Some(0.045)).is_empty());
        assert!(failures(rule, 0.050, Some(0.045)).is_empty(), "a rise is no drop");
        assert!(matches!(failures(rule, 0.0399, Some(0.045))[..], [GuardFailure::DroppedTooMuch { .. }]));
        // No serving version (a create), or one without the metric: only min applies.
        assert!(failures(rule, 0.0, None).is_empty());
        let other = metrics(&[("coverage", 0.2)]);
        assert!(check(&guard(rule), &metrics(&[("precision_at_25", 0.0)]), Some(&other)).is_empty());
    }

    #[test]
    fn max_drop_percent_is_relative_to_the_serving_value() {
        let rule = MetricGuard { max_drop_percent: Some(10.0), ..MetricGuard::default() };
        assert!(failures(rule, 0.036, Some(0.040)).is_empty(), "exactly 10 %");
        let failed = failures(rule, 0.0358, Some(0.040));
        assert_eq!(failed.len(), 1);
        assert_eq!(
            failed[0].to_string(),
            "precision_at_25 drops by 10.5 % (from 0.0400 serving now to 0.0358), more than the guard's maxDropPercent 10"
        );
        // A serving value of 0 cannot drop.
        assert!(failures(rule, 0.0, Some(0.0)).is_empty());
    }

    #[test]
    fn every_bound_is_checked_and_a_missing_metric_fails() {
        let rule = MetricGuard { min: Some(0.05), max_drop: Some(0.001), max_drop_percent: Some(1.0) };
        assert_eq!(failures(rule, 0.03, Some(0.04)).len(), 3);
        let guard = BTreeMap::from([(
            "coverage".to_string(),
            MetricGuard { min: Some(0.1), ..MetricGuard::default() },
        )]);
        assert_eq!(
            check(&guard, &metrics(&[("precision_at_25", 0.1)]), None),
            [GuardFailure::NotReported { metric: "coverage".into() }]
        );
    }
}
