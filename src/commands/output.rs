//! Standard output or error closed or full (`cutover lint | head`, `2>/dev/full`): `println!`
//! and `eprintln!` panic then. Such a panic is not a bug in cutover: it ends the process
//! quietly with 0 for a closed pipe (the reader has what it wanted), else 2 with one line and
//! no backtrace.

use std::io::Write;
use std::sync::Once;

/// Replaces the panic hook for the print failures only; every other panic keeps the default
/// report (it is a bug, and the backtrace helps).
pub fn guard() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let text = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied())
                .unwrap_or("");
            match print_failure(text) {
                Some(code) => {
                    if code != 0 {
                        // Standard error may be the stream that failed: best effort, once.
                        let _ = writeln!(std::io::stderr(), "cutover: error: {text}");
                    }
                    std::process::exit(code)
                }
                None => default(info),
            }
        }));
    });
}

/// The exit status for a panic message from `print!`-family macros, or None for another panic.
fn print_failure(text: &str) -> Option<i32> {
    if !(text.starts_with("failed printing to stdout")
        || text.starts_with("failed printing to stderr"))
    {
        return None;
    }
    Some(
        if text.contains("Broken pipe") || text.contains("os error 32") {
            0
        } else {
            2
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_print_failures_are_caught() {
        assert_eq!(
            print_failure("failed printing to stdout: Broken pipe (os error 32)"),
            Some(0)
        );
        assert_eq!(
            print_failure("failed printing to stderr: No space left on device (os error 28)"),
            Some(2)
        );
        assert_eq!(print_failure("index out of bounds"), None);
    }
}
