//! The machine-readable plan: a stable, versioned document. Its shape is documented in the README; change
//! it only with a new `format_version`.

use serde_json::{Value, json};

use crate::plan::{CampaignPlan, Plan};

pub const FORMAT_VERSION: &str = "1";

/// The plan as JSON. `with_fingerprints` adds, per campaign, the fingerprint of the live state it was
/// computed from (for `plan --out`).
pub fn plan_document(plan: &Plan, with_fingerprints: bool) -> Value {
    let summary = plan.summary();
    json!({
        "format_version": FORMAT_VERSION,
        "has_changes": plan.has_changes(),
        "summary": {
            "create": summary.create,
            "update": summary.update,
            "no-op": summary.no_op,
            "wait": summary.wait,
            "blocked": summary.blocked,
        },
        "campaigns": plan.campaigns.iter().map(|campaign| campaign_document(campaign, with_fingerprints)).collect::<Vec<_>>(),
    })
}

fn campaign_document(campaign: &CampaignPlan, with_fingerprint: bool) -> Value {
    let mut document = json!({
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
    });
    if with_fingerprint {
        // What `apply --plan` needs: the fingerprint to compare, what was observed to say what changed, and
        // the file's campaign to apply.
        let observed = campaign.observed_document();
        document["fingerprint"] = json!(crate::plan::fingerprint(&observed));
        document["observed"] = observed;
        document["desired"] = campaign.desired_spec.clone();
    }
    document
}

/// Live campaigns that no file defines: `[{name, arn, status, import_command}]`.
pub fn unmanaged_document(unmanaged: &[crate::live::CampaignSummary]) -> Value {
    unmanaged
        .iter()
        .map(|summary| {
            json!({
                "name": summary.name,
                "arn": summary.arn,
                "status": summary.status.as_str(),
                "import_command": super::import_command(&summary.arn),
            })
        })
        .collect::<Vec<_>>()
        .into()
}
