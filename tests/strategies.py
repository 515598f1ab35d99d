"""Hypothesis strategies shared by the property tests."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

# Learner and course names: Hangul syllables, Latin letters, digits, spaces and punctuation.
names = (
    st.text(
        alphabet=st.one_of(
            st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3),
            st.characters(min_codepoint=0x20, max_codepoint=0x7E),
        ),
        min_size=1,
        max_size=60,
    )
    .map(str.strip)
    .filter(bool)
)


def leaf_paths(value: Any, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Return the path of every scalar inside a JSON value."""
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in leaf_paths(item, (*prefix, key))]
    if isinstance(value, list):
        return [p for index, item in enumerate(value) for p in leaf_paths(item, (*prefix, index))]
    return [prefix]


def mutate_leaf(document: Any, path: tuple[str | int, ...]) -> None:
    """Change the scalar at ``path`` in place to a different value of the same kind."""
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    value = parent[path[-1]]
    if isinstance(value, bool):
        parent[path[-1]] = not value
    elif isinstance(value, int | float):
        parent[path[-1]] = value + 1
    else:
        parent[path[-1]] = str(value) + "x"
