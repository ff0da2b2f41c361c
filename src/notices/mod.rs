//! User notices: per-user messages from templates and the schedule's dates, written as
//! `.eml` files and a mail-merge CSV, and (through the bundle's send step) sent with
//! Microsoft Graph.
//!
//! The dates come from `[schedule]` in `cutover.toml` (issue 13's migration schedule can
//! extend that table); without a cutover day, `cutover notices` takes the estimate's.

use std::path::{Path, PathBuf};

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::Serialize;
use serde_json::json;

use crate::error::{Error, Result};
use crate::model::{Tenant, User};
use crate::project::{OutlookSetup, Project};

pub mod eml;
pub mod templates;

/// The four messages, in the order users receive them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Announcement,
    Reminder,
    CutoverDay,
    After,
}

impl Kind {
    pub const ALL: [Kind; 4] = [
        Kind::Announcement,
        Kind::Reminder,
        Kind::CutoverDay,
        Kind::After,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Kind::Announcement => "announcement",
            Kind::Reminder => "reminder",
            Kind::CutoverDay => "cutover-day",
            Kind::After => "after",
        }
    }
}

/// Default hour (site-local) of the cutover, as the estimate schedules it.
pub const DEFAULT_CUTOVER_TIME: &str = "18:00";

/// The days the messages go out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Dates {
    pub announce: NaiveDate,
    pub reminder: NaiveDate,
    pub cutover: NaiveDate,
    pub after: NaiveDate,
}

impl Dates {
    /// From `[schedule]`, with `cutover` standing in when the file sets none. Defaults: the
    /// announcement two weeks before, the reminder the day before, the checklist on the
    /// first weekday after.
    pub fn resolve(project: &Project, fallback_cutover: Option<NaiveDate>) -> Result<Dates> {
        let s = &project.schedule;
        let cutover = s.cutover.or(fallback_cutover).ok_or_else(|| {
            Error::Usage(
                "no cutover day: set [schedule] cutover = YYYY-MM-DD in cutover.toml (or give \
                 the mailboxes, statistics and [estimate] bandwidth_mbps for the estimate's)"
                    .into(),
            )
        })?;
        let mut after = cutover + Duration::days(1);
        while matches!(after.weekday(), Weekday::Sat | Weekday::Sun) {
            after += Duration::days(1);
        }
        let d = Dates {
            announce: s.announce.unwrap_or(cutover - Duration::days(14)),
            reminder: cutover - Duration::days(1),
            cutover,
            after: s.after.unwrap_or(after),
        };
        if let Some(problem) = order_problem(&d) {
            return Err(Error::Usage(format!("[schedule]: {problem}")));
        }
        Ok(d)
    }

    pub fn send_on(&self, kind: Kind) -> NaiveDate {
        match kind {
            Kind::Announcement => self.announce,
            Kind::Reminder => self.reminder,
            Kind::CutoverDay => self.cutover,
            Kind::After => self.after,
        }
    }

    /// The last day a message still says something true ("tomorrow" is false after it).
    pub fn send_by(&self, kind: Kind) -> NaiveDate {
        match kind {
            Kind::Announcement => self.reminder - Duration::days(1),
            Kind::Reminder => self.reminder,
            Kind::CutoverDay => self.cutover,
            Kind::After => self.after + Duration::days(6),
        }
    }
}

/// The dates out of order (lint S001 reports the same), or `None`.
pub fn order_problem(d: &Dates) -> Option<String> {
    if d.announce >= d.reminder {
        return Some(format!(
            "announce ({}) must come before the reminder, the day before the cutover ({})",
            d.announce, d.cutover
        ));
    }
    if d.after <= d.cutover {
        return Some(format!(
            "after ({}) must come after the cutover ({})",
            d.after, d.cutover
        ));
    }
    None
}

/// `HH:MM`, or `None` when it is not one.
pub fn parse_time(t: &str) -> Option<String> {
    let (h, m) = t.trim().split_once(':')?;
    let (h, m) = (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?);
    (h < 24 && m < 60).then(|| format!("{h:02}:{m:02}"))
}

/// What one user has to reconnect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setup {
    pub outlook: OutlookSetup,
    pub mobile: bool,
}

/// Per-user setups from `[notices] clients` (`UserPrincipalName,Outlook,Mobile`), keyed by
/// lower-case UPN.
pub fn read_clients(path: &Path) -> Result<Vec<(String, Setup, u64)>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let text = String::from_utf8(bytes).map_err(|_| {
        Error::Usage(format!(
            "{}: not UTF-8 (save it as UTF-8 CSV)",
            path.display()
        ))
    })?;
    let text = text.trim_start_matches('\u{feff}');
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = r.headers().map_err(|e| Error::Other(e.into()))?.clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let (Some(upn), outlook, mobile) = (col("UserPrincipalName"), col("Outlook"), col("Mobile"))
    else {
        return Err(Error::Usage(format!(
            "{}: needs the columns UserPrincipalName, Outlook (deploymentpro, manual or none) and Mobile (yes or no)",
            path.display()
        )));
    };
    let mut out = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| Error::Usage(format!("{}: {e}", path.display())))?;
        let line = i as u64 + 2;
        let get = |c: Option<usize>| c.and_then(|c| rec.get(c)).unwrap_or("").trim();
        let who = get(Some(upn)).to_ascii_lowercase();
        if who.is_empty() {
            continue;
        }
        let outlook = get(outlook)
            .parse::<OutlookSetup>()
            .map_err(|e| Error::Usage(format!("{} line {line}: {e}", path.display())))?;
        let mobile = match get(mobile).to_ascii_lowercase().as_str() {
            "yes" | "true" | "1" | "y" => true,
            "no" | "false" | "0" | "n" | "" => false,
            other => {
                return Err(Error::Usage(format!(
                    "{} line {line}: Mobile '{other}': use yes or no",
                    path.display()
                )))
            }
        };
        out.push((who, Setup { outlook, mobile }, line));
    }
    Ok(out)
}

/// One message to one user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    pub kind: Kind,
    pub to: String,
    pub to_name: String,
    pub subject: String,
    pub body: String,
    pub send_on: NaiveDate,
    pub send_by: NaiveDate,
    pub message_id: String,
}

impl Message {
    /// Stable op id for the send step and the journal.
    pub fn op_id(&self) -> String {
        format!("notices:send:{}:{}", self.kind.id(), self.to.to_lowercase())
    }

    /// `<kind>/<address>.eml`, a name every file system accepts.
    pub fn file(&self) -> String {
        let safe: String = self
            .to
            .to_lowercase()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '@' | '.' | '-' | '_' | '+') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        format!("{}/{safe}.eml", self.kind.id())
    }
}

/// What `cutover notices` and the bundle's send step need from the project.
pub struct Notices {
    pub dates: Dates,
    pub cutover_time: String,
    pub messages: Vec<Message>,
    pub sender: String,
    pub sender_name: String,
}

fn long_date(d: NaiveDate) -> String {
    d.format("%A %-d %B %Y").to_string()
}

fn first_domain(project: &Project) -> Option<&str> {
    project.domains.first().map(String::as_str)
}

/// Renders every message for every user (people only: the users file), in user order.
pub fn build(project: &Project, tenant: &Tenant, dates: Dates) -> Result<Notices> {
    let n = &project.notices;
    let cutover_time = match &project.schedule.cutover_time {
        Some(t) => parse_time(t).ok_or_else(|| {
            Error::Usage(format!(
                "[schedule] cutover_time = '{t}' is not a time like 18:00"
            ))
        })?,
        None => DEFAULT_CUTOVER_TIME.to_string(),
    };
    let sources = templates::load(n.templates.as_deref())?;
    for s in &sources {
        if let Some(u) = templates::undefined(&s.text).first() {
            return Err(Error::Usage(format!(
                "{} line {}: '{}' is not a notice variable (see cutover notices --variables)",
                s.origin(),
                u.line,
                u.name
            )));
        }
    }
    let hb = templates::registry(&sources)?;
    let clients = match &n.clients {
        Some(p) => read_clients(p)?,
        None => Vec::new(),
    };
    let sender = n
        .sender
        .clone()
        .or_else(|| first_domain(project).map(|d| format!("it@{d}")))
        .unwrap_or_else(|| "it@example.invalid".into());
    let sender_name = n.sender_name.clone().unwrap_or_else(|| "IT".into());
    let organisation = n
        .organisation
        .clone()
        .or_else(|| first_domain(project).map(str::to_string))
        .unwrap_or_else(|| "your organisation".into());
    let helpdesk = n
        .helpdesk
        .clone()
        .or_else(|| n.sender.clone())
        .unwrap_or_else(|| "your IT help desk".into());
    let id_domain = sender
        .rsplit_once('@')
        .map(|(_, d)| d.to_string())
        .unwrap_or_else(|| "cutover.invalid".into());
    let shared = Shared {
        dates: &dates,
        cutover_time: &cutover_time,
        organisation: &organisation,
        sender_name: &sender_name,
        helpdesk: &helpdesk,
        webmail_url: &n.webmail_url,
    };
    let mut messages = Vec::new();
    for u in &tenant.users {
        let upn = u.upn.trim();
        if upn.is_empty() {
            continue;
        }
        let key = upn.to_ascii_lowercase();
        let address = address(u);
        let setup = clients
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, s, _)| *s)
            .unwrap_or(Setup {
                outlook: n.outlook,
                mobile: n.mobile,
            });
        let ctx = context(u, setup, &shared);
        for kind in Kind::ALL {
            let text = hb
                .render(kind.id(), &ctx)
                .map_err(|e| Error::Usage(format!("notice template {}: {e}", kind.id())))?;
            let (subject, body) = templates::split_subject(&text).ok_or_else(|| {
                Error::Usage(format!(
                    "notice template {}: the first line must be 'Subject: ...'",
                    kind.id()
                ))
            })?;
            let send_on = dates.send_on(kind);
            let digest =
                crate::bundle::sha256_hex(format!("{key}|{}|{send_on}", kind.id()).as_bytes());
            messages.push(Message {
                kind,
                to: address.clone(),
                to_name: u.display_name.trim().to_string(),
                subject,
                body: tidy(&body),
                send_on,
                send_by: dates.send_by(kind),
                message_id: format!("<cutover.{}.{}@{id_domain}>", kind.id(), &digest[..24]),
            });
        }
    }
    Ok(Notices {
        dates,
        cutover_time,
        messages,
        sender,
        sender_name,
    })
}

/// Runs of blank lines (left by sections a user does not get) become one, and the body
/// starts and ends without blank lines.
fn tidy(body: &str) -> String {
    let mut out = Vec::new();
    let mut blank = true;
    for line in body.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            if !blank {
                out.push("");
            }
            blank = true;
        } else {
            out.push(line);
            blank = false;
        }
    }
    while out.last() == Some(&"") {
        out.pop();
    }
    let mut s = out.join("\n");
    s.push('\n');
    s
}

/// What every user's messages share.
struct Shared<'a> {
    dates: &'a Dates,
    cutover_time: &'a str,
    organisation: &'a str,
    sender_name: &'a str,
    helpdesk: &'a str,
    webmail_url: &'a str,
}

fn context(u: &User, setup: Setup, s: &Shared<'_>) -> serde_json::Value {
    let display = u.display_name.trim();
    let first = u
        .first_name
        .as_deref()
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .unwrap_or(display);
    json!({
        "first_name": first,
        "display_name": display,
        "email": address(u),
        "organisation": s.organisation,
        "sender_name": s.sender_name,
        "helpdesk": s.helpdesk,
        "announce_date": long_date(s.dates.announce),
        "reminder_date": long_date(s.dates.reminder),
        "cutover_date": long_date(s.dates.cutover),
        "cutover_time": s.cutover_time,
        "after_date": long_date(s.dates.after),
        "webmail_url": s.webmail_url,
        "outlook": setup.outlook != OutlookSetup::None,
        "deploymentpro": setup.outlook == OutlookSetup::Deploymentpro,
        "outlook_manual": setup.outlook == OutlookSetup::Manual,
        "mobile": setup.mobile,
    })
}

/// Where the user reads mail: the primary SMTP address, else the UPN.
fn address(u: &User) -> String {
    u.primary_smtp
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .unwrap_or(u.upn.trim())
        .to_string()
}

/// RFC 5322 date of a message: 08:00 on its day, zone `-0000` (local time of the site,
/// offset not known: RFC 5322 section 3.3).
pub fn rfc5322_date(d: NaiveDate) -> String {
    format!(
        "{}, {} 08:00:00 -0000",
        d.format("%a"),
        d.format("%-d %b %Y")
    )
}

/// What `write` produced.
pub struct Written {
    pub files: usize,
    pub csv: PathBuf,
}

/// Writes `<kind>/<user>.eml` for every message, `notices.csv` for mail merge and
/// `VARIABLES.md` into `out`.
pub fn write(notices: &Notices, out: &Path) -> Result<Written> {
    let io = |p: &Path, e| Error::io(p, e);
    for kind in Kind::ALL {
        let d = out.join(kind.id());
        std::fs::create_dir_all(&d).map_err(|e| io(&d, e))?;
    }
    let mut rows = Vec::new();
    for m in &notices.messages {
        let date = rfc5322_date(m.send_on);
        let text = eml::render(&eml::Eml {
            from_name: &notices.sender_name,
            from: &notices.sender,
            to_name: &m.to_name,
            to: &m.to,
            subject: &m.subject,
            date: &date,
            message_id: &m.message_id,
            body: &m.body,
        });
        let file = m.file();
        let p = out.join(&file);
        std::fs::write(&p, text).map_err(|e| io(&p, e))?;
        rows.push([
            m.kind.id().to_string(),
            m.send_on.to_string(),
            m.send_by.to_string(),
            m.to.clone(),
            m.to_name.clone(),
            m.subject.clone(),
            m.body.clone(),
            file,
        ]);
    }
    let csv_path = out.join("notices.csv");
    let mut buf = "\u{feff}".as_bytes().to_vec();
    {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut buf);
        let header = [
            "Message",
            "SendOn",
            "SendBy",
            "To",
            "DisplayName",
            "Subject",
            "Body",
            "File",
        ];
        w.write_record(header).map_err(|e| Error::Other(e.into()))?;
        for r in &rows {
            w.write_record(
                r.iter()
                    .map(|c| crate::spreadsheet::neutralise(c).into_owned()),
            )
            .map_err(|e| Error::Other(e.into()))?;
        }
        w.flush().map_err(|e| Error::Other(e.into()))?;
    }
    std::fs::write(&csv_path, buf).map_err(|e| io(&csv_path, e))?;
    let vars = out.join("VARIABLES.md");
    std::fs::write(&vars, templates::variables_markdown()).map_err(|e| io(&vars, e))?;
    Ok(Written {
        files: rows.len(),
        csv: csv_path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn dates_default_around_the_cutover_and_refuse_disorder() {
        let mut p = Project::default();
        p.schedule.cutover = Some(d("2026-12-18"));
        let dates = Dates::resolve(&p, None).unwrap();
        assert_eq!(dates.announce, d("2026-12-04"));
        assert_eq!(dates.reminder, d("2026-12-17"));
        assert_eq!(
            dates.after,
            d("2026-12-21"),
            "Friday's checklist goes out on Monday"
        );
        p.schedule.announce = Some(d("2026-12-17"));
        assert!(Dates::resolve(&p, None).is_err());
        p.schedule.announce = None;
        p.schedule.after = Some(d("2026-12-18"));
        assert!(Dates::resolve(&p, None).is_err());
        assert!(Dates::resolve(&Project::default(), None).is_err());
        let fallback = Dates::resolve(&Project::default(), Some(d("2027-01-08"))).unwrap();
        assert_eq!(fallback.cutover, d("2027-01-08"));
    }

    #[test]
    fn blank_runs_collapse() {
        assert_eq!(tidy("\n\na\n\n\n\nb  \n\n"), "a\n\nb\n");
    }

    #[test]
    fn times_and_dates_are_formatted() {
        assert_eq!(parse_time("9:5").as_deref(), Some("09:05"));
        assert_eq!(parse_time("24:00"), None);
        assert_eq!(
            rfc5322_date(d("2026-12-18")),
            "Fri, 18 Dec 2026 08:00:00 -0000"
        );
    }
}
