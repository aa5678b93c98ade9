"""Every hub.yaml example in docs/ marked `# example: hub` loads without a problem."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from player.hub.config import hub_config_from_data

DOCS = Path(__file__).resolve().parents[2] / "docs"
BLOCK = re.compile(r"```yaml\n(# example: hub\n.*?)```", re.S)


def examples():
    for doc in sorted(DOCS.rglob("*.md")):
        for number, match in enumerate(BLOCK.finditer(doc.read_text(encoding="utf-8"))):
            yield pytest.param(match.group(1), id=f"{doc.name}-{number}")


@pytest.mark.parametrize("text", list(examples()))
def test_hub_config_example_loads(text, tmp_path):
    config = hub_config_from_data(yaml.safe_load(text), "hub.yaml", tmp_path)
    assert config.database_url(tmp_path)


def test_the_docs_have_hub_examples():
    assert len(list(examples())) >= 2
