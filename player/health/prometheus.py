"""Prometheus text-file output, for sites whose node_exporter reads a textfile folder."""

from __future__ import annotations

from pathlib import Path

from player.health.status import write_atomic


def render(readings: dict[str, float]) -> str:
    """The exposition format: one `# TYPE` line per metric name, then its samples."""
    lines: list[str] = []
    typed: set[str] = set()
    for name in sorted(readings):
        value = readings[name]
        if value is None:
            continue
        metric = name.split("{", 1)[0]
        if metric not in typed:
            typed.add(metric)
            lines.append(f"# TYPE {metric} {'counter' if metric.endswith('_total') else 'gauge'}")
        lines.append(f"{name} {float(value):.17g}")
    return "\n".join(lines) + "\n"


class TextFile:
    """Writes the file (atomically, since node_exporter may read it at any moment) on change."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._last = ""

    def update(self, readings: dict[str, float]) -> bool:
        text = render(readings)
        if text == self._last:
            return False
        write_atomic(self.path, text)
        self._last = text
        return True
