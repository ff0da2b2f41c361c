//! Synced shared, room and equipment mailboxes (issue 17): Entra Connect brings each one's user,
//! and Exchange Online shows it as a MailUser until a licence makes it a mailbox. The bundle's
//! `10-shared-mailboxes-*` steps licence the user, wait for the mailbox, convert it and take the
//! licence back; these tests rehearse just those steps (and the Exchange Online preflight, which
//! checks the msExchMailboxGuid prerequisite) on the samples, in the real pwsh, so they stay
//! cheap. The samples' shared mailbox `sales@` is on litigation hold, so the plan keeps its
//! licence; the room `boardroom@` loses it.

mod rehearse_support;
use cutover::rehearse::{state, Delays};
use cutover::run::protocol::Status;
use rehearse_support::*;
use serde_json::Value;

const SALES: &str = "sales@contoso.com";
const ROOM: &str = "boardroom@contoso.com";
const STEPS: [&str; 4] = [
    "00-preflight-exchange",
    "10-shared-mailboxes-1-licence",
    "10-shared-mailboxes-2-convert",
    "10-shared-mailboxes-3-unlicence",
];

fn synced_bundle(dir: &std::path::Path) -> Bundled {
    let project = samples_project(dir);
    bundle(dir, &project, "2016", "synced")
}

fn only_shared_steps(b: &Bundled) -> cutover::rehearse::RehearseOptions {
    let mut o = options(b);
    o.steps = STEPS.iter().map(|s| s.to_string()).collect();
    o
}

/// The Exchange Online recipient with this primary address, and its Entra user.
fn recipient<'a>(tenant: &'a Value, addr: &str) -> &'a Value {
    tenant["t"]["rcp"]
        .as_object()
        .unwrap()
        .values()
        .find(|r| r["PrimarySmtpAddress"].as_str() == Some(addr))
        .unwrap_or_else(|| panic!("no recipient {addr}"))
}

fn licences(tenant: &Value, upn: &str) -> usize {
    tenant["t"]["users"]
        .as_object()
        .unwrap()
        .values()
        .find(|u| u["UserPrincipalName"].as_str() == Some(upn))
        .unwrap_or_else(|| panic!("no user {upn}"))["AssignedLicenses"]
        .as_array()
        .map_or(0, Vec::len)
}

fn statuses(out: &cutover::rehearse::RehearseOutcome, step: &str) -> Vec<(String, Status)> {
    last(&records(out))
        .into_values()
        .filter(|r| r.step == step)
        .map(|r| (r.target.clone(), r.status))
        .collect()
}

/// Fresh simulated tenant: each is a MailUser. First rehearsal (mailboxes appear minutes after
/// licensing: the convert step waits for them) licenses, converts and unlicenses; the state
/// then holds a SharedMailbox and a RoomMailbox, the room without a licence and the shared
/// mailbox on hold with its own. A second rehearsal, from a session, finds all `unchanged`.
#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn licensed_converted_unlicensed_then_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let b = synced_bundle(dir.path());
    let readme = std::fs::read_to_string(b.bundle.join("README.md")).unwrap();
    for id in &STEPS[1..] {
        assert!(readme.contains(id), "README names {id}");
    }
    assert!(!readme.contains("10-shared-mailboxes-verify"));
    let mut o = only_shared_steps(&b);
    o.delays = Delays::Realistic;

    let first = rehearse(&o);
    let tenant = state::load(&first.state).unwrap();
    assert_eq!(
        recipient(&tenant, SALES)["RecipientTypeDetails"],
        "SharedMailbox"
    );
    assert_eq!(
        recipient(&tenant, ROOM)["RecipientTypeDetails"],
        "RoomMailbox"
    );
    assert_eq!(licences(&tenant, ROOM), 0, "{}", account(&first));
    assert_eq!(licences(&tenant, SALES), 1, "{}", account(&first));
    assert!(
        first.slept_s > 0.0,
        "the mailboxes took virtual time to appear"
    );
    let licence = statuses(&first, STEPS[1]);
    let convert = statuses(&first, STEPS[2]);
    let unlicence = statuses(&first, STEPS[3]);
    assert_eq!(licence.len(), 2, "{licence:?}");
    assert_eq!(convert.len(), 2, "{convert:?}");
    assert_eq!(unlicence, vec![(ROOM.to_string(), Status::Updated)]);
    for (t, s) in licence.iter().chain(&convert) {
        assert_eq!(*s, Status::Updated, "{t}\n{}", account(&first));
    }
    // The facts of these steps hold; what is missing belongs to the steps not run here.
    assert!(
        first
            .comparison
            .missing
            .iter()
            .all(|m| !m.step.starts_with("10-shared-mailboxes")),
        "{}",
        account(&first)
    );

    o.session = true;
    let second = rehearse(&o);
    for r in records(&second) {
        assert_eq!(r.status, Status::Unchanged, "{r:?}\n{}", account(&second));
    }
    assert_eq!(second.slept_s, 0.0);
    assert_eq!(
        state::tenant_objects(&state::load(&second.state).unwrap()),
        state::tenant_objects(&tenant)
    );
}

/// The room's MailUser still carries its on-premises mailbox GUID (msExchMailboxGuid synced):
/// Exchange Online makes no mailbox when it is licensed. The preflight check fails (a gate; the
/// run goes on past it here), the conversion fails at once with the fix, and its licence is
/// kept rather than leaving a mailbox-less user: every one of its operations is `failed` (its
/// licence assignment itself succeeded), none claims a conversion, and the comparison lists it.
/// The shared mailbox converts as before.
#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn a_mailbox_guid_still_synced_is_failed_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let b = synced_bundle(dir.path());
    // The read-only preflight seeds the simulated tenant as the plan has it; then the room's
    // MailUser gets the GUID its on-premises mailbox has.
    let mut o = only_shared_steps(&b);
    o.steps = vec![STEPS[0].to_string()];
    let seeded = rehearse(&o);
    let mut tenant = state::load(&seeded.state).unwrap();
    for r in tenant["t"]["rcp"].as_object_mut().unwrap().values_mut() {
        if r["PrimarySmtpAddress"].as_str() == Some(ROOM) {
            r["ExchangeGuid"] = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9".into();
        }
    }
    state::write_fresh(&seeded.state, &tenant).unwrap();
    let mut o = only_shared_steps(&b);
    o.continue_past_gates = true;

    let out = rehearse(&o);
    assert!(!out.clean());
    let recs = last(&records(&out));
    let rec = |step: &str, op: &str| {
        recs.get(&(step.to_string(), op.to_string()))
            .unwrap_or_else(|| panic!("no record {step} {op}\n{}", account(&out)))
    };
    let guid = rec(STEPS[0], &format!("preflight:exchange-guid:{ROOM}"));
    assert_eq!(guid.status, Status::Failed);
    assert!(guid.error.as_deref().unwrap().contains("msExchMailboxGuid"));
    let convert = rec(STEPS[2], &format!("shared-mailboxes:convert:{ROOM}"));
    assert_eq!(convert.status, Status::Failed, "{convert:?}");
    let text = convert.error.as_deref().unwrap();
    assert!(
        text.contains("Still a MailUser carrying ExchangeGuid")
            && text.contains("AuthoritativeNull"),
        "{text}"
    );
    let unlicence = rec(STEPS[3], &format!("shared-mailboxes:unlicence:{ROOM}"));
    assert_eq!(unlicence.status, Status::Failed, "{unlicence:?}");
    assert!(unlicence
        .error
        .as_deref()
        .unwrap()
        .contains("has no Exchange Online mailbox"));
    assert_eq!(
        rec(STEPS[2], &format!("shared-mailboxes:convert:{SALES}")).status,
        Status::Updated
    );

    let tenant = state::load(&out.state).unwrap();
    assert_eq!(recipient(&tenant, ROOM)["RecipientTypeDetails"], "MailUser");
    assert_eq!(
        licences(&tenant, ROOM),
        1,
        "the licence stays until the mailbox is converted"
    );
    assert_eq!(
        recipient(&tenant, SALES)["RecipientTypeDetails"],
        "SharedMailbox"
    );
    let missing: Vec<&str> = out
        .comparison
        .missing
        .iter()
        .filter(|m| m.step.starts_with("10-shared-mailboxes"))
        .map(|m| m.what.as_str())
        .collect();
    assert!(
        missing.contains(&"RoomMailbox boardroom@contoso.com"),
        "{missing:?}"
    );
    assert!(
        missing
            .iter()
            .any(|m| m.starts_with("no licence") && m.ends_with(ROOM)),
        "{missing:?}"
    );
}

/// `--what-if` on the fresh tenant: the licence is `whatif`, so are the conversion and the
/// licence removal that depend on it (at once: nothing to wait for), and the tenant is untouched.
#[test]
#[cfg_attr(
    not(cutover_test_pwsh),
    ignore = "no pwsh: set CUTOVER_TEST_PWSH or put pwsh on PATH"
)]
fn what_if_changes_nothing_and_waits_for_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let b = synced_bundle(dir.path());
    let mut o = only_shared_steps(&b);
    o.what_if = true;
    o.delays = Delays::Long;
    // The read-only preflight seeds the simulated tenant; the what-if run must leave it so.
    let mut seed = only_shared_steps(&b);
    seed.steps = vec![STEPS[0].to_string()];
    seed.delays = Delays::Long;
    let before = state::tenant_objects(&state::load(&rehearse(&seed).state).unwrap());
    let out = rehearse(&o);
    for step in &STEPS[1..] {
        let st = statuses(&out, step);
        assert!(!st.is_empty(), "{step}\n{}", account(&out));
        for (t, s) in st {
            assert_eq!(s, Status::Whatif, "{step} {t}\n{}", account(&out));
        }
    }
    assert_eq!(out.slept_s, 0.0, "nothing to wait for under what-if");
    assert_eq!(
        state::tenant_objects(&state::load(&out.state).unwrap()),
        before
    );
}
