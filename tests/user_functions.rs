//! User functions against in-memory references over random shapes and chunkings:
//! `map_blocks` (per-chunk functions see exactly their chunk), `map_blocks_with`
//! (changed output chunks, block ids), `blockwise` over several inputs,
//! `reduction(chunk, combine, aggregate)` against ndarray folds, and `map_overlap`
//! against a padded-array stencil for every boundary mode. Everything is compared bit
//! for bit (integer data, or float stencils computed in the same order).

mod common;
use common::chunking;
use ndarray::{ArrayD, ArrayViewD, Axis, IxDyn, Slice};
use proptest::prelude::*;
use spillway::array::user::blockwise::blockwise;
use spillway::array::user::overlap::Boundary;
use spillway::{ChunkSpec, Error, from_ndarray};

#[derive(Debug, Clone)]
struct Input {
    data: ArrayD<i64>,
    chunks: Vec<Vec<usize>>,
}

impl Input {
    fn lazy(&self) -> spillway::Array<i64> {
        from_ndarray(self.data.clone(), ChunkSpec::Explicit(self.chunks.clone()))
    }
    /// The chunk boxes: (start, shape) of every block, row-major over the block grid.
    fn blocks(&self) -> Vec<(Vec<usize>, Vec<usize>)> {
        let mut out = vec![(vec![], vec![])];
        for lengths in &self.chunks {
            let mut next = Vec::new();
            for (start, shape) in &out {
                let mut offset = 0;
                for &l in lengths {
                    let (mut s, mut sh) = (start.clone(), shape.clone());
                    s.push(offset);
                    sh.push(l);
                    next.push((s, sh));
                    offset += l;
                }
            }
            out = next;
        }
        out
    }
}

fn input(min_extent: usize, max_ndim: usize) -> impl Strategy<Value = Input> {
    proptest::collection::vec(
        prop_oneof![1 => Just(min_extent.max(1)), 4 => min_extent.max(2)..9usize, 1 => Just(min_extent)],
        0..=max_ndim,
    )
    .prop_flat_map(|shape| {
        let n: usize = shape.iter().product();
        (chunking(&shape), proptest::collection::vec(-50i64..50, n)).prop_map(move |(chunks, data)| {
            Input {
                data: ArrayD::from_shape_vec(IxDyn(&shape), data).unwrap(),
                chunks,
            }
        })
    })
}

fn slice_box<'a>(data: &'a ArrayD<i64>, start: &[usize], shape: &[usize]) -> ArrayViewD<'a, i64> {
    let mut v = data.view();
    v.slice_each_axis_inplace(|d| {
        let a = d.axis.index();
        Slice::from(start[a]..start[a] + shape[a])
    });
    v
}

/// Pads `data` by `depth` on every axis following `boundary` (NumPy's `np.pad` modes:
/// reflect here is `symmetric`, nearest is `edge`, periodic is `wrap`).
fn pad(data: &ArrayD<i64>, depth: &[usize], boundary: Boundary<i64>) -> ArrayD<i64> {
    let mut out = data.clone();
    for (a, &d) in depth.iter().enumerate() {
        let n = out.shape()[a];
        if d == 0 || n == 0 {
            continue;
        }
        let mut shape = out.shape().to_vec();
        shape[a] = n + 2 * d;
        let padded = ArrayD::from_shape_fn(IxDyn(&shape), |idx| {
            let i = idx[a] as isize - d as isize;
            let src = if (0..n as isize).contains(&i) {
                Some(i as usize)
            } else {
                match boundary {
                    Boundary::Constant(_) | Boundary::None => None,
                    Boundary::Nearest => Some(if i < 0 { 0 } else { n - 1 }),
                    Boundary::Periodic => Some(i.rem_euclid(n as isize) as usize),
                    Boundary::Reflect => Some(if i < 0 {
                        (-i - 1) as usize
                    } else {
                        2 * n - i as usize - 1
                    }),
                }
            };
            match src {
                Some(s) => {
                    let mut j = idx.clone();
                    j[a] = s;
                    out[j]
                }
                None => match boundary {
                    Boundary::Constant(c) => c,
                    _ => 0,
                },
            }
        });
        out = padded;
    }
    out
}

/// A stencil: each element becomes the sum of its neighbours within `depth` on each
/// axis (a box sum), where they exist in the given block; elements nearer the block's
/// edge than `depth` keep a partial sum (they are trimmed away or are array edges).
fn box_sum(b: ArrayViewD<'_, i64>, depth: &[usize]) -> ArrayD<i64> {
    let mut out = b.to_owned();
    for (a, &d) in depth.iter().enumerate() {
        let src = out.clone();
        let n = src.shape()[a];
        for (i, mut lane) in out.axis_iter_mut(Axis(a)).enumerate() {
            let lo = i.saturating_sub(d);
            let hi = (i + d + 1).min(n);
            lane.fill(0);
            for j in lo..hi {
                lane += &src.index_axis(Axis(a), j);
            }
        }
    }
    out
}

fn boundary() -> impl Strategy<Value = Boundary<i64>> {
    prop_oneof![
        Just(Boundary::None),
        Just(Boundary::Reflect),
        Just(Boundary::Nearest),
        Just(Boundary::Periodic),
        (-5i64..5).prop_map(Boundary::Constant),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn map_blocks_sees_each_chunk_exactly(x in input(0, 3)) {
        // each block minus its own minimum, plus its number of elements: depends on the
        // whole block, so a wrong block boundary shows
        let y = x.lazy().map_blocks(|b| {
            let m = b.iter().copied().min().unwrap_or(0);
            let n = b.len() as i64;
            b.mapv(|v| v - m + n)
        });
        let got = y.compute().unwrap();
        let mut want = x.data.clone();
        for (start, shape) in x.blocks() {
            let block = slice_box(&x.data, &start, &shape).to_owned();
            let m = block.iter().copied().min().unwrap_or(0);
            let n = block.len() as i64;
            let mut dst = want.view_mut();
            dst.slice_each_axis_inplace(|d| Slice::from(start[d.axis.index()]..start[d.axis.index()] + shape[d.axis.index()]));
            dst.assign(&block.mapv(|v| v - m + n));
        }
        prop_assert_eq!(got, want);
    }

    #[test]
    fn map_blocks_with_new_chunks_and_block_ids(x in input(1, 2)) {
        // every block becomes a single element: its flattened block id
        let numblocks: Vec<usize> = x.chunks.iter().map(Vec::len).collect();
        let out_chunks: Vec<Vec<usize>> = numblocks.iter().map(|&n| vec![1; n]).collect();
        let nb = numblocks.clone();
        let y = x.lazy().map_blocks_with(Some(out_chunks), move |_b, info| {
            let flat = info.block_id.iter().zip(&nb).fold(0usize, |acc, (&i, &n)| acc * n + i);
            ArrayD::from_elem(IxDyn(&vec![1; nb.len()]), flat as i64)
        });
        prop_assert_eq!(y.shape(), numblocks.as_slice());
        let got = y.compute_vec().unwrap();
        let want: Vec<i64> = (0..numblocks.iter().product::<usize>() as i64).collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn blockwise_combines_aligned_chunks(x in input(0, 3), k in -3i64..3) {
        let a = x.lazy();
        let b = a.map(move |v| v * k);
        let c = blockwise(&[&a, &b, &a], None, |blocks, _info| &blocks[0] + &blocks[1] - &blocks[2]);
        prop_assert_eq!(c.compute().unwrap(), x.data.mapv(|v| v * k));
    }

    #[test]
    fn user_reduction_matches_a_fold(x in input(1, 3), axis_pick in 0usize..4, keepdims in any::<bool>()) {
        let a = x.lazy();
        let ndim = x.data.ndim();
        // (sum of squares, max, count) aggregated to sumsq * 1000 + max - count
        let chunk = |xs: &[i64]| (xs.iter().map(|v| v * v).sum::<i64>(), *xs.iter().max().unwrap(), xs.len() as i64);
        let combine = |p: (i64, i64, i64), q: (i64, i64, i64)| (p.0 + q.0, p.1.max(q.1), p.2 + q.2);
        let aggregate = |(s, m, n): (i64, i64, i64)| s * 1000 + m - n;
        let reference = |lane: Vec<i64>| {
            let s: i64 = lane.iter().map(|v| v * v).sum();
            s * 1000 + lane.iter().max().unwrap() - lane.len() as i64
        };
        if ndim == 0 || axis_pick >= ndim {
            let got = a.reduction(None, false, chunk, combine, aggregate).compute_scalar().unwrap();
            prop_assert_eq!(got, reference(x.data.iter().copied().collect()));
        } else {
            let got = a.reduction(Some(&[axis_pick as isize]), keepdims, chunk, combine, aggregate).compute().unwrap();
            let want: Vec<i64> = x.data.lanes(Axis(axis_pick)).into_iter().map(|l| reference(l.to_vec())).collect();
            prop_assert_eq!(got.iter().copied().collect::<Vec<_>>(), want);
            prop_assert_eq!(got.ndim(), if keepdims { ndim } else { ndim - 1 });
        }
    }

    #[test]
    fn map_overlap_equals_a_stencil_on_the_padded_array(
        (x, depth) in input(2, 2).prop_flat_map(|x| {
            // depth at most every chunk but the last, and at most the extent
            let limits: Vec<usize> = x.chunks.iter().zip(x.data.shape()).map(|(c, &e)| {
                c[..c.len() - 1].iter().copied().min().unwrap_or(e).min(e)
            }).collect();
            let depth = limits.iter().map(|&l| 0..=l.min(2)).collect::<Vec<_>>();
            (Just(x), depth)
        }),
        b in boundary(),
    ) {
        let d = depth.clone();
        let y = x.lazy().map_overlap(&depth, b, move |blk| box_sum(blk, &d));
        let got = y.compute().unwrap();
        // reference: pad the whole array, run the stencil once, cut the middle
        let want = match b {
            Boundary::None => box_sum(x.data.view(), &depth),
            _ => {
                let padded = pad(&x.data, &depth, b);
                let full = box_sum(padded.view(), &depth);
                let start = depth.clone();
                slice_box(&full, &start, x.data.shape()).to_owned()
            }
        };
        prop_assert_eq!(got, want);
    }
}

#[test]
fn a_block_of_the_wrong_shape_is_a_task_error_naming_the_block() {
    let x = spillway::arange(0i64, 10, 1, 4);
    let y = x.map_blocks(|b| b.slice(ndarray::s![..1]).to_owned().into_dyn());
    match y.compute() {
        Err(Error::TaskPanicked { op, message, .. }) => {
            assert_eq!(op, "map_blocks");
            assert!(
                message.contains("returned a block of shape [1]"),
                "{message}"
            );
            assert!(
                message.contains("has shape [4]") || message.contains("has shape [2]"),
                "{message}"
            );
        }
        other => panic!("expected a task error, got {other:?}"),
    }
}

#[test]
fn map_blocks_fuses_with_reductions_after_it() {
    let x = spillway::random::default_rng(3).random([300, 40], [70, 40]);
    let doubled = x.map_blocks(|b| b.mapv(|v| v * 2.0));
    let (a, b) = (
        doubled.sum().compute_scalar().unwrap(),
        x.sum().compute_scalar().unwrap(),
    );
    assert!((a - 2.0 * b).abs() < 1e-9 * b.abs());
}
