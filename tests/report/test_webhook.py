"""The webhook posts the outcome as JSON to a local HTTP server (never a real host), leaks no token,
and a failed post is a warning that leaves the exit code alone; ``gate --json`` prints the outcome."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from harness.cli import main
from harness.report.validate import check_outcome, validate_reports
from harness.report.webhook import post_webhook, redact, webhook_payload
from harness.store import promote, write_run

TOKEN = "ibm-secret-token-0123456789abcdef"


class _Hook:
    """A local HTTP server that keeps what is posted to it and answers ``status``."""

    def __init__(self, status: int = 200):
        self.status, self.posts = status, []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.posts.append({"path": self.path, "type": self.headers["Content-Type"], "body": body})
                self.send_response(hook.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/T0KEN-IN-PATH"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch):
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("QISKIT_IBM_TOKEN", TOKEN)


def test_posts_the_outcome_as_json_without_the_token(judged):
    run, verdicts, stored = judged
    # a result's error quoting the token must not carry it out
    run = replace(run, results=tuple(replace(r, error=f"auth failed for {TOKEN}") if r.status == "failed" else r
                                     for r in run.results))
    payload = webhook_payload(run, verdicts, stored, "https://ci.example.org/r/1/index.html")
    with _Hook() as hook:
        assert post_webhook(hook.url, payload) is None
    [post] = hook.posts
    assert post["path"] == "/hooks/T0KEN-IN-PATH" and post["type"].startswith("application/json")
    assert TOKEN.encode() not in post["body"]
    body = json.loads(post["body"])
    assert body["exit_code"] == 3 and body["status"] == "execution_failed" and body["passed"] is False
    assert body["text"].startswith("### qharness: ✖ FAIL (exit 3") and "https://ci.example.org/r/1/index.html" in body["text"]
    assert body["counts"]["regression"] == 2 and body["report_url"] == "https://ci.example.org/r/1/index.html"


def test_redact_reaches_nested_strings_and_keys():
    assert redact({"a": [f"x{TOKEN}y", {TOKEN: 1}], "n": 3}, [TOKEN, ""]) == {"a": ["x***y", {"***": 1}], "n": 3}


def test_failures_are_warnings_that_hide_the_url():
    with _Hook(status=500) as hook:
        problem = post_webhook(hook.url, {"x": 1})
    assert problem.startswith("webhook not posted") and "HTTP 500" in problem
    assert "T0KEN-IN-PATH" not in problem and "127.0.0.1" in problem
    with _Hook() as hook:
        dead = hook.url
    problem = post_webhook(dead, {"x": 1}, timeout=2)  # the server is gone: refused
    assert problem.startswith("webhook not posted") and "unreachable" in problem and "T0KEN" not in problem
    assert "not an http(s) address" in post_webhook("ftp://example.org/x", {"x": 1})


def _project(tmp_path, judged):
    """A stored baseline and a run record of the report fixtures' run, on disk."""
    run, verdicts, stored = judged
    promote(replace(run, results=tuple(stored.values())), tmp_path / "baselines")
    write_run(run, tmp_path / ".runs")
    return ["--baselines", tmp_path / "baselines", "--runs-dir", tmp_path / ".runs", "--out", tmp_path / "reports"]


def _harness(capsys, *args):
    with pytest.raises(SystemExit) as exit_:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    return exit_.value.code or 0, out, err


def test_report_posts_what_it_wrote_and_a_dead_hook_changes_nothing(judged, tmp_path, capsys):
    dirs = _project(tmp_path, judged)
    url = "https://ci.example.org/qharness/7/index.html"
    with _Hook() as hook:
        code, out, err = _harness(capsys, "report", "latest", *dirs, "--report-url", url, "--webhook", hook.url)
    assert code == 0 and "warning" not in err, err
    written = json.loads((tmp_path / "reports" / "verdicts.json").read_text())
    [post] = hook.posts
    body = json.loads(post["body"])
    assert body["exit_code"] == written["exit_code"] and body["reasons"] == written["reasons"]
    assert body["text"] == (tmp_path / "reports" / "comment.md").read_text(encoding="utf-8")
    assert f"[Open the HTML report]({url})" in (tmp_path / "reports" / "summary.md").read_text(encoding="utf-8")
    assert validate_reports(tmp_path / "reports") == []
    code2, out2, err2 = _harness(capsys, "report", "latest", *dirs, "--webhook", dead_url(hook))
    assert code2 == code and out2.splitlines()[0] == out.splitlines()[0]
    assert err2.startswith("warning: webhook not posted") and "T0KEN" not in err2


def dead_url(hook: _Hook) -> str:
    return hook.url  # its server was shut down on leaving the with-block


def test_report_url_is_checked_before_anything_runs(judged, tmp_path, capsys):
    dirs = _project(tmp_path, judged)
    code, _, err = _harness(capsys, "report", "latest", *dirs, "--report-url", "reports/index.html")
    assert code == 2 and "not an absolute http(s) address" in err and not (tmp_path / "reports").exists()
    assert err.count("give where the HTML report is published") == 1, err  # the fix, said once


def test_the_outcome_document_of_compare_json_validates(judged, tmp_path, capsys):
    dirs = _project(tmp_path, judged)[:4]
    code, out, _ = _harness(capsys, "compare", "latest", *dirs, "--json")
    doc = json.loads(out)
    assert check_outcome(doc, code) == []


@pytest.mark.sdk
def test_gate_json_prints_only_the_outcome_on_stdout_and_it_matches_the_exit_code(tmp_path, capsys, monkeypatch):
    from ..conftest import suite_yaml

    monkeypatch.chdir(tmp_path)
    (tmp_path / "suites").mkdir()
    (tmp_path / "suites" / "ghz.yaml").write_text(suite_yaml(
        "ghz-json", seed=3, matrix={"n": [3], "shots": [2000]}, baselines=("classical", "simulator"),
        metrics={"success_probability": {"better": "higher", "tolerance": 0.05}}))
    code, out, err = _harness(capsys, "gate", "suites", "--quiet", "--json")
    assert code == 2, err  # nothing stored yet: never a pass
    doc = json.loads(out)  # stdout is the JSON alone; the human lines went to stderr
    assert check_outcome(doc, code) == [] and "FAIL (exit 2, invalid)" in err
    assert doc["record"].endswith(".json") and set(doc["reports"]) == {"html", "markdown", "comment", "junit", "json"}
    assert validate_reports(tmp_path / "reports", code) == []
    _harness(capsys, "baseline", "promote", "latest")
    code, out, err = _harness(capsys, "gate", "suites", "--quiet", "--json")
    doc = json.loads(out)
    assert code == doc["exit_code"] == 0 and doc["passed"] is True and check_outcome(doc, 0) == []
    assert validate_reports(tmp_path / "reports", code) == []
    code, _, err = _harness(capsys, "gate", "suites", "--json", "--dry-run")
    assert code == 2 and "give one of them" in err
