"""Dask parity: the same expressions computed by dask.array (from PyPI) and by
spillway.array over random shapes, chunkings and dtypes (hypothesis), equal bit for bit
where NumPy's result is exact and to 1e-12 relative for float reductions."""

import operator
import warnings

import dask
import dask.array as dda
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import spillway.array as sda

dask.config.set(scheduler="synchronous")


@pytest.fixture(autouse=True, scope="module")
def spillway_client():
    """spillway computes on the most recently built client; this module builds its own."""
    from spillway.distributed import Client

    c = Client(n_workers=1, threads_per_worker=2, memory_limit="512MB")
    yield c
    c.close()
DTYPES = ["float64", "float32", "int64", "int32", "int16", "int8", "uint16", "uint8", "bool"]


@st.composite
def arrays(draw, max_ndim=3, dtypes=DTYPES):
    ndim = draw(st.integers(1, max_ndim))
    shape = tuple(draw(st.integers(1, 9)) for _ in range(ndim))
    chunks = tuple(draw(st.integers(1, s)) for s in shape)
    dtype = draw(st.sampled_from(dtypes))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        values = rng.random(shape) < 0.5
    elif dtype.startswith("float"):
        values = rng.normal(0, 10, shape).astype(dtype)
    elif dtype in ("uint8", "uint16"):
        values = rng.integers(0, 255, shape).astype(dtype)
    elif dtype == "int8":
        values = rng.integers(-128, 128, shape).astype(dtype)
    else:
        values = rng.integers(-1000, 1000, shape).astype(dtype)
    return values, chunks


def both(values, chunks):
    return dda.from_array(values, chunks=chunks), sda.from_array(values, chunks=chunks)


def check(expected, got, reduction=False):
    expected = np.asarray(expected)
    got = np.asarray(got)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    assert got.dtype == expected.dtype, (got.dtype, expected.dtype)
    if reduction and expected.dtype.kind == "f":
        # relative to the largest result too: a running sum that cancels to near zero has
        # the rounding of the terms before it, not of itself
        rtol = 1e-12 if expected.dtype == np.float64 else 1e-5
        scale = np.abs(expected[np.isfinite(expected)]).max(initial=0.0)
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol * scale, equal_nan=True)
    else:
        np.testing.assert_array_equal(got, expected)


SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BINARY = ["add", "sub", "mul", "truediv", "lt", "ge", "eq", "ne"]


@SETTINGS
@given(arrays(), st.sampled_from(BINARY), st.sampled_from([2, -3, 0.5, True]))
def test_array_scalar_operators(x, op, scalar):
    values, chunks = x
    d, s = both(values, chunks)
    if values.dtype == np.bool_ and op in ("sub",):
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            expected = getattr(operator, op)(d, scalar).compute()
        except (TypeError, OverflowError):
            return
    check(expected, getattr(operator, op)(s, scalar).compute())


@SETTINGS
@given(arrays(max_ndim=2), st.sampled_from(DTYPES), st.sampled_from(BINARY + ["floordiv", "mod"]))
def test_array_array_promotion(x, other_dtype, op):
    values, chunks = x
    other = np.random.default_rng(1).integers(1, 5, values.shape).astype(other_dtype)
    d, s = both(values, chunks)
    d2, s2 = both(other, chunks)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            expected = getattr(operator, op)(d, d2).compute()
        except (TypeError, OverflowError):
            return
    if values.dtype == np.bool_ and other.dtype == np.bool_ and op in ("floordiv", "mod", "truediv"):
        return
    check(expected, getattr(operator, op)(s, s2).compute())


@SETTINGS
@given(arrays(), st.sampled_from(["sum", "mean", "min", "max", "prod", "std", "var", "any", "all"]), st.data())
def test_reductions(x, name, data):
    values, chunks = x
    d, s = both(values, chunks)
    axis = data.draw(st.sampled_from([None] + list(range(values.ndim))))
    keepdims = data.draw(st.booleans())
    if values.dtype == np.bool_ and name in ("std", "var", "mean", "prod"):
        return
    if name == "prod" and values.dtype.kind != "f":
        values = (values % 3).astype(values.dtype)
        d, s = both(values, chunks)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = getattr(d, name)(axis=axis, keepdims=keepdims).compute()
    check(expected, getattr(s, name)(axis=axis, keepdims=keepdims).compute(), reduction=True)


@SETTINGS
@given(arrays(), st.data())
def test_indexing(x, data):
    values, chunks = x
    d, s = both(values, chunks)
    index = []
    for extent in values.shape:
        kind = data.draw(st.sampled_from(["slice", "int", "list", "full"]))
        if kind == "slice":
            start = data.draw(st.integers(-extent, extent))
            stop = data.draw(st.integers(-extent, extent))
            step = data.draw(st.sampled_from([1, 2, -1, -2, 3]))
            index.append(slice(start, stop, step))
        elif kind == "int":
            index.append(data.draw(st.integers(-extent, extent - 1)))
        elif kind == "list":
            index.append(data.draw(st.lists(st.integers(0, extent - 1), min_size=1, max_size=4)))
        else:
            index.append(slice(None))
    if sum(isinstance(i, list) for i in index) > 1:
        return
    index = tuple(index)
    check(values[index], s[index].compute() if np.ndim(values[index]) else s[index].compute())


@SETTINGS
@given(arrays(dtypes=["float64", "float32"]), st.sampled_from(["sqrt", "exp", "sin", "abs", "floor", "negative", "isnan"]))
def test_ufuncs(x, name):
    values, chunks = x
    d, s = both(values, chunks)
    ufunc = getattr(np, name) if name != "abs" else np.abs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = ufunc(d).compute()
        got = ufunc(s)
    assert isinstance(got, sda.Array)
    got = got.compute()
    if name in ("sqrt", "abs", "floor", "negative", "isnan"):
        check(expected, got)
    else:
        # transcendental functions: NumPy's own results differ by an ulp between CPUs
        assert got.dtype == expected.dtype
        np.testing.assert_array_max_ulp(got, expected, maxulp=2)


@SETTINGS
@given(arrays(max_ndim=2), st.data())
def test_shape_functions(x, data):
    values, chunks = x
    d, s = both(values, chunks)
    check(d.T.compute(), s.T.compute())
    check(d.ravel().compute(), s.ravel().compute())
    check(np.concatenate([d, d], axis=0).compute(), np.concatenate([s, s], axis=0).compute())
    check(da_stack(d), sda.stack([s, s], axis=0).compute())
    new_chunks = tuple(data.draw(st.integers(1, e)) for e in values.shape)
    r = s.rechunk(new_chunks)
    assert r.chunks == d.rechunk(new_chunks).chunks
    check(values, r.compute())
    if values.dtype.kind in "iuf":
        check(d.cumsum(axis=0).compute(), s.cumsum(axis=0).compute(), reduction=True)


def da_stack(d):
    return dda.stack([d, d], axis=0).compute()


@SETTINGS
@given(arrays(max_ndim=2, dtypes=["float64"]), st.data())
def test_matmul_and_metadata(x, data):
    values, chunks = x
    d, s = both(values, chunks)
    assert s.shape == d.shape and s.chunks == d.chunks and s.chunksize == d.chunksize
    assert s.numblocks == d.numblocks and s.npartitions == d.npartitions and s.nbytes == d.nbytes
    m = values.reshape(values.shape[0], -1)
    dm, sm = both(m, (chunks[0], m.shape[1]))
    np.testing.assert_allclose((sm @ sm.T).compute(), (dm @ dm.T).compute(), rtol=1e-12)


@st.composite
def complex_arrays(draw, max_ndim=2):
    """Complex values whose parts are multiples of 1/4 in [-8, 8]: sums, products and
    quotients by powers of two are exact, so results compare bit for bit."""
    ndim = draw(st.integers(1, max_ndim))
    shape = tuple(draw(st.integers(1, 7)) for _ in range(ndim))
    chunks = tuple(draw(st.integers(1, s)) for s in shape)
    dtype = draw(st.sampled_from(["complex64", "complex128"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    values = (rng.integers(-32, 33, shape) / 4 + 1j * (rng.integers(-32, 33, shape) / 4)).astype(dtype)
    return values, chunks


@SETTINGS
@given(complex_arrays(), st.sampled_from(["add", "sub", "mul", "eq", "ne", "pow"]),
       st.sampled_from([2, 0.5, 1j, 1.5 - 2j, True]))
def test_complex_operators_match_dask(x, op, scalar):
    values, chunks = x
    if op == "pow" and scalar not in (2, True):
        return
    d, s = both(values, chunks)
    check(getattr(operator, op)(d, scalar).compute(), getattr(operator, op)(s, scalar).compute())
    if op == "pow":
        # z ** w for any complex w is exp(w log z), not exact: array-api tests compare it
        return
    check(getattr(operator, op)(d, d).compute(), getattr(operator, op)(s, s).compute())
    real = np.real(values).astype(np.float32)
    dr, sr = both(real, chunks)
    check(getattr(operator, op)(d, dr).compute(), getattr(operator, op)(s, sr).compute())


@SETTINGS
@given(complex_arrays(), st.sampled_from(["sum", "mean", "std", "var", "any", "all"]), st.data())
def test_complex_reductions_match_dask(x, name, data):
    values, chunks = x
    d, s = both(values, chunks)
    axis = data.draw(st.sampled_from([None] + list(range(values.ndim))))
    keepdims = data.draw(st.booleans())
    expected = getattr(d, name)(axis=axis, keepdims=keepdims).compute()
    got = getattr(s, name)(axis=axis, keepdims=keepdims).compute()
    if name in ("any", "all", "sum"):
        check(expected, got)
    else:
        # mean divides by a count, var and std take squares and a root: close, not exact
        assert np.asarray(got).dtype == np.asarray(expected).dtype
        np.testing.assert_allclose(got, expected, rtol=1e-5 if values.dtype == np.complex64 else 1e-12)


@SETTINGS
@given(complex_arrays(), st.sampled_from(["real", "imag", "conj", "abs", "negative", "isnan", "isfinite"]))
def test_complex_parts_match_dask(x, name):
    values, chunks = x
    d, s = both(values, chunks)
    fn = getattr(np, name)
    got = fn(s)
    assert isinstance(got, sda.Array)
    if name == "abs":
        # hypot(re, im), against the magnitude taken in double precision and rounded to
        # the result's dtype: NumPy's complex64 loop is itself up to 2 ulps off that
        # (|3.75 + 7j| is 7.9411898 there; hypotf and spillway give 7.9411902)
        expected = fn(d).compute()
        assert got.dtype == expected.dtype
        exact = np.abs(values.astype(np.complex128)).astype(expected.dtype)
        np.testing.assert_array_max_ulp(got.compute(), exact, maxulp=1)
        return
    check(fn(d).compute(), got.compute())
