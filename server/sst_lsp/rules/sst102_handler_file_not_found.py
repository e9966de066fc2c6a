"""## What it does
Checks that the file a Python handler names exists. A handler is
`{path}/{file}.{function}`, relative to the directory that contains `sst.config.ts`; SST looks
for `{path}/{file}.py` (SST 4.13+ also under `src/`, `app/`, `functions/`, `lambda/`,
`handlers/` and `lib/`).

## Why is this bad?
SST cannot build the function and the deploy stops: `handler not found: could not find Python
file '…' in directory '…'` (SST 3.9.3–4.12), `Handler not found: …` (4.13+), or
`Could not find file for handler "…"` (before 3.9.3).

## Example
```ts
new sst.aws.Function("Api", {
  handler: "functions/functions/api.handler", // the file is functions/src/functions/api.py
  runtime: "python3.11",
});
```

## Use instead
```ts
handler: "functions/src/functions/api.handler",
```

## Fix safety
Unsafe: the closest existing `.py` path (a missing `src/`, a case slip, a typo) is offered,
but only the author knows it is the intended file.
"""

from __future__ import annotations

from collections import Counter
from itertools import repeat
from operator import add

from ..engine.era import ALL_ERAS
from ..engine.model import Fix, Related, Safety, Severity, TextEdit, Violation
from ..engine.positions import ZERO_RANGE
from ._util import handler_not_found_text, sub_range
from .registry import rule


def closest_file(project, file_part: str) -> str | None:
    options, lowered, split, columns = _prepared(project.python_file_index)
    if file_part.lower() in lowered:
        return lowered[file_part.lower()]
    # a missing or extra path segment (typically src/)
    tail = file_part.split("/")
    for o, parts in zip(options, split):
        if len(parts) == len(tail) + 1 and _drop_one(parts, tail):
            return o
        if len(parts) + 1 == len(tail) and _drop_one(tail, parts):
            return o
    return _closest(file_part, options, 0.8, columns)


_prepared_for: list = [None, None]  # [the file index, what ``_prepared`` made of it]


def prepare(index: list[str]) -> None:
    """Make ``_prepared``'s tables for an app's file index (and import difflib) before the first
    missing file is typed: the server calls it once the workspace is analysed."""
    import difflib  # noqa: F401

    _prepared(index)


def _prepared(index: list[str]) -> tuple:
    """(paths without .py, lower-cased -> path, each path's segments, ``_columns`` of the paths)
    for one file index, made once (the index is kept while the app's files are the same: every
    keystroke asks again)."""
    if _prepared_for[0] is not index:
        options = [p[:-3] for p in index]
        _prepared_for[:] = [index, (options, {o.lower(): o for o in options}, [o.split("/") for o in options], _columns(options))]
    return _prepared_for[1]


def _columns(options: list[str]) -> tuple[dict, list[int]]:
    """({character: how many times each option holds it, in the options' order}, their lengths)."""
    counts = [Counter(x) for x in options]
    alphabet = set().union(*counts) if counts else set()
    return {c: [have.get(c, 0) for have in counts] for c in alphabet}, [len(x) for x in options]


def _closest(word: str, options: list[str], cutoff: float, columns: tuple | None = None) -> str | None:
    """``difflib.get_close_matches(word, options, n=1, cutoff=cutoff)``, the same answer found with
    fewer full comparisons: ``quick_ratio`` bounds ``ratio`` from above, so the candidates are
    compared best bound first, and no longer once the bound falls below the best ratio found.
    The bound is difflib's own formula (twice the characters both hold, over both lengths),
    computed for every option at once, a character at a time, from ``_columns`` made once."""
    import difflib  # lazily: start-up does not need it

    by_char, lengths = columns if columns is not None else _columns(options)
    lb = len(word)
    both = [0] * len(options)  # characters each option holds in common with the word
    for c, need in Counter(word).items():
        have = by_char.get(c)
        if have is not None:
            both = list(map(add, both, map(min, have, repeat(need))))
    bounds = ((2.0 * s / (n + lb) if n + lb else 1.0, x) for s, n, x in zip(both, lengths, options))  # (difflib's arithmetic)
    bounded = sorted((b for b in bounds if b[0] >= cutoff), reverse=True)
    s = difflib.SequenceMatcher()
    s.set_seq2(word)
    best = None
    for bound, x in bounded:
        if best is not None and bound < best[0]:
            break  # no ratio ahead can reach the best one (nor tie it: ties go to the larger path)
        s.set_seq1(x)
        score = s.ratio()
        if score >= cutoff and (best is None or (score, x) > best):
            best = (score, x)
    return best[1] if best is not None else None


def _drop_one(longer: list[str], shorter: list[str]) -> bool:
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))


@rule("SST102", "handler-file-not-found", Severity.ERROR, eras=ALL_ERAS, fix=Safety.UNSAFE, relies_on=('bundle',), scope="function")
def check(project):
    for pf in project.python_functions:
        t, fd = pf.target, pf.fd
        if t.exists or t.outside or t.dotted or fd.has_bundle or t.other_language is not None or not t.file_part:
            continue
        if project.link_out_on_path(t.file_part + ".py") is not None:
            continue  # reached through a link out of the workspace: SST002 says so, the file may exist
        fix = None
        guess = closest_file(project, t.file_part)
        if guess is not None and fd.handler_lit is not None:
            prefix = "./" if t.text.startswith("./") else ""
            lit = fd.handler_lit
            new = prefix + guess + "." + t.function
            fix = Fix(f'Change the handler to "{new}"', Safety.UNSAFE, (TextEdit(fd.lit_path, lit.range, new),))
        where = " or under src/, app/, functions/, lambda/, handlers/, lib/" if project.era is not None and project.era.value == "C" else ""
        related = []
        if guess is not None:
            related.append(Related(project.root / (guess + ".py"), ZERO_RANGE, "a Python file with a similar path"))
        yield Violation(
            "SST102",
            fd.lit_path,
            sub_range(fd.handler_lit, fd.site_range, 0, len(fd.handler_lit.value) - len(t.function) - 1) if fd.handler_lit else fd.site_range,
            f"Handler file {t.file_part}.py does not exist (relative to {project.rel(project.config)}'s directory{where}). "
            f"SST stops the build with: {handler_not_found_text(project.era, t.file_part, project.root.name)}."
            + (f' Did you mean "{guess}"?' if guess else ""),
            fix=fix,
            related=related,
            about=fd,
        )
