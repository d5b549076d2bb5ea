//! Every relative link in the README and docs/ points at a file that exists, and every `#anchor` at a
//! heading of that file (GitHub's anchor rules), so the split documentation cannot rot silently.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use regex::Regex;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn pages() -> Vec<PathBuf> {
    let mut pages = vec![root().join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "md"))
        .collect();
    docs.sort();
    pages.extend(docs);
    pages
}

/// The page's lines outside fenced code blocks.
fn prose(text: &str) -> Vec<&str> {
    let mut fenced = false;
    text.lines()
        .filter(|line| {
            if line.trim_start().starts_with("```") {
                fenced = !fenced;
                return false;
            }
            !fenced
        })
        .collect()
}

/// The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as hyphens, and a
/// `-1`, `-2`... suffix for repeats.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    for line in prose(text) {
        let Some(heading) = line.strip_prefix('#') else { continue };
        let title = heading.trim_start_matches('#').trim();
        let slug: String = title
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        let mut unique = slug.clone();
        let mut repeat = 0;
        while seen.contains(&unique) {
            repeat += 1;
            unique = format!("{slug}-{repeat}");
        }
        seen.insert(unique);
    }
    seen
}

#[test]
fn every_relative_link_resolves() {
    let link = Regex::new(r"\]\(([^)\s]+)\)").unwrap();
    let mut checked = 0;
    let mut broken = Vec::new();
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        for line in prose(&text) {
            for capture in link.captures_iter(line) {
                let target = &capture[1];
                if target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                checked += 1;
                let (path, anchor) = target.split_once('#').unwrap_or((target, ""));
                let file = if path.is_empty() { page.clone() } else { page.parent().unwrap().join(path) };
                let shown = format!("{}: {target}", page.strip_prefix(root()).unwrap().display());
                if !file.exists() {
                    broken.push(format!("{shown} (no such file)"));
                } else if !anchor.is_empty()
                    && !anchors(&std::fs::read_to_string(&file).unwrap()).contains(anchor)
                {
                    broken.push(format!("{shown} (no such heading)"));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    assert!(checked > 40, "only {checked} links found: is the pattern still right?");
}

#[test]
fn every_page_in_docs_is_linked_from_the_readme() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    for page in pages().iter().skip(1) {
        let name = format!("docs/{}", page.file_name().unwrap().to_string_lossy());
        assert!(readme.contains(&format!("]({name}")), "README does not link {name}");
    }
}

#[test]
fn anchors_follow_githubs_rules() {
    let page = "# `pz-apply schema`\n## Managed and unmanaged fields: the safety rule\n## Logs\n## Logs\n";
    let expected = ["logs", "logs-1", "managed-and-unmanaged-fields-the-safety-rule", "pz-apply-schema"];
    assert_eq!(anchors(page).into_iter().collect::<Vec<_>>(), expected);
}
