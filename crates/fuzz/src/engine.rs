//! Runs a target: its seeds, then proptest-generated cases, and counts what happened.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use proptest::strategy::BoxedStrategy;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};

use crate::alloc::Peak;

/// A fuzz target: how to make inputs and what must hold for each.
pub trait Target {
    /// One case: `Debug` is how a failing input is reported.
    type Input: fmt::Debug + Clone;

    /// The name `scripts/fuzz.sh` takes, and the seed folder's.
    fn name(&self) -> &'static str;

    /// Generated inputs.
    fn strategy(&self) -> BoxedStrategy<Self::Input>;

    /// The inputs a seed file holds (its format is the target's).
    fn seed_inputs(&self, bytes: &[u8]) -> Vec<Self::Input>;

    /// `Err(what went wrong)` when a property does not hold; a panic counts as a failure too.
    fn check(&self, input: &Self::Input) -> Result<(), String>;
}

/// How long to run.
#[derive(Debug, Clone, Copy)]
pub enum Mode {
    /// The seeds, then `cases` generated from the fixed RNG `seed`.
    Short {
        /// How many inputs to generate after the seeds.
        cases: u32,
        /// The RNG seed, so that a run can be repeated exactly.
        seed: u64,
    },
    /// The seeds, then generated cases from fresh RNG seeds until `duration` has passed.
    Long {
        /// Wall-clock time to keep generating for.
        duration: Duration,
    },
}

/// What a run did. `Display` is the one-line summary.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The target's [`Target::name`].
    pub target: &'static str,
    /// Seed inputs replayed.
    pub seeds: u64,
    /// Generated inputs checked (shrinking steps included).
    pub generated: u64,
    /// Inputs that broke a property (after shrinking: one per failing batch).
    pub crashes: u64,
    /// For each crash: the property that broke and the minimal input.
    pub failures: Vec<String>,
    /// Wall-clock time of the whole run.
    pub duration: Duration,
    /// The longest any single case took to check.
    pub slowest_case: Duration,
    /// The largest growth of the heap during one case.
    pub largest_heap_growth: usize,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "fuzz {}: {} cases ({} seeds + {} generated), crashes = {}, duration {:.1} s, slowest case {} ms, largest heap growth {:.1} MiB",
            self.target,
            self.seeds + self.generated,
            self.seeds,
            self.generated,
            self.crashes,
            self.duration.as_secs_f64(),
            self.slowest_case.as_millis(),
            self.largest_heap_growth as f64 / (1024.0 * 1024.0),
        )
    }
}

/// Where the seed files of `target` are.
pub(crate) fn seed_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds").join(target)
}

/// Where a run writes its current input and the crashes it found.
fn work_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/fuzz").join(target)
}

struct Run<'a, T: Target> {
    target: &'a T,
    /// Long mode: write each input before checking it, so that an abort leaves it behind.
    record_input: Option<PathBuf>,
    generated: Cell<u64>,
    slowest: Cell<Duration>,
    heap: Cell<usize>,
    failures: RefCell<Vec<String>>,
}

impl<T: Target> Run<'_, T> {
    fn check(&self, input: &T::Input) -> Result<(), String> {
        if let Some(path) = &self.record_input {
            let _ = std::fs::write(path, format!("{input:?}\n"));
        }
        let peak = Peak::start();
        let started = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| self.target.check(input)))
            .unwrap_or_else(|panic| Err(format!("panicked: {}", panic_message(&*panic))));
        self.slowest.set(self.slowest.get().max(started.elapsed()));
        self.heap.set(self.heap.get().max(peak.growth()));
        outcome
    }

    fn fail(&self, what: String) {
        eprintln!("fuzz {}: FAILED: {}", self.target.name(), shorten(&what, 4000));
        let dir = work_dir(self.target.name());
        let n = self.failures.borrow().len();
        if std::fs::create_dir_all(&dir).is_ok() {
            let path = dir.join(format!("crash-{}-{n}.txt", std::process::id()));
            if std::fs::write(&path, &what).is_ok() {
                eprintln!("fuzz {}: the whole input is in {}", self.target.name(), path.display());
            }
        }
        self.failures.borrow_mut().push(shorten(&what, 4000));
    }

    /// `cases` generated inputs from the RNG `seed`; a failure is shrunk and recorded.
    fn batch(&self, strategy: &BoxedStrategy<T::Input>, cases: u32, seed: [u8; 32]) {
        let config = Config {
            cases,
            failure_persistence: None,
            max_shrink_iters: 1024,
            max_shrink_time: 60_000,
            ..Config::default()
        };
        let mut runner = TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed));
        let result = runner.run(strategy, |input| {
            self.generated.set(self.generated.get() + 1);
            self.check(&input).map_err(TestCaseError::fail)
        });
        match result {
            Ok(()) => {}
            Err(TestError::Fail(reason, minimal)) => self.fail(format!("{reason}\nminimal input: {minimal:?}")),
            Err(TestError::Abort(reason)) => self.fail(format!("the run was aborted: {reason}")),
        }
    }
}

/// Runs `target` in `mode`; failures are printed as they are found and listed in the summary.
pub(crate) fn run<T: Target>(target: &T, mode: Mode) -> Summary {
    let started = Instant::now();
    let record_input = match mode {
        Mode::Long { .. } => {
            let dir = work_dir(target.name());
            std::fs::create_dir_all(&dir).ok().map(|_| dir.join("current-input.txt"))
        }
        Mode::Short { .. } => None,
    };
    let run = Run {
        target,
        record_input,
        generated: Cell::new(0),
        slowest: Cell::new(Duration::ZERO),
        heap: Cell::new(0),
        failures: RefCell::new(Vec::new()),
    };

    let mut seeds = 0;
    for (path, bytes) in seed_files(target.name()) {
        for input in target.seed_inputs(&bytes) {
            seeds += 1;
            if let Err(what) = run.check(&input) {
                run.fail(format!("seed {}: {what}\ninput: {input:?}", path.display()));
            }
        }
    }

    let strategy = target.strategy();
    match mode {
        Mode::Short { cases, seed } => run.batch(&strategy, cases, rng_seed(seed)),
        Mode::Long { duration } => {
            let mut batch = 0u64;
            let entropy = started.elapsed().as_nanos() as u64 ^ u64::from(std::process::id()) << 32;
            let wall = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
            while started.elapsed() < duration {
                run.batch(&strategy, 64, rng_seed(entropy ^ wall.as_nanos() as u64 ^ batch.wrapping_mul(0x9E37_79B9)));
                batch += 1;
            }
        }
    }

    let failures = run.failures.into_inner();
    Summary {
        target: target.name(),
        seeds,
        generated: run.generated.get(),
        crashes: failures.len() as u64,
        failures,
        duration: started.elapsed(),
        slowest_case: run.slowest.get(),
        largest_heap_growth: run.heap.get(),
    }
}

fn seed_files(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(seed_dir(target)) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect();
    files.sort();
    files.into_iter().filter_map(|p| std::fs::read(&p).ok().map(|bytes| (p, bytes))).collect()
}

fn rng_seed(seed: u64) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (i, chunk) in out.chunks_mut(8).enumerate() {
        chunk.copy_from_slice(&(seed ^ (i as u64).wrapping_mul(0xA076_1D64_78BD_642F)).to_le_bytes());
    }
    out
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

/// At most `max` bytes of `text`, cut on a character boundary.
pub(crate) fn shorten(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &text[..end], text.len())
}
