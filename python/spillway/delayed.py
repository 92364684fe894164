"""``delayed``, ``compute`` and ``visualize``: lazy Python calls as tasks of spillway's
task graph, as ``dask.delayed``.

A delayed function runs on a worker thread and takes the GIL while it runs: tasks that
spend their time in NumPy (which releases the GIL) run in parallel; pure-Python tasks take
turns.
"""

from __future__ import annotations

import operator

from ._native import native

__all__ = ["Delayed", "delayed", "compute", "visualize"]

_MISSING = object()


class _Slot:
    __slots__ = ("index",)

    def __init__(self, index):
        self.index = index


def _collect(obj, deps):
    """``obj`` with each Delayed inside it (lists, tuples, dicts) replaced by a slot."""
    if isinstance(obj, Delayed):
        deps.append(obj)
        return _Slot(len(deps) - 1)
    if isinstance(obj, (list, tuple)):
        return type(obj)(_collect(o, deps) for o in obj)
    if isinstance(obj, dict):
        return {k: _collect(v, deps) for k, v in obj.items()}
    return obj


def _fill(obj, values):
    if isinstance(obj, _Slot):
        return values[obj.index]
    if isinstance(obj, (list, tuple)):
        return type(obj)(_fill(o, values) for o in obj)
    if isinstance(obj, dict):
        return {k: _fill(v, values) for k, v in obj.items()}
    return obj


class Delayed:
    """A lazy value: a Python call not run yet, as ``dask.delayed.Delayed``."""

    __slots__ = ("_d",)

    def __init__(self, native_delayed):
        self._d = native_delayed

    @property
    def key(self) -> str:
        """The task's name."""
        return self._d.key

    def compute(self, **kwargs):
        """Runs the task and those it depends on; returns its value."""
        return self._d.compute()

    def visualize(self, filename=None, **kwargs):
        """The task graph as SVG."""
        from ._svg import SVG

        return SVG(self._d.svg(), filename)

    def __repr__(self) -> str:
        return f"Delayed('{self.key}')"

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return delayed(getattr, pure=True)(self, name)

    def __call__(self, *args, **kwargs):
        return delayed(lambda f, *a, **k: f(*a, **k), name="call")(self, *args, **kwargs)

    def __getitem__(self, key):
        return delayed(operator.getitem, name="getitem")(self, key)

    def __bool__(self):
        raise TypeError("truth of a Delayed value is not known until it is computed; call compute()")


def _binop(op, name, reflected=False):
    def f(self, other):
        a, b = (other, self) if reflected else (self, other)
        return delayed(op, name=name)(a, b)

    return f


for _name, _op in [("add", operator.add), ("sub", operator.sub), ("mul", operator.mul),
                   ("truediv", operator.truediv), ("floordiv", operator.floordiv),
                   ("mod", operator.mod), ("pow", operator.pow), ("lt", operator.lt),
                   ("le", operator.le), ("gt", operator.gt), ("ge", operator.ge)]:
    setattr(Delayed, f"__{_name}__", _binop(_op, _name))
    if _name not in ("lt", "le", "gt", "ge"):
        setattr(Delayed, f"__r{_name}__", _binop(_op, _name, True))


def delayed(obj=_MISSING, name=None, pure=None, nout=None, traverse=True, memory=None):
    """Wraps a function so that calling it builds a task, or a value as a task, as
    ``dask.delayed``.

    Parameters
    ----------
    obj : callable or value
    name : str, optional
        The task's name (default: the function's name).
    memory : str, optional
        Memory the task needs (``'200MB'``), reserved from the budget while it runs.

    Examples
    --------
    >>> import spillway
    >>> inc = spillway.delayed(lambda x: x + 1)
    >>> inc(inc(1)).compute()
    3
    """
    if obj is _MISSING:
        return lambda f: delayed(f, name=name, pure=pure, nout=nout, traverse=traverse, memory=memory)
    if isinstance(obj, Delayed):
        return obj
    if callable(obj):
        fname = name or getattr(obj, "__name__", type(obj).__name__)

        def call(*args, **kwargs):
            deps = []
            args_t = _collect(list(args), deps)
            kwargs_t = _collect(dict(kwargs), deps)

            def run(values):
                return obj(*_fill(args_t, values), **_fill(kwargs_t, values))

            return Delayed(native.delayed_call(run, [d._d for d in deps], fname, memory))

        call.__name__ = fname
        call.__doc__ = getattr(obj, "__doc__", None)
        call.__wrapped__ = obj
        return call
    value = obj
    return Delayed(native.delayed_call(lambda _values: value, [], name or type(obj).__name__, memory))


def compute(*args, **kwargs):
    """Computes arrays and delayed values together; returns a tuple of results, as
    ``dask.compute(*args)``. Other arguments are returned as they are."""
    from .array.core import Array

    results = list(args)
    arrays = [i for i, a in enumerate(args) if isinstance(a, Array)]
    delayeds = [i for i, a in enumerate(args) if isinstance(a, Delayed)]
    if arrays:
        values = native.compute_many([args[i]._a for i in arrays])
        for i, v in zip(arrays, values):
            results[i] = v[()] if v.ndim == 0 else v
    if delayeds:
        values = native.compute_delayed([args[i]._d for i in delayeds])
        for i, v in zip(delayeds, values):
            results[i] = v
    for i, a in enumerate(args):
        if isinstance(a, (list, tuple)) and any(isinstance(x, (Array, Delayed)) for x in a):
            results[i] = type(a)(compute(*a))
    return tuple(results)


def visualize(*args, filename=None, **kwargs):
    """The task graph of the given delayed values (or arrays) as SVG, as
    ``dask.visualize``."""
    from .array.core import Array
    from ._svg import SVG

    flat = []
    for a in args:
        flat.extend(a if isinstance(a, (list, tuple)) else [a])
    ds = [a._d for a in flat if isinstance(a, Delayed)]
    if ds:
        return SVG(native.visualize_delayed(ds), filename)
    arrays = [a for a in flat if isinstance(a, Array)]
    if arrays:
        return arrays[0].visualize(filename=filename)
    raise TypeError("visualize takes delayed values or arrays")
