//! The one way a literal gets into generated PowerShell: a single-quoted string.
//!
//! PowerShell treats U+0027, U+2018, U+2019, U+201A and U+201B all as single quotes
//! (language spec chapter 2, `CharTraits.IsSingleQuote`); inside a single-quoted string any of
//! them followed by any of them is one escaped quote, so doubling each of them is enough
//! (the port of `CodeGeneration.EscapeSingleQuotedStringContent`). Control characters are
//! refused: a literal never spans lines. Everything else (`$`, backticks, `;`, `|`, `@{}`)
//! is inert inside single quotes.

use crate::error::{Error, Result};

/// The characters PowerShell's tokenizer reads as a single quote.
pub const SINGLE_QUOTES: [char; 5] = ['\'', '\u{2018}', '\u{2019}', '\u{201A}', '\u{201B}'];

/// `value` as a PowerShell single-quoted literal, quotes included.
pub fn ps_single_quoted(value: &str) -> Result<String> {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if c.is_control() {
            return Err(Error::Usage(format!(
                "value {:?} holds control character U+{:04X}; it cannot be written into a script",
                value, c as u32
            )));
        }
        if SINGLE_QUOTES.contains(&c) {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_values_are_wrapped() {
        assert_eq!(
            ps_single_quoted("svc-migration").unwrap(),
            "'svc-migration'"
        );
        assert_eq!(ps_single_quoted("").unwrap(), "''");
    }

    #[test]
    fn every_single_quote_character_is_doubled() {
        for q in SINGLE_QUOTES {
            let got = ps_single_quoted(&format!("a{q}b")).unwrap();
            assert_eq!(got, format!("'a{q}{q}b'"), "quote U+{:04X}", q as u32);
        }
        assert_eq!(
            ps_single_quoted("\u{2018}\u{2019}'").unwrap(),
            "'\u{2018}\u{2018}\u{2019}\u{2019}'''"
        );
    }

    #[test]
    fn double_quotes_dollars_and_backticks_stay_inert() {
        let v = "\"\u{201C}\u{201D}\u{201E} $(Remove-Item) `n ; | @{} -Force \u{2013}x";
        assert_eq!(ps_single_quoted(v).unwrap(), format!("'{v}'"));
    }

    #[test]
    fn every_control_character_is_refused() {
        let controls = (0u32..0x20).chain(0x7F..0xA0).filter_map(char::from_u32);
        for c in controls {
            assert!(
                ps_single_quoted(&format!("a{c}b")).is_err(),
                "U+{:04X} accepted",
                c as u32
            );
        }
    }

    #[test]
    fn non_control_unicode_passes_through() {
        let v = "Zoë \u{200F}Ñ Œ \u{00A0}x\u{0085}";
        // NEL (U+0085) is a C1 control: refused even though it is also PowerShell whitespace.
        assert!(ps_single_quoted(v).is_err());
        let ok = "Zoë \u{200F}Ñ Œ \u{00A0}x";
        assert_eq!(ps_single_quoted(ok).unwrap(), format!("'{ok}'"));
    }

    #[test]
    fn the_result_has_no_unpaired_quote() {
        // After stripping the outer quotes, quote characters only ever come in pairs.
        for v in ["'", "''", "’'‘", "a'’b‚‛", "‛"] {
            let q = ps_single_quoted(v).unwrap();
            let inner: Vec<char> = q.chars().collect();
            let inner = &inner[1..inner.len() - 1];
            let mut i = 0;
            while i < inner.len() {
                if SINGLE_QUOTES.contains(&inner[i]) {
                    assert!(i + 1 < inner.len() && SINGLE_QUOTES.contains(&inner[i + 1]));
                    i += 2;
                } else {
                    i += 1;
                }
            }
        }
    }
}
