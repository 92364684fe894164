#!/usr/bin/env python3
"""Fail when a lower layer of src/ imports a higher one (docs/ARCHITECTURE.md, "Layers").

Every `crate::LAYER` path in a source file counts as an import of LAYER: `use` lines,
`use crate::{a::x, b::y}` groups and paths written in code. Comments and `#[cfg(test)]`
modules are skipped (a test may build its input with any layer). Run from the repository
root:

    python3 scripts/check_layers.py

It prints one line per upward import and exits 1 when there is any, 0 otherwise.
"""

import pathlib
import re
import sys

# Layers from the bottom up: a file may import its own layer and the layers below it.
RANK = {
    "util": 0,
    "dtype": 1,
    "kernels": 2,
    "memory": 3,
    "store": 4,
    "exec": 5,
    "mpi": 6,  # plugs into exec's distributed hook; exec never imports it
    "graph": 7,
    "observe": 8,  # monitors attached to exec from above
    "array": 9,
    "error": 9,  # spillway::Error: the API layer's error, composing every layer's own
    "delayed": 10,
    "lib": 11,
}

# src/error.rs composes the error enums of every layer, the API's among them.
MAY_IMPORT_ANYTHING = {"error", "lib"}

PATH = re.compile(r"\bcrate::(\{[^}]*\}|[a-z_]+)")
GROUP_HEAD = re.compile(r"(?:^|[{,])\s*([a-z_]+)")


def layer_of(path: pathlib.Path) -> str:
    parts = path.relative_to("src").parts
    if len(parts) == 1:
        return parts[0].removesuffix(".rs")
    return parts[0]


def code_lines(text: str):
    """Yield (line number, code) outside comments and `#[cfg(test)]` modules."""
    skip_depth = None
    pending_test = False
    depth = 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("//", 1)[0] if "//" in raw and '"' not in raw else raw
        stripped = raw.strip()
        if stripped.startswith("//"):
            continue
        if skip_depth is None and stripped.startswith("#[cfg(test)]"):
            pending_test = True
            continue
        opens, closes = line.count("{"), line.count("}")
        if skip_depth is not None:
            depth += opens - closes
            if depth <= skip_depth:
                skip_depth = None
            continue
        if pending_test:
            pending_test = False
            if re.match(r"(pub(\([^)]*\))?\s+)?mod\s", stripped) and opens > closes:
                skip_depth = depth
                depth += opens - closes
                continue
            if stripped.startswith(("use ", "pub use ", "pub(crate) use ")):
                continue
        depth += opens - closes
        yield number, line


def imported_layers(line: str):
    for match in PATH.finditer(line):
        target = match.group(1)
        if target.startswith("{"):
            yield from GROUP_HEAD.findall(target[1:-1])
        else:
            yield target


def main() -> int:
    violations = []
    for path in sorted(pathlib.Path("src").rglob("*.rs")):
        own = layer_of(path)
        if own not in RANK:
            violations.append(f"{path}: layer {own!r} is not in scripts/check_layers.py")
            continue
        if own in MAY_IMPORT_ANYTHING:
            continue
        text = path.read_text()
        # `use crate::{` groups may span lines: join each use statement first.
        joined = re.sub(r"crate::\{[^}]*\}", lambda m: m.group(0).replace("\n", " "), text)
        for number, line in code_lines(joined):
            for target in imported_layers(line):
                if target not in RANK:
                    continue
                if RANK[target] > RANK[own]:
                    violations.append(f"{path}:{number}: {own} imports {target}: {line.strip()}")
    for v in violations:
        print(v)
    if violations:
        print(f"{len(violations)} upward imports (layers: {', '.join(RANK)})")
        return 1
    print("layers: every import points down")
    return 0


if __name__ == "__main__":
    sys.exit(main())
