//! The plan as a pull-request comment: a summary, a table of changed campaigns and a collapsed unified
//! diff for each, never longer than GitHub accepts.

use similar::TextDiff;

use super::{count_by_kind, display_name, document_lines};
use crate::plan::{Action, Plan, ResourcePlan};
use crate::render::text::summary_line;
use crate::spec::Kind;

/// GitHub refuses comments over 65,536 characters; stay clear of it.
pub const MAX_COMMENT_CHARS: usize = 65_000;

/// Text from files or from AWS, made inert in Markdown and HTML: it cannot close a table cell, open a
/// tag, start code or mention anyone.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '|' => out.push_str("&#124;"),
            '`' => out.push_str("&#96;"),
            '@' => out.push_str("&#64;"),
            '*' | '_' | '[' | ']' | '\\' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// How many resources the plan changes, for the first line: what a folded comment or a notification shows.
fn headline(plan: &Plan) -> String {
    let changing: Vec<_> =
        plan.campaigns.iter().filter(|campaign| campaign.sends_writes()).map(ResourcePlan::kind).collect();
    if changing.is_empty() {
        "no changes".to_string()
    } else {
        format!("{} to change", count_by_kind(changing))
    }
}

pub fn render(plan: &Plan) -> String {
    render_with_budget(plan, MAX_COMMENT_CHARS)
}

/// Whole campaigns are left out from the end when the comment would pass `budget` characters.
pub fn render_with_budget(plan: &Plan, budget: usize) -> String {
    let changed: Vec<&ResourcePlan> = plan.campaigns.iter().filter(|c| c.action != Action::NoOp).collect();
    let mut head = format!("### pz-apply plan: {}\n\n{}\n", headline(plan), escape(&summary_line(plan)));
    if changed.is_empty() {
        return head;
    }
    let column =
        if changed.iter().all(|plan| plan.kind() == Kind::Campaign) { "Campaign" } else { "Resource" };
    head.push_str(&format!("\n| {column} | Action | Changes | File |\n|---|---|---|---|\n"));
    let trailer_room = 200;
    let mut used = head.chars().count() + trailer_room;
    let mut rows = String::new();
    let mut blocks = String::new();
    let mut included = 0;
    for campaign in &changed {
        let row = table_row(campaign);
        let block = details_block(campaign);
        let cost = row.chars().count() + block.chars().count();
        if used + cost > budget {
            break;
        }
        used += cost;
        rows.push_str(&row);
        blocks.push_str(&block);
        included += 1;
    }
    let mut out = head;
    out.push_str(&rows);
    out.push('\n');
    out.push_str(&blocks);
    let left_out = changed.len() - included;
    if left_out > 0 {
        out.push_str(&format!(
            "\n_{left_out} more {} with changes left out to keep this comment under GitHub's size limit; run \
             `pz-apply plan` to see them all._\n",
            if left_out == 1 { "campaign" } else { "campaigns" }
        ));
    }
    out
}

fn table_row(campaign: &ResourcePlan) -> String {
    let changes = if let Some(reason) = &campaign.blocked_reason {
        escape(reason)
    } else if campaign.changes.is_empty() {
        "—".to_string()
    } else {
        campaign.changes.iter().map(|change| escape(&change.path)).collect::<Vec<_>>().join(", ")
    };
    format!(
        "| {} | {} | {} | {} |\n",
        code_name(campaign),
        campaign.action.as_str(),
        changes,
        escape(&campaign.file.display().to_string())
    )
}

fn details_block(campaign: &ResourcePlan) -> String {
    let count = campaign.changes.len();
    let mut block = format!(
        "<details><summary>{}: {} ({} {})</summary>\n\n",
        html_name(campaign),
        campaign.action.as_str(),
        count,
        if count == 1 { "change" } else { "changes" }
    );
    let before = campaign.live_document.as_ref().map(document_lines).unwrap_or_default();
    let after = document_lines(&campaign.desired_document);
    let diff = TextDiff::from_lines(&before, &after)
        .unified_diff()
        .context_radius(3)
        .header(if campaign.live_document.is_some() { "live" } else { "/dev/null" }, "desired")
        .to_string();
    if !campaign.changes.is_empty() && !diff.trim().is_empty() {
        let fence = "`".repeat(longest_backtick_run(&diff).max(2) + 1);
        block.push_str(&format!("{fence}diff\n{diff}"));
        if !diff.ends_with('\n') {
            block.push('\n');
        }
        block.push_str(&format!("{fence}\n\n"));
    }
    if campaign.request.is_none() && !campaign.tags.is_empty() {
        block.push_str("Only tags change: no UpdateCampaign is sent.\n\n");
    }
    if let Some(review) = &campaign.versions {
        let table = super::version_table(review);
        block.push_str("| version |");
        for (label, id) in &table.columns {
            block.push_str(&format!(" {label} `{}` |", escape(id)));
        }
        block.push_str(&format!("\n|---|{}\n", "---:|".repeat(table.columns.len())));
        for (label, cells) in &table.rows {
            let cells: Vec<String> = cells.iter().map(|cell| escape(cell)).collect();
            block.push_str(&format!("| {} | {} |\n", escape(label), cells.join(" | ")));
        }
        block.push('\n');
    }
    for note in &campaign.notes {
        block.push_str(&format!("- {}\n", escape(note)));
    }
    if let Some(reason) = &campaign.blocked_reason {
        block.push_str(&format!("- **blocked**: {}\n", escape(reason)));
    }
    block.push_str("\n</details>\n\n");
    block
}

/// `` `name` ``, with the kind for anything but a campaign (the default kind).
fn code_name(plan: &ResourcePlan) -> String {
    match plan.kind() {
        Kind::Campaign => format!("`{}`", plan.name),
        kind => format!("{} `{}`", kind.noun(), plan.name),
    }
}

fn html_name(plan: &ResourcePlan) -> String {
    match plan.kind() {
        Kind::Campaign => format!("<code>{}</code>", plan.name),
        kind => format!("{} <code>{}</code>", kind.noun(), plan.name),
    }
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

/// Live campaigns and recommenders that no file defines, as a section after the plan.
pub fn unmanaged_section(unmanaged: &[crate::plan::UnmanagedResource]) -> String {
    if unmanaged.is_empty() {
        return "\nNo unmanaged campaigns or recommenders in these accounts and regions.\n".to_string();
    }
    let mut out = format!(
        "\n<details><summary>{} unmanaged (live, in no file)</summary>\n\n| Resource | Status | Import with |\n|---|---|---|\n",
        count_by_kind(unmanaged.iter().map(|summary| summary.kind))
    );
    for summary in unmanaged {
        out.push_str(&format!(
            "| `{}` | {} | `{}` |\n",
            display_name(summary.kind, &summary.name),
            escape(summary.status.as_str()),
            super::import_command(&summary.arn)
        ));
    }
    out.push_str("\n</details>\n");
    out
}
