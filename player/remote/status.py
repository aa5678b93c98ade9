"""The last remote commands, as `signage-player status` shows them to the technician on site."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from player.i18n import _
from player.remote.record import Entry, read_recent


def recent_json(state_dir: Path, limit: int = 10) -> list[dict]:
    return [{"id": e.id, "kind": e.kind, "arguments": e.arguments,
             "received": datetime.fromtimestamp(e.received).astimezone().isoformat(
                 timespec="seconds"),
             "state": e.state, "reason": e.reason, "result": e.result,
             "reported": e.reported} for e in read_recent(state_dir, limit)]


def recent_text(state_dir: Path, limit: int = 10) -> str:
    """A few lines: when, what, how it went; empty when the hub never sent a command."""
    entries = read_recent(state_dir, limit)
    if not entries:
        return ""
    lines = [_("Remote commands from the hub (newest first):")]
    lines += [f"  {_line(e)}" for e in entries]
    return "\n".join(lines) + "\n"


def _line(entry: Entry) -> str:
    when = datetime.fromtimestamp(entry.received).strftime("%d/%m %H:%M:%S")
    name = entry.kind
    if entry.kind == "screen":
        name = "screen_on" if entry.arguments.get("on") else "screen_off"
    elif entry.arguments.get("minutes"):
        name += f" {entry.arguments['minutes']} min"
    state = {"done": _("done"), "failed": _("failed"), "running": _("running")}.get(
        entry.state, entry.state)
    text = f"{when}  {name}: {state}"
    detail = entry.reason or str(entry.result.get("outcome") or "")
    return text + (f" ({detail})" if detail else "")
