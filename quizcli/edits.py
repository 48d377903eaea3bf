"""Progress survives edits of a bank: a question keeps its card while its id stays, and a card whose right answer
changed goes back to relearning (the user is told once). Hashes of each question's answer and prompt are kept
in the store to see what changed."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from . import environment
from .store import Store

def _digest(value) -> str:
    import hashlib  # here: a round whose banks are unchanged hashes nothing

    return hashlib.sha1(json.dumps(value, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()[:16]


def _words(field) -> str:
    english = field.get("en") if isinstance(field, dict) else field
    return " ".join(str(english or "").split()).casefold()


def _correct_choices(q: dict) -> list:
    """The text of the right choice(s), so that reordering the choices changes nothing."""
    letters = q.get("correct")
    letters = [letters] if isinstance(letters, str) else list(letters or [])
    choices = q.get("choices") or []
    index = "abcdefghijklmnopqrstuvwxyz"
    return sorted(str(choices[index.index(c)]) for c in letters
                  if isinstance(c, str) and len(c) == 1 and c in index and index.index(c) < len(choices))


def answer_hash(q: dict) -> str:
    """What makes a reply right: the right choices, blanks, order, formula and unit, the model answer."""
    return _digest([q.get("type"), _correct_choices(q), q.get("blanks"), q.get("items"), q.get("value"),
                    q.get("unit"), _words(q.get("answer"))])


def prompt_hash(q: dict) -> str:
    return _digest(_words(q.get("prompt")))


def hashes(questions: dict[str, dict]) -> dict[str, tuple[str, str]]:
    return {qid: (answer_hash(q), prompt_hash(q)) for qid, q in questions.items()}


def reused_ids(stored: dict[str, tuple[str, str]], current: dict[str, tuple[str, str]]) -> list[str]:
    """Ids whose answer and prompt both differ from what was studied: most likely a different question."""
    return sorted(qid for qid, (answer, prompt) in current.items()
                  if qid in stored and stored[qid][0] != answer and stored[qid][1] != prompt)


def changed_answers(stored: dict[str, tuple[str, str]], current: dict[str, tuple[str, str]]) -> list[str]:
    return sorted(qid for qid, (answer, _) in current.items() if qid in stored and stored[qid][0] != answer)


FINGERPRINT = "banks_fingerprint"


def fingerprint(paths: list[Path]) -> str:
    """Which bank files, as they are on disk: unchanged files need no hashing (a round starts faster)."""
    return json.dumps(sorted((str(path), path.stat().st_mtime_ns, path.stat().st_size) for path in paths))


def in_sync(store: Store, files: str) -> bool:
    """Whether the banks with this ``fingerprint`` were synced last (or the store records nothing anyway)."""
    return store.read_only or store.get_meta(FINGERPRINT) == files


def sync(store: Store, questions: dict[str, dict], now: datetime, files: str | None = None) -> list[str]:
    """Record the questions' hashes; cards whose answer changed since are put back to relearning, due now.
    Returns their ids (empty on a read-only store, which records nothing). ``files``: the banks' ``fingerprint``;
    when it is the one of the last sync, nothing can have changed."""
    if store.read_only or (files is not None and in_sync(store, files)):
        return []
    stored, current = store.content_hashes(), hashes(questions)
    changed = [qid for qid in changed_answers(stored, current) if store.card(qid)]
    fresh = {qid: pair for qid, pair in current.items() if stored.get(qid) != pair}
    with store.transaction() as db:
        for qid in changed:
            _relearn(store, db, qid, now)
        store.save_content_hashes(db, fresh)
    if files is not None:
        store.set_meta(FINGERPRINT, files)
    return changed


def _relearn(store: Store, db, card_id: str, now: datetime) -> None:
    from fsrs import Card, State  # here: only when a card changes (the fast commands skip fsrs until then)

    card = Card.from_json(store.card(card_id, db).fsrs_card)
    card.state, card.step, card.due = State.Relearning, 0, now
    store.relearn(db, card_id, card.to_json(), environment.iso(now), int(State.Relearning))


def notice(changed: list[str]) -> str | None:
    """The one-time message about cards sent back to relearning."""
    if not changed:
        return None
    shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
    noun = "question's answer has" if len(changed) == 1 else "questions' answers have"
    return f"{len(changed)} {noun} changed since you studied them ({shown}): back to relearning, due now"
