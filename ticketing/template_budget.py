"""The sandbox admins' templates run in (print templates, SMS / email / fax templates), with a
budget: no template can hold the process.

A render runs on the event loop, beside every request and the CTI bridge, so it may do only
so much work: ``Limits.steps`` loop turns and calls (a macro's, ``loop()``'s, a method's, a
filter's), ``Limits.work`` characters and items handled (what filters, comparisons and
methods read, the strings they build), ``Limits.output`` characters written (also into a
``{% set %}`` block or a macro's text), no value bigger than ``Limits.value`` characters or
items (``'x' * n``, ``s ~ s``, ``[l, l]``, ``'%9999999d'``, ``center(n)``, ``9 ** 9 ** 9``
are refused before they are made), and ``Limits.seconds`` in all. Beyond any of them the
render stops with ``TemplateTooCostly``, saying which limit; the save's trial render refuses
such a template, and a stored one fails its print or message instead of hanging.

How: the compiled template counts for itself (a code generator that wraps each ``for``'s
iterable, each output, comparison, ``~`` and literal list / dict), the sandbox's ``call``,
``getitem`` and intercepted operators check what they make, and every filter and test is
wrapped the same way. Containers are immutable in templates (jinja2's
``ImmutableSandboxedEnvironment``: no ``list.append``), so a value's size, once known, stays
true. Limits are per render (a context variable), so nested or concurrent renders each have
their own.
"""

from __future__ import annotations

import contextvars
import dataclasses
import functools
import operator
import re
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import _PassArg


@dataclasses.dataclass(frozen=True, slots=True)
class Limits:
    #: loop turns and calls
    steps: int = 50_000
    #: characters and items handled
    work: int = 2_000_000
    #: characters written
    output: int = 1_000_000
    #: characters or items in any one value
    value: int = 500_000
    #: wall-clock time of the whole render (a backstop: the counts come first)
    seconds: float = 0.5


LIMITS = Limits()


class TemplateTooCostly(Exception):
    """A render went over its budget; ``limit`` names which: steps, work, output, value, seconds."""

    def __init__(self, limit: str, message: str) -> None:
        super().__init__(message)
        self.limit = limit


@dataclasses.dataclass(slots=True)
class _Budget:
    limits: Limits
    steps: int
    work: int
    output: int
    deadline: float
    #: id → (the value, kept alive so its id is not reused; its size)
    sizes: dict[int, tuple[Any, int]] = dataclasses.field(default_factory=dict)

    def over(self, limit: str) -> TemplateTooCostly:
        texts = {
            "steps": f"more than {self.limits.steps} loop turns and calls",
            "work": f"more than {self.limits.work} characters and items handled",
            "output": f"more than {self.limits.output} characters written",
            "seconds": f"more than {self.limits.seconds:g} s",
        }
        return TemplateTooCostly(limit, f"the template does too much work: {texts[limit]}")


_budget: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("template_budget", default=None)


def _clock(b: _Budget) -> None:
    if time.monotonic() > b.deadline:
        raise b.over("seconds")


def _step(n: int = 1) -> None:
    b = _budget.get()
    if b is not None:
        b.steps -= n
        if b.steps < 0:
            raise b.over("steps")
        _clock(b)


def _work(n: int) -> None:
    b = _budget.get()
    if b is not None and n:
        b.work -= n
        if b.work < 0:
            raise b.over("work")
        _clock(b)


def _value_limit() -> int:
    b = _budget.get()
    return (b.limits if b is not None else LIMITS).value


def _too_big(size: int) -> TemplateTooCostly:
    limit = _value_limit()
    return TemplateTooCostly(
        "value", f"the template makes a value of {size} characters or items (at most {limit})"
    )


_CONTAINERS = (list, tuple, dict, set, frozenset)
_SCALARS = frozenset({int, float, bool, type(None)})


def size_of(value: Any) -> int:
    """Characters of a string, items of a container counted all the way down (what printing
    it would write, roughly), 1 for anything else. Containers are remembered per render."""
    if isinstance(value, str | bytes):
        return len(value)
    if isinstance(value, range):
        return len(value)
    if not isinstance(value, _CONTAINERS):
        return 1
    b = _budget.get()
    sizes: dict[int, tuple[Any, int]] = b.sizes if b is not None else {}
    known = sizes.get(id(value))
    if known is not None and known[0] is value:
        return known[1]
    sizes[id(value)] = (value, 1)  # a container holding itself (not made in a template) counts once
    items: Iterable[Any] = (
        (x for kv in value.items() for x in kv) if isinstance(value, dict) else value  # type: ignore[union-attr]
    )
    total, limit = 1, _value_limit()
    for item in items:
        kind = type(item)
        if kind is str:
            total += len(item)
        elif kind in _SCALARS:
            total += 1
        else:
            total += size_of(item)
        if total > limit:
            break  # big enough to refuse: no need to count the rest
    _work(len(value))
    sizes[id(value)] = (value, total)
    return total


def _checked(value: Any) -> Any:
    """``value`` if it is no bigger than a value may be."""
    size = size_of(value)
    if size > _value_limit():
        raise _too_big(size)
    return value


_SIZED = (str, bytes, range, *_CONTAINERS)


def _shallow(value: Any) -> int:
    """What reading ``value`` once costs: its length, 1 for anything but a string or container."""
    return len(value) if isinstance(value, _SIZED) else 1


def _need(size: int) -> None:
    if size > _value_limit():
        raise _too_big(size)


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


# printf widths and precisions: %9999999d, %.9999999f, %*d
_PRINTF = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\d+|\*)?(?:\.(\d+|\*))?")
# str.format's: {:9999999}, {0:>{1}}
_FORMAT_SPEC = re.compile(r"\{[^{}]*?:([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}")


def _check_printf(fmt: str, args: Any) -> None:
    star = False
    for width, precision in _PRINTF.findall(fmt):
        for n in (width, precision):
            if n == "*":
                star = True
            elif n:
                _need(int(n))
    if star:
        values = args if isinstance(args, tuple) else (args,)
        for arg in values:
            _need(_int(arg))


def _check_format(fmt: str, args: Iterable[Any]) -> None:
    nested = False
    for spec in _FORMAT_SPEC.findall(fmt):
        nested = nested or "{" in spec
        for n in re.findall(r"\d+", spec):
            _need(int(n))
    if nested:
        for arg in args:
            _need(_int(arg))


def _check_replace(text: Any, old: Any, new: Any) -> None:
    if isinstance(text, str) and isinstance(old, str) and isinstance(new, str):
        times = text.count(old) if old else len(text) + 1
        _need(len(text) + times * max(0, len(new) - len(old)))


# methods of str (and Markup) that can make a string much bigger than their inputs
_WIDTH_METHODS = {"center", "ljust", "rjust", "zfill"}


def _check_method(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    owner, name = getattr(obj, "__self__", None), getattr(obj, "__name__", "")
    if not isinstance(owner, str):
        return
    if name in _WIDTH_METHODS:
        _need(len(owner) + max((_int(a) for a in (*args, *kwargs.values())), default=0))
    elif name == "expandtabs":
        tab = _int(args[0]) if args else _int(kwargs.get("tabsize", 8))
        _need(len(owner) + owner.count("\t") * tab)
    elif name == "replace" and len(args) >= 2:
        _check_replace(owner, args[0], args[1])
    elif name == "join" and args:
        items = args[0]
        if isinstance(items, list | tuple):
            _need(len(owner) * len(items) + sum(size_of(i) for i in items))
    elif name == "translate" and args and isinstance(args[0], dict):
        longest = max((size_of(v) for v in args[0].values()), default=1)
        _need(len(owner) * max(1, longest))


# filters that make a value from a size given as a number: a page of padding from center(n)
_FILTER_SIZES = {"center": ("width",), "batch": ("linecount",), "slice": ("slices",), "indent": ("width",)}


def _check_filter(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    value = args[0] if args else None
    if name in _FILTER_SIZES:
        given = [*args[1:2], *(kwargs.get(k) for k in _FILTER_SIZES[name])]
        for n in given:
            if isinstance(n, int):
                lines = value.count("\n") + 1 if name == "indent" and isinstance(value, str) else 1
                _need(_shallow(value) + lines * _int(n))
            elif isinstance(n, str) and name == "indent" and isinstance(value, str):
                _need(len(value) + (value.count("\n") + 1) * len(n))
    elif name == "format" and isinstance(value, str):
        _check_printf(value, args[1:] or tuple(kwargs.values()))
    elif name == "replace" and len(args) >= 3:
        _check_replace(str(value) if value is not None else "", args[1], args[2])
    elif name == "join":
        sep = args[1] if len(args) > 1 else kwargs.get("d", "")
        if isinstance(value, list | tuple) and isinstance(sep, str):
            _need(len(sep) * len(value) + sum(size_of(i) for i in value))


#: filters that do Python work per item (a key function, a callback, a regex over the text)
#: pay that many units per item or character they read, before they run: sort(100 000 items)
#: takes a second here, so it is refused rather than started
_FILTER_COST = {
    **dict.fromkeys(("sort", "unique", "groupby", "dictsort", "min", "max"), 100),
    **dict.fromkeys(("sum", "urlize", "wordwrap"), 20),
    **dict.fromkeys(("map", "select", "reject", "selectattr", "rejectattr", "xmlattr"), 10),
    **dict.fromkeys(("striptags", "title", "wordcount", "forceescape", "escape", "e"), 2),
}
#: filters that read a value all the way down: pay for its whole size
_DEEP_FILTERS = frozenset({"tojson", "pprint", "string", "list", "join", "items"})


def _bounded(
    name: str, function: Callable[..., Any], check: Callable[..., None] | None
) -> Callable[..., Any]:
    """A filter or test that counts as a step, pays for what it reads and makes, and is refused
    before it makes a value too big."""
    offset = 1 if _PassArg.from_obj(function) is not None else 0
    cost, deep = _FILTER_COST.get(name, 1), name in _DEEP_FILTERS

    @functools.wraps(function)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        _step()
        given = args[offset:]
        value = given[0] if given else None
        read = size_of(value) if deep else _shallow(value) * cost
        _work(read + sum(_shallow(a) for a in given[1:]) + sum(_shallow(v) for v in kwargs.values()))
        if check is not None:
            check(name, given, kwargs)
        result = function(*args, **kwargs)
        _work(_shallow(result))
        return _checked(result)

    return bounded


def _make_binop(symbol: str) -> Callable[[Any, Any], Any]:
    return {
        "+": operator.add,
        "*": operator.mul,
        "**": operator.pow,
        "%": operator.mod,
        "//": operator.floordiv,
    }[symbol]


_BITS = 100_000  # an integer of more bits than this is nothing a template needs


def _check_binop(symbol: str, left: Any, right: Any) -> None:
    if symbol == "**":
        base, exp = _int(left), _int(right)
        if isinstance(left, int) and isinstance(right, int) and exp > 0 and abs(base) > 1:
            if base.bit_length() * exp > _BITS:
                raise TemplateTooCostly(
                    "value", f"the template computes a number too large ({left} ** {right})"
                )
        elif isinstance(left, int) and isinstance(right, int) and right > _BITS and abs(left) > 1:
            raise TemplateTooCostly("value", f"the template computes a number too large ({left} ** {right})")
    elif symbol == "*":
        if isinstance(left, int) and isinstance(right, int):
            if left.bit_length() + right.bit_length() > _BITS:
                raise TemplateTooCostly("value", "the template computes a number too large")
        elif isinstance(right, int) and isinstance(left, str | bytes | list | tuple):
            _need(size_of(left) * max(0, right))
        elif isinstance(left, int) and isinstance(right, str | bytes | list | tuple):
            _need(size_of(right) * max(0, left))
    elif symbol == "+":
        if isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple):
            _need(size_of(left) + size_of(right))
    elif symbol == "%" and isinstance(left, str):
        _check_printf(left, right)


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox with the budget of ``render`` (see the module's docstring)."""

    intercepted_binops = frozenset({"+", "*", "**", "%", "//"})

    def __init__(self, **options: Any) -> None:
        # no constant folding: a filter or operator on constants would run at compile time,
        # outside any budget
        super().__init__(optimized=False, **options)
        self.code_generator_class = _BudgetCodeGenerator
        self.globals.pop("lipsum", None)  # lipsum(n) writes n paragraphs: nothing a print needs
        self.filters = {name: _bounded(name, f, _check_filter) for name, f in self.filters.items()}
        self.tests = {name: _bounded(name, f, None) for name, f in self.tests.items()}

    def render(self, template: Any, context: dict[str, Any], limits: Limits = LIMITS) -> str:
        """``template`` (compiled by this environment) rendered within ``limits``."""
        budget = _Budget(limits, limits.steps, limits.work, limits.output, time.monotonic() + limits.seconds)
        token = _budget.set(budget)
        try:
            return template.render(**context)
        finally:
            _budget.reset(token)

    # -- what the compiled template calls --------------------------------------------------
    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _check_binop(operator, left, right)
        result = _make_binop(operator)(left, right)
        if isinstance(result, str | bytes | list | tuple):
            _work(len(result))
            return _checked(result)
        return result

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805, B902
        _step()
        _work(_shallow(getattr(__obj, "__self__", None)) + sum(map(_shallow, args)))
        _check_method(__obj, args, kwargs)
        result = super().call(__context, __obj, *args, **kwargs)
        _work(_shallow(result))
        return _checked(result)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapper = super().wrap_str_format(value)
        if wrapper is None:
            return None
        fmt: str = value.__self__
        mapping = value.__name__ == "format_map"

        @functools.wraps(wrapper)
        def bounded(*args: Any, **kwargs: Any) -> str:
            given = [*args, *kwargs.values()]
            if mapping and args and isinstance(args[0], dict):
                given = list(args[0].values())
            _check_format(fmt, given)
            return _checked(wrapper(*args, **kwargs))

        return bounded

    def getitem(self, obj: Any, argument: Any) -> Any:
        result = super().getitem(obj, argument)
        if isinstance(argument, slice):
            _work(_shallow(result))
        return result

    def budget_iter(self, iterable: Any) -> Iterator[Any]:
        for item in iterable:
            _step()
            yield item

    def budget_value(self, value: Any) -> Any:
        _work(_shallow(value))
        return _checked(value)

    def budget_operand(self, value: Any) -> Any:
        _work(_shallow(value))
        return value

    def budget_output(self, value: Any) -> Any:
        self.budget_written(size_of(value))
        return value

    def budget_written(self, n: int) -> None:
        b = _budget.get()
        if b is not None:
            b.output -= n
            if b.output < 0:
                raise b.over("output")
            _clock(b)


def _wrapped(expr: nodes.Expr, how: str) -> nodes.Expr:
    """``expr`` compiled as ``environment.<how>(expr)``. jinja2 allows no node types of one's
    own: this is a ``MarkSafeIfAutoescape`` (an extensions' node; no extension is loaded here)
    marked with ``budget``, which the code generator below compiles its own way."""
    node = nodes.MarkSafeIfAutoescape(expr, lineno=expr.lineno)
    node.budget = how  # type: ignore[attr-defined]
    return node


def _is_wrapped(node: nodes.Node) -> bool:
    return isinstance(node, nodes.MarkSafeIfAutoescape) and hasattr(node, "budget")


class _BudgetCodeGenerator(CodeGenerator):
    def visit_MarkSafeIfAutoescape(self, node: nodes.MarkSafeIfAutoescape, frame: Frame) -> None:
        if not _is_wrapped(node):
            return super().visit_MarkSafeIfAutoescape(node, frame)
        self.write(f"environment.{node.budget}(")  # type: ignore[attr-defined]
        self.visit(node.expr, frame)
        self.write(")")

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        if not _is_wrapped(node.iter):
            node.iter = _wrapped(node.iter, "budget_iter")
        super().visit_For(node, frame)

    def visit_Output(self, node: nodes.Output, frame: Frame) -> None:
        literal = sum(len(child.data) for child in node.nodes if isinstance(child, nodes.TemplateData))
        node.nodes = [
            child
            if isinstance(child, nodes.TemplateData) or _is_wrapped(child)
            else _wrapped(child, "budget_output")
            for child in node.nodes
        ]
        if literal and not (self.has_known_extends and frame.require_output_check):
            self.writeline(f"environment.budget_written({literal})")
        super().visit_Output(node, frame)

    def visit_Compare(self, node: nodes.Compare, frame: Frame) -> None:
        if not _is_wrapped(node.expr):
            node.expr = _wrapped(node.expr, "budget_operand")
            for op in node.ops:
                op.expr = _wrapped(op.expr, "budget_operand")
        super().visit_Compare(node, frame)

    def _value(self, visit: Callable[[Any, Frame], None], node: Any, frame: Frame) -> None:
        self.write("environment.budget_value(")
        visit(node, frame)
        self.write(")")

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self._value(super().visit_Concat, node, frame)

    def visit_List(self, node: nodes.List, frame: Frame) -> None:
        self._value(super().visit_List, node, frame)

    def visit_Dict(self, node: nodes.Dict, frame: Frame) -> None:
        self._value(super().visit_Dict, node, frame)

    def visit_Tuple(self, node: nodes.Tuple, frame: Frame) -> None:
        if node.ctx == "load":
            self._value(super().visit_Tuple, node, frame)
        else:
            super().visit_Tuple(node, frame)
