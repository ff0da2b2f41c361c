//! One notice as an RFC 5322 message: CRLF lines, UTF-8 text in quoted-printable, non-ASCII
//! header text as RFC 2047 encoded-words, and no value able to add a header of its own.

/// A message ready to write: everything already rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Eml<'a> {
    pub from_name: &'a str,
    pub from: &'a str,
    pub to_name: &'a str,
    pub to: &'a str,
    pub subject: &'a str,
    /// RFC 5322 date-time.
    pub date: &'a str,
    /// With the angle brackets.
    pub message_id: &'a str,
    pub body: &'a str,
}

/// Header text on one line: every control character (a line break would start a new header)
/// becomes a space, and runs of spaces one space, as a mail reader shows them anyway.
fn one_line(s: &str) -> String {
    s.split(|c: char| c.is_control() || c == ' ')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(B64[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// RFC 2047 `B` encoded-words, each at most 75 characters and split only between
/// characters, separated by folding whitespace. ASCII text is returned as it is.
pub fn encode_words(text: &str) -> String {
    if text.is_ascii() {
        return text.to_string();
    }
    // "=?UTF-8?B?" + "?=" is 12 characters; 45 bytes of text make 60 of base64.
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in text.chars() {
        if chunk.len() + c.len_utf8() > 45 {
            words.push(format!("=?UTF-8?B?{}?=", base64(chunk.as_bytes())));
            chunk.clear();
        }
        chunk.push(c);
    }
    if !chunk.is_empty() {
        words.push(format!("=?UTF-8?B?{}?=", base64(chunk.as_bytes())));
    }
    words.join("\r\n ")
}

/// A mailbox `Name <addr>`: the name as encoded-words when not ASCII, as a quoted string
/// when it holds specials, bare otherwise.
pub fn mailbox(name: &str, addr: &str) -> String {
    let name = one_line(name);
    let addr = one_line(addr).replace(['<', '>', ' '], "");
    if name.is_empty() {
        return addr;
    }
    let shown = if !name.is_ascii() {
        encode_words(&name)
    } else if name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || " !#$%&'*+-/=?^_`{|}~".contains(c))
    {
        name
    } else {
        format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
    };
    format!("{shown} <{addr}>")
}

/// Quoted-printable (RFC 2045) of UTF-8 text with CRLF line breaks, lines at most 76.
pub fn quoted_printable(text: &str) -> String {
    let mut out = String::new();
    let normalised = text.replace("\r\n", "\n");
    let lines: Vec<&str> = normalised.split('\n').collect();
    for (i, line) in lines.iter().enumerate() {
        let mut col = 0;
        let bytes = line.as_bytes();
        for (j, &b) in bytes.iter().enumerate() {
            let last = j + 1 == bytes.len();
            let literal =
                (b == b' ' || b == b'\t') && !last || (33..=126).contains(&b) && b != b'=';
            let piece = if literal {
                char::from(b).to_string()
            } else {
                format!("={b:02X}")
            };
            if col + piece.len() > 75 {
                out.push_str("=\r\n");
                col = 0;
            }
            col += piece.len();
            out.push_str(&piece);
        }
        if i + 1 < lines.len() {
            out.push_str("\r\n");
        }
    }
    out
}

/// `Name: value` folded at spaces so lines stay within 78 characters where the words allow
/// (RFC 5322 section 2.1.1); encoded-words arrive already folded.
fn header(name: &str, value: &str) -> String {
    let mut out = format!("{name}:");
    let mut col = out.len();
    for (i, word) in value.split(' ').enumerate() {
        let sep = if i == 0 || !word.is_empty() { " " } else { "" };
        if col + sep.len() + word.len() > 78 && col > name.len() + 1 {
            out.push_str("\r\n");
            col = 0;
        }
        out.push_str(sep);
        out.push_str(word);
        col = match word.rfind('\n') {
            Some(i) => word.len() - i - 1,
            None => col + sep.len() + word.len(),
        };
    }
    out.push_str("\r\n");
    out
}

/// The whole message.
pub fn render(m: &Eml<'_>) -> String {
    let mut s = String::new();
    s.push_str(&header("From", &mailbox(m.from_name, m.from)));
    s.push_str(&header("To", &mailbox(m.to_name, m.to)));
    s.push_str(&header("Subject", &encode_words(&one_line(m.subject))));
    s.push_str(&header("Date", &one_line(m.date)));
    s.push_str(&header("Message-ID", &one_line(m.message_id)));
    s.push_str("MIME-Version: 1.0\r\n");
    s.push_str("Content-Type: text/plain; charset=utf-8\r\n");
    s.push_str("Content-Transfer-Encoding: quoted-printable\r\n");
    // Outlook opens a message with X-Unsent: 1 as a draft, ready to send by hand.
    s.push_str("X-Unsent: 1\r\n");
    s.push_str("\r\n");
    s.push_str(&quoted_printable(m.body));
    if !s.ends_with("\r\n") {
        s.push_str("\r\n");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_4648_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }

    #[test]
    fn encoded_words_stay_short_and_split_between_characters() {
        let text = "Zoë Müller ".repeat(10);
        let enc = encode_words(&text);
        for w in enc.split("\r\n ") {
            assert!(w.len() <= 75, "{w}");
            assert!(w.starts_with("=?UTF-8?B?") && w.ends_with("?="));
        }
        assert_eq!(encode_words("plain"), "plain");
    }

    #[test]
    fn names_are_quoted_or_encoded_and_line_breaks_cannot_add_headers() {
        assert_eq!(mailbox("Ann Lee", "ann@c.com"), "Ann Lee <ann@c.com>");
        assert_eq!(mailbox("Lee, Ann", "ann@c.com"), "\"Lee, Ann\" <ann@c.com>");
        assert_eq!(mailbox("", "ann@c.com"), "ann@c.com");
        let m = mailbox("Eve\r\nBcc: x@evil.test", "eve@c.com");
        assert!(!m.contains('\n') && !m.contains('\r'), "{m}");
    }

    #[test]
    fn long_headers_fold_at_spaces() {
        let h = header("Subject", &"word ".repeat(30));
        for line in h.trim_end_matches("\r\n").split("\r\n") {
            assert!(line.len() <= 78, "{line:?}");
        }
        assert!(h.starts_with("Subject: word word"));
        assert_eq!(header("To", "a <b@c>"), "To: a <b@c>\r\n");
    }

    proptest::proptest! {
        /// Whatever a name, subject or body holds, a standard parser (mailparse) reads back
        /// the same text and no header appears that the message did not write.
        #[test]
        fn any_text_round_trips_through_a_standard_parser(
            name in "[ -~\\u{a0}-\\u{2fff}\\r\\n]{0,60}",
            subject in "[ -~\\u{a0}-\\u{2fff}\\r\\n]{1,120}",
            body in "[ -~\\u{a0}-\\u{2fff}\\n]{0,300}",
        ) {
            let raw = render(&Eml {
                from_name: "IT",
                from: "it@contoso.com",
                to_name: &name,
                to: "ann@contoso.com",
                subject: &subject,
                date: "Fri, 15 Jan 2027 08:00:00 -0000",
                message_id: "<a@contoso.com>",
                body: &body,
            });
            proptest::prop_assert!(raw.is_ascii());
            let mail = mailparse::parse_mail(raw.as_bytes()).unwrap();
            use mailparse::MailHeaderMap;
            let names: Vec<String> = mail.headers.iter().map(|h| h.get_key()).collect();
            proptest::prop_assert_eq!(
                names,
                ["From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type", "Content-Transfer-Encoding", "X-Unsent"]
            );
            let got_subject = mail.headers.get_first_value("Subject").unwrap();
            let want_subject = one_line(&subject);
            proptest::prop_assert_eq!(got_subject.trim(), want_subject.trim());
            let to = mailparse::addrparse_header(mail.headers.get_first_header("To").unwrap()).unwrap();
            let to = to.extract_single_info().unwrap();
            proptest::prop_assert_eq!(to.addr, "ann@contoso.com");
            let want_name = one_line(&name);
            let got_name = to.display_name.unwrap_or_default();
            proptest::prop_assert_eq!(got_name.trim(), want_name.trim());
            let got_body = mail.get_body().unwrap().replace("\r\n", "\n");
            let want_body = if body.ends_with('\n') || body.is_empty() { body.clone() } else { format!("{body}\n") };
            proptest::prop_assert_eq!(got_body.trim_end_matches('\n'), want_body.trim_end_matches('\n'));
        }
    }

    #[test]
    fn quoted_printable_escapes_non_ascii_equals_and_trailing_space() {
        assert_eq!(
            quoted_printable("Seán = x \nok"),
            "Se=C3=A1n =3D x=20\r\nok"
        );
        let long = "a".repeat(200);
        for line in quoted_printable(&long).split("\r\n") {
            assert!(line.len() <= 76);
        }
    }
}
