//! Problems found in campaign files, each tied to a file, a position and, where there is one, a field.

use std::path::{Path, PathBuf};

use crate::yaml::Position;

/// One problem in one file.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub file: PathBuf,
    pub position: Position,
    /// The field, as its path in the file (`campaignConfig.rankingInfluence.FRESHNESS`), when the problem is
    /// about one.
    pub field: Option<String>,
    pub message: String,
    /// How to fix it, when there is more to say than the message.
    pub help: Option<String>,
    /// Other places that explain this one (the first definition of a duplicate, say).
    pub related: Vec<RelatedLocation>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RelatedLocation {
    pub file: PathBuf,
    pub position: Position,
    pub message: String,
}

impl Diagnostic {
    pub fn new(file: &Path, position: Position, message: impl Into<String>) -> Self {
        Diagnostic {
            file: file.to_path_buf(),
            position,
            field: None,
            message: message.into(),
            help: None,
            related: Vec::new(),
        }
    }

    pub fn field(mut self, field: impl Into<String>) -> Self {
        let field = field.into();
        if !field.is_empty() {
            self.field = Some(field);
        }
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn related(mut self, file: &Path, position: Position, message: impl Into<String>) -> Self {
        self.related.push(RelatedLocation { file: file.to_path_buf(), position, message: message.into() });
        self
    }

    /// Orders diagnostics as a reader scans them: by file, then by position.
    pub fn sort_key(&self) -> (&Path, u32, u32) {
        (&self.file, self.position.line, self.position.column)
    }
}
