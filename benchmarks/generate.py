"""Generate the benchmark inputs (nothing large is committed).

- ``monorepo(dest, n)``: a clean era-B SST app with ``n`` function projects, each a uv workspace
  member with ``[build-system]`` and ``src/<name>/api.py``, and one ``sst.aws.Function`` per
  project spread over ten ``infra/*.ts`` files imported from ``sst.config.ts``.
- ``big_config(dest, functions=200)``: one ~2,000-line ``sst.config.ts`` declaring 200 functions.
- ``realistic(dest)``: an app in the style of public ones: a ~50-line ``sst.config.ts`` that
  loads ``infra/api.ts``, a ~600-line file where shared Python defaults are spread into twenty
  functions, routes of an API with a route transform, queue subscribers and crons.
"""

from __future__ import annotations

import json
from pathlib import Path

INFRA_FILES = 10

PACKAGE_JSON = json.dumps({"name": "bench", "private": True, "devDependencies": {"sst": "3.17.0"}}, indent=2) + "\n"

MEMBER_PYPROJECT = """[project]
name = "{name}"
version = "0.1.0"
requires-python = "==3.11.*"
dependencies = []

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"
"""

API_PY = '''"""Function {name}."""


def handler(event, context):
    """Answer {name}."""
    return {{"statusCode": 200, "body": "{name}"}}
'''


def _name(i: int) -> str:
    return f"fn{i:04d}"


def _root(dest: Path, names: list[str], imports: list[str], body: str = "") -> None:
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "package.json").write_text(PACKAGE_JSON)
    members = ",\n".join(f'    "{n}"' for n in names)
    (dest / "pyproject.toml").write_text(
        f'[project]\nname = "bench"\nversion = "0.1.0"\nrequires-python = "==3.11.*"\ndependencies = []\n\n'
        f"[tool.uv.workspace]\nmembers = [\n{members},\n]\n"
    )
    loads = "".join(f'    await import("./infra/{m}");\n' for m in imports)
    (dest / "sst.config.ts").write_text(
        '/// <reference path="./.sst/platform/config.d.ts" />\n'
        "export default $config({\n"
        "  app(input) {\n"
        '    return { name: "bench", home: "aws" };\n'
        "  },\n"
        "  async run() {\n"
        f"{loads}{body}"
        "  },\n"
        "});\n"
    )


def _member(dest: Path, name: str) -> None:
    src = dest / name / "src" / name
    src.mkdir(parents=True, exist_ok=True)
    (dest / name / "pyproject.toml").write_text(MEMBER_PYPROJECT.format(name=name))
    (src / "__init__.py").write_text("")
    (src / "api.py").write_text(API_PY.format(name=name))


def _function(name: str, indent: str) -> str:
    return (
        f'{indent}new sst.aws.Function("{name.capitalize()}", {{\n'
        f'{indent}  handler: "{name}/src/{name}/api.handler",\n'
        f'{indent}  runtime: "python3.11",\n'
        f'{indent}  timeout: "30 seconds",\n'
        f'{indent}  memory: "512 MB",\n'
        f"{indent}  environment: {{\n"
        f'{indent}    STAGE: $app.stage,\n'
        f"{indent}  }},\n"
        f"{indent}}});\n\n"
    )


def monorepo(dest: Path, n: int) -> Path:
    names = [_name(i) for i in range(n)]
    infra = [f"functions{k:02d}" for k in range(INFRA_FILES)]
    _root(dest, names, infra)
    (dest / "infra").mkdir(exist_ok=True)
    for k, mod in enumerate(infra):
        chunk = names[k::INFRA_FILES]
        (dest / "infra" / f"{mod}.ts").write_text("".join(_function(nm, "") for nm in chunk))
    for nm in names:
        _member(dest, nm)
    return dest


def big_config(dest: Path, functions: int = 200) -> Path:
    names = [_name(i) for i in range(functions)]
    body = "".join(_function(nm, "    ") for nm in names)
    _root(dest, names, [], body)
    for nm in names:
        _member(dest, nm)
    return dest


REALISTIC_CONFIG = """/// <reference path="./.sst/platform/config.d.ts" />

/**
 * Orders service: an HTTP API, background workers and scheduled jobs, all Python.
 *
 * Stages:
 *   - production: retained resources, alerts on
 *   - everything else: removed with `sst remove`
 *
 * The Python code lives in one uv workspace member per resource (fnNNNN/), each with
 * src/<name>/api.py; infra/api.ts wires them into the API, the queue and the crons.
 */
export default $config({
  app(input) {
    return {
      name: "orders",
      removal: input?.stage === "production" ? "retain" : "remove",
      protect: ["production"].includes(input?.stage),
      home: "aws",
      providers: {
        aws: { region: "eu-west-1" },
      },
    };
  },
  async run() {
    $transform(sst.aws.Function, (args) => {
      args.architecture ??= "arm64";
      args.logging ??= { retention: "1 month" };
    });

    const storage = await import("./infra/storage");
    const { api, workers } = await import("./infra/api");

    const site = new sst.aws.StaticSite("Web", {
      path: "web",
      build: { command: "npm run build", output: "dist" },
      environment: { VITE_API_URL: api.url },
    });

    return {
      api: api.url,
      site: site.url,
      bucket: storage.bucket.name,
      workers: workers.length,
    };
  },
});
"""

REALISTIC_STORAGE = """export const bucket = new sst.aws.Bucket("Uploads");
export const table = new sst.aws.Dynamo("Orders", {
  fields: { pk: "string", sk: "string" },
  primaryIndex: { hashKey: "pk", rangeKey: "sk" },
});
export const queue = new sst.aws.Queue("Jobs", { visibilityTimeout: "5 minutes" });
"""


def _realistic_infra(names: list[str]) -> str:
    out = [
        'import { bucket, table, queue } from "./storage";\n',
        "\n",
        "const pythonDefaults = {\n",
        '  runtime: "python3.11" as const,\n',
        '  timeout: "30 seconds" as const,\n',
        '  memory: "512 MB" as const,\n',
        "  link: [bucket, table, queue],\n",
        "  environment: {\n",
        "    STAGE: $app.stage,\n",
        '    LOG_LEVEL: $app.stage === "production" ? "INFO" : "DEBUG",\n',
        "  },\n",
        "};\n",
        "\n",
        'export const api = new sst.aws.ApiGatewayV2("Api", {\n',
        "  cors: true,\n",
        "  transform: {\n",
        "    route: {\n",
        "      handler: (args) => {\n",
        '        args.runtime ??= "python3.11";\n',
        "        args.memory ??= \"256 MB\";\n",
        "      },\n",
        "    },\n",
        "  },\n",
        "});\n",
        "\n",
        "export const workers: sst.aws.Function[] = [];\n",
        "\n",
    ]
    for i, nm in enumerate(names):
        out += [
            f"// {nm}: handlers for the {nm} resource\n",
            f'const {nm}Fn = new sst.aws.Function("{nm.capitalize()}Worker", {{\n',
            "  ...pythonDefaults,\n",
            f'  handler: "{nm}/src/{nm}/api.handler",\n',
            f'  description: "Processes {nm} events",\n',
            "  environment: {\n",
            "    ...pythonDefaults.environment,\n",
            f'    RESOURCE: "{nm}",\n',
            "  },\n",
            "});\n",
            f"workers.push({nm}Fn);\n",
            f'api.route("GET /{nm}", {{ handler: "{nm}/src/{nm}/api.handler", link: [table] }});\n',
            f'api.route("POST /{nm}", "{nm}/src/{nm}/api.handler");\n',
            f'queue.subscribe({{ ...pythonDefaults, handler: "{nm}/src/{nm}/api.handler" }}, {{ batch: {{ size: 10 }} }});\n',
            f'new sst.aws.Cron("{nm.capitalize()}Nightly", {{\n',
            f'  schedule: "cron(0 {i % 24} * * ? *)",\n',
            f'  function: {{ ...pythonDefaults, handler: "{nm}/src/{nm}/api.handler" }},\n',
            "});\n",
            "\n",
            "if ($app.stage === \"production\") {\n",
            f'  {nm}Fn.addEnvironment?.({{ ALERTS: "on" }});\n',
            "}\n",
            "\n",
            "\n",
            "\n",
            "\n",
            "\n",
            "\n",
            "\n",
            "\n",
        ]
    return "".join(out)


def realistic(dest: Path, functions: int = 20) -> Path:
    names = [_name(i) for i in range(functions)]
    _root(dest, names, [])
    (dest / "sst.config.ts").write_text(REALISTIC_CONFIG)
    (dest / "infra").mkdir(exist_ok=True)
    (dest / "infra" / "storage.ts").write_text(REALISTIC_STORAGE)
    (dest / "infra" / "api.ts").write_text(_realistic_infra(names))
    for nm in names:
        _member(dest, nm)
    return dest


if __name__ == "__main__":
    import sys
    import tempfile

    out = Path(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="sst-lsp-bench-"))
    monorepo(out / "mono50", 50)
    monorepo(out / "mono500", 500)
    big_config(out / "big")
    realistic(out / "realistic")
    print(out)
