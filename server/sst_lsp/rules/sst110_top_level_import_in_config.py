"""## What it does
Finds an `import` statement at the top of `sst.config.ts` that SST will refuse: one that imports
a value. Type-only imports are fine (`import type { X } from "…"`, `import { type X } from "…"`),
and so is an import whose bindings are only used as types, because esbuild (which SST uses to
load the file) drops those. A bare `import "…"` and a re-export `export … from "…"` are always
kept, so they are reported. When `tsconfig.json` sets `verbatimModuleSyntax` or
`preserveValueImports`, esbuild keeps every import that is not `type`, used or not.

SST 3.11.0 introduced the check; with an older detected SST version nothing is reported.

## Why is this bad?
SST evaluates `sst.config.ts` before anything else, and stops on its first value import:
`Your sst.config.ts has top level imports - this is not allowed. Move imports inside the
function they are used and do a dynamic import: const mod = await import("./mod")`.
Every command (`sst deploy`, `sst dev`, `sst remove`) fails the same way.

## Example
```ts
import * as path from "node:path";

export default $config({
  app() { return { name: "api", home: "aws" }; },
  async run() {
    const dir = path.join("functions", "src");
  },
});
```

## Use instead
```ts
export default $config({
  app() { return { name: "api", home: "aws" }; },
  async run() {
    const path = await import("node:path");
    const dir = path.join("functions", "src");
  },
});
```

## Fix safety
Unsafe: the import line is removed and an `await import("…")` becomes the first statement of
`async run()` (`import * as x` → `const x = await import("…")`; `import { a, b as c }` →
`const { a, b: c } = await import("…")`; `import x` → `const x = (await import("…")).default`).
The module is then loaded later, when `run()` starts, which can change the order of side
effects. Type-only specifiers stay behind as an `import type`. No fix is offered when a binding
is also used outside `run()` (e.g. in `app()`), when `run` is not `async`, or for a re-export.
"""

from __future__ import annotations

from packaging.version import Version

from ..engine.config_file import analyse_config, keeps_unused_imports
from ..engine.era import ALL_ERAS
from ..engine.model import Fix, Safety, Severity, TextEdit, Violation
from ..engine.positions import Range
from .registry import rule

SINCE = Version("3.11.0")
SST_MESSAGE = (
    "Your sst.config.ts has top level imports - this is not allowed. Move imports inside the function they are used "
    'and do a dynamic import: `const mod = await import("./mod")`'
)


def _statements(imp) -> list[str]:
    """The `await import(…)` statement(s) that replace a value import."""
    src = imp.source_text
    named = [s for s in imp.named if not s.is_type]
    if imp.side_effect:
        return [f"await import({src});"]
    out = []
    if imp.namespace:
        out.append(f"const {imp.namespace} = await import({src});")
        if imp.default:
            out.append(f"const {imp.default} = {imp.namespace}.default;")
        return out
    parts = []
    if imp.default:
        if not named:
            return [f"const {imp.default} = (await import({src})).default;"]
        parts.append(f"default: {imp.default}")
    parts += [s.local if s.local == s.imported else f"{s.imported}: {s.local}" for s in named]
    return [f"const {{ {', '.join(parts)} }} = await import({src});"]


def _fix(cfg, imp) -> Fix | None:
    run = cfg.run
    if run is None or not run.is_async or imp.is_reexport or imp.used_outside_run:
        return None
    path = cfg.tf.path
    stmts = _statements(imp)
    if run.empty:
        insert = " " + " ".join(stmts) + " "
    elif run.same_line:
        insert = " ".join(stmts) + " "
    else:
        insert = "".join(s + "\n" + run.indent for s in stmts)
    types = [s for s in imp.named if s.is_type]
    if types:
        specs = ", ".join(s.imported if s.local == s.imported else f"{s.imported} as {s.local}" for s in types)
        removal = TextEdit(path, imp.range, f"import type {{ {specs} }} from {imp.source_text};")
    else:
        removal = TextEdit(path, imp.line_range, "")
    insertion = TextEdit(path, Range(run.insert_at, run.insert_at), insert)
    return Fix(f"Move the import into run(): {stmts[0]}", Safety.UNSAFE, (removal, insertion))


@rule("SST110", "top-level-import-in-config", Severity.ERROR, eras=ALL_ERAS, fix=Safety.UNSAFE)
def check(project):
    version = project.era_info.version
    if version is not None and version < SINCE:
        return
    tf = project.ts_file(project.config)
    if tf is None or tf.tree is None:
        return
    cfg = analyse_config(tf)
    if not cfg.imports:
        return
    keep_all = keeps_unused_imports(project.fs.read_text(project.root / "tsconfig.json"))
    for imp in cfg.imports:
        if imp.type_only:
            continue
        if not (imp.side_effect or imp.is_reexport or imp.used_as_value or (keep_all and imp.value_names)):
            continue  # esbuild drops an import whose bindings are only used as types
        what = "re-export from" if imp.is_reexport else "import of"
        advice = "Move it into run()." if imp.is_reexport else f"Load it inside run() instead: {_statements(imp)[0]}"
        yield Violation(
            "SST110",
            tf.path,
            imp.range,
            f"Top-level {what} {imp.source_text} in sst.config.ts: SST 3.11+ refuses it before running anything: "
            f'"{SST_MESSAGE}". {advice}'
            + (" Type-only imports (import type) are fine." if imp.named else ""),
            fix=_fix(cfg, imp),
        )
