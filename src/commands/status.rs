//! `pz-apply status`: what each campaign and recommender in the files looks like in AWS now. Read-only.

use std::io::Write;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::cli::{OutputFormat, StatusArgs};
use crate::commands::validate::ProblemsOnStdout;
use crate::error::Error;
use crate::live::{LiveError, LiveResource, describe_many};
use crate::render::display_name;
use crate::spec::Kind;
use crate::validate::LoadedResource;

/// Resources described at once.
const CONCURRENCY: usize = 8;

pub fn run(args: &StatusArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> Result<(), Error> {
    let on_stdout = match args.format {
        OutputFormat::Json => ProblemsOnStdout::Document,
        OutputFormat::Text => ProblemsOnStdout::Nothing,
    };
    let catalog = super::validate::load_valid(&args.paths, on_stdout, stdout, stderr)?;
    let results = super::runtime()?.block_on(async {
        let (api, _emulator) = super::connect(&args.connection, &catalog.campaigns).await?;
        let targets: Vec<(Kind, String)> =
            catalog.campaigns.iter().map(|resource| (resource.kind(), resource.arn.clone())).collect();
        Ok::<_, Error>(describe_many(Arc::new(api), &targets, CONCURRENCY).await)
    })?;
    super::unreachable(results.iter().filter_map(|result| result.as_ref().err()))?;
    let rows: Vec<(&LoadedResource, &Result<Option<LiveResource>, LiveError>)> =
        catalog.campaigns.iter().zip(&results).collect();
    match args.format {
        OutputFormat::Text => {
            let mixed = catalog.campaigns.iter().any(|resource| resource.kind() != Kind::Campaign);
            let rows: Vec<StatusRow> =
                rows.iter().map(|(campaign, result)| StatusRow::new(campaign, result)).collect();
            write_text(stdout, &rows, mixed)?;
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
    fn new(resource: &LoadedResource, result: &Result<Option<LiveResource>, LiveError>) -> Self {
        let dash = || "-".to_string();
        let with_reason = |text: String, reason: &Option<String>| match reason {
            Some(reason) => format!("{text} ({reason})"),
            None => text,
        };
        let name = display_name(resource.kind(), resource.name());
        match result {
            Ok(Some(LiveResource::Campaign(live))) => StatusRow {
                name,
                status: live.status.to_string(),
                serving: with_reason(live.solution_version_arn.clone(), &live.failure_reason),
                tps: live.min_provisioned_tps.map_or_else(dash, |tps| tps.to_string()),
                update: live.latest_update.as_ref().map_or_else(dash, |update| {
                    with_reason(update.status.to_string(), &update.failure_reason)
                }),
            },
            Ok(Some(LiveResource::Recommender(live))) => StatusRow {
                name,
                status: live.status.to_string(),
                serving: with_reason(live.recipe_arn.clone(), &live.failure_reason),
                tps: live
                    .config
                    .as_ref()
                    .and_then(|config| config.min_recommendation_requests_per_second)
                    .map_or_else(dash, |rps| rps.to_string()),
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

/// `mixed`: recommenders among the rows, whose minimum rate is requests per second and whose serving
/// column is their recipe.
fn write_text(out: &mut dyn Write, rows: &[StatusRow], mixed: bool) -> std::io::Result<()> {
    let header: [&str; 5] = if mixed {
        ["RESOURCE", "STATUS", "SERVING", "TPS/RPS", "LATEST UPDATE"]
    } else {
        ["CAMPAIGN", "STATUS", "SERVING", "TPS", "LATEST UPDATE"]
    };
    // An error message in the status column is as long as it is; it does not widen the column for every
    // other row.
    const MAX_STATUS_WIDTH: usize = 24;
    let mut widths = header.map(str::len);
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
    writeln!(out, "{}", line(header))?;
    for row in rows {
        writeln!(out, "{}", line(row.cells()))?;
    }
    Ok(())
}

fn row_json(resource: &LoadedResource, result: &Result<Option<LiveResource>, LiveError>) -> Value {
    let mut row = json!({
        "kind": resource.kind().as_str(),
        "name": resource.name(),
        "arn": resource.arn,
        "file": resource.file.display().to_string(),
        "exists": matches!(result, Ok(Some(_))),
        "status": null,
        "failureReason": null,
        "latestUpdate": null,
        "error": null,
    });
    match result {
        Ok(Some(LiveResource::Recommender(live))) => {
            row["status"] = json!(live.status.as_str());
            row["datasetGroupArn"] = json!(live.dataset_group_arn);
            row["recipeArn"] = json!(live.recipe_arn);
            row["recommenderConfig"] =
                json!(live.config.as_ref().map(crate::live::RecommenderConfig::to_json));
            row["failureReason"] = json!(live.failure_reason);
            if let Some(update) = &live.latest_update {
                row["latestUpdate"] = json!({
                    "status": update.status.as_str(),
                    "failureReason": update.failure_reason,
                    "recommenderConfig": update.config.as_ref().map(crate::live::RecommenderConfig::to_json),
                });
            }
        }
        Ok(Some(LiveResource::Campaign(live))) => {
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
