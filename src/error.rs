//! The errors a command can end with, each knowing its exit code.

use crate::load::LoadError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The files have problems; they were printed already.
    #[error("{problems} {} in {files} {} ({checked} checked)", plural(*problems, "problem"), plural(*files, "file"))]
    InvalidFiles { problems: usize, files: usize, checked: usize },
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
}

impl Error {
    /// 1 for every error: bad input, bad paths, failed output. (2 is kept for "changes pending" in plan.)
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::InvalidFiles { .. } | Error::Load(_) | Error::Output(_) => 1,
        }
    }
}

pub fn plural(count: usize, word: &str) -> String {
    if count == 1 { word.to_string() } else { format!("{word}s") }
}
