"""## What it does
Checks that the handler's Python file binds the function the handler names at its top level:
a `def`, a class, an assignment (`handler = Mangum(app)`) or an import
(`from .app import handler`). The file is read with Python's `ast`; it is never imported or run.

## Why is this bad?
The deploy succeeds, then every invocation fails: AWS imports the module and looks the name up
at cold start, reporting `Runtime.HandlerNotFound`.

## Example
```python
# functions/src/functions/api.py
def main(event, context): ...
```
```ts
handler: "functions/src/functions/api.handler",
```

## Use instead
```ts
handler: "functions/src/functions/api.main",
```

## Fix safety
Unsafe: the closest top-level name in the file is offered; only the author knows it is the
intended entry point.
"""

from __future__ import annotations


from ..engine.era import ALL_ERAS
from ..engine.model import Fix, Related, Safety, Severity, TextEdit, Violation
from ..engine.positions import Range, Position
from ._util import function_range
from .registry import rule


@rule("SST103", "handler-function-not-found", Severity.ERROR, eras=ALL_ERAS, fix=Safety.UNSAFE, relies_on=('bundle',), scope="function")
def check(project):
    for pf in project.python_functions:
        t, fd = pf.target, pf.fd
        if not t.exists or fd.has_bundle or not t.function:
            continue
        module = project.python_module(t.py_path)
        if module is None or module.syntax_error is not None or t.function in module.bindings:
            continue
        callables = [b.name for b in module.bindings.values() if b.kind in ("function", "assignment", "import", "class")]
        import difflib  # lazily: start-up does not need it
        guess = difflib.get_close_matches(t.function, callables, n=1, cutoff=0.5)
        funcs = [b.name for b in module.bindings.values() if b.kind == "function"]
        if not guess and len(funcs) == 1:
            guess = funcs
        rng = function_range(fd.handler_lit, fd.site_range)
        fix = None
        if guess and fd.handler_lit is not None:
            fix = Fix(
                f'Change the function to "{guess[0]}"',
                Safety.UNSAFE,
                (TextEdit(fd.lit_path, rng, guess[0]),),
            )
        defined = ", ".join(funcs[:5]) or "none"
        yield Violation(
            "SST103",
            fd.lit_path,
            rng,
            f'{project.rel(t.py_path)} has no top-level "{t.function}": the deploy succeeds, then AWS Lambda fails every '
            f"invocation with Runtime.HandlerNotFound. Functions defined there: {defined}.",
            fix=fix,
            related=[Related(t.py_path, Range(Position(0, 0), Position(0, 0)), "the handler's Python file")],
            about=fd,
        )
