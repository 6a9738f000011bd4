//! Answers that take alike whatever happened: R27's password-reset request
//! costs a transaction and a mail for an address with an account and nothing
//! for one without, so every request takes at least a floor long. The
//! runtime's timer comes in as `sleep`, so this stays free of any runtime
//! and is tested without one.

use std::future::Future;
use std::time::{Duration, Instant};

/// No password-reset request is answered sooner than this after it started (R27).
pub const RESET_REQUEST_FLOOR: Duration = Duration::from_millis(400);

/// How much longer to wait, having taken `elapsed`, to answer no sooner
/// than `floor` after the start.
pub fn remaining(floor: Duration, elapsed: Duration) -> Duration {
    floor.saturating_sub(elapsed)
}

/// Run `work`, then wait with `sleep` until `floor` has passed since it
/// started, whatever it returned; its output is handed back unchanged.
pub async fn no_sooner_than<T, S, W>(floor: Duration, work: W, sleep: impl FnOnce(Duration) -> S) -> T
where
    W: Future<Output = T>,
    S: Future<Output = ()>,
{
    let started = Instant::now();
    let out = work.await;
    sleep(remaining(floor, started.elapsed())).await;
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    const FLOOR: Duration = RESET_REQUEST_FLOOR;

    #[test]
    fn the_wait_makes_up_the_floor_and_never_less_than_nothing() {
        let ms = Duration::from_millis;
        assert_eq!(remaining(FLOOR, ms(0)), FLOOR);
        assert_eq!(remaining(FLOOR, ms(150)), ms(250));
        assert_eq!(remaining(FLOOR, FLOOR), ms(0));
        assert_eq!(remaining(FLOOR, ms(900)), ms(0));
    }

    /// Runs `no_sooner_than` with a `sleep` that only records what it was asked.
    fn run<T>(work: impl Future<Output = T>) -> (T, Duration) {
        let asked = Cell::new(None);
        let out = futures::executor::block_on(no_sooner_than(FLOOR, work, |d| {
            asked.set(Some(d));
            async {}
        }));
        (out, asked.get().unwrap_or(Duration::MAX))
    }

    #[test]
    fn a_quick_answer_waits_out_the_floor() {
        let (out, waited) = run(async { 7 });
        assert_eq!(out, 7);
        assert!(waited <= FLOOR && waited > FLOOR - Duration::from_millis(100), "{waited:?}");
    }

    #[test]
    fn a_slow_answer_waits_only_the_rest() {
        let (_, waited) = run(async { std::thread::sleep(Duration::from_millis(30)) });
        assert!(waited <= FLOOR - Duration::from_millis(30), "{waited:?}");
    }

    #[test]
    fn a_failure_waits_alike_and_comes_back_unchanged() {
        let (out, waited) = run(async { Err::<(), _>(crate::DomainError::RateLimited) });
        assert!(matches!(out, Err(crate::DomainError::RateLimited)));
        assert!(waited > FLOOR - Duration::from_millis(100), "{waited:?}");
    }
}
