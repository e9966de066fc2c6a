"""## What it does
Reads the signature of the function a handler names (with `ast`, never running it) and checks
that Lambda's Python runtime can call it the way it does: `handler(event, context)`, two
positional arguments. Reported when the `def` takes fewer than two positional parameters and
no `*args`, needs more than two, needs a keyword-only argument, or is an `async def`.
Callables bound by assignment or import (`handler = Mangum(app)`,
`from .app import handler`) are not checked; a decorated `def` only gets a warning, since the
decorator may return another callable.

## Why is this bad?
The deploy succeeds, then every invocation fails:
- too few parameters: `TypeError: handler() takes 1 positional argument but 2 were given`;
- an `async def`: the runtime gets a coroutine object back and cannot serialise it
  (`Runtime.MarshalError: Unable to marshal response: Object of type coroutine is not JSON
  serializable`), and the coroutine never runs.

## Example
```python
def handler(event):
    return {"statusCode": 200}
```

## Use instead
```python
def handler(event, context):
    return {"statusCode": 200}
```
For asynchronous code, keep a synchronous handler and run the coroutine in it:
`return asyncio.run(main(event))`.

## Fix safety
Unsafe: the missing parameters (`event`, `context`) are added to the `def`. Offered only for
too few positional parameters; an `async def` or extra required parameters need a decision.
"""

from __future__ import annotations

import ast
from functools import lru_cache

from ..engine.era import ALL_ERAS
from ..engine.handler_imports import function_minor
from ..engine.model import Fix, Related, Safety, Severity, TextEdit, Violation
from ..engine.positions import LineIndex, Range
from ..engine.pyimports import Signature, header_end, parse_python
from .registry import per_function, rule


def _fix(path, text: str, sig) -> Fix | None:
    """Add the missing ``event`` / ``context`` before the ``)`` that closes the parameters."""
    if sig.vararg or sig.required_kwonly or sig.defaults or len(sig.positional) >= 2:
        return None  # after a parameter with a default, a plain one would not parse
    end = header_end(text, sig)
    if end is None:
        return None
    taken = set(sig.positional)
    missing = [n if n not in taken else f"_{n}" for n in ("event", "context")][len(sig.positional):]
    index = LineIndex.of(text)
    at = index.position_of_point(end)
    before = text[: index.offset_of_position(at)].rstrip()
    sep = "" if not sig.positional else (" " if before.endswith(",") else ", ")
    return Fix(f"Add {', '.join(missing)} to {sig.name}()", Safety.UNSAFE, (TextEdit(path, Range(at, at), sep + ", ".join(missing)),))


def problem(sig) -> tuple[str, bool] | None:
    """(what is wrong, whether a fix can be offered) or None when Lambda can call it."""
    if sig.is_async:
        return (
            f"{sig.name} is an async def: Lambda's Python runtime calls it without awaiting, gets a coroutine back and fails with "
            "Runtime.MarshalError (Object of type coroutine is not JSON serializable); the coroutine never runs. Keep the handler "
            "synchronous and run the coroutine in it (asyncio.run(...))",
            False,
        )
    n = len(sig.positional)
    if n < 2 and not sig.vararg:
        takes = f"takes {n} positional argument{'s' if n != 1 else ''}"
        return (
            f"Lambda calls {sig.name}(event, context) with two positional arguments, but {sig.name}() {takes}: every invocation "
            f"fails with TypeError: {sig.name}() {takes} but 2 were given",
            True,
        )
    required = n - sig.defaults
    if required > 2:
        extra = ", ".join(sig.positional[2:required])
        return (
            f"Lambda calls {sig.name}(event, context) with two positional arguments, but {sig.name}() also requires {extra}: "
            f"every invocation fails with TypeError (missing required positional argument)",
            False,
        )
    if sig.required_kwonly:
        return (
            f"Lambda calls {sig.name}(event, context), but {sig.name}() requires the keyword-only argument "
            f"{', '.join(sig.required_kwonly)}: every invocation fails with TypeError",
            False,
        )
    return None


@lru_cache(maxsize=1024)
def _looks_callable(signature: str) -> bool:
    """From a ``def`` line alone (most handlers share it): takes (event, context) and is not async."""
    if signature.startswith("async "):
        return False
    try:
        fn = ast.parse(signature + ": pass").body[0]
    except (SyntaxError, ValueError, IndexError):
        return False
    sig = Signature(fn.name, False, tuple(p.arg for p in [*fn.args.posonlyargs, *fn.args.args]), len(fn.args.defaults), fn.args.vararg is not None,
                    tuple(k.arg for k, d in zip(fn.args.kwonlyargs, fn.args.kw_defaults) if d is None), False, 0, 0, 0)
    return problem(sig) is None


@rule("SST112", "handler-signature-mismatch", Severity.ERROR, eras=ALL_ERAS, fix=Safety.UNSAFE, severity_label="error / warning", scope="functions")
def check(project):
    seen: set = set()
    for _, found in per_function(project, "SST112", _finding):
        if found is None or found[0] in seen:
            continue  # a function reached by several handlers is reported once, for the first
        seen.add(found[0])
        yield found[1]


def _finding(project, pf) -> tuple | None:
    """((file, function name), the report) for one handler whose signature Lambda cannot call, or None."""
    t, fd = pf.target, pf.fd
    if t.py_path is None or fd.has_bundle or not t.function:
        return None
    module = project.python_module(t.py_path)
    binding = module.bindings.get(t.function) if module is not None else None
    if binding is None or binding.kind != "function" or _looks_callable(binding.signature):
        return None  # not a def, or `def f(a, b)` / `def f(*args)`: Lambda can call it (decorators aside)
    text = project.fs.read_text(t.py_path)
    if text is None:
        return None
    minor, _ = function_minor(project, pf)
    parsed = parse_python(text, minor)
    sig = next((s for s in parsed.functions if s.name == t.function), None)
    found = problem(sig) if sig is not None else None
    if found is None:
        return None
    what, fixable = found
    index = LineIndex.of(text)
    start = index.position_of_point((sig.line, sig.col))
    end = index.position_of_point((sig.line, sig.col + len(sig.name.encode("utf-8"))))
    severity = Severity.WARNING if sig.decorated else Severity.ERROR
    note = " It is decorated: if the decorator returns a callable that takes (event, context), this is fine." if sig.decorated else ""
    message = f"{what}. The deploy succeeds; the handler {t.text} fails when called.{note}"
    return (t.py_path, sig.name), Violation(
        "SST112",
        t.py_path,
        Range(start, end),
        message,
        severity=severity,
        fix=_fix(t.py_path, text, sig) if fixable else None,
        related=[Related(fd.file, fd.handler_range, f"the handler {t.text}")],
    )
