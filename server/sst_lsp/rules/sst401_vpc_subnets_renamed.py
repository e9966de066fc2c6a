"""## What it does
Finds `vpc: { subnets: … }` in `sst.aws.Function` arguments, including those set through
`$transform(sst.aws.Function, …)`.

## Why is this bad?
The property was renamed. SST throws at deploy time:
`The "vpc.subnets" property has been renamed to "vpc.privateSubnets".`

## Example
```ts
vpc: { securityGroups: [sg.id], subnets: privateSubnetIds },
```

## Use instead
```ts
vpc: { securityGroups: [sg.id], privateSubnets: privateSubnetIds },
```

## Fix safety
Safe: only the key is renamed; the value is the same list of subnet IDs.
"""

from __future__ import annotations

from ..engine.ts_findings import vpc_subnets
from ..engine.era import ALL_ERAS
from ..engine.model import Fix, Safety, Severity, TextEdit, Violation
from .registry import rule


@rule("SST401", "vpc-subnets-renamed", Severity.ERROR, eras=ALL_ERAS, fix=Safety.SAFE)
def check(project):
    for tf in project.ts_files:
        for vs in vpc_subnets(tf):
            key_text = tf.index.line_text(vs.key_range.start.line)[vs.key_range.start.character : vs.key_range.end.character]
            q = key_text[0] if key_text[:1] in ("'", '"') else ""
            new = "privateSubnets: subnets" if vs.shorthand else f"{q}privateSubnets{q}"
            yield Violation(
                "SST401",
                tf.path,
                vs.key_range,
                'SST throws at deploy time: The "vpc.subnets" property has been renamed to "vpc.privateSubnets". Rename the key.',
                fix=Fix('Rename "subnets" to "privateSubnets"', Safety.SAFE, (TextEdit(tf.path, vs.key_range, new),)),
            )
