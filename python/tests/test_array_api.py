"""spillway.array_api against array-api-strict on the same generated inputs.

Inputs come from hypothesis's array API strategies (over array-api-strict), in the dtypes
spillway holds, and are cut into random chunkings; every function's result is compared
with array-api-strict's, values and dtype, NaN where NaN.
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
SHAPES = xps.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=7)


@st.composite
def chunked(draw, dtypes=NUMERIC, shape=SHAPES, elements=None):
    """A strict array and the same values as a spillway array in random chunks."""
    dtype = draw(dtypes)
    shp = draw(shape) if not isinstance(shape, tuple) else shape
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
    else:
        np.testing.assert_array_equal(got, want)


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
@given(data=chunked(NUMERIC), pick=st.data())
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
@given(data=chunked(NUMERIC, xps.array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=6)), k=st.integers(-3, 3))
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
    assert "int64" in info.dtypes() and "int16" in info.dtypes() and "complex64" not in info.dtypes()


def test_dtypes_spillway_cannot_hold_are_refused_by_name():
    with pytest.raises(TypeError, match="complex64 is not supported"):
        xp.asarray([1, 2], dtype=xp.complex64)
    with pytest.raises(TypeError, match="complex128 is not supported"):
        xp.zeros(3, dtype=xp.complex128)
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
@given(data=chunked(NUMERIC, xps.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=9)), pick=st.data())
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
