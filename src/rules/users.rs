//! User rules (U...): UPN, alias, names, password, usage location (m365-facts 4.1 - 4.5).

use crate::diag::Severity::{Error, Warning};
use crate::input::{country, Column, Row};
use crate::model::address::domain_problem;
use crate::model::directory::derived_alias;

use super::engine::State;
use super::index::{key, Ns, Place};
use super::Rule;

pub const UPN_BLANK: Rule = Rule {
    code: "U001",
    name: "upn-blank",
    severity: Error,
    summary: "the user has no UPN",
    hint: "fill in the userPrincipalName (name@accepted-domain)",
    explanation: "The UPN is the user's identity. A blank identity is always an error: passed to an Exchange Get- cmdlet as -Identity, an empty value selects every object (m365-facts 4.6), and Graph cannot create a user without one (m365-facts 4.1).",
};

pub const UPN_SYNTAX: Rule = Rule {
    code: "U002",
    name: "upn-syntax",
    severity: Error,
    summary: "the UPN is not valid for Entra ID",
    hint: "use only A-Z a-z 0-9 ' . - _ ! # ^ ~ and one @; no '.' first, last or before '@'",
    explanation: "Entra ID accepts in a userPrincipalName only `A-Z a-z 0-9 ' . - _ ! # ^ ~` and the single `@`; no accented letters; no `.` immediately before `@` (m365-facts 4.1). A leading, trailing or doubled `.` is rejected too, following RFC 5322 and Exchange's alias rule. Exchange aliases allow characters a UPN does not (`% * + / = ? $ & { } |`), so a UPN built from an alias can be invalid.",
};

pub const UPN_LENGTH: Rule = Rule {
    code: "U003",
    name: "upn-length",
    severity: Error,
    summary: "the UPN is too long",
    hint: "shorten it: at most 64 characters before '@', 48 after, 113 in all",
    explanation: "Entra ID limits a userPrincipalName to 113 characters: 64 before the `@` and 48 after it (m365-facts 4.1). The admin-center bulk-add template is stricter (User Name 79).",
};

pub const UPN_DOMAIN: Rule = Rule {
    code: "U004",
    name: "upn-domain",
    severity: Error,
    summary: "the UPN's domain is not an accepted domain",
    hint: "use one of the project's domains, or add the domain to [tenant] domains in cutover.toml",
    explanation: "The domain part of a UPN must be a verified domain of the tenant (m365-facts 4.1). cutover checks it against the accepted domains of the project and the tenant's initial *.onmicrosoft.com domain; with no domains configured the check is skipped.",
};

pub const UPN_DUPLICATE: Rule = Rule {
    code: "U005",
    name: "upn-duplicate",
    severity: Error,
    summary: "the UPN is used by an earlier row",
    hint: "give each user a unique UPN (the comparison ignores case)",
    explanation: "userPrincipalName is unique in the tenant and compared without regard to case (m365-facts 4.1): the second create fails, or the second row silently updates the first user.",
};

pub const ALIAS_SYNTAX: Rule = Rule {
    code: "U006",
    name: "alias-syntax",
    severity: Error,
    summary: "the alias contains characters Exchange does not allow",
    hint: "use letters, digits and ! # % * + - / = ? ^ _ ~ $ & ' ` { } |; '.' only between other characters",
    explanation: "An Exchange alias (Entra mailNickname) of any recipient allows letters, digits, `! # % * + - / = ? ^ _ ~`, `$ & ' ` { } |` and U+00A1-U+00FF; a `.` must be surrounded by other valid characters; spaces and `@ ( ) [ ] \\ \" ; : < > ,` are not allowed (m365-facts 4.3). `&` is not supported by Entra Connect sync.",
};

pub const ALIAS_LENGTH: Rule = Rule {
    code: "U007",
    name: "alias-length",
    severity: Error,
    summary: "the alias is longer than 64 characters",
    hint: "shorten the alias to 64 characters or fewer",
    explanation:
        "Exchange aliases and Entra mailNickname values are at most 64 characters (m365-facts 4.3).",
};

pub const ALIAS_DUPLICATE: Rule = Rule {
    code: "U008",
    name: "alias-duplicate",
    severity: Error,
    summary: "the alias is already used by another user or group",
    hint: "give each recipient a unique alias (the comparison ignores case)",
    explanation: "An alias names one recipient: two users, or a user and a group, with the same alias make the second create fail and make member rows that name the alias ambiguous (m365-facts 4.3).",
};

pub const DISPLAY_NAME_BLANK: Rule = Rule {
    code: "U009",
    name: "display-name-blank",
    severity: Error,
    summary: "the user has no display name",
    hint: "fill in the display name (e.g. First Last)",
    explanation: "Graph requires displayName to create a user, and it cannot be cleared (m365-facts 4.3); the admin-center template requires Display Name too (m365-facts 5.4).",
};

pub const DISPLAY_NAME_LENGTH: Rule = Rule {
    code: "U010",
    name: "display-name-length",
    severity: Error,
    summary: "the display name is longer than 256 characters",
    hint: "shorten the display name to 256 characters or fewer",
    explanation: "displayName is at most 256 characters (m365-facts 4.3).",
};

pub const NAME_LENGTH: Rule = Rule {
    code: "U011",
    name: "name-length",
    severity: Error,
    summary: "the first or last name is longer than 64 characters",
    hint: "shorten the name to 64 characters or fewer",
    explanation: "givenName and surname are at most 64 characters each (m365-facts 4.3).",
};

pub const PASSWORD_POLICY: Rule = Rule {
    code: "U012",
    name: "password-policy",
    severity: Error,
    summary: "the password does not meet the Entra ID password policy",
    hint: "use 8-256 ASCII characters with 3 of: lower case, upper case, digit, symbol",
    explanation: "Cloud passwords are 8-256 characters, need 3 of the 4 classes (lower, upper, digit, symbol) and may hold only ASCII letters, digits, blank space and `@ # $ % ^ & * - _ ! + = [ ] { } | \\ : ' , . ? / ` ~ \" ( ) ; < >` (m365-facts 4.2). The value is never printed.",
};

pub const PLAINTEXT_PASSWORDS: Rule = Rule {
    code: "U013",
    name: "plaintext-passwords",
    severity: Warning,
    summary: "the file holds plaintext passwords",
    hint: "keep the file out of mail and tickets, delete it after the run, and let users change the password at first sign-in",
    explanation: "Initial passwords in a CSV are secrets at rest (m365-facts 4.2). cutover never prints them (`***`) and never writes them into scripts, plans or logs; the bundle's users step reads them from a secrets file at run time.",
};

pub const USAGE_LOCATION: Rule = Rule {
    code: "U014",
    name: "usage-location",
    severity: Error,
    summary: "the usage location is not an ISO 3166 alpha-2 country",
    hint: "use a two-letter country code such as US, GB or DE (or a country name in `Country or Region`)",
    explanation: "usageLocation is a two-letter ISO 3166-1 alpha-2 code and is required before a licence can be assigned (m365-facts 4.5). The admin-center template's `Country or Region` column holds country names (`United States`), which cutover maps to codes (m365-facts 5.4).",
};

pub const USAGE_LOCATION_MISSING: Rule = Rule {
    code: "U015",
    name: "usage-location-missing",
    severity: Warning,
    summary: "users have no usage location and the project sets no default",
    hint: "add a UsageLocation column or set [tenant] usage_location (--usage-location) in the project",
    explanation: "A licence cannot be assigned to a user without usageLocation (m365-facts 4.5); it is not set by default. Set a default for the project or one per user.",
};

pub const FIELD_LENGTH: Rule = Rule {
    code: "U016",
    name: "field-length",
    severity: Error,
    summary: "the value is longer than Microsoft 365 allows for the field",
    hint: "shorten the value",
    explanation: "The admin-center template documents maximum lengths: Job Title 64, Department 64, Office Number 128, Office Phone 64, Mobile Phone 64, Fax 64, Address 1023, City 128, State or Province 128, ZIP or Postal Code 40, Country or Region 128 (m365-facts 5.4).",
};

/// UPN syntax problems (m365-facts 4.1), first found.
pub fn upn_syntax(upn: &str) -> Option<String> {
    if plain_upn(upn) {
        return None;
    }
    upn_checks(upn)
}

/// The UPN checks one by one, in the order their messages are chosen.
fn upn_checks(upn: &str) -> Option<String> {
    let Some((local, domain)) = upn.split_once('@') else {
        return Some("the UPN has no '@'".into());
    };
    if domain.contains('@') {
        return Some("the UPN has more than one '@'".into());
    }
    if local.is_empty() {
        return Some("the UPN has nothing before '@'".into());
    }
    if let Some(c) = upn.chars().find(|&c| {
        !(c.is_ascii_alphanumeric()
            || matches!(c, '\'' | '.' | '-' | '_' | '!' | '#' | '^' | '~' | '@'))
    }) {
        return Some(format!(
            "the UPN contains '{c}' (U+{:04X}), which Entra ID does not allow",
            c as u32
        ));
    }
    if local.starts_with('.') {
        return Some("the UPN starts with '.'".into());
    }
    if local.ends_with('.') {
        return Some("the UPN has '.' right before '@'".into());
    }
    if two_dots(local) {
        return Some("the UPN has two '.' in a row".into());
    }
    if domain.is_empty() {
        return Some("the UPN has nothing after '@'".into());
    }
    domain_problem(domain).map(|p| format!("the UPN {p}"))
}

/// The characters [`upn_syntax`] allows in a UPN, by byte (every other byte, and so every
/// byte of a non-ASCII character, is not allowed).
const UPN_BYTES: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'\'' | b'.' | b'-' | b'_' | b'!' | b'#' | b'^' | b'~' | b'@'
            );
        b += 1;
    }
    t
};

/// Whether [`upn_syntax`] finds nothing in `upn`, told in one pass over its bytes for the
/// usual UPN: allowed characters only, one `@` with something before it, no `.` at either end
/// of the local part nor two in a row, a valid domain. Any other UPN is asked of the checks
/// themselves, which name the first problem.
fn plain_upn(upn: &str) -> bool {
    let b = upn.as_bytes();
    let mut at = None;
    let mut prev = 0u8;
    for (i, &c) in b.iter().enumerate() {
        if !UPN_BYTES[usize::from(c)] || (c == b'.' && prev == b'.') {
            return false;
        }
        if c == b'@' {
            if at.is_some() {
                return false;
            }
            at = Some(i);
        }
        prev = c;
    }
    let Some(at) = at else { return false };
    let (local, domain) = (&upn[..at], &upn[at + 1..]);
    !local.is_empty()
        && !local.starts_with('.')
        && !local.ends_with('.')
        && domain_problem(domain).is_none()
}

/// The last UPN domain a users file named, with what was found for it: nearly every UPN of
/// a file has the same domain, and checking it (syntax, accepted) was a tenth of the rules'
/// work on a users file (callgrind).
#[derive(Default)]
pub struct DomainMemo {
    domain: String,
    filled: bool,
    /// [`domain_problem`] found nothing.
    valid: bool,
    accepted: bool,
}

impl DomainMemo {
    /// Whether `domain` is a valid domain, and whether the project accepts it.
    fn get(&mut self, domain: &str, accepts: impl FnOnce(&str) -> bool) -> (bool, bool) {
        if !self.filled || self.domain != domain {
            self.domain.clear();
            self.domain.push_str(domain);
            self.valid = domain_problem(domain).is_none();
            self.accepted = accepts(domain);
            self.filled = true;
        }
        (self.valid, self.accepted)
    }
}

/// [`plain_upn`] for the part of a UPN before its last `@` (at `at`), the domain being valid:
/// the same answer, without scanning the domain again.
fn plain_local(upn: &str, at: usize) -> bool {
    let Some(local) = upn.as_bytes().get(..at) else {
        return false;
    };
    let mut prev = 0u8;
    for &c in local {
        if !UPN_BYTES[usize::from(c)] || c == b'@' || (c == b'.' && prev == b'.') {
            return false;
        }
        prev = c;
    }
    !local.is_empty() && local.first() != Some(&b'.') && local.last() != Some(&b'.')
}

/// Whether `s` has two '.' in a row (a byte scan: `str::contains` sets up a substring
/// search for every UPN and alias).
fn two_dots(s: &str) -> bool {
    s.as_bytes().windows(2).any(|w| w == b"..")
}

/// UPN length problems (m365-facts 4.1).
pub fn upn_length(upn: &str) -> Option<String> {
    // No limit is under 48 characters, nor under 48 bytes.
    if upn.len() <= 48 {
        return None;
    }
    let (local, domain) = upn.split_once('@').unwrap_or((upn, ""));
    let (l, d, t) = (
        local.chars().count(),
        domain.chars().count(),
        upn.chars().count(),
    );
    if l > 64 {
        Some(format!("{l} characters before '@'; at most 64"))
    } else if d > 48 {
        Some(format!("{d} characters after '@'; at most 48"))
    } else if t > 113 {
        Some(format!("{t} characters; at most 113"))
    } else {
        None
    }
}

/// Exchange alias syntax problems (m365-facts 4.3).
pub fn alias_syntax(alias: &str) -> Option<String> {
    if let Some(c) = alias.chars().find(|&c| {
        !(c.is_ascii_alphanumeric()
            || matches!(
                c,
                '!' | '#'
                    | '%'
                    | '*'
                    | '+'
                    | '-'
                    | '/'
                    | '='
                    | '?'
                    | '^'
                    | '_'
                    | '~'
                    | '$'
                    | '&'
                    | '\''
                    | '`'
                    | '{'
                    | '}'
                    | '|'
                    | '.'
            )
            || ('\u{a1}'..='\u{ff}').contains(&c))
    }) {
        return Some(format!("the alias contains '{c}' (U+{:04X})", c as u32));
    }
    if alias.starts_with('.') || alias.ends_with('.') || two_dots(alias) {
        return Some("a '.' in the alias is not between two other characters".into());
    }
    None
}

/// What is wrong with a password (m365-facts 4.2); never includes the value.
pub fn password_problem(pw: &str) -> Option<String> {
    // One pass over the bytes for the usual, valid password: its classes (and whether a byte
    // is not allowed) or-ed from a table. Any other password is asked of the checks, which
    // name the problem. Five passes cost 300 instructions a password (callgrind).
    let seen = pw
        .bytes()
        .fold(0u8, |seen, b| seen | PASSWORD_CLASS[usize::from(b)]);
    if seen & NOT_ALLOWED == 0 && (8..=256).contains(&pw.len()) && seen.count_ones() >= 3 {
        return None;
    }
    password_checks(pw)
}

/// A password byte's class as a bit: lower case, upper case, digit, symbol; or
/// [`NOT_ALLOWED`] (outside [`PASSWORD_BYTES`], non-ASCII bytes included).
const PASSWORD_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = if !PASSWORD_BYTES[b] {
            NOT_ALLOWED
        } else if c.is_ascii_lowercase() {
            1
        } else if c.is_ascii_uppercase() {
            2
        } else if c.is_ascii_digit() {
            4
        } else {
            8
        };
        b += 1;
    }
    t
};
const NOT_ALLOWED: u8 = 16;

/// The password checks one by one, in the order their messages are chosen.
fn password_checks(pw: &str) -> Option<String> {
    if !pw.is_ascii() {
        return Some("the password contains non-ASCII characters".into());
    }
    // ASCII from here: one byte a character.
    let n = pw.len();
    if let Some(c) = pw.bytes().find(|&b| !PASSWORD_BYTES[usize::from(b)]) {
        // Naming the character would disclose part of the password.
        let class = if c.is_ascii_control() {
            "a control character"
        } else {
            "a symbol outside the allowed set"
        };
        return Some(format!("the password contains {class}"));
    }
    if !(8..=256).contains(&n) {
        return Some(format!(
            "the password has {n} characters; 8 to 256 are required"
        ));
    }
    let classes = [
        pw.bytes().any(|b| b.is_ascii_lowercase()),
        pw.bytes().any(|b| b.is_ascii_uppercase()),
        pw.bytes().any(|b| b.is_ascii_digit()),
        pw.bytes().any(|b| !b.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|x| **x)
    .count();
    (classes < 3)
        .then(|| format!("the password uses {classes} of the 4 character classes; 3 are required"))
}

/// The bytes a password may hold: letters, digits and the symbols Entra ID allows, as a
/// table (a password is checked byte by byte for every row).
const PASSWORD_BYTES: [bool; 256] = {
    const SYMBOLS: &[u8] = b"@#$%^&*-_!+=[]{}|\\:',.?/`~\"();<> ";
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    let mut i = 0;
    while i < SYMBOLS.len() {
        t[SYMBOLS[i] as usize] = true;
        i += 1;
    }
    t
};

/// Admin-center template maximum lengths (m365-facts 5.4).
const LIMITS: [(Column, usize); 11] = [
    (Column::JobTitle, 64),
    (Column::Department, 64),
    (Column::Office, 128),
    (Column::OfficePhone, 64),
    (Column::MobilePhone, 64),
    (Column::Fax, 64),
    (Column::StreetAddress, 1023),
    (Column::City, 128),
    (Column::State, 128),
    (Column::PostalCode, 40),
    (Column::Country, 128),
];

/// A users row's UPN hashed: worked out on the reader thread for a users file read there,
/// else by [`check`] itself; either way by [`UserKeys::of`]. Only the UPN's key moves, to
/// balance the two threads during a users file (callgrind, 100,000 users, instructions: the
/// syntax checks and every key moved made the reader thread the busier one, 884M to 293M;
/// every key, 622M to 498M; none, 490M to 541M).
#[derive(Debug, Default, Clone, Copy)]
pub struct UserKeys {
    upn: Option<u64>,
}

impl UserKeys {
    pub fn of(row: &Row<'_>) -> UserKeys {
        UserKeys {
            upn: row.value(Column::Upn).map(|u| key(Ns::Upn, u)),
        }
    }
}

/// Every per-row user check; updates the UPN and alias indexes. `keys`: the row's
/// [`UserKeys`] when the reader thread hashed them.
pub fn check(st: &mut State<'_>, row: &Row<'_>, keys: Option<UserKeys>) {
    let keys = keys.unwrap_or_else(|| UserKeys::of(row));
    let line = row.line();
    let place = st.place(line);
    // Each asked once: a cell's position and trim are a good part of a clean row's cost.
    let upn_value = row.value(Column::Upn);
    let display = row.value(Column::DisplayName);
    match (upn_value, keys.upn) {
        (Some(upn), Some(upn_key)) => {
            // The last '@' (a byte search: `rsplit_once` sets up a char searcher each row).
            let at = memchr::memrchr(b'@', upn.as_bytes());
            let domain = at.and_then(|i| upn.get(i + 1..));
            let project = st.project;
            let (valid, accepted) = match domain {
                Some(d) => st.upn_domain.get(d, |d| super::engine::accepts(project, d)),
                None => (false, false),
            };
            // Every UPN `upn_syntax` passes is a valid domain after a plain local part; any
            // other UPN is asked of it.
            let plain = valid && at.is_some_and(|i| plain_local(upn, i));
            if let Some(m) = (!plain).then(|| upn_syntax(upn)).flatten() {
                st.sink.cell(&UPN_SYNTAX, row, Column::Upn, m);
            }
            if let Some(m) = upn_length(upn) {
                st.sink.cell(&UPN_LENGTH, row, Column::Upn, m);
            }
            if let Some(domain) = domain {
                if !accepted {
                    st.sink.cell(
                        &UPN_DOMAIN,
                        row,
                        Column::Upn,
                        format!("'{domain}' is not one of the accepted domains"),
                    );
                }
                st.note_domain(domain);
            }
            st.dir.note(Ns::Upn, upn);
            st.insert_later(upn_key, place, &UPN_DUPLICATE, row, Column::Upn, "the UPN");
        }
        _ => st
            .sink
            .cell(&UPN_BLANK, row, Column::Upn, "the UPN is blank".into()),
    }
    match row.value(Column::Alias) {
        Some(alias) => check_alias(st, row, alias, place),
        None => {
            if let Some(derived) = upn_value.and_then(derived_alias) {
                st.dir.note(Ns::DerivedAlias, derived);
                st.claim_later(key(Ns::DerivedAlias, derived), place);
            }
        }
    }
    if let (Some(d), Some(_)) = (display, upn_value) {
        st.dir.note(Ns::Display, d);
        st.claim_later(key(Ns::Display, d), place);
    }
    match display {
        None => st.sink.cell(
            &DISPLAY_NAME_BLANK,
            row,
            Column::DisplayName,
            "the display name is blank".into(),
        ),
        Some(d) if d.len() > 256 && d.chars().count() > 256 => st.sink.cell(
            &DISPLAY_NAME_LENGTH,
            row,
            Column::DisplayName,
            format!("{} characters; at most 256", d.chars().count()),
        ),
        Some(_) => {}
    }
    for c in [Column::FirstName, Column::LastName] {
        if let Some(v) = row.value(c).filter(|v| v.len() > 64) {
            let n = v.chars().count();
            if n > 64 {
                st.sink
                    .cell(&NAME_LENGTH, row, c, format!("{n} characters; at most 64"));
            }
        }
    }
    if let Some(pw) = row.get(Column::Password).filter(|p| !p.is_empty()) {
        st.file_stats.passwords += 1;
        if let Some(m) = password_problem(pw) {
            st.sink.cell(&PASSWORD_POLICY, row, Column::Password, m);
        }
    }
    usage_location(st, row);
    let header = row.header();
    let limits = *st
        .file_stats
        .limited_columns
        .get_or_insert_with(|| LIMITS.iter().any(|(c, _)| header.has(*c)));
    for (c, max) in LIMITS.into_iter().filter(|_| limits) {
        if let Some(v) = row.value(c).filter(|v| v.len() > max) {
            let n = v.chars().count();
            if n > max {
                st.sink.cell(
                    &FIELD_LENGTH,
                    row,
                    c,
                    format!("{n} characters; at most {max}"),
                );
            }
        }
    }
    super::address::check(st, row, super::address::Owner::User, place);
}

fn usage_location(st: &mut State<'_>, row: &Row<'_>) {
    if let Some(v) = row.value(Column::UsageLocation) {
        if !country::is_code_any_case(v) {
            st.sink.cell(
                &USAGE_LOCATION,
                row,
                Column::UsageLocation,
                "not an ISO 3166-1 alpha-2 code".into(),
            );
        }
    } else if let Some(v) = row.value(Column::Country) {
        if country::to_code(v).is_none() {
            st.sink.cell(
                &USAGE_LOCATION,
                row,
                Column::Country,
                "not a country name or code cutover knows".into(),
            );
        }
    } else if st.project.usage_location.is_none() {
        let s = &mut st.file_stats;
        s.no_location += 1;
        s.first_no_location.get_or_insert(row.line());
    }
}

/// Alias checks for any recipient (users and groups share the namespace).
pub fn check_alias(st: &mut State<'_>, row: &Row<'_>, alias: &str, place: Place) {
    if let Some(m) = alias_syntax(alias) {
        st.sink.cell(&ALIAS_SYNTAX, row, Column::Alias, m);
    }
    let n = alias.chars().count();
    if n > 64 {
        st.sink.cell(
            &ALIAS_LENGTH,
            row,
            Column::Alias,
            format!("{n} characters; at most 64"),
        );
    }
    st.dir.note(Ns::Alias, alias);
    st.insert_later(
        key(Ns::Alias, alias),
        place,
        &ALIAS_DUPLICATE,
        row,
        Column::Alias,
        "the alias",
    );
}

/// Per-file findings once every row of a users file is read.
pub fn finish_file(st: &mut State<'_>, header_line: u64, password_column: Option<(&str, usize)>) {
    let s = std::mem::take(&mut st.file_stats);
    if s.passwords > 0 {
        st.sink.at(
            &PLAINTEXT_PASSWORDS,
            Some(header_line),
            password_column,
            None,
            if s.passwords == 1 {
                "1 row holds a plaintext password".to_string()
            } else {
                format!("{} rows hold a plaintext password", s.passwords)
            },
        );
    }
    if let Some(line) = s.first_no_location {
        st.sink.at(
            &USAGE_LOCATION_MISSING,
            Some(line),
            None,
            None,
            format!(
                "{} no usage location (first at line {line})",
                if s.no_location == 1 {
                    "1 user has".to_string()
                } else {
                    format!("{} users have", s.no_location)
                }
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{codes, lint_one, lint_with};

    /// The one-pass shortcuts answer only where the checks find nothing, and take the usual
    /// UPN and password.
    #[test]
    fn the_upn_and_password_shortcuts_agree_with_the_checks() {
        let upns = [
            "ann@contoso.com",
            "Ann.Lee-2_x!#^~'@Sub.Contoso-1.co.uk",
            "ann@contoso.123",
            "@contoso.com",
            "ann",
            "a@b@contoso.com",
            ".ann@contoso.com",
            "ann.@contoso.com",
            "a..nn@contoso.com",
            "ann@",
            "ann@contoso",
            "ann@contoso..com",
            "ann@-contoso.com",
            "ann@contoso-.com",
            "ann@.contoso.com",
            "ann@contoso.com.",
            "ann@con_toso.com",
            "an n@contoso.com",
            "anné@contoso.com",
            "ann@contoso.com\u{200b}",
        ];
        let mut plain = 0;
        for u in upns {
            let fast = plain_upn(u);
            assert!(!fast || upn_checks(u).is_none(), "{u}");
            assert_eq!(upn_syntax(u), upn_checks(u), "{u}");
            plain += usize::from(fast);
        }
        assert_eq!(plain, 2, "the valid UPNs take the shortcut");
        let long = format!("ann@{}.com", "a".repeat(64));
        assert!(!plain_upn(&long) && upn_checks(&long).is_some());
        for b in 0..=255u8 {
            let old =
                b.is_ascii_alphanumeric() || b"@#$%^&*-_!+=[]{}|\\:',.?/`~\"();<> ".contains(&b);
            assert_eq!(PASSWORD_BYTES[usize::from(b)], old, "byte {b}");
        }
    }

    #[test]
    fn u001_blank_upn_is_an_error() {
        let r = lint_one(b"UPN,DisplayName\n ,Ann\n");
        assert!(codes(&r).contains(&"U001"), "{r:?}");
    }

    #[test]
    fn u002_upn_syntax() {
        assert_eq!(upn_syntax("ann.o'neil@contoso.com"), None);
        assert_eq!(upn_syntax("a_b-c!d#e^f~g@contoso.com"), None);
        assert!(upn_syntax("ann").is_some());
        assert!(upn_syntax("a@b@contoso.com").is_some());
        assert!(upn_syntax(".ann@contoso.com").is_some());
        assert!(upn_syntax("ann.@contoso.com").is_some());
        assert!(upn_syntax("an..n@contoso.com").is_some());
        assert!(upn_syntax("zoë@contoso.com").is_some());
        assert!(upn_syntax("ann+x@contoso.com").is_some());
        assert!(upn_syntax("ann%x@contoso.com").is_some());
        assert!(upn_syntax("ann@contoso").is_some());
        assert!(upn_syntax("o’brien@contoso.com").is_some());
        assert_eq!(
            upn_syntax("ann@").as_deref(),
            Some("the UPN has nothing after '@'")
        );
        assert_eq!(
            upn_syntax("ann@contoso").as_deref(),
            Some("the UPN has a domain without a '.'")
        );
    }

    #[test]
    fn u003_upn_lengths() {
        let l64 = "a".repeat(64);
        assert_eq!(upn_length(&format!("{l64}@contoso.com")), None);
        assert!(upn_length(&format!("{l64}a@contoso.com")).is_some());
        let d48 = format!("{}.com", "d".repeat(44));
        assert_eq!(upn_length(&format!("ann@{d48}")), None);
        assert!(upn_length(&format!("ann@x{d48}")).is_some());
        assert_eq!(upn_length(&format!("{}@{}", "a".repeat(64), d48)), None);
    }

    #[test]
    fn u004_upn_domain_and_u005_duplicates() {
        let p = crate::project::Project {
            domains: vec!["contoso.com".into()],
            tenant: Some("contoso.onmicrosoft.com".into()),
            usage_location: Some("US".into()),
            ..Default::default()
        };
        let r = lint_with(
            &p,
            b"UPN,DisplayName\nann@contoso.com,A\nbob@fabrikam.com,B\ncat@contoso.onmicrosoft.com,C\nANN@Contoso.com,A2\n",
        );
        assert_eq!(codes(&r), ["U004", "U005"]);
        assert_eq!(r[0].line, Some(3));
        assert_eq!(r[1].line, Some(5));
        assert!(r[1].message.contains(":2"), "{}", r[1].message);
    }

    #[test]
    fn u006_u007_u008_alias_rules() {
        assert_eq!(alias_syntax("ann.lee"), None);
        assert_eq!(alias_syntax("o'brien&co{x}"), None);
        assert_eq!(alias_syntax("jörg"), None);
        assert!(alias_syntax("ann lee").is_some());
        assert!(alias_syntax("ann@x").is_some());
        assert!(alias_syntax(".ann").is_some());
        assert!(alias_syntax("a..b").is_some());
        assert!(alias_syntax("łukasz").is_some());
        let long = "a".repeat(65);
        let text = format!("UPN,DisplayName,Alias\na@contoso.com,A,{long}\nb@contoso.com,B,ann\nc@contoso.com,C,ANN\nd@contoso.com,D,a b\n");
        assert_eq!(codes(&lint_one(text.as_bytes())), ["U007", "U008", "U006"]);
    }

    #[test]
    fn u009_u010_u011_names() {
        let long = "n".repeat(257);
        let text = format!("UPN,DisplayName,FirstName\na@contoso.com,,A\nb@contoso.com,{long},B\nc@contoso.com,C,{}\n", "f".repeat(65));
        assert_eq!(codes(&lint_one(text.as_bytes())), ["U009", "U010", "U011"]);
    }

    #[test]
    fn u012_password_policy_and_u013_plaintext_warning_never_show_the_value() {
        assert_eq!(password_problem("Pa55word!"), None);
        assert_eq!(password_problem("pass word 12"), None);
        assert!(password_problem("Short1!").is_some());
        assert!(password_problem("alllowercase").is_some());
        assert!(password_problem("Pässword123").is_some());
        assert!(password_problem(&"Aa1".repeat(90)).is_some());
        let r = lint_one(
            b"UPN,DisplayName,Password\na@contoso.com,A,hunter2\nb@contoso.com,B,Pa55word!\n",
        );
        assert_eq!(codes(&r), ["U013", "U012"]);
        for f in &r {
            assert!(!format!("{f:?}").contains("hunter2"));
        }
        assert_eq!(r[1].value.as_deref(), Some("***"));
        // The message names the class of the bad character, never the character itself.
        let m = password_problem("Pa55word\u{7}x").unwrap();
        assert_eq!(m, "the password contains a control character");
        assert!(!m.contains("U+"), "{m}");
    }

    /// The one-pass shortcuts agree with the checks they skip.
    #[test]
    fn shortcuts_agree_with_the_checks() {
        for pw in [
            "Pa55word!",
            "pass word 12",
            "Short1!",
            "Sh0rt!!!",
            "alllowercase",
            "ALLUPPER123",
            "Pässword123",
            "Pa55word\u{7}x",
            "Pa55word\u{80}",
            "Synth-472203!",
            "12345678",
            "abcdEFGH",
            "abcdEFG1",
            "",
            "Aa1!Aa1",
            "tab\tTab1",
        ] {
            assert_eq!(password_problem(pw), password_checks(pw), "{pw:?}");
        }
        assert_eq!(password_problem(&"Aa1".repeat(85)), None);
        assert!(password_problem(&"Aa1".repeat(86)).is_some());
        for upn in [
            "ann@contoso.com",
            "ann.lee@contoso.com",
            "a@b.co",
            ".ann@contoso.com",
            "ann.@contoso.com",
            "an..n@contoso.com",
            "ann@@contoso.com",
            "a@nn@contoso.com",
            "@contoso.com",
            "ann@",
            "ann@contoso",
            "ann@contoso.123",
            "ann@-contoso.com",
            "ann@contoso..com",
            "an n@contoso.com",
            "anné@contoso.com",
            "o'brien#1^~!_-@contoso.com",
            "ann@.contoso.com",
        ] {
            let at = memchr::memrchr(b'@', upn.as_bytes());
            let valid = at
                .and_then(|i| upn.get(i + 1..))
                .is_some_and(|d| domain_problem(d).is_none());
            let plain = valid && at.is_some_and(|i| plain_local(upn, i));
            assert_eq!(plain, upn_syntax(upn).is_none(), "{upn}");
        }
    }

    #[test]
    fn u014_u015_usage_location() {
        let r =
            lint_one(b"UPN,DisplayName,UsageLocation\na@contoso.com,A,USA\nb@contoso.com,B,us\n");
        assert_eq!(codes(&r), ["U014"]);
        let r = lint_one(b"User Name,Display Name,Country or Region\na@contoso.com,A,United States\nb@contoso.com,B,Atlantis\n");
        assert_eq!(codes(&r), ["U014"]);
        let none = crate::project::Project::default();
        let r = lint_with(
            &none,
            b"UPN,DisplayName\na@contoso.com,A\nb@contoso.com,B\n",
        );
        assert_eq!(codes(&r), ["U015"]);
        assert!(r[0].message.starts_with("2 users have"));
        let r = lint_with(&none, b"UPN,DisplayName\na@contoso.com,A\n");
        assert!(
            r[0].message.starts_with("1 user has no"),
            "{}",
            r[0].message
        );
    }

    #[test]
    fn u016_template_field_lengths() {
        let text = format!(
            "UPN,DisplayName,ZIP or Postal Code\na@contoso.com,A,{}\n",
            "9".repeat(41)
        );
        assert_eq!(codes(&lint_one(text.as_bytes())), ["U016"]);
    }
}
