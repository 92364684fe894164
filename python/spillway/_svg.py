"""``SVG``: a drawn task graph that notebooks display (``_repr_svg_``) and that can be
written to a file."""

from __future__ import annotations

import os

__all__ = ["SVG"]


class SVG:
    """An SVG image of a task graph.

    Parameters
    ----------
    data : str
        The SVG text.
    filename : str or path, optional
        Also writes the text there.
    """

    def __init__(self, data: str, filename=None):
        self.data = data
        if filename is not None:
            path = os.fspath(filename)
            if not os.path.splitext(path)[1]:
                path += ".svg"
            with open(path, "w", encoding="utf-8") as f:
                f.write(data)

    def _repr_svg_(self) -> str:
        return self.data

    def __repr__(self) -> str:
        return f"<spillway SVG task graph, {len(self.data)} characters>"
