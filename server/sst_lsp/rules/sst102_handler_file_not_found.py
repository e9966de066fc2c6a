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

import sys
from array import array
from collections import Counter

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

    columns = _prepared(index)[3]
    for c in set().union(*columns.counts):  # (a typed path's characters, each once)
        columns.lanes(c, 1)


def _prepared(index: list[str]) -> tuple:
    """(paths without .py, lower-cased -> path, each path's segments, their ``_Columns``)
    for one file index, made once (the index is kept while the app's files are the same: every
    keystroke asks again)."""
    if _prepared_for[0] is not index:
        options = [p[:-3] for p in index]
        _prepared_for[:] = [index, (options, {o.lower(): o for o in options}, [o.split("/") for o in options], _Columns(options))]
    return _prepared_for[1]


class _Columns:
    """How many times each option holds each character, packed for ``_closest``: for a character
    and a count ``k``, one integer whose 16-bit lane ``i`` is ``min(k, times option i holds it)``.
    Adding such integers adds every option's lane at once, in C (no lane can overflow: a sum
    never exceeds the word's length, and longer words are not packed)."""

    __slots__ = ("counts", "lengths", "packed")

    def __init__(self, options: list[str]):
        self.counts = [Counter(x) for x in options]
        self.lengths = [len(x) for x in options]
        self.packed: dict = {}  # (character, k) -> lanes, made when first asked for

    def lanes(self, c: str, k: int) -> int:
        hit = self.packed.get((c, k))
        if hit is None:
            lanes = array("H", [min(k, have.get(c, 0)) for have in self.counts])
            if sys.byteorder != "little":
                lanes.byteswap()  # (packed little-endian, as ``common`` unpacks them)
            hit = self.packed[(c, k)] = int.from_bytes(lanes.tobytes(), "little")
        return hit

    def common(self, word: str) -> list[int]:
        """For each option, the characters it holds in common with ``word`` (with multiplicity)."""
        total = 0
        for c, need in Counter(word).items():
            total += self.lanes(c, need)
        n = len(self.lengths)
        out = array("H")
        out.frombytes(total.to_bytes(2 * n, "little"))
        if sys.byteorder != "little":
            out.byteswap()
        return out.tolist()


def _closest(word: str, options: list[str], cutoff: float, columns: _Columns | None = None) -> str | None:
    """``difflib.get_close_matches(word, options, n=1, cutoff=cutoff)``, the same answer found with
    fewer full comparisons: ``quick_ratio`` bounds ``ratio`` from above, so the candidates are
    compared best bound first, and no longer once the bound falls below the best ratio found.
    The bound is difflib's own formula (twice the characters both hold, over both lengths),
    computed for every option at once from ``_Columns`` made once."""
    import difflib  # lazily: start-up does not need it

    lb = len(word)
    if columns is None:
        columns = _Columns(options)
    if lb < 0x8000:
        both = columns.common(word)
    else:  # (a lane holds at most 0xFFFF)
        need = Counter(word)
        both = [sum(min(k, have.get(c, 0)) for c, k in need.items()) for have in columns.counts]
    lengths = columns.lengths
    bounded = sorted(
        ((b, x) for s, n, x in zip(both, lengths, options) if (b := 2.0 * s / (n + lb) if n + lb else 1.0) >= cutoff),  # (difflib's arithmetic)
        reverse=True,
    )
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
