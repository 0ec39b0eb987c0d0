//! Cold start: how long each function of template.yaml takes from process start to its
//! first `GET /2018-06-01/runtime/invocation/next` (its init), next to a hello-world
//! `lambda_runtime` binary built with the same profile, in one run.
//!
//! Each binary is started with the environment `make dev` gives it (the template's variables
//! resolved against resources provisioned in a moto this benchmark starts, the local
//! defaults of `JOBMON_SECRET_KEY` and friends), and a Runtime API of its own on 127.0.0.1
//! that notes when `/next` arrives and then holds the connection; the process is then
//! killed (by its PID, SIGKILL). Rounds are interleaved (every binary once per round) so
//! that load from elsewhere on the machine spreads over all of them alike.
//!
//! Each launch also gives the binary one event and times its answer: the first
//! invocation (init + first request, `events` says which request), so that what init no
//! longer does but the first request still must (an HTTP connector, the root
//! certificates) is printed too rather than hidden.
//!
//! `JOBMON_COLDSTART_RUNS` (default 30) sets the rounds. `JOBMON_COLDSTART_BEFORE=<dir>`
//! also measures the same-named binaries in `<dir>` (a copy of an earlier build), in the
//! same rounds, to put a change's before and after side by side.

mod elf;
mod events;
mod launch;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use jobmon_local::environment::{self, Local};
use jobmon_tests::TestStack;

/// The goal: a function's median init at most this many times hello-world's.
const GOAL_RATIO: f64 = 1.5;
/// Its dummy argon2 hash at init is deliberate (an unknown e-mail costs what a wrong
/// password costs from the first login on), so it is measured but not held to the goal.
const EXEMPT: &str = "ApiAuthFunction";
const HELLO: &str = "coldstart-hello";

struct Subject {
    label: String,
    binary: PathBuf,
    env: BTreeMap<String, String>,
    event: Option<events::FirstEvent>,
    samples: Vec<f64>,
    /// Page faults taken by the first `/next`, one per launch that could read them.
    faults: Vec<f64>,
    /// Start → the first event's answer, in ms.
    first: Vec<f64>,
    /// Whether any first invocation was reported as an error by the runtime.
    first_failed: bool,
    failure: Option<String>,
}

impl Subject {
    fn new(
        label: String,
        binary: PathBuf,
        env: BTreeMap<String, String>,
        event: Option<events::FirstEvent>,
    ) -> Self {
        Self {
            label,
            binary,
            env,
            event,
            samples: Vec::new(),
            faults: Vec::new(),
            first: Vec::new(),
            first_failed: false,
            failure: None,
        }
    }
}

/// The binaries under test: hello world, then every function of the template, each also
/// from `before` when given.
fn subjects(stack: &TestStack, bin_dir: &Path, before: Option<&Path>) -> Vec<Subject> {
    let t = jobmon_tests::template();
    let local = Local {
        region: "us-east-1".into(),
        account_id: "123456789012".into(),
        // No gateway runs: nothing a function does at init may need it.
        port: 9,
        aws_endpoint: Some(stack.endpoint.clone()),
        prefix: "coldstart".into(),
        passthrough: environment::passthrough(std::env::vars(), false),
        aws_credentials: BTreeMap::new(),
    };
    let bindings = environment::bindings(t, &stack.resources, &local);
    let mut out = Vec::new();
    for f in t.functions() {
        let env = environment::function_env(t, f, &bindings, &local, bin_dir)
            .unwrap_or_else(|e| panic!("environment of {}: {e}", f.logical_id));
        let binary = f
            .binary
            .clone()
            .unwrap_or_else(|| panic!("{} has no Metadata.BuildProperties.Binary", f.logical_id));
        if out.is_empty() {
            // Hello world gets the first function's environment: the same variables to read.
            out.push(Subject::new(
                HELLO.into(),
                bin_dir.join(HELLO),
                env.clone(),
                Some(events::hello()),
            ));
        }
        // One first event for both builds, so "before" and "after" answer the same request.
        let event = events::for_function(f, &env);
        if let Some(dir) = before {
            out.push(Subject::new(
                format!("{} (before)", f.logical_id),
                dir.join(&binary),
                env.clone(),
                event.clone(),
            ));
        }
        out.push(Subject::new(
            f.logical_id.clone(),
            bin_dir.join(&binary),
            env,
            event,
        ));
    }
    out
}

/// The value at fraction `q` of the sorted samples (nearest rank).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// What the dummy hash costs: a fresh hasher's `prepare_dummy()` (api-auth's call at init)
/// is that hash and nothing else of note, timed in this process, which has the functions'
/// profile. `owasp()` alone no longer hashes: the dummy is made on first need.
fn dummy_hash_ms(rounds: u32) -> f64 {
    let started = Instant::now();
    for _ in 0..rounds {
        let hasher = shared::auth::PasswordHasher::owasp();
        hasher.prepare_dummy();
        std::hint::black_box(&hasher);
    }
    started.elapsed().as_secs_f64() * 1000.0 / f64::from(rounds)
}

/// Median and p90 of `samples`, `None` without any.
fn median_p90(samples: &[f64]) -> Option<(f64, f64)> {
    let mut v = samples.to_vec();
    v.sort_by(f64::total_cmp);
    (!v.is_empty()).then(|| (quantile(&v, 0.5), quantile(&v, 0.9)))
}

/// Init + first request, next to hello world's; no goal is set for it. It shows where
/// what init no longer does went: the first request that needs an HTTP connector builds
/// it (and loads the root certificates) then.
fn print_first_invocations(subjects: &[Subject]) {
    let hello = subjects
        .iter()
        .find(|s| s.label == HELLO)
        .and_then(|s| median_p90(&s.first))
        .map(|(m, _)| m);
    println!(
        "\n  first invocation: process start → the first event's answer (init + first request)"
    );
    println!(
        "  {:<38} {:>9} {:>9} {:>9}  event",
        "binary", "median ms", "p90 ms", "× hello"
    );
    for s in subjects.iter().filter(|s| s.failure.is_none()) {
        let Some(event) = &s.event else {
            println!(
                "  {:<38} {:>9}  (no event of its kind is sent)",
                s.label, "—"
            );
            continue;
        };
        let Some((median, p90)) = median_p90(&s.first) else {
            continue;
        };
        let ratio = hello.map_or(f64::NAN, |h| median / h);
        let error = if s.first_failed {
            ", answered as an error"
        } else {
            ""
        };
        println!(
            "  {:<38} {median:>9.1} {p90:>9.1} {ratio:>8.2}×  {}{error}",
            s.label, event.label
        );
    }
}

fn print_table(subjects: &[Subject], dummy_ms: f64) {
    let median_of = |s: &Subject| median_p90(&s.samples);
    let hello = subjects
        .iter()
        .find(|s| s.label == HELLO)
        .and_then(median_of)
        .map(|(m, _)| m);
    println!(
        "  {:<38} {:>9} {:>9} {:>9} {:>11} {:>7}  goal ≤ {GOAL_RATIO}×",
        "binary", "median ms", "p90 ms", "× hello", "rel.ro KiB", "faults"
    );
    let mut over = Vec::new();
    for s in subjects.iter() {
        let Some((median, p90)) = median_of(s) else {
            println!(
                "  {:<38} failed: {}",
                s.label,
                s.failure.as_deref().unwrap_or("no samples")
            );
            over.push(s.label.clone());
            continue;
        };
        let ratio = hello.map_or(f64::NAN, |h| median / h);
        let verdict = if s.label == HELLO {
            "baseline"
        } else if ratio.is_nan() {
            "no baseline"
        } else if s.label.starts_with(EXEMPT) {
            "exempt (argon2)"
        } else if ratio <= GOAL_RATIO {
            "ok"
        } else {
            if !s.label.ends_with("(before)") {
                over.push(s.label.clone());
            }
            "OVER"
        };
        let relocated = elf::relocated_data_bytes(&s.binary)
            .map_or_else(|| "—".to_owned(), |bytes| (bytes / 1024).to_string());
        let faults =
            median_p90(&s.faults).map_or_else(|| "—".to_owned(), |(f, _)| format!("{f:.0}"));
        println!(
            "  {:<38} {median:>9.1} {p90:>9.1} {ratio:>8.2}× {relocated:>11} {faults:>7}  {verdict}",
            s.label
        );
        if s.label == EXEMPT
            && let Some(h) = hello
        {
            println!(
                "  {:<38} {:>9.1} {:>9} {:>8.2}× {:>11} {:>7}  (its median less the dummy hash)",
                "  ApiAuthFunction without the hash",
                median - dummy_ms,
                "",
                (median - dummy_ms) / h,
                "",
                ""
            );
        }
    }
    println!(
        "\n  rel.ro KiB: the binary's .data.rel.ro, which the loader relocates (faults in and \
         copies) before main in a position-independent executable"
    );
    println!(
        "  faults: page faults the process had taken when its first /next arrived (median; \
         minor and major, all threads): a count, so it holds where times swing"
    );
    println!("  api-auth's dummy argon2id hash at init (m=19 MiB, t=2, p=1): {dummy_ms:.1} ms");
    if over.is_empty() {
        println!("  every function (api-auth exempt) is within {GOAL_RATIO}× hello world");
    } else {
        println!(
            "  over {GOAL_RATIO}× hello world or failed: {}",
            over.join(", ")
        );
    }
}

pub async fn run() {
    let runs: usize = std::env::var("JOBMON_COLDSTART_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    let before = std::env::var_os("JOBMON_COLDSTART_BEFORE")
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from);
    let exe = std::env::current_exe().expect("the benchmark knows its own path");
    let bin_dir = exe.parent().expect("a binary lives in a directory");
    let stack = TestStack::new().await;
    let mut subjects = subjects(&stack, bin_dir, before.as_deref());
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    println!(
        "cold start: process start → first /next, {runs} interleaved rounds, {profile} binaries in {}{}",
        bin_dir.display(),
        before
            .as_deref()
            .map(|b| format!(", before: {}", b.display()))
            .unwrap_or_default()
    );
    println!("  load average before: {}", load_average());
    for _ in 0..runs {
        for s in subjects.iter_mut().filter(|s| s.failure.is_none()) {
            let event = s.event.as_ref().map(|e| e.body.as_slice());
            match launch::launch(&s.binary, &s.env, event).await {
                Ok(l) => {
                    s.samples.push(l.init.as_secs_f64() * 1000.0);
                    s.faults.extend(l.init_faults.map(|f| f as f64));
                    if let Some((first, ok)) = l.first {
                        s.first.push(first.as_secs_f64() * 1000.0);
                        s.first_failed |= !ok;
                    }
                }
                Err(why) => s.failure = Some(why),
            }
        }
    }
    println!("  load average after:  {}\n", load_average());
    print_table(&subjects, dummy_hash_ms(5));
    print_first_invocations(&subjects);
}

#[cfg(test)]
mod tests {
    use super::quantile;

    #[test]
    fn quantiles_are_nearest_rank() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(quantile(&v, 0.5), 5.0);
        assert_eq!(quantile(&v, 0.9), 9.0);
        assert_eq!(quantile(&[7.0], 0.9), 7.0);
    }
}
