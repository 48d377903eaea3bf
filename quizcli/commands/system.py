"""``quiz config`` and ``quiz doctor``."""

from __future__ import annotations

import json

from rich.markup import escape
from rich.table import Table

from .. import config as settings_file
from .. import environment, render
from ..errors import ExitCode, QuizError


def config(key: str | None, value: str | None) -> None:
    if key is not None and value is not None:
        stored = settings_file.save(key, value)
        render.console.print(f"{key} = {stored}")
        return
    settings = settings_file.load()
    if key is not None:
        settings_file.parse(key, str(settings.get(key)))  # unknown keys get the usual message
        render.console.print(f"{key} = {settings[key]}")
        return
    table = Table(title=f"Settings ({settings_file.path()})", title_justify="left")
    table.add_column("key")
    table.add_column("value")
    table.add_column("default", style="dim")
    for name, default in settings_file.DEFAULTS.items():
        table.add_row(name, str(settings[name]), str(default))
    render.console.print(table)


def _folder_check(name: str, variable: str, locate) -> dict:
    """A folder quiz writes to: usable only if it is a folder and writable."""
    try:
        path = locate()
    except QuizError as problem:
        return {"name": name, "ok": False, "detail": str(problem), "fix": f"point {variable} at a writable folder"}
    ok = environment.writable(path)
    return {"name": name, "ok": ok, "detail": str(path) if ok else f"{path} is not writable",
            "fix": "" if ok else f"chmod u+w {path}, or point {variable} at a writable folder"}


def doctor(as_json: bool) -> int:
    from .. import doctor as checks

    from ..content import load_exercises

    with render.working("checking torch, triton and the GPU…"):
        report = checks.collect()
    report["exercises"] = {e.slug: checks.can_grade(e.requires, report) for e in load_exercises()}
    folders = [_folder_check("data folder (QUIZ_HOME)", "QUIZ_HOME", environment.home),
               _folder_check("workspace (QUIZ_WORKSPACE)", "QUIZ_WORKSPACE", environment.workspace)]
    report["checks"] += folders
    if as_json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        _doctor_table(report)
    broken = [folder["name"] for folder in folders if not folder["ok"]]
    if broken:
        render.error(f"quiz cannot keep its data: fix the {' and the '.join(broken)} (see the table)")
    return ExitCode.ERROR if broken else ExitCode.OK


def _doctor_table(report: dict) -> None:
    table = Table(title="What this machine can grade", title_justify="left")
    for column in ("check", "ok", "detail", "fix"):
        table.add_column(column)
    for check in report["checks"]:
        table.add_row(escape(check["name"]), "[green]✓[/]" if check["ok"] else "[red]✗[/]",
                      escape(str(check.get("detail", ""))), "" if check["ok"] else escape(str(check.get("fix", ""))))
    render.console.print(table)
    blocked = sorted(slug for slug, ok in report["exercises"].items() if not ok)
    if blocked:
        render.console.print(f"[yellow]exercises this machine cannot grade: {', '.join(blocked)}[/]")
    else:
        render.console.print(f"[green]this machine can grade all {len(report['exercises'])} exercises[/]")
