//! The errors a command can end with, each knowing its exit code.

use crate::live::LiveError;
use crate::load::LoadError;
use crate::local::LocalError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The files have problems; they were printed already.
    #[error("{problems} {} in {files} {} ({checked} checked)", plural(*problems, "problem"), plural(*files, "file"))]
    InvalidFiles { problems: usize, files: usize, checked: usize },
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(transparent)]
    Live(#[from] LiveError),
    #[error(transparent)]
    Local(#[from] LocalError),
    /// Some calls failed; each was reported next to its campaign.
    #[error("{failed} of {total} {} could not be read from AWS", plural(*total, "campaign"))]
    CallsFailed { failed: usize, total: usize },
    #[error("{0}")]
    Usage(String),
    #[error("cannot write {}: {source}", path.display())]
    WriteFile { path: std::path::PathBuf, source: std::io::Error },
    #[error(
        "{failed} of {total} {} did not reach the state of {}",
        plural(*total, "campaign"),
        if *failed == 1 { "its file" } else { "their files" }
    )]
    ApplyFailed { failed: usize, total: usize },
    #[error("interrupted: nothing new was started; changes already sent carry on in AWS (see above)")]
    Interrupted,
    #[error("{stale} {} changed in AWS since the plan was saved", plural(*stale, "campaign"))]
    StalePlan { stale: usize },
    /// Live moved while the plan was on screen; those campaigns were not sent anything.
    #[error(
        "{stale} {} changed in AWS since the plan was shown and {} not applied; run apply again to see the new plan",
        plural(*stale, "campaign"),
        if *stale == 1 { "was" } else { "were" }
    )]
    MovedSincePlan { stale: usize },
    #[error("cannot use the saved plan {}: {message}", path.display())]
    SavedPlan { path: std::path::PathBuf, message: String },
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
}

impl Error {
    /// Whoever read our output went away (`pz-apply plan | head`): not a failure of ours, as for any Unix
    /// tool.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Output(error) if error.kind() == std::io::ErrorKind::BrokenPipe)
    }

    /// 1 for errors (bad input, bad paths, failed calls, failed campaigns), 3 for a stale saved plan, 130
    /// after Ctrl-C or SIGTERM. 2 is kept for "changes pending" in plan.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::StalePlan { .. } | Error::MovedSincePlan { .. } => 3,
            Error::Interrupted => 130,
            _ => 1,
        }
    }
}

pub fn plural(count: usize, word: &str) -> String {
    if count == 1 { word.to_string() } else { format!("{word}s") }
}
