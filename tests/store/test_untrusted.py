"""Journals, run ids and promote targets are checked before they are believed (the cache: tests/orchestration)."""

import json
import os

import pytest

from harness.cli import main
from harness.errors import BaselineError
from harness.lineage import stable_hash
from harness.records import Metric, Result, Run
from harness.store import load_baselines, promote, write_run
from harness.store.journal import Journal, journal_path, read_journal
from harness.store.untrusted import UntrustedFileWarning

RUN_ID = "20261201T120000.000000Z-abc123"


def _result(case_id="c1", kind="classical", value=0.5):
    return Result(suite="s", case_id=case_id, baseline=kind, tier=kind.split(".")[0], status="ok",
                  metrics={"p": Metric(value, "proportion", n=100)})


def harness(capsys, *args):
    with pytest.raises(SystemExit) as exit_:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    return exit_.value.code or 0, out, err


def _journal(runs, header_run_id=RUN_ID, name=RUN_ID):
    """A journal file named ``name`` whose header claims ``header_run_id``, with one results line."""
    runs.mkdir(parents=True, exist_ok=True)
    results = [_result().to_dict()]
    lines = [{"type": "header", "schema": 2, "run_id": header_run_id, "created": "now", "suites": [], "seed": 1},
             {"type": "results", "results": results, "checksum": stable_hash(results)}]
    path = runs / f"{name}.journal.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return path


def test_a_journal_whose_run_id_walks_out_of_the_runs_folder_writes_nothing_outside(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runs = tmp_path / "work" / "runs"
    path = _journal(runs, header_run_id="../ESCAPED_RECORD")
    with pytest.raises(BaselineError, match=r"'\.\./ESCAPED_RECORD' is not a run id"):
        read_journal(path)
    code, _, err = harness(capsys, "run", "--resume", RUN_ID, "--runs-dir", runs)
    assert code == 2 and "is not a run id" in err and "Traceback" not in err
    code, _, err = harness(capsys, "run", "--resume", "../ESCAPED_RECORD", "--runs-dir", runs)
    assert code == 2 and "'../ESCAPED_RECORD' is not a run id" in err
    assert not list(tmp_path.rglob("ESCAPED_RECORD*")) and sorted(p.name for p in runs.iterdir()) == [path.name]


def test_a_journal_renamed_to_another_run_is_refused(tmp_path):
    path = _journal(tmp_path, header_run_id="20261201T120000.000000Z-ffffff")
    with pytest.raises(BaselineError, match="says it is run '20261201T120000.000000Z-ffffff', not its file's name"):
        read_journal(path)


@pytest.mark.parametrize("run_id", ["../x", "a/b", "/etc/x", "", "20261201T120000Z-abc123", "20261201T120000.000000Z-ABC123"])
def test_journal_paths_take_run_ids_only(tmp_path, run_id):
    with pytest.raises(BaselineError, match="is not a run id"):
        journal_path(tmp_path, run_id)


def test_an_older_journal_is_refused_with_what_to_do(tmp_path):
    path = _journal(tmp_path)
    path.write_text(path.read_text().replace('"schema": 2', '"schema": 1', 1))
    with pytest.raises(BaselineError, match="journal schema 1 is not this harness's.*\n  fix: finish it with the"):
        read_journal(path)


def test_edited_or_damaged_journal_lines_are_skipped_with_a_warning_and_run_again(tmp_path):
    journal = Journal.create(tmp_path, RUN_ID, "now", ["a.yaml"], 7)
    journal.append([_result("c1")])
    journal.append([_result("c2")])
    journal.append([_result("c3")])
    journal.append([_result("c4")])
    lines = journal.path.read_text().splitlines()
    edited = json.loads(lines[1])
    edited["results"][0]["metrics"]["p"]["value"] = 1.0  # checksum not recomputed
    nonsense = json.loads(lines[2])
    nonsense["results"][0]["counts"] = {"0": "many"}
    nonsense["checksum"] = stable_hash(nonsense["results"])  # recomputed: the shape check still holds
    lines[1], lines[2], lines[3] = json.dumps(edited), json.dumps(nonsense), "{torn in the middle"
    journal.path.write_text("\n".join(lines) + "\n")
    with pytest.warns(UntrustedFileWarning) as caught:
        again = read_journal(journal.path)
    assert [str(w.message).split(": discarded ")[1] for w in caught] == [
        "(line 2: checksum mismatch: the line was edited or damaged); the work it held is done again",
        "(line 3: a result counts['0'] is 'many', not a whole number >= 0); the work it held is done again",
        "(line 4 is not JSON); the work it held is done again"]
    assert sorted(again.done) == [("s", "c4", "classical")]  # only the intact line is believed
    assert journal.path.exists()  # the journal is kept: its good lines still count


@pytest.mark.parametrize("run_id", ["../ESCAPED_RECORD", "a/b", ".hidden", ""])
def test_a_run_record_cannot_be_written_outside_the_runs_folder(tmp_path, run_id):
    with pytest.raises(BaselineError, match="cannot be a file name in the runs folder"):
        write_run(Run(run_id=run_id, created="now", results=()), tmp_path / "runs")
    assert list(tmp_path.rglob("*.json")) == []


def test_promote_refuses_a_symlinked_suite_folder_or_file(tmp_path):
    outside, root = tmp_path / "outside", tmp_path / "baselines"
    outside.mkdir()
    root.mkdir()
    (root / "s").symlink_to(outside, target_is_directory=True)
    run = Run(run_id=RUN_ID, created="now", results=(_result(),))
    with pytest.raises(BaselineError, match=r"baselines/s: is a symbolic link .*promote writes only inside"):
        promote(run, root)
    assert list(outside.iterdir()) == []
    (root / "s").unlink()
    (root / "s").mkdir()
    (root / "s" / "c1.json").symlink_to(outside / "c1.json")
    with pytest.raises(BaselineError, match=r"c1\.json: is a symbolic link"):
        promote(run, root)
    assert list(outside.iterdir()) == []
    os.unlink(root / "s" / "c1.json")
    (path,) = promote(run, root)  # a real folder: written, and loads
    assert load_baselines(root, [("s", "c1")])[("s", "c1", "classical")].metrics["p"].value == 0.5
    assert path.parent.resolve() == (root / "s").resolve()


def test_promote_through_the_cli_into_a_symlinked_suite_exits_2(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "outside").mkdir()
    (tmp_path / "baselines").mkdir()
    (tmp_path / "baselines" / "s").symlink_to(tmp_path / "outside", target_is_directory=True)
    write_run(Run(run_id=RUN_ID, created="now", results=(_result(),)), tmp_path / ".runs")
    code, _, err = harness(capsys, "baseline", "promote", "latest")
    assert code == 2 and "is a symbolic link" in err and "Traceback" not in err
    assert list((tmp_path / "outside").iterdir()) == []
