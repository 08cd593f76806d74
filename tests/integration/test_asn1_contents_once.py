"""asn1crypto encodes a value built in memory once per dump, to the same DER, and still sees later changes."""

from __future__ import annotations

from asn1crypto import core

import undersign.adapters.signing  # noqa: F401  (importing the signing adapters applies the speed-up)

DEPTH = 9


def _nested_types(depth: int) -> list[type[core.Sequence]]:
    """SEQUENCE { inner SEQUENCE { ... }, tags SET OF INTEGER, n INTEGER }, `depth` levels deep."""

    class Numbers(core.SetOf):
        _child_spec = core.Integer

    types: list[type[core.Sequence]] = [type("Level0", (core.Sequence,), {"_fields": [("n", core.Integer)]})]
    for level in range(1, depth):
        fields = [("inner", types[-1]), ("tags", Numbers), ("n", core.Integer, {"explicit": 0})]
        types.append(type(f"Level{level}", (core.Sequence,), {"_fields": fields}))
    return types


def _built(types: list[type[core.Sequence]]) -> core.Sequence:
    value = types[0]({"n": 0})
    for level, cls in enumerate(types[1:], start=1):
        value = cls({"inner": value, "tags": [level, -level, 2 * level], "n": level})
    return value


def test_a_deep_value_built_in_memory_dumps_to_its_der_encoding_each_level_encoded_once(monkeypatch) -> None:
    types = _nested_types(DEPTH)
    value, encodings = _built(types), []
    set_contents = core.Sequence._set_contents

    def counted(self, force: bool = False) -> None:
        encodings.append(type(self).__name__)
        set_contents(self, force)

    monkeypatch.setattr(core.Sequence, "_set_contents", counted)
    dumped = value.dump()
    monkeypatch.undo()

    # Each level once: 9 encodings, where asn1crypto alone made 2,044 (1,024 of the innermost level).
    assert sorted(encodings) == sorted(cls.__name__ for cls in types)
    assert dumped == types[-1].load(dumped).dump(force=True)  # DER, as asn1crypto encodes it from scratch
    assert value.native["inner"]["n"] == DEPTH - 2


def test_a_value_changed_after_a_dump_is_encoded_anew() -> None:
    types = _nested_types(4)
    value = _built(types)
    before = value.dump()

    value["inner"]["inner"]["n"] = 99
    after = value.dump()

    assert after != before
    assert types[-1].load(after).native["inner"]["inner"]["n"] == 99
    assert after == types[-1].load(after).dump(force=True)
