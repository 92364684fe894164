"""complex64 and complex128 through spillway: NumPy arrays in and out, arithmetic with
arrays and Python complex scalars, reductions, parts, casts, Python callables on complex
blocks, lazy sources, and zarr stores read back by zarr-python.

The values are small multiples of 1/4, so every sum, product and quotient below is exact
in both dtypes whatever the order of the operations: the results must equal NumPy's bit
for bit.
"""

import numpy as np
import pytest

import spillway.array as da
import spillway.array_api as xp

pytestmark = pytest.mark.usefixtures("client")

DTYPES = [np.complex64, np.complex128]


def quarters(shape, dtype, seed=0):
    """Complex values whose parts are multiples of 1/4 in [-4, 4]."""
    rng = np.random.default_rng(seed)
    re = rng.integers(-16, 17, size=shape) / 4
    im = rng.integers(-16, 17, size=shape) / 4
    return (re + 1j * im).astype(dtype)


def equal(got, want):
    """The same dtype, shape and values, bit for bit."""
    got = np.asarray(got)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", DTYPES)
def test_numpy_values_round_trip_exactly(dtype):
    v = quarters((7, 5), dtype)
    x = da.from_array(v, chunks=(3, 2))
    assert x.dtype == dtype and x.nbytes == v.nbytes
    equal(x.compute(), v)
    # strided input is copied to C order first; a 0-d result is a NumPy scalar
    equal(da.from_array(v[::2, ::-1], chunks=2).compute(), v[::2, ::-1])
    equal(x.T.compute(), v.T)
    equal(x[1:4, ::2].compute(), v[1:4, ::2])
    scalar = x[2, 3].compute()
    assert isinstance(scalar, np.complexfloating) and scalar == v[2, 3]
    assert complex(x[2, 3]) == complex(v[2, 3])


@pytest.mark.parametrize("dtype", DTYPES)
def test_arithmetic_matches_numpy_exactly(dtype):
    a, b = quarters((6, 4), dtype, 1), quarters((6, 4), dtype, 2)
    x, y = da.from_array(a, chunks=(4, 3)), da.from_array(b, chunks=(2, 4))
    equal(x + y, a + b)
    equal(x - y, a - b)
    equal(x * y, a * b)
    equal(-x, -a)
    equal(x ** 2, a ** 2)
    equal(x == y, a == b)
    equal(x != x.conj(), a != a.conj())
    # division by powers of two and by j is exact
    equal(x / 2, a / 2)
    equal(x / 1j, (a / 1j).astype(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_python_complex_scalars_promote_weakly(dtype):
    a = quarters((5,), dtype, 3)
    x = da.from_array(a, chunks=2)
    equal(x + (1 + 2j), a + (1 + 2j))
    equal(2j * x, 2j * a)
    equal(x - 0.5, a - 0.5)
    real = np.arange(5, dtype=np.float32)
    # NEP 50: a complex scalar beside float32 gives complex64, beside float64 complex128
    equal(da.from_array(real, chunks=2) + 1j, real + 1j)
    equal(da.from_array(real.astype(np.float64), chunks=2) * 1j, real.astype(np.float64) * 1j)
    equal(da.from_array(np.arange(5), chunks=2) + 1j, np.arange(5) + 1j)
    # real arrays beside complex arrays
    equal(x + da.from_array(real, chunks=3), a + real)
    equal(x * da.from_array(real.astype(np.float64), chunks=3), a * real.astype(np.float64))


@pytest.mark.parametrize("dtype", DTYPES)
def test_reductions_match_numpy_exactly(dtype):
    a = quarters((8, 4), dtype, 4)
    x = da.from_array(a, chunks=(3, 3))
    equal(x.sum(), a.sum())
    equal(x.sum(axis=0), a.sum(axis=0))
    # the complex mean is the sum over the count: exact here, whatever the chunks
    for axis in (None, 0, 1):
        equal(x.mean(axis=axis), a.mean(axis=axis))
    small = quarters((2, 3), dtype, 5)
    small[small == 0] = 1
    equal(da.from_array(small, chunks=1).prod(axis=1), small.prod(axis=1))
    equal(x.any(axis=0), a.any(axis=0))
    equal(x.all(), a.all())
    equal(da.count_nonzero(x, axis=1), np.count_nonzero(a, axis=1))
    # var and std are real (the variances of the parts summed, as NumPy)
    assert x.var().dtype == a.var().dtype and x.std().dtype == a.std().dtype
    np.testing.assert_allclose(x.var(axis=0).compute(), a.var(axis=0), rtol=1e-6)
    np.testing.assert_allclose(x.std().compute(), a.std(), rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
def test_parts_magnitude_and_casts(dtype):
    a = quarters((9,), dtype, 6)
    a[0] = 3 + 4j
    x = da.from_array(a, chunks=4)
    equal(x.real, a.real)
    equal(x.imag, a.imag)
    equal(x.conj(), a.conj())
    equal(np.conj(x), a.conj())
    equal(np.real(x), a.real)
    equal(np.imag(x), a.imag)
    # |z| is hypot(re, im), correctly rounded; NumPy's vectorized loop may be an ulp off
    magnitude = abs(x).compute()
    assert magnitude.dtype == np.abs(a).dtype and magnitude[0] == 5.0
    np.testing.assert_array_max_ulp(magnitude, np.abs(a), maxulp=1)
    np.testing.assert_allclose(da.angle(x).compute(), np.angle(a), rtol=1e-6)
    assert da.iscomplexobj(x) and not da.iscomplexobj(x.real)
    other = np.complex128 if dtype == np.complex64 else np.complex64
    equal(x.astype(other), a.astype(other))
    equal(x.astype(np.float64), a.real.astype(np.float64))  # NumPy keeps the real part
    equal(x.astype(bool), a.astype(bool))
    equal(x.real.astype(dtype), a.real.astype(dtype))
    # float() and int() would drop the imaginary part: refused, as the standard says
    with pytest.raises(TypeError, match="imaginary part"):
        float(x[1])
    with pytest.raises(TypeError, match="imaginary part"):
        int(x[1])


def test_creation_with_complex_values():
    equal(da.full((2, 3), 1 - 2j, chunks=2), np.full((2, 3), 1 - 2j))
    equal(da.zeros(4, dtype=np.complex64, chunks=3), np.zeros(4, np.complex64))
    equal(da.ones(4, dtype=np.complex128, chunks=3), np.ones(4, np.complex128))
    equal(xp.full(3, 2j), np.full(3, 2j))
    equal(xp.linspace(0, 4 + 8j, 5), np.linspace(0, 4 + 8j, 5))
    equal(xp.linspace(1j, 2, 3, dtype=xp.complex64), np.linspace(1j, 2, 3, dtype=np.complex64))
    equal(xp.asarray([1 + 1j, 2]), np.asarray([1 + 1j, 2]))
    equal(xp.where(xp.asarray([True, False]), xp.asarray([1j, 2j]), 0), np.array([1j, 0]))
    equal(da.from_array(np.array([1, 2], dtype=np.clongdouble)), np.array([1, 2], dtype=np.complex128))


def test_python_callables_on_complex_blocks():
    a = quarters((6, 5), np.complex128, 7)
    x = da.from_array(a, chunks=(4, 2))
    # complex in, complex out
    equal(x.map_blocks(lambda b: b * 1j, dtype=np.complex128), a * 1j)
    # complex in, real out, and real in, complex out
    equal(x.map_blocks(np.abs, dtype=np.float64), np.abs(a))
    equal(x.real.map_blocks(lambda b: b + 1j, dtype=np.complex128), a.real + 1j)
    # a complex boundary constant: each element plus its left neighbour, the first
    # element's being the constant
    c = 2 + 3j
    got = da.from_array(a[0], chunks=2).map_overlap(lambda b: b + np.roll(b, 1), depth=1, boundary=c)
    equal(got, a[0] + np.concatenate([[c], a[0][:-1]]))
    # a lazy source (anything sliced like an array) of complex values
    class Source:
        shape, dtype = a.shape, a.dtype

        def __getitem__(self, key):
            return a[key]

    equal(da.from_array(Source(), chunks=(4, 4)), a)


def test_zarr_round_trip_with_zarr_python(tmp_path):
    zarr = pytest.importorskip("zarr")
    a = quarters((10, 7), np.complex128, 8)
    a[0, 0] = complex(np.nan, -np.inf)
    path = tmp_path / "z.zarr"
    da.from_array(a, chunks=(4, 3)).to_zarr(path)
    z = zarr.open_array(str(path), mode="r")
    assert z.dtype == np.complex128 and z.chunks == (4, 3)
    np.testing.assert_array_equal(z[:], a)
    # spillway reads it back, and reads what zarr-python writes
    equal(da.from_zarr(path).compute(), a)
    small = quarters((5, 4), np.complex64, 9)
    other = tmp_path / "w.zarr"
    zarr.create_array(str(other), shape=small.shape, chunks=(2, 2), dtype=np.complex64)[:] = small
    back = da.from_zarr(other)
    assert back.dtype == np.complex64
    equal(back.compute(), small)
