//! Delayed tasks: laziness, graphs of inputs, parallelism, the memory budget, failures,
//! and arrays made of delayed values.

use ndarray::ArrayD;
use spillway::delayed::{
    DelayedError, compute_all_on, compute_all_with_report, delayed_many, delayed2, from_delayed,
    from_delayed_blocks, task_graph,
};
use spillway::exec::monitor::{Monitor, StageInfo, TaskRecord};
use spillway::{Client, Error, delayed};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn client(threads: usize, memory: &str) -> Client {
    Client::builder()
        .n_workers(1)
        .threads_per_worker(threads)
        .memory_limit(memory)
        // the tests run side by side and each computes on its own client
        .set_as_current(false)
        .build()
        .unwrap()
}

#[test]
fn nothing_runs_until_compute() {
    let c = client(2, "64MB");
    let runs = Arc::new(AtomicUsize::new(0));
    let r = runs.clone();
    let d = delayed(move || {
        r.fetch_add(1, Ordering::SeqCst);
        3.5
    });
    assert_eq!(runs.load(Ordering::SeqCst), 0);
    assert!(!d.is_computed());
    assert_eq!(d.compute_on(&c).unwrap(), 3.5);
    // the value is kept: computing again does not run the task again
    assert_eq!(d.compute_on(&c).unwrap(), 3.5);
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    c.close();
}

#[test]
fn compute_many_in_one_run() {
    let c = client(2, "64MB");
    let ds: Vec<_> = (1..=5)
        .map(|i| delayed(move || i * 10).name("times_ten"))
        .collect();
    let (values, report) = compute_all_with_report(&ds, &c).unwrap();
    assert_eq!(values, vec![10, 20, 30, 40, 50]);
    assert_eq!(report.tasks, 5);
    assert_eq!(report.stages.len(), 1);
    c.close();
}

#[test]
fn chained_inputs_run_once_and_in_order() {
    let c = client(3, "64MB");
    let runs = Arc::new(AtomicUsize::new(0));
    let r = runs.clone();
    let a = delayed(move || {
        r.fetch_add(1, Ordering::SeqCst);
        vec![1.0, 2.0, 3.0]
    })
    .name("load");
    let total = a.then(|v| v.iter().sum::<f64>()).name("total");
    let count = a.then(|v| v.len()).name("count");
    let mean = delayed2(&total, &count, |t, n| t / *n as f64).name("mean");
    let both = delayed_many(&[mean.clone(), total.clone()], |xs| xs[0] + xs[1]);
    let out = compute_all_on(&[mean.clone(), both], &c).unwrap();
    assert_eq!(out, vec![2.0, 8.0]);
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert_eq!(total.zip(&count).compute_on(&c).unwrap(), (6.0, 3));
    c.close();
}

/// Waits until `arrived` reaches 2 (both tasks running at once), for at most 5 s.
fn meet(arrived: &AtomicUsize) -> bool {
    arrived.fetch_add(1, Ordering::SeqCst);
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if arrived.load(Ordering::SeqCst) >= 2 {
            return true;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    false
}

#[test]
fn independent_tasks_run_in_parallel() {
    let c = client(2, "64MB");
    let arrived = Arc::new(AtomicUsize::new(0));
    let ds: Vec<_> = (0..2)
        .map(|_| {
            let a = arrived.clone();
            delayed(move || meet(&a))
        })
        .collect();
    assert_eq!(compute_all_on(&ds, &c).unwrap(), vec![true, true]);
    c.close();
}

/// Tasks that record how many of them run at once.
fn overlapping(
    n: usize,
    memory: u64,
    running: &Arc<AtomicUsize>,
    most: &Arc<AtomicUsize>,
) -> Vec<spillway::Delayed<()>> {
    (0..n)
        .map(|_| {
            let (running, most) = (running.clone(), most.clone());
            delayed(move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(30));
                running.fetch_sub(1, Ordering::SeqCst);
            })
            .name("hold")
            .memory_bytes(memory)
        })
        .collect()
}

#[test]
fn the_budget_limits_how_many_tasks_run_at_once() {
    let c = client(4, "10MB");
    let budget = c.budget().limit();
    let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    // 60% of the budget each: never two at once
    let ds = overlapping(4, budget * 6 / 10, &running, &most);
    let (_, report) = compute_all_with_report(&ds, &c).unwrap();
    assert_eq!(most.load(Ordering::SeqCst), 1);
    assert!(report.peak_reserved_bytes <= budget);
    // 20% each: several at once
    most.store(0, Ordering::SeqCst);
    let ds = overlapping(4, budget / 5, &running, &most);
    compute_all_on(&ds, &c).unwrap();
    assert!(most.load(Ordering::SeqCst) >= 2);
    assert_eq!(c.budget().reserved(), 0);
    c.close();
}

#[test]
fn a_task_larger_than_the_budget_is_refused_before_anything_runs() {
    let c = client(2, "1MB");
    let runs = Arc::new(AtomicUsize::new(0));
    let r = runs.clone();
    let small = delayed(move || {
        r.fetch_add(1, Ordering::SeqCst);
    });
    let big = delayed(|| ()).name("huge").memory("2MB");
    let err = compute_all_on(&[small, big], &c).unwrap_err();
    match &err {
        Error::Delayed(DelayedError::TaskTooLarge {
            task,
            memory,
            budget,
        }) => {
            assert_eq!(task, "huge");
            assert_eq!(*memory, 2_000_000);
            assert_eq!(*budget, c.budget().limit());
        }
        other => panic!("unexpected error {other:?}"),
    }
    assert!(err.to_string().contains("huge"));
    assert_eq!(runs.load(Ordering::SeqCst), 0);
    // an unparsable size is an error too, not a panic
    assert!(matches!(
        delayed(|| 1).memory("much").compute_on(&c),
        Err(Error::Size(_))
    ));
    c.close();
}

#[test]
fn a_panicking_task_is_named_and_the_rest_are_cancelled() {
    let c = client(1, "64MB");
    let runs = Arc::new(AtomicUsize::new(0));
    let boom = delayed(|| -> i32 { panic!("boom at step 3") }).name("exploder");
    let later: Vec<_> = (0..3)
        .map(|i| {
            let r = runs.clone();
            delayed(move || {
                r.fetch_add(1, Ordering::SeqCst);
                i
            })
        })
        .collect();
    let mut all = vec![boom.clone()];
    all.extend(later.iter().cloned());
    let err = compute_all_on(&all, &c).unwrap_err();
    match &err {
        Error::TaskPanicked { op, message, .. } => {
            assert_eq!(op, "exploder");
            assert!(message.contains("boom at step 3"));
        }
        other => panic!("unexpected error {other:?}"),
    }
    // one thread: nothing else had started, so nothing else ran
    assert_eq!(runs.load(Ordering::SeqCst), 0);
    assert!(later.iter().all(|d| !d.is_computed()));
    // the failure is kept; readers of it fail the same way
    assert!(matches!(
        boom.then(|x| x + 1).compute_on(&c),
        Err(Error::TaskPanicked { .. })
    ));
    // the client works afterwards, for delayed tasks and arrays
    assert_eq!(compute_all_on(&later, &c).unwrap(), vec![0, 1, 2]);
    assert_eq!(
        spillway::ones::<f64>(100, 10).sum().compute_on(&c).unwrap()[[]],
        100.0
    );
    assert_eq!(c.budget().reserved(), 0);
    c.close();
}

#[test]
fn to_delayed_and_from_delayed_round_trip() {
    let c = client(2, "64MB");
    let x = spillway::random::default_rng(7).random([7, 5], [3, 2]);
    let expected = x.compute_on(&c).unwrap();
    let blocks = x.to_delayed();
    assert_eq!(blocks.len(), x.npartitions());
    let values = compute_all_on(&blocks, &c).unwrap();
    // row-major block order: stitch them back
    let mut stitched = ArrayD::<f64>::zeros(vec![7, 5]);
    let mut b = 0;
    for (i, &r0) in [0, 3, 6].iter().enumerate() {
        for (j, &c0) in [0, 2, 4].iter().enumerate() {
            let block = &values[b];
            assert_eq!(block.shape(), &[[3, 3, 1][i], [2, 2, 1][j]]);
            for ((r, cc), v) in block.indexed_iter().map(|(ix, v)| ((ix[0], ix[1]), v)) {
                stitched[[r0 + r, c0 + cc]] = *v;
            }
            b += 1;
        }
    }
    assert_eq!(stitched, expected);

    // a chunk whose values depend on a whole-array reduction
    let centred = &x - x.mean();
    let first = centred.to_delayed()[0].compute_on(&c).unwrap();
    let whole = centred.compute_on(&c).unwrap();
    assert_eq!(first, whole.slice(ndarray::s![0..3, 0..2]).into_dyn());

    // from_delayed: the task runs once however often the array is computed
    let runs = Arc::new(AtomicUsize::new(0));
    let r = runs.clone();
    let source = expected.clone();
    let d = delayed(move || {
        r.fetch_add(1, Ordering::SeqCst);
        source
    })
    .name("load");
    let y = from_delayed(&d, [7, 5]);
    assert_eq!(y.name(), "load");
    assert_eq!((&y * 2.0).compute_on(&c).unwrap(), &expected * 2.0);
    assert!((y.sum().compute_on(&c).unwrap()[[]] - expected.sum()).abs() < 1e-9);
    assert_eq!(runs.load(Ordering::SeqCst), 1);

    // a wrong shape is an error, not a panic of the caller
    let wrong = from_delayed(&d, [5, 7]);
    let err = wrong.compute_on(&c).unwrap_err();
    assert!(err.to_string().contains("[7, 5]"), "{err}");
    c.close();
}

#[test]
fn task_graph_has_one_node_per_task_and_edges_from_inputs() {
    let a = delayed(|| 1).name("a");
    let b = a.then(|x| x + 1).name("b");
    let c = a.then(|x| x * 2).name("c");
    let d = delayed2(&b, &c, |x, y| x + y).name("d");
    let g = d.task_graph();
    let labels: Vec<_> = g.nodes.iter().map(|n| n.label.as_str()).collect();
    assert_eq!(labels.len(), 4);
    assert!(g.nodes.iter().all(|n| n.kind == "delayed" && n.tasks == 1));
    let at = |l: &str| labels.iter().position(|&x| x == l).unwrap();
    let mut edges = g.edges.clone();
    edges.sort();
    let mut want = vec![
        (at("a"), at("b")),
        (at("a"), at("c")),
        (at("b"), at("d")),
        (at("c"), at("d")),
    ];
    want.sort();
    assert_eq!(edges, want);
    // inputs come before readers
    assert!(g.edges.iter().all(|&(from, to)| from < to));
    // several results, as the lesson's five calculate_pi calls
    let five: Vec<_> = (0..5)
        .map(|i| delayed(move || i).name("calculate_pi"))
        .collect();
    let g = task_graph(&five);
    assert_eq!(g.nodes.len(), 5);
    assert!(g.edges.is_empty());
}

#[derive(Default)]
struct Recorder {
    stages: Mutex<Vec<String>>,
    tasks: Mutex<Vec<String>>,
    finished: AtomicUsize,
}

impl Monitor for Recorder {
    fn computation_started(&self, stages: &[StageInfo], _started: Instant) {
        self.stages
            .lock()
            .unwrap()
            .extend(stages.iter().map(|s| s.label.clone()));
    }
    fn task_finished(&self, record: &TaskRecord) {
        self.tasks.lock().unwrap().push(record.label.to_string());
    }
    fn computation_finished(&self, report: Option<&spillway::RunReport>) {
        assert!(report.is_some());
        self.finished.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn monitors_see_delayed_tasks() {
    let c = client(2, "64MB");
    let recorder = Arc::new(Recorder::default());
    c.add_monitor(recorder.clone());
    let ds: Vec<_> = (0..3)
        .map(|i| delayed(move || i).name("calculate_pi"))
        .collect();
    compute_all_on(&ds, &c).unwrap();
    assert_eq!(
        *recorder.stages.lock().unwrap(),
        vec!["delayed".to_string()]
    );
    assert_eq!(
        *recorder.tasks.lock().unwrap(),
        vec!["calculate_pi".to_string(); 3]
    );
    assert_eq!(recorder.finished.load(Ordering::SeqCst), 1);
    c.close();
}

#[test]
fn a_task_may_compute_another_on_the_same_client() {
    // one thread: had the inner compute waited for the pool, it would never run
    let c = client(1, "64MB");
    let inner = delayed(|| 21).name("inner");
    let on = c.clone();
    let outer = delayed(move || inner.compute_on(&on).map(|x| x * 2)).name("outer");
    assert_eq!(outer.compute_on(&c).unwrap(), Ok(42));
    c.close();
}

#[test]
fn a_closed_client_is_an_error() {
    let c = client(1, "64MB");
    c.close();
    assert!(matches!(
        delayed(|| 1).compute_on(&c),
        Err(Error::Runtime(spillway::RuntimeError::Closed))
    ));
}

#[test]
fn from_delayed_blocks_reassembles_to_delayed() {
    let c = client(2, "64MB");
    let x = spillway::random::default_rng(3).random([7, 5], [3, 2]);
    let expected = x.compute_on(&c).unwrap();
    let y = from_delayed_blocks(&x.to_delayed(), vec![vec![3, 3, 1], vec![2, 2, 1]]);
    assert_eq!(y.numblocks(), vec![3, 3]);
    assert_eq!(y.compute_on(&c).unwrap(), expected);
    // read across its blocks' edges by an operand chunked otherwise
    let z = spillway::random::default_rng(4).random([7, 5], [2, 5]);
    let sum = (&y + &z).compute_on(&c).unwrap();
    assert_eq!(sum, &expected + &z.compute_on(&c).unwrap());
    assert!((y.sum().compute_on(&c).unwrap()[[]] - expected.sum()).abs() < 1e-9);
    // a block of the wrong shape fails the computation, naming the shapes
    let wrong = from_delayed_blocks(&x.to_delayed(), vec![vec![3, 4], vec![2, 2, 1]]);
    assert!(wrong.check().is_err()); // 6 blocks asked, 9 given
    let blocks: Vec<_> = (0..2)
        .map(|_| delayed(|| ArrayD::<f64>::zeros(vec![2])))
        .collect();
    let err = from_delayed_blocks(&blocks, vec![vec![2, 3]])
        .compute_on(&c)
        .unwrap_err();
    assert!(err.to_string().contains("[3]"), "{err}");
    c.close();
}

#[test]
fn a_reader_starts_as_soon_as_its_own_inputs_are_done() {
    // "slow" waits until "fast_reader" ran: had readers waited for a whole level of tasks
    // (every task with no inputs) to end, it never would
    let c = client(2, "64MB");
    let flag = Arc::new(AtomicUsize::new(0));
    let seen = flag.clone();
    let slow = delayed(move || {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if seen.load(Ordering::SeqCst) == 1 {
                return true;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        false
    })
    .name("slow");
    let fast = delayed(|| 1).name("fast");
    let set = flag.clone();
    let fast_reader = fast
        .then(move |_| {
            set.store(1, Ordering::SeqCst);
            true
        })
        .name("fast_reader");
    assert_eq!(
        compute_all_on(&[slow, fast_reader], &c).unwrap(),
        vec![true, true]
    );
    c.close();
}
