import json

from conftest import FIXTURES, run_quiz

from quizcli.schema import validate_paths

BROKEN = FIXTURES / "broken"


def problems(path):
    report = validate_paths([path], [])
    return {(p.line, p.message) for p in report.errors}


def test_each_problem_is_reported_at_its_line():
    found = problems(BROKEN / "transformer.yaml")
    lines = {line: message for line, message in found}
    assert "'prompt.zh' is missing or empty" in lines[9]
    assert "'correct' must name choices among a, b" in lines[12]
    assert "'difficulty' must be 1, 2 or 3" in lines[15]
    assert "unknown source section 'No Such Section'" in lines[17]
    assert "'value' uses undefined parameters: m" in lines[20]
    assert "tolerance" in lines[21]
    assert "prompt.zh has 1 blanks (___) but 'blanks' lists 2" in lines[29]
    assert "unknown field 'colour'" in lines[32]
    assert "unknown type 'essay'" in lines[34]
    assert any("duplicate id 'transformer.bad-mcq'" in m for line, m in found if line == 33)
    assert any("duplicate prompt" in m for line, m in found if line == 38)


def test_yaml_syntax_error_names_file_and_line():
    found = problems(BROKEN / "llm.yaml")
    assert len(found) == 1
    line, message = found.pop()
    assert line in (6, 7) and "invalid YAML" in message


def test_real_templates_are_evaluated_for_every_combination(tmp_path):
    bank = tmp_path / "efficiency.yaml"
    bank.write_text("""topic: efficiency
title: {en: e, zh: e}
questions:
  - id: efficiency.div
    type: numeric
    difficulty: 1
    tags: []
    source: {note: 002_82112c4dda528d8c.txt, section: 精度}
    prompt: {en: "{a}", zh: "{a}"}
    answer: {en: "x", zh: "x"}
    value: "1 / (a - 2)"
    tolerance: 0.01
    unit: ""
    params: {a: {min: 0, max: 4}}
""")
    assert any("cannot compute" in m for _, m in problems(bank))


def test_validate_cli_exits_1_with_file_line_messages():
    result = run_quiz("validate", str(BROKEN))
    assert result.returncode == 1
    assert f"{BROKEN / 'transformer.yaml'}:12: 'correct' must name choices among a, b" in result.stdout
    assert f"{BROKEN / 'llm.yaml'}:" in result.stdout
    as_json = json.loads(run_quiz("validate", str(BROKEN), "--json").stdout)
    assert set(as_json) >= {"questions", "exercises", "errors"}
    assert all(set(e) == {"file", "line", "message"} for e in as_json["errors"])


def test_validate_fixture_course_is_clean(course):
    result = run_quiz("validate", env={"QUIZ_CONTENT": str(course)})
    assert result.returncode == 0, result.stdout
    assert "7 questions, 1 exercises: ok" in result.stdout


def test_exercise_problems(tmp_path):
    import shutil
    root = tmp_path / "exercises" / "echo"
    shutil.copytree(FIXTURES / "course" / "exercises" / "echo", root)
    (root / "prompt.zh.md").unlink()
    (root / "starter.py").write_text("def other():\n    pass\n")
    text = (root / "exercise.yaml").read_text().replace("topic: python", "topic: cooking")
    (root / "exercise.yaml").write_text(text)
    report = validate_paths([], [root])
    messages = [p.message for p in report.errors]
    assert "missing file prompt.zh.md" in messages
    assert "starter does not define 'double'" in messages
    assert any(m.startswith("'topic' must be one of") for m in messages)
    assert any("missing file" in m and "solutions/echo.py" in m for m in messages)


def test_coverage_lists_sections_without_questions(course):
    payload = json.loads(run_quiz("validate", "--coverage", "--json", env={"QUIZ_CONTENT": str(course)}).stdout)
    uncovered = {(e["note"], e["section"]) for e in payload["uncovered"]}
    assert ("002_82112c4dda528d8c.txt", "Attention") not in uncovered
    assert ("002_82112c4dda528d8c.txt", "BLEU") in uncovered


def test_declared_numeric_mistakes_must_be_rejected_over_the_whole_grid():
    found = problems(FIXTURES / "mistakes" / "layers.yaml")
    messages = {line: message for line, message in found}
    assert set(messages) == {30, 45}, found  # the first template's mistake is rejected everywhere: no problem
    assert "accepted by the tolerance" in messages[30] and "'din': 4096, 'dout': 10" in messages[30]
    assert "equals the answer" in messages[45] and "'p': 0.5" in messages[45]


def test_misconception_tags_and_mistake_entries_are_checked(tmp_path):
    bank = tmp_path / "layers.yaml"
    text = (FIXTURES / "mistakes" / "layers.yaml").read_text()
    bank.write_text(text.replace("    tags: [dropout]", "    tags: [dropout]\n    misconceptions: [Dropout Scale]")
                    .replace("      - expr: din * dout\n        label: {en: \"the count without the bias\", zh: \"漏掉了偏置\"}\n"
                             "    answer: {en: \"{value}\", zh: \"{value}\"}\n\n  - id: layers.fixture-loose",
                             "      - expr: din * k\n        label: {en: \"x\", zh: \"x\"}\n"
                             "    answer: {en: \"{value}\", zh: \"{value}\"}\n\n  - id: layers.fixture-loose", 1))
    messages = [m for _, m in problems(bank)]
    assert any("'misconceptions' must be a list of tags" in m for m in messages)
    assert any("mistakes[0] uses undefined parameters: k" in m for m in messages)
