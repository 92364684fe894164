"""``da.random``: random arrays that are a pure function of the seed and each element's
position, so the same seed gives the same values whatever the chunking or threads."""

from __future__ import annotations

import numpy as np

from .._native import native
from .core import Array, _wrap

__all__ = ["random", "random_sample", "uniform", "normal", "standard_normal", "integers",
           "randint", "seed", "default_rng", "Generator", "RandomState"]


def _size(size):
    if size is None:
        return []
    if isinstance(size, (int, np.integer)):
        return [int(size)]
    return [int(s) for s in size]


class Generator:
    """A seeded generator, as ``da.random.default_rng(seed)``.

    Parameters
    ----------
    seed : int, optional
        The seed (a fixed default when None).
    """

    def __init__(self, seed=None):
        self._g = None if seed is None else native._Generator(int(seed) % (1 << 64))

    def random(self, size=None, chunks="auto", dtype=float, **kwargs) -> Array:
        """Uniform floats in ``[0, 1)``."""
        out = _wrap(native.random("random", 0.0, 1.0, _size(size), chunks, self._g))
        return out if np.dtype(dtype) == np.float64 else out.astype(dtype)

    def uniform(self, low=0.0, high=1.0, size=None, chunks="auto", **kwargs) -> Array:
        """Uniform floats in ``[low, high)``."""
        return _wrap(native.random("uniform", float(low), float(high), _size(size), chunks, self._g))

    def normal(self, loc=0.0, scale=1.0, size=None, chunks="auto", **kwargs) -> Array:
        """Normally distributed floats."""
        return _wrap(native.random("normal", float(loc), float(scale), _size(size), chunks, self._g))

    def standard_normal(self, size=None, chunks="auto", **kwargs) -> Array:
        """Normal floats with mean 0 and deviation 1."""
        return self.normal(0.0, 1.0, size, chunks)

    def integers(self, low, high=None, size=None, chunks="auto", dtype=np.int64, endpoint=False, **kwargs) -> Array:
        """Integers in ``[low, high)`` (``[0, low)`` when ``high`` is None)."""
        if high is None:
            low, high = 0, low
        if endpoint:
            high += 1
        out = _wrap(native.random("integers", float(low), float(high), _size(size), chunks, self._g))
        return out if np.dtype(dtype) == np.int64 else out.astype(dtype)

    def randint(self, low, high=None, size=None, chunks="auto", dtype=np.int64, **kwargs) -> Array:
        """As :meth:`integers` (``RandomState``'s name)."""
        return self.integers(low, high, size, chunks, dtype)

    random_sample = random


RandomState = Generator
_GLOBAL = Generator(None)


def default_rng(seed=None) -> Generator:
    """A seeded :class:`Generator`, as ``da.random.default_rng``."""
    return Generator(seed)


def seed(seed) -> None:
    """Seeds the process-wide generator, as ``da.random.seed``."""
    native.seed(int(seed) % (1 << 64))


def random(size=None, chunks="auto", **kwargs) -> Array:
    """Uniform floats in ``[0, 1)`` from the process-wide generator, as ``da.random.random``.

    Examples
    --------
    >>> import spillway.array as da
    >>> da.random.random(20, chunks=5).chunks
    ((5, 5, 5, 5),)
    """
    return _GLOBAL.random(size, chunks)


random_sample = random


def uniform(low=0.0, high=1.0, size=None, chunks="auto", **kwargs) -> Array:
    """Uniform floats in ``[low, high)``, as ``da.random.uniform``."""
    return _GLOBAL.uniform(low, high, size, chunks)


def normal(loc=0.0, scale=1.0, size=None, chunks="auto", **kwargs) -> Array:
    """Normally distributed floats, as ``da.random.normal``."""
    return _GLOBAL.normal(loc, scale, size, chunks)


def standard_normal(size=None, chunks="auto", **kwargs) -> Array:
    """Normal floats with mean 0 and deviation 1."""
    return _GLOBAL.normal(0.0, 1.0, size, chunks)


def integers(low, high=None, size=None, chunks="auto", **kwargs) -> Array:
    """Integers in ``[low, high)``."""
    return _GLOBAL.integers(low, high, size, chunks)


def randint(low, high=None, size=None, chunks="auto", **kwargs) -> Array:
    """Integers in ``[low, high)``, as ``da.random.randint``."""
    return _GLOBAL.integers(low, high, size, chunks)
