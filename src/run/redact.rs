//! Replace secrets with `***` in anything the runner writes or a report shows: the values of the
//! secrets file, and patterns that are secrets wherever they appear (passwords, bearer tokens,
//! JWTs, client secrets).

use std::path::Path;
use std::sync::OnceLock;

use regex::Regex;

use crate::error::{Error, Result};

pub const MASK: &str = "***";

/// Values shorter than this are not redacted literally: masking every `a` or `1` would ruin the
/// logs, and no password policy allows them (Entra ID needs 8 or more characters).
const MIN_SECRET_LEN: usize = 4;

#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Longest first, so a secret that contains another is masked whole.
    literals: Vec<String>,
}

fn patterns() -> &'static [(Regex, &'static str)] {
    static P: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    P.get_or_init(|| {
        let table: [(&str, &str); 7] = [
            // "Generated password for ann@contoso.com: x", "Password (temporary) = x": words
            // between the key and its separator; kept short so prose is not swallowed.
            // First: after it, the key=value form below finds only `***` to mask again.
            (
                r#"(?i)\b(passwords?\b[^:=*\r\n]{0,60}?[:=]\s*)("[^"]*"|'[^']*'|\S+)"#,
                "${1}***",
            ),
            // "password 'x'" / password "x" in prose (error texts quoting the value).
            (r#"(?i)(\bpassword\s+)('[^']*'|"[^"]*")"#, "${1}***"),
            // key=value / key: value / Key = 'value' / "key": "value" (hashtables, connection
            // strings, JSON, logs).
            (
                r#"(?i)\b((?:[a-z_]*password|passwd|passphrase|pwd|pw|client_?secret|secret|api_?key|access_?token|refresh_?token|token)["']?\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s;,&'"]+)"#,
                "${1}***",
            ),
            // -Password 'x', -AccessToken $t's value printed by a transcript, -ClientSecret x.
            (
                r#"(?i)(-(?:password|accesstoken|clientsecret|certificatepassword|secret)\s+)("[^"]*"|'[^']*'|\S+)"#,
                "${1}***",
            ),
            (r"(?i)\b(bearer\s+)[A-Za-z0-9\-._~+/]+=*", "${1}***"),
            (r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*", "***"),
            // ConvertTo-SecureString 'x' -AsPlainText
            (
                r#"(?i)(convertto-securestring\s+(?:-string\s+)?)("[^"]*"|'[^']*'|\S+)"#,
                "${1}***",
            ),
        ];
        table
            .into_iter()
            .filter_map(|(re, with)| Regex::new(re).ok().map(|r| (r, with)))
            .collect()
    })
}

impl Redactor {
    /// Only the built-in patterns.
    pub fn patterns_only() -> Self {
        Self::default()
    }

    pub fn with_secrets(mut secrets: Vec<String>) -> Self {
        secrets.retain(|s| s.chars().count() >= MIN_SECRET_LEN);
        secrets.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        secrets.dedup();
        Redactor { literals: secrets }
    }

    /// Reads the secrets handed to the steps. Accepted shapes: a CSV whose header names secret
    /// columns (`Password`, `Secret`, `Token`, `Key` ...), a JSON object or array (string values
    /// under such keys, or every string in an array), `key=value` lines; anything else: each
    /// non-empty line is one secret.
    pub fn from_secrets_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Ok(Self::with_secrets(secret_values(
            text.trim_start_matches('\u{feff}'),
        )))
    }

    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for lit in &self.literals {
            if out.contains(lit.as_str()) {
                out = out.replace(lit.as_str(), MASK);
            }
        }
        for (re, with) in patterns() {
            if let std::borrow::Cow::Owned(s) = re.replace_all(&out, *with) {
                out = s;
            }
        }
        mask_password_is(&out).unwrap_or(out)
    }
}

/// "the password is X", "password was X", "password reset to X": the word after is masked
/// unless it is one of the words error texts put there ("the password is too short").
fn mask_password_is(text: &str) -> Option<String> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    const PROSE: &[&str] = &[
        "a",
        "already",
        "an",
        "at",
        "being",
        "blank",
        "case",
        "changed",
        "complex",
        "correct",
        "different",
        "empty",
        "expired",
        "for",
        "in",
        "incorrect",
        "invalid",
        "locked",
        "long",
        "missing",
        "never",
        "no",
        "not",
        "now",
        "null",
        "of",
        "ok",
        "on",
        "required",
        "reset",
        "same",
        "set",
        "short",
        "still",
        "the",
        "to",
        "too",
        "valid",
        "weak",
        "wrong",
        "***",
    ];
    let re = RE
        .get_or_init(|| {
            Regex::new(
                r#"(?i)\b(passw(?:or)?ds?\s+(?:is|was|(?:re)?set\s+to|changed\s+to)\s+)("[^"]*"|'[^']*'|\S+)"#,
            )
            .ok()
        })
        .as_ref()?;
    if !re.is_match(text) {
        return None;
    }
    Some(
        re.replace_all(text, |c: &regex::Captures<'_>| {
            let word = c[2].trim_end_matches(['.', ',', ';', ':', '!', ')']);
            let quoted = c[2].starts_with(['"', '\'']);
            if !quoted && PROSE.iter().any(|p| p.eq_ignore_ascii_case(word)) {
                c[0].to_string()
            } else {
                format!("{}{MASK}", &c[1])
            }
        })
        .into_owned(),
    )
}

fn is_secret_key(key: &str) -> bool {
    let k = key.trim().trim_matches('"').to_ascii_lowercase();
    [
        "password",
        "passwd",
        "pwd",
        "secret",
        "token",
        "key",
        "credential",
    ]
    .iter()
    .any(|w| k.contains(w))
}

fn secret_values(text: &str) -> Vec<String> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(trimmed) {
            let mut out = Vec::new();
            json_secrets(&v, false, &mut out);
            return out;
        }
    }
    if let Some(values) = csv_secrets(text) {
        return values;
    }
    let kv: Vec<String> = text
        .lines()
        .filter_map(|l| l.split_once('='))
        .filter(|(k, _)| is_secret_key(k))
        .map(|(_, v)| v.trim().trim_matches(['"', '\'']).to_string())
        .collect();
    if !kv.is_empty() {
        return kv;
    }
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

fn json_secrets(v: &serde_json::Value, secret: bool, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) if secret => out.push(s.clone()),
        serde_json::Value::Array(items) => {
            for i in items {
                // A bare array of strings is a list of secrets.
                json_secrets(i, secret || i.is_string(), out);
            }
        }
        serde_json::Value::Object(map) => {
            for (k, val) in map {
                json_secrets(val, secret || is_secret_key(k), out);
            }
        }
        _ => {}
    }
}

fn csv_secrets(text: &str) -> Option<Vec<String>> {
    let first = text.lines().next()?;
    let delim = [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|d| first.bytes().filter(|b| b == d).count())?;
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delim)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = rdr.headers().ok()?.clone();
    let cols: Vec<usize> = headers
        .iter()
        .enumerate()
        .filter(|(_, h)| is_secret_key(h))
        .map(|(i, _)| i)
        .collect();
    if cols.is_empty() || headers.len() < 2 {
        return None;
    }
    let mut out = Vec::new();
    for rec in rdr.records().flatten() {
        for &c in &cols {
            if let Some(v) = rec.get(c) {
                out.push(v.to_string());
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_mask_passwords_tokens_and_jwts() {
        let r = Redactor::patterns_only();
        let cases = [
            ("Password=Hunter2!x", "Password=***"),
            ("set password: 'pa ss'", "set password: ***"),
            ("@{ Password = 'S3cret!'; Force = $true }", "@{ Password = ***; Force = $true }"),
            ("Authorization: Bearer abc.def-ghi", "Authorization: Bearer ***"),
            (
                "tok eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sflKxwRJSMeKKF2QT4fwpMeJf36 end",
                "tok *** end",
            ),
            ("New-X -Password 'abc def' -Name y", "New-X -Password *** -Name y"),
            ("client_secret=zzz&x=1", "client_secret=***&x=1"),
            (
                "ConvertTo-SecureString 'Pa55word!' -AsPlainText",
                "ConvertTo-SecureString *** -AsPlainText",
            ),
            ("the password 'Abc!234x' is too short", "the password *** is too short"),
            ("password does not comply", "password does not comply"),
            (
                "Generated password for ann@contoso.com: Zq8#kLm2!pQr",
                "Generated password for ann@contoso.com: ***",
            ),
            ("New password (temporary) = 'a b c' done", "New password (temporary) = *** done"),
            ("pwd=abc123;server=x", "pwd=***;server=x"),
            ("the secret: hunter22", "the secret: ***"),
            ("{\"client_secret\": \"xyz\"}", "{\"client_secret\": ***}"),
            ("nothing secret here", "nothing secret here"),
            // The shapes issue 9.5 found unmasked in logs.
            ("the new password is Zq8#kLm2", "the new password is ***"),
            ("Password was 'a b c' before", "Password was *** before"),
            ("password reset to Tide7-Spring", "password reset to ***"),
            ("login pw=Hunter22 ok", "login pw=*** ok"),
            ("passphrase: correct horse", "passphrase: *** horse"),
            ("The password is too short.", "The password is too short."),
            ("password is not valid", "password is not valid"),
            ("the password is incorrect", "the password is incorrect"),
        ];
        for (input, want) in cases {
            assert_eq!(r.redact(input), want, "{input}");
        }
    }

    #[test]
    fn literal_secrets_longest_first() {
        let r = Redactor::with_secrets(vec!["abcd".into(), "abcdefgh".into(), "x".into()]);
        assert_eq!(r.redact("a abcdefgh b abcd c x"), "a *** b *** c x");
    }

    #[test]
    fn secrets_file_shapes() {
        assert_eq!(
            secret_values("UserPrincipalName,Password\na@x.com,Pw-One-1\nb@x.com,Pw-Two-2\n"),
            vec!["Pw-One-1", "Pw-Two-2"]
        );
        assert_eq!(
            secret_values(
                r#"{"tenant":"contoso","client_secret":"s3cr3t-value","users":[{"upn":"a","password":"P1-xxxx"}]}"#
            ),
            vec!["s3cr3t-value", "P1-xxxx"]
        );
        assert_eq!(
            secret_values("ClientSecret=abc123\nTenant=contoso\n"),
            vec!["abc123"]
        );
        assert_eq!(
            secret_values("one-secret\n\ntwo-secret\n"),
            vec!["one-secret", "two-secret"]
        );
    }
}
