//! SARIF 2.1.0 for code-scanning viewers: one run, the rules that fired, one result each.

use serde_json::{json, Value};

use super::{Finding, Severity};

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A path as the URI SARIF wants: percent-encoded, `/`-separated, and a `file:` URI when
/// absolute (`/srv/x.csv` -> `file:///srv/x.csv`, `C:\x.csv` -> `file:///C:/x.csv`).
pub fn artifact_uri(path: &str) -> String {
    let p = path.replace('\\', "/");
    let b = p.as_bytes();
    let drive = b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':';
    let (prefix, rest) = if drive {
        ("file:///", p.get(2..).unwrap_or_default())
    } else if let Some(unc) = p.strip_prefix("//") {
        ("file://", unc)
    } else if p.starts_with('/') {
        ("file://", p.as_str())
    } else {
        ("", p.as_str())
    };
    let mut out = String::from(prefix);
    if drive {
        out.push(char::from(b[0]));
        out.push(':');
    }
    for byte in rest.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Findings of any stage as a SARIF log.
pub fn render(findings: &[Finding]) -> Value {
    let mut codes: Vec<&str> = findings.iter().map(|f| f.code).collect();
    codes.sort_unstable();
    codes.dedup();
    let rules: Vec<Value> = codes
        .iter()
        .map(|code| match crate::rules::by_code(code) {
            Some(r) => json!({
                "id": r.code,
                "name": r.name,
                "shortDescription": {"text": r.summary},
                "fullDescription": {"text": r.explanation},
                "help": {"text": r.hint},
                "defaultConfiguration": {"level": level(r.severity)},
            }),
            None => json!({"id": code}),
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let mut text = f.message.clone();
            if let Some(c) = &f.column {
                text.push_str(&format!(" (column {c}"));
                if let Some(v) = &f.value {
                    text.push_str(&format!(": {}", super::human::show_value(v)));
                }
                text.push(')');
            }
            let mut result = json!({
                "ruleId": f.code,
                "ruleIndex": codes.iter().position(|c| *c == f.code),
                "level": level(f.severity),
                "message": {"text": text},
            });
            if let Some(file) = &f.file {
                let mut loc = json!({"artifactLocation": {"uri": artifact_uri(file)}});
                if let Some(line) = f.line {
                    loc["region"] = json!({"startLine": line});
                }
                result["locations"] = json!([{"physicalLocation": loc}]);
            }
            result
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "cutover",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_point_at_rules_and_lines() {
        let f = Finding {
            code: "U001",
            severity: Severity::Error,
            file: Some("dir\\users.csv".into()),
            line: Some(7),
            column: None,
            value: None,
            message: "blank".into(),
            hint: String::new(),
        };
        let v = render(&[f]);
        let run = &v["runs"][0];
        assert_eq!(v["version"], "2.1.0");
        assert_eq!(run["tool"]["driver"]["rules"][0]["id"], "U001");
        assert_eq!(run["results"][0]["ruleIndex"], 0);
        let loc = &run["results"][0]["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], "dir/users.csv");
        assert_eq!(loc["region"]["startLine"], 7);
    }

    #[test]
    fn artifact_uris_are_percent_encoded_and_absolute_paths_are_file_uris() {
        assert_eq!(artifact_uri("my users #1.csv"), "my%20users%20%231.csv");
        assert_eq!(artifact_uri("in/Zoë.csv"), "in/Zo%C3%AB.csv");
        assert_eq!(artifact_uri("/srv/in/a b.csv"), "file:///srv/in/a%20b.csv");
        assert_eq!(
            artifact_uri("C:\\Mig\\users 1.csv"),
            "file:///C:/Mig/users%201.csv"
        );
        assert_eq!(
            artifact_uri("\\\\srv\\share\\u.csv"),
            "file://srv/share/u.csv"
        );
    }
}
