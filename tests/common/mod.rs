//! Strategies shared by the property tests: chunkings of an axis and of a shape.

// each test binary uses only some of these helpers
#![allow(dead_code)]

use proptest::prelude::*;

/// Chunk lengths for one axis of `extent`: either regular (`size, size, .., rest`) or an
/// arbitrary partition into positive lengths (chunks of 1 included).
pub fn axis_chunks(extent: usize) -> BoxedStrategy<Vec<usize>> {
    if extent == 0 {
        return Just(vec![0]).boxed();
    }
    let regular = (1..=extent).prop_map(move |size| {
        let mut out = vec![size; extent / size];
        if !extent.is_multiple_of(size) {
            out.push(extent % size);
        }
        out
    });
    let arbitrary = proptest::collection::vec(any::<bool>(), extent - 1).prop_map(|cuts| {
        let mut out = Vec::new();
        let mut len = 1;
        for cut in cuts {
            if cut {
                out.push(len);
                len = 1;
            } else {
                len += 1;
            }
        }
        out.push(len);
        out
    });
    prop_oneof![regular, arbitrary].boxed()
}

/// A chunking of every axis of `shape`.
pub fn chunking(shape: &[usize]) -> BoxedStrategy<Vec<Vec<usize>>> {
    shape
        .iter()
        .map(|&e| axis_chunks(e))
        .collect::<Vec<_>>()
        .boxed()
}
