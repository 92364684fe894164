//! Complex arrays (`complex64`, `complex128`): arithmetic, elementary functions and
//! reductions against `num-complex` and hand-computed values, whatever the chunking; casts
//! and promotion; zarr and spill round trips; and the operations NumPy and the array API
//! standard leave undefined for complex numbers refused by name.

use num_complex::Complex as Nc;
use proptest::prelude::*;
use spillway::DType;
use spillway::array::dynamic::{AnyArray, BinaryOp, FloatFn, Reduction, Scalar, UnaryOp};
use spillway::dtype::{Complex64, Complex128};

fn array(values: &[(f64, f64)], chunk: usize) -> AnyArray {
    let v: Vec<Complex128> = values
        .iter()
        .map(|&(re, im)| Complex128::new(re, im))
        .collect();
    AnyArray::from(spillway::from_ndarray(ndarray::Array1::from(v), chunk))
}

fn values(a: &AnyArray) -> Vec<Complex128> {
    a.typed::<Complex128>().compute_vec().unwrap()
}

fn close(got: Complex128, want: Nc<f64>, what: &str) -> Result<(), TestCaseError> {
    let tol = |w: f64| 1e-12 * w.abs().max(1.0);
    let part = |g: f64, w: f64| g == w || (g - w).abs() <= tol(w);
    prop_assert!(
        part(got.re, want.re) && part(got.im, want.im),
        "{}: got {} want {}",
        what,
        got,
        want
    );
    Ok(())
}

fn part() -> impl Strategy<Value = f64> {
    (-40i32..40).prop_map(|k| k as f64 / 8.0)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Binary operators and unary functions equal num-complex's, elementwise, over any
    /// chunking of either operand.
    #[test]
    fn operations_match_num_complex(
        xs in prop::collection::vec((part(), part()), 1..30),
        c1 in 1usize..8,
        c2 in 1usize..8,
    ) {
        let n = xs.len();
        let ys: Vec<(f64, f64)> = xs.iter().rev().map(|&(a, b)| (b + 0.5, a - 0.25)).collect();
        let (a, b) = (array(&xs, c1), array(&ys, c2));
        let nx: Vec<Nc<f64>> = xs.iter().map(|&(r, i)| Nc::new(r, i)).collect();
        let ny: Vec<Nc<f64>> = ys.iter().map(|&(r, i)| Nc::new(r, i)).collect();
        type Reference = fn(Nc<f64>, Nc<f64>) -> Nc<f64>;
        let binary: [(BinaryOp, Reference); 4] = [
            (BinaryOp::Add, |x, y| x + y),
            (BinaryOp::Sub, |x, y| x - y),
            (BinaryOp::Mul, |x, y| x * y),
            (BinaryOp::TrueDiv, |x, y| x / y),
        ];
        for (op, f) in binary {
            let got = values(&a.binary(op, &b));
            for k in 0..n {
                // by zero: num-complex gives NaN + NaN j, NumPy (and spillway) infinities;
                // special_values_are_numpys checks those
                if op == BinaryOp::TrueDiv && ny[k] == Nc::new(0.0, 0.0) {
                    continue;
                }
                close(got[k], f(nx[k], ny[k]), op.name())?;
            }
        }
        type Unary = fn(Nc<f64>) -> Nc<f64>;
        let unary: [(FloatFn, Unary); 11] = [
            (FloatFn::Arcsin, |z| z.asin()),
            (FloatFn::Arccos, |z| z.acos()),
            (FloatFn::Arctan, |z| z.atan()),
            (FloatFn::Exp, |z| z.exp()),
            (FloatFn::Log, |z| z.ln()),
            (FloatFn::Sqrt, |z| z.sqrt()),
            (FloatFn::Sin, |z| z.sin()),
            (FloatFn::Tanh, |z| z.tanh()),
            (FloatFn::Expm1, |z| z.exp() - 1.0),
            (FloatFn::Log1p, |z| (z + 1.0).ln()),
            (FloatFn::Log10, |z| z.log10()),
        ];
        for (f, reference) in unary {
            let got = values(&b.unary(UnaryOp::Float(f)));
            for k in 0..n {
                // on a branch cut num-complex takes one side whatever the zero's sign
                // (NumPy and spillway: the side the sign picks; tested below)
                let z = ny[k];
                let on_cut = match f {
                    FloatFn::Arcsin | FloatFn::Arccos => z.im == 0.0 && z.re.abs() > 1.0,
                    FloatFn::Arctan => z.re == 0.0 && z.im.abs() > 1.0,
                    _ => false,
                };
                if on_cut {
                    continue;
                }
                close(got[k], reference(ny[k]), f.name())?;
            }
        }
        let magnitude = a.unary(UnaryOp::Absolute);
        prop_assert_eq!(magnitude.dtype(), DType::Float64);
        let magnitude = magnitude.typed::<f64>().compute_vec().unwrap();
        let re = a.unary(UnaryOp::Real).typed::<f64>().compute_vec().unwrap();
        let im = a.unary(UnaryOp::Imag).typed::<f64>().compute_vec().unwrap();
        let conj = values(&a.unary(UnaryOp::Conj));
        for k in 0..n {
            prop_assert_eq!(magnitude[k], nx[k].re.hypot(nx[k].im));
            prop_assert_eq!((re[k], im[k]), (nx[k].re, nx[k].im));
            prop_assert_eq!(conj[k], Complex128::new(nx[k].re, -nx[k].im));
        }
        // whole powers are repeated products: exact for these eighths
        let squared = values(&a.binary_scalar(BinaryOp::Pow, Scalar::Int(2), false));
        for k in 0..n {
            let want = nx[k] * nx[k];
            prop_assert_eq!(squared[k], Complex128::new(want.re, want.im));
        }
    }

    /// Sums are the same bits whatever the chunking and equal the exact sum (the parts are
    /// eighths, so every partial sum is exact); the mean and variance are NumPy's.
    #[test]
    fn reductions_do_not_depend_on_the_chunks(
        xs in prop::collection::vec((part(), part()), 1..40),
        c1 in 1usize..9,
        c2 in 1usize..9,
    ) {
        let n = xs.len() as f64;
        let (a, b) = (array(&xs, c1), array(&xs, c2));
        let sum = |x: &AnyArray, r| values(&x.reduce(r, None, false))[0];
        let (sa, sb) = (sum(&a, Reduction::Sum), sum(&b, Reduction::Sum));
        prop_assert_eq!(sa.re.to_bits(), sb.re.to_bits());
        prop_assert_eq!(sa.im.to_bits(), sb.im.to_bits());
        let (re, im): (f64, f64) = (xs.iter().map(|p| p.0).sum(), xs.iter().map(|p| p.1).sum());
        prop_assert_eq!(sa, Complex128::new(re, im));
        let mean = sum(&a, Reduction::Mean);
        prop_assert_eq!(mean, sum(&b, Reduction::Mean));
        close(mean, Nc::new(re / n, im / n), "mean")?;
        let var = a.reduce(Reduction::Var { ddof: 0.0 }, None, false);
        prop_assert_eq!(var.dtype(), DType::Float64);
        let var = var.typed::<f64>().compute_vec().unwrap()[0];
        let want: f64 = xs.iter().map(|p| (p.0 - re / n).powi(2) + (p.1 - im / n).powi(2)).sum::<f64>() / n;
        prop_assert!((var - want).abs() <= 1e-12 * want.max(1.0), "var {} want {}", var, want);
        let prod = sum(&a, Reduction::Prod);
        let want = xs.iter().fold(Nc::new(1.0, 0.0), |p, &(r, i)| p * Nc::new(r, i));
        let scale = want.norm().max(1.0);
        prop_assert!((prod.re - want.re).abs() <= 1e-9 * scale && (prod.im - want.im).abs() <= 1e-9 * scale);
    }
}

#[test]
fn promotion_casts_and_weak_scalars_follow_numpy() {
    let x = AnyArray::from(spillway::arange(0.0f32, 3.0, 1.0, 2));
    // a Python complex beside float32 stays single precision (NEP 50)
    let z = x.binary_scalar(BinaryOp::Add, Scalar::Complex(0.5, 2.0), false);
    assert_eq!(z.dtype(), DType::Complex64);
    let got = z.typed::<Complex64>().compute_vec().unwrap();
    assert_eq!(got[2], Complex64::new(2.5, 2.0));
    // float64 with complex64 is complex128
    let w = z.binary(
        BinaryOp::Mul,
        &AnyArray::from(spillway::full([3], 2.0f64, 3)),
    );
    assert_eq!(w.dtype(), DType::Complex128);
    assert_eq!(values(&w)[1], Complex128::new(3.0, 4.0));
    // int / complex is complex, not float64
    let q = AnyArray::from(spillway::arange(1i32, 4, 1, 2)).binary(BinaryOp::TrueDiv, &w);
    assert_eq!(q.dtype(), DType::Complex128);
    // casts keep the real part, and bool asks for either part
    assert_eq!(
        w.astype(DType::Float32)
            .typed::<f32>()
            .compute_vec()
            .unwrap(),
        vec![1.0, 3.0, 5.0]
    );
    let flags = array(&[(0.0, 0.0), (0.0, -1.0)], 1).astype(DType::Bool);
    assert_eq!(
        flags.typed::<bool>().compute_vec().unwrap(),
        vec![false, true]
    );
    let built = AnyArray::complex(&x, &AnyArray::from(spillway::full([3], -1.0f32, 3)));
    assert_eq!(built.dtype(), DType::Complex64);
    assert_eq!(
        built.typed::<Complex64>().compute_vec().unwrap()[1],
        Complex64::new(1.0, -1.0)
    );
}

#[test]
fn special_values_are_numpys() {
    let inf = f64::INFINITY;
    let a = array(&[(0.0, 0.0), (inf, 1.0), (f64::NAN, 0.0), (-inf, inf)], 2);
    let nan = a
        .unary(UnaryOp::IsNan)
        .typed::<bool>()
        .compute_vec()
        .unwrap();
    let infinite = a
        .unary(UnaryOp::IsInf)
        .typed::<bool>()
        .compute_vec()
        .unwrap();
    let finite = a
        .unary(UnaryOp::IsFinite)
        .typed::<bool>()
        .compute_vec()
        .unwrap();
    assert_eq!(nan, vec![false, false, true, false]);
    assert_eq!(infinite, vec![false, true, false, true]);
    assert_eq!(finite, vec![true, false, false, false]);
    let log = values(&a.unary(UnaryOp::Float(FloatFn::Log)));
    assert_eq!((log[0].re, log[0].im), (-inf, 0.0));
    let abs = a
        .unary(UnaryOp::Absolute)
        .typed::<f64>()
        .compute_vec()
        .unwrap();
    assert_eq!(abs[3], inf);
    // zero over zero is NaN, and anything else over zero infinite, as NumPy's
    let q = values(&a.binary(BinaryOp::TrueDiv, &array(&[(0.0, 0.0); 4], 4)));
    assert!(q[0].re.is_nan());
    let q = values(&array(&[(0.25, -0.5)], 1).binary(BinaryOp::TrueDiv, &array(&[(0.0, 0.0)], 1)));
    assert_eq!(q[0], Complex128::new(inf, -inf));
}

#[test]
fn zarr_round_trip_keeps_dtype_and_bits() {
    let dir = tempfile::tempdir().unwrap();
    let xs: Vec<(f64, f64)> = (0..23)
        .map(|k| (k as f64 * 0.3, -(k as f64) / 7.0))
        .collect();
    for dtype in [DType::Complex128, DType::Complex64] {
        let a = array(&xs, 5).astype(dtype);
        let path = dir.path().join(format!("{dtype}.zarr"));
        a.to_zarr(&path, &Default::default()).unwrap();
        let json = std::fs::read_to_string(path.join("zarr.json")).unwrap();
        assert!(json.contains(&format!("\"{dtype}\"")), "{json}");
        let back = AnyArray::from_zarr(&path).unwrap();
        assert_eq!(back.dtype(), dtype);
        assert_eq!(
            values(&back.astype(DType::Complex128)),
            values(&a.astype(DType::Complex128))
        );
    }
}

#[test]
fn orderings_and_integer_operators_are_refused_by_name() {
    let a = array(&[(1.0, 2.0), (3.0, -1.0), (0.0, 0.0)], 2);
    let refused = |x: AnyArray, what: &str| {
        let e = x
            .error()
            .unwrap_or_else(|| panic!("{what} was not refused"))
            .to_string();
        assert!(e.contains("complex"), "{what}: {e}");
    };
    refused(a.sort(false), "sort");
    refused(a.sort(true), "argsort");
    refused(a.reduce(Reduction::Max, None, false), "max");
    refused(a.reduce(Reduction::NanMean, None, false), "nanmean");
    refused(a.arg_extreme(true, None, false), "argmax");
    refused(a.binary(BinaryOp::FloorDiv, &a), "floor_divide");
    refused(
        a.binary_scalar(BinaryOp::Mod, Scalar::Int(2), false),
        "remainder",
    );
    refused(a.unary(UnaryOp::Float(FloatFn::Floor)), "floor");
    assert!(a.percentile(50.0).is_err());
    let typed = a.typed::<Complex128>();
    assert!(typed.sort().check().is_err());
    assert!(typed.mean().check().is_err());
}

#[test]
fn complex_products_are_four_real_ones_and_solvers_are_refused() {
    use spillway::array::dynamic::dyn_linalg::{inv, matmul};
    let m = |vals: &[(f64, f64)]| {
        let v: Vec<Complex128> = vals.iter().map(|&(r, i)| Complex128::new(r, i)).collect();
        AnyArray::from(spillway::from_ndarray(
            ndarray::Array2::from_shape_vec((2, 2), v).unwrap(),
            1,
        ))
    };
    let a = m(&[(1.0, 1.0), (2.0, 0.0), (0.0, -1.0), (3.0, 2.0)]);
    let b = m(&[(0.5, 0.0), (1.0, -1.0), (2.0, 3.0), (0.0, 1.0)]);
    let got = values(&matmul(&a, &b));
    let nc = |vals: &[(f64, f64)]| vals.iter().map(|&(r, i)| Nc::new(r, i)).collect::<Vec<_>>();
    let (x, y) = (
        nc(&[(1.0, 1.0), (2.0, 0.0), (0.0, -1.0), (3.0, 2.0)]),
        nc(&[(0.5, 0.0), (1.0, -1.0), (2.0, 3.0), (0.0, 1.0)]),
    );
    for i in 0..2 {
        for j in 0..2 {
            let want = x[2 * i] * y[j] + x[2 * i + 1] * y[2 + j];
            assert_eq!(
                got[2 * i + j],
                Complex128::new(want.re, want.im),
                "[{i}, {j}]"
            );
        }
    }
    // a real with a complex operand too
    let real = AnyArray::from(spillway::from_ndarray(ndarray::Array2::<f64>::eye(2), 1));
    assert_eq!(values(&matmul(&real, &b)), values(&b));
    let e = inv(&a)
        .error()
        .expect("complex inverse refused")
        .to_string();
    assert!(e.contains("complex128"), "{e}");
}

/// A part of `tests/data/complex_special.tsv`: the bits in hex, or NaN.
fn part_of(text: &str) -> f64 {
    if text == "nan" {
        f64::NAN
    } else {
        f64::from_bits(u64::from_str_radix(text, 16).expect("hex bits"))
    }
}

/// Same value: equal bits (so signed zeros count), or both NaN.
fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// The engine's elementary functions against NumPy's on every pair of special parts
/// (signed zeros, infinities, NaN, huge and subnormal values), from the table
/// `scripts/complex_special_table.py` writes. Finite results may differ by a few ulps;
/// infinities, NaNs and the signs of zeros must be NumPy's.
#[test]
fn special_parts_give_numpys_results() {
    let table = include_str!("data/complex_special.tsv");
    let mut misses: Vec<String> = Vec::new();
    let mut cases = 0;
    for line in table.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.split('\t').collect();
        // NumPy's complex log1p is log(1 + z), which rounds small arguments away
        // (log1p(1e-8j) has the real part 5e-17, NumPy gives 0); spillway's is accurate
        // (checked against the exact formula in operations_match_num_complex). NumPy
        // squares overflowing values through its own loop (`(1e300 + infj)**2` is
        // `-inf + infj` there, `NaN + infj` by the textbook product spillway uses).
        // NumPy's sign divides subnormal parts by a magnitude that lost its digits
        // (sign(5e-324 + 5e-324j) is 1 + 1j there); spillway scales them first.
        let huge = |t: &str| part_of(t).abs() >= 1e300;
        let subnormal = |t: &str| part_of(t) != 0.0 && part_of(t).abs() < f64::MIN_POSITIVE;
        // NumPy's expm1 of infinite and NaN parts is its finite formula (inf + NaN j for
        // inf + 0j); spillway gives the standard's special cases (inf + 0j), which
        // python/tests/test_array_api.py checks.
        let finite = |t: &str| part_of(t).is_finite();
        // NumPy's sign of an infinite part beside a NaN is the infinity's direction
        // (sign(inf + NaN j) = 1 + 0j); the standard's, and spillway's, is NaN + NaN j
        // (checked in sign_of_a_nan_part_is_nan below).
        let nan = |t: &str| part_of(t).is_nan();
        if f[0] == "log1p"
            || (f[0] == "sign" && (nan(f[1]) || nan(f[2])))
            || (f[0] == "expm1" && !(finite(f[1]) && finite(f[2])))
            || (f[0] == "square" && (huge(f[1]) || huge(f[2])))
            || (f[0] == "sign" && subnormal(f[1]) && subnormal(f[2]))
        {
            continue;
        }
        let z = Complex128::new(part_of(f[1]), part_of(f[2]));
        let want = (part_of(f[3]), part_of(f[4]));
        let x = AnyArray::from(spillway::from_ndarray(ndarray::arr1(&[z]), 1));
        let op = match f[0] {
            "square" => x.binary_scalar(BinaryOp::Pow, Scalar::Int(2), false),
            "pow1" => x.binary_scalar(BinaryOp::Pow, Scalar::Int(1), false),
            name => x.unary(UnaryOp::from_name(name).expect("a ufunc name")),
        };
        let got = values(&op)[0];
        cases += 1;
        // finite parts may differ by a few ulps of the result's magnitude (NumPy's square
        // uses a fused multiply-add); infinities, NaNs and signed zeros must be NumPy's
        let scale = want.0.abs().max(want.1.abs());
        let near = |g: f64, w: f64| {
            same(g, w)
                || (g.is_finite()
                    && w.is_finite()
                    && (g - w).abs() <= 4.0 * f64::EPSILON * scale + 1e-323)
        };
        if !(near(got.re, want.0) && near(got.im, want.1)) {
            misses.push(format!(
                "{}({z}) = {got}, NumPy {}",
                f[0],
                Complex128::new(want.0, want.1)
            ));
        }
    }
    assert!(cases > 2000);
    assert!(
        misses.is_empty(),
        "{} of {cases} differ:\n{}",
        misses.len(),
        misses.join("\n")
    );
}

/// The array API standard's sign: NaN + NaN j when either part is NaN, whatever the
/// other part is.
#[test]
fn sign_of_a_nan_part_is_nan() {
    for (re, im) in [
        (f64::INFINITY, f64::NAN),
        (f64::NAN, f64::NEG_INFINITY),
        (f64::NAN, 0.0),
        (-1.0, f64::NAN),
    ] {
        let s = Complex128::new(re, im).sign();
        assert!(s.re.is_nan() && s.im.is_nan(), "sign({re} + {im}j) = {s}");
    }
    assert_eq!(
        Complex128::new(f64::NEG_INFINITY, 2.0).sign(),
        Complex128::new(-1.0, 0.0)
    );
}

/// The inverse functions take the side of their branch cuts that the sign of a zero part
/// picks, keep the signs of zeros, and keep the digits of small arguments (NumPy's values).
#[test]
fn inverse_functions_honour_branch_cuts_and_small_arguments() {
    let one =
        |z: Complex128, f: FloatFn| values(&array(&[(z.re, z.im)], 1).unary(UnaryOp::Float(f)))[0];
    let asin_above = one(Complex128::new(2.0, 0.0), FloatFn::Arcsin);
    let asin_below = one(Complex128::new(2.0, -0.0), FloatFn::Arcsin);
    assert_eq!(asin_above.re, std::f64::consts::FRAC_PI_2);
    assert!(
        (asin_above.im - 1.3169578969248166).abs() < 1e-15,
        "{asin_above}"
    );
    assert!(
        (asin_below.im + 1.3169578969248166).abs() < 1e-15,
        "{asin_below}"
    );
    let zero = one(Complex128::new(0.0, 0.0), FloatFn::Arcsin);
    assert_eq!((zero.re.to_bits(), zero.im.to_bits()), (0, 0));
    let atan_right = one(Complex128::new(0.0, 2.0), FloatFn::Arctan);
    let atan_left = one(Complex128::new(-0.0, 2.0), FloatFn::Arctan);
    assert_eq!(atan_right.re, std::f64::consts::FRAC_PI_2);
    assert_eq!(atan_left.re, -std::f64::consts::FRAC_PI_2);
    assert!(
        (atan_right.im - 0.5493061443340549).abs() < 1e-15,
        "{atan_right}"
    );
    let conj_zero = one(Complex128::new(0.0, -0.0), FloatFn::Arctan);
    assert!(
        conj_zero.im == 0.0 && conj_zero.im.is_sign_negative(),
        "{conj_zero}"
    );
    let negative_zero = one(Complex128::new(-0.0, 0.0), FloatFn::Arctan);
    assert!(
        negative_zero.re == 0.0 && negative_zero.re.is_sign_negative(),
        "{negative_zero}"
    );
    let small = one(Complex128::new(1e-40, 1e-10), FloatFn::Arcsin);
    assert_eq!(small.re, 1e-40);
    assert!((small.im - 1e-10).abs() <= 1e-26, "{small}");
    let small = one(Complex128::new(1e-40, 1e-10), FloatFn::Arctan);
    assert!(
        (small.re - 1e-40).abs() <= 1e-55 && (small.im - 1e-10).abs() <= 1e-26,
        "{small}"
    );
    // log1p near -1 in single precision: 1 + x is exact there, 2x + x² + y² cancels
    let z = Complex64::new(-0.99999, 1e-6);
    let x = AnyArray::from(spillway::from_ndarray(ndarray::arr1(&[z]), 1));
    let got = x
        .unary(UnaryOp::Float(FloatFn::Log1p))
        .typed::<Complex64>()
        .compute_vec()
        .unwrap()[0];
    let want = Nc::new(1.0 + z.re as f64, z.im as f64).ln();
    assert!(
        (got.re as f64 - want.re).abs() < 1e-5 * want.re.abs(),
        "{got} vs {want}"
    );
    let acos_below = one(Complex128::new(2.0, -0.0), FloatFn::Arccos);
    assert!(
        acos_below.re == 0.0 && (acos_below.im - 1.3169578969248166).abs() < 1e-15,
        "{acos_below}"
    );
}
