"""## What it does
Reads the Pulumi event logs an SST run left behind, `.sst/pulumi/<update id>/eventlog.json`
(one JSON engine event per line; SST 3.6.19 and later), and shows each error in it on
`sst.config.ts` (at the `$config` call): the resource, shortened to its type and name
(`aws:lambda/function:Function MyFunc`), and the error message. It reports `diagnosticEvent`
entries with `severity: "error"` and `resOpFailedEvent` entries (an operation on a resource
failed) that no error message explains. The wrap-up messages SST itself hides (`update failed`,
`update cancelled`, `failed to register new resource`) are skipped, as are duplicates, truncated
or garbled lines. A log larger than 2 MiB is read from its end (the last 2 MiB).

## Why is this bad?
SST deletes that folder after every run unless `SST_NO_CLEANUP` is set, so a leftover one means
a run that failed or was interrupted. Its error events hold the real cause of a failed deploy, or
of a "successful" one with missing resources, which the terminal output can hide (for example
behind `RangeError: Invalid string length` on SST older than 3.17.27).

## Example
```text
.sst/pulumi/abc123/eventlog.json
{"sequence":12,"timestamp":1718000000,"diagnosticEvent":{"urn":"urn:pulumi:dev::app::sst:aws:Function$aws:lambda/function:Function::MyFunc","message":"creating Lambda Function: InvalidParameterValueException: …","color":"never","severity":"error"}}
```

## Use instead
Fix the cause, deploy again; SST removes the folder after a run that completes. When no `sst`
command is running, the folder can be deleted to clear these messages.

## Fix safety
No fix: the cause is in the cloud or in the code, not in the log.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..engine.config_file import analyse_config
from ..engine.era import ALL_ERAS
from ..engine.model import Related, Severity, Violation
from ..engine.positions import ZERO_RANGE, Range
from .registry import rule

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
# SST does not show these (pkg/project/run.go): they only wrap up the real error
HIDDEN = ("update failed", "update cancelled")
HIDDEN_ANYWHERE = ("failed to register new resource",)
MAX_MESSAGE = 500
MAX_REPORTS = 50


def short_urn(urn: str) -> str:
    """``urn:pulumi:dev::app::sst:aws:Function$aws:lambda/function:Function::MyFunc`` → type and name."""
    parts = urn.split("::", 3)
    if len(parts) < 4:
        return urn
    qualified, name = parts[2], parts[3]
    return f"{qualified.rsplit('$', 1)[-1]} {name}"


def clean(message: str) -> str:
    text = " ".join(ANSI.sub("", message).split())
    if len(text) > MAX_MESSAGE:
        text = text[: MAX_MESSAGE - 1].rstrip() + "…"
    return text


def read_tail(fs, path: Path) -> tuple[list[str], int] | None:
    """The lines of ``path`` (the last MAX_FILE_BYTES of it when larger) and the number of the first one."""
    found = fs.read_tail(path)
    if found is None:
        return None
    data, whole = found
    lines = data.decode("utf-8", errors="replace").split("\n")
    return lines, (0 if whole else -1)


def eventlogs(project) -> list[Path]:
    base = project.root / ".sst" / "pulumi"
    return [e.path / "eventlog.json" for e in project.fs.listdir(base) if e.is_dir and project.fs.is_file(e.path / "eventlog.json")]


def errors_in(lines: list[str]):
    """(line index, urn, message) for each error event; resOpFailed without an error message get one too."""
    explained: set[str] = set()
    failed: list[tuple[int, str, str]] = []
    for i, line in enumerate(lines):
        if '"diagnosticEvent"' not in line and '"resOpFailedEvent"' not in line:
            continue
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if not isinstance(event, dict):
            continue
        diag = event.get("diagnosticEvent")
        if isinstance(diag, dict) and diag.get("severity") == "error":
            message = diag.get("message")
            urn = diag.get("urn") if isinstance(diag.get("urn"), str) else ""
            if not isinstance(message, str):
                continue
            text = clean(message)
            if not text or text.startswith(HIDDEN) or any(h in text for h in HIDDEN_ANYWHERE):
                continue
            explained.add(urn)
            yield i, urn, text
        op = event.get("resOpFailedEvent")
        if isinstance(op, dict) and isinstance(op.get("metadata"), dict):
            meta = op["metadata"]
            urn = meta.get("urn") if isinstance(meta.get("urn"), str) else ""
            verb = meta.get("op") if isinstance(meta.get("op"), str) else "operation"
            failed.append((i, urn, f"the {verb} operation failed"))
    for i, urn, text in failed:
        if urn not in explained:
            yield i, urn, text


@rule("SST501", "failed-deploy-event", Severity.INFO, eras=ALL_ERAS)
def check(project):
    logs = eventlogs(project)
    if not logs:
        return
    anchor = ZERO_RANGE
    tf = project.ts_file(project.config)
    if tf is not None and tf.tree is not None:
        anchor = analyse_config(tf).config_call or ZERO_RANGE
    seen: set[tuple[str, str]] = set()
    count = 0
    for log in logs:
        read = read_tail(project.fs, log)
        if read is None:
            continue
        lines, first = read
        rel = project.rel(log)
        for i, urn, text in errors_in(lines):
            if (urn, text) in seen:
                continue
            seen.add((urn, text))
            count += 1
            if count > MAX_REPORTS:
                return
            what = f"{short_urn(urn)}: " if urn else ""
            line = i + first if first >= 0 else 0
            yield Violation(
                "SST501",
                project.config,
                anchor,
                f"{what}{text} (from {rel}, left behind by an SST run that failed or was interrupted: this is the "
                "error behind the deploy's outcome. Fix it and deploy again; when no sst command is running, the folder "
                "can be deleted to clear this message.)",
                related=[Related(log, Range.of(line, 0, line, 0), "the event")],
            )
