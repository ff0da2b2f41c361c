//! Group and member rules (G...): names, collisions, member resolution, nesting cycles
//! (m365-facts 4.3).

use crate::diag::Severity::{Error, Warning};
use crate::input::{Column, Row};
use crate::model::address::{domain_of, smtp_problem, split_multi};

use super::engine::{DeferredMember, GroupRef, Recipients, State, DEFER};
use super::index::{base, base_and_at, in_ns, key, Ns, Place};
use super::Rule;
use crate::model::directory::{Lookup, GROUP_NAMES};

pub const NAME_BLANK: Rule = Rule {
    code: "G001",
    name: "group-name-blank",
    severity: Error,
    summary: "the group has no name",
    hint: "fill in the group's Name",
    explanation: "New-DistributionGroup requires -Name, and the name is how member rows and scripts find the group. A blank identity is always an error: an empty -Identity selects every object (m365-facts 4.3, 4.6).",
};

pub const NAME_LENGTH: Rule = Rule {
    code: "G002",
    name: "group-name-length",
    severity: Error,
    summary: "the group name is longer than 64 characters",
    hint: "shorten the name to 64 characters (the display name may be up to 256)",
    explanation: "A distribution group's Name is unique and at most 64 characters (New-DistributionGroup, m365-facts 4.3).",
};

pub const NAME_DUPLICATE: Rule = Rule {
    code: "G003",
    name: "group-name-duplicate",
    severity: Error,
    summary: "another group has the same name",
    hint: "give each group a unique name (the comparison ignores case)",
    explanation: "Distribution group names are unique (m365-facts 4.3); the second New-DistributionGroup fails and member rows become ambiguous.",
};

pub const COLLIDES_WITH_USER: Rule = Rule {
    code: "G004",
    name: "group-address-collides",
    severity: Error,
    summary: "the group's address belongs to a user",
    hint: "give the group its own address",
    explanation: "An SMTP address routes to one recipient (m365-facts 4.4): a group whose address is a user's UPN or address cannot be created, or steals the user's mail.",
};

pub const UNKNOWN_GROUP: Rule = Rule {
    code: "G005",
    name: "member-unknown-group",
    severity: Error,
    summary: "the member row names a group that no groups file defines",
    hint: "fix the group name, or add the group to the groups file",
    explanation: "Add-DistributionGroupMember needs an existing mail-enabled group (m365-facts 4.3). cutover resolves the group by name, alias or address against every groups file linted together.",
};

pub const UNRESOLVED_MEMBER: Rule = Rule {
    code: "G006",
    name: "member-unresolved",
    severity: Error,
    summary: "the member is not a user, group, contact or address in the inputs",
    hint: "fix the member, add the user or group, or use an external address",
    explanation: "A member must be a mail-enabled recipient: a mailbox user, mail user, mail contact or mail-enabled group (Add-DistributionGroupMember, m365-facts 4.3). cutover resolves members by UPN, alias or address (users), name, alias or address (groups, shared mailboxes, mail contacts of the contacts export); one in an accepted domain that matches nothing would fail at run time.",
};

pub const EXTERNAL_MEMBER: Rule = Rule {
    code: "G007",
    name: "member-external",
    severity: Warning,
    summary: "the member is an external address: it needs a mail contact",
    hint: "create a mail contact (New-MailContact) for the address before adding it",
    explanation: "Only recipients can be group members (m365-facts 4.3): an address outside the accepted domains must exist as a mail contact (or mail user) first.",
};

pub const DUPLICATE_MEMBERSHIP: Rule = Rule {
    code: "G008",
    name: "membership-duplicate",
    severity: Warning,
    summary: "the membership is listed twice",
    hint: "delete the repeated row",
    explanation: "Adding a member twice makes the second Add-DistributionGroupMember fail with \"already a member\"; cutover plans it once (Add-DistributionGroupMember, m365-facts 4.3).",
};

pub const CYCLE: Rule = Rule {
    code: "G009",
    name: "nesting-cycle",
    severity: Error,
    summary: "groups contain each other in a cycle",
    hint: "remove one of the nested memberships",
    explanation: "A group that contains itself through nested groups makes expansion loop and mail to it bounce or duplicate; Exchange resolves nested groups when it delivers (m365-facts 4.3).",
};

pub const DISPLAY_NAME_LENGTH: Rule = Rule {
    code: "G010",
    name: "group-display-name-length",
    severity: Error,
    summary: "the group display name is longer than 256 characters",
    hint: "shorten the display name to 256 characters or fewer",
    explanation: "A distribution group's DisplayName is at most 256 characters (New-DistributionGroup, m365-facts 4.3).",
};

pub const MEMBER_BLANK: Rule = Rule {
    code: "G011",
    name: "member-row-blank",
    severity: Error,
    summary: "the member row has no group or no member",
    hint: "fill in both the group and the member, or delete the row",
    explanation: "A blank identity is always an error: `Add-DistributionGroupMember -Identity ''` or a blank -Member given to a Get- cmdlet selects every object (m365-facts 4.6).",
};

pub const AMBIGUOUS: Rule = Rule {
    code: "G012",
    name: "name-ambiguous",
    severity: Error,
    summary: "the name is one that two recipients answer to",
    hint: "name the member or group by an address or UPN that only it has",
    explanation: "Exchange resolves -Identity and -Member values among every recipient's name, alias, addresses and UPN; a value that \"matches multiple entries\" is refused (Add-DistributionGroupMember, m365-facts 4.3). cutover resolves the same way, counting the alias a user without one gets (its UPN's local part) and display names when nothing else matches, and never takes the first match.",
};

/// Per-row checks of a groups file.
pub fn check_group(st: &mut State<'_>, row: &Row<'_>) {
    let place = st.place(row.line());
    let Some(name) = row.value(Column::Name) else {
        st.sink.cell(
            &NAME_BLANK,
            row,
            Column::Name,
            "the group name is blank".into(),
        );
        return;
    };
    let n = name.chars().count();
    if n > 64 {
        st.sink.cell(
            &NAME_LENGTH,
            row,
            Column::Name,
            format!("{n} characters; at most 64"),
        );
    }
    let name_key = key(Ns::GroupName, name);
    // The second group of a name is never created: it claims none of its names.
    if let Some(first) = st.get(name_key) {
        let at = st.describe(first);
        st.sink.cell(
            &NAME_DUPLICATE,
            row,
            Column::Name,
            format!("the name is also used at {at}"),
        );
        return;
    }
    st.dir.note(Ns::GroupName, name);
    st.insert(name_key, place);
    let gid = st.add_group(name);
    st.group_at.insert(place.raw(), gid);
    if let Some(d) = row.value(Column::DisplayName) {
        let n = d.chars().count();
        if n > 256 {
            st.sink.cell(
                &DISPLAY_NAME_LENGTH,
                row,
                Column::DisplayName,
                format!("{n} characters; at most 256"),
            );
        }
    }
    if let Some(alias) = row.value(Column::Alias) {
        super::users::check_alias(st, row, alias, place);
    }
    if let Some(d) = row.value(Column::DisplayName) {
        st.dir.note(Ns::Display, d);
        st.claim_later(key(Ns::Display, d), place);
    }
    super::address::check(st, row, super::address::Owner::Group(gid), place);
    if let Some(cell) = row.value(Column::Members) {
        for m in split_multi(cell) {
            st.pending.push((gid, m.to_string(), place));
        }
    }
}

/// A member row; `pre`: the row resolved on the reader thread ([`pre_resolve`]).
pub fn check_member(st: &mut State<'_>, row: &Row<'_>, pre: Option<MemberPre>) {
    let place = st.place(row.line());
    let (Some(group), Some(member)) = (row.value(Column::Group), row.value(Column::Member)) else {
        let c = if row.value(Column::Group).is_none() {
            Column::Group
        } else {
            Column::Member
        };
        st.sink.cell(
            &MEMBER_BLANK,
            row,
            c,
            format!(
                "the {} is blank",
                if c == Column::Group {
                    "group"
                } else {
                    "member"
                }
            ),
        );
        return;
    };
    let mut text = st.spare_string();
    text.push_str(member);
    let mut group_text = st.spare_string();
    group_text.push_str(group);
    let job = DeferredMember {
        group: Some(GroupRef {
            base: pre.map_or_else(|| base(group), |p| p.group_base),
            text: group_text,
            column: row.position(Column::Group),
        }),
        gid: None,
        group_key: 0,
        member: text,
        base: pre.map_or_else(|| base(member), |p| p.member_base),
        place,
        column: row.position(Column::Member),
        pre,
    };
    enqueue(st, job);
}

/// A member row resolved ahead of the rules, by the same lookups they would make: the group
/// among the groups, the member among every recipient.
#[derive(Clone, Copy)]
pub struct MemberPre {
    group_base: u64,
    member_base: u64,
    group: Lookup,
    member: Option<Resolved>,
}

/// A member row's names hashed, ready to be looked up ([`MemberKeys::resolve`]).
#[derive(Clone, Copy)]
pub struct MemberKeys {
    group_base: u64,
    member_base: u64,
    group_at: bool,
    member_at: bool,
}

impl MemberKeys {
    /// `None` when the group or member is blank: the row is reported, not resolved.
    pub fn of(row: &Row<'_>) -> Option<MemberKeys> {
        let group = row.value(Column::Group)?;
        let member = row.value(Column::Member)?;
        let (group_base, group_at) = base_and_at(group);
        let (member_base, member_at) = base_and_at(member);
        Some(MemberKeys {
            group_base,
            member_base,
            group_at,
            member_at,
        })
    }

    /// Starts loading the slots [`Self::resolve`] reads.
    pub fn prefetch(&self, r: &Recipients<'_>) {
        r.dir.prefetch_resolve(self.member_base, self.member_at);
        r.dir
            .prefetch_among(self.group_base, self.group_at, &GROUP_NAMES);
    }

    /// Resolves the row these keys are of. Reads only what is complete before members files
    /// are read.
    pub fn resolve(self, r: &Recipients<'_>, row: &Row<'_>) -> MemberPre {
        MemberPre {
            group_base: self.group_base,
            member_base: self.member_base,
            group: lookup_group(r, self.group_base, self.group_at),
            member: resolve_member(r, self.member_base, self.member_at, || {
                row.value(Column::Member).unwrap_or_default()
            }),
        }
    }
}

/// Whether a name holds an `@` (an address or UPN): a byte loop, as names are short.
fn has_at(s: &str) -> bool {
    s.bytes().any(|b| b == b'@')
}

/// The group a name means among the groups.
fn lookup_group(r: &Recipients<'_>, b: u64, at: bool) -> Lookup {
    r.dir
        .resolve_among(b, at, &GROUP_NAMES, |p| r.group_of(p).is_some())
}

/// The group a member row's group column names: `Add-DistributionGroupMember -Identity`
/// takes a group, so only groups answer. Reports an unknown or ambiguous group on the row.
fn resolve_group(st: &mut State<'_>, job: &mut DeferredMember) {
    let Some(g) = job.group.take() else { return };
    let found = match job.pre {
        Some(p) => p.group,
        None => lookup_group(&st.recipients(), g.base, g.text.contains('@')),
    };
    let text = g.text.as_str();
    // The column's name is looked up only for a finding (most rows have none).
    let report = |st: &mut State<'_>, rule: &'static Rule, msg: String| {
        let column = g.column.map(|i| (st.header_name(i).to_string(), i));
        let at = column.as_ref().map(|(n, i)| (n.as_str(), *i));
        st.sink
            .at(rule, Some(job.place.line()), at, Some(text), msg);
    };
    job.gid = match found {
        Lookup::Found(p) => st.group_of(p),
        Lookup::Ambiguous(a, b) => {
            let msg = format!(
                "'{text}' names two groups: {} and {}",
                st.recipient_at(a),
                st.recipient_at(b)
            );
            report(st, &AMBIGUOUS, msg);
            None
        }
        Lookup::Missing => {
            if st.have_groups {
                report(st, &UNKNOWN_GROUP, format!("no group is named '{text}'"));
            }
            None
        }
    };
    job.group_key = job
        .gid
        .map_or_else(|| in_ns(Ns::GroupName, g.base), u64::from);
    st.recycle(g.text);
}

#[derive(Clone, Copy)]
enum Resolved {
    /// A recipient that is not a group (user, mailbox), by the place of its row.
    Recipient(Place),
    Group(u32),
    Ambiguous(Place, Place),
    External,
    Unknown,
}

/// What a member name means among every recipient; `None` when no users or groups file is
/// linted (nothing to resolve against). `b` is the name's [`base`], `at` whether it holds an
/// `@`; `text` gives the name itself, read only when no recipient answers to it.
fn resolve_member<'t>(
    r: &Recipients<'_>,
    b: u64,
    at: bool,
    text: impl FnOnce() -> &'t str,
) -> Option<Resolved> {
    if !r.any {
        return None;
    }
    Some(match r.dir.resolve_base(b, at, |_| true) {
        Lookup::Found(p) => match r.group_of(p) {
            Some(g) => Resolved::Group(g),
            None => Resolved::Recipient(p),
        },
        Lookup::Ambiguous(a, b) => Resolved::Ambiguous(a, b),
        Lookup::Missing => {
            let text = text();
            match domain_of(text) {
                Some(d) if smtp_problem(text).is_none() && !r.is_internal(d) => Resolved::External,
                _ => Resolved::Unknown,
            }
        }
    })
}

/// The member resolved and its membership key computed; the duplicate check waits for the
/// membership slot's prefetch.
pub struct Resolving {
    job: DeferredMember,
    resolved: Option<Resolved>,
    pair: u64,
}

/// Resolution half of a membership: what the member is, and the pair key to check.
fn resolve(st: &State<'_>, job: DeferredMember) -> Resolving {
    let resolved = match job.pre {
        Some(p) => p.member,
        None => resolve_member(&st.recipients(), job.base, has_at(&job.member), || {
            &job.member
        }),
    };
    // A member named by UPN, alias or address is one member: key it by what it resolved to.
    let member_key = match resolved {
        Some(Resolved::Group(g)) => u64::from(g) | (1 << 63),
        Some(Resolved::Recipient(p)) => p.raw() | (1 << 62),
        _ => in_ns(Ns::UserAddress, job.base),
    };
    let pair = job.group_key.rotate_left(17) ^ member_key.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    Resolving {
        job,
        resolved,
        pair,
    }
}

/// Duplicate check, nesting edge and findings for one resolved membership.
fn finish(st: &mut State<'_>, r: Resolving) {
    let Resolving {
        job,
        resolved,
        pair,
    } = r;
    let place = job.place;
    let member = job.member.as_str();
    let duplicate = st.memberships.insert(pair, place).is_some();
    let emit = |st: &mut State<'_>, rule: &'static Rule, msg: String| {
        let name = job.column.map(|i| st.header_name(i).to_string());
        let at = name.as_deref().zip(job.column);
        st.sink.at(rule, Some(place.line()), at, Some(member), msg);
    };
    match resolved {
        // An ambiguous name is refused whatever else it matches; never "already a member".
        Some(Resolved::Ambiguous(a, b)) => {
            let msg = format!(
                "'{member}' names two recipients: {} and {}",
                st.recipient_at(a),
                st.recipient_at(b)
            );
            emit(st, &AMBIGUOUS, msg);
        }
        _ if duplicate => emit(
            st,
            &DUPLICATE_MEMBERSHIP,
            format!("'{member}' is already a member of this group"),
        ),
        Some(Resolved::Group(g)) => {
            if let Some(from) = job.gid {
                st.edges.push((from, g, place));
            }
        }
        Some(Resolved::External) => emit(
            st,
            &EXTERNAL_MEMBER,
            format!("'{member}' is outside the accepted domains"),
        ),
        Some(Resolved::Unknown) => emit(
            st,
            &UNRESOLVED_MEMBER,
            format!("'{member}' matches no user, group, contact or address"),
        ),
        Some(Resolved::Recipient(_)) | None => {}
    }
    st.recycle(job.member);
}

/// Queues a membership: resolved DEFER rows later, checked for duplicates DEFER rows after
/// that, each step after a prefetch of the slot it needs.
fn enqueue(st: &mut State<'_>, job: DeferredMember) {
    if job.pre.is_none() {
        st.dir.prefetch_resolve(job.base, job.member.contains('@'));
        if let Some(g) = &job.group {
            st.dir
                .prefetch_among(g.base, g.text.contains('@'), &GROUP_NAMES);
        }
    }
    st.deferred_members.push_back(job);
    if st.deferred_members.len() > DEFER {
        step(st);
    }
}

fn step(st: &mut State<'_>) {
    if let Some(mut job) = st.deferred_members.pop_front() {
        resolve_group(st, &mut job);
        let r = resolve(st, job);
        st.memberships.prefetch(r.pair);
        st.resolving.push_back(r);
    }
    if st.resolving.len() > DEFER {
        if let Some(r) = st.resolving.pop_front() {
            finish(st, r);
        }
    }
}

/// Finishes every queued membership (end of a file).
pub fn flush_members(st: &mut State<'_>) {
    while !st.deferred_members.is_empty() {
        step(st);
    }
    while let Some(r) = st.resolving.pop_front() {
        finish(st, r);
    }
}

/// Resolves the Members cells of groups files once every group is known.
pub fn resolve_pending(st: &mut State<'_>) {
    let pending = std::mem::take(&mut st.pending);
    let mut file = usize::MAX;
    for (gid, member, place) in pending {
        if place.file() != file {
            // Findings go to the file that is entered: finish the previous file's first.
            flush_members(st);
            file = place.file();
            st.enter_file(file);
        }
        let job = DeferredMember {
            group: None,
            gid: Some(gid),
            group_key: u64::from(gid),
            base: base(&member),
            member,
            place,
            column: None,
            pre: None,
        };
        enqueue(st, job);
    }
    flush_members(st);
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{codes, lint_files};

    const USERS: &[u8] =
        b"UPN,DisplayName,Alias\nann@contoso.com,Ann,ann\nbob@contoso.com,Bob,bob\n";

    #[test]
    fn g001_g002_g003_g010_group_names() {
        let long = "g".repeat(65);
        let dn = "d".repeat(257);
        let text = format!("Name,DisplayName\n,x\n{long},x\nSales,{dn}\nsales,x\n");
        let r = lint_files(&[("g.csv", text.as_bytes())]);
        assert_eq!(codes(&r), ["G001", "G002", "G010", "G003"]);
    }

    #[test]
    fn g004_group_address_collides_with_user() {
        let r = lint_files(&[
            ("u.csv", USERS),
            ("g.csv", b"Name,Address\nSales,ann@contoso.com\n"),
        ]);
        assert_eq!(codes(&r), ["G004"]);
    }

    #[test]
    fn g005_g006_g007_g011_member_resolution() {
        let r = lint_files(&[
            ("m.csv", b"DL,Alias\nSales,ann\nNope,bob\nSales,ghost@contoso.com\nSales,partner@fabrikam.com\nSales,\n"),
            ("g.csv", b"Name,Address\nSales,sales@contoso.com\n"),
            ("u.csv", USERS),
        ]);
        assert_eq!(codes(&r), ["G005", "G006", "G007", "G011"]);
        assert!(r.iter().all(|f| f.file.as_deref() == Some("m.csv")));
        assert_eq!(r[0].line, Some(3));
    }

    #[test]
    fn g008_duplicate_membership_by_any_name() {
        let r = lint_files(&[
            ("u.csv", USERS),
            (
                "g.csv",
                b"Name,Alias,Address\nSales,sales,sales@contoso.com\n",
            ),
            (
                "m.csv",
                b"Group,Member\nSales,ann@contoso.com\nsales@contoso.com,ann@contoso.com\n",
            ),
        ]);
        assert_eq!(codes(&r), ["G008"]);
    }

    #[test]
    fn g009_nesting_cycles_found_once() {
        let r = lint_files(&[
            ("u.csv", USERS),
            ("g.csv", b"Name,Address,Members\nA,a@contoso.com,B\nB,b@contoso.com,C;ann\nC,c@contoso.com,a@contoso.com\nD,d@contoso.com,A\n"),
        ]);
        assert_eq!(codes(&r), ["G009"]);
        assert!(
            r[0].message.contains("A -> B -> C -> A"),
            "{}",
            r[0].message
        );
    }
}
