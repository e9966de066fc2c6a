"""## What it does
Finds Python functions deployed as container images (`python: { container: true }`) that also
set `layers` (an error) or `copyFiles` (a warning).

## Why is this bad?
- `layers`: SST passes them on to the Lambda function, and AWS does not support layers on
  functions whose package type is `Image`; creating or updating the function fails
  (`InvalidParameterValueException: Lambda layers are not supported for functions created with
  container images.`).
- `copyFiles`: SST adds these files to the zip of a zip-packaged function only; the container
  image is built from the handler's project, so the files are silently missing at runtime.

## Example
```ts
new sst.aws.Function("Report", {
  handler: "functions/src/functions/report.handler",
  runtime: "python3.11",
  python: { container: true },
  layers: ["arn:aws:lambda:us-east-1:123456789012:layer:fonts:3"],
  copyFiles: [{ from: "templates" }],
});
```

## Use instead
```ts
new sst.aws.Function("Report", {
  handler: "functions/src/functions/report.handler",
  runtime: "python3.11",
  python: { container: true }, // put the layer's content and the templates into the image
});
```
Install what the layer provided and copy the files in a custom `Dockerfile`, or keep the
function zip-packaged (drop `container`).

## Fix safety
No fix: the content of the layer or of the copied files has to go somewhere else.
"""

from __future__ import annotations

from ..engine.components import container_option
from ..engine.era import ALL_ERAS
from ..engine.model import Related, Severity, Violation
from .registry import rule


def _empty(pair) -> bool:
    return pair.value_text.replace(" ", "") in ("[]", "undefined")


@rule("SST404", "container-incompatible-option", Severity.ERROR, eras=ALL_ERAS, severity_label="error / warning", scope="functions")
def check(project):
    seen: set = set()
    for pf in project.python_functions:
        fd = pf.fd
        opt = container_option(fd.pairs)
        if opt is None or not opt.enabled or not (pf.runtime or "").startswith("python"):
            continue
        related = [Related(opt.file or fd.file, opt.pair.key_range, "the function is a container image")]
        layers = fd.pairs.get("layers")
        if fd.has_layers and (layers.file or fd.file, layers.key_range) not in seen:
            seen.add((layers.file or fd.file, layers.key_range))
            yield Violation(
                "SST404",
                layers.file or fd.file,
                layers.key_range,
                "layers cannot be used with python: { container: true }: the function is deployed with package type Image and AWS "
                'rejects it ("InvalidParameterValueException: Lambda layers are not supported for functions created with container '
                'images."). Install what the layers provide in the image (a custom Dockerfile) or drop container.',
                severity=Severity.ERROR,
                related=related,
            )
        copy = fd.pairs.get("copyFiles")
        if copy is not None and not _empty(copy) and (copy.file or fd.file, copy.key_range) not in seen:
            seen.add((copy.file or fd.file, copy.key_range))
            yield Violation(
                "SST404",
                copy.file or fd.file,
                copy.key_range,
                "copyFiles is ignored with python: { container: true }: SST adds these files to zip packages only, so they are "
                "silently missing from the container image and from the function at runtime. Copy them into the image with a custom "
                "Dockerfile, or drop container.",
                severity=Severity.WARNING,
                related=related,
            )
