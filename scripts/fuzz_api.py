"""Long schemathesis run against the JSON API: ``make fuzz`` (or ``python scripts/fuzz_api.py``).

Starts ``regenaid serve`` (uvicorn with the production limits) on a free local port with a
throw-away SQLite database, runs the schemathesis CLI with every check against its
``/openapi.json`` (operations under ``/api/``), then prints how many requests were made and the
failures by check, and stops the server. The exit status is schemathesis' (0: no failures).

    python scripts/fuzz_api.py --max-time 900             # make fuzz: 15 minutes, 10,000+ requests
    python scripts/fuzz_api.py --max-time 600 --seed 1    # what fits in ten minutes

Without ``--max-time`` the run goes operation by operation up to ``--max-examples`` each,
which takes hours on a small machine (4,000 examples: 20,794 requests in 31 minutes had
fuzzed 5 of the 46 operations in full, 2026-12-01); with it, every operation is fuzzed, then
stateful sequences, until the time is spent (600 s: 24,840 requests, 0 failures).

The in-suite run with fewer examples is ``tests/web/test_api_schema.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

BIN = Path(sys.executable).parent
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from api_fuzz_config import checks_toml  # noqa: E402
from live_server import free_port, start, stop  # noqa: E402


def summarise(ndjson: Path) -> tuple[Counter[str], Counter[str], Counter[str]]:
    """Recorded requests by operation and status, checks run and checks failed by name, from
    schemathesis' event stream (requests a check makes on its own are not recorded)."""
    statuses: Counter[str] = Counter()
    checks: Counter[str] = Counter()
    failures: Counter[str] = Counter()
    for line in ndjson.read_text(encoding="utf-8").splitlines():
        body = json.loads(line).get("ScenarioFinished")
        if body is None:
            continue
        recorder = body.get("recorder") or {}
        for interaction in recorder.get("interactions", {}).values():
            response = interaction.get("response") or {}
            status = response.get("status_code", "no response")
            statuses[f"{recorder.get('label')} -> {status}"] += 1
        for results in recorder.get("checks", {}).values():
            for check in results:
                checks[check["name"]] += 1
                if check.get("status") != "success":
                    failures[check["name"]] += 1
    return statuses, checks, failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=4000, help="per API operation")
    parser.add_argument("--max-time", type=int, default=None, help="seconds for the whole run")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--workers", default="2", help="schemathesis workers (or 'auto')")
    parser.add_argument(
        "--report-dir",
        type=Path,
        default=Path("test-output/fuzz"),
        help="for the JUnit XML and the failures to replay",
    )
    args = parser.parse_args()

    port = free_port()
    with tempfile.TemporaryDirectory(prefix="regenaid-fuzz-") as tmp:
        env = {
            **os.environ,
            "REGENAID_ENVIRONMENT": "test",
            "REGENAID_DATABASE_URL": f"sqlite:///{Path(tmp) / 'fuzz.db'}",
            "REGENAID_SECRET_KEY": secrets.token_urlsafe(32),
        }
        command = [str(BIN / "regenaid"), "serve", "--host", "127.0.0.1", "--port", str(port)]
        server, base = start(command, env, Path(tmp) / "server.log", port)
        try:
            args.report_dir.mkdir(parents=True, exist_ok=True)
            ndjson = Path(tmp) / "events.ndjson"  # every request and response: 50 KB each
            # Failures kept for `schemathesis replay` go under the report directory, not into
            # a `.schemathesis/` in the checkout.
            config = Path(tmp) / "schemathesis.toml"
            cache = json.dumps(str((args.report_dir / "cache").resolve()))
            # the checks as the in-suite run configures them (413 is a rejection too)
            config.write_text(f"[cache]\ndirectory = {cache}\n\n{checks_toml()}", encoding="utf-8")
            command = [
                str(BIN / "schemathesis"),
                "--config-file",
                str(config),
                "run",
                f"{base}/openapi.json",
                "--checks",
                "all",
                "--include-path-regex",
                "^/api/",
                "--max-examples",
                str(args.max_examples),
                "--workers",
                str(args.workers),
                "--continue-on-failure",
                "--report",
                "ndjson,junit",
                "--report-dir",
                str(args.report_dir),
                "--report-ndjson-path",
                str(ndjson),
            ]
            if args.max_time is not None:
                command += ["--max-time", str(args.max_time)]
            if args.seed is not None:
                command += ["--seed", str(args.seed)]
            print("$", " ".join(command), flush=True)
            started = time.monotonic()
            status = subprocess.run(command, check=False).returncode
            elapsed = time.monotonic() - started
        finally:
            stop(server)
            log = (Path(tmp) / "server.log").read_text(encoding="utf-8", errors="replace")
            errors = [line for line in log.splitlines() if "Traceback" in line or " 500 " in line]
        statuses, checks, failures = summarise(ndjson)
    requests = sum(statuses.values())
    print(f"\nrequests: {requests} in {elapsed:.0f} s ({requests / max(elapsed, 1e-9):.0f}/s)")
    for label, count in sorted(statuses.items()):
        print(f"  {label:44} {count:>8}")
    print(f"  {'check':42} {'run':>8} {'failed':>8}")
    for name in sorted(checks):
        print(f"  {name:42} {checks[name]:>8} {failures[name]:>8}")
    print(f"server log lines with a traceback or a 500: {len(errors)}")
    print(f"schemathesis exit status: {status}")
    return status or (1 if errors else 0)


if __name__ == "__main__":
    sys.exit(main())
