//! The members list of a large practice (R22): every member exactly once, in
//! user-id order, by status and by part of a name or email, across cursor
//! pages; against DynamoDB Local.

use crate::common::{s, Harness};
use futures::StreamExt;
use roster_domain::ids::PracticeId;
use roster_domain::model::*;
use roster_domain::ports::{CounterDelta, Record, Tx, Write};
use std::collections::HashSet;
use std::time::Instant;

/// Members written besides the director.
const N: usize = 5000;
/// Members per transaction: two writes each (user, membership), 24 writes
/// in all. DynamoDB Local's throughput is per item, so the seeding leaves
/// out the email claim and slot items, which no listing reads.
const PER_TX: usize = 12;

const FIRST: [&str; 13] =
    ["Ana", "Bruno", "Carla", "Diego", "Eva", "Filipe", "Gita", "Hugo", "Ines", "Joao", "Kiko", "Lara", "Mateus"];
const LAST: [&str; 11] =
    ["Silva", "Santos", "Ferreira", "Pereira", "Oliveira", "Costa", "Rodrigues", "Martins", "Sousa", "Gomes", "Lopes"];

/// What the seeding decided for member `i`.
struct Seed {
    user: User,
    kind: Kind,
    role_id: &'static str,
    status: MemberStatus,
}

fn seed(i: usize, now: Time) -> Seed {
    // Every 97th last name and every 211th email carry "zyx", in mixed case;
    // nothing else does.
    let last = if i.is_multiple_of(97) {
        format!("{}Zyxwell", LAST[i % LAST.len()])
    } else {
        LAST[(i / 3) % LAST.len()].into()
    };
    let email = if i % 211 == 5 {
        format!("Member{i}.ZYX@Clinic{}.Example", i % 13)
    } else {
        format!("Member{i}@Clinic{}.Example", i % 13)
    };
    let mut user = User::new(email.clone(), email.to_lowercase(), FIRST[i % FIRST.len()].into(), last, "x".into(), now);
    let status = if i % 7 == 3 { MemberStatus::Deactivated } else { MemberStatus::Active };
    user.locked = i % 500 == 1 && status == MemberStatus::Active;
    let (kind, role_id) =
        if i.is_multiple_of(5) { (Kind::Practitioner, "clinician") } else { (Kind::Staff, "front_desk") };
    Seed { user, kind, role_id, status }
}

/// Writes the seeded members straight through the store (no sign-up: Argon2
/// is slow), many transactions at once, then moves the practice's counters by the total in one write
/// (one counter update per transaction would serialise them all on the
/// practice item).
async fn write_members(h: &Harness, pid: PracticeId, seeds: &[Seed]) {
    let location = h.app.store.locations(pid).await.expect("locations")[0].id;
    let now = h.app.now();
    futures::stream::iter(seeds.chunks(PER_TX))
        .map(|chunk| async move {
            let mut tx = Tx::new();
            for sd in chunk {
                let u = &sd.user;
                let access = Access {
                    practitioner: (sd.kind == Kind::Practitioner).then(PractitionerProfile::default),
                    ..Access::new(sd.kind, sd.role_id, location)
                };
                let m = Membership {
                    status: sd.status,
                    deactivated_at: (sd.status == MemberStatus::Deactivated).then_some(now),
                    ..Membership::new(pid, u, access, now)
                };
                tx.push(Write::Create(Record::User(u.clone()))).push(Write::Create(Record::Membership(m)));
            }
            h.app.store.transact(tx).await.expect("seed members");
        })
        .buffer_unordered(16)
        .collect::<Vec<()>>()
        .await;
    let mut delta = CounterDelta::default();
    for sd in seeds.iter().filter(|sd| sd.status == MemberStatus::Active) {
        match sd.kind {
            Kind::Practitioner => delta.practitioner_seats += 1,
            Kind::Staff => delta.staff_seats += 1,
        }
    }
    let mut tx = Tx::new();
    tx.push(Write::AdjustCounters { practice_id: pid, delta });
    h.app.store.transact(tx).await.expect("seats");
}

/// Walks `GET /practices/{pid}/members?{query}&limit={limit}` from the first
/// page to the end through `next_cursor`; returns the user ids in the order
/// listed, checking each item's status against `status` when given.
async fn walk(h: &Harness, token: &str, pid: &str, query: &str, limit: usize, status: Option<&str>) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        pages += 1;
        assert!(pages <= N / limit + 10, "{query}: the list does not end");
        let mut path = format!("/practices/{pid}/members?limit={limit}");
        if !query.is_empty() {
            path.push('&');
            path.push_str(query);
        }
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let r = h.call("GET", &path, Some(token), None).await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        let items = r.body["items"].as_array().cloned().unwrap_or_default();
        assert!(items.len() <= limit, "{path}: {} items for limit {limit}", items.len());
        for m in &items {
            if let Some(st) = status {
                assert_eq!(s(&m["status"]), st, "{path}: {m}");
            }
            ids.push(s(&m["user_id"]));
        }
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => {
                assert!(r.body["next_cursor"].is_null(), "{path}: next_cursor {}", r.body["next_cursor"]);
                return ids;
            }
        }
    }
}

/// The expected listing: the ids of `members` that pass `keep`, in user-id
/// order (the sort key's order, which is the ids' text order).
fn expect(members: &[(String, &Seed)], keep: impl Fn(&Seed) -> bool) -> Vec<String> {
    let mut ids: Vec<String> = members.iter().filter(|(_, sd)| keep(sd)).map(|(id, _)| id.clone()).collect();
    ids.sort();
    ids
}

fn assert_listing(what: &str, got: &[String], want: &[String]) {
    let unique: HashSet<&String> = got.iter().collect();
    assert_eq!(unique.len(), got.len(), "{what}: a member listed twice");
    let missing: Vec<_> = want.iter().filter(|id| !unique.contains(id)).take(5).collect();
    let wanted: HashSet<&String> = want.iter().collect();
    let extra: Vec<_> = got.iter().filter(|id| !wanted.contains(id)).take(5).collect();
    assert!(missing.is_empty() && extra.is_empty(), "{what}: missing {missing:?}, not expected {extra:?}");
    assert_eq!(got.len(), want.len(), "{what}: count");
    assert!(got == want, "{what}: not in user-id order");
}

/// What a search for `needle` should match: part of "first last" or of the
/// email, case-insensitively (R22).
fn matches(u: &User, needle: &str) -> bool {
    let needle = needle.to_lowercase();
    format!("{} {}", u.first_name, u.last_name).to_lowercase().contains(&needle) || u.email_norm.contains(&needle)
}

fn has_zyx(u: &User) -> bool {
    matches(u, "zyx")
}

// R22: 5000 members listed by status and by part of a name or email, page by
// page through the cursor, each exactly once and in user-id order; R20: the
// seat counts agree with what is listed.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_large_practice_lists_every_member_once() {
    let h = Harness::new().await;
    let (director, d) = h.signup("director@clinic.example").await;
    let pid = h.practice(&d, "Big Clinic").await;
    let practice: PracticeId = pid.parse().expect("pid");

    let started = Instant::now();
    let now = h.app.now();
    let seeds: Vec<Seed> = (0..N).map(|i| seed(i, now)).collect();
    write_members(&h, practice, &seeds).await;
    eprintln!("seeded {N} members in {:?}", started.elapsed());

    // The director is an active staff member named Ana Silva, no "zyx".
    let director_seed = Seed {
        user: h.app.store.user(director.parse().expect("uid")).await.expect("read").expect("director"),
        kind: Kind::Staff,
        role_id: "director",
        status: MemberStatus::Active,
    };
    let mut members: Vec<(String, &Seed)> = seeds.iter().map(|sd| (sd.user.id.to_string(), sd)).collect();
    members.push((director, &director_seed));
    let active = |sd: &Seed| sd.status == MemberStatus::Active;
    let zyx = expect(&members, |sd| has_zyx(&sd.user));
    // The seeding gives "zyx" to a known, small subset, some of it
    // deactivated and some matched only by email.
    assert!((70..90).contains(&zyx.len()), "{}", zyx.len());
    assert!(members.iter().any(|(_, sd)| has_zyx(&sd.user) && !active(sd)));
    assert!(members.iter().any(|(_, sd)| !sd.user.last_name.contains("Zyx") && has_zyx(&sd.user)));

    // R20: seats as written.
    let count = |kind: Kind| members.iter().filter(|(_, sd)| active(sd) && sd.kind == kind).count() as i64;
    let p = h.call("GET", &format!("/practices/{pid}"), Some(&d), None).await;
    assert_eq!(p.body["seats"]["staff"].as_i64(), Some(count(Kind::Staff)));
    assert_eq!(p.body["seats"]["practitioner"].as_i64(), Some(count(Kind::Practitioner)));

    let started = Instant::now();
    // Default status is active.
    let want = expect(&members, active);
    assert!(want.len() > 4000);
    assert_listing("default (active)", &walk(&h, &d, &pid, "", 100, Some("active")).await, &want);
    // `status=active` is the same list (its first page, cursor included;
    // walking it all again would only double the run time).
    let (default_path, active_path) =
        (format!("/practices/{pid}/members?limit=100"), format!("/practices/{pid}/members?limit=100&status=active"));
    let (default_page, active_page) =
        tokio::join!(h.call("GET", &default_path, Some(&d), None), h.call("GET", &active_path, Some(&d), None));
    assert_eq!(default_page.body, active_page.body);
    assert_eq!(default_page.body["items"].as_array().map(Vec::len), Some(100));

    let all = expect(&members, |_| true);
    assert_eq!(all.len(), N + 1);
    assert_listing("status=all", &walk(&h, &d, &pid, "status=all", 100, None).await, &all);

    let deactivated = expect(&members, |sd| !active(sd));
    assert_eq!(deactivated.len(), (0..N).filter(|i| i % 7 == 3).count());
    assert_listing(
        "status=deactivated",
        &walk(&h, &d, &pid, "status=deactivated", 100, Some("deactivated")).await,
        &deactivated,
    );

    let locked = expect(&members, |sd| sd.user.locked);
    assert_eq!(locked.len(), (0..N).filter(|i| i % 500 == 1 && i % 7 != 3).count());
    assert_listing("status=locked", &walk(&h, &d, &pid, "status=locked", 100, None).await, &locked);

    // Search is case-insensitive and matches part of a name or an email.
    let zyx_active = expect(&members, |sd| active(sd) && has_zyx(&sd.user));
    assert!(zyx_active.len() < zyx.len());
    assert_listing("q=zyx", &walk(&h, &d, &pid, "q=zyx", 100, Some("active")).await, &zyx_active);
    assert_listing("q=ZyX", &walk(&h, &d, &pid, "q=ZyX", 100, Some("active")).await, &zyx_active);
    assert_listing("q=zyx&status=all", &walk(&h, &d, &pid, "q=zyx&status=all", 100, None).await, &zyx);
    // An odd page size over search results.
    assert_listing("q=zYx&status=all, limit 37", &walk(&h, &d, &pid, "q=zYx&status=all", 37, None).await, &zyx);
    assert_listing("q=zyx, limit 7", &walk(&h, &d, &pid, "q=zyx", 7, Some("active")).await, &zyx_active);
    let zyx_deactivated = expect(&members, |sd| !active(sd) && has_zyx(&sd.user));
    assert_listing(
        "q=zyx&status=deactivated, limit 3",
        &walk(&h, &d, &pid, "q=zyx&status=deactivated", 3, Some("deactivated")).await,
        &zyx_deactivated,
    );
    // Part of an email, in another case.
    let clinic7 = expect(&members, |sd| active(sd) && matches(&sd.user, "Clinic7.EXAMPLE"));
    assert_eq!(clinic7, expect(&members, |sd| active(sd) && sd.user.email_norm.ends_with("@clinic7.example")));
    assert!(clinic7.len() > 300);
    assert_listing("q=Clinic7.EXAMPLE", &walk(&h, &d, &pid, "q=Clinic7.EXAMPLE", 100, Some("active")).await, &clinic7);
    // Part of a name that spans first and last name (the director among
    // them).
    let ana_silva = expect(&members, |sd| active(sd) && matches(&sd.user, "ana silva"));
    assert!(ana_silva.len() > 1 && ana_silva.len() < 100, "{}", ana_silva.len());
    assert_listing("q=ana silva", &walk(&h, &d, &pid, "q=ana%20silva", 100, Some("active")).await, &ana_silva);
    // Nothing matches: one empty page.
    assert!(walk(&h, &d, &pid, "q=qqqqq&status=all", 100, None).await.is_empty());
    eprintln!("walked the lists in {:?}", started.elapsed());
}
