//! Finding campaign files, reading them and checking every document in them.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use crate::diagnostic::Diagnostic;
use crate::validate::{LoadedResource, check_document, check_unique};
use crate::yaml::{self, MAX_FILE_BYTES, Position};

/// Where `pz-apply` looks when no path is given.
pub const DEFAULT_PATH: &str = "campaigns";

/// Everything read from the given paths: the campaigns that are valid, and every problem found.
#[derive(Debug, Default)]
pub struct Catalog {
    pub files: Vec<PathBuf>,
    pub campaigns: Vec<LoadedResource>,
    pub diagnostics: Vec<Diagnostic>,
    /// The text of every file read, for showing the offending lines.
    pub sources: BTreeMap<PathBuf, String>,
}

impl Catalog {
    pub fn is_valid(&self) -> bool {
        self.diagnostics.is_empty()
    }
}

/// Problems with the paths themselves, before any file could be checked.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{}: no such file or directory", path.display())]
    NotFound { path: PathBuf },
    /// No path was named and the default directory is not there: most likely a first run.
    #[error(
        "no `{DEFAULT_PATH}/` directory here, where pz-apply reads campaign files when no path is given. \
         Start a repository with `pz-apply init`, write files for campaigns that already exist with \
         `pz-apply import --all`, or name the files or directories to read"
    )]
    NoDefaultDirectory,
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("no campaign files (*.yaml, *.yml) found in {}", list(paths))]
    NoFiles { paths: Vec<PathBuf> },
}

fn list(paths: &[PathBuf]) -> String {
    paths.iter().map(|path| path.display().to_string()).collect::<Vec<_>>().join(", ")
}

/// Reads and checks the files and directories in `paths` (directories recursively, `*.yaml` and `*.yml`,
/// hidden entries skipped), in argument order and then by name.
pub fn load(paths: &[PathBuf]) -> Result<Catalog, LoadError> {
    let files = discover(paths)?;
    let mut catalog = Catalog::default();
    for file in files {
        match read_limited(&file) {
            Ok(ReadOutcome::Text(source)) => {
                let (campaigns, diagnostics) = check_source(&file, &source);
                catalog.campaigns.extend(campaigns);
                catalog.diagnostics.extend(diagnostics);
                catalog.sources.insert(file.clone(), source);
            }
            Ok(ReadOutcome::Refused { diagnostic, shown }) => {
                catalog.diagnostics.push(diagnostic);
                if let Some(shown) = shown {
                    catalog.sources.insert(file.clone(), shown);
                }
            }
            Err(source) => return Err(LoadError::Io { path: file, source }),
        }
        catalog.files.push(file);
    }
    check_unique(&catalog.campaigns, &mut catalog.diagnostics);
    catalog.diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    Ok(catalog)
}

/// Checks the text of one file: every document in it, independently.
pub fn check_source(file: &Path, source: &str) -> (Vec<LoadedResource>, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let documents = match yaml::parse_documents(source) {
        Ok(documents) => documents,
        Err(error) => {
            let diagnostic = Diagnostic::new(file, error.position, error.message);
            diagnostics.push(match error.help {
                Some(help) => diagnostic.help(help),
                None => diagnostic,
            });
            return (Vec::new(), diagnostics);
        }
    };
    if documents.is_empty() {
        let nothing = Position { line: 1, column: 1, len: 0 };
        let what = if source.trim().is_empty() { "it is empty" } else { "only comments" };
        diagnostics.push(
            Diagnostic::new(file, nothing, format!("the file holds no campaign ({what})")).help(
                "write a campaign in it (at least `name:` and `solutionVersionArn:`), or delete the file",
            ),
        );
        return (Vec::new(), diagnostics);
    }
    let campaigns =
        documents.iter().filter_map(|document| check_document(file, document, &mut diagnostics)).collect();
    (campaigns, diagnostics)
}

enum ReadOutcome {
    Text(String),
    /// Not checked; `shown` is what to print as the offending line, when there is something to show.
    Refused {
        diagnostic: Diagnostic,
        shown: Option<String>,
    },
}

/// Reads at most one byte past the limit, so a huge file costs nothing.
fn read_limited(file: &Path) -> io::Result<ReadOutcome> {
    let mut bytes = Vec::new();
    fs::File::open(file)?.take(MAX_FILE_BYTES as u64 + 1).read_to_end(&mut bytes)?;
    let start = Position { line: 1, column: 1, len: 0 };
    if bytes.len() > MAX_FILE_BYTES {
        let diagnostic = Diagnostic::new(
            file,
            start,
            format!("file is larger than the {MAX_FILE_BYTES} byte limit for campaign files"),
        )
        .help("a campaign file is a few hundred bytes; split this one, or check it is the file you meant");
        return Ok(ReadOutcome::Refused { diagnostic, shown: None });
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(ReadOutcome::Text(text)),
        Err(error) => {
            let valid = &error.as_bytes()[..error.utf8_error().valid_up_to()];
            let valid = std::str::from_utf8(valid).unwrap_or_default();
            let (line, last_line) = yaml::source_lines(valid).enumerate().last().unwrap_or((0, ""));
            let (line, column) = (line + 1, last_line.chars().count() + 1);
            let position = Position {
                line: u32::try_from(line).unwrap_or(u32::MAX),
                column: u32::try_from(column).unwrap_or(u32::MAX),
                len: 1,
            };
            let diagnostic = Diagnostic::new(file, position, "file is not valid UTF-8 text")
                .help("save the file as UTF-8");
            let shown = String::from_utf8_lossy(error.as_bytes()).into_owned();
            Ok(ReadOutcome::Refused { diagnostic, shown: Some(shown) })
        }
    }
}

fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, LoadError> {
    let mut files = Vec::new();
    let mut seen = HashSet::new();
    for path in paths {
        let metadata = fs::metadata(path).map_err(|source| match source.kind() {
            io::ErrorKind::NotFound if paths == [PathBuf::from(DEFAULT_PATH)] => {
                LoadError::NoDefaultDirectory
            }
            io::ErrorKind::NotFound => LoadError::NotFound { path: path.clone() },
            _ => LoadError::Io { path: path.clone(), source },
        })?;
        if metadata.is_dir() {
            walk(path, &mut files, &mut seen)?;
        } else {
            // A file named on the command line is read whatever its extension.
            add_once(path, &mut files, &mut seen);
        }
    }
    if files.is_empty() {
        return Err(LoadError::NoFiles { paths: paths.to_vec() });
    }
    Ok(files)
}

fn add_once(path: &Path, files: &mut Vec<PathBuf>, seen: &mut HashSet<PathBuf>) {
    let identity = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    if seen.insert(identity) {
        files.push(path.to_path_buf());
    }
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>, seen: &mut HashSet<PathBuf>) -> Result<(), LoadError> {
    // Directories are remembered too, so a symlink loop ends.
    let identity = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    if !seen.insert(identity) {
        return Ok(());
    }
    let io_error = |source| LoadError::Io { path: dir.to_path_buf(), source };
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(io_error)?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<Result<_, _>>()
        .map_err(io_error)?;
    entries.sort();
    for entry in entries {
        let hidden =
            entry.file_name().and_then(|name| name.to_str()).is_some_and(|name| name.starts_with('.'));
        if hidden {
            continue;
        }
        if entry.is_dir() {
            walk(&entry, files, seen)?;
        } else if is_yaml(&entry) {
            add_once(&entry, files, seen);
        }
    }
    Ok(())
}

fn is_yaml(path: &Path) -> bool {
    path.extension().and_then(|extension| extension.to_str()).is_some_and(|extension| {
        extension.eq_ignore_ascii_case("yaml") || extension.eq_ignore_ascii_case("yml")
    })
}
