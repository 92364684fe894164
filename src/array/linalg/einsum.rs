//! `einsum` for the common forms: one or two operands, each index at most once per
//! operand, no index kept in the output that both operands carry (no batch axes).
//!
//! Supported, for example: `"ij,jk->ik"` (matmul), `"ij,ij->"` (vdot), `"i,j->ij"`
//! (outer), `"ijk,jl->ikl"` (tensordot), `"ij,jk->ki"` (a product then a transpose),
//! `"ij->ji"` (transpose), `"ij->i"` and `"ij->"` (sums), and implicit outputs
//! (`"ij,jk"` means `"ij,jk->ik"`). Not supported, with an error that says so: traces and
//! diagonals (`"ii->i"`), batch indices (`"bij,bjk->bik"`), ellipses, three or more
//! operands.

use super::LinalgError;
use super::products::contract;
use crate::array::Array;
use crate::kernels::dense::LinalgFloat;

fn fail<T: LinalgFloat>(subscripts: &str, reason: impl Into<String>) -> Array<T> {
    Array::invalid(LinalgError::Einsum {
        subscripts: subscripts.to_string(),
        reason: reason.into(),
    })
}

/// Sums `x` over the axes whose letters are not in `keep`; returns the array and the
/// letters left, in order.
fn presum<T: LinalgFloat>(x: &Array<T>, letters: &[char], keep: &[char]) -> (Array<T>, Vec<char>) {
    let summed: Vec<isize> = (0..letters.len())
        .filter(|&i| !keep.contains(&letters[i]))
        .map(|i| i as isize)
        .collect();
    let left: Vec<char> = letters
        .iter()
        .copied()
        .filter(|c| keep.contains(c))
        .collect();
    if summed.is_empty() {
        (x.clone(), left)
    } else {
        (x.sum_axes(&summed, false), left)
    }
}

/// Reorders `x`, whose axes carry `have`, into the order `want`.
fn reorder<T: LinalgFloat>(x: Array<T>, have: &[char], want: &[char]) -> Array<T> {
    let perm: Vec<isize> = want
        .iter()
        .map(|c| {
            have.iter()
                .position(|h| h == c)
                .expect("output letters were checked") as isize
        })
        .collect();
    x.transpose_axes(&perm)
}

/// Einstein summation over one or two operands, as `np.einsum` (see the module docs for
/// the forms supported).
///
/// ```
/// use ndarray::array;
/// use spillway::{array::linalg::einsum, from_ndarray};
/// let a = from_ndarray(array![[1.0, 2.0], [3.0, 4.0]], 1);
/// let b = from_ndarray(array![[5.0, 6.0], [7.0, 8.0]], 1);
/// let c = einsum("ij,jk->ki", &[&a, &b]).compute().unwrap();
/// assert_eq!(c, array![[19.0, 43.0], [22.0, 50.0]].into_dyn());
/// assert_eq!(einsum("ij->", &[&a]).compute_scalar().unwrap(), 10.0);
/// assert!(einsum("ii->i", &[&a]).check().is_err());
/// ```
pub fn einsum<T: LinalgFloat>(subscripts: &str, operands: &[&Array<T>]) -> Array<T> {
    for x in operands {
        if let Some(e) = x.error() {
            return Array::invalid(e);
        }
    }
    let text: String = subscripts.chars().filter(|c| !c.is_whitespace()).collect();
    let (inputs, output) = match text.split_once("->") {
        Some((i, o)) => (i.to_string(), Some(o.to_string())),
        None => (text.clone(), None),
    };
    if text.contains('.') {
        return fail(subscripts, "ellipses are not supported; name every axis");
    }
    let terms: Vec<Vec<char>> = inputs.split(',').map(|t| t.chars().collect()).collect();
    if terms.len() != operands.len() {
        return fail(
            subscripts,
            format!(
                "{} operand subscripts for {} operands; give one term per operand",
                terms.len(),
                operands.len()
            ),
        );
    }
    if !(1..=2).contains(&terms.len()) {
        return fail(subscripts, "only one or two operands are supported");
    }
    for (term, x) in terms.iter().zip(operands) {
        if let Some(c) = term.iter().find(|c| !c.is_ascii_alphabetic()) {
            return fail(subscripts, format!("{c:?} is not an index letter"));
        }
        if term.len() != x.ndim() {
            return fail(
                subscripts,
                format!(
                    "term {:?} names {} axes but its operand has shape {}",
                    term.iter().collect::<String>(),
                    term.len(),
                    crate::array::chunks::python_tuple(x.shape())
                ),
            );
        }
        for (i, c) in term.iter().enumerate() {
            if term[i + 1..].contains(c) {
                return fail(
                    subscripts,
                    format!(
                        "index {c:?} repeats within one operand (traces and diagonals are not supported)"
                    ),
                );
            }
        }
    }
    let count = |c: char| terms.iter().filter(|t| t.contains(&c)).count();
    let out: Vec<char> = match output {
        Some(o) => o.chars().collect(),
        None => {
            let mut once: Vec<char> = terms
                .iter()
                .flatten()
                .copied()
                .filter(|&c| count(c) == 1)
                .collect();
            once.sort_unstable();
            once
        }
    };
    for (i, c) in out.iter().enumerate() {
        if count(*c) == 0 {
            return fail(subscripts, format!("output index {c:?} is in no operand"));
        }
        if out[i + 1..].contains(c) {
            return fail(subscripts, format!("output index {c:?} repeats"));
        }
        if count(*c) == 2 {
            return fail(
                subscripts,
                format!(
                    "index {c:?} is in both operands and the output: batch indices are not supported"
                ),
            );
        }
    }
    if terms.len() == 1 {
        let (x, left) = presum(operands[0], &terms[0], &out);
        return reorder(x, &left, &out);
    }
    // letters in one operand only and not in the output are summed first
    let shared: Vec<char> = terms[0]
        .iter()
        .copied()
        .filter(|c| terms[1].contains(c))
        .collect();
    let keep = |c: &char| out.contains(c) || shared.contains(c);
    let keep0: Vec<char> = terms[0].iter().copied().filter(keep).collect();
    let keep1: Vec<char> = terms[1].iter().copied().filter(keep).collect();
    let (a, la) = presum(operands[0], &terms[0], &keep0);
    let (b, lb) = presum(operands[1], &terms[1], &keep1);
    let a_axes: Vec<isize> = shared
        .iter()
        .map(|c| la.iter().position(|x| x == c).expect("shared") as isize)
        .collect();
    let b_axes: Vec<isize> = shared
        .iter()
        .map(|c| lb.iter().position(|x| x == c).expect("shared") as isize)
        .collect();
    let product = contract("einsum", &a, &b, &a_axes, &b_axes);
    let have: Vec<char> = la
        .iter()
        .chain(&lb)
        .copied()
        .filter(|c| !shared.contains(c))
        .collect();
    reorder(product, &have, &out)
}
