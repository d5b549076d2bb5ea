//! Whether a named AWS profile exists, read the way the AWS CLI finds its files: `AWS_CONFIG_FILE` or
//! `~/.aws/config` (sections `[profile NAME]`, `[default]`), and `AWS_SHARED_CREDENTIALS_FILE` or
//! `~/.aws/credentials` (sections `[NAME]`).

use std::path::PathBuf;

use super::LiveError;

/// The config files, each with how to name it in a message.
fn files() -> [(PathBuf, String, bool); 2] {
    let home = std::env::var_os("HOME").or_else(|| std::env::var_os("USERPROFILE")).map(PathBuf::from);
    let locate = |variable: &str, default: &str, is_config: bool| match std::env::var_os(variable)
        .filter(|value| !value.is_empty())
    {
        Some(path) => {
            let path = PathBuf::from(path);
            let shown = format!("{} ({variable})", path.display());
            (path, shown, is_config)
        }
        None => {
            let path = home.clone().unwrap_or_default().join(default.trim_start_matches("~/"));
            (path, default.to_string(), is_config)
        }
    };
    [
        locate("AWS_CONFIG_FILE", "~/.aws/config", true),
        locate("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials", false),
    ]
}

/// The profile names one file defines.
fn profiles_in(text: &str, is_config: bool) -> Vec<String> {
    text.lines()
        .filter_map(|line| line.trim().strip_prefix('[')?.split_once(']').map(|(name, _)| name.trim()))
        .filter_map(|section| match (is_config, section.split_once(char::is_whitespace)) {
            (true, Some(("profile", name))) => Some(name.trim().to_string()),
            (true, None) if section == "default" => Some(section.to_string()),
            // sso-session, services and other sections are not profiles.
            (true, _) => None,
            (false, _) => Some(section.to_string()),
        })
        .collect()
}

/// `Ok` when `name` is defined in either file; otherwise an error that names both files and the
/// profiles they do define.
pub fn check_defined(name: &str) -> Result<(), LiveError> {
    let mut defined = Vec::new();
    let mut searched = Vec::new();
    let mut missing = Vec::new();
    for (path, label, is_config) in files() {
        match std::fs::read_to_string(&path) {
            Ok(text) => defined.extend(profiles_in(&text, is_config)),
            Err(_) => missing.push(label.clone()),
        }
        searched.push(label);
    }
    if defined.iter().any(|known| known == name) {
        return Ok(());
    }
    defined.sort();
    defined.dedup();
    let missing = match missing.len() {
        0 => String::new(),
        1 => format!(" ({} does not exist)", missing[0]),
        _ => " (neither exists)".to_string(),
    };
    let known = match (defined.is_empty(), missing.is_empty()) {
        (false, _) => format!("; profiles there: {}", defined.join(", ")),
        (true, true) => "; they define no profile".to_string(),
        (true, false) => String::new(),
    };
    Err(LiveError::Setup(format!(
        "the AWS profile `{name}` (from --profile or AWS_PROFILE) is not defined in {}{missing}{known}. \
         Create it with `aws configure --profile {name}` (or `aws configure sso`), or name another one",
        searched.join(" or ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_that_are_profiles() {
        let config = "[default]\nregion = eu-west-1\n[profile dev]\n[sso-session corp]\n[ profile  ci ]\n[services s]\n";
        assert_eq!(profiles_in(config, true), ["default", "dev", "ci"]);
        assert_eq!(profiles_in("[default]\n[prod] # comment\n", false), ["default", "prod"]);
    }
}
