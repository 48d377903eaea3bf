"""End to end: scripted rounds through the real CLI, then the database is checked."""

import random
import sqlite3

from conftest import run_quiz

from quizcli.content import load_banks
from quizcli.questions import pose


def recorded(home):
    db = sqlite3.connect(home / "quiz.db")
    return db.execute("SELECT card_id, correct, answer, command FROM reviews ORDER BY id").fetchall()


def right_answers(seed, count=6, lang="en"):
    """Replay `quiz ask --seed` to know which question comes when, and answer each one right."""
    rng = random.Random(seed)
    pool = [q for bank in load_banks() for q in bank.questions]
    chosen = rng.sample(pool, min(count, len(pool)))
    lines = []
    for posed in (pose(q, lang, rng) for q in chosen):
        kind = posed.type
        q = posed.question
        if kind == "mcq":
            lines.append(q["correct"])
        elif kind == "multi":
            lines.append(",".join(q["correct"]))
        elif kind == "numeric":
            lines.append(str(posed.value))
        elif kind == "cloze":
            lines.append(";".join(b[0] for b in q["blanks"]))
        elif kind == "order":
            lines.append(" ".join(str(posed.shown_order.index(i) + 1) for i in range(len(posed.shown_order))))
        else:
            lines += ["tiling and online softmax", "good"]
    return [q["id"] for q in chosen], lines


def test_scripted_round_records_exactly_the_answers_given(course, isolated):
    ids, lines = right_answers(seed=7)
    result = run_quiz("ask", "-n", "6", "--seed", "7", stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    rows = recorded(isolated / "home")
    assert [r[0] for r in rows] == ids
    assert all(r[1] in (1, None) for r in rows), rows
    assert [r[2] for r in rows] == [line for line in lines if line != "good"]
    assert {r[3] for r in rows} == {"ask"}
    assert "answered 6   correct 6   accuracy 100%" in result.stdout


def test_wrong_and_dont_know_answers_are_recorded_as_wrong(course, isolated):
    result = run_quiz("ask", "-n", "2", "--seed", "1", "--type", "mcq", "--topic", "transformer", stdin="?\n")
    assert result.returncode == 0
    assert recorded(isolated / "home") == [("transformer.fx-mcq", 0, "?", "ask")]
    assert "? don't know — expected b" in result.stdout and "✗" not in result.stdout


def test_eof_ends_the_round_cleanly_and_keeps_answers(course, isolated):
    ids, lines = right_answers(seed=3)
    result = run_quiz("ask", "-n", "6", "--seed", "3", stdin="\n".join(lines[:2]) + "\n")
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert len(recorded(isolated / "home")) == len([x for x in lines[:2] if x != "good"])


def test_q_quits_and_keeps_what_was_answered(course, isolated):
    ids, lines = right_answers(seed=5)
    result = run_quiz("ask", "-n", "6", "--seed", "5", stdin=f"{lines[0]}\nq\n{lines[1]}\n")
    assert result.returncode == 0
    assert len(recorded(isolated / "home")) == 1


def test_filters_and_chinese(course, isolated):
    result = run_quiz("ask", "--type", "numeric", "--lang", "zh", "-n", "1", stdin="?\n")
    assert "KV cache 字节数" in result.stdout
    none = run_quiz("ask", "--type", "open", "--difficulty", "1")
    assert none.returncode == 1 and "no question matches" in none.stderr


def test_hint_makes_a_right_answer_hard(course, isolated):
    run_quiz("ask", "--type", "mcq", "-n", "1", stdin="h\nb\n")
    db = sqlite3.connect(isolated / "home" / "quiz.db")
    assert db.execute("SELECT rating, correct FROM reviews").fetchall() == [(2, 1)]
