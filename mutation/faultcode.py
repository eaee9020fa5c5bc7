"""Which code of the reference implementation runs only with a named fault on.

A campaign runs every mutant with no fault on, so code that only a fault reaches cannot be judged:
mutating it gives mutants no run can tell from the original. This module finds that code statically,
over every module of the reference implementation (a fault's switch is often set in one module and
tested in another):

- a *fault test* is ``"name" in <faults>`` or ``"name" not in <faults>`` (``<faults>`` is a name or
  attribute called ``faults`` or ``_faults``, the role's :class:`~mcsec.impl.faults.Faults`);
- a *fault flag* is a name, attribute or keyword argument bound to a boolean made of fault tests
  (``skip_pkce = "idm_skip_pkce" in faults``, ``trust_client=self._trust_client``), with its polarity:
  positive when it is true only with a fault on, negative when it is false only with a fault on; a
  *flag function* is one whose every returned value is made of fault tests (its calls are positive
  flags);
- a test is *fault-on* when it can be true only with a fault on, *fault-off* when it can be false only
  with a fault on; the body of an ``if`` (or the value of a conditional expression) under a fault-on
  test, and the ``else`` under a fault-off one, is *fault-only* code;
- a *fault-only function* is one every reference to which (by name, anywhere in the implementation)
  lies in fault-only code or in another fault-only function.
"""
from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

FAULTS_NAMES = frozenset({"faults", "_faults"})


def is_faults_expr(node: ast.AST) -> bool:
    return (isinstance(node, ast.Name) and node.id in FAULTS_NAMES) or \
        (isinstance(node, ast.Attribute) and node.attr in FAULTS_NAMES)


def fault_test_polarity(node: ast.AST) -> int:
    """+1 for ``x in faults``, -1 for ``x not in faults``, 0 for anything else."""
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and is_faults_expr(node.comparators[0]):
        if isinstance(node.ops[0], ast.In):
            return 1
        if isinstance(node.ops[0], ast.NotIn):
            return -1
    return 0


def _ref_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


@dataclass
class FaultFlags:
    """Fault flags by name (+1 positive, -1 negative) and the names of flag functions."""
    flags: dict[str, int] = field(default_factory=dict)
    functions: set[str] = field(default_factory=set)

    def polarity(self, node: ast.AST) -> int:
        """+1: true only with a fault on; -1: false only with a fault on; 0: not a fault switch."""
        p = fault_test_polarity(node)
        if p:
            return p
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return -self.polarity(node.operand)
        if isinstance(node, ast.Call) and _ref_name(node.func) in self.functions:
            return 1
        name = _ref_name(node)
        if name is not None and name in self.flags:
            return self.flags[name]
        if isinstance(node, ast.BoolOp):
            signs = {self.polarity(v) for v in node.values} - {0}
            if len(signs) == 1:
                return signs.pop()
        return 0

    def mentions(self, node: ast.AST) -> bool:
        """Whether the expression holds a fault test or a fault flag anywhere."""
        for sub in ast.walk(node):
            if fault_test_polarity(sub):
                return True
            if isinstance(sub, ast.Call) and _ref_name(sub.func) in self.functions:
                return True
            name = _ref_name(sub)
            if name is not None and name in self.flags and isinstance(getattr(sub, "ctx", None), ast.Load):
                return True
        return False

    def fault_on(self, test: ast.AST) -> bool:
        """The test can be true only with a fault on."""
        if isinstance(test, ast.BoolOp):
            parts = [self.fault_on(v) for v in test.values]
            return any(parts) if isinstance(test.op, ast.And) else all(parts)
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            return self.fault_off(test.operand)
        return self.polarity(test) > 0

    def fault_off(self, test: ast.AST) -> bool:
        """The test can be false only with a fault on."""
        if isinstance(test, ast.BoolOp):
            parts = [self.fault_off(v) for v in test.values]
            return all(parts) if isinstance(test.op, ast.And) else any(parts)
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            return self.fault_on(test.operand)
        return self.polarity(test) < 0


def _returns(func: ast.AST) -> list[ast.Return]:
    found: list[ast.Return] = []

    def walk(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                continue
            if isinstance(child, ast.Return):
                found.append(child)
            walk(child)

    walk(func)
    return found


def collect_flags(trees: Iterable[ast.Module]) -> FaultFlags:
    """The fault flags and flag functions of these modules, to a fixpoint."""
    trees = list(trees)
    flags = FaultFlags()
    changed = True
    while changed:
        changed = False
        for tree in trees:
            for node in ast.walk(tree):
                bound: list[tuple[str, ast.AST]] = []
                if isinstance(node, ast.Assign):
                    bound = [(n, node.value) for t in node.targets if (n := _ref_name(t))]
                elif isinstance(node, ast.AnnAssign) and node.value is not None and _ref_name(node.target):
                    bound = [(_ref_name(node.target), node.value)]
                elif isinstance(node, ast.keyword) and node.arg:
                    bound = [(node.arg, node.value)]
                elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name not in flags.functions:
                    values = [r.value for r in _returns(node)]
                    if values and all(v is not None and flags.polarity(v) for v in values):
                        flags.functions.add(node.name)
                        changed = True
                for name, value in bound:
                    p = flags.polarity(value)
                    if p and flags.flags.get(name) != p and name not in flags.flags:
                        flags.flags[name] = p
                        changed = True
    return flags


def fault_only_regions(tree: ast.Module, flags: FaultFlags) -> list[ast.AST]:
    """The statements and expressions of ``tree`` that run only with a fault on."""
    regions: list[ast.AST] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            if flags.fault_on(node.test):
                regions.extend(node.body)
            elif flags.fault_off(node.test):
                regions.extend(node.orelse)
        elif isinstance(node, ast.IfExp):
            if flags.fault_on(node.test):
                regions.append(node.body)
            elif flags.fault_off(node.test):
                regions.append(node.orelse)
    return regions


def _spans(nodes: Iterable[ast.AST]) -> set[int]:
    return {id(sub) for node in nodes for sub in ast.walk(node)}


def fault_only_functions(trees: Iterable[ast.Module], flags: FaultFlags) -> set[str]:
    """Names of the functions every reference to which lies in fault-only code (or in another such
    function), over all of ``trees``."""
    trees = list(trees)
    refs: dict[str, list[tuple[bool, str | None]]] = {}   # name -> (in fault-only code, enclosing function)
    defined: set[str] = set()
    for tree in trees:
        only = _spans(fault_only_regions(tree, flags))

        def walk(node: ast.AST, func: str | None) -> None:
            for child in ast.iter_child_nodes(node):
                inner = func
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    defined.add(child.name)
                    inner = child.name
                name = _ref_name(child)
                if name is not None and isinstance(getattr(child, "ctx", None), ast.Load):
                    refs.setdefault(name, []).append((id(child) in only, func))
                walk(child, inner)

        walk(tree, None)
    result: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name in defined - result:
            uses = refs.get(name, [])
            if uses and all(in_only or (func in result and func != name) for in_only, func in uses):
                result.add(name)
                changed = True
    return result


@dataclass
class FaultCode:
    """What runs only with a fault on, over the whole reference implementation."""
    flags: FaultFlags
    only_functions: set[str]

    @classmethod
    def of_folder(cls, impl_dir: Path) -> FaultCode:
        trees = [ast.parse(p.read_bytes(), filename=str(p)) for p in sorted(impl_dir.rglob("*.py"))
                 if "__pycache__" not in p.parts]
        flags = collect_flags(trees)
        return cls(flags, fault_only_functions(trees, flags))
