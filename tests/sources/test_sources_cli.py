"""The network sources through the real command line (a subprocess): exit codes and clean output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pytest_httpserver import HTTPServer
from sources_support import EVENTS_JSONL, PRESIGNED_QUERY, SIG, TOKEN, api_base, blob_url, make_zip
from werkzeug import Response

LIST = "/repos/acme/model/actions/artifacts"


def run_cli(api: HTTPServer, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_", "GH_"))}
    env.update(GITHUB_API_URL=api_base(api), GITHUB_TOKEN=TOKEN, GITHUB_REPOSITORY="acme/model")
    proc = subprocess.run(
        [sys.executable, "-m", "gate", "check", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
    )
    for secret in (TOKEN, SIG, PRESIGNED_QUERY):
        assert secret not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    return proc


def _show(proc: subprocess.CompletedProcess[str]) -> str:
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"


def test_artifact_read_end_to_end(api: HTTPServer, blob: HTTPServer) -> None:
    api.expect_request(LIST).respond_with_json(
        {
            "total_count": 1,
            "artifacts": [{"id": 5, "name": "events", "expired": False, "workflow_run": {"id": 9}}],
        }
    )
    api.expect_request(f"{LIST}/5/zip").respond_with_response(
        Response(status=302, headers={"Location": blob_url(blob, "/c/5.zip")})
    )
    blob.expect_request("/c/5.zip").respond_with_data(make_zip({"e.jsonl": EVENTS_JSONL, "log.txt": b""}))
    proc = run_cli(api, "artifact:events", "--format", "json")
    assert proc.returncode == 0, _show(proc)
    assert "artifact://acme/model/events@9/log.txt" in proc.stdout  # the skip is reported, not silent
    assert "Authorization" not in blob.log[0][0].headers


def test_expired_artifact_exits_3_never_a_pass(api: HTTPServer) -> None:
    api.expect_request(LIST).respond_with_json(
        {
            "total_count": 1,
            "artifacts": [{"id": 5, "name": "events", "expired": True, "workflow_run": {"id": 9}}],
        }
    )
    proc = run_cli(api, "artifact:events")
    assert proc.returncode == 3, _show(proc)
    assert "artifact://acme/model/events@9: the artifact expired" in proc.stderr


def test_missing_presigned_object_exits_3(api: HTTPServer, blob: HTTPServer) -> None:
    blob.expect_request("/b/e.jsonl").respond_with_data("NoSuchKey", status=404)
    proc = run_cli(api, blob_url(blob, "/b/e.jsonl"))
    assert proc.returncode == 3, _show(proc)
    assert f"http://localhost:{blob.port}/b/e.jsonl: HTTP 404" in proc.stderr


def test_offline_exits_2_without_any_request(api: HTTPServer, blob: HTTPServer, tmp_path: Path) -> None:
    (tmp_path / "local.jsonl").write_bytes(EVENTS_JSONL)
    proc = run_cli(api, "--offline", "local.jsonl", blob_url(blob, "/b/e.jsonl"), cwd=tmp_path)
    assert proc.returncode == 2, _show(proc)
    assert "refused by --offline" in proc.stderr
    assert blob.log == [] and api.log == []


def test_zip_slip_in_a_local_archive_exits_2(api: HTTPServer, tmp_path: Path) -> None:
    (tmp_path / "ev.zip").write_bytes(make_zip({"../escape.jsonl": EVENTS_JSONL}))
    proc = run_cli(api, "ev.zip", cwd=tmp_path)
    assert proc.returncode == 2, _show(proc)
    assert "ev.zip!../escape.jsonl: unsafe member name ('..' in path)" in proc.stderr
