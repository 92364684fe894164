"""Writes tests/data/complex_special.tsv: NumPy's complex128 results of the elementary
functions on every pair of special parts (signed zeros, ones, infinities, NaN, huge and
subnormal values), for tests/complex.rs to compare spillway's engine with.

    python scripts/complex_special_table.py

Each line: function, input real, input imaginary, output real, output imaginary, as the
bits of the float64 in hex (NaN as "nan": its sign and payload are not compared).
"""

import itertools
import pathlib
import struct
import warnings

import numpy as np

PARTS = [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, np.inf, -np.inf, np.nan, 1e300, -1e300, 5e-324, 1e-8]
FUNCTIONS = {
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "tanh": np.tanh,
    "expm1": np.expm1,
    "log1p": np.log1p,
    "sign": np.sign,
    "square": lambda z: z ** 2,
    "pow1": lambda z: z ** 1,
}


def text(v: float) -> str:
    return "nan" if np.isnan(v) else f"{struct.unpack('<Q', struct.pack('<d', float(v)))[0]:016x}"


def main() -> None:
    lines = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, f in FUNCTIONS.items():
            for re, im in itertools.product(PARTS, PARTS):
                z = np.complex128(complex(re, im))
                with np.errstate(all="ignore"):
                    w = np.complex128(f(np.array([z]))[0])
                lines.append("\t".join([name, text(re), text(im), text(w.real), text(w.imag)]))
    out = pathlib.Path(__file__).resolve().parent.parent / "tests" / "data" / "complex_special.tsv"
    out.write_text(f"# NumPy {np.__version__}: scripts/complex_special_table.py\n" + "\n".join(lines) + "\n")
    print(f"{len(lines)} cases -> {out}")


if __name__ == "__main__":
    main()
