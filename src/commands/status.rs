//! `pz-apply status`: what each campaign in the files looks like in AWS now. Read-only.

use std::io::Write;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::cli::{OutputFormat, StatusArgs};
use crate::commands::validate::ProblemsOnStdout;
use crate::error::Error;
use crate::live::{LiveCampaign, LiveError, describe_many};
use crate::validate::LoadedCampaign;

/// Campaigns described at once.
const CONCURRENCY: usize = 8;

pub fn run(args: &StatusArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> Result<(), Error> {
    let on_stdout = match args.format {
        OutputFormat::Json => ProblemsOnStdout::Document,
        OutputFormat::Text => ProblemsOnStdout::Nothing,
    };
    let catalog = super::validate::load_valid(&args.paths, on_stdout, stdout, stderr)?;
    let results = super::runtime()?.block_on(async {
        let (api, _emulator) = super::connect(&args.connection, &catalog.campaigns).await?;
        let arns: Vec<String> =
            catalog.campaigns.iter().map(|campaign| campaign.campaign_arn.clone()).collect();
        Ok::<_, Error>(describe_many(Arc::new(api), &arns, CONCURRENCY).await)
    })?;
    super::unreachable(results.iter().filter_map(|result| result.as_ref().err()))?;
    let rows: Vec<(&LoadedCampaign, &Result<Option<LiveCampaign>, LiveError>)> =
        catalog.campaigns.iter().zip(&results).collect();
    match args.format {
        OutputFormat::Text => {
            let rows: Vec<StatusRow> =
                rows.iter().map(|(campaign, result)| StatusRow::new(campaign, result)).collect();
            write_text(stdout, &rows)?;
        }
        OutputFormat::Json => {
            let document: Vec<Value> =
                rows.iter().map(|(campaign, result)| row_json(campaign, result)).collect();
            serde_json::to_writer_pretty(&mut *stdout, &document).map_err(std::io::Error::from)?;
            writeln!(stdout)?;
        }
    }
    let failed = results.iter().filter(|result| result.is_err()).count();
    if failed > 0 {
        return Err(Error::CallsFailed { failed, total: results.len() });
    }
    Ok(())
}

/// One line of the text table.
struct StatusRow {
    name: String,
    status: String,
    serving: String,
    tps: String,
    update: String,
}

impl StatusRow {
    fn new(campaign: &LoadedCampaign, result: &Result<Option<LiveCampaign>, LiveError>) -> Self {
        let dash = || "-".to_string();
        let with_reason = |text: String, reason: &Option<String>| match reason {
            Some(reason) => format!("{text} ({reason})"),
            None => text,
        };
        let name = campaign.spec.name.clone();
        match result {
            Ok(Some(live)) => StatusRow {
                name,
                status: live.status.to_string(),
                serving: with_reason(live.solution_version_arn.clone(), &live.failure_reason),
                tps: live.min_provisioned_tps.map_or_else(dash, |tps| tps.to_string()),
                update: live.latest_update.as_ref().map_or_else(dash, |update| {
                    with_reason(update.status.to_string(), &update.failure_reason)
                }),
            },
            Ok(None) => {
                StatusRow { name, status: "not found".into(), serving: dash(), tps: dash(), update: dash() }
            }
            Err(error) => StatusRow {
                name,
                status: format!("error: {error}"),
                serving: String::new(),
                tps: String::new(),
                update: String::new(),
            },
        }
    }

    fn cells(&self) -> [&str; 5] {
        [&self.name, &self.status, &self.serving, &self.tps, &self.update]
    }
}

fn write_text(out: &mut dyn Write, rows: &[StatusRow]) -> std::io::Result<()> {
    const HEADER: [&str; 5] = ["CAMPAIGN", "STATUS", "SERVING", "TPS", "LATEST UPDATE"];
    // An error message in the status column is as long as it is; it does not widen the column for every
    // other row.
    const MAX_STATUS_WIDTH: usize = 24;
    let mut widths = HEADER.map(str::len);
    for row in rows {
        for (column, (width, cell)) in widths.iter_mut().zip(row.cells()).enumerate() {
            let length = cell.chars().count();
            *width = (*width).max(if column == 1 { length.min(MAX_STATUS_WIDTH) } else { length });
        }
    }
    let line = |cells: [&str; 5]| {
        let padded: Vec<String> =
            cells.iter().zip(widths).map(|(cell, width)| format!("{cell:width$}")).collect();
        padded.join("  ").trim_end().to_string()
    };
    writeln!(out, "{}", line(HEADER))?;
    for row in rows {
        writeln!(out, "{}", line(row.cells()))?;
    }
    Ok(())
}

fn row_json(campaign: &LoadedCampaign, result: &Result<Option<LiveCampaign>, LiveError>) -> Value {
    let mut row = json!({
        "name": campaign.spec.name,
        "arn": campaign.campaign_arn,
        "file": campaign.file.display().to_string(),
        "exists": matches!(result, Ok(Some(_))),
        "status": null,
        "solutionVersionArn": null,
        "minProvisionedTPS": null,
        "failureReason": null,
        "latestUpdate": null,
        "error": null,
    });
    match result {
        Ok(Some(live)) => {
            row["status"] = json!(live.status.as_str());
            row["solutionVersionArn"] = json!(live.solution_version_arn);
            row["minProvisionedTPS"] = json!(live.min_provisioned_tps);
            row["failureReason"] = json!(live.failure_reason);
            if let Some(update) = &live.latest_update {
                row["latestUpdate"] = json!({
                    "status": update.status.as_str(),
                    "failureReason": update.failure_reason,
                    "solutionVersionArn": update.solution_version_arn,
                    "minProvisionedTPS": update.min_provisioned_tps,
                });
            }
        }
        Ok(None) => {}
        Err(error) => row["error"] = json!(error.to_string()),
    }
    row
}
