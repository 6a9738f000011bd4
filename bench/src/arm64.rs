//! The same figures for arm64, the architecture the functions run on
//! (issue 15 item 6): binaries built by `scripts/deploy.sh arm64` with
//! cargo-lambda's zig and the full release profile, set against a
//! hello-world built the same way. Start-up runs under qemu-aarch64 user
//! emulation when it is installed: emulation inflates every time alike, so
//! only the ratio to the emulated hello-world means anything.

use crate::env::Error;
use crate::startup::{median, once, Invocation};
use crate::Settings;
use roster_api::Function;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub struct Figures {
    /// binary -> stripped size in MB, hello-world included.
    pub sizes: Vec<(&'static str, f64)>,
    /// binary -> (median start to first response, outcome), hello-world
    /// included; empty with the reason when nothing could run them.
    pub starts: Result<Vec<(&'static str, Duration, String)>, String>,
}

fn binaries() -> Vec<&'static str> {
    Function::ALL.iter().map(|f| f.name()).chain(["hello"]).collect()
}

/// `None` when the arm64 builds were skipped (`BENCH_SKIP=arm64`).
pub fn run(settings: &Settings, vars: &[(String, String)]) -> Result<Option<Figures>, Error> {
    let Some(dir) = std::env::var_os("BENCH_ARM64_DIR").map(PathBuf::from) else { return Ok(None) };
    let mut sizes = Vec::new();
    for b in binaries() {
        let path = dir.join(b);
        let bytes = std::fs::metadata(&path).map_err(|e| format!("{}: {e}", path.display()))?.len();
        sizes.push((b, bytes as f64 / 1_000_000.0));
    }
    // The binaries link glibc dynamically: qemu finds the arm64 loader and
    // libraries under this prefix (Debian's libc6-arm64-cross).
    let mut vars = vars.to_vec();
    vars.push(("QEMU_LD_PREFIX".into(), std::env::var("BENCH_QEMU_LD_PREFIX").unwrap_or_default()));
    let starts = match std::env::var_os("BENCH_QEMU_AARCH64").map(PathBuf::from) {
        Some(qemu) if qemu.is_file() => Ok(starts(settings, &vars, &dir, &qemu)?),
        _ => Err("qemu-aarch64 not installed".to_string()),
    };
    Ok(Some(Figures { sizes, starts }))
}

fn starts(
    settings: &Settings,
    vars: &[(String, String)],
    dir: &Path,
    qemu: &Path,
) -> Result<Vec<(&'static str, Duration, String)>, Error> {
    let plan: Vec<(&'static str, serde_json::Value)> =
        binaries().into_iter().map(|b| (b, crate::report::events(b)[0].clone())).collect();
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); plan.len()];
    let mut outcomes = vec![String::new(); plan.len()];
    // Emulated start-up is slow: a third of the native runs, round robin.
    for _ in 0..settings.runs.div_ceil(3).max(3) {
        for (i, (binary, event)) in plan.iter().enumerate() {
            let inv = Invocation { event, env: vars, launcher: Some(qemu) };
            let run = once(&dir.join(binary), &inv, Duration::from_secs(60))?;
            times[i].push(run.elapsed);
            outcomes[i] = run.outcome;
            std::thread::sleep(settings.pause);
        }
    }
    Ok(plan.iter().zip(times.iter_mut().zip(outcomes)).map(|((b, _), (t, o))| (*b, median(t), o)).collect())
}
