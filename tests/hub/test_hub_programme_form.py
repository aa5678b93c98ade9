"""The editor's form <-> playlist.yaml, as a property: whatever people type in the editor's
fields comes back the same after it is written as YAML and read by the players' reader."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from player.core.playlist import WEEKDAYS
from player.core.yamlfile import parse_yaml
from player.hub.programme_form import (
    ItemForm,
    ProgrammeForm,
    apply_operation,
    document_form,
    dump_yaml,
    form_document,
)

# what people type: any letters, marks, digits, punctuation, symbols and spaces (HTML, colons,
# quotes, "no", "1e5", "07:30", "#", "- " included)
typed = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp", "Co", "Cn")),
                max_size=40) | st.sampled_from(["no", "yes", "1e5", "0o17", "07:30", "~", "null",
                                                "Giờ mở cửa: 7:00", "<b>đậm</b>", "- x", "#",
                                                "'", '"', "[vi, en]", "{a: b}", "2026-12-01"])
langs = st.sampled_from(["vi", "en", "zh"])


@st.composite
def items(draw, interrupt: bool = False) -> ItemForm:
    kind = draw(st.sampled_from(["text", "image", "video"]))
    return ItemForm(
        kind=kind, id=draw(st.from_regex(r"x[a-z0-9-]{0,12}", fullmatch=True)),  # never like an added one
        media=draw(typed) if kind != "text" else "",
        text=draw(st.dictionaries(langs, typed)) if kind == "text" else {},
        caption=draw(st.dictionaries(langs, typed)), duration=draw(typed),
        transition=draw(st.sampled_from(["", "cut", "crossfade", "crossfade 2s"])),
        date_from=draw(st.sampled_from(["", "2026-12-01"])), hours=draw(typed),
        days=draw(st.lists(st.sampled_from(WEEKDAYS), unique=True)),
        at=draw(st.sampled_from(["12:00", "07:00, 17:30"])) if interrupt else "",
        every=draw(st.sampled_from(["", "1h"])) if interrupt else "")


forms = st.builds(ProgrammeForm, name=typed,
                  languages=st.lists(langs, min_size=1, max_size=3, unique=True),
                  items=st.lists(items(), max_size=4), interrupts=st.lists(items(True), max_size=2),
                  ticker=st.dictionaries(langs, typed), clock=st.booleans())


@given(forms)
def test_what_is_typed_survives_yaml_and_the_players_reader(form):
    document = form_document(form)
    text = dump_yaml(document)
    assert parse_yaml(text, "playlist.yaml") == document
    assert form_document(document_form(parse_yaml(text, "playlist.yaml"))) == document


@given(forms, st.lists(st.sampled_from(["add-text", "add-image", "dup-0", "up-1", "down-0",
                                        "remove-0", "add-interrupt", "remove-int-0", "up-9",
                                        "bogus", "dup-x"]), max_size=6))
def test_editing_buttons_keep_ids_unique_and_never_fail(form, operations):
    for operation in operations:
        before = len(form.items) + len(form.interrupts)
        changed = apply_operation(form, operation)
        after = len(form.items) + len(form.interrupts)
        assert changed or after == before
    ids = [i.id for i in form.items + form.interrupts]
    added = [i for i in ids if i.startswith(("text-", "image-", "interrupt-"))]
    assert len(set(added)) == len(added)
