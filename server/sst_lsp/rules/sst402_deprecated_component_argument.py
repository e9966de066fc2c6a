"""## What it does
Finds component arguments SST has renamed: `job` on `sst.aws.Cron` (now `function`),
`vpc.serviceSubnets` on `sst.aws.Cluster` (now `vpc.containerSubnets`), `publicIp` on
`sst.aws.Task` (now `public`) and `live` in function arguments (now `dev`).

## Why is this bad?
SST still honours the old key on its own, but it is deprecated and will go away. When the old
and the new key are both set, `Cron`, `Cluster` and `Task` throw at deploy time, e.g.
`You cannot provide both "job" and "function" in the "Nightly" Cron component. The "job"
property has been deprecated. Use "function" instead.` — that case is reported as an error,
with no automatic fix: decide which value to keep and delete the other key.

## Example
```ts
new sst.aws.Cron("Nightly", {
  schedule: "rate(1 day)",
  job: { handler: "functions/src/functions/nightly.handler", runtime: "python3.11" },
});
```

## Use instead
```ts
new sst.aws.Cron("Nightly", {
  schedule: "rate(1 day)",
  function: { handler: "functions/src/functions/nightly.handler", runtime: "python3.11" },
});
```

## Fix safety
Safe: only the key is renamed (a shorthand `{ job }` becomes `function: job`); SST reads the new
key exactly as it read the old one. No fix is offered when both keys are set.
"""

from __future__ import annotations

from ..engine.components import components
from ..engine.era import ALL_ERAS
from ..engine.model import Fix, Related, Safety, Severity, TextEdit, Violation
from .registry import rule

# component kind -> (path of the object holding the key, old key, new key, SST's text when both are set)
RENAMED = {
    "Cron": ((), "job", "function", 'You cannot provide both "job" and "function" in the "{name}" Cron component. The "job" property has been deprecated. Use "function" instead.'),
    "CronV2": ((), "job", "function", 'You cannot provide both "job" and "function" in the "{name}" CronV2 component. The "job" property has been deprecated. Use "function" instead.'),
    "Cluster": (
        ("vpc",),
        "serviceSubnets",
        "containerSubnets",
        'You cannot provide both "vpc.containerSubnets" and "vpc.serviceSubnets" in the "{name}" Cluster component. The "serviceSubnets" property has been deprecated. Use "containerSubnets" instead.',
    ),
    "Task": ((), "publicIp", "public", 'Do not set both "public" and "publicIp" for the "{name}" Task. "publicIp" has been deprecated, use "public" instead.'),
}


def _rename(tf, pair, new_key: str) -> str:
    if pair.key_range == pair.value_range:  # shorthand `{ job }`: keep the value
        return f"{new_key}: {pair.value_text}"
    start, end = pair.key_range.start, pair.key_range.end
    key_text = tf.index.line_text(start.line)[start.character : end.character] if start.line == end.line else ""
    q = key_text[0] if key_text[:1] in ("'", '"') else ""
    return f"{q}{new_key}{q}"


def _nested(pairs: dict, path: tuple) -> dict | None:
    for key in path:
        p = pairs.get(key)
        if p is None or not p.object_pairs:
            return None
        pairs = dict(p.object_pairs)
    return pairs


@rule("SST402", "deprecated-component-argument", Severity.WARNING, eras=ALL_ERAS, fix=Safety.SAFE)
def check(project):
    seen: set = set()
    for tf in project.ts_files:
        for comp in components(tf):
            spec = RENAMED.get(comp.kind)
            if spec is None:
                continue
            path, old, new, both_text = spec
            pairs = _nested(comp.pairs, path)
            if pairs is None or old not in pairs:
                continue
            pair = pairs[old]
            where = (tf.path, pair.key_range)
            if where in seen:
                continue
            seen.add(where)
            dotted_old = ".".join((*path, old))
            dotted_new = ".".join((*path, new))
            label = f'sst.aws.{comp.kind} "{comp.name}"'
            if new in pairs:
                yield Violation(
                    "SST402",
                    tf.path,
                    pair.key_range,
                    f'{label} sets both "{dotted_old}" and "{dotted_new}": SST throws at deploy time: '
                    f"{both_text.format(name=comp.name)} Keep the value you want under \"{dotted_new}\" and delete \"{dotted_old}\".",
                    severity=Severity.ERROR,
                    related=[Related(tf.path, pairs[new].key_range, f'"{dotted_new}" is set here too')],
                )
                continue
            yield Violation(
                "SST402",
                tf.path,
                pair.key_range,
                f'"{dotted_old}" on {label} is deprecated: SST still reads it, but "{dotted_old}" has been deprecated in favour of '
                f'"{dotted_new}" (with both set SST throws: {both_text.format(name=comp.name)}). Rename the key to "{new}".',
                fix=Fix(f'Rename "{old}" to "{new}"', Safety.SAFE, (TextEdit(tf.path, pair.key_range, _rename(tf, pair, new)),)),
            )
    # `live` in function arguments (sst.aws.Function, routes, subscribers, Cron functions …)
    for fd in project.functions:
        pair = fd.pairs.get("live")
        if pair is None:
            continue
        path = pair.file or fd.file
        where = (path, pair.key_range)
        if where in seen:
            continue
        seen.add(where)
        tf = project.ts_file(path)
        if "dev" in fd.pairs:
            yield Violation(
                "SST402",
                path,
                pair.key_range,
                '"live" is deprecated in favour of "dev", and "dev" is set too: SST turns Live off in `sst dev` when either is false. '
                'Delete "live" and keep the value you want under "dev".',
                related=[Related(fd.pairs["dev"].file or fd.file, fd.pairs["dev"].key_range, '"dev" is set here')],
            )
            continue
        fix = Fix('Rename "live" to "dev"', Safety.SAFE, (TextEdit(path, pair.key_range, _rename(tf, pair, "dev")),)) if tf is not None else None
        yield Violation(
            "SST402",
            path,
            pair.key_range,
            '"live" in function arguments is deprecated: SST still honours it, but it has been replaced by "dev" '
            '(`dev: false` runs the deployed function instead of Live in `sst dev`). Rename the key to "dev".',
            fix=fix,
        )
