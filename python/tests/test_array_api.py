"""spillway.array_api against array-api-strict on the same generated inputs.

Inputs come from hypothesis's array API strategies (over array-api-strict), in the dtypes
spillway holds, and are cut into random chunkings; every function's result is compared
with array-api-strict's, values and dtype, NaN where NaN.

Complex inputs (complex64, complex128) go through every function the standard defines
for them. Their parts are finite and at most 20 in magnitude (3 for ``pow``), so no
intermediate step of a complex formula overflows; results are compared by the error
relative to the magnitude, ``|got - want| <= rtol * |want|``, with rtol 1e-5 for
complex64 and 1e-12 for complex128 (a part much smaller than the other is held to the
magnitude's precision, not its own). The special values (NaN, infinite and signed-zero
parts) are checked against array-api-strict on a grid in
``test_special_cases_of_complex_functions``.
"""

from __future__ import annotations

import builtins
import math

import array_api_strict as strict
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.array_api import make_strategies_namespace

import spillway.array as da
import spillway.array_api as xp
from spillway.array_api import _elementwise

xps = make_strategies_namespace(strict)
# every test computes on a fresh client under a known budget (conftest's fixture)
pytestmark = pytest.mark.usefixtures("client")
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
FLOATS = st.sampled_from([strict.float32, strict.float64])
INTS = st.sampled_from(
    [strict.int8, strict.int16, strict.int32, strict.int64, strict.uint8, strict.uint16, strict.uint32]
)
NUMERIC = st.one_of(FLOATS, INTS)
COMPLEX = st.sampled_from([strict.complex64, strict.complex128])
ALL_NUMERIC = st.one_of(NUMERIC, COMPLEX)
SHAPES = xps.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=7)


def parts_within(bound, nonzero=False, subnormal=True):
    """Elements for complex dtypes: finite parts of the dtype's precision in
    ``[-bound, bound]`` (non-zero, or not subnormal, when told), a function of the dtype,
    which ``chunked`` calls."""
    def elements(dtype):
        part = st.floats(-bound, bound, width=32 if dtype == strict.complex64 else 64,
                         allow_subnormal=None if subnormal else False)
        if nonzero:
            part = part.filter(lambda p: p != 0)
        return st.builds(complex, part, part)

    return elements


@st.composite
def chunked(draw, dtypes=NUMERIC, shape=SHAPES, elements=None):
    """A strict array and the same values as a spillway array in random chunks."""
    dtype = draw(dtypes)
    shp = draw(shape) if not isinstance(shape, tuple) else shape
    if callable(elements):
        elements = elements(dtype)
    a = draw(xps.arrays(dtype, shp, elements=elements))
    chunks = tuple(draw(st.integers(1, max(n, 1))) for n in shp)
    return a, da.from_array(np.asarray(a), chunks=chunks)


def same(got, want, signed_zeros=True):
    """Values and dtype equal, NaN where NaN (and signed zeros alike unless told)."""
    want = np.asarray(want)
    got = np.asarray(got.compute() if hasattr(got, "compute") else got)
    assert got.shape == want.shape, (got.shape, want.shape)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    if want.dtype.kind == "f":
        np.testing.assert_allclose(got, want, rtol=2e-6 if want.dtype == np.float32 else 1e-12, atol=0, equal_nan=True)
        if signed_zeros:
            np.testing.assert_array_equal(np.signbit(got[got == 0]), np.signbit(want[got == 0]))
    elif want.dtype.kind == "c":
        close_complex(got, want, rtol=1e-5 if want.dtype == np.complex64 else 1e-12, signed_zeros=signed_zeros)
    else:
        np.testing.assert_array_equal(got, want)


def close_complex(got, want, rtol, signed_zeros=True):
    """Complex values alike: where ``want`` is finite, ``|got - want| <= rtol * |want|``
    (plus the dtype's smallest normal, for results that underflow); elsewhere the same
    parts NaN, the same infinite parts, and the finite parts close to rtol (signed zeros
    alike unless told)."""
    g, w = got.ravel().astype(np.complex128), want.ravel().astype(np.complex128)
    finite = np.isfinite(w)
    err = np.abs(g[finite] - w[finite])
    bound = rtol * np.abs(w[finite]) + np.finfo(want.real.dtype).smallest_normal
    bad = ~(err <= bound)
    assert not bad.any(), f"{bad.sum()} of {finite.sum()} differ, e.g. got {g[finite][bad][:4]}, want {w[finite][bad][:4]}"
    for part in (np.real, np.imag):
        gp, wp = part(g[~finite]), part(w[~finite])
        np.testing.assert_array_equal(np.isnan(gp), np.isnan(wp), err_msg=f"NaN parts: got {g[~finite]}, want {w[~finite]}")
        np.testing.assert_array_equal(gp[np.isinf(wp)], wp[np.isinf(wp)])
        near = np.isfinite(wp)
        np.testing.assert_allclose(gp[near], wp[near], rtol=rtol, atol=np.finfo(want.real.dtype).smallest_normal)
    if signed_zeros:
        for part in (np.real, np.imag):
            zero = (part(g) == 0) & (part(w) == 0)
            np.testing.assert_array_equal(np.signbit(part(g)[zero]), np.signbit(part(w)[zero]),
                                          err_msg=f"signed zeros: got {g[zero]}, want {w[zero]}")


UNARY_FLOAT = [n for n in _elementwise.UNARY if n not in ("bitwise_invert", "imag", "logical_not")]


@pytest.mark.parametrize("name", UNARY_FLOAT)
@SETTINGS
@given(data=chunked(FLOATS))
def test_unary_elementwise_matches_the_standard(name, data):
    a, x = data
    with np.errstate(all="ignore"):
        want = getattr(strict, name)(a)
    same(getattr(xp, name)(x), want)


BINARY_FLOAT = [n for n in _elementwise.BINARY if not n.startswith(("bitwise", "logical"))]


@pytest.mark.parametrize("name", BINARY_FLOAT)
@SETTINGS
@given(data=st.data())
def test_binary_elementwise_matches_the_standard_with_broadcasting(name, data):
    dtype = data.draw(FLOATS)
    shape = data.draw(SHAPES)
    a, x = data.draw(chunked(st.just(dtype), st.just(shape)))
    # the second operand broadcasts from a suffix of the shape
    tail = shape[data.draw(st.integers(0, len(shape) - 1)):]
    b, y = data.draw(chunked(st.just(dtype), st.just(tail)))
    with np.errstate(all="ignore"):
        want = getattr(strict, name)(a, b)
    same(getattr(xp, name)(x, y), want)


# asin, acos and atan are compared on the pinned cases below (branch cuts, signed zeros,
# small arguments); their random comparison waits for a build with the signs of zero
# results the engine now gives (atan(0 - 0j) was 0 + 0j)
ENGINE_PENDING = ("asin", "acos", "atan")
UNARY_COMPLEX = [n for n in _elementwise.UNARY + ["round"]
                 if n not in _elementwise.REAL_ONLY and n not in ("bitwise_invert", "logical_not") + ENGINE_PENDING]


# the functions compared on a narrower domain than parts within 20, and why
COMPLEX_DOMAIN = {
    # tan and tanh are ill-conditioned near their poles (±pi/2 + k pi, on the real axis
    # for tan, on the imaginary axis for tanh): a one-ulp difference in the argument's
    # rounding is amplified past the tolerance, in NumPy as in spillway
    "tan": parts_within(1.25), "tanh": parts_within(1.25),
}


def _complex(re, im):
    """Complex values from their parts, signed zeros kept (``re + 1j * im`` loses them)."""
    out = np.empty(np.shape(re), dtype=np.result_type(re, im, np.complex64))
    out.real, out.imag = re, im
    return out


def complex_reference(name, a):
    """What the standard gives for ``name`` where array-api-strict (NumPy) is less
    accurate: log1p(z) as ``log1p(2x + x^2 + y^2) / 2 + i atan2(y, 1 + x)`` for |z| < 1/2
    (NumPy computes ``log(1 + z)`` as written, which loses every digit of small z), and
    sign(z) as the parts divided by |z| (NumPy's complex division overflows for
    subnormal |z|); elsewhere array-api-strict's."""
    v = np.asarray(a)
    want = np.asarray(getattr(strict, name)(a))
    x, y = v.real.astype(np.float64), v.imag.astype(np.float64)
    with np.errstate(all="ignore"):
        if name == "log1p":
            small = _complex(0.5 * np.log1p(2 * x + x * x + y * y), np.arctan2(y, 1 + x))
            return np.where(np.abs(v) < 0.5, small, want).astype(v.dtype)
        if name == "sign":
            # scaled up first, so that |z| of subnormal parts keeps its digits
            scale = np.where(np.maximum(np.abs(x), np.abs(y)) < 2.0 ** -500, 2.0 ** 600, 1.0)
            x, y = x * scale, y * scale
            m = np.hypot(x, y)
            return np.where(m == 0, 0, _complex(x / m, y / m)).astype(v.dtype)
    return want


@pytest.mark.parametrize("name", UNARY_COMPLEX)
@SETTINGS
@given(data=st.data())
def test_unary_elementwise_of_complex_matches_the_standard(name, data):
    a, x = data.draw(chunked(COMPLEX, elements=COMPLEX_DOMAIN.get(name, parts_within(20))))
    with np.errstate(all="ignore"):
        want = complex_reference(name, a)
    same(getattr(xp, name)(x), want)


@pytest.mark.parametrize("name", ["add", "subtract", "multiply", "divide", "pow", "equal", "not_equal"])
@SETTINGS
@given(data=st.data())
def test_binary_elementwise_of_complex_matches_the_standard(name, data):
    # the other operand is complex or real, of either precision, and broadcasts
    shape = data.draw(SHAPES)
    bound = 3 if name == "pow" else 20
    a, x = data.draw(chunked(COMPLEX, st.just(shape), elements=parts_within(bound)))
    tail = shape[data.draw(st.integers(0, len(shape) - 1)):]
    real = {"min_value": -bound, "max_value": bound, "allow_nan": False}
    if data.draw(st.booleans()):
        b, y = data.draw(chunked(COMPLEX, st.just(tail), elements=parts_within(bound)))
    else:
        b, y = data.draw(chunked(FLOATS, st.just(tail), elements=real))
    if data.draw(st.booleans()):
        a, b, x, y = b, a, y, x
    if name == "pow":
        # 0 ** w with Re(w) <= 0 is NaN + NaN j in NumPy and inf + NaN j here (what the
        # standard's exp(w log z) gives); bases are non-zero
        assume(not np.any(np.asarray(a) == 0))
    with np.errstate(all="ignore"):
        want = getattr(strict, name)(a, b)
    same_binary(name, getattr(xp, name)(x, y), want, a, b)


def same_binary(name, got, want, x1, x2):
    """``same`` for a binary function of complex values: the signs of zero parts of
    products, quotients and powers depend on how the formula is evaluated (NumPy's
    vectorized loops fuse multiply-adds), which the standard leaves open, so only sums
    and differences are held to them. A power ``z ** w = exp(w log z)`` is compared to
    ``rtol * (1 + |w log z|)`` (its condition number: a rounding of ``w log z``, in NumPy
    as here, moves the result that much), and one that overflows as an infinity (some
    part infinite), as C99 Annex G counts it."""
    if name != "pow":
        same(got, want, signed_zeros=name in ("add", "subtract", "equal", "not_equal"))
        return
    g, w = np.asarray(got.compute()), np.asarray(want)
    inf_g, inf_w = np.isinf(g.real) | np.isinf(g.imag), np.isinf(w.real) | np.isinf(w.imag)
    np.testing.assert_array_equal(inf_g, inf_w, err_msg=f"infinities: got {g[inf_g != inf_w]}, want {w[inf_g != inf_w]}")
    z, e = (np.broadcast_to(np.asarray(v, dtype=np.complex128), w.shape) for v in (x1, x2))
    with np.errstate(all="ignore"):
        cond = 1 + np.abs(e * np.log(z))
    rtol = 1e-5 if w.dtype == np.complex64 else 1e-12
    keep = ~inf_w & np.isfinite(w)
    err = np.abs(g[keep].astype(np.complex128) - w[keep])
    bad = ~(err <= rtol * cond[keep] * np.abs(w[keep]) + np.finfo(w.real.dtype).smallest_normal)
    assert not bad.any(), f"got {g[keep][bad][:4]}, want {w[keep][bad][:4]}"
    same(g[~inf_w & ~keep], w[~inf_w & ~keep], signed_zeros=False)


@pytest.mark.parametrize("name", ["add", "multiply", "divide", "pow", "equal"])
@SETTINGS
@given(data=chunked(st.one_of(FLOATS, COMPLEX), elements=None), scalar=st.complex_numbers(max_magnitude=3, allow_nan=False))
def test_python_complex_scalars_promote_as_the_standard(name, data, scalar):
    a, x = data
    if a.dtype in (strict.float32, strict.float64):
        a = strict.asarray(np.clip(np.nan_to_num(np.asarray(a)), -3, 3))
        x = da.from_array(np.asarray(a), chunks=x.chunks)
    else:
        v = np.asarray(a)
        v = np.clip(np.nan_to_num(v.real), -3, 3) + 1j * np.clip(np.nan_to_num(v.imag), -3, 3)
        a = strict.asarray(v.astype(np.asarray(a).dtype))
        x = da.from_array(np.asarray(a), chunks=x.chunks)
    if name == "pow":
        assume(not np.any(np.asarray(a) == 0))
    with np.errstate(all="ignore"):
        want = getattr(strict, name)(a, scalar)
    same_binary(name, getattr(xp, name)(x, scalar), want, a, scalar)


@pytest.mark.parametrize("name", ["sum", "prod", "mean", "all", "any", "count_nonzero", "cumulative_sum",
                                  "cumulative_prod"])
@SETTINGS
@given(data=st.data())
def test_reductions_of_complex_match_the_standard(name, data):
    product = name in ("prod", "cumulative_prod")
    bound = 2 if product else 1e3
    a, x = data.draw(chunked(COMPLEX, elements=parts_within(bound)))
    axis = data.draw(st.none() | st.integers(0, a.ndim - 1))
    if name.startswith("cumulative"):
        axis = 0 if axis is None else axis
        want, got = getattr(strict, name)(a, axis=axis), getattr(xp, name)(x, axis=axis)
    else:
        keepdims = data.draw(st.booleans())
        want = getattr(strict, name)(a, axis=axis, keepdims=keepdims)
        got = getattr(xp, name)(x, axis=axis, keepdims=keepdims)
    if name in ("all", "any", "count_nonzero"):
        same(got, want)
        return
    # summation order differs (pairwise in NumPy, per chunk here): the error is bounded
    # by the elements' magnitudes, not the result's
    g, w = np.asarray(got.compute()), np.asarray(want)
    assert g.dtype == w.dtype and g.shape == w.shape
    eps = 1e-5 if w.dtype == np.complex64 else 1e-12
    scale = (2 * bound) ** (a.size if product else 1) * builtins.max(a.size, 1)
    assert np.all(np.abs(g.astype(np.complex128) - w) <= eps * scale), (g, w)


REAL_ONLY = sorted(_elementwise.REAL_ONLY) + ["max", "min", "argmax", "argmin", "sort", "argsort", "searchsorted",
                                              "var", "std"]


@pytest.mark.parametrize("name", REAL_ONLY)
def test_functions_for_real_values_only_refuse_complex_saying_what_to_do(name):
    v = np.array([1 + 2j, -3j], dtype=np.complex128)
    a, x = strict.asarray(v), da.from_array(v, chunks=1)
    binary = name in _elementwise.BINARY or name == "searchsorted"
    # array-api-strict refuses it too: this is the standard's rule, not spillway's
    with pytest.raises(TypeError):
        getattr(strict, name)(a, a) if binary else getattr(strict, name)(a)
    with pytest.raises(TypeError, match=rf"{name}: .*complex128\. \S") as info:
        getattr(xp, name)(x, x) if binary else getattr(xp, name)(x)
    assert "xp." in str(info.value) or "astype" in str(info.value), str(info.value)
    if binary and name != "searchsorted":
        # a Python complex scalar beside a real array is refused too
        with pytest.raises(TypeError, match=name):
            getattr(xp, name)(da.from_array(v.real.copy(), chunks=1), 1j)


@SETTINGS
@given(data=chunked(COMPLEX, elements=parts_within(20)))
def test_sets_of_complex_values_match_the_standard(data):
    a, x = data
    same(xp.unique_values(x), strict.unique_values(a))
    got, want = xp.unique_counts(x), strict.unique_counts(a)
    same(got.values, want.values)
    same(got.counts, want.counts)
    for g, w in zip(xp.nonzero(x), strict.nonzero(a)):
        same(g, w)
    same(xp.where(xp.real(x) > 0, x, xp.zeros_like(x)), strict.where(strict.real(a) > 0, a, strict.zeros_like(a)))


# every pair of these parts: zeros of both signs, ones, infinities and NaN
SPECIAL_PARTS = [0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan]
SPECIAL_VALUES = np.array([complex(r, i) for r in SPECIAL_PARTS for i in SPECIAL_PARTS])
# the functions whose complex special cases spillway gives as the standard's tables (C99
# Annex G) say, signed zeros included; checked against array-api-strict (NumPy) but where
# NumPy departs from the tables (``standard_special_values``)
SPECIAL_COMPLEX = ["abs", "conj", "real", "imag", "negative", "positive", "isnan", "isinf", "isfinite", "exp",
                   "expm1", "log", "log1p", "log10", "sqrt", "square", "reciprocal", "round"]


def standard_special_values(name, v, want):
    """array-api-strict's special values of ``name``, put right where NumPy departs from
    the standard's table, and which entries' signs (of zero or infinite parts) the table
    leaves open."""
    w = np.array(want, copy=True)
    re, im = v.real, v.imag
    open_sign = np.zeros(v.shape, dtype=bool)

    def put(mask, r, i):
        w.real[mask], w.imag[mask] = np.broadcast_to(r, v.shape)[mask], np.broadcast_to(i, v.shape)[mask]

    if name in ("exp", "expm1"):
        put(np.isnan(re) & (im == 0), np.nan, im)  # NaN ± 0j, where NumPy gives NaN + NaN j
        open_sign |= np.isinf(re) & ~np.isfinite(im)  # ±0 ± 0j or ±inf + NaN j
    if name == "expm1":
        put((re == np.inf) & (im == 0), np.inf, im)  # inf ± 0j
        put((re == np.inf) & ~np.isfinite(im), np.inf, np.nan)  # ±inf + NaN j
        put((re == -np.inf) & ~np.isfinite(im), -1, 0)  # -1 ± 0j
    return w, open_sign


# special values where the engine departs from the standard, left out here and pinned by
# test_known_deviations_of_the_engines_complex_functions
SPECIAL_DEVIATIONS = {"sqrt": lambda v: np.isnan(v.real) & (v.imag == 0)}


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
def test_special_cases_of_complex_functions(dtype):
    v = SPECIAL_VALUES.astype(dtype)
    x, a = da.from_array(v, chunks=5), strict.asarray(v)
    y, b = da.from_array(v[::-1].copy(), chunks=4), strict.flip(a)
    with np.errstate(all="ignore"):
        for name in SPECIAL_COMPLEX:
            got = np.asarray(getattr(xp, name)(x).compute())
            want, open_sign = standard_special_values(name, v, np.asarray(getattr(strict, name)(a)))
            keep = ~open_sign & ~SPECIAL_DEVIATIONS.get(name, lambda v: np.zeros(v.shape, bool))(v)
            same(got[keep], want[keep])
            if open_sign.any():
                same(np.abs(got.real[open_sign]) + 1j * np.abs(got.imag[open_sign]),
                     np.abs(want.real[open_sign]) + 1j * np.abs(want.imag[open_sign]))
        for name in ("add", "subtract", "multiply", "divide", "equal", "not_equal"):
            same(getattr(xp, name)(x, y), getattr(strict, name)(a, b))
    # the standard's sign of ±0 ± 0j is 0 + 0j, and of a NaN part NaN + NaN j
    s = np.asarray(xp.sign(x).compute())
    zero, nan = v == 0, np.isnan(v)
    assert np.all(s[zero] == 0) and not np.signbit(s[zero].real).any() and not np.signbit(s[zero].imag).any()
    assert np.isnan(s[nan].real).all() and np.isnan(s[nan].imag).all()


def _deviation(name, v):
    return pytest.param(name, v, id=f"{name}-{np.asarray(v).dtype}")


@pytest.mark.parametrize("name, v", [
    # C99's branch cuts: asin and acos of x ± 0j for |x| > 1 take the side the zero's sign
    # picks (the engine gives the same side for both), atan of ±0 + iy for |y| > 1; and
    # the signs of zero parts (asin(0j) is 0j, not -0j)
    _deviation("asin", [2 + 0j, complex(2, -0.0), complex(-2, -0.0)]),
    _deviation("asin", [0j]),
    _deviation("acos", [2 + 0j, complex(2, -0.0)]),
    _deviation("atan", [2j, complex(-0.0, 2)]),
    _deviation("atan", [complex(-0.0, 0)]),
    # digits of small arguments lost: asin and atan of 1e-40 + 1e-10j are 8e-8 off
    _deviation("asin", [complex(1e-40, 1e-10)]),
    _deviation("atan", [complex(1e-40, 1e-10)]),
    # complex64 off by more than 1e-5 of the magnitude away from zeros and cuts
    _deviation("acos", np.array([15 - 2j], dtype=np.complex64)),
    _deviation("asin", np.array([2e-4 + 1e-4j], dtype=np.complex64)),
    _deviation("atan", np.array([2e-4 + 1e-4j], dtype=np.complex64)),
    # log1p is log(1 + z) as written unless both parts are within 1e-4: 6e-4 off at 5e-4
    _deviation("log1p", np.array([5e-4 + 1e-5j], dtype=np.complex64)),
    # digits lost near the poles: tan(7.8594093) (5 pi / 2 + 0.0054) is 5e-4 off in complex64
    _deviation("tan", np.array([7.8594093, -1.5745], dtype=np.complex64)),
    _deviation("tanh", np.array([-1.5832994j], dtype=np.complex64)),
    # and NaN for large imaginary parts (sinh / cosh overflow): tan(1 + 400j) is 0 + 1j
    _deviation("tan", [1 + 400j]),
    _deviation("tanh", [400 + 1j]),
    # C99's infinite and NaN parts: sin(0 + inf j) = 0 + inf j, cos(inf j) = inf - 0j, ...
    _deviation("sin", [complex(0, np.inf), complex(0, np.nan)]),
    _deviation("cos", [complex(0, np.inf), complex(0, np.nan)]),
    _deviation("sinh", [complex(0, np.inf), complex(np.inf, 0)]),
    _deviation("cosh", [complex(0, np.inf), complex(0, np.nan)]),
    _deviation("tanh", [complex(0, np.inf), complex(np.inf, 1)]),
    _deviation("tan", [complex(0, np.inf), complex(1, np.inf)]),
    # sqrt of the smallest subnormals: sqrt(1e-45j) is 2.6e-23 (1 + 1j), not 0
    _deviation("sqrt", np.array([1e-45j], dtype=np.complex64)),
    _deviation("sqrt", [5e-324j]),
    # sign of the smallest subnormals: sign(1e-45 + 1e-45j) is 1 + 1j, not (1 + 1j) / sqrt(2)
    _deviation("sign", np.array([1e-45 + 1e-45j], dtype=np.complex64)),
    _deviation("sign", [5e-324 + 5e-324j]),
    # log of subnormal parts: log(5e-324 (1 + 1j)) is -744.09 + 0.785j, not -744.44
    _deviation("log", [5e-324 + 5e-324j]),
    _deviation("log10", np.array([1e-45 + 1e-45j], dtype=np.complex64)),
    # sqrt(NaN ± 0j) is NaN + NaN j (the standard: a NaN real part gives NaN + NaN j)
    _deviation("sqrt", [complex(np.nan, 0), complex(np.nan, -0.0)]),
    # z ** 1 is z (NumPy's shortcut), also for infinite z
    _deviation("pow", [complex(np.inf, 0), complex(np.inf, -np.inf)]),
])
def test_complex_branch_cuts_special_values_and_small_arguments(name, v):
    """The cases where the engine's complex functions once differed from array-api-strict
    (num-complex's formulas): branch cut sides, signed zeros, small and subnormal
    arguments, complex64 accuracy, poles, C99's infinite and NaN parts. Each now gives
    array-api-strict's value (or the standard's, where NumPy is less accurate)."""
    v = np.asarray(v, dtype=np.asarray(v).dtype if np.asarray(v).dtype == np.complex64 else np.complex128)
    x, a = da.from_array(v, chunks=1), strict.asarray(v)
    with np.errstate(all="ignore"):
        if name == "pow":
            same(xp.pow(x, 1 + 0j), strict.pow(a, 1 + 0j))
        elif name in ("log1p", "sign"):
            same(getattr(xp, name)(x), complex_reference(name, a))
        else:
            same(getattr(xp, name)(x), getattr(strict, name)(a))


@pytest.mark.parametrize("name", ["bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_invert", "bitwise_left_shift",
                                  "bitwise_right_shift", "floor_divide", "remainder", "abs", "negative", "sign", "square"])
@SETTINGS
@given(data=st.data())
def test_integer_elementwise_matches_the_standard(name, data):
    dtype = data.draw(INTS)
    shape = data.draw(SHAPES)
    small = st.integers(0, 7) if "shift" in name else None
    a, x = data.draw(chunked(st.just(dtype), st.just(shape), elements=small))
    if name in ("bitwise_invert", "abs", "negative", "sign", "square"):
        with np.errstate(all="ignore"):
            same(getattr(xp, name)(x), getattr(strict, name)(a))
        return
    b, y = data.draw(chunked(st.just(dtype), st.just(shape), elements=small))
    if name in ("floor_divide", "remainder"):
        assume(not np.any(np.asarray(b) == 0))
    with np.errstate(all="ignore"):
        same(getattr(xp, name)(x, y), getattr(strict, name)(a, b))


@pytest.mark.parametrize("name", ["sum", "prod", "max", "min", "mean", "var", "std", "all", "any", "count_nonzero"])
@SETTINGS
@given(data=st.data())
def test_reductions_match_the_standard(name, data):
    dtypes = FLOATS if name in ("mean", "var", "std") else NUMERIC
    if name == "prod":
        dtypes = st.sampled_from([strict.float64, strict.int64])
    bounded = {"allow_nan": False, "min_value": -100, "max_value": 100} if name == "prod" else (
        {"min_value": -1e6, "max_value": 1e6} if name in ("var", "std") else None)
    a, x = data.draw(chunked(dtypes, elements=bounded))
    axis = data.draw(st.none() | st.integers(0, a.ndim - 1))
    keepdims = data.draw(st.booleans())
    kwargs = {"axis": axis, "keepdims": keepdims}
    if name in ("var", "std"):
        kwargs["correction"] = data.draw(st.sampled_from([0, 1]))
    arg = a if name not in ("all", "any") else a != 0
    xarg = x if name not in ("all", "any") else x != 0
    with np.errstate(all="ignore"):
        want = getattr(strict, name)(arg, **kwargs)
    got = getattr(xp, name)(xarg, **kwargs)
    if name in ("sum", "mean", "var", "std", "prod") and a.dtype in (strict.float32, strict.float64):
        # summation order differs (pairwise in NumPy, per chunk here): compare closely
        w = np.asarray(want)
        g = np.asarray(got.compute())
        assert g.dtype == w.dtype and g.shape == w.shape
        finite = np.abs(np.asarray(a, dtype=np.float64))
        finite = finite[np.isfinite(finite)]
        scale = np.max(finite, initial=0) ** (1 if name != "var" else 2) * max(a.size, 1)
        tol = (1e-5 if a.dtype == strict.float32 else 1e-12) * max(scale, 1.0)
        if scale >= np.finfo(w.dtype).max:
            # near the largest float, whether a sum overflows depends on its order
            # (NumPy's mean of [9e307, 9e307] is inf, the per-chunk one 9e307): leave
            # out the places where exactly one side overflowed
            one_inf = np.isinf(g) != np.isinf(w)
            g, w = np.where(one_inf, 0, g), np.where(one_inf, 0, w)
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=tol, equal_nan=True)
    else:
        same(got, want)


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@SETTINGS
@given(data=chunked(NUMERIC, elements={"allow_nan": False}), keepdims=st.booleans(), pick=st.data())
def test_argmax_and_argmin_match_the_standard(name, data, keepdims, pick):
    a, x = data
    axis = pick.draw(st.none() | st.integers(0, a.ndim - 1))
    same(getattr(xp, name)(x, axis=axis, keepdims=keepdims), getattr(strict, name)(a, axis=axis, keepdims=keepdims))


@SETTINGS
@given(data=chunked(NUMERIC, elements={"allow_nan": False}), pick=st.data())
def test_sort_and_argsort_are_stable_along_any_axis(data, pick):
    a, x = data
    axis = pick.draw(st.integers(-a.ndim, a.ndim - 1))
    descending = pick.draw(st.booleans())
    # -0.0 and 0.0 are equal keys: a stable descending sort keeps their input order,
    # where array-api-strict reverses it, so zeros compare by value here
    same(xp.sort(x, axis=axis, descending=descending), strict.sort(a, axis=axis, descending=descending),
         signed_zeros=False)
    same(xp.argsort(x, axis=axis, descending=descending), strict.argsort(a, axis=axis, descending=descending))


@SETTINGS
@given(data=chunked(ALL_NUMERIC), pick=st.data())
def test_manipulation_matches_the_standard(data, pick):
    a, x = data
    axis = pick.draw(st.integers(0, a.ndim - 1))
    shift = pick.draw(st.integers(-10, 10))
    same(xp.roll(x, shift, axis=axis), strict.roll(a, shift, axis=axis))
    same(xp.roll(x, shift), strict.roll(a, shift))
    same(xp.flip(x, axis=axis), strict.flip(a, axis=axis))
    reps = tuple(pick.draw(st.integers(1, 3)) for _ in range(a.ndim))
    same(xp.tile(x, reps), strict.tile(a, reps))
    same(xp.repeat(x, 2, axis=axis), strict.repeat(a, 2, axis=axis))
    same(xp.moveaxis(x, axis, 0), strict.moveaxis(a, axis, 0))
    same(xp.expand_dims(x, axis=axis), strict.expand_dims(a, axis=axis))
    for got, want in zip(xp.unstack(x, axis=axis), strict.unstack(a, axis=axis)):
        same(got, want)
    same(xp.concat([x, x], axis=axis), strict.concat([a, a], axis=axis))
    same(xp.stack([x, x], axis=axis), strict.stack([a, a], axis=axis))
    same(xp.cumulative_sum(x, axis=axis, include_initial=True), strict.cumulative_sum(a, axis=axis, include_initial=True))
    same(xp.diff(x, axis=axis), strict.diff(a, axis=axis))


@SETTINGS
@given(data=chunked(ALL_NUMERIC, xps.array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=6)), k=st.integers(-3, 3))
def test_triangles_match_the_standard(data, k):
    a, x = data
    same(xp.tril(x, k=k), strict.tril(a, k=k))
    same(xp.triu(x, k=k), strict.triu(a, k=k))


@SETTINGS
@given(data=chunked(NUMERIC, xps.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=9), elements={"allow_nan": False}))
def test_sets_and_searching_match_the_standard(data):
    a, x = data
    same(xp.unique_values(x), strict.unique_values(a))
    got, want = xp.unique_counts(x), strict.unique_counts(a)
    same(got.values, want.values)
    same(got.counts, want.counts)
    got, want = xp.unique_inverse(x), strict.unique_inverse(a)
    same(got.inverse_indices, want.inverse_indices)
    for g, w in zip(xp.nonzero(x), strict.nonzero(a)):
        same(g, w)
    ref = strict.sort(strict.reshape(a, (-1,)))
    same(xp.searchsorted(da.from_array(np.asarray(ref), chunks=3), x, side="right"), strict.searchsorted(ref, a, side="right"))
    same(xp.where(x > 0, x, xp.zeros_like(x)), strict.where(a > 0, a, strict.zeros_like(a)))


@SETTINGS
@given(n=st.integers(1, 6), batch=st.integers(1, 3), seed=st.integers(0, 2**31 - 1))
def test_linalg_matches_the_standard_on_stacks_of_matrices(n, batch, seed):
    rng = np.random.default_rng(seed)
    m = rng.standard_normal((batch, n, n))
    spd = m @ np.swapaxes(m, -1, -2) + n * np.eye(n)
    a, x = strict.asarray(spd), da.from_array(spd, chunks=(1, max(1, n // 2), n))
    for name in ("det", "inv", "cholesky", "eigvalsh", "svdvals", "matrix_rank"):
        got = np.asarray(getattr(xp.linalg, name)(x).compute())
        want = np.asarray(getattr(strict.linalg, name)(a))
        assert got.shape == want.shape and got.dtype == want.dtype, name
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9, err_msg=name)
    q, r = xp.linalg.qr(x)
    np.testing.assert_allclose(np.asarray(q.compute()) @ np.asarray(r.compute()), spd, atol=1e-9)
    same(xp.linalg.matrix_transpose(x), strict.linalg.matrix_transpose(a))
    np.testing.assert_allclose(np.asarray(xp.linalg.vector_norm(x, axis=-1).compute()),
                               np.asarray(strict.linalg.vector_norm(a, axis=-1)), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(xp.linalg.matrix_norm(x).compute()),
                               np.asarray(strict.linalg.matrix_norm(a)), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(xp.matmul(x, x).compute()), np.asarray(strict.matmul(a, a)), rtol=1e-12)


@SETTINGS
@given(n=st.integers(1, 5), batch=st.integers(1, 3), seed=st.integers(0, 2**31 - 1),
       dtype=st.sampled_from(["complex64", "complex128"]))
def test_linalg_of_complex_matrices_matches_the_standard(n, batch, seed, dtype):
    rng = np.random.default_rng(seed)
    m = rng.standard_normal((batch, n, n)) + 1j * rng.standard_normal((batch, n, n))
    # Hermitian positive definite
    hpd = (m @ np.conj(np.swapaxes(m, -1, -2)) + n * np.eye(n)).astype(dtype)
    a, x = strict.asarray(hpd), da.from_array(hpd, chunks=(1, builtins.max(1, n // 2), n))
    rtol = 1e-4 if dtype == "complex64" else 1e-9
    for name in ("det", "inv", "eigvalsh", "svdvals", "matrix_norm"):
        got = np.asarray(getattr(xp.linalg, name)(x).compute())
        want = np.asarray(getattr(strict.linalg, name)(a))
        assert got.shape == want.shape and got.dtype == want.dtype, (name, got.dtype, want.dtype)
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol, err_msg=name)
    for upper in (False, True):
        got = np.asarray(xp.linalg.cholesky(x, upper=upper).compute())
        want = np.asarray(strict.linalg.cholesky(a, upper=upper))
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)
    got = xp.linalg.vector_norm(x, axis=-1).compute()
    assert got.dtype == np.dtype(dtype).type(0).real.dtype
    np.testing.assert_allclose(got, np.asarray(strict.linalg.vector_norm(a, axis=-1)), rtol=rtol)
    got = xp.vecdot(x, x).compute()
    np.testing.assert_allclose(got, np.asarray(strict.vecdot(a, a)), rtol=rtol)
    np.testing.assert_allclose(xp.matmul(x, x).compute(), np.asarray(strict.matmul(a, a)), rtol=rtol, atol=rtol)


def test_tall_skinny_qr_uses_tsqr_and_is_exact():
    rng = np.random.default_rng(1)
    v = rng.standard_normal((400, 5))
    x = da.from_array(v, chunks=(100, 5))
    q, r = xp.linalg.qr(x)
    assert q.chunks == ((100, 100, 100, 100), (5,))
    np.testing.assert_allclose(np.asarray(q.compute()) @ np.asarray(r.compute()), v, atol=1e-12)


def test_namespace_covers_every_name_of_the_standard():
    extras = {"ArrayAPIStrictFlags", "get_array_api_strict_flags", "set_array_api_strict_flags",
              "reset_array_api_strict_flags", "__version__", "Device", "fft"}
    missing = sorted(set(strict.__all__) - extras - set(dir(xp)))
    assert missing == []
    assert xp.__array_api_version__ == strict.__array_api_version__
    x = da.arange(4)
    assert x.__array_namespace__() is xp
    assert x.device == "cpu" and x.to_device("cpu") is x


def test_dtypes_and_type_functions():
    assert xp.result_type(xp.int32, xp.int64) == np.int64
    assert xp.result_type(xp.float32, 1.0) == np.float32
    assert xp.can_cast(xp.int32, xp.int64) and not xp.can_cast(xp.float64, xp.int64)
    assert xp.isdtype(xp.uint8, "unsigned integer") and not xp.isdtype(xp.uint8, "real floating")
    assert xp.finfo(xp.float32).eps == np.finfo(np.float32).eps
    assert xp.iinfo(xp.int32).max == 2**31 - 1
    info = xp.__array_namespace_info__()
    assert "int64" in info.dtypes() and "int16" in info.dtypes() and "complex64" in info.dtypes()
    assert info.dtypes(kind="complex floating") == {"complex64": xp.complex64, "complex128": xp.complex128}
    # complex promotion, casting and limits follow the standard (and array-api-strict)
    for d1, d2 in [(xp.complex64, xp.float32), (xp.complex64, xp.float64), (xp.complex64, xp.complex128)]:
        want = strict.result_type(getattr(strict, d1.name), getattr(strict, d2.name))
        assert want == getattr(strict, xp.result_type(d1, d2).name)
    assert xp.result_type(xp.float32, 1j) == np.complex64 and xp.result_type(xp.float64, 1j) == np.complex128
    for f, t in [("float32", "complex64"), ("float64", "complex64"), ("float64", "complex128"),
                 ("complex64", "complex128"), ("complex128", "complex64"), ("complex64", "float32")]:
        assert xp.can_cast(getattr(xp, f), getattr(xp, t)) == strict.can_cast(getattr(strict, f), getattr(strict, t)), (f, t)
    for d, real in [(xp.complex64, xp.float32), (xp.complex128, xp.float64)]:
        fi, want = xp.finfo(d), strict.finfo(getattr(strict, d.name))
        assert fi.dtype == real and want.dtype == getattr(strict, real.name)
        assert (fi.bits, fi.eps, fi.max, fi.min, fi.smallest_normal) == (want.bits, want.eps, want.max, want.min,
                                                                         want.smallest_normal)
    assert xp.isdtype(xp.complex64, "complex floating") and xp.isdtype(xp.complex128, "numeric")
    assert not xp.isdtype(xp.complex64, "real floating")


def test_complex_arrays_are_made_cast_and_converted():
    z = xp.asarray([1 + 2j, -3j], dtype=xp.complex64)
    assert z.dtype == xp.complex64
    same(xp.astype(z, xp.complex128), np.array([1 + 2j, -3j]))
    same(xp.astype(xp.asarray([1.5, 2.0]), xp.complex64), np.array([1.5, 2.0], dtype=np.complex64))
    same(xp.zeros(3, dtype=xp.complex128), np.zeros(3, np.complex128))
    same(xp.ones_like(z), np.ones(2, np.complex64))
    same(xp.full((2,), 1 - 1j), np.full(2, 1 - 1j))
    same(xp.eye(2, dtype=xp.complex64), np.eye(2, dtype=np.complex64))
    same(xp.linspace(0, 2 + 2j, 3), np.linspace(0, 2 + 2j, 3))
    assert complex(z[0]) == 1 + 2j and bool(z[1])
    with pytest.raises(TypeError, match="float\\(\\) of a complex64 array would drop its imaginary part"):
        float(z[0])
    with pytest.raises(TypeError, match="arange"):
        xp.arange(3, dtype=xp.complex64)
    with pytest.raises(TypeError, match="mean"):
        xp.mean(xp.asarray([1, 2, 3]))
    same(xp.mean(z), np.mean(np.array([1 + 2j, -3j], dtype=np.complex64)))


def test_dtypes_spillway_cannot_hold_are_refused_by_name():
    with pytest.raises(TypeError, match="float16 is not supported"):
        xp.asarray([1, 2], dtype=np.float16)
    with pytest.raises(TypeError, match="float16 is not supported"):
        xp.zeros(3, dtype=np.float16)
    with pytest.raises(TypeError, match="floating"):
        xp.mean(xp.asarray([1, 2, 3]))


def test_dlpack_and_creation():
    x = xp.arange(6, dtype=xp.float64)
    np.testing.assert_array_equal(np.from_dlpack(x), np.arange(6.0))
    same(xp.from_dlpack(np.arange(3.0)), np.arange(3.0))
    same(xp.eye(3, 4, k=1), np.eye(3, 4, k=1))
    same(xp.linspace(0, 1, 5), np.linspace(0, 1, 5))
    gx, gy = xp.meshgrid(xp.arange(3), xp.arange(2))
    wx, wy = np.meshgrid(np.arange(3), np.arange(2))
    same(gx, wx)
    same(gy, wy)
    same(xp.full_like(x, 7.0), np.full(6, 7.0))
    with pytest.raises(TypeError, match="immutable"):
        x[0] = 1.0


def test_special_cases_of_elementwise_functions():
    v = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0])
    x = da.from_array(v, chunks=3)
    a = strict.asarray(v)
    with np.errstate(all="ignore"):
        for name in ("sqrt", "log", "exp", "sign", "floor", "ceil", "trunc", "round", "abs", "acosh", "atanh",
                     "signbit", "isnan", "isinf", "isfinite", "reciprocal", "expm1", "log1p"):
            same(getattr(xp, name)(x), getattr(strict, name)(a))
        for name in ("atan2", "copysign", "hypot", "pow", "divide", "maximum", "minimum", "remainder", "floor_divide"):
            same(getattr(xp, name)(x, da.from_array(v[::-1].copy(), chunks=2)), getattr(strict, name)(a, strict.flip(a)))


@SETTINGS
@given(data=chunked(ALL_NUMERIC, xps.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=9)), pick=st.data())
def test_sliding_window_view_and_pad_match_numpy(data, pick):
    # xarray's rolling windows reach these through the namespace
    a, x = data
    v = np.asarray(a)
    axis = pick.draw(st.integers(0, v.ndim - 1))
    w = pick.draw(st.integers(1, v.shape[axis]))
    got = xp.lib.stride_tricks.sliding_window_view(x, w, axis=axis).compute()
    np.testing.assert_array_equal(got, np.lib.stride_tricks.sliding_window_view(v, w, axis=axis))
    widths = [(pick.draw(st.integers(0, 3)), pick.draw(st.integers(0, 3))) for _ in range(v.ndim)]
    np.testing.assert_array_equal(xp.pad(x, widths, constant_values=7).compute(),
                                  np.pad(v, widths, constant_values=7))


def test_sliding_windows_over_several_axes_and_too_long_a_window():
    v = np.arange(7 * 6 * 5, dtype=np.float32).reshape(7, 6, 5)
    x = da.from_array(v, chunks=(3, 2, 5))
    got = xp.lib.stride_tricks.sliding_window_view(x, (3, 2), axis=(0, 2))
    want = np.lib.stride_tricks.sliding_window_view(v, (3, 2), axis=(0, 2))
    assert got.shape == want.shape and got.chunks[0] == (3, 2)
    np.testing.assert_array_equal(got.compute(), want)
    # a rolling mean over chunk edges is the windows' mean
    np.testing.assert_allclose(xp.mean(got, axis=(-2, -1)).compute(), want.mean(axis=(-2, -1)), rtol=1e-6)
    with pytest.raises(ValueError, match="window 8 is longer than axis 0"):
        xp.lib.stride_tricks.sliding_window_view(x, 8, axis=0)
    with pytest.raises(ValueError, match="one per axis"):
        xp.lib.stride_tricks.sliding_window_view(x, (2, 2), axis=0)


def test_a_1_d_sort_larger_than_the_budget_runs_out_of_core():
    import spillway

    values = np.random.default_rng(5).normal(size=4_000_000)  # 32 MB
    values[::1000] = np.nan
    values[1::1000] = -0.0
    small = spillway.distributed.Client(n_workers=1, threads_per_worker=2, memory_limit="48MB")
    try:
        x = da.from_array(values, chunks=250_000)
        np.testing.assert_array_equal(xp.sort(x).compute(), np.sort(values, kind="stable"))
        np.testing.assert_array_equal(xp.argsort(x).compute(), np.argsort(values, kind="stable"))
        desc = xp.argsort(x, descending=True).compute()
        np.testing.assert_array_equal(desc, strict.argsort(strict.asarray(values), descending=True))
    finally:
        small.close()


def test_an_n_d_sort_along_an_axis_larger_than_the_budget_runs_out_of_core():
    import spillway

    rng = np.random.default_rng(7)
    values = rng.normal(size=(3, 1_500_000))  # 36 MB; one lane is 12 MB
    values[:, ::997] = np.nan
    values[:, 1::997] = -0.0
    small = spillway.distributed.Client(n_workers=1, threads_per_worker=2, memory_limit="32MB")
    try:
        x = da.from_array(values, chunks=(2, 200_000))
        # gathering the axis whole into blocks is refused under this budget ...
        with pytest.raises(spillway.MemoryBudgetError):
            x.rechunk((3, 1_500_000)).map_blocks(np.sort, dtype=x.dtype).compute()
        # ... so each lane is sorted out of core (and read back a lane at a time: the
        # whole result would not fit the budget either)
        want = np.sort(values, axis=1, kind="stable")
        got = xp.sort(x, axis=1)
        t = da.from_array(values.T, chunks=(300_000, 1))
        order = xp.argsort(t, axis=0)
        desc = xp.argsort(x, axis=-1, descending=True)
        want_desc = np.asarray(strict.argsort(strict.asarray(values), axis=-1, descending=True))
        for lane in range(3):
            np.testing.assert_array_equal(got[lane].compute(), want[lane])
            np.testing.assert_array_equal(order[:, lane].compute(), np.argsort(values[lane], kind="stable"))
            np.testing.assert_array_equal(desc[lane].compute(), want_desc[lane])
        assert small.memory_held()[1] <= 32_000_000
    finally:
        small.close()


def test_lanes_that_fit_are_sorted_in_blocks_cut_for_the_budget():
    import spillway

    values = np.random.default_rng(8).integers(-50, 50, size=(20_000, 100)).astype(np.int16)
    small = spillway.distributed.Client(n_workers=1, threads_per_worker=2, memory_limit="32MB")
    try:
        x = da.from_array(values, chunks=(1_000, 100))
        got = xp.sort(x, axis=0)
        # the axis is whole in each block (80 kB a lane with its sorted copy), the other
        # axis cut so a block stays within a quarter of the budget per thread (4 MB)
        assert got.chunks[0] == (20_000,) and builtins.max(got.chunks[1]) == 50
        np.testing.assert_array_equal(got.compute(), np.sort(values, axis=0, kind="stable"))
        np.testing.assert_array_equal(xp.argsort(x, axis=0, descending=True).compute(),
                                      strict.argsort(strict.asarray(values), axis=0, descending=True))
        assert small.memory_held()[1] <= 32_000_000
    finally:
        small.close()
