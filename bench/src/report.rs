//! The one table: a row per figure, Roster's value next to its yardstick
//! (hello-world, the same calls made directly, a Scan) and their ratio;
//! and the start-up runs, which need the binaries and the table.

use crate::env::{Env, Error};
use crate::scenario::Seen;
use crate::startup::{http_event, median, once, Invocation};
use crate::Settings;
use roster_api::{Function, ROUTES};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

#[derive(Default)]
pub struct Table {
    /// figure, Roster, yardstick, ratio, goal
    rows: Vec<[String; 5]>,
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// How many times fewer `ours` is than `theirs`.
fn fewer(theirs: f64, ours: f64) -> String {
    if ours > 0.0 {
        format!("{:.1}x fewer", theirs / ours)
    } else {
        "-".into()
    }
}

fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 {
        format!("{:.2}x", a / b)
    } else {
        "-".into()
    }
}

/// The functions measured: every one, or those `BENCH_FUNCTIONS` names.
fn functions(settings: &Settings) -> impl Iterator<Item = Function> + '_ {
    Function::ALL
        .into_iter()
        .filter(|f| settings.functions.as_ref().is_none_or(|only| only.iter().any(|o| o == f.name())))
}

/// Binaries measured: the functions, then the yardstick.
fn binaries(settings: &Settings) -> Vec<&'static str> {
    functions(settings).map(|f| f.name()).chain(["hello"]).collect()
}

/// Two columns of start-up: a first request that touches no DynamoDB, with
/// DynamoDB's endpoint a closed port (the binary's own start, issue 15 item
/// 2), and one whose first step reads DynamoDB Local (init's warm-up
/// included); and a third, that second request alone, from the event handed
/// over to the answer (issue 15 item 4: a function that opens its
/// connection during init does not pay for it here).
pub struct Starts {
    /// binary -> (column -> (median, outcome))
    pub by_binary: BTreeMap<&'static str, [(Duration, String); 3]>,
}

/// The two events each binary gets; `None` for hello's second (it has no
/// DynamoDB), which then gets the first again.
pub fn events(binary: &str) -> [serde_json::Value; 2] {
    let token = roster_domain::secrets::new_session_token(roster_domain::ids::UserId::new());
    let fill = |path: &str| {
        path.split('/')
            .map(|seg| if seg.starts_with('{') { uuid::Uuid::now_v7().to_string() } else { seg.to_string() })
            .collect::<Vec<_>>()
            .join("/")
    };
    let unknown = http_event("GET", "/bench/no-such-route", None);
    let scheduled = |time: Option<&str>| {
        let mut e = serde_json::json!({"version": "0", "id": "bench", "detail-type": "Scheduled Event",
            "source": "aws.events", "account": "123456789012", "region": "us-east-1",
            "resources": ["arn:aws:events:us-east-1:123456789012:rule/roster-sweep"], "detail": {}});
        if let Some(t) = time {
            e["time"] = t.into();
        }
        e
    };
    let ses = |source: &str| {
        serde_json::json!({"version": "0", "id": "bench", "detail-type": "Email Bounced", "source": source,
            "account": "123456789012", "time": "2026-11-30T00:41:02Z", "region": "us-east-1", "resources": [],
            "detail": {"eventType": "Bounce", "bounce": {"bounceType": "Permanent", "bounceSubType": "General",
                "bouncedRecipients": [{"emailAddress": "nobody@mail.bench"}], "timestamp": "2026-11-30T00:41:02.669Z",
                "feedbackId": "bench"}, "mail": {"timestamp": "2026-11-30T00:40:02.012Z", "messageId": "bench",
                "destination": ["nobody@mail.bench"]}}})
    };
    match binary {
        // No time: refused before any read. With one: the sweep's reads.
        "sweep" => [scheduled(None), scheduled(Some(&chrono::Utc::now().to_rfc3339()))],
        // Not from SES: dropped unread. A bounce: the address is looked up.
        "mail-events" => [ses("bench.other"), ses("aws.ses")],
        // An empty batch: nothing read. A new outbox event: published, and
        // its outcome written.
        "delivery" => [serde_json::json!({"Records": []}), outbox_insert()],
        "hello" => [unknown.clone(), unknown],
        http => {
            // The function's first route that needs a session: its first
            // step is the session read, which an unknown token fails (401).
            let route = ROUTES.iter().find(|r| r.function.name() == http && r.auth);
            let reads = route.map_or_else(|| unknown.clone(), |r| http_event(r.method, &fill(r.path), Some(&token)));
            [unknown, reads]
        }
    }
}

/// A stream batch of one new outbox item (an event, published as a file),
/// as the event source mapping sends it.
fn outbox_insert() -> serde_json::Value {
    let id = uuid::Uuid::now_v7().to_string();
    let now = chrono::Utc::now();
    let s = |v: String| serde_json::json!({ "S": v });
    serde_json::json!({"Records": [{
        "eventID": "1", "eventName": "INSERT", "eventVersion": "1.1", "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "Keys": {"PK": s(format!("OUTBOX#{id}")), "SK": s("OUTBOX".into())},
            "NewImage": {
                "PK": s(format!("OUTBOX#{id}")), "SK": s("OUTBOX".into()), "type": s("outbox".into()),
                "id": s(id.clone()), "created_at": s(now.to_rfc3339()), "attempts": {"N": "0"},
                "next_attempt_at": s((now + chrono::Duration::hours(1)).to_rfc3339()),
                "dead_at": {"NULL": true}, "delivered_at": {"NULL": true},
                "payload": {"M": {"kind": s("event".into()), "body": {"M": {
                    "id": s(id), "detail_type": s("BenchStarted".into()), "at": s(now.to_rfc3339()), "detail": {"M": {}}
                }}}}
            },
            "SequenceNumber": "1", "SizeBytes": 1, "StreamViewType": "NEW_IMAGE"
        }
    }]})
}

/// The environment a function binary runs with in the bench: Lambda's own
/// variables, and `make dev`'s wiring against the bench's table.
pub fn lambda_vars(settings: &Settings, env: &Env) -> Vec<(String, String)> {
    [
        ("AWS_LAMBDA_FUNCTION_NAME", "bench"),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256"),
        ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
        ("AWS_LAMBDA_LOG_LEVEL", "INFO"),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "bench"),
        ("AWS_LAMBDA_LOG_GROUP_NAME", "bench"),
        ("AWS_ACCESS_KEY_ID", "bench"),
        ("AWS_SECRET_ACCESS_KEY", "bench"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_CONFIG_FILE", "/dev/null"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
        ("AWS_ENDPOINT_URL_DYNAMODB", settings.dynamodb.as_str()),
        ("TABLE_NAME", env.table.as_str()),
        ("MAIL_TRANSPORT", "dir"),
        ("EVENTS_TRANSPORT", "dir"),
        ("APP_BASE_URL", "https://app.roster.bench"),
        ("LICENSE_TERMS_VERSION", "bench-terms"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .chain([
        ("MAIL_DIR".to_string(), env.dir.join("start-mail").display().to_string()),
        ("EVENTS_DIR".to_string(), env.dir.join("start-events").display().to_string()),
    ])
    .collect()
}

/// `vars` with DynamoDB's endpoint at a loopback port nothing listens on:
/// init's warm-up is refused at once, so a start measured with these is
/// what the binary itself costs, beside hello, which has no warm-up.
pub fn without_dynamodb(vars: &[(String, String)]) -> Result<Vec<(String, String)>, Error> {
    // Bound, then let go: free, so closed, and the kernel hands out
    // ephemeral ports in turn, so not soon reused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let closed = format!("http://127.0.0.1:{port}");
    Ok(vars
        .iter()
        .map(|(k, v)| (k.clone(), if k == "AWS_ENDPOINT_URL_DYNAMODB" { closed.clone() } else { v.clone() }))
        .collect())
}

pub fn startup(settings: &Settings, env: &Env) -> Result<Starts, Error> {
    let vars = lambda_vars(settings, env);
    // The first column's runs: a start that must not depend on DynamoDB.
    let offline = without_dynamodb(&vars)?;
    let plan: Vec<(&'static str, [serde_json::Value; 2])> =
        binaries(settings).into_iter().map(|b| (b, events(b))).collect();
    let mut times: BTreeMap<(&str, usize), Vec<Duration>> = BTreeMap::new();
    let mut outcomes: BTreeMap<(&str, usize), String> = BTreeMap::new();
    // Round robin: run i of every binary and column before run i + 1 of
    // any, so whatever else the machine does falls on all of them alike.
    for _ in 0..settings.runs {
        for (binary, evs) in &plan {
            for (column, event) in evs.iter().enumerate() {
                let run = once(
                    &settings.bin_dir.join(binary),
                    &Invocation { event, env: if column == 0 { &offline } else { &vars }, launcher: None },
                    Duration::from_secs(20),
                )?;
                times.entry((binary, column)).or_default().push(run.elapsed);
                if column == 1 {
                    times.entry((binary, 2)).or_default().push(run.request);
                    outcomes.insert((binary, 2), run.outcome.clone());
                }
                outcomes.insert((binary, column), run.outcome);
                std::thread::sleep(settings.pause);
            }
        }
    }
    let mut by_binary = BTreeMap::new();
    for (binary, _) in &plan {
        let mut col = |c: usize| {
            let mut xs = times.remove(&(*binary, c)).unwrap_or_default();
            (median(&mut xs), outcomes.remove(&(*binary, c)).unwrap_or_default())
        };
        by_binary.insert(*binary, [col(0), col(1), col(2)]);
    }
    Ok(Starts { by_binary })
}

impl Table {
    fn row(&mut self, cells: [&str; 5]) {
        self.rows.push(cells.map(str::to_string));
    }

    pub fn sizes(&mut self, settings: &Settings) -> Result<(), Error> {
        let size = |b: &str| -> Result<f64, Error> {
            let path = settings.bin_dir.join(b);
            let bytes = std::fs::metadata(&path).map_err(|e| format!("{}: {e}", path.display()))?.len();
            Ok(bytes as f64 / 1_000_000.0)
        };
        let hello = size("hello")?;
        for f in functions(settings) {
            let mb = size(f.name())?;
            let figure = format!("stripped size, {}", f.name());
            self.row([&figure, &format!("{mb:.1} MB"), &format!("{hello:.1} MB"), &ratio(mb, hello), "<= 8 MB"]);
        }
        Ok(())
    }

    pub fn starts(&mut self, starts: &Starts) {
        let Some(hello) = starts.by_binary.get("hello").cloned() else { return };
        let columns = [
            "start to first response, no DynamoDB (its endpoint a closed port: init's warm-up refused at once)",
            "start to first response, first read of DynamoDB",
            "first read of DynamoDB, the request alone (event to response)",
        ];
        for (c, what) in columns.iter().enumerate() {
            // Hello's own runs of the same column: it answers both alike.
            let hello = hello[c].0;
            for f in Function::ALL {
                let Some(cols) = starts.by_binary.get(f.name()) else { continue };
                let (t, outcome) = &cols[c];
                let figure = format!("{what}: {} ({outcome})", f.name());
                let goal = if c == 0 { "<= 1.5x" } else { "-" };
                self.row([&figure, &ms(*t), &ms(hello), &ratio(t.as_secs_f64(), hello.as_secs_f64()), goal]);
            }
        }
    }

    pub fn calls(&mut self, seen: &BTreeMap<String, Seen>) {
        for route in ROUTES {
            let key = format!("{} {}", route.method, route.path);
            let Some(s) = seen.get(&key) else { continue };
            // The session read is every signed-in request's first call.
            let skip = usize::from(route.auth && s.calls.first().is_some_and(|c| c.operation == "BatchGetItem"));
            let rest = &s.calls[skip.min(s.calls.len())..];
            let tx =
                rest.iter().filter(|c| c.operation.starts_with("Transact") && c.operation.contains("Write")).count();
            let reads = rest.len() - tx;
            let figure = format!("DynamoDB calls beyond the session read: {key} ({})", s.status);
            let goal = if route.method == "GET" { "<= 1" } else { "1 read + 1 transaction" };
            self.row([&figure, &format!("{} ({reads} reads, {tx} transactions)", rest.len()), "-", "-", goal]);
        }
    }

    pub fn load(&mut self, figures: &[crate::load::Figures], callers: usize) {
        for f in figures {
            for (q, r, d) in [("p50", f.roster.0, f.direct.0), ("p99", f.roster.1, f.direct.1)] {
                let figure = format!(
                    "{q}, {callers} callers: {} ({}; {:.1} calls each{})",
                    f.name,
                    f.statuses,
                    f.calls_per_request,
                    if f.refused > 0 { format!("; {} replayed calls refused", f.refused) } else { String::new() }
                );
                let goal = if q == "p99" { "<= 1.5x" } else { "-" };
                self.row([&figure, &ms(r), &ms(d), &ratio(r.as_secs_f64(), d.as_secs_f64()), goal]);
            }
        }
    }

    /// R52: 500 rows in one request, against the invite function's timeout.
    pub fn bulk(&mut self, figures: &[crate::bulk::Figures]) {
        for f in figures {
            let figure = format!(
                "bulk invitation, {} rows ({}): {} created, {} DynamoDB calls, answer {} KB",
                f.rows,
                f.name,
                f.created,
                f.calls,
                f.answer_bytes / 1024
            );
            self.row([&figure, &ms(f.time), "-", "-", "< invite Timeout (29 s), API Gateway 30 s"]);
        }
    }

    /// The sweep at each table size, then how its cost scales between them.
    pub fn sweep(&mut self, sizes: &[crate::sweep::Figures]) {
        let shards = usize::from(roster_adapters::dynamo::shard::SHARDS);
        for s in sizes {
            self.sweep_at(s, shards);
        }
        if let [small, large] = sizes {
            let per_due = |s: &crate::sweep::Figures| s.sweep_rcu / s.due.max(1) as f64;
            let figure = format!(
                "sweep read units per due item, {} items vs {} (Scan: {:.1} vs {:.1} RCU, {:.1}x for {:.1}x the table)",
                large.items,
                small.items,
                large.scan_rcu,
                small.scan_rcu,
                large.scan_rcu / small.scan_rcu.max(f64::MIN_POSITIVE),
                large.items as f64 / small.items.max(1) as f64
            );
            self.row([
                &figure,
                &format!("{:.3} RCU", per_due(large)),
                &format!("{:.3} RCU", per_due(small)),
                &ratio(per_due(large), per_due(small)),
                "about 1x (R34)",
            ]);
        }
    }

    fn sweep_at(&mut self, s: &crate::sweep::Figures, shards: usize) {
        let lists = crate::sweep::LISTS;
        let figure = format!(
            "sweep read units with nothing due, {} items ({} queries: {lists} lists x {shards} shards, {:.2} RCU and {:.2} queries per shard of a list; DynamoDB Local bills an empty Query nothing, DynamoDB at least 0.5 RCU: {:.0} RCU a run)",
            s.items,
            s.idle_queries,
            s.idle_rcu / (lists * shards) as f64,
            s.idle_queries as f64 / (lists * shards) as f64,
            s.idle_rcu.max(0.5 * s.idle_queries as f64)
        );
        self.row([
            &figure,
            &format!("{:.1} RCU", s.idle_rcu),
            &format!("{:.1} RCU", s.scan_rcu),
            &fewer(s.scan_rcu, s.idle_rcu),
            "-",
        ]);
        let what = format!("{} items, {} due", s.items, s.due);
        let figure = format!(
            "sweep read units vs a Scan's, {what} ({} expired in {} runs: {}; {:.0} write units; the Scan found {})",
            s.expired, s.runs, s.sweep_calls, s.sweep_wcu, s.scan_found
        );
        self.row([
            &figure,
            &format!("{:.1} RCU", s.sweep_rcu),
            &format!("{:.1} RCU", s.scan_rcu),
            &fewer(s.scan_rcu, s.sweep_rcu),
            ">= 50x fewer",
        ]);
        let figure = format!("sweep time vs the Scan's, {what}");
        self.row([
            &figure,
            &ms(s.sweep_time),
            &ms(s.scan_time),
            &ratio(s.sweep_time.as_secs_f64(), s.scan_time.as_secs_f64()),
            "-",
        ]);
    }

    pub fn arm64(&mut self, figures: &crate::arm64::Figures) {
        let hello = figures.sizes.iter().find(|(b, _)| *b == "hello").map_or(0.0, |s| s.1);
        for (b, mb) in figures.sizes.iter().filter(|(b, _)| *b != "hello") {
            let figure = format!("arm64 stripped size, {b}");
            self.row([&figure, &format!("{mb:.1} MB"), &format!("{hello:.1} MB"), &ratio(*mb, hello), "<= 8 MB"]);
        }
        match &figures.starts {
            Err(why) => self.row([&format!("arm64 start to first response: not measured ({why})"), "-", "-", "-", "-"]),
            Ok(starts) => {
                let hello = starts.iter().find(|(b, ..)| *b == "hello").map_or(Duration::ZERO, |s| s.1);
                for (b, t, outcome) in starts.iter().filter(|(b, ..)| *b != "hello") {
                    let figure = format!(
                        "arm64 start to first response under qemu-aarch64, no DynamoDB (closed port): {b} ({outcome})"
                    );
                    self.row([&figure, &ms(*t), &ms(hello), &ratio(t.as_secs_f64(), hello.as_secs_f64()), "<= 1.5x"]);
                }
            }
        }
    }

    pub fn memory(&mut self, outcome: &crate::memory::Outcome) {
        let figures = match outcome {
            crate::memory::Outcome::Skipped(why) => {
                self.row([&format!("sign-in at Lambda memory sizes: not measured ({why})"), "-", "-", "-", "-"]);
                return;
            }
            crate::memory::Outcome::Measured(figures) => figures,
        };
        let Some(full) = figures.first() else { return };
        // Billed memory times duration: what one sign-in costs at that size.
        let gb_ms = |f: &crate::memory::Figures| f64::from(f.memory_mb) / 1024.0 * f.warm.as_secs_f64() * 1000.0;
        for f in figures {
            let figure = format!(
                "sign-in (POST /auth/login, Argon2id) at {} MB, warm median ({}; {:.0} GB-ms each) vs at {} MB ({:.0} GB-ms)",
                f.memory_mb,
                f.statuses,
                gb_ms(f),
                full.memory_mb,
                gb_ms(full)
            );
            self.row([
                &figure,
                &ms(f.warm),
                &ms(full.warm),
                &ratio(f.warm.as_secs_f64(), full.warm.as_secs_f64()),
                "-",
            ]);
        }
        for f in figures {
            let figure = format!("start plus first sign-in at {} MB vs at {} MB", f.memory_mb, full.memory_mb);
            self.row([
                &figure,
                &ms(f.cold),
                &ms(full.cold),
                &ratio(f.cold.as_secs_f64(), full.cold.as_secs_f64()),
                "-",
            ]);
        }
    }

    pub fn render(&self, settings: &Settings) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# Roster bench results\n");
        let _ = writeln!(out, "- date: {}", chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"));
        let _ = writeln!(out, "- commit: {}", settings.commit);
        let _ = writeln!(
            out,
            "- command: `{}`{}",
            settings.command,
            if settings.quick { " (BENCH_QUICK: a smoke run, not figures)" } else { "" }
        );
        let _ = writeln!(out, "- machine: {}", machine());
        if let Ok(ddb) = std::env::var("BENCH_DYNAMODB_LOCAL") {
            let _ = writeln!(out, "- DynamoDB Local: {ddb}");
        }
        let _ = writeln!(
            out,
            "- settings: {} start-up runs per cell (median, {} ms apart), {} callers x {} requests, {} members, {} sweep items\n",
            settings.runs,
            settings.pause.as_millis(),
            settings.callers,
            settings.per_caller,
            settings.members,
            settings.items
        );
        let _ = writeln!(out, "| figure | Roster | against | ratio | goal (issue 15) |");
        let _ = writeln!(out, "| --- | --- | --- | --- | --- |");
        for [a, b, c, d, e] in &self.rows {
            let _ = writeln!(out, "| {a} | {b} | {c} | {d} | {e} |");
        }
        out
    }
}

/// nproc, CPU model, memory: what the figures are worth on.
fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map_or("unknown CPU".to_string(), |m| m.trim().to_string());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_kb: u64 = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or_default();
    format!("nproc {cpus}, {model}, {:.1} GiB memory, {}", mem_kb as f64 / 1_048_576.0, std::env::consts::ARCH)
}
