//! Sign-in at Lambda memory sizes (issue 15 item 6). Lambda gives a
//! function CPU in proportion to its memory: one vCPU at 1,769 MB, so 256 MB
//! gets about a seventh of a core, and Argon2id (R24's password hash, kept
//! at its cost) is CPU-bound. The real `auth` binary runs against the
//! loopback Runtime API inside a CPU cgroup whose quota is that share, and
//! answers a cold sign-in then warm ones; each size is set against the same
//! binary at a full vCPU. The quota is enforced per 100 ms CFS period, so a
//! hash longer than a period's share waits for the next one, as it would
//! under any CPU quota. Where no CPU cgroup can be made (not root, no
//! cgroup v1 or v2 CPU controller) the section says so and measures nothing.

use crate::env::{Env, Error};
use crate::startup::{http_event, median, Run};
use crate::Settings;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// Memory sizes measured; 1,769 MB (one full vCPU) is what each is set
/// against, so it comes first.
pub const SIZES_MB: [u32; 5] = [1769, 128, 256, 512, 1024];
const FULL_VCPU_MB: u32 = 1769;
const CFS_PERIOD_US: u64 = 100_000;
const EMAIL: &str = "signin@clinic.bench";
const PASSWORD: &str = "correct horse battery staple";

/// Sign-in figures at one memory size.
pub struct Figures {
    pub memory_mb: u32,
    /// Median over the rounds of spawn to the first sign-in's answer (init
    /// plus one sign-in).
    pub cold: Duration,
    /// Median of the warm sign-ins' times from event handed to answer, over
    /// every round.
    pub warm: Duration,
    pub statuses: String,
}

/// Why nothing was measured, or the figures.
pub enum Outcome {
    Skipped(String),
    Measured(Vec<Figures>),
}

/// A CPU cgroup of its own, removed when dropped.
struct CpuGroup {
    dir: PathBuf,
    procs: PathBuf,
}

impl CpuGroup {
    /// A group limited to `share` of one CPU: cgroup v1's CFS quota, else
    /// v2's `cpu.max`.
    fn new(share: f64) -> Result<Self, String> {
        let name = format!("roster-bench-{}", std::process::id());
        let quota = ((CFS_PERIOD_US as f64) * share).round().max(1000.0) as u64;
        let v1 = Path::new("/sys/fs/cgroup/cpu");
        if v1.join("cpu.cfs_quota_us").exists() {
            let dir = v1.join(&name);
            std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            let group = Self { procs: dir.join("cgroup.procs"), dir };
            std::fs::write(group.dir.join("cpu.cfs_period_us"), CFS_PERIOD_US.to_string())
                .and_then(|()| std::fs::write(group.dir.join("cpu.cfs_quota_us"), quota.to_string()))
                .map_err(|e| format!("cgroup v1 quota: {e}"))?;
            return Ok(group);
        }
        let v2 = Path::new("/sys/fs/cgroup");
        if v2.join("cgroup.controllers").exists() {
            let dir = v2.join(&name);
            std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            let group = Self { procs: dir.join("cgroup.procs"), dir };
            std::fs::write(group.dir.join("cpu.max"), format!("{quota} {CFS_PERIOD_US}"))
                .map_err(|e| format!("cgroup v2 cpu.max: {e}"))?;
            return Ok(group);
        }
        Err("no cgroup CPU controller".into())
    }
}

impl Drop for CpuGroup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.dir);
    }
}

fn login_event() -> serde_json::Value {
    let mut e = http_event("POST", "/auth/login", None);
    e["body"] = json!({"email": EMAIL, "password": PASSWORD}).to_string().into();
    e["headers"]["content-type"] = "application/json".into();
    e
}

pub fn run(settings: &Settings, vars: &[(String, String)]) -> Result<Outcome, Error> {
    let auth = settings.bin_dir.join("auth");
    let (rounds, warm_runs) = if settings.quick { (1, 3) } else { (3, 7) };
    let with_memory = |mb: u32| {
        let mut vars = vars.to_vec();
        vars.retain(|(k, _)| k != "AWS_LAMBDA_FUNCTION_MEMORY_SIZE");
        vars.push(("AWS_LAMBDA_FUNCTION_MEMORY_SIZE".into(), mb.to_string()));
        vars
    };
    // A round that counts for nothing first: DynamoDB Local's own first
    // requests are slow, and would fall on whichever size came first.
    match CpuGroup::new(1.0) {
        Ok(group) => drop(serve(&auth, &group, &with_memory(FULL_VCPU_MB), &login_event(), 1 + warm_runs)?),
        Err(why) => return Ok(Outcome::Skipped(why)),
    }
    let mut cold: Vec<Vec<Duration>> = vec![Vec::new(); SIZES_MB.len()];
    let mut warm: Vec<Vec<Duration>> = vec![Vec::new(); SIZES_MB.len()];
    let mut statuses: Vec<Vec<String>> = vec![Vec::new(); SIZES_MB.len()];
    // Round robin over the sizes, so the machine's other work falls on all
    // of them alike.
    for _ in 0..rounds {
        for (i, mb) in SIZES_MB.iter().enumerate() {
            let group = match CpuGroup::new(f64::from(*mb) / f64::from(FULL_VCPU_MB)) {
                Ok(g) => g,
                Err(why) => return Ok(Outcome::Skipped(why)),
            };
            let answers = serve(&auth, &group, &with_memory(*mb), &login_event(), 1 + warm_runs)?;
            statuses[i].extend(answers.iter().map(|a| a.outcome.clone()));
            cold[i].extend(answers.first().map(|a| a.elapsed));
            warm[i].extend(answers.iter().skip(1).map(|a| a.request));
            std::thread::sleep(settings.pause);
        }
    }
    let out = SIZES_MB
        .iter()
        .enumerate()
        .map(|(i, mb)| Figures {
            memory_mb: *mb,
            cold: median(&mut cold[i]),
            warm: median(&mut warm[i]),
            statuses: tally(statuses[i].iter().map(String::as_str)),
        })
        .collect();
    Ok(Outcome::Measured(out))
}

fn tally<'a>(statuses: impl Iterator<Item = &'a str>) -> String {
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for s in statuses {
        *counts.entry(s).or_default() += 1;
    }
    counts.iter().map(|(s, n)| format!("{s} x{n}")).collect::<Vec<_>>().join(", ")
}

/// Sign a user up through the handlers, so the binary has someone to sign in.
pub async fn seed(env: &Env) -> Result<(), Error> {
    let body = json!({"email": EMAIL, "password": PASSWORD, "first_name": "Sam", "last_name": "Ng"});
    let (status, answer) = env.call("POST", "/auth/signup", None, Some(body)).await;
    if status != 201 {
        return Err(format!("sign-up for the memory section answered {status}: {answer}").into());
    }
    Ok(())
}

/// Spawn `binary` inside `group` and hand it `event` `count` times.
fn serve(
    binary: &Path,
    group: &CpuGroup,
    vars: &[(String, String)],
    event: &serde_json::Value,
    count: usize,
) -> Result<Vec<Run>, Error> {
    // The shell joins the group, then becomes the function: everything the
    // function does runs under the quota, its start-up included.
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg("echo $$ > \"$1\" && exec \"$0\"")
        .arg(binary)
        .arg(&group.procs)
        .env_clear()
        .envs(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    crate::startup::serve(command, event, count, Duration::from_secs(60))
}
