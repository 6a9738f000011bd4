//! What each function used while a test ran: the DynamoDB calls it made
//! (recorded by the adapters' `CallLog` on the harness's client), and
//! whether it sent mail or published events (the directory adapters' files).
//! `Harness::recording()` turns it on; every request `send` hands to a
//! function, and every `sweep_at`, is attributed to that function, and what
//! the test does straight through the store in between to none.

use roster_adapters::dynamo::call_log::{Call, CallLog};
use roster_api::Function;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;

#[derive(Debug, Default, Clone)]
pub struct FunctionUse {
    pub calls: Vec<Call>,
    pub mails: usize,
    pub events: usize,
}

#[derive(Debug, Default)]
pub struct Usage {
    pub log: CallLog,
    by_function: Mutex<HashMap<Function, FunctionUse>>,
    /// Mail and event files there were when the current request began.
    files_before: Mutex<(usize, usize)>,
}

fn files(dir: &Path) -> usize {
    std::fs::read_dir(dir).map(|rd| rd.count()).unwrap_or(0)
}

impl Usage {
    /// A request begins: what was called before it was no function's.
    pub fn start(&self, dir: &Path) {
        self.log.take();
        *self.files_before.lock().expect("usage") = (files(&dir.join("mail")), files(&dir.join("events")));
    }

    /// The request `function` served is done: what it called is its own.
    pub fn finish(&self, function: Function, dir: &Path) {
        let (mails, events) = *self.files_before.lock().expect("usage");
        let mut all = self.by_function.lock().expect("usage");
        let used = all.entry(function).or_default();
        used.calls.extend(self.log.take());
        used.mails += files(&dir.join("mail")).saturating_sub(mails);
        used.events += files(&dir.join("events")).saturating_sub(events);
    }

    /// What `function` used so far (nothing if it never ran).
    pub fn of(&self, function: Function) -> FunctionUse {
        self.by_function.lock().expect("usage").get(&function).cloned().unwrap_or_default()
    }
}
