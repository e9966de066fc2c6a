"""## What it does
Parses the handler's module, and every module of the project it imports (transitively), with
Python's `ast` for the function's Python version (`feature_version` set to the runtime's
minor, e.g. `match` statements need 3.10). A syntax error is reported where it is in the Python
file and on the handler string. Files the handler does not import are not reported.

## Why is this bad?
Lambda imports the handler's module at cold start; a syntax error there, or in a module it
imports at module level, fails every invocation with `Runtime.UserCodeSyntaxError`. The deploy
does not catch it: SST 4.13.2 and later run `python -m compileall` on the artifact but only log a
warning when it fails, and earlier versions do not compile at all.

## Example
```python
# functions/src/functions/api.py (runtime: "python3.9")
def handler(event, context):
    match event.get("action"):
        case "ping":
            return "pong"
```

## Use instead
Use syntax the runtime's Python version accepts (here `if`/`elif`), or raise `runtime` to
`python3.10` or later.

## Fix safety
No fix.

Severity: error when the module is imported at module level and the function's Python minor is
known and not newer than the Python running sst-lsp (a newer runtime may accept syntax this
parser does not know); warning otherwise, and for modules imported only inside a function.
"""

from __future__ import annotations

from ..engine.era import ALL_ERAS, Era
from ..engine.handler_imports import handler_imports
from ..engine.model import Related, Severity, Violation
from ..engine.positions import LineIndex, Range
from ..engine.pyimports import MODULE, interpreter_minor
from .registry import per_function, rule


def error_range(text: str, problem) -> Range:
    """The error's place: its column (code points, as ``SyntaxError`` reports) to its end or one character."""
    index = LineIndex.of(text)
    line = min(problem.line, len(index.line_starts) - 1)
    content = index.line_text(line).rstrip("\r")
    col = min(problem.column, len(content))
    end = problem.end_column if problem.end_column is not None else col + 1
    end = max(col, min(end, len(content)))
    base = index.line_starts[line]
    return index.range_of_offsets(base + col, base + end)


@rule("SST109", "handler-syntax-error", Severity.ERROR, eras=ALL_ERAS, severity_label="error / warning", scope="functions")
def check(project):
    in_file: dict[tuple, Violation] = {}
    on_handler: dict[tuple, Violation] = {}
    for _, found in per_function(project, "SST109", _found):
        for key, severity, file_violation, hkey, handler_violation in found:
            prior = in_file.get(key)
            if prior is None or (prior.severity == Severity.WARNING and severity == Severity.ERROR):
                in_file[key] = file_violation
            prior = on_handler.get(hkey)
            if prior is None or (prior.severity == Severity.WARNING and severity == Severity.ERROR):
                on_handler[hkey] = handler_violation
    yield from in_file.values()
    yield from on_handler.values()


def _found(project, pf) -> list[tuple]:
    """(key in the file, severity, the violation in the file, key on the handler, the violation there) per syntax error."""
    out: list[tuple] = []
    hi = handler_imports(project, pf)
    if hi is not None:
        for path, problem, context in hi.graph.syntax_errors:
            text = project.fs.read_text(path)
            if text is None:
                continue
            sure_version = hi.minor is not None and hi.minor <= interpreter_minor()
            severity = Severity.ERROR if context == MODULE and sure_version else Severity.WARNING
            version = f"Python 3.{hi.minor}" if hi.minor else "Python"
            caveat = ""
            if hi.minor is None:
                caveat = " (the function's Python version is not known: checked with this parser's grammar)"
            elif not sure_version:
                caveat = f" (checked with Python 3.{interpreter_minor()}'s parser, older than the runtime: newer syntax may be valid there)"
            rng = error_range(text, problem)
            rel = project.rel(path)
            how = "" if path == pf.target.py_path else f", which the handler {pf.target.text} imports {'at module level' if context == MODULE else 'inside a function'}"
            effect = (
                "every invocation fails with Runtime.UserCodeSyntaxError"
                if context == MODULE
                else "the invocations that reach that import fail with SyntaxError"
            )
            deploy_note = (
                "The deploy still succeeds (SST 4.13.2 and later run compileall on the artifact but only log a warning)"
                if project.era == Era.C
                else "The deploy still succeeds (SST does not compile the code before deploying it)"
            )
            message = (
                f"{rel} does not parse as {version}{caveat}: {problem.message} (line {problem.line + 1}){how}. "
                f"{deploy_note}, then {effect}."
            )
            out.append((
                (path, problem.line, problem.column),
                severity,
                Violation("SST109", path, rng, message, severity=severity, related=[Related(pf.fd.file, pf.fd.handler_range, f"the handler {pf.target.text}")]),
                (pf.fd.file, pf.fd.handler_range),
                Violation("SST109", pf.fd.file, pf.fd.handler_range, message, severity=severity, related=[Related(path, rng, "the syntax error")]),
            ))
    return out
