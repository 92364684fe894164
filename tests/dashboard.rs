//! The dashboard over real HTTP: `/status.json` after a computation, memory split by
//! worker, the page, a taken port, and the port freed by `close()`.

use serde_json::Value;
use spillway::{Client, DashboardExt, RuntimeError};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// Building a client changes `Client::current`; keep these tests apart.
fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    let guard = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    // each test starts on an open current client (a client a test before closed stays
    // current, and computations on it fail with Closed)
    spillway::Client::builder()
        .build()
        .expect("a client with the machine's defaults");
    guard
}

/// The `host:port` of a dashboard URL such as `http://127.0.0.1:1234/status`.
fn address_of(url: &str) -> SocketAddr {
    let rest = url.strip_prefix("http://").expect("an http URL");
    let host_port = rest.split('/').next().expect("host and port");
    host_port.parse().expect("a socket address")
}

/// A plain HTTP/1.0 GET; returns the status code and the body.
fn get(address: SocketAddr, path: &str) -> (u16, String) {
    request(address, "GET", path)
}

/// A plain HTTP/1.0 request without a body; returns the status code and the body.
fn request(address: SocketAddr, method: &str, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(5)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: {address}\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").expect("headers end");
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("a status line");
    (status, body.to_string())
}

#[test]
fn status_json_describes_the_computation() {
    let _g = serial();
    let client = Client::builder()
        .n_workers(2)
        .threads_per_worker(1)
        .memory_limit("32MB")
        .dashboard("127.0.0.1:0")
        .build()
        .unwrap();
    let url = client.dashboard_url().expect("a dashboard");
    assert!(url.starts_with("http://127.0.0.1:") && url.ends_with("/status"));
    assert!(client.to_string().ends_with(&format!("  dashboard: {url}")));
    let address = address_of(&url);

    let x = spillway::ones::<f64>((400, 4), (50, 4));
    let (_, report) = (&x + 1.0).sum().compute_with_report().unwrap();

    let (status, body) = get(address, "/status.json");
    assert_eq!(status, 200);
    let json: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["version"], 1);
    assert_eq!(json["client"]["workers"], 2);
    assert_eq!(json["client"]["total_threads"], 2);
    assert_eq!(json["client"]["dashboard"], url.as_str());
    assert_eq!(json["memory"]["limit"], client.total_memory());
    assert_eq!(json["client"]["total_memory"], client.total_memory());
    assert_eq!(json["memory"]["shared_by_workers"], true);
    assert!(!json["memory"]["samples"].as_array().unwrap().is_empty());
    // Memory per worker: each sample splits its total by worker ("0".."n_workers - 1")
    // and "client", and the parts sum to the total.
    let samples = json["memory"]["samples"].as_array().unwrap();
    let worker_samples = json["memory"]["worker_samples"].as_array().unwrap();
    assert_eq!(worker_samples.len(), samples.len());
    for (sample, split) in samples.iter().zip(worker_samples) {
        assert_eq!(split[0], sample[0]);
        assert_eq!(split[1], sample[1]);
        let parts = split[2].as_object().expect("a map of worker to bytes");
        let mut sum = 0;
        for (key, bytes) in parts {
            let known = key == "client" || key.parse::<usize>().is_ok_and(|w| w < 2);
            assert!(known, "unexpected worker key {key:?}");
            let bytes = bytes.as_u64().unwrap();
            assert!(bytes > 0);
            sum += bytes;
        }
        assert_eq!(sum, split[1].as_u64().unwrap());
    }
    assert_eq!(json["spill"]["supported"], true);
    assert_eq!(json["spill"]["spilled_bytes"], report.io.spilled_bytes);
    assert_eq!(json["spill"]["read_bytes"], report.io.reread_bytes);
    assert_eq!(json["spill"]["computations"], 1);

    let computations = json["computations"].as_array().unwrap();
    assert_eq!(computations.len(), 1);
    let c = &computations[0];
    assert_eq!(c["status"], "done");
    assert_eq!(c["tasks"], report.tasks);
    assert_eq!(c["done"], c["tasks"]);
    let stages = c["stages"].as_array().unwrap();
    assert_eq!(stages.len(), report.stages.len());
    for (stage, want) in stages.iter().zip(&report.stages) {
        assert_eq!(stage["label"], want.label.as_str());
        assert_eq!(stage["tasks"], want.tasks);
        assert_eq!(stage["done"], want.tasks);
        assert_eq!(stage["status"], "done");
    }
    // The first stage maps and sums the eight row blocks.
    assert_eq!(stages[0]["tasks"], 8);
    assert!(stages[0]["label"].as_str().unwrap().contains("sum"));

    let records = json["tasks"]["records"].as_array().unwrap();
    assert_eq!(records.len(), report.tasks);
    assert_eq!(json["tasks"]["seen"], report.tasks);
    for r in records {
        assert_eq!(r["computation"], c["id"]);
        assert!(r["thread"].as_u64().unwrap() < 2);
        assert!(r["start"].as_f64().unwrap() <= r["end"].as_f64().unwrap());
    }

    let (status, page) = get(address, "/");
    assert_eq!(status, 200);
    assert!(page.contains("<title>spillway dashboard</title>"));
    assert!(page.contains("/status.json"));
    assert_eq!(get(address, "/status").0, 200);
    assert_eq!(get(address, "/nope").0, 404);
    assert_eq!(request(address, "DELETE", "/status.json").0, 405);

    client.close();
    assert_eq!(client.dashboard_url(), None);
    assert!(client.to_string().ends_with("  dashboard: none"));
    TcpListener::bind(address).expect("close() frees the port");
}

#[test]
fn the_spill_panel_counts_what_spilled() {
    let _g = serial();
    // A 16 MB input in row chunks, written under a roomy budget.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.zarr");
    let roomy = Client::builder().memory_limit("256MB").build().unwrap();
    spillway::random::default_rng(3)
        .random((4000, 500), (100, 500))
        .to_zarr(&path)
        .unwrap();
    roomy.close();

    let client = Client::builder()
        .n_workers(1)
        .threads_per_worker(2)
        .memory_limit("4MB")
        .dashboard("127.0.0.1:0")
        .build()
        .unwrap();
    let address = address_of(&client.dashboard_url().unwrap());
    // Rows to columns: the rechunked intermediate cannot stay in a 4 MB budget.
    let (_, report) = spillway::from_zarr::<f64>(&path)
        .rechunk((4000, 25))
        .sum_axis(0)
        .compute_with_report()
        .unwrap();
    assert!(report.io.spilled_bytes > 0, "the workload spills: {report}");
    assert!(report.io.reread_bytes > 0, "and reads back: {report}");

    let (status, body) = get(address, "/status.json");
    assert_eq!(status, 200);
    let json: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["spill"]["supported"], true);
    assert_eq!(json["spill"]["spilled_bytes"], report.io.spilled_bytes);
    assert_eq!(json["spill"]["read_bytes"], report.io.reread_bytes);
    assert_eq!(json["spill"]["computations"], 1);
    let c = &json["computations"][0];
    assert_eq!(c["spilled_bytes"], report.io.spilled_bytes);
    assert_eq!(c["reread_bytes"], report.io.reread_bytes);
    client.close();
}

#[test]
fn a_taken_port_is_a_typed_error() {
    let _g = serial();
    let holder = TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = holder.local_addr().unwrap().to_string();
    let err = Client::builder()
        .n_workers(1)
        .threads_per_worker(1)
        .memory_limit("8MB")
        .dashboard(taken.as_str())
        .build()
        .unwrap_err();
    assert_eq!(
        err,
        RuntimeError::DashboardAddressInUse {
            address: taken.clone()
        }
    );
    let text = err.to_string();
    assert!(text.contains(&taken) && text.contains("already in use"));
    assert!(text.contains("127.0.0.1:0"));

    let err = Client::builder()
        .n_workers(1)
        .memory_limit("8MB")
        .dashboard("not an address")
        .build()
        .unwrap_err();
    assert!(matches!(err, RuntimeError::DashboardAddress { .. }));
}

#[test]
fn memory_is_split_by_worker() {
    let _g = serial();
    let client = Client::builder()
        .n_workers(2)
        .threads_per_worker(2)
        .memory_limit("8MB")
        .dashboard("127.0.0.1:0")
        .build()
        .unwrap();
    let address = address_of(&client.dashboard_url().unwrap());
    // Reserve on a pool thread (worker 0 or 1) and on this thread (the "client").
    let (worker, mut on_pool) = client.pool().install(|| {
        let r = client.budget().consumer("held by a worker").register();
        (client.current_worker().unwrap(), r)
    });
    on_pool.try_grow(3 << 20).unwrap();
    let mut here = client.budget().consumer("held by the caller").register();
    here.try_grow(1 << 20).unwrap();
    let want = (worker.to_string(), 3u64 << 20);

    // The server samples every 250 ms: wait for a sample with both.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (status, body) = get(address, "/status.json");
        assert_eq!(status, 200);
        let json: Value = serde_json::from_str(&body).unwrap();
        let samples = json["memory"]["worker_samples"].as_array().unwrap();
        for split in samples {
            let parts = split[2].as_object().unwrap();
            let sum: u64 = parts.values().map(|b| b.as_u64().unwrap()).sum();
            assert_eq!(sum, split[1].as_u64().unwrap());
            for key in parts.keys() {
                assert!(key == "client" || key.parse::<usize>().is_ok_and(|w| w < 2));
            }
        }
        let last = &samples.last().unwrap()[2];
        if last[&want.0] == want.1 && last["client"] == 1u64 << 20 {
            assert_eq!(last.as_object().unwrap().len(), 2);
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no sample split the memory: {last}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    drop((on_pool, here));
    client.close();
}
