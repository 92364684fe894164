"""``ProgressBar``: a progress bar for computations inside a ``with`` block, as
``dask.diagnostics.ProgressBar``."""

from __future__ import annotations

from ._native import native

__all__ = ["ProgressBar"]


class ProgressBar:
    """Shows the progress of computations run inside ``with ProgressBar():``.

    Parameters
    ----------
    minimum : float
        Seconds a computation runs before its bar appears (Dask's ``minimum``).
    """

    def __init__(self, minimum=0.0, width=40, dt=0.1, out=None):
        self.minimum = float(minimum)

    def __enter__(self):
        native.progress_start(self.minimum)
        return self

    def __exit__(self, *exc):
        native.progress_stop()

    def register(self):
        """Shows progress for every computation until :meth:`unregister`."""
        native.progress_start(self.minimum)

    def unregister(self):
        """Stops showing progress."""
        native.progress_stop()
