//! Transfer time, batches and a schedule from mailbox sizes.
//!
//! The model, printed with every estimate:
//! - the link carries `bandwidth_mbps` megabits (10^6 bits) per second in total; mailboxes start
//!   largest first, at most `concurrency` at once (default 3 per 1 Mbps, the playbook's
//!   guideline), and the running ones share the link evenly, so each moves at
//!   `bandwidth / running` (with `n` mailboxes, `bandwidth / min(concurrency, n)` at the start);
//! - a mailbox's hours run from its start to its end, speeding up as the others finish;
//! - the link stays full while any migration runs, so the elapsed time is the total bytes
//!   (primary + archive `TotalItemSize`) at the full bandwidth;
//! - statistics give no item ages, so the share of data newer than `prestage_days` (moved in the
//!   final pass after the cutover) is an assumed fraction, `recent_fraction`;
//! - pre-stage starts on a Monday and the cutover is the first Friday evening after it finishes.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use serde::Serialize;

use crate::model::Mailbox;

use super::join::Usage;

pub const FORMAT_VERSION: u32 = 1;

/// The playbook's guideline: 3 concurrent migrations per 1 Mbps of bandwidth.
pub const MIGRATIONS_PER_MBPS: f64 = 3.0;

/// Share of a mailbox's data assumed newer than the pre-stage cut-off when none is given.
pub const DEFAULT_RECENT_FRACTION: f64 = 0.1;

/// Hour of the cutover evening (local time of the source site) when the final pass starts.
pub const CUTOVER_HOUR: u32 = 18;

#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub bandwidth_mbps: f64,
    /// `None`: the playbook's default from the bandwidth.
    pub concurrency: Option<u32>,
    pub prestage_days: u32,
    pub recent_fraction: f64,
    /// Mailboxes per batch (`None`: the concurrency).
    pub batch_size: Option<usize>,
    /// Day from which to schedule (the pre-stage starts the Monday on or after it).
    pub start: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assumptions {
    pub bandwidth_mbps: f64,
    pub concurrency: u32,
    pub concurrency_source: String,
    /// Migrations running at once: the concurrency, or fewer when there are fewer mailboxes.
    pub in_flight: u32,
    pub per_migration_mbps: f64,
    pub bytes_per_hour_per_migration: f64,
    pub formula: String,
    pub data: String,
    pub prestage_days: u32,
    pub recent_fraction: f64,
    pub recent_fraction_note: String,
    pub batch_size: usize,
    pub schedule: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MailboxEstimate {
    pub identity: String,
    pub primary_smtp: Option<String>,
    /// Primary plus archive `TotalItemSize`, exact.
    pub bytes: u64,
    pub archive_bytes: u64,
    pub items: u64,
    pub hours: f64,
    /// 1-based batch number.
    pub batch: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Batch {
    pub number: usize,
    pub mailboxes: Vec<String>,
    pub bytes: u64,
    /// Elapsed hours for the batch alone: its bytes at the full bandwidth.
    pub hours: f64,
    /// A delegate group larger than the batch size, kept whole.
    pub oversized: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hours {
    /// Everything in one pass.
    pub total: f64,
    pub prestage: f64,
    pub final_pass: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Schedule {
    pub prestage_start: NaiveDate,
    /// When the pre-stage pass is expected to finish (site-local time).
    pub prestage_end: NaiveDateTime,
    pub prestage_days_needed: u64,
    pub cutover: NaiveDate,
    pub final_pass_hours: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Estimate {
    pub version: u32,
    pub assumptions: Assumptions,
    pub total_bytes: u64,
    pub total_items: u64,
    /// Recoverable Items (`TotalDeletedItemSize`): reported, not counted in `total_bytes`.
    pub total_deleted_bytes: u64,
    pub mailbox_count: usize,
    pub hours: Hours,
    pub mailboxes: Vec<MailboxEstimate>,
    pub batches: Vec<Batch>,
    pub schedule: Schedule,
}

/// Bytes an hour the link carries in total: megabits (10^6 bits) per second to bytes an hour.
pub fn link_bytes_per_hour(bandwidth_mbps: f64) -> f64 {
    bandwidth_mbps * 1_000_000.0 / 8.0 * 3600.0
}

/// The concurrency to use and where it came from.
pub fn concurrency(settings: &Settings) -> (u32, String) {
    match settings.concurrency {
        Some(c) => (c.max(1), "given".to_string()),
        None => {
            let c = (settings.bandwidth_mbps * MIGRATIONS_PER_MBPS).floor();
            let c = if c.is_finite() && c >= 1.0 {
                c.min(f64::from(u32::MAX)) as u32
            } else {
                1
            };
            (
                c,
                format!("playbook default, {MIGRATIONS_PER_MBPS} per 1 Mbps"),
            )
        }
    }
}

/// Hours each job (bytes) takes from its start to its end when jobs start largest first, at most
/// `slots` at once, and the running ones share `link` bytes an hour evenly.
pub fn shared_hours(jobs: &[u64], slots: u32, link: f64) -> Vec<f64> {
    if !(link.is_finite() && link > 0.0) {
        return vec![f64::INFINITY; jobs.len()];
    }
    let slots = slots.max(1) as usize;
    let mut order: Vec<(u64, usize)> = jobs.iter().copied().zip(0..).collect();
    order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut queue = order.into_iter();
    let mut start = vec![0.0; jobs.len()];
    let mut out = vec![0.0; jobs.len()];
    // Every running job has moved the same bytes since the first start (`moved`), so a job that
    // started at `moved = m` ends when `moved` reaches `m + bytes`: all ends are whole bytes.
    let mut running: BinaryHeap<Reverse<(u64, usize)>> =
        BinaryHeap::with_capacity(slots.min(jobs.len()));
    let (mut moved, mut now) = (0u64, 0.0f64);
    loop {
        while running.len() < slots {
            let Some((bytes, i)) = queue.next() else {
                break;
            };
            if let Some(slot) = start.get_mut(i) {
                *slot = now;
            }
            running.push(Reverse((moved.saturating_add(bytes), i)));
        }
        let sharing = running.len() as f64;
        let Some(Reverse((end, i))) = running.pop() else {
            break;
        };
        now += end.saturating_sub(moved) as f64 * sharing / link;
        moved = end;
        if let (Some(slot), Some(began)) = (out.get_mut(i), start.get(i)) {
            *slot = now - began;
        }
    }
    out
}

/// Packs delegate groups (mailbox positions) into batches of at most `size` mailboxes, largest
/// group first, each into the first batch with room. A group bigger than `size` is a batch alone.
pub fn pack_batches(groups: &[Vec<usize>], size: usize) -> Vec<(Vec<usize>, bool)> {
    let size = size.max(1);
    let mut order: Vec<&Vec<usize>> = groups.iter().filter(|g| !g.is_empty()).collect();
    order.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    let mut batches: Vec<(Vec<usize>, bool)> = Vec::new();
    // Batches with room, by free space; first fit keeps it simple and predictable.
    for g in order {
        if g.len() > size {
            batches.push((g.clone(), true));
            continue;
        }
        match batches
            .iter_mut()
            .find(|(b, over)| !*over && b.len() + g.len() <= size)
        {
            Some((b, _)) => b.extend_from_slice(g),
            None => batches.push((g.clone(), false)),
        }
    }
    for (b, _) in &mut batches {
        b.sort_unstable();
    }
    batches
}

fn next_weekday(from: NaiveDate, day: Weekday) -> NaiveDate {
    let ahead = (7 + day.num_days_from_monday() - from.weekday().num_days_from_monday()) % 7;
    from + Duration::days(i64::from(ahead))
}

/// Pre-stage from Monday 00:00 on or after `start`, round the clock; cutover on the first
/// Friday evening (`CUTOVER_HOUR`) at or after the pre-stage's end.
pub fn schedule(start: NaiveDate, prestage_hours: f64, final_pass_hours: f64) -> Schedule {
    let prestage_start = next_weekday(start, Weekday::Mon);
    // Ten years of pre-stage is a data or bandwidth error; cap to keep dates representable.
    let hours = if prestage_hours.is_finite() && prestage_hours > 0.0 {
        prestage_hours.min(24.0 * 3650.0)
    } else {
        0.0
    };
    let begin = prestage_start.and_time(NaiveTime::MIN);
    let end = begin + Duration::seconds((hours * 3600.0).ceil() as i64);
    let evening = NaiveTime::from_hms_opt(CUTOVER_HOUR, 0, 0).unwrap_or(NaiveTime::MIN);
    let mut cutover = next_weekday(end.date(), Weekday::Fri);
    if cutover.and_time(evening) < end {
        cutover += Duration::days(7);
    }
    Schedule {
        prestage_start,
        prestage_end: end,
        prestage_days_needed: (hours / 24.0).ceil() as u64,
        cutover,
        final_pass_hours,
    }
}

/// Hours (rounded to hundredths, so JSON is stable).
fn round2(h: f64) -> f64 {
    (h * 100.0).round() / 100.0
}

pub fn estimate(
    mailboxes: &[Mailbox],
    usage: &[Usage],
    groups: &[Vec<usize>],
    s: &Settings,
) -> Estimate {
    let (conc, source) = concurrency(s);
    // Migrations in flight at once: never more than there are mailboxes.
    let in_flight = u32::try_from(mailboxes.len())
        .unwrap_or(u32::MAX)
        .clamp(1, conc);
    let link = link_bytes_per_hour(s.bandwidth_mbps);
    let per_migration_mbps = s.bandwidth_mbps / f64::from(in_flight);
    let rate = link / f64::from(in_flight);
    let hours_at = |bytes: u64| {
        if link > 0.0 {
            bytes as f64 / link
        } else {
            f64::INFINITY
        }
    };
    let jobs: Vec<u64> = (0..mailboxes.len())
        .map(|i| usage.get(i).map_or(0, Usage::bytes))
        .collect();
    let mailbox_hours = shared_hours(&jobs, conc, link);
    let fraction = s.recent_fraction.clamp(0.0, 1.0);
    let batch_size = s.batch_size.unwrap_or(conc as usize).max(1);

    let packed = pack_batches(groups, batch_size);
    let mut batch_of = vec![0usize; mailboxes.len()];
    let mut batches = Vec::with_capacity(packed.len());
    for (n, (members, oversized)) in packed.iter().enumerate() {
        let mut bytes = 0u64;
        let mut names = Vec::with_capacity(members.len());
        for &i in members {
            if let Some(slot) = batch_of.get_mut(i) {
                *slot = n + 1;
            }
            let b = usage.get(i).map_or(0, Usage::bytes);
            bytes = bytes.saturating_add(b);
            names.push(
                mailboxes
                    .get(i)
                    .map_or_else(String::new, |m| m.identity.clone()),
            );
        }
        batches.push(Batch {
            number: n + 1,
            mailboxes: names,
            bytes,
            hours: round2(hours_at(bytes)),
            oversized: *oversized,
        });
    }

    let mut rows = Vec::with_capacity(mailboxes.len());
    let (mut total_bytes, mut total_items, mut deleted) = (0u64, 0u64, 0u64);
    for (i, m) in mailboxes.iter().enumerate() {
        let u = usage.get(i).cloned().unwrap_or_default();
        total_bytes = total_bytes.saturating_add(u.bytes());
        total_items = total_items.saturating_add(u.items());
        deleted = deleted.saturating_add(u.deleted_bytes);
        rows.push(MailboxEstimate {
            identity: m.identity.clone(),
            primary_smtp: m.primary_smtp.clone(),
            bytes: u.bytes(),
            archive_bytes: u.archive_bytes,
            items: u.items(),
            hours: round2(mailbox_hours.get(i).copied().unwrap_or(0.0)),
            batch: batch_of.get(i).copied().unwrap_or(0),
        });
    }
    let total_hours = hours_at(total_bytes);
    let hours = Hours {
        total: round2(total_hours),
        prestage: round2(total_hours * (1.0 - fraction)),
        final_pass: round2(total_hours * fraction),
    };
    let schedule = schedule(s.start, hours.prestage, hours.final_pass);
    Estimate {
        version: FORMAT_VERSION,
        assumptions: Assumptions {
            bandwidth_mbps: s.bandwidth_mbps,
            concurrency: conc,
            concurrency_source: source,
            in_flight,
            per_migration_mbps,
            bytes_per_hour_per_migration: rate.round(),
            formula: format!(
                "mailboxes start largest first, at most {conc} at once, and share the link evenly: with {} mailboxes {in_flight} start together at {} Mbps / {in_flight} = {per_migration_mbps:.3} Mbps each, and speed up as others finish; a mailbox's hours run from its start to its end; the link stays full while any runs, so elapsed = total bytes / ({} Mbps * 10^6 / 8 * 3600)",
                mailboxes.len(),
                s.bandwidth_mbps,
                s.bandwidth_mbps
            ),
            data: "bytes = TotalItemSize of the primary mailbox plus the archive, exact from the export; Recoverable Items (TotalDeletedItemSize) not counted; no protocol overhead or throttling modelled".into(),
            prestage_days: s.prestage_days,
            recent_fraction: fraction,
            recent_fraction_note: format!(
                "statistics carry no item ages: assumed {:.0}% of each mailbox is newer than {} days (final pass), the rest is pre-staged",
                fraction * 100.0,
                s.prestage_days
            ),
            batch_size,
            schedule: format!(
                "pre-stage starts the Monday on or after {}, runs round the clock; cutover (MX switch, final pass) the first Friday evening ({CUTOVER_HOUR}:00) after it ends",
                s.start
            ),
        },
        total_bytes,
        total_items,
        total_deleted_bytes: deleted,
        mailbox_count: mailboxes.len(),
        hours,
        mailboxes: rows,
        batches,
        schedule,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Origin, RecipientKind};
    use std::sync::Arc;

    fn mbx(name: &str) -> Mailbox {
        Mailbox {
            origin: Origin {
                file: Arc::from("m.csv"),
                line: 2,
            },
            identity: name.into(),
            alias: None,
            display_name: None,
            primary_smtp: None,
            upn: None,
            exchange_guid: None,
            proxy_addresses: Vec::new(),
            kind: RecipientKind::User,
            archive: false,
            archive_guid: None,
            litigation_hold: false,
            forwarding: None,
            forwarding_recipient: None,
            send_on_behalf: Vec::new(),
        }
    }

    fn used(primary: u64, archive: u64, items: u64) -> Usage {
        Usage {
            primary_bytes: primary,
            primary_items: items,
            archive_bytes: archive,
            ..Default::default()
        }
    }

    fn settings(bandwidth: f64, concurrency: Option<u32>) -> Settings {
        Settings {
            bandwidth_mbps: bandwidth,
            concurrency,
            prestage_days: 90,
            recent_fraction: 0.1,
            batch_size: None,
            // A Wednesday.
            start: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
        }
    }

    #[test]
    fn default_concurrency_is_three_per_mbps() {
        assert_eq!(concurrency(&settings(10.0, None)).0, 30);
        assert_eq!(concurrency(&settings(2.5, None)).0, 7);
        assert_eq!(concurrency(&settings(0.1, None)).0, 1);
        assert_eq!(concurrency(&settings(10.0, Some(4))), (4, "given".into()));
        assert_eq!(concurrency(&settings(10.0, Some(0))).0, 1);
    }

    #[test]
    fn hand_computed_hours() {
        // 10 Mbps, concurrency 30, but only 2 mailboxes: each moves at 10 / 2 = 5 Mbps
        // = 625,000 B/s = 2,250,000,000 B/h. The link (4.5e9 B/h) moves all 1.65e9 B in 0.3667 h.
        let m = [mbx("a"), mbx("b")];
        let u = [used(1_200_000_000, 300_000_000, 7), used(150_000_000, 0, 3)];
        let groups = vec![vec![0], vec![1]];
        let e = estimate(&m, &u, &groups, &settings(10.0, None));
        assert_eq!(e.assumptions.concurrency, 30);
        assert_eq!(e.assumptions.in_flight, 2);
        assert_eq!(e.assumptions.per_migration_mbps, 5.0);
        assert_eq!(e.assumptions.bytes_per_hour_per_migration, 2_250_000_000.0);
        assert_eq!(e.total_bytes, 1_650_000_000);
        assert_eq!(e.total_items, 10);
        assert_eq!(e.mailboxes[0].bytes, 1_500_000_000);
        // Both start at 2.25e9 B/h: b ends after 1.5e8 / 2.25e9 = 0.0667 h; a has 1.35e9 B left,
        // alone on the full link: 0.0667 + 1.35e9 / 4.5e9 = 0.3667 h.
        assert_eq!(e.mailboxes[0].hours, 0.37);
        assert_eq!(e.mailboxes[1].hours, 0.07);
        // Elapsed: 1.65e9 / 4.5e9 = 0.3667 h; at least a alone at full speed (0.3333 h).
        assert_eq!(e.hours.total, 0.37);
        assert_eq!(e.hours.prestage, 0.33);
        assert_eq!(e.hours.final_pass, 0.04);
        // Batches of up to 30: one batch, alone on the full link.
        let batch_hours: Vec<f64> = e.batches.iter().map(|b| b.hours).collect();
        assert_eq!(batch_hours, [0.37]);
        // 1 Mbps, concurrency 1: 125,000 B/s = 450,000,000 B/h; both in a row = 1.65e9/4.5e8 h.
        let e = estimate(&m, &u, &groups, &settings(1.0, Some(1)));
        assert_eq!(e.assumptions.bytes_per_hour_per_migration, 450_000_000.0);
        assert_eq!(e.mailboxes[0].hours, 3.33);
        assert_eq!(e.mailboxes[1].hours, 0.33);
        assert_eq!(e.hours.total, 3.67);
    }

    #[test]
    fn more_mailboxes_than_slots_share_the_link_by_the_concurrency() {
        // 3 Mbps (1.35e9 B/h), concurrency 2, 3 mailboxes of 675,000,000 B: two start at 1.5 Mbps
        // = 6.75e8 B/h and end after 1 h; the third then has the link alone: 0.5 h. All: 1.5 h.
        let m = [mbx("a"), mbx("b"), mbx("c")];
        let u = [
            used(675_000_000, 0, 1),
            used(675_000_000, 0, 1),
            used(675_000_000, 0, 1),
        ];
        let groups = vec![vec![0], vec![1], vec![2]];
        let e = estimate(&m, &u, &groups, &settings(3.0, Some(2)));
        assert_eq!(e.assumptions.in_flight, 2);
        let hours: Vec<f64> = e.mailboxes.iter().map(|r| r.hours).collect();
        assert_eq!(hours, [1.0, 1.0, 0.5]);
        assert_eq!(e.hours.total, 1.5);
    }

    #[test]
    fn shared_hours_by_hand() {
        // Link 6 B/h. Jobs 6, 3, 0 on 3 slots: all start; 0 ends at once; 3 and 6 run at 3 B/h,
        // 3 ends at 1 h; 6 has 3 left alone at 6 B/h: 1.5 h.
        assert_eq!(shared_hours(&[3, 6, 0], 3, 6.0), [1.0, 1.5, 0.0]);
        // One slot: one after the other, largest first; each at the full link.
        assert_eq!(shared_hours(&[3, 6], 1, 6.0), [0.5, 1.0]);
        assert!(shared_hours(&[], 2, 6.0).is_empty());
        assert!(shared_hours(&[1], 2, 0.0)[0].is_infinite());
    }

    #[test]
    fn batches_keep_groups_whole() {
        let groups = vec![vec![0, 1, 2], vec![3], vec![4], vec![5, 6, 7, 8, 9]];
        let b = pack_batches(&groups, 4);
        assert_eq!(
            b,
            [
                (vec![5, 6, 7, 8, 9], true),
                (vec![0, 1, 2, 3], false),
                (vec![4], false)
            ]
        );
    }

    #[test]
    fn schedule_mondays_and_fridays() {
        let wed = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let mon = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let fri = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        // 30 hours of pre-stage: Monday to Tuesday, cutover that Friday.
        let s = schedule(wed, 30.0, 2.0);
        assert_eq!(
            (s.prestage_start, s.prestage_days_needed, s.cutover),
            (mon, 2, fri)
        );
        // 100 hours end on Friday at 04:00: that evening still works.
        assert_eq!(schedule(wed, 100.0, 0.0).cutover, fri);
        // 115 hours end on Friday at 19:00, after the cutover hour: the next Friday.
        let late = schedule(wed, 115.0, 0.0);
        assert_eq!(late.cutover, fri + Duration::days(7));
        assert_eq!(late.prestage_end.to_string(), "2026-12-04 19:00:00");
        // Starting on a Monday keeps that Monday; nothing to pre-stage still cuts over that week.
        assert_eq!(schedule(mon, 0.0, 0.0).prestage_start, mon);
        assert_eq!(schedule(mon, 0.0, 0.0).cutover, fri);
    }
}
