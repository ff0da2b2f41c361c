//! `[mail_filter]`: the filtering service's address ranges, its smarthost and the SPF record
//! the tenant needs. Lint (S002, S003, S005, S006) and the plan's mail-filter step read the
//! settings through these functions only.
//!
//! Facts (Microsoft Learn, New-InboundConnector / Set-InboundConnector / New-OutboundConnector):
//! `SenderIPAddresses` takes IPv4 only, single addresses or CIDR from /24 to /32;
//! `EFSkipIPs` takes single addresses, ranges and CIDR; `SmartHosts` takes an FQDN, an IP
//! address or a CIDR range.

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

use crate::error::{Error, Result};
use crate::project::MailFilter;

/// One range as the engineer or the vendor wrote it, parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl std::fmt::Display for Range {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// `a.b.c.d`, `a.b.c.d/n`, or the IPv6 forms. Host bits set below the prefix are an error
/// (`10.0.0.1/24` names no one network; the vendor lists never write it).
pub fn parse_range(text: &str) -> std::result::Result<Range, String> {
    let t = text.trim();
    let (addr, prefix) = match t.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (t, None),
    };
    let addr: IpAddr = addr
        .parse()
        .map_err(|_| format!("'{t}' is not an IP address or CIDR range"))?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix {
        None => max,
        Some(p) => match p.parse::<u8>() {
            Ok(n) if n <= max => n,
            _ => return Err(format!("'{t}': the prefix length must be 0 to {max}")),
        },
    };
    let host_bits_clear = match addr {
        IpAddr::V4(a) => {
            let v = u32::from(a);
            prefix == 32 || v & (u32::MAX >> prefix) == 0
        }
        IpAddr::V6(a) => {
            let v = u128::from(a);
            prefix == 128 || v & (u128::MAX >> prefix) == 0
        }
    };
    if !host_bits_clear {
        return Err(format!(
            "'{t}' has host bits set below /{prefix}: write the network address"
        ));
    }
    if prefix == 0 {
        return Err(format!("'{t}' is every address: name the service's ranges"));
    }
    Ok(Range { addr, prefix })
}

/// A range as written and where: `ip_ranges` (line `None`) or the ranges file's line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub text: String,
    pub file: Option<String>,
    pub line: Option<u64>,
}

/// The ranges `ip_ranges` and `ranges_file` name, in order, unparsed. One per line in the
/// file; `#` starts a comment; commas and blanks separate ranges on a line too.
pub fn written_ranges(m: &MailFilter) -> Result<Vec<Written>> {
    let mut out: Vec<Written> = m
        .ip_ranges
        .iter()
        .map(|r| Written {
            text: r.trim().to_string(),
            file: None,
            line: None,
        })
        .collect();
    if let Some(p) = &m.ranges_file {
        out.extend(read_ranges_file(p)?);
    }
    Ok(out)
}

fn read_ranges_file(p: &Path) -> Result<Vec<Written>> {
    let text = std::fs::read_to_string(p).map_err(|e| Error::io(p, e))?;
    let mut out = Vec::new();
    for (i, line) in text.trim_start_matches('\u{feff}').lines().enumerate() {
        let line_text = line.split('#').next().unwrap_or("");
        for r in line_text.split([',', ' ', '\t', ';']) {
            if !r.trim().is_empty() {
                out.push(Written {
                    text: r.trim().to_string(),
                    file: Some(p.display().to_string()),
                    line: Some(i as u64 + 1),
                });
            }
        }
    }
    Ok(out)
}

/// The parsed, de-duplicated ranges; an invalid one is a usage error (lint says where).
pub fn ranges(m: &MailFilter) -> Result<Vec<Range>> {
    let mut out: Vec<Range> = Vec::new();
    for w in written_ranges(m)? {
        let r = parse_range(&w.text).map_err(|e| {
            Error::Usage(format!(
                "[mail_filter] {e} (run cutover lint for every problem)"
            ))
        })?;
        if !out.contains(&r) {
            out.push(r);
        }
    }
    if out.is_empty() {
        return Err(Error::Usage(
            "[mail_filter] names no ranges: set ip_ranges or ranges_file to the service's published sending addresses".into(),
        ));
    }
    Ok(out)
}

/// The ranges as `SenderIPAddresses` accepts them: IPv4 only, wider than /24 split into
/// /24s (a /19 becomes 32 entries).
pub fn sender_ranges(ranges: &[Range]) -> Vec<String> {
    let mut out = Vec::new();
    for r in ranges {
        let IpAddr::V4(a) = r.addr else { continue };
        if r.prefix >= 24 {
            out.push(if r.prefix == 32 {
                a.to_string()
            } else {
                r.to_string()
            });
        } else {
            let base = u32::from(a);
            let count = 1u32 << (24 - r.prefix);
            for k in 0..count {
                out.push(format!("{}/24", Ipv4Addr::from(base + (k << 8))));
            }
        }
    }
    out
}

/// The ranges as `EFSkipIPs` takes them (both families, CIDR as written).
pub fn skip_ranges(ranges: &[Range]) -> Vec<String> {
    ranges
        .iter()
        .map(|r| {
            let single =
                (r.addr.is_ipv4() && r.prefix == 32) || (r.addr.is_ipv6() && r.prefix == 128);
            if single {
                r.addr.to_string()
            } else {
                r.to_string()
            }
        })
        .collect()
}

/// A DNS host name (letters, digits, hyphens; labels 1-63; at least two labels) or an IPv4
/// address, as `SmartHosts` accepts.
pub fn valid_smarthost(h: &str) -> bool {
    h.parse::<Ipv4Addr>().is_ok() || valid_name(h, false)
}

/// A domain an SPF `include:` may name: labels may also hold `_` (`_netblocks.mimecast.com`,
/// `_spf.google.com`).
pub fn valid_spf_domain(h: &str) -> bool {
    valid_name(h, true)
}

fn valid_name(h: &str, underscore: bool) -> bool {
    let h = h.strip_suffix('.').unwrap_or(h);
    let labels: Vec<&str> = h.split('.').collect();
    h.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || (underscore && b == b'_'))
        })
        && labels
            .last()
            .is_some_and(|tld| !tld.bytes().all(|b| b.is_ascii_digit()))
}

/// Exchange Online's SPF include (Microsoft Learn: "Set up SPF to identify valid email
/// sources for your Microsoft 365 domain").
pub const EXO_SPF_INCLUDE: &str = "spf.protection.outlook.com";

/// The SPF TXT record each accepted domain needs: Exchange Online's include, the filter's
/// when outbound mail leaves through it, and `-all`.
pub fn spf_record(m: Option<&MailFilter>) -> String {
    let mut s = format!("v=spf1 include:{EXO_SPF_INCLUDE}");
    if let Some(inc) = m
        .filter(|m| m.smarthost.is_some())
        .and_then(|m| m.spf_include.as_ref())
    {
        s.push_str(&format!(" include:{inc}"));
    }
    s.push_str(" -all");
    s
}

/// Connector names the steps ensure (at most 64 characters, the service's limit).
pub fn inbound_name(m: &MailFilter) -> String {
    connector_name("Inbound from", &m.vendor)
}

pub fn outbound_name(m: &MailFilter) -> String {
    connector_name("Outbound through", &m.vendor)
}

fn connector_name(prefix: &str, vendor: &str) -> String {
    let v: String = vendor
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '.' | '_'))
        .collect();
    let mut name = format!("cutover {prefix} {}", v.trim());
    name.truncate(name.char_indices().nth(64).map_or(name.len(), |(i, _)| i));
    name.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_strictly() {
        assert!(parse_range("192.0.2.0/24").is_ok());
        assert!(parse_range("192.0.2.7").is_ok());
        assert!(parse_range("2001:db8::/32").is_ok());
        for bad in [
            "192.0.2.1/24",
            "192.0.2.0/33",
            "300.1.1.1",
            "mimecast",
            "0.0.0.0/0",
            "",
        ] {
            assert!(parse_range(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn wide_ranges_are_split_for_sender_ip_addresses_and_ipv6_left_to_skip_lists() {
        let rs: Vec<Range> = [
            "198.51.100.0/23",
            "203.0.113.5",
            "2001:db8::/32",
            "192.0.2.128/25",
        ]
        .iter()
        .map(|r| parse_range(r).unwrap())
        .collect();
        assert_eq!(
            sender_ranges(&rs),
            [
                "198.51.100.0/24",
                "198.51.101.0/24",
                "203.0.113.5",
                "192.0.2.128/25"
            ]
        );
        assert_eq!(
            skip_ranges(&rs),
            [
                "198.51.100.0/23",
                "203.0.113.5",
                "2001:db8::/32",
                "192.0.2.128/25"
            ]
        );
    }

    #[test]
    fn smarthosts_are_host_names_or_ipv4() {
        for ok in [
            "eu-smtp-o365-outbound-1.mimecast.com",
            "192.0.2.10",
            "relay.example.com.",
        ] {
            assert!(valid_smarthost(ok), "{ok}");
        }
        for bad in [
            "mimecast",
            "smtp://relay.example.com",
            "relay .example.com",
            "-a.example.com",
            "1.2.3",
            "",
        ] {
            assert!(!valid_smarthost(bad), "{bad}");
        }
    }

    #[test]
    fn spf_adds_the_vendor_only_when_outbound_goes_through_it() {
        let mut m = MailFilter {
            vendor: "Mimecast".into(),
            ip_ranges: vec![],
            ranges_file: None,
            smarthost: None,
            require_tls: true,
            spf_include: Some("_netblocks.mimecast.com".into()),
        };
        assert_eq!(
            spf_record(Some(&m)),
            "v=spf1 include:spf.protection.outlook.com -all"
        );
        m.smarthost = Some("relay.example.com".into());
        assert_eq!(
            spf_record(Some(&m)),
            "v=spf1 include:spf.protection.outlook.com include:_netblocks.mimecast.com -all"
        );
        assert_eq!(inbound_name(&m), "cutover Inbound from Mimecast");
    }
}
