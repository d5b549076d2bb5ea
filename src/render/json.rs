//! The machine-readable plan: a stable, versioned document. Its shape is documented in the README; change
//! it only with a new `format_version`.

use std::io::Write;

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{Value, json};

use crate::plan::{Plan, ResourcePlan};

pub const FORMAT_VERSION: &str = "1";

/// The plan as JSON. `with_fingerprints` adds, per campaign, the fingerprint of the live state it was
/// computed from (for `plan --out`).
pub fn plan_document(plan: &Plan, with_fingerprints: bool) -> Value {
    serde_json::to_value(PlanDocument { plan, with_fingerprints, unmanaged: None }).unwrap_or(Value::Null)
}

/// Writes [`plan_document`] (with `unmanaged` as its last member, when given), pretty-printed, building
/// one campaign's document at a time: the output of a plan of many campaigns is never held whole.
pub fn write_plan_document(
    out: &mut dyn std::io::Write,
    plan: &Plan,
    with_fingerprints: bool,
    unmanaged: Option<&Value>,
) -> std::io::Result<()> {
    let mut buffered = std::io::BufWriter::new(out);
    // Converted with its kind kept, so that a closed pipe is still a closed pipe.
    serde_json::to_writer_pretty(&mut buffered, &PlanDocument { plan, with_fingerprints, unmanaged })
        .map_err(std::io::Error::from)?;
    writeln!(buffered)?;
    buffered.flush()
}

struct PlanDocument<'a> {
    plan: &'a Plan,
    with_fingerprints: bool,
    unmanaged: Option<&'a Value>,
}

impl Serialize for PlanDocument<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let summary = self.plan.summary();
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("format_version", FORMAT_VERSION)?;
        map.serialize_entry("has_changes", &self.plan.has_changes())?;
        map.serialize_entry(
            "summary",
            &json!({
                "create": summary.create,
                "update": summary.update,
                "start": summary.start,
                "stop": summary.stop,
                "replace": summary.replace,
                "no-op": summary.no_op,
                "wait": summary.wait,
                "blocked": summary.blocked,
            }),
        )?;
        map.serialize_entry(
            "campaigns",
            &Campaigns { plan: self.plan, with_fingerprints: self.with_fingerprints },
        )?;
        if let Some(unmanaged) = self.unmanaged {
            map.serialize_entry("unmanaged", unmanaged)?;
        }
        map.end()
    }
}

struct Campaigns<'a> {
    plan: &'a Plan,
    with_fingerprints: bool,
}

impl Serialize for Campaigns<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut list = serializer.serialize_seq(Some(self.plan.campaigns.len()))?;
        for campaign in &self.plan.campaigns {
            list.serialize_element(&campaign_document(campaign, self.with_fingerprints))?;
        }
        list.end()
    }
}

fn campaign_document(campaign: &ResourcePlan, with_fingerprint: bool) -> Value {
    let mut document = json!({
        "kind": campaign.kind().as_str(),
        "name": campaign.name,
        "arn": campaign.arn,
        "file": campaign.file.display().to_string(),
        "action": campaign.action.as_str(),
        "changes": campaign.changes.iter().map(|change| json!({
            "path": change.path,
            "before": change.before,
            "after": change.after,
        })).collect::<Vec<_>>(),
        "request": campaign.request.as_ref().map(|request| request.to_wire()),
        "tags": { "set": campaign.tags.set, "remove": campaign.tags.remove },
        "notes": campaign.notes,
        "in_flight": campaign.in_flight.as_ref().map(|status| status.as_str()),
        "blocked_reason": campaign.blocked_reason,
        "versions": campaign.versions.as_ref().map(|review| json!({
            "serving": review.serving.as_ref().map(super::version_json),
            "new": review.target.as_ref().map(super::version_json),
            "guard_failures": review.guard_failures.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "trained_apart": review.trained_apart(),
        })),
    });
    if with_fingerprint {
        // What `apply --plan` needs: the fingerprint to compare, what was observed to say what changed, and
        // the file's campaign to apply.
        let observed = campaign.observed_document();
        document["fingerprint"] = json!(crate::plan::fingerprint(&observed));
        document["observed"] = observed;
        document["desired"] = campaign.desired_spec.to_document();
    }
    document
}

/// Live campaigns and recommenders that no file defines: `[{kind, name, arn, status, import_command}]`.
pub fn unmanaged_document(unmanaged: &[crate::plan::UnmanagedResource]) -> Value {
    unmanaged
        .iter()
        .map(|summary| {
            json!({
                "kind": summary.kind.as_str(),
                "name": summary.name,
                "arn": summary.arn,
                "status": summary.status.as_str(),
                "import_command": super::import_command(&summary.arn),
            })
        })
        .collect::<Vec<_>>()
        .into()
}
