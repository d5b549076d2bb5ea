//! Logs on stderr, with every credential taken out. The AWS SDK's debug logs print the identity it signs
//! with (the access key id in clear); pz-apply's logs must never carry any part of a credential, at any
//! level, whatever `PZ_LOG` asks for.

use std::io::{self, Write};
use std::sync::{LazyLock, RwLock};

use regex::Regex;

use crate::cli::LogFormat;

/// Credentials seen by the credential provider, to be taken out of every log line.
static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// AWS access key ids, whoever's they are (`AKIA…` long-term, `ASIA…` temporary).
static ACCESS_KEY_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(?:AKIA|ASIA|AIDA|AROA|AGPA|ANPA|ANVA|AIPA)[A-Z0-9]{12,}\b").unwrap());

const REDACTED: &str = "** redacted **";

/// Logs at the level `-v` asks for (`PZ_LOG` wins), as text or JSON, on stderr.
pub fn init(verbose: u8, format: LogFormat, color: bool) {
    // aws-config warns about every credential and region source it tries and does not find (instance
    // metadata, profiles); pz-apply reports what matters itself, so those stay quiet unless asked for.
    let default = match verbose {
        0 => "warn,aws_config=error",
        1 => "info,aws_config=warn",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("PZ_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| RedactingWriter(io::stderr()))
        .with_ansi(color);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// From now on, `secret` never appears in a log line.
pub fn redact(secret: &str) {
    // Short values ("x" in a test) would mangle every line; no real key, secret or token is that short.
    if secret.len() < 8 {
        return;
    }
    let mut secrets = SECRETS.write().unwrap_or_else(|poisoned| poisoned.into_inner());
    if !secrets.iter().any(|known| known == secret) {
        secrets.push(secret.to_string());
    }
}

/// `text` with every known credential and anything shaped like an access key id replaced.
pub fn redacted(text: &str) -> String {
    let mut text = ACCESS_KEY_ID.replace_all(text, REDACTED).into_owned();
    for secret in SECRETS.read().unwrap_or_else(|poisoned| poisoned.into_inner()).iter() {
        if text.contains(secret.as_str()) {
            text = text.replace(secret.as_str(), REDACTED);
        }
    }
    text
}

/// tracing formats each event in full, then writes it with one call: each write is one whole line.
struct RedactingWriter<W>(W);

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write_all(redacted(&String::from_utf8_lossy(buf)).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ids_and_registered_secrets_are_taken_out() {
        redact("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
        let line = r#"Credentials { access_key_id: "AKIAIOSFODNN7EXAMPLE", secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" }"#;
        assert_eq!(
            redacted(line),
            r#"Credentials { access_key_id: "** redacted **", secret: "** redacted **" }"#
        );
        assert_eq!(redacted("campaign/AKIA"), "campaign/AKIA");
        let mut out = Vec::new();
        RedactingWriter(&mut out).write_all(b"key ASIAY34FZKBOKMUTVV7A\n").unwrap();
        assert_eq!(out, b"key ** redacted **\n");
    }
}
