//! Writes that would lose data are refused before anything is touched: a write whose
//! target the same computation reads (the same store, one inside it or around it, however
//! the path is spelled), and a `to_zarr` whose plan does not fit the budget (which must
//! not leave an empty store behind).
//!
//! Building a client makes it the current one, so every test of this file holds one lock.

use spillway::array::stored::{StoreOptions, from_store};
use spillway::array::zarr::ToZarr;
use spillway::store::{ChunkStore, MemoryStore};
use spillway::{ArrayError, Client, Error, arange, from_zarr, from_zarr_in_group};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn client(limit: &str) -> Client {
    Client::builder()
        .n_workers(1)
        .threads_per_worker(2)
        .memory_limit(limit)
        .build()
        .unwrap()
}

/// 0..400 as float64 in a 20 x 20 array of 5 x 5 chunks, written to `path`.
fn written(path: &Path) -> Vec<f64> {
    let x = arange(0.0, 400.0, 1.0, 25)
        .reshape(&[20, 20])
        .rechunk([5, 5]);
    x.to_zarr(path).unwrap();
    x.compute_vec().unwrap()
}

fn assert_refused(err: Error, target: &str, read: &str, relation: &str) {
    let text = err.to_string();
    match err {
        Error::Array(ArrayError::WriteOverSource {
            target: t,
            read: r,
            relation: rel,
        }) => {
            assert!(t.ends_with(target), "{t}");
            assert!(r.ends_with(read), "{r}");
            assert_eq!(rel, relation);
        }
        other => panic!("expected WriteOverSource, got {other:?}"),
    }
    assert!(text.contains("write to a new path, then move it"), "{text}");
}

#[test]
fn overwriting_the_array_a_computation_reads_is_refused_and_the_store_is_intact() {
    let _g = serial();
    let client = client("64MB");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.zarr");
    let values = written(&path);
    let x = from_zarr::<f64>(&path);
    let how = ToZarr::default().overwrite(true);
    let err = (&x * 2.0).to_zarr_with(&path, &how).unwrap_err();
    assert_refused(err, "x.zarr", "x.zarr", "is");
    // without overwrite, and resuming, too: nothing was touched
    let err = (&x * 2.0).to_zarr(&path).unwrap_err();
    assert_refused(err, "x.zarr", "x.zarr", "is");
    let err = (&x * 2.0)
        .to_zarr_with(&path, &ToZarr::default().resume(true))
        .unwrap_err();
    assert_refused(err, "x.zarr", "x.zarr", "is");
    assert_eq!(from_zarr::<f64>(&path).compute_vec().unwrap(), values);

    // the fix the message gives works
    let fresh = dir.path().join("x.new.zarr");
    (&x * 2.0).to_zarr(&fresh).unwrap();
    std::fs::remove_dir_all(&path).unwrap();
    std::fs::rename(&fresh, &path).unwrap();
    let doubled: Vec<f64> = values.iter().map(|v| v * 2.0).collect();
    assert_eq!(from_zarr::<f64>(&path).compute_vec().unwrap(), doubled);
    client.close();
}

#[test]
fn the_same_store_spelled_another_way_is_refused() {
    let _g = serial();
    let client = client("64MB");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.zarr");
    written(&path);
    let x = from_zarr::<f64>(&path);
    let how = ToZarr::default().overwrite(true);
    // through `..` and `.`
    let dotted = dir.path().join("sub/../x.zarr/.");
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let err = (&x + 1.0).to_zarr_with(&dotted, &how).unwrap_err();
    assert!(matches!(
        err,
        Error::Array(ArrayError::WriteOverSource { .. })
    ));
    // through a symbolic link to the directory holding it
    #[cfg(unix)]
    {
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(dir.path(), &link).unwrap();
        let err = (&x + 1.0)
            .to_zarr_with(link.join("x.zarr"), &how)
            .unwrap_err();
        assert!(matches!(
            err,
            Error::Array(ArrayError::WriteOverSource { .. })
        ));
    }
    // a path inside the store read
    let err = (&x + 1.0)
        .to_zarr_with(path.join("inner.zarr"), &how)
        .unwrap_err();
    assert_refused(err, "inner.zarr", "x.zarr", "contains");
    // an array read from the same store through another opening, combined with others
    let y = from_zarr::<f64>(&path);
    let z = &(&arange(0.0, 400.0, 1.0, 100).reshape(&[20, 20]) + &y) * 3.0;
    let err = z.to_zarr_with(&path, &how).unwrap_err();
    assert!(matches!(
        err,
        Error::Array(ArrayError::WriteOverSource { .. })
    ));
    // a store beside it is fine
    (&x + 1.0).to_zarr(dir.path().join("x.zarr2")).unwrap();
    client.close();
}

#[test]
fn rewriting_the_group_an_array_is_read_from_is_refused() {
    let _g = serial();
    let client = client("64MB");
    let dir = tempfile::tempdir().unwrap();
    let group = dir.path().join("g.zarr");
    spillway::store::zarr::create_group(&group).unwrap();
    let values = written(&group.join("a"));
    let a = from_zarr_in_group::<f64>(&group, "a");
    let how = ToZarr::default().overwrite(true);
    let err = (&a - 1.0).to_zarr_with(&group, &how).unwrap_err();
    assert_refused(err, "g.zarr", "a", "lies inside");
    assert_eq!(
        from_zarr_in_group::<f64>(&group, "a")
            .compute_vec()
            .unwrap(),
        values
    );
    client.close();
}

#[test]
fn storing_into_the_store_a_computation_reads_is_refused() {
    let _g = serial();
    let client = client("64MB");
    let store: Arc<dyn ChunkStore<i64>> = Arc::new(MemoryStore::new(&[10], &[5], 0i64));
    arange(0i64, 10, 1, 5)
        .store(store.clone(), StoreOptions::default())
        .unwrap();
    let x = from_store(store.clone(), "x", None);
    let err = (&x + 1)
        .store(store.clone(), StoreOptions::default())
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Array(ArrayError::WriteOverSource { relation: "is", .. })
        ),
        "{err:?}"
    );
    assert_eq!(
        from_store(store, "x", None).compute_vec().unwrap(),
        (0..10).collect::<Vec<i64>>()
    );
    client.close();
}

#[test]
fn a_write_refused_at_plan_time_leaves_no_store_and_can_be_retried() {
    let _g = serial();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.zarr");
    // one 400 x 400 float64 chunk (1.28 MB) does not fit a 1 MB budget
    let x = arange(0.0, 160_000.0, 1.0, 160_000)
        .reshape(&[400, 400])
        .rechunk([400, 400]);
    let small = client("1MB");
    let err = x.to_zarr(&path).unwrap_err();
    assert!(matches!(err, Error::Plan(_)), "{err:?}");
    assert!(!path.exists(), "a refused write left {}", path.display());
    small.close();

    let big = client("64MB");
    x.to_zarr(&path).unwrap();
    assert_eq!(
        from_zarr::<f64>(&path).compute_vec().unwrap(),
        x.compute_vec().unwrap()
    );
    big.close();
}
