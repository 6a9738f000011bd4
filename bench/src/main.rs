//! `make bench` (scripts/bench.sh builds everything and starts DynamoDB
//! Local, then runs this): one table of Roster's figures, each next to what
//! it is measured against, all measured in this one run. See the README's
//! "Bench" section for what each row means.

mod arm64;
mod bulk;
mod env;
mod load;
mod memory;
mod record;
mod report;
mod scenario;
mod startup;
mod sweep;

use env::{Env, Error};
use std::path::PathBuf;

/// The knobs, from the environment (scripts/bench.sh sets them).
pub struct Settings {
    pub dynamodb: String,
    pub bin_dir: PathBuf,
    pub out: PathBuf,
    pub command: String,
    pub commit: String,
    pub quick: bool,
    pub runs: usize,
    pub pause: std::time::Duration,
    pub callers: usize,
    pub per_caller: usize,
    pub members: usize,
    pub items: usize,
    /// Only these functions' sizes and starts (`BENCH_FUNCTIONS=auth,sweep`), while iterating.
    pub functions: Option<Vec<String>>,
    /// Sections left out (`BENCH_SKIP=sizes,starts,calls,load,bulk,sweep,memory,arm64`), while iterating.
    pub skip: Vec<String>,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn number(name: &str, default: usize) -> Result<usize, Error> {
    var(name).map_or(Ok(default), |v| v.trim().parse().map_err(|_| format!("{name} is not a number: {v}").into()))
}

impl Settings {
    fn from_env() -> Result<Self, Error> {
        let quick = var("BENCH_QUICK").is_some_and(|v| v != "0");
        let pick = |full: usize, smoke: usize| if quick { smoke } else { full };
        Ok(Self {
            dynamodb: var("BENCH_DYNAMODB")
                .ok_or("BENCH_DYNAMODB (DynamoDB Local's URL) is not set; run `make bench`")?,
            bin_dir: PathBuf::from(var("BENCH_BIN_DIR").unwrap_or_else(|| "target/release".into())),
            out: PathBuf::from(var("BENCH_OUT").unwrap_or_else(|| "bench/results.md".into())),
            command: var("BENCH_COMMAND").unwrap_or_else(|| "make bench".into()),
            commit: var("BENCH_COMMIT").unwrap_or_else(|| "unknown".into()),
            quick,
            runs: number("BENCH_RUNS", pick(21, 5))?,
            pause: std::time::Duration::from_millis(number("BENCH_PAUSE_MS", 100)? as u64),
            callers: number("BENCH_CALLERS", 16)?,
            per_caller: number("BENCH_PER_CALLER", pick(50, 2))?,
            members: number("BENCH_MEMBERS", pick(1000, 100))?,
            items: number("BENCH_ITEMS", pick(100_000, 10_000))?,
            functions: var("BENCH_FUNCTIONS").map(|v| v.split(',').map(|s| s.trim().to_string()).collect()),
            skip: var("BENCH_SKIP").map(|v| v.split(',').map(|s| s.trim().to_string()).collect()).unwrap_or_default(),
        })
    }

    /// The DynamoDB Local a run of `OWN_DYNAMODB` has to itself
    /// (`BENCH_DYNAMODB_SWEEP` for "sweep"), else the shared one. DynamoDB
    /// Local slows with every write its process has served, tables dropped
    /// or not, through the tables' change stream (bench/history.md, "The
    /// stream"): a 500-row bulk took 5.5 s first in a process, 9.6-11.6 s
    /// after the other bulk and 28.6 s after the calls section too; the
    /// load's members, seeded after the sweep's 100,000 items, went in at
    /// about 3 a second.
    fn dynamodb_of(&self, run: &str) -> String {
        var(&format!("BENCH_DYNAMODB_{}", run.to_uppercase().replace('-', "_")))
            .unwrap_or_else(|| self.dynamodb.clone())
    }
}

/// The runs that each get a DynamoDB Local of their own, with the section
/// (`BENCH_SKIP`) each belongs to. scripts/bench.sh reads this list
/// (`roster-bench --own-dynamodb`) and starts one per run not skipped, so
/// the names are written here only.
const BULK_JSON: &str = "bulk-json";
const BULK_CSV: &str = "bulk-csv";
const SWEEP: &str = "sweep";
const LOAD: &str = "load";
const OWN_DYNAMODB: [(&str, &str); 4] = [(BULK_JSON, "bulk"), (BULK_CSV, "bulk"), (SWEEP, "sweep"), (LOAD, "load")];

fn say(what: &str) {
    eprintln!("[bench] {what}");
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    if std::env::args().nth(1).as_deref() == Some("--own-dynamodb") {
        OWN_DYNAMODB.iter().for_each(|(run, section)| println!("{run} {section}"));
        return Ok(());
    }
    let settings = Settings::from_env()?;
    let mut table = report::Table::default();

    let on = |section: &str| !settings.skip.iter().any(|s| s == section);

    if on("sizes") {
        say("binary sizes");
        table.sizes(&settings)?;
    }
    if on("starts") {
        say(&format!("start to first response, {} runs each", settings.runs));
        let env = Env::new(&settings.dynamodb).await?;
        let starts = report::startup(&settings, &env)?;
        table.starts(&starts);
        env.drop_table().await?;
    }
    if on("calls") {
        say("DynamoDB calls per route (scenario)");
        let env = Env::new(&settings.dynamodb).await?;
        let seen = scenario::run(&env).await?;
        table.calls(&seen);
        env.drop_table().await?;
    }
    if on("bulk") {
        say("a 500-row bulk invitation (R52), JSON and CSV");
        let mut figures = Vec::new();
        for (csv, run) in [(false, BULK_JSON), (true, BULK_CSV)] {
            let env = Env::new(&settings.dynamodb_of(run)).await?;
            figures.push(bulk::measure(&env, roster_domain::service::invitations::bulk::MAX_ROWS, csv).await?);
            env.drop_table().await?;
        }
        table.bulk(&figures);
    }
    if on("sweep") {
        // Two sizes, a tenth and the whole: the sweep's cost should follow
        // the items due, not the table (issue 15 item 5).
        let mut swept = Vec::new();
        for items in [settings.items / 10, settings.items] {
            say(&format!("sweep against a Scan, {items} items"));
            let env = Env::new(&settings.dynamodb_of(SWEEP)).await?;
            swept.push(sweep::run(&env, items).await?);
            env.drop_table().await?;
        }
        table.sweep(&swept);
    }

    if on("arm64") {
        let env = Env::new(&settings.dynamodb).await?;
        let offline = report::without_dynamodb(&report::lambda_vars(&settings, &env))?;
        if let Some(figures) = arm64::run(&settings, &offline)? {
            say("arm64 sizes and emulated start-up");
            table.arm64(&figures);
        }
        env.drop_table().await?;
    }
    if on("memory") {
        say("sign-in at Lambda memory sizes (CPU share by cgroup)");
        let env = Env::new(&settings.dynamodb).await?;
        memory::seed(&env).await?;
        let outcome = memory::run(&settings, &report::lambda_vars(&settings, &env))?;
        table.memory(&outcome);
        env.drop_table().await?;
    }

    // Last, and on a DynamoDB Local of its own (`dynamodb_of`): after its
    // thousands of writes, the bulk section's 500 rows took minutes rather
    // than seconds.
    if on("load") {
        say(&format!(
            "p50/p99, {} callers x {} requests, {} members",
            settings.callers, settings.per_caller, settings.members
        ));
        let env = Env::new(&settings.dynamodb_of(LOAD)).await?;
        let figures = load::run(&env, settings.members, settings.callers, settings.per_caller).await?;
        table.load(&figures, settings.callers);
        env.drop_table().await?;
    }

    let text = table.render(&settings);
    println!("{text}");
    std::fs::write(&settings.out, text)?;
    say(&format!("written to {}", settings.out.display()));
    Ok(())
}
