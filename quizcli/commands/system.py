"""``quiz config`` and ``quiz doctor``."""

from __future__ import annotations

import json

from rich.table import Table

from .. import config as settings_file
from .. import environment, render


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


def doctor(as_json: bool) -> None:
    from .. import doctor as checks

    from ..content import load_exercises

    report = checks.collect()
    report["exercises"] = {e.slug: checks.can_grade(e.requires, report) for e in load_exercises()}
    folders = [("data folder (QUIZ_HOME)", environment.home()), ("workspace (QUIZ_WORKSPACE)", environment.workspace())]
    for name, path in folders:
        report.setdefault("checks", []).append({"name": name, "ok": path.is_dir(), "detail": str(path),
                                                "fix": f"mkdir -p {path}"})
    if as_json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return
    table = Table(title="What this machine can grade", title_justify="left")
    for column in ("check", "ok", "detail", "fix"):
        table.add_column(column)
    for check in report["checks"]:
        table.add_row(check["name"], "[green]✓[/]" if check["ok"] else "[red]✗[/]", str(check.get("detail", "")),
                      "" if check["ok"] else str(check.get("fix", "")))
    render.console.print(table)
    blocked = sorted(slug for slug, ok in report["exercises"].items() if not ok)
    if blocked:
        render.console.print(f"[yellow]exercises this machine cannot grade: {', '.join(blocked)}[/]")
    else:
        render.console.print(f"[green]this machine can grade all {len(report['exercises'])} exercises[/]")
