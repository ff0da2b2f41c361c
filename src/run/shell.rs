//! Quoting for the commands the runner prints for copy and paste (`cutover run BUNDLE --resume`,
//! `cutover report RUN`, `--import-results`): a path with a space, `$`, a quote or `;` stays
//! one argument and never becomes code in the operator's shell.

/// `arg` as one word for the shell the operator types into: POSIX sh on Unix (single quotes,
/// `'` as `'\''`), PowerShell on Windows (single quotes, `'` and its typographic look-alikes
/// doubled, as PowerShell treats them all as quotes). Plain words are left alone.
pub fn shell_arg(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, '_' | '-' | '.' | '/' | ':' | '@' | '+' | ',' | '=')
                || (cfg!(windows) && c == '\\')
        })
        && !arg.starts_with(['-', '~', '=']);
    if plain {
        return arg.to_string();
    }
    if cfg!(windows) {
        let mut out = String::from("'");
        for c in arg.chars() {
            if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}') {
                out.push(c);
            }
            out.push(c);
        }
        out.push('\'');
        out
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// A path as one shell word (lossy for the rare non-UTF-8 path, which is only printed).
pub fn shell_path(path: &std::path::Path) -> String {
    shell_arg(&path.to_string_lossy())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_words_stay_and_everything_else_is_one_quoted_word() {
        assert_eq!(shell_arg("bundle/runs/2026"), "bundle/runs/2026");
        #[cfg(unix)]
        {
            assert_eq!(shell_arg("my bundle"), "'my bundle'");
            assert_eq!(shell_arg("a'b; rm -rf ~"), r"'a'\''b; rm -rf ~'");
            assert_eq!(shell_arg("$(id)`x`"), "'$(id)`x`'");
            assert_eq!(shell_arg("[x]"), "'[x]'");
            assert_eq!(shell_arg("-x"), "'-x'");
            assert_eq!(shell_arg(""), "''");
        }
        #[cfg(windows)]
        {
            assert_eq!(shell_arg("C:\\b"), "C:\\b");
            assert_eq!(shell_arg("a'b \u{2019}c"), "'a''b \u{2019}\u{2019}c'");
        }
    }
}
