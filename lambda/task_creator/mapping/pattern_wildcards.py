"""The ``wildcard`` filter: parsing, matching, and EventBridge's wildcard complexity limit.

:func:`wildcard_shape` reads a wildcard pattern into its literal pieces (``\\*`` is a literal star),
:func:`wildcard_test` matches a value against them in linear time, and :func:`build_wildcard`
compiles ``{"wildcard": "..."}``. :func:`wildcard_complexity` weighs one field's wildcard patterns
the way event-ruler does, so a pattern EventBridge would refuse as too complex (more than
:data:`WILDCARD_COMPLEXITY_LIMIT`) is refused here too.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import Final

from task_creator.mapping.pattern_values import CompiledFilter, ValueTest, WildcardShape, string_argument

WILDCARD_COMPLEXITY_LIMIT: Final = 10  # see wildcard_complexity
_COMPLEXITY_STATES_EXPLORED: Final = 100_000
_STAR: Final = -1


def build_wildcard(argument: object, path: str, problems: list[str]) -> CompiledFilter | None:
    text = string_argument("wildcard", argument, path, problems)
    shape = wildcard_shape(text, path, problems) if text is not None else None
    if shape is None:
        return None
    return CompiledFilter(wildcard_test(shape), wildcards=(shape,))


def wildcard_shape(text: str, path: str, problems: list[str]) -> WildcardShape | None:
    """The literal pieces between unescaped ``*``; ``\\*`` is a literal star, ``\\\\`` a backslash."""
    segments: list[str] = []
    current: list[str] = []
    index, previous_was_star = 0, False
    while index < len(text):
        char = text[index]
        if char == "\\":
            escaped = text[index + 1 : index + 2]
            if escaped not in ("*", "\\"):
                problems.append(f"{path}: wildcard allows a backslash only before '*' or another backslash")
                return None
            current.append(escaped)
            index, previous_was_star = index + 2, False
            continue
        if char == "*":
            if previous_was_star:
                problems.append(f"{path}: wildcard must not contain consecutive '*' characters")
                return None
            segments.append("".join(current))
            current = []
        else:
            current.append(char)
        index, previous_was_star = index + 1, char == "*"
    segments.append("".join(current))
    return tuple(segments)


def wildcard_test(shape: WildcardShape) -> ValueTest:
    """A test true for the strings ``shape`` matches."""
    return lambda value: isinstance(value, str) and _wildcard_matches(shape, value)


def _wildcard_matches(segments: WildcardShape, value: str) -> bool:
    """Linear-time glob: anchored first and last pieces, middle pieces found leftmost, in order."""
    if len(segments) == 1:
        return value == segments[0]
    first, last = segments[0], segments[-1]
    end = len(value) - len(last)
    if end < len(first) or not value.startswith(first) or not value.endswith(last):
        return False
    position = len(first)
    for segment in segments[1:-1]:
        found = value.find(segment, position, end)
        if found < 0:
            return False
        position = found + len(segment)
    return True


def wildcard_complexity(shapes: Iterable[WildcardShape], limit: int = WILDCARD_COMPLEXITY_LIMIT) -> int:
    """The most wildcard-pattern prefixes one value can match at once (event-ruler's "complexity").

    The shapes are one field's wildcard patterns; EventBridge compiles each as its UTF-8 bytes in
    quotes. A prefix ending in ``*`` keeps matching as more bytes arrive, so ``*a*a*a`` on ``aaa``
    keeps many alive at once: that count, maximised over every possible value, is what EventBridge
    bounds. Exploration stops as soon as the count exceeds ``limit`` (returning it); a search too
    large to finish counts as over the limit.
    """
    programs = [_wildcard_program(shape) for shape in dict.fromkeys(shapes)]
    start = tuple(_closure(program, {0}) for program in programs)
    seen = {start}
    queue = deque([start])
    worst = 0
    while queue:
        current = queue.popleft()
        for byte in _next_bytes(programs, current):
            following = tuple(
                _step(program, states, byte) for program, states in zip(programs, current, strict=True)
            )
            worst = max(worst, sum(map(len, following)))
            if worst > limit or len(seen) > _COMPLEXITY_STATES_EXPLORED:
                return max(worst, limit + 1)
            if following not in seen:
                seen.add(following)
                queue.append(following)
    return worst


def _wildcard_program(shape: WildcardShape) -> tuple[int, ...]:
    """The quoted pattern as bytes, ``_STAR`` where a wildcard stands (as event-ruler stores it)."""
    program: list[int] = [ord('"')]
    for index, segment in enumerate(shape):
        if index:
            program.append(_STAR)
        program.extend(segment.encode("utf-8", "surrogatepass"))
    program.append(ord('"'))
    return tuple(program)


def _closure(program: tuple[int, ...], states: set[int]) -> frozenset[int]:
    """States are "bytes of the pattern consumed"; a state before ``*`` is also past it (empty run)."""
    result = set(states)
    for state in sorted(states):
        position = state
        while position < len(program) and program[position] == _STAR:
            position += 1
            result.add(position)
    return frozenset(result)


def _step(program: tuple[int, ...], states: frozenset[int], byte: int | None) -> frozenset[int]:
    following = {state for state in states if state and program[state - 1] == _STAR}
    following |= {state + 1 for state in states if state < len(program) and program[state] == byte}
    return _closure(program, following)


def _next_bytes(programs: list[tuple[int, ...]], current: tuple[frozenset[int], ...]) -> set[int | None]:
    """The bytes that lead somewhere different, plus ``None`` for "any other byte"."""
    wanted: set[int | None] = {None}
    for program, states in zip(programs, current, strict=True):
        wanted.update(program[state] for state in states if state < len(program) and program[state] != _STAR)
    return wanted
