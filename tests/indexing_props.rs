//! Indexing against an ndarray reference, element for element: random shapes (empty and
//! size-1 axes), random chunkings (chunks of 1, uneven), and random NumPy index tuples
//! of slices (negative bounds and steps, bounds past the ends), integers, one index list
//! or mask, new axes and an ellipsis.
//!
//! The reference follows CPython's `slice.indices` and NumPy's placement of an index
//! list's axis, written independently of spillway's resolution. The test binary runs with
//! tiles of 5 elements, so one chunk is evaluated as many small regions and the node's
//! splitting of sparse selections is exercised.

mod common;
use common::chunking;
use ndarray::{ArrayD, Axis, IxDyn};
use proptest::prelude::*;
use spillway::{Array, ChunkSpec, Ellipsis, IndexElem, NewAxis, from_ndarray, s};

/// Sets tiles of 5 elements (once) and serialises the tests of this binary: one of them
/// builds a client with a small budget, which becomes the process's current client.
fn small_tiles() -> std::sync::MutexGuard<'static, ()> {
    static ONCE: std::sync::Once = std::sync::Once::new();
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    // SAFETY: runs once, before any test of this binary computes (every test calls this
    // first, and `Once` makes the others wait), so no thread reads the environment now.
    ONCE.call_once(|| unsafe { std::env::set_var("SPILLWAY_TILE_ELEMS", "5") });
    let guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    // each test starts on an open current client (a client a test before closed stays
    // current, and computations on it fail with Closed)
    spillway::Client::builder()
        .build()
        .expect("a client with the machine's defaults");
    guard
}

fn extent() -> impl Strategy<Value = usize> {
    prop_oneof![1 => Just(0usize), 2 => Just(1usize), 7 => 2usize..9]
}

/// Values 0..size in C order, chunked as given.
#[derive(Debug, Clone)]
struct Input {
    data: ArrayD<i64>,
    chunks: Vec<Vec<usize>>,
}

impl Input {
    fn lazy(&self) -> Array<i64> {
        from_ndarray(self.data.clone(), ChunkSpec::Explicit(self.chunks.clone()))
    }
}

fn input(max_ndim: usize) -> impl Strategy<Value = Input> {
    proptest::collection::vec(extent(), 0..=max_ndim).prop_flat_map(|shape| {
        let size: usize = shape.iter().product();
        let data = ArrayD::from_shape_vec(IxDyn(&shape), (0..size as i64).collect()).unwrap();
        chunking(&shape).prop_map(move |chunks| Input {
            data: data.clone(),
            chunks,
        })
    })
}

/// A bound for an axis of `n`: missing, or anywhere in `-n-3 .. n+3`.
fn bound(n: usize) -> impl Strategy<Value = Option<isize>> {
    let n = n as isize;
    prop_oneof![1 => Just(None), 3 => (-n - 3..n + 3).prop_map(Some)]
}

fn slice(n: usize) -> BoxedStrategy<IndexElem> {
    (
        bound(n),
        bound(n),
        prop_oneof![3 => Just(1isize), 1 => Just(-1isize), 2 => -4isize..=4],
    )
        .prop_map(|(start, stop, step)| IndexElem::Slice {
            start,
            stop,
            step: if step == 0 { 2 } else { step },
        })
        .boxed()
}

fn elem(n: usize) -> BoxedStrategy<IndexElem> {
    if n == 0 {
        return slice(n);
    }
    let m = n as isize;
    prop_oneof![
        4 => slice(n),
        1 => (-m..m).prop_map(IndexElem::Index),
        1 => proptest::collection::vec(-m..m, 0..6).prop_map(IndexElem::List),
        1 => proptest::collection::vec(any::<bool>(), n).prop_map(IndexElem::Mask),
    ]
    .boxed()
}

/// An input and an index for it: one element per axis (a second list or mask becomes a
/// full slice), new axes inserted, and sometimes trailing axes left to an ellipsis.
fn indexed(max_ndim: usize) -> impl Strategy<Value = (Input, Vec<IndexElem>)> {
    input(max_ndim).prop_flat_map(|inp| {
        let shape = inp.data.shape().to_vec();
        let elems: Vec<BoxedStrategy<IndexElem>> = shape.iter().map(|&n| elem(n)).collect();
        (
            Just(inp),
            elems,
            proptest::collection::vec(0usize..=shape.len(), 0..3),
            0usize..=shape.len(),
            any::<bool>(),
        )
            .prop_map(|(inp, mut elems, new_axes, cut, ellipsis)| {
                let mut seen_array = false;
                for e in &mut elems {
                    if matches!(e, IndexElem::List(_) | IndexElem::Mask(_)) {
                        if seen_array {
                            *e = IndexElem::from(..);
                        }
                        seen_array = true;
                    }
                }
                let mut index = elems[..cut].to_vec();
                if ellipsis {
                    index.push(Ellipsis);
                }
                for p in new_axes {
                    index.insert(p.min(index.len()), NewAxis);
                }
                (inp, index)
            })
    })
}

// ---------------------------------------------------------------------------------------
// the reference

/// CPython's `range(n)[start:stop:step]`.
fn py_slice(start: Option<isize>, stop: Option<isize>, step: isize, n: usize) -> Vec<usize> {
    let n = n as isize;
    let (lower, upper) = if step > 0 { (0, n) } else { (-1, n - 1) };
    let adjust = |v: Option<isize>, default: isize| match v {
        None => default,
        Some(v) if v < 0 => (v + n).max(lower),
        Some(v) => v.min(upper),
    };
    let start = adjust(start, if step > 0 { lower } else { upper });
    let stop = adjust(stop, if step > 0 { upper } else { lower });
    let mut out = Vec::new();
    let mut i = start;
    while (step > 0 && i < stop) || (step < 0 && i > stop) {
        out.push(i as usize);
        i += step;
    }
    out
}

fn numpy_index(data: &ArrayD<i64>, index: &[IndexElem]) -> ArrayD<i64> {
    let ndim = data.ndim();
    let consumed = index
        .iter()
        .filter(|e| !matches!(e, IndexElem::NewAxis | IndexElem::Ellipsis))
        .count();
    let mut full = Vec::new();
    let mut had_ellipsis = false;
    for e in index {
        if *e == Ellipsis {
            had_ellipsis = true;
            full.extend(std::iter::repeat_n(IndexElem::from(..), ndim - consumed));
        } else {
            full.push(e.clone());
        }
    }
    if !had_ellipsis {
        full.extend(std::iter::repeat_n(IndexElem::from(..), ndim - consumed));
    }
    let mut cur = data.clone();
    let mut ax = 0; // axis of `cur` the next element indexes
    let mut input_axis = 0;
    let mut list_axis = None;
    let mut advanced = Vec::new();
    for (pos, e) in full.iter().enumerate() {
        let n = data.shape().get(input_axis).copied().unwrap_or(0) as isize;
        let norm = |i: isize| (if i < 0 { i + n } else { i }) as usize;
        match e {
            IndexElem::Slice { start, stop, step } => {
                let list = py_slice(*start, *stop, *step, n as usize);
                cur = cur.select(Axis(ax), &list);
                ax += 1;
                input_axis += 1;
            }
            IndexElem::Index(i) => {
                cur = cur.index_axis(Axis(ax), norm(*i)).to_owned();
                advanced.push(pos);
                input_axis += 1;
            }
            IndexElem::List(v) => {
                let list: Vec<usize> = v.iter().map(|&i| norm(i)).collect();
                cur = cur.select(Axis(ax), &list);
                list_axis = Some(ax);
                advanced.push(pos);
                ax += 1;
                input_axis += 1;
            }
            IndexElem::Mask(m) => {
                let list: Vec<usize> = (0..m.len()).filter(|&i| m[i]).collect();
                cur = cur.select(Axis(ax), &list);
                list_axis = Some(ax);
                advanced.push(pos);
                ax += 1;
                input_axis += 1;
            }
            IndexElem::NewAxis => {
                cur = cur.insert_axis(Axis(ax));
                ax += 1;
            }
            IndexElem::Ellipsis => unreachable!(),
        }
    }
    if let Some(l) = list_axis
        && !advanced.windows(2).all(|w| w[1] == w[0] + 1)
    {
        let mut perm: Vec<usize> = (0..cur.ndim()).filter(|&a| a != l).collect();
        perm.insert(0, l);
        cur = cur.permuted_axes(perm).as_standard_layout().into_owned();
    }
    cur
}

fn assert_same(lazy: &Array<i64>, want: &ArrayD<i64>, what: &str) -> Result<(), TestCaseError> {
    prop_assert!(lazy.error().is_none(), "{}: {:?}", what, lazy.error());
    prop_assert_eq!(lazy.shape(), want.shape(), "{} shape", what);
    for (axis, c) in lazy.chunks().as_vecs().iter().enumerate() {
        let extent = lazy.shape()[axis];
        prop_assert_eq!(c.iter().sum::<usize>(), extent, "{} chunks {:?}", what, c);
        prop_assert!(
            extent == 0 || c.iter().all(|&c| c > 0),
            "{} chunks {:?}",
            what,
            c
        );
    }
    let got = lazy
        .compute()
        .map_err(|e| TestCaseError::fail(format!("{what}: {e}")))?;
    prop_assert_eq!(&got, want, "{}", what);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// properties

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn index_matches_numpy((inp, index) in indexed(3)) {
        let _g = small_tiles();
        let want = numpy_index(&inp.data, &index);
        assert_same(&inp.lazy().index(&index), &want, &format!("{index:?}"))?;
    }

    #[test]
    fn index_of_an_index_matches((inp, index) in indexed(3), flip in any::<bool>()) {
        let _g = small_tiles();
        // a second selection over the first one's result, reversing its first axis
        let first = numpy_index(&inp.data, &index);
        let second = if flip && first.ndim() > 0 { vec![IndexElem::stepped(.., -2)] } else { vec![] };
        let want = numpy_index(&first, &second);
        let lazy = inp.lazy().index(&index).index(&second);
        assert_same(&lazy, &want, &format!("{index:?} then {second:?}"))?;
    }

    #[test]
    fn selections_feed_and_read_reduction_stages(
        (inp, index) in indexed(3),
        pick in any::<prop::sample::Index>(),
    ) {
        let _g = small_tiles();
        let want = numpy_index(&inp.data, &index);
        let lazy = inp.lazy().index(&index);
        if want.ndim() > 0 {
            // a reduction (a stage when the axis spans chunks) over a selection
            let axis = pick.index(want.ndim());
            let got = lazy.sum_axis(axis as isize);
            assert_same(&got, &want.sum_axis(Axis(axis)), "sum_axis of a selection")?;
        }
        if inp.data.ndim() > 1 {
            // a selection over a reduction's result (read from the stage's stored values)
            let reduced = inp.data.sum_axis(Axis(0));
            let x = inp.lazy().sum_axis(0);
            let rev = vec![IndexElem::stepped(.., -1)];
            assert_same(&x.index(&rev), &numpy_index(&reduced, &rev), "selection of a sum")?;
        }
    }

    #[test]
    fn take_matches_ndarray(
        inp in input(3).prop_filter("an axis", |i| i.data.ndim() > 0),
        axis_pick in any::<prop::sample::Index>(),
        picks in proptest::collection::vec(any::<prop::sample::Index>(), 0..7),
    ) {
        let _g = small_tiles();
        let axis = axis_pick.index(inp.data.ndim());
        let n = inp.data.shape()[axis];
        prop_assume!(n > 0);
        let list: Vec<usize> = picks.iter().map(|p| p.index(n)).collect();
        let signed: Vec<isize> = list.iter().enumerate()
            .map(|(k, &i)| if k % 2 == 1 { i as isize - n as isize } else { i as isize })
            .collect();
        let want = inp.data.select(Axis(axis), &list);
        assert_same(&inp.lazy().take(&signed, axis as isize), &want, "take")?;
    }

    #[test]
    fn lazy_masks_match_ndarray(
        inp in input(3).prop_filter("an axis", |i| i.data.ndim() > 0),
        axis_pick in any::<prop::sample::Index>(),
        threshold in 0i64..100,
    ) {
        let _g = small_tiles();
        let axis = axis_pick.index(inp.data.ndim());
        let n = inp.data.shape()[axis];
        // a lazy mask: (i * 37) % 100 < threshold
        let mask = spillway::arange(0i64, n as i64, 1, 3).map(move |i| (i * 37) % 100 < threshold);
        let list: Vec<usize> = (0..n).filter(|&i| ((i as i64 * 37) % 100) < threshold).collect();
        let want = inp.data.select(Axis(axis), &list);
        assert_same(&inp.lazy().index_mask(&mask, axis as isize), &want, "index_mask")?;
    }

    #[test]
    fn compress_matches_ndarray(
        inp in input(3).prop_filter("an axis", |i| i.data.ndim() > 0),
        axis_pick in any::<prop::sample::Index>(),
        mask in proptest::collection::vec(any::<bool>(), 0..9),
    ) {
        let _g = small_tiles();
        let axis = axis_pick.index(inp.data.ndim());
        let n = inp.data.shape()[axis];
        let mask = &mask[..mask.len().min(n)];
        let list: Vec<usize> = (0..mask.len()).filter(|&i| mask[i]).collect();
        let want = inp.data.select(Axis(axis), &list);
        assert_same(&inp.lazy().compress(mask, axis as isize), &want, "compress")?;
    }
}

// ---------------------------------------------------------------------------------------
// the lesson's lines and Dask's chunks

#[test]
fn lesson_slices() {
    let _g = small_tiles();
    let data = ArrayD::from_shape_vec(IxDyn(&[1000, 1000]), (0..1_000_000i64).collect()).unwrap();
    let x = from_ndarray(data.clone(), [100, 100]);
    let y = x.index(s![..100, 500..100;-2]);
    assert_eq!(y.shape(), &[100, 200]);
    // Dask: chunks keep the input's boundaries within the selection
    assert_eq!(y.chunks().as_vecs()[1], vec![1, 50, 50, 50, 49]);
    let want = numpy_index(&data, &s![..100, 500..100;-2]);
    assert_eq!(y.compute().unwrap(), want);
    let z = x.index(s![.., [10, 1, 5]]).compute().unwrap();
    assert_eq!(z.shape(), &[1000, 3]);
    assert_eq!(
        z.index_axis(ndarray::Axis(0), 7)
            .iter()
            .copied()
            .collect::<Vec<_>>(),
        vec![7010, 7001, 7005]
    );
}

#[test]
fn a_slice_of_a_huge_random_array_computes_only_the_slice() {
    let _g = small_tiles();
    // 100 GB of float64 if it were materialised
    let x = spillway::random::default_rng(7).random([250_000, 50_000], [10_000, 10_000]);
    let part = x.index(s![123_456..123_460, 49_990..;3]).compute().unwrap();
    assert_eq!(part.shape(), &[4, 4]);
    // the same elements, read as a strided window of a smaller selection
    let wider = x.index(s![123_456..123_460, 49_990..]).compute().unwrap();
    for i in 0..4 {
        for j in 0..4 {
            assert_eq!(part[[i, j]].to_bits(), wider[[i, 3 * j]].to_bits());
        }
    }
}

#[test]
fn macro_forms() {
    let x = spillway::zeros::<u8>([4, 5, 6], 2);
    let i = 2usize;
    assert_eq!(x.index(s![i, .., -1]).shape(), &[5]);
    assert_eq!(x.index(s![1.., ..3, 4..;2]).shape(), &[3, 3, 1]);
    assert_eq!(x.index(s![Ellipsis, NewAxis]).shape(), &[4, 5, 6, 1]);
    assert_eq!(x.index(s![[true, false, true, true]]).shape(), &[3, 5, 6]);
    assert_eq!(x.index(s![..;-1, vec![0usize, 0, 0]]).shape(), &[4, 3, 6]);
    // an index list and an integer separated by a slice: the list's axis goes first
    assert_eq!(x.index(s![1, .., [0, 1]]).shape(), &[2, 5]);
    assert_eq!(x.index(s![.., 1, [0, 1]]).shape(), &[4, 2]);
}

#[test]
fn selections_stream_under_a_small_budget() {
    let _g = small_tiles();
    let client = spillway::Client::builder()
        .n_workers(1)
        .threads_per_worker(2)
        .memory_limit("2MB")
        .build()
        .unwrap();
    // 32 MB of int64, sixteen times the budget: reversed rows, every third column, flipped
    let x = spillway::arange(0i64, 4_000_000, 1, 100_000).reshape(&[2000, 2000]);
    let y = x.index(s![..;-1, 1..;3]).flip(1).take(&[5, 0, -1], 0);
    let (sums, report) = y.sum_axis(0).compute_with_report().unwrap();
    client.close();
    assert!(
        report.peak_reserved_bytes <= report.budget_bytes,
        "{report}"
    );
    assert_eq!(report.budget_bytes, 2_000_000);
    // rows 1994, 1999 and 0; column j of the result is input column 1 + 3 * (666 - j)
    for (j, &s) in sums.iter().enumerate() {
        let col = 1 + 3 * (666 - j as i64);
        assert_eq!(s, (1994 + 1999) * 2000 + 3 * col, "column {j}");
    }
}
