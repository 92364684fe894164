//! Shape manipulation against ndarray, element for element: random shapes (empty and
//! size-1 axes), random chunkings (chunks of 1, uneven; operands of concatenate and stack
//! chunked independently). The test binary runs with tiles of 5 elements, so each chunk
//! is evaluated as many small regions.

mod common;
use common::chunking;
use ndarray::{ArrayD, Axis, IxDyn, Slice};
use proptest::prelude::*;
use spillway::{Array, ChunkSpec, concatenate, from_ndarray, stack};

fn small_tiles() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    // SAFETY: runs once, before any test of this binary computes (every test calls this
    // first, and `Once` makes the others wait), so no thread reads the environment now.
    ONCE.call_once(|| unsafe { std::env::set_var("SPILLWAY_TILE_ELEMS", "5") });
}

fn extent() -> impl Strategy<Value = usize> {
    prop_oneof![1 => Just(0usize), 2 => Just(1usize), 7 => 2usize..8]
}

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

/// Distinct values (offset by `base`) in C order over `shape`, with a random chunking.
fn input_of(shape: Vec<usize>, base: i64) -> BoxedStrategy<Input> {
    let size: usize = shape.iter().product();
    let data = ArrayD::from_shape_vec(IxDyn(&shape), (base..base + size as i64).collect()).unwrap();
    chunking(&shape)
        .prop_map(move |chunks| Input {
            data: data.clone(),
            chunks,
        })
        .boxed()
}

fn input(min_ndim: usize, max_ndim: usize) -> impl Strategy<Value = Input> {
    proptest::collection::vec(extent(), min_ndim..=max_ndim).prop_flat_map(|s| input_of(s, 0))
}

/// An input with at least one axis, and one of its axes.
fn with_axis(max_ndim: usize) -> impl Strategy<Value = (Input, usize)> {
    input(1, max_ndim).prop_flat_map(|i| {
        let nd = i.data.ndim();
        (Just(i), 0..nd)
    })
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

/// A shape of the same size as `shape`: its extents' prime factors regrouped at random
/// (size-0 shapes keep a 0 somewhere).
fn same_size_shape(shape: Vec<usize>) -> BoxedStrategy<Vec<usize>> {
    let size: usize = shape.iter().product();
    if size == 0 {
        return (proptest::collection::vec(0usize..4, 0..3), 0usize..3)
            .prop_map(|(mut s, at)| {
                s.insert(at.min(s.len()), 0);
                s
            })
            .boxed();
    }
    let mut factors = Vec::new();
    let mut n = size;
    let mut p = 2;
    while n > 1 {
        while n.is_multiple_of(p) {
            factors.push(p);
            n /= p;
        }
        p += 1;
    }
    let count = factors.len();
    (
        proptest::collection::vec(0usize..4, count),
        proptest::collection::vec(0usize..4, 0..2),
    )
        .prop_map(move |(slots, ones)| {
            let mut out = vec![1usize; 4];
            for (f, s) in factors.iter().zip(slots) {
                out[s] *= f;
            }
            // drop some 1 extents, keep others
            let mut kept: Vec<usize> = out
                .into_iter()
                .enumerate()
                .filter(|&(i, e)| e != 1 || ones.contains(&i))
                .map(|(_, e)| e)
                .collect();
            if kept.is_empty() && !ones.is_empty() {
                kept.push(1);
            }
            kept
        })
        .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn reshape_matches_ndarray(
        (inp, to) in input(0, 3).prop_flat_map(|i| {
            let s = i.data.shape().to_vec();
            (Just(i), same_size_shape(s))
        }),
        infer in any::<prop::sample::Index>(),
    ) {
        small_tiles();
        let want = inp.data.clone().into_shape_with_order(IxDyn(&to)).unwrap();
        let mut signed: Vec<isize> = to.iter().map(|&e| e as isize).collect();
        if !to.is_empty() && !to.contains(&0) {
            signed[infer.index(to.len())] = -1;
        }
        assert_same(&inp.lazy().reshape(&signed), &want, &format!("reshape to {signed:?}"))?;
        let flat = inp.data.iter().copied().collect::<Vec<_>>();
        let want = ArrayD::from_shape_vec(IxDyn(&[flat.len()]), flat).unwrap();
        assert_same(&inp.lazy().ravel(), &want, "ravel")?;
        // through a transpose: a reshape of values that are not in C order in memory
        let t = inp.data.t().as_standard_layout().into_owned();
        let want = t.into_shape_with_order(IxDyn(&to)).unwrap();
        assert_same(&inp.lazy().t().reshape(&signed), &want, "transpose then reshape")?;
    }

    #[test]
    fn squeeze_and_expand_dims_match_ndarray(inp in input(0, 3), at in any::<prop::sample::Index>()) {
        small_tiles();
        let kept: Vec<usize> = inp.data.shape().iter().copied().filter(|&e| e != 1).collect();
        let want = inp.data.clone().into_shape_with_order(IxDyn(&kept)).unwrap();
        assert_same(&inp.lazy().squeeze(None), &want, "squeeze")?;
        let nd = inp.data.ndim();
        let a = at.index(nd + 1);
        let want = inp.data.clone().insert_axis(Axis(a));
        assert_same(&inp.lazy().expand_dims(a as isize), &want, "expand_dims")?;
        let neg = a as isize - nd as isize - 1;
        assert_same(&inp.lazy().expand_dims(neg), &want, "expand_dims negative")?;
        if let Some(one) = inp.data.shape().iter().position(|&e| e == 1) {
            let want = inp.data.index_axis(Axis(one), 0).to_owned();
            assert_same(&inp.lazy().squeeze(Some(one as isize)), &want, "squeeze one")?;
        }
    }

    #[test]
    fn swapaxes_and_moveaxis_match_ndarray(
        (inp, a) in with_axis(3),
        b_pick in any::<prop::sample::Index>(),
    ) {
        small_tiles();
        let nd = inp.data.ndim();
        let b = b_pick.index(nd);
        let mut v = inp.data.clone();
        v.swap_axes(a, b);
        let want = v.as_standard_layout().into_owned();
        assert_same(&inp.lazy().swapaxes(a as isize, b as isize - nd as isize), &want, "swapaxes")?;
        // moveaxis: the remaining axes in order, `a` inserted at `b`
        let mut order: Vec<usize> = (0..nd).filter(|&k| k != a).collect();
        order.insert(b, a);
        let want = inp.data.clone().permuted_axes(order).as_standard_layout().into_owned();
        assert_same(&inp.lazy().moveaxis(a as isize, b as isize), &want, "moveaxis")?;
    }

    #[test]
    fn flip_and_roll_match_ndarray((inp, a) in with_axis(3), shift in -9isize..9) {
        small_tiles();
        let want = inp.data.slice_axis(Axis(a), Slice::new(0, None, -1)).to_owned();
        assert_same(&inp.lazy().flip(a as isize), &want, "flip")?;
        // roll: the element at i moves to (i + shift) mod n
        let n = inp.data.shape()[a];
        let mut src = vec![0usize; n];
        for i in 0..n {
            src[(i as isize + shift).rem_euclid(n as isize) as usize] = i;
        }
        let want = inp.data.select(Axis(a), &src);
        assert_same(&inp.lazy().roll(shift, a as isize), &want, &format!("roll {shift}"))?;
    }

    #[test]
    fn repeat_and_tile_match_ndarray(
        (inp, a) in with_axis(3),
        repeats in 0usize..4,
        reps in proptest::collection::vec(0usize..3, 0..4),
    ) {
        small_tiles();
        let n = inp.data.shape()[a];
        let src: Vec<usize> = (0..n).flat_map(|i| std::iter::repeat_n(i, repeats)).collect();
        let want = inp.data.select(Axis(a), &src);
        assert_same(&inp.lazy().repeat(repeats, a as isize), &want, "repeat")?;
        // tile: pad the shape (or reps) with leading 1s, then concatenate copies per axis
        let nd = inp.data.ndim().max(reps.len());
        let mut r = vec![1usize; nd - reps.len()];
        r.extend(&reps);
        let mut shape = vec![1usize; nd - inp.data.ndim()];
        shape.extend(inp.data.shape());
        let mut want = inp.data.clone().into_shape_with_order(IxDyn(&shape)).unwrap();
        for (axis, &k) in r.iter().enumerate() {
            let views: Vec<_> = (0..k).map(|_| want.view()).collect();
            want = if k == 0 {
                let mut s = want.shape().to_vec();
                s[axis] = 0;
                ArrayD::zeros(IxDyn(&s))
            } else {
                ndarray::concatenate(Axis(axis), &views).unwrap()
            };
        }
        assert_same(&inp.lazy().tile(&reps), &want, &format!("tile {reps:?}"))?;
    }

    #[test]
    fn broadcast_to_matches_ndarray(
        inp in input(0, 3),
        lead in proptest::collection::vec(0usize..3, 0..2),
        grow in proptest::collection::vec(0usize..4, 3),
    ) {
        small_tiles();
        let mut shape = lead.clone();
        for (k, &e) in inp.data.shape().iter().enumerate() {
            shape.push(if e == 1 { grow[k] } else { e });
        }
        let want = inp.data.broadcast(IxDyn(&shape)).unwrap().to_owned();
        assert_same(&inp.lazy().broadcast_to(&shape), &want, &format!("broadcast_to {shape:?}"))?;
    }

    #[test]
    fn pad_matches_ndarray(inp in input(0, 3), widths in proptest::collection::vec((0usize..3, 0usize..3), 3)) {
        small_tiles();
        let nd = inp.data.ndim();
        let widths = &widths[..nd];
        let shape: Vec<usize> = (0..nd).map(|k| inp.data.shape()[k] + widths[k].0 + widths[k].1).collect();
        let mut want = ArrayD::from_elem(IxDyn(&shape), -7i64);
        let mut view = want.view_mut();
        for (k, &(before, _)) in widths.iter().enumerate() {
            view.slice_axis_inplace(Axis(k), Slice::from(before..before + inp.data.shape()[k]));
        }
        view.assign(&inp.data);
        assert_same(&inp.lazy().pad(widths, -7), &want, &format!("pad {widths:?}"))?;
    }

    #[test]
    fn sliding_window_view_matches_ndarray(inp in input(1, 3), pick in 0usize..64, size in 1usize..8) {
        small_tiles();
        let nd = inp.data.ndim();
        let a = pick % nd;
        let n = inp.data.shape()[a];
        let got = inp.lazy().sliding_window_view(size, a as isize);
        if size > n {
            prop_assert!(got.check().is_err(), "a window of {} on an axis of {} must be refused", size, n);
            return Ok(());
        }
        let mut shape = inp.data.shape().to_vec();
        shape[a] = n - size + 1;
        shape.push(size);
        let want = ArrayD::from_shape_fn(IxDyn(&shape), |idx| {
            let mut src: Vec<usize> = (0..nd).map(|k| idx[k]).collect();
            src[a] += idx[nd];
            inp.data[IxDyn(&src)]
        });
        assert_same(&got, &want, &format!("sliding_window_view({size}, {a})"))?;
        // a rolling sum: the window axis reduced, read across chunk edges
        let sums = want.sum_axis(Axis(nd));
        let rolled = got.sum_axis(-1).compute().unwrap();
        prop_assert_eq!(rolled, sums);
        // the windowed axis keeps the input's chunks, trimmed at the end
        let cut: usize = got.chunks().as_vecs()[a].iter().sum();
        prop_assert_eq!(cut, n - size + 1);
        for (g, c) in got.chunks().as_vecs()[a].iter().zip(&inp.chunks[a]) {
            prop_assert!(g <= c);
        }
    }

    #[test]
    fn concatenate_and_stack_match_ndarray(
        (parts, axis) in proptest::collection::vec(extent(), 1..=3).prop_flat_map(|shape| {
            let nd = shape.len();
            (Just(shape), 0..nd, proptest::collection::vec(extent(), 1..4))
        }).prop_flat_map(|(shape, axis, lens)| {
            let parts: Vec<BoxedStrategy<Input>> = lens.iter().enumerate().map(|(k, &len)| {
                let mut s = shape.clone();
                s[axis] = len;
                input_of(s, 1000 * k as i64)
            }).collect();
            (parts, Just(axis))
        }),
    ) {
        small_tiles();
        let views: Vec<_> = parts.iter().map(|p| p.data.view()).collect();
        let want = ndarray::concatenate(Axis(axis), &views).unwrap();
        let lazy: Vec<Array<i64>> = parts.iter().map(Input::lazy).collect();
        let got = concatenate(&lazy, axis as isize);
        assert_same(&got, &want, "concatenate")?;
        let along: Vec<usize> = parts.iter().flat_map(|p| p.chunks[axis].clone()).filter(|&c| c > 0).collect();
        if !along.is_empty() {
            prop_assert_eq!(&got.chunks().as_vecs()[axis], &along);
        }
        // stack: arrays of the first one's shape
        // stack: copies of the first input with values shifted, the copies chunked by 1
        let ones: Vec<Vec<usize>> = parts[0].data.shape().iter()
            .map(|&e| if e == 0 { vec![0] } else { vec![1; e] })
            .collect();
        let same: Vec<Input> = (0..parts.len()).map(|k| Input {
            data: parts[0].data.mapv(|v| v + 1000 * k as i64),
            chunks: if k == 0 { parts[0].chunks.clone() } else { ones.clone() },
        }).collect();
        let views: Vec<_> = same.iter().map(|p| p.data.view()).collect();
        for new_axis in 0..=parts[0].data.ndim() {
            let want = ndarray::stack(Axis(new_axis), &views).unwrap();
            let lazy: Vec<Array<i64>> = same.iter().map(Input::lazy).collect();
            let got = stack(&lazy, new_axis as isize);
            assert_same(&got, &want, "stack")?;
            prop_assert_eq!(&got.chunks().as_vecs()[new_axis], &vec![1; same.len()]);
        }
    }
}

/// A regularly chunked 2-D array held in a store (its evaluators share whole blocks, which
/// a transpose reads in place), with the same values in memory.
fn stored_2d() -> impl Strategy<Value = (ArrayD<i64>, Array<i64>)> {
    (1usize..12, 1usize..12, 1usize..8, 1usize..8).prop_map(|(rows, cols, cr, cc)| {
        use spillway::array::stored::{StoreOptions, from_store};
        use spillway::store::{ChunkStore, MemoryStore};
        let data = ArrayD::from_shape_vec(
            IxDyn(&[rows, cols]),
            (0..(rows * cols) as i64).map(|v| v * 7 - 30).collect(),
        )
        .unwrap();
        let store = std::sync::Arc::new(MemoryStore::new(&[rows, cols], &[cr, cc], 0i64));
        from_ndarray(data.clone(), ChunkSpec::PerAxis(vec![cr, cc]))
            .store(store.clone(), StoreOptions::default())
            .unwrap();
        let x = from_store(store as std::sync::Arc<dyn ChunkStore<i64>>, "x", None);
        (data, x)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn transpose_of_stored_blocks_matches_ndarray((data, x) in stored_2d()) {
        small_tiles();
        let want = data.t().to_owned();
        assert_same(&x.t(), &want, "x.T")?;
        assert_same(&(&x.t() * 3i64), &(&want * 3), "3 * x.T")?;
        // transposed twice: an array of the input's chunking read through two layouts
        assert_same(&x.t().t(), &data, "x.T.T")?;
        if data.shape()[0] == data.shape()[1] {
            let sum = &data + &want;
            assert_same(&(&x + &x.t()), &sum, "x + x.T")?;
        }
    }
}
