"""What a draft changes against the programme on air, item by item (the approval page)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from player.hub.programme_form import dump_yaml


@dataclass(frozen=True)
class ItemChange:
    id: str
    change: str  # added | removed | changed | same
    before: str  # YAML of the item on air
    after: str  # YAML of the item in the draft


def diff_items(on_air: Any, draft: Any) -> list[ItemChange]:
    """Items of the draft against the programme on air, matched by id, in the draft's order
    (removed ones last)."""
    def by_id(data: Any) -> dict[str, Any]:
        items = data.get("items") if isinstance(data, dict) else None
        return {str(i.get("id") or f"item{n + 1}"): i for n, i in
                enumerate(items if isinstance(items, list) else []) if isinstance(i, dict)}

    old, new = by_id(on_air), by_id(draft)
    changes = []
    for key, item in new.items():
        if key not in old:
            changes.append(ItemChange(key, "added", "", dump_yaml(item)))
        else:
            change = "same" if old[key] == item else "changed"
            changes.append(ItemChange(key, change, dump_yaml(old[key]), dump_yaml(item)))
    changes += [ItemChange(k, "removed", dump_yaml(i), "") for k, i in old.items() if k not in new]
    return changes


__all__ = ["ItemChange", "diff_items"]
