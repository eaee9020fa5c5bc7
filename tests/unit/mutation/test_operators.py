"""The mutation operators: each makes the expected change, every mutant compiles, ids survive unrelated edits."""
from __future__ import annotations

import dataclasses
import random
import textwrap
from pathlib import Path

import pytest

from mcsec.mutation.faultcode import FaultCode, collect_flags
from mcsec.mutation.operators import OPERATORS, generate, verify
from mcsec.mutation.targets import DEFAULT_TARGETS
from mcsec.mutation.tree import source_path

NO_FAULTS = FaultCode(collect_flags([]), set())


def _mutants(source: str, faults: FaultCode = NO_FAULTS):
    text = textwrap.dedent(source).encode()
    return text, generate("impl/x.py", text, faults)


def _results(source: str, operator: str) -> set[str]:
    text, found = _mutants(source)
    return {m.apply(text).decode() for m in found if m.operator == operator}


def _src(source: str) -> str:
    return textwrap.dedent(source)


@pytest.mark.parametrize("operator, source, expected", [
    ("negate_condition", """
        def f(a, b):
            if a and b:
                return 1
            return 2
        """, """
        def f(a, b):
            if (not (a and b)):
                return 1
            return 2
        """),
    ("swap_comparison", """
        def f(n):
            return n < 3
        """, """
        def f(n):
            return (n <= 3)
        """),
    ("drop_clause", """
        def f(a, b):
            return a and b
        """, """
        def f(a, b):
            return (b)
        """),
    ("number", """
        LIMIT = 60
        """, """
        LIMIT = (61)
        """),
    ("empty_string", """
        ALG = "ES256"
        """, """
        ALG = ('')
        """),
    ("flip_boolean", """
        STRICT = True
        """, """
        STRICT = (False)
        """),
    ("remove_raise", """
        def f(ok):
            if not ok:
                raise ValueError("bad")
            return 1
        """, """
        def f(ok):
            if not ok:
                pass
            return 1
        """),
    ("remove_return_guard", """
        def f(x):
            if x is None:
                return 0
            return x
        """, """
        def f(x):
            if False:
                return 0
            return x
        """),
    ("skip_check", """
        def check(x):
            if x < 0:
                raise ValueError("negative")
        """, """
        def check(x):
            return
            if x < 0:
                raise ValueError("negative")
        """),
])
def test_each_operator_makes_its_change(operator, source, expected):
    assert _src(expected) in _results(source, operator)


def test_every_operator_is_tested_above():
    tested = {"negate_condition", "swap_comparison", "drop_clause", "number", "empty_string", "flip_boolean",
              "remove_raise", "remove_return_guard", "skip_check"}
    assert tested == set(OPERATORS)


def test_a_swap_that_negates_a_simple_test_is_not_also_a_negation():
    text, found = _mutants("""
        def f(x):
            if x == 1:
                return 1
        """)
    ops = [m.operator for m in found if m.line == 3]
    assert "swap_comparison" in ops and "negate_condition" not in ops


@pytest.mark.parametrize("source", [
    '''
    def f():
        """A docstring stays."""
        return x
    ''',
    '''
    def f(x: "Annotated") -> "str":
        log.info("value %s", "text")
        return None
    ''',
    '''
    def f():
        raise ValueError(f"no {1} such")
    ''',
    '''
    def f():
        raise ValueError("a prose description")
    ''',
    '''
    def __repr__(self):
        return "x" if True else "y"
    ''',
])
def test_docstrings_annotations_logging_fstrings_prose_and_repr_are_not_mutated(source):
    text, found = _mutants(source)
    # what is left: the raise statement itself and the skipped check
    assert {m.operator for m in found} <= {"remove_raise", "skip_check"}, [(m.operator, m.original) for m in found]


def test_type_checking_and_main_blocks_are_not_mutated():
    _, found = _mutants("""
        if TYPE_CHECKING:
            X = 1
        if __name__ == "__main__":
            Y = 2
        """)
    assert found == []


def test_mutants_compile_and_differ(every_mutant):
    """Every mutant of two whole files, and a seeded sample of the rest (a parse and compile each)."""
    whole = ("impl/core/authentication.py", "impl/smime/replay_guard.py")
    chosen = [p.mutant for p in every_mutant if p.mutant.file in whole]
    chosen += [p.mutant for p in random.Random(3).sample([p for p in every_mutant if p.mutant.file not in whole], 60)]
    sources = {}
    for m in chosen:
        source = sources.setdefault(m.file, source_path(m.file).read_bytes())
        verify(m, source)
    assert len(chosen) > 100


def test_every_default_target_has_mutants_with_distinct_ids(every_mutant):
    for target in DEFAULT_TARGETS:
        ids = [p.mutant.id for p in every_mutant if p.mutant.file == target.file]
        assert ids, target.file
        assert len(ids) == len(set(ids)), f"{target.file}: two mutants share an id"
    assert len(every_mutant) > 300


def test_a_mutant_that_does_not_compile_is_refused():
    text, found = _mutants("""
        def f():
            return 1
        """)
    broken = dataclasses.replace(found[0], replacement="(")
    with pytest.raises(SyntaxError):
        verify(broken, text)
    same = dataclasses.replace(found[0], replacement="1")
    with pytest.raises(ValueError):
        verify(same, text)


def test_ids_survive_unrelated_edits():
    before = _src("""
        def check(token):
            if token.exp < now():
                raise Expired()
        """)
    after = _src('''
        """A module docstring added above."""
        import os

        def other(y):
            return y == 2

        def check(token):
            # a comment
            if token.exp < now():
                raise Expired()
        ''')
    ids_before = {m.id for m in generate("impl/x.py", before.encode(), NO_FAULTS)}
    ids_after = {m.id for m in generate("impl/x.py", after.encode(), NO_FAULTS)}
    assert ids_before and ids_before <= ids_after


def test_ids_name_the_file_function_and_occurrence():
    text = _src("""
        def f(a):
            return a == 1 or a == 1
        """).encode()
    found = [m for m in generate("impl/x.py", text, NO_FAULTS) if m.operator == "swap_comparison"]
    assert len({m.id for m in found}) == len(found) == 2
    other = {m.id for m in generate("impl/y.py", text, NO_FAULTS) if m.operator == "swap_comparison"}
    assert not other & {m.id for m in found}


def test_positions_are_byte_offsets_past_non_ascii_text():
    text = _src("""
        NAME = "émoji ✓"; LIMIT = 5
        """).encode()
    found = [m for m in generate("impl/x.py", text, NO_FAULTS) if m.operator == "number"]
    assert {m.apply(text).decode().split("LIMIT = ")[1].strip() for m in found} == {"(6)", "(4)"}


def test_source_files_outside_the_package_are_refused(tmp_path: Path):
    from mcsec.mutation.tree import TreeError

    for name in ("../etc/passwd.py", "impl/no_such_file.py", "README.md", "x.py"):
        with pytest.raises(TreeError):
            source_path(name)
