//! The plan for a terminal: one block per campaign or recommender that changes, Terraform-style, and a
//! closing count.

use std::io::{self, Write};

use super::{count_by_kind, display_name, show};
use crate::plan::{Action, Plan, ResourcePlan};

/// What the text shows beyond the changes.
#[derive(Debug, Clone, Copy, Default)]
pub struct TextOptions {
    pub color: bool,
    /// List unchanged campaigns too, not only count them.
    pub verbose: bool,
}

struct Style {
    color: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_string() }
    }
}

fn marker(action: Action) -> (&'static str, &'static str, &'static str) {
    match action {
        Action::Create => ("+", "32", "create"),
        Action::Update => ("~", "33", "update"),
        Action::Start => ("^", "32", "start"),
        Action::Stop => ("_", "33", "stop"),
        Action::Replace => ("-/+", "31", "replace"),
        Action::Wait => (">", "36", "wait"),
        Action::Blocked => ("!", "31", "blocked"),
        Action::NoOp => ("=", "2", "no-op"),
    }
}

pub fn write_plan(out: &mut dyn Write, plan: &Plan, options: TextOptions) -> io::Result<()> {
    let style = Style { color: options.color };
    for campaign in &plan.campaigns {
        if campaign.action == Action::NoOp && !options.verbose {
            continue;
        }
        write_campaign(out, campaign, &style)?;
    }
    writeln!(out, "{}", summary_line(plan))
}

fn write_campaign(out: &mut dyn Write, campaign: &ResourcePlan, style: &Style) -> io::Result<()> {
    let (symbol, color, label) = marker(campaign.action);
    writeln!(
        out,
        "{} {} ({label})  {}:{}",
        style.paint(color, symbol),
        style.paint("1", &display_name(campaign.kind(), &campaign.name)),
        campaign.file.display(),
        campaign.position.line
    )?;
    if let Some(reason) = &campaign.blocked_reason {
        writeln!(out, "    {}", style.paint("31", reason))?;
    }
    for change in &campaign.changes {
        writeln!(
            out,
            "    {}: {} -> {}",
            change.path,
            style.paint("31", &show(change.before.as_ref())),
            style.paint("32", &show(change.after.as_ref()))
        )?;
    }
    if let Some(review) = &campaign.versions {
        write_versions(out, review)?;
    }
    for note in &campaign.notes {
        writeln!(out, "    {}", style.paint("2", &format!("note: {note}")))?;
    }
    writeln!(out)
}

/// The versions side by side: one column each, a row per fact and per metric.
fn write_versions(out: &mut dyn Write, review: &crate::plan::versions::VersionReview) -> io::Result<()> {
    let table = super::version_table(review);
    let label_width = table.rows.iter().map(|(label, _)| label.len()).max().unwrap_or(0).max(8);
    let widths: Vec<usize> = (0..table.columns.len())
        .map(|column| {
            let (label, id) = &table.columns[column];
            let header = format!("{label} {id}").len();
            table.rows.iter().map(|(_, cells)| cells[column].len()).max().unwrap_or(0).max(header)
        })
        .collect();
    let mut header = format!("    {:label_width$}", "versions");
    for ((label, id), width) in table.columns.iter().zip(&widths) {
        header.push_str(&format!("  {:>width$}", format!("{label} {id}")));
    }
    writeln!(out, "{}", header.trim_end())?;
    for (label, cells) in &table.rows {
        let mut line = format!("      {label:label_width$}");
        for (cell, width) in cells.iter().zip(&widths) {
            line.push_str(&format!("{cell:>width$}  "));
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// "2 to create, 1 to update, 14 unchanged", with starts, stops, replacements, waits and blocks named only
/// when there are some.
pub fn summary_line(plan: &Plan) -> String {
    let summary = plan.summary();
    if !plan.has_changes() {
        let counted = count_by_kind(plan.campaigns.iter().map(ResourcePlan::kind));
        return if summary.no_op == 1 {
            format!("No changes: {counted} matches its file.")
        } else {
            format!("No changes: {counted} match their files.")
        };
    }
    let mut parts = vec![format!("{} to create", summary.create), format!("{} to update", summary.update)];
    for (count, what) in
        [(summary.start, "to start"), (summary.stop, "to stop"), (summary.replace, "to replace")]
    {
        if count > 0 {
            parts.push(format!("{count} {what}"));
        }
    }
    if summary.wait > 0 {
        parts.push(format!("{} to wait for", summary.wait));
    }
    if summary.blocked > 0 {
        parts.push(format!("{} blocked", summary.blocked));
    }
    parts.push(format!("{} unchanged", summary.no_op));
    format!("Plan: {}.", parts.join(", "))
}

/// Live campaigns and recommenders that no file defines, after the plan.
pub fn write_unmanaged(out: &mut dyn Write, unmanaged: &[crate::plan::UnmanagedResource]) -> io::Result<()> {
    if unmanaged.is_empty() {
        return writeln!(
            out,
            "\nNo unmanaged campaigns or recommenders: every live one in these accounts and regions has a file."
        );
    }
    writeln!(
        out,
        "\nUnmanaged: {} that no file defines:",
        count_by_kind(unmanaged.iter().map(|summary| summary.kind))
    )?;
    let label = |summary: &crate::plan::UnmanagedResource| display_name(summary.kind, &summary.name);
    let name_width = unmanaged.iter().map(|summary| label(summary).len()).max().unwrap_or(0);
    let status_width = unmanaged.iter().map(|summary| summary.status.as_str().len()).max().unwrap_or(0);
    for summary in unmanaged {
        writeln!(
            out,
            "  {:name_width$}  {:status_width$}  {}",
            label(summary),
            summary.status.as_str(),
            super::import_command(&summary.arn)
        )?;
    }
    Ok(())
}
