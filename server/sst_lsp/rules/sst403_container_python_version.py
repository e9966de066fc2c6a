"""## What it does
Finds Python functions deployed as container images (`python: { container: true }`, or a
`{ cache }` object) whose `runtime` is not `python3.11` while no custom `Dockerfile` is found
where SST looks for one: next to the handler's `pyproject.toml` (SST before 4.13), or in the
`sst.config.ts` directory and then the handler's project directory (SST 4.13 and later).

## Why is this bad?
For an image function `runtime` is not used: the image decides the Python version. SST's
built-in Dockerfile starts with `ARG PYTHON_VERSION=3.11` and
`FROM public.ecr.aws/lambda/python:${PYTHON_VERSION}`, and SST passes no `PYTHON_VERSION`
build argument, so the function always runs Python 3.11 and its dependencies are installed for
3.11, whatever `runtime` says. Code that needs a newer Python fails at import or at call time.
Containers are not used in `sst dev`, so the difference only shows after a deploy.

With a custom `Dockerfile` (where SST looks for one, or in the `bundle` folder of a bundled
function) its `FROM` line decides the version: when it names a Lambda Python base image
(`public.ecr.aws/lambda/python:3.12`) that disagrees with `runtime`, the rule reports that
instead; when they agree, or the base image is not one it can read, it is silent.

## Example
```ts
new sst.aws.Function("Api", {
  handler: "functions/src/functions/api.handler",
  runtime: "python3.12",
  python: { container: true },
});
```

## Use instead
```ts
new sst.aws.Function("Api", {
  handler: "functions/src/functions/api.handler",
  runtime: "python3.11",
  python: { container: true },
});
```
or add your own `Dockerfile` (e.g. `FROM public.ecr.aws/lambda/python:3.12`) where SST looks
for one.

## Fix safety
No fix: choose between changing `runtime` (and `requires-python`) to 3.11 and writing a
Dockerfile for the version you want.
"""

from __future__ import annotations

import re

from ..engine.components import container_option
from ..engine.era import ALL_ERAS, Era
from ..engine.model import Related, Severity, Violation
from ..engine.positions import ZERO_RANGE
from .registry import rule

BUILTIN_PYTHON = "python3.11"


_FROM_PYTHON = re.compile(r"^\s*FROM\s+(?:--\S+\s+)*\S*?lambda/python:(3\.\d+)", re.IGNORECASE | re.MULTILINE)


def dockerfile_places(project, pf) -> list:
    """Where SST looks for a custom Dockerfile for this function, in the detected era's order."""
    project_dir = pf.project.dir if pf.project is not None else None
    places = []
    bundle = pf.fd.pairs.get("bundle")
    if bundle is not None and bundle.string is not None:
        places.append(project.root / bundle.string.value)
    if project.era in (Era.C, None):
        places.append(project.root)
    if project_dir is not None:
        places.append(project_dir)
    if project.era is None and project.root not in places:
        places.append(project.root)
    return [p / "Dockerfile" for p in dict.fromkeys(places)]


@rule("SST403", "container-python-version", Severity.WARNING, eras=ALL_ERAS, scope="functions")
def check(project):
    seen: set = set()
    for pf in project.python_functions:
        fd = pf.fd
        runtime = pf.runtime or ""
        opt = container_option(fd.pairs)
        if opt is None or not opt.enabled or not runtime.startswith("python"):
            continue
        bundle = fd.pairs.get("bundle")
        if bundle is not None and bundle.string is None:
            continue  # a bundle folder the analysis cannot evaluate: its Dockerfile is not visible
        places = dockerfile_places(project, pf)
        found = next((p for p in places if project.fs.is_file(p)), None)
        where = (opt.file or fd.file, opt.pair.key_range, runtime)
        if where in seen:
            continue
        related = [Related(fd.file, fd.runtime_range, f'runtime "{runtime}"')] if fd.runtime_range is not None else []
        if found is not None:
            m = _FROM_PYTHON.search(project.fs.read_text(found) or "")
            if m is None or "python" + m.group(1) == runtime:
                continue
            seen.add(where)
            yield Violation(
                "SST403",
                where[0],
                opt.pair.key_range,
                f'This function is deployed as a container image built from {project.rel(found)}, whose base image runs Python '
                f'{m.group(1)} (FROM …lambda/python:{m.group(1)}), but its runtime is "{runtime}". For an image function the image '
                f'decides: the function runs Python {m.group(1)}. Make runtime and the FROM line agree.',
                related=related + [Related(found, ZERO_RANGE, "the Dockerfile")],
            )
            continue
        if runtime == BUILTIN_PYTHON:
            continue
        seen.add(where)
        looked = " or ".join(project.rel(p) for p in places) or "next to the handler's pyproject.toml"
        yield Violation(
            "SST403",
            where[0],
            opt.pair.key_range,
            f'This function is deployed as a container image but its runtime is "{runtime}": SST passes no PYTHON_VERSION build '
            f"argument, so its built-in Dockerfile (FROM public.ecr.aws/lambda/python:${{PYTHON_VERSION}}, default 3.11) builds a "
            f"Python 3.11 image and the function runs Python 3.11, whatever runtime says. No custom Dockerfile was found ({looked}). "
            f'Set runtime: "{BUILTIN_PYTHON}", or add a Dockerfile for {runtime.replace("python", "Python ")} there.',
            related=related,
        )
