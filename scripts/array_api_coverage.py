#!/usr/bin/env python3
"""How much of the Python array API standard spillway, Dask (through array-api-compat) and
Cubed implement, by the standard's sections.

Every function of the standard (the names array-api-strict exports) is called on small
chunked inputs in each library, computed, and compared with array-api-strict's answer
(values and dtype, NaN where NaN). A function counts as implemented when that succeeds.

    python scripts/array_api_coverage.py            # the table
    python scripts/array_api_coverage.py --verbose  # plus each failure's reason
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np

warnings.filterwarnings("ignore")

F = np.array([[-1.5, 0.0, 2.25, np.nan], [0.5, -0.0, np.inf, 3.0], [1.0, 2.0, -3.0, 4.0]])
POS = np.array([[0.25, 0.5, 0.75, 0.9], [0.1, 0.2, 0.3, 0.4], [0.6, 0.7, 0.8, 0.05]])
I = np.array([[3, -1, 4, 1], [5, 9, -2, 6], [5, 3, 5, 8]], dtype=np.int64)
B = I > 2
S = np.array([[4.0, 2.0, 1.0], [2.0, 5.0, 3.0], [1.0, 3.0, 6.0]])

UNARY_F = ["abs", "acos", "acosh", "asin", "asinh", "atan", "atanh", "ceil", "conj", "cos", "cosh", "exp",
           "expm1", "floor", "imag", "isfinite", "isinf", "isnan", "log", "log1p", "log2", "log10", "negative",
           "positive", "real", "reciprocal", "round", "sign", "signbit", "sin", "sinh", "square", "sqrt", "tan",
           "tanh", "trunc"]
BINARY_F = ["add", "atan2", "copysign", "divide", "equal", "floor_divide", "greater", "greater_equal", "hypot",
            "less", "less_equal", "logaddexp", "maximum", "minimum", "multiply", "nextafter", "not_equal", "pow",
            "remainder", "subtract"]
BINARY_I = ["bitwise_and", "bitwise_left_shift", "bitwise_or", "bitwise_right_shift", "bitwise_xor"]
LOGICAL = ["logical_and", "logical_or", "logical_xor"]

SECTIONS = {
    "elementwise": UNARY_F + BINARY_F + BINARY_I + LOGICAL + ["bitwise_invert", "logical_not", "clip"],
    "creation": ["arange", "asarray", "empty", "empty_like", "eye", "from_dlpack", "full", "full_like", "linspace",
                 "meshgrid", "ones", "ones_like", "tril", "triu", "zeros", "zeros_like"],
    "data types": ["astype", "can_cast", "finfo", "iinfo", "isdtype", "result_type"],
    "indexing": ["take", "take_along_axis"],
    "linear algebra": ["matmul", "matrix_transpose", "tensordot", "vecdot"],
    "manipulation": ["broadcast_arrays", "broadcast_shapes", "broadcast_to", "concat", "expand_dims", "flip",
                     "moveaxis", "permute_dims", "repeat", "reshape", "roll", "squeeze", "stack", "tile", "unstack"],
    "searching": ["argmax", "argmin", "count_nonzero", "nonzero", "searchsorted", "where"],
    "sets": ["isin", "unique_all", "unique_counts", "unique_inverse", "unique_values"],
    "sorting": ["argsort", "sort"],
    "statistical": ["cumulative_prod", "cumulative_sum", "max", "mean", "min", "prod", "std", "sum", "var"],
    "utility": ["all", "any", "diff"],
    "linalg extension": ["linalg." + n for n in (
        "cholesky", "cross", "det", "diagonal", "eigh", "eigvalsh", "inv", "matmul", "matrix_norm", "matrix_power",
        "matrix_rank", "matrix_transpose", "outer", "pinv", "qr", "slogdet", "solve", "svd", "svdvals", "tensordot",
        "trace", "vecdot", "vector_norm")],
}


def calls():
    """name -> f(xp, arr) where ``arr(values)`` makes a chunked array in xp."""
    c = {}
    for n in UNARY_F:
        c[n] = (lambda n: lambda xp, a: getattr(xp, n)(a(POS if n in ("acos", "asin", "atanh") else F)))(n)
    for n in BINARY_F:
        c[n] = (lambda n: lambda xp, a: getattr(xp, n)(a(F), a(F[::-1].copy())))(n)
    for n in BINARY_I:
        c[n] = (lambda n: lambda xp, a: getattr(xp, n)(a(np.abs(I)), a(np.abs(I[::-1]) % 4)))(n)
    for n in LOGICAL:
        c[n] = (lambda n: lambda xp, a: getattr(xp, n)(a(B), a(B[::-1].copy())))(n)
    c["bitwise_invert"] = lambda xp, a: xp.bitwise_invert(a(I))
    c["logical_not"] = lambda xp, a: xp.logical_not(a(B))
    c["clip"] = lambda xp, a: xp.clip(a(F), -1.0, 2.0)
    c.update({
        "arange": lambda xp, a: xp.arange(2, 11, 3),
        "asarray": lambda xp, a: xp.asarray([1.0, 2.0]),
        "empty": lambda xp, a: xp.empty((2, 3)).shape,
        "empty_like": lambda xp, a: xp.empty_like(a(F)).shape,
        "eye": lambda xp, a: xp.eye(3, 4, k=1),
        "from_dlpack": lambda xp, a: xp.from_dlpack(np.arange(3.0)),
        "full": lambda xp, a: xp.full((2, 2), 7),
        "full_like": lambda xp, a: xp.full_like(a(F), 2.5),
        "linspace": lambda xp, a: xp.linspace(0.0, 1.0, 5),
        "meshgrid": lambda xp, a: xp.meshgrid(a(np.arange(3.0)), a(np.arange(2.0))),
        "ones": lambda xp, a: xp.ones((2, 3)),
        "ones_like": lambda xp, a: xp.ones_like(a(I)),
        "tril": lambda xp, a: xp.tril(a(F), k=-1),
        "triu": lambda xp, a: xp.triu(a(F), k=1),
        "zeros": lambda xp, a: xp.zeros((3,), dtype=xp.int32),
        "zeros_like": lambda xp, a: xp.zeros_like(a(F)),
        "astype": lambda xp, a: xp.astype(a(F[:, :2]), xp.int32),
        "can_cast": lambda xp, a: (xp.can_cast(xp.int32, xp.int64), xp.can_cast(xp.float64, xp.int32)),
        "finfo": lambda xp, a: float(xp.finfo(xp.float32).eps),
        "iinfo": lambda xp, a: int(xp.iinfo(xp.int32).max),
        "isdtype": lambda xp, a: xp.isdtype(xp.uint8, "integral"),
        "result_type": lambda xp, a: xp.result_type(xp.int32, xp.int64) == xp.int64,
        "take": lambda xp, a: xp.take(a(F), a(np.array([2, 0])), axis=1),
        "take_along_axis": lambda xp, a: xp.take_along_axis(a(I), a(np.argsort(I, axis=1)), axis=1),
        "matmul": lambda xp, a: xp.matmul(a(S), a(S)),
        "matrix_transpose": lambda xp, a: xp.matrix_transpose(a(F)),
        "tensordot": lambda xp, a: xp.tensordot(a(S), a(S), axes=1),
        "vecdot": lambda xp, a: xp.vecdot(a(S), a(S)),
        "broadcast_arrays": lambda xp, a: xp.broadcast_arrays(a(S), a(S[0])),
        "broadcast_shapes": lambda xp, a: xp.broadcast_shapes((3, 1), (1, 4)),
        "broadcast_to": lambda xp, a: xp.broadcast_to(a(S[0]), (2, 3)),
        "concat": lambda xp, a: xp.concat([a(F), a(F)], axis=1),
        "expand_dims": lambda xp, a: xp.expand_dims(a(F), axis=1),
        "flip": lambda xp, a: xp.flip(a(F), axis=1),
        "moveaxis": lambda xp, a: xp.moveaxis(a(F), 0, 1),
        "permute_dims": lambda xp, a: xp.permute_dims(a(F), (1, 0)),
        "repeat": lambda xp, a: xp.repeat(a(F), 2, axis=0),
        "reshape": lambda xp, a: xp.reshape(a(F), (4, 3)),
        "roll": lambda xp, a: xp.roll(a(F), 3, axis=1),
        "squeeze": lambda xp, a: xp.squeeze(a(F[:1]), axis=0),
        "stack": lambda xp, a: xp.stack([a(F), a(F)], axis=1),
        "tile": lambda xp, a: xp.tile(a(F), (2, 1)),
        "unstack": lambda xp, a: xp.unstack(a(F), axis=1),
        "argmax": lambda xp, a: xp.argmax(a(I), axis=1),
        "argmin": lambda xp, a: xp.argmin(a(I)),
        "count_nonzero": lambda xp, a: xp.count_nonzero(a(I), axis=0),
        "nonzero": lambda xp, a: xp.nonzero(a(I > 3)),
        "searchsorted": lambda xp, a: xp.searchsorted(a(np.arange(10.0)), a(F[2])),
        "where": lambda xp, a: xp.where(a(B), a(F), a(POS)),
        "isin": lambda xp, a: xp.isin(a(I), a(np.array([3, 5]))),
        "unique_all": lambda xp, a: xp.unique_all(a(I)),
        "unique_counts": lambda xp, a: xp.unique_counts(a(I)),
        "unique_inverse": lambda xp, a: xp.unique_inverse(a(I)),
        "unique_values": lambda xp, a: xp.unique_values(a(I)),
        "argsort": lambda xp, a: xp.argsort(a(I), axis=0, stable=True),
        "sort": lambda xp, a: xp.sort(a(I), axis=0),
        "cumulative_prod": lambda xp, a: xp.cumulative_prod(a(I), axis=1),
        "cumulative_sum": lambda xp, a: xp.cumulative_sum(a(I), axis=0, include_initial=True),
        "max": lambda xp, a: xp.max(a(I), axis=0),
        "mean": lambda xp, a: xp.mean(a(POS), axis=1),
        "min": lambda xp, a: xp.min(a(F)),
        "prod": lambda xp, a: xp.prod(a(I), axis=1),
        "std": lambda xp, a: xp.std(a(POS), correction=1),
        "sum": lambda xp, a: xp.sum(a(I), axis=1, keepdims=True),
        "var": lambda xp, a: xp.var(a(POS), axis=0),
        "all": lambda xp, a: xp.all(a(B), axis=1),
        "any": lambda xp, a: xp.any(a(B)),
        "diff": lambda xp, a: xp.diff(a(I), axis=1),
    })
    la = {
        "cholesky": lambda xp, a: xp.linalg.cholesky(a(S)),
        "cross": lambda xp, a: xp.linalg.cross(a(S), a(S[::-1].copy())),
        "det": lambda xp, a: xp.linalg.det(a(S)),
        "diagonal": lambda xp, a: xp.linalg.diagonal(a(S)),
        "eigh": lambda xp, a: xp.linalg.eigh(a(S)).eigenvalues,
        "eigvalsh": lambda xp, a: xp.linalg.eigvalsh(a(S)),
        "inv": lambda xp, a: xp.linalg.inv(a(S)),
        "matmul": lambda xp, a: xp.linalg.matmul(a(S), a(S)),
        "matrix_norm": lambda xp, a: xp.linalg.matrix_norm(a(S)),
        "matrix_power": lambda xp, a: xp.linalg.matrix_power(a(S), 3),
        "matrix_rank": lambda xp, a: xp.linalg.matrix_rank(a(S)),
        "matrix_transpose": lambda xp, a: xp.linalg.matrix_transpose(a(F)),
        "outer": lambda xp, a: xp.linalg.outer(a(S[0]), a(S[1])),
        "pinv": lambda xp, a: xp.linalg.pinv(a(S)),
        "qr": lambda xp, a: xp.abs(xp.linalg.qr(a(S)).R),
        "slogdet": lambda xp, a: xp.linalg.slogdet(a(S)).logabsdet,
        "solve": lambda xp, a: xp.linalg.solve(a(S), a(S[:, :1].copy())),
        "svd": lambda xp, a: xp.linalg.svd(a(S)).S,
        "svdvals": lambda xp, a: xp.linalg.svdvals(a(S)),
        "tensordot": lambda xp, a: xp.linalg.tensordot(a(S), a(S), axes=2),
        "trace": lambda xp, a: xp.linalg.trace(a(S)),
        "vecdot": lambda xp, a: xp.linalg.vecdot(a(S), a(S)),
        "vector_norm": lambda xp, a: xp.linalg.vector_norm(a(F[2]), ord=1),
    }
    c.update({"linalg." + k: v for k, v in la.items()})
    return c


def materialize(v):
    if isinstance(v, (tuple, list)):
        return [materialize(i) for i in v]
    if hasattr(v, "_fields"):
        return [materialize(i) for i in v]
    if hasattr(v, "compute") and not isinstance(v, np.ndarray):
        v = v.compute()
    if isinstance(v, (bool, int, float, str, np.generic)):
        return v
    return np.asarray(v)


def same(got, want):
    if isinstance(want, list):
        return isinstance(got, list) and len(got) == len(want) and all(same(g, w) for g, w in zip(got, want))
    if isinstance(want, np.ndarray):
        got = np.asarray(got)
        if got.shape != want.shape or got.dtype != want.dtype:
            return False
        if want.dtype.kind == "f":
            return np.allclose(got, want, rtol=1e-9, atol=1e-12, equal_nan=True)
        return np.array_equal(got, want)
    return got == want or str(got) == str(want)


def libraries():
    import array_api_strict as strict

    libs = {"array-api-strict": (strict, lambda v: strict.asarray(v))}
    import spillway.array as sda
    import spillway.array_api as sxp

    libs["spillway"] = (sxp, lambda v: sda.from_array(np.asarray(v), chunks=2))
    try:
        import array_api_compat.dask.array as dxp
        import dask.array as dda

        libs["dask"] = (dxp, lambda v: dda.from_array(np.asarray(v), chunks=2))
    except ImportError:
        pass
    try:
        import cubed.array_api as cxp

        libs["cubed"] = (cxp, lambda v: cxp.asarray(np.asarray(v), chunks=2))
    except ImportError:
        pass
    return libs


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    table = calls()
    libs = libraries()
    strict, s_arr = libs.pop("array-api-strict")
    wants, skipped = {}, []
    for name, f in table.items():
        try:
            wants[name] = materialize(f(strict, s_arr))
        except TypeError:
            # defined by the standard for complex inputs only (conj, imag, real): none of
            # these libraries holds complex chunks here, so they are left out of the count
            skipped.append(name)
    names = list(libs)
    print(f"{'section':<18}{'functions':>10}" + "".join(f"{n:>10}" for n in names))
    totals = {n: 0 for n in names}
    failures = {n: [] for n in names}
    count = 0
    for section, members in SECTIONS.items():
        row = {n: 0 for n in names}
        members = [m for m in members if m not in skipped]
        for m in members:
            for n in names:
                xp, arr = libs[n]
                try:
                    ok = same(materialize(table[m](xp, arr)), wants[m])
                    reason = "wrong answer"
                except Exception as e:  # noqa: BLE001  (any failure means not implemented)
                    ok, reason = False, f"{type(e).__name__}: {str(e)[:90]}"
                row[n] += ok
                if not ok:
                    failures[n].append(f"{m}: {reason}")
        count += len(members)
        for n in names:
            totals[n] += row[n]
        print(f"{section:<18}{len(members):>10}" + "".join(f"{row[n]:>10}" for n in names))
    print(f"{'total':<18}{count:>10}" + "".join(f"{totals[n]:>10}" for n in names))
    if skipped:
        print(f"left out (complex-only in the standard): {', '.join(skipped)}")
    if args.verbose:
        for n in names:
            print(f"\n{n}: not implemented or wrong")
            for line in failures[n]:
                print("  " + line)


if __name__ == "__main__":
    main()
