"""The shipped content: valid, and covering every note section the bank issues promise."""

from collections import Counter

import pytest

from quizcli.content import bank_paths, load_banks
from quizcli.schema import known_sections, validate_paths
from quizcli.content import exercise_folders

BANKS = load_banks()
QUESTIONS = [q for bank in BANKS for q in bank.questions]
BY_SECTION = Counter((q["source"]["note"], q["source"]["section"]) for q in QUESTIONS)
AUTO = ("mcq", "multi", "numeric", "cloze", "order")

NOTE_002_SHORT = {"Broadcast", "Scatter", "Gather", "All Gather", "Reduce", "All Reduce", "Reduce Scatter", "NCCL",
                  "贡献点", "LISA++", "IS", "Map Reduce", "KeepTopK", "优势", "挑战", "DP", "Tool Learning"}


def required(note: str, section: str) -> int:
    if note.startswith("002") and section in NOTE_002_SHORT:
        return 2
    return 3


def test_shipped_content_validates():
    report = validate_paths(list(bank_paths().values()), list(exercise_folders().values()))
    assert report.errors == [], "\n".join(map(str, report.errors[:20]))


@pytest.mark.parametrize("note, section", sorted(known_sections()), ids=lambda v: str(v)[:40])
def test_every_section_has_its_questions(note, section):
    assert BY_SECTION[(note, section)] >= required(note, section), \
        f"{note} § {section}: {BY_SECTION[(note, section)]} questions"


def test_transformer_bank_uses_every_type_with_templates():
    transformer = next(bank for bank in BANKS if bank.topic == "transformer")
    types = Counter(q["type"] for q in transformer.questions)
    assert len(transformer.questions) >= 40
    assert set(types) == {"mcq", "multi", "numeric", "cloze", "order", "open"}
    assert sum(1 for q in transformer.questions if q["type"] == "numeric" and q.get("params")) >= 3


def test_at_least_half_of_each_note_is_auto_graded():
    for note in {n for n, _ in known_sections()}:
        kinds = [q["type"] for q in QUESTIONS if q["source"]["note"] == note]
        assert sum(k in AUTO for k in kinds) * 2 >= len(kinds), note


def test_difficulties_are_spread():
    spread = Counter(q["difficulty"] for q in QUESTIONS)
    assert all(spread[d] >= len(QUESTIONS) // 10 for d in (1, 2, 3)), spread


def test_distributed_bank_covers_communication_zero_and_dp_vs_ddp():
    distributed = [q for q in QUESTIONS if q["topic"] == "distributed"]
    numeric_tags = {t for q in distributed if q["type"] == "numeric" for t in q.get("tags", [])}
    text = " ".join(str(q["prompt"]["en"]).lower() for q in distributed if q["type"] == "numeric")
    assert "all-reduce" in text or "allreduce" in text or "all reduce" in text
    assert "zero" in text
    assert any("ddp" in str(q["prompt"]["en"]).lower() for q in distributed), numeric_tags


def test_every_auto_graded_question_accepts_its_own_answer():
    """Pose each question (several parameter draws, both languages) and answer it right: it must be graded right."""
    import random

    from quizcli.checking import check
    from quizcli.rounds import _right_reply
    from quizcli.questions import pose

    wrong = []
    for question in QUESTIONS:
        if question["type"] == "open":
            continue
        for seed in range(5):
            for lang in ("en", "zh"):
                posed = pose(question, lang, random.Random(seed))
                verdict = check(posed, _right_reply(posed))
                shown = check(posed, verdict.expected) if question["type"] == "numeric" else verdict
                if not (verdict.correct and shown.correct):  # the answer as displayed must also pass when typed
                    wrong.append(f"{question['id']} ({lang}, seed {seed})")
    assert not wrong, wrong[:20]


def test_every_cloze_alternative_is_accepted():
    from quizcli.checking import _matches

    rejected = [(q["id"], alt) for q in QUESTIONS if q["type"] == "cloze" for blank in q["blanks"] for alt in blank
                if not _matches(str(alt), blank)]
    assert not rejected, rejected[:20]


@pytest.mark.parametrize("notes, minimum", [(("000", "001", "004"), 200), (("002",), 250), (("003",), 150)])
def test_each_bank_issue_delivered_its_question_count(notes, minimum):
    count = sum(1 for q in QUESTIONS if q["source"]["note"][:3] in notes)
    assert count >= minimum, f"notes {notes}: {count} questions"
