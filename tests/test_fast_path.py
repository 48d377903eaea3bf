"""What keeps the fast commands fast without changing what they show: the bank index in the cache agrees with
the banks and follows their edits; with the caches fresh, topics and ask import neither yaml nor more of rich
than they need; the schedule is read from its own index."""

from __future__ import annotations

import shutil
import subprocess
import sys

from quizcli.content import aliases, bank_summaries, load_banks
from quizcli.store import Store

from conftest import COURSE

# Runs one command in-process and prints which of the slow imports it made.
IMPORTS = """
import runpy, sys
sys.argv = ["quiz", *sys.argv[1:]]
try:
    runpy.run_module("quizcli", run_name="__main__")
except SystemExit:
    pass
print("imported:", *(m for m in ("yaml", "rich.console", "rich.table", "fsrs") if m in sys.modules), file=sys.stderr)
"""


def _summaries_as_banks(topics=None) -> list:
    return [(s.topic, s.title, s.path, s.languages, [tuple(q) for q in s.questions], s.aliases)
            for s in bank_summaries(topics)]


def _banks(topics=None) -> list:
    return [(b.topic, b.title, b.path, b.languages, [(q["id"], q["type"], q.get("difficulty")) for q in b.questions],
             aliases([b])) for b in load_banks(topics)]


def test_the_index_agrees_with_the_banks_before_and_after_it_is_cached(course):
    assert _summaries_as_banks() == _banks()  # built from the banks
    assert _summaries_as_banks() == _banks()  # read back from the cache
    assert _summaries_as_banks(["python"]) == _banks(["python"])


def test_an_edited_bank_is_summarised_again(tmp_path, monkeypatch):
    content = tmp_path / "content"
    shutil.copytree(COURSE, content)
    monkeypatch.setenv("QUIZ_CONTENT", str(content))
    before = {s.topic: len(s.questions) for s in bank_summaries()}
    bank = content / "questions" / "python.yaml"
    bank.write_text(bank.read_text(encoding="utf-8") + """
  - id: python.added-later
    type: mcq
    difficulty: 3
    tags: [x]
    source: {note: n, section: s}
    prompt: {en: "Which?", zh: "哪个？"}
    choices: [a, b]
    correct: a
    answer: {en: a, zh: a}
""", encoding="utf-8")
    after = {s.topic: s for s in bank_summaries()}
    assert len(after["python"].questions) == before["python"] + 1
    assert after["python"].questions[-1] == ["python.added-later", "mcq", 3]
    assert _summaries_as_banks() == _banks()


def _imports(*args: str) -> set[str]:
    result = subprocess.run([sys.executable, "-c", IMPORTS, *args], input="", capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return set(result.stderr.strip().splitlines()[-1].split()) - {"imported:"}


def test_with_fresh_caches_topics_and_ask_import_no_yaml(course):
    _imports("topics")  # builds the caches
    assert _imports("topics") == set()
    assert _imports("ask", "--topic", "python", "-n", "1") == {"rich.console"}  # the question's panel


def test_review_reads_the_schedule_from_its_index():
    plan = Store().db.execute("EXPLAIN QUERY PLAN SELECT card_id, due FROM cards ORDER BY due").fetchall()
    assert "COVERING INDEX cards_schedule" in " ".join(str(row[-1]) for row in plan)
