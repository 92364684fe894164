//! Read-ahead: as each task starts, the stage hints the stored chunks of the task a worker
//! takes next, so a file-backed store can load them while the worker computes. With one
//! thread, every chunk but the first task's is hinted before it is read, for sums,
//! computes and stores, with and without the `x + x.T` pairing order.

use spillway::array::stored::{StoreOptions, from_store};
use spillway::store::{ChunkStore, MemoryStore, StoreError};
use spillway::{Array, Client, random};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, PartialEq)]
enum Event {
    Hint(Vec<usize>),
    Read(Vec<usize>),
}

/// A memory store that logs hints and reads in order.
struct Logged {
    inner: MemoryStore<f64>,
    log: Mutex<Vec<Event>>,
}

impl ChunkStore<f64> for Logged {
    fn shape(&self) -> &[usize] {
        self.inner.shape()
    }
    fn chunk_shape(&self) -> &[usize] {
        self.inner.chunk_shape()
    }
    fn read_chunk(&self, index: &[usize], out: &mut [f64]) -> Result<(), StoreError> {
        self.log.lock().unwrap().push(Event::Read(index.to_vec()));
        self.inner.read_chunk(index, out)
    }
    fn write_chunk(&self, index: &[usize], data: &[f64]) -> Result<(), StoreError> {
        self.inner.write_chunk(index, data)
    }
    fn contains_chunk(&self, index: &[usize]) -> Result<bool, StoreError> {
        self.inner.contains_chunk(index)
    }
    fn location(&self) -> String {
        "logged".into()
    }
    fn will_need(&self, index: &[usize]) {
        self.log.lock().unwrap().push(Event::Hint(index.to_vec()));
    }
}

fn stored(n: usize, c: usize) -> (Arc<Logged>, Array<f64>) {
    let store = Arc::new(Logged {
        inner: MemoryStore::new(&[n, n], &[c, c], 0.0),
        log: Mutex::new(Vec::new()),
    });
    random::default_rng(5)
        .random([n, n], c)
        .store(store.clone(), StoreOptions::default())
        .unwrap();
    let x = from_store(store.clone() as Arc<dyn ChunkStore<f64>>, "x", None);
    (store, x)
}

/// The tests of this file one at a time: `store` runs on the current client, which is
/// the one built last by any test.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn client(threads: usize) -> Client {
    Client::builder()
        .n_workers(1)
        .threads_per_worker(threads)
        .memory_limit("256MB")
        .build()
        .unwrap()
}

/// Chunks read without a hint before their first read.
fn unhinted_reads(log: &[Event]) -> Vec<Vec<usize>> {
    let mut hinted = HashSet::new();
    let mut read = HashSet::new();
    let mut surprises = Vec::new();
    for event in log {
        match event {
            Event::Hint(c) => {
                hinted.insert(c.clone());
            }
            Event::Read(c) => {
                if read.insert(c.clone()) && !hinted.contains(c) {
                    surprises.push(c.clone());
                }
            }
        }
    }
    surprises
}

#[test]
fn one_thread_hints_every_chunk_after_the_first_task_before_reading_it() {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let client = client(1);
    let (store, x) = stored(48, 8); // 6 x 6 chunks
    // the first task reads chunk (0, 0) unannounced (for x + x.T too: its first task in
    // pairing order is the diagonal block (0, 0)); the transpose alone reads chunk (j, i)
    // for block (i, j)
    let cases = [
        ("x * 2", &x * 2.0),
        ("x.T", x.t()),
        ("x + x.T", &x + &x.t()),
    ];
    for (name, y) in cases {
        for op in ["sum", "compute", "store"] {
            store.log.lock().unwrap().clear();
            match op {
                "sum" => drop(y.sum().compute_on(&client).unwrap()),
                "compute" => drop(y.compute_on(&client).unwrap()),
                _ => {
                    let target = Arc::new(MemoryStore::<f64>::new(&[48, 48], &[8, 8], 0.0));
                    y.store(target, StoreOptions::default()).unwrap();
                }
            }
            let log = store.log.lock().unwrap().clone();
            assert_eq!(unhinted_reads(&log), vec![vec![0, 0]], "{op} of {name}");
            let hints = log.iter().filter(|e| matches!(e, Event::Hint(_))).count();
            let per_task = if name == "x + x.T" { 2 } else { 1 };
            assert_eq!(
                hints,
                35 * per_task,
                "{op} of {name}: one hint per later task"
            );
        }
    }
}

#[test]
fn more_threads_hint_all_but_the_first_tasks() {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let (store, x) = stored(48, 8);
    let y = &x + &x.t();
    let want = y.sum().compute_on(&client(1)).unwrap();
    store.log.lock().unwrap().clear();
    assert_eq!(y.sum().compute_on(&client(2)).unwrap(), want);
    let log = store.log.lock().unwrap().clone();
    let hinted: HashSet<Vec<usize>> = log
        .iter()
        .filter_map(|e| match e {
            Event::Hint(c) => Some(c.clone()),
            Event::Read(_) => None,
        })
        .collect();
    // tasks 2.. are hinted as tasks 0.. start: all chunks but those of the first two
    // tasks in pairing order, (0, 0) and the pair (0, 1), (1, 0)
    assert_eq!(hinted.len(), 36 - 1, "{hinted:?}");
    assert!(!hinted.contains(&vec![0, 0]));
}

#[test]
fn sources_on_other_chunks_are_not_hinted() {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let client = client(1);
    let (store, x) = stored(48, 8);
    store.log.lock().unwrap().clear();
    let y = x.rechunk((48, 4));
    drop(y.sum().compute_on(&client).unwrap());
    let log = store.log.lock().unwrap().clone();
    assert!(
        log.iter().all(|e| matches!(e, Event::Read(_))),
        "a rechunk's blocks do not follow x's chunks: no hints"
    );
}
