"""Fault-only code: fault switches are not mutated, nor the code only a named fault reaches."""
from __future__ import annotations

import ast
import textwrap

from mcsec.mutation.faultcode import FaultCode, collect_flags, fault_only_functions
from mcsec.mutation.operators import generate

MODULE = textwrap.dedent('''
    def _accept_all():
        return 42

    class Verifier:
        def __init__(self, faults):
            self._faults = faults
            self.skip_exp = "kms_accept_expired" in faults

        def check(self, claims, now):
            if "kms_skip_signature_check" in self._faults:
                return _accept_all()
            if not self.skip_exp and claims["exp"] < now:
                raise Expired()
            strict = "kms_lenient" not in self._faults
            if strict:
                pass
            else:
                return 7
            return 0
''')


def _faults(text: str = MODULE) -> FaultCode:
    trees = [ast.parse(text)]
    flags = collect_flags(trees)
    return FaultCode(flags, fault_only_functions(trees, flags))


def test_flags_and_their_polarity_are_found():
    flags = _faults().flags
    assert flags.flags["skip_exp"] == 1 and flags.flags["strict"] == -1


def test_a_function_only_fault_only_code_calls_is_fault_only():
    assert "_accept_all" in _faults().only_functions
    assert "check" not in _faults().only_functions


def test_fault_tests_flags_and_fault_only_code_are_not_mutated():
    found = generate("impl/x.py", MODULE.encode(), _faults())
    texts = [(m.operator, m.original, m.mutated) for m in found]
    # no fault test is swapped, negated or emptied, no flag dropped from the and or negated
    assert not any("faults" in o or "faults" in m for _, o, m in texts), texts
    assert not any(o in ("self.skip_exp", "strict", "not self.skip_exp") for _, o, _ in texts), texts
    assert ("drop_clause", "not self.skip_exp and claims['exp'] < now", "claims['exp'] < now") not in texts
    assert ("drop_clause", "not self.skip_exp and claims['exp'] < now", "not self.skip_exp") in texts
    # the fault-only body (return _accept_all()), function (42) and else branch (7) are left alone
    assert not any(o in ("42", "7") for _, o, _ in texts), texts
    # the decision code itself is mutated
    assert ("swap_comparison", "claims['exp'] < now", "claims['exp'] <= now") in texts
    assert any(op == "remove_raise" for op, _, _ in texts)
    assert ("number", "0", "1") in texts


def test_the_same_code_without_fault_switches_is_mutated():
    plain = MODULE.replace('"kms_skip_signature_check" in self._faults', "claims.get('x')")
    found = generate("impl/x.py", plain.encode(), _faults(plain))
    assert any(m.original == "42" for m in found)


def test_the_reference_implementation_has_fault_code():
    from mcsec.mutation.campaign import fault_code

    code = fault_code()
    assert code.flags.flags and code.only_functions is not None
