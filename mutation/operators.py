"""The mutants of a Python source file: stdlib `ast`, each mutant one small change spliced into the text.

Operators (the names mutation.json and the equivalents list use):

| operator | change | after |
|---|---|---|
| negate_condition | the test of an ``if``/``elif``/``while`` or a conditional expression becomes ``not (test)`` | cosmic-ray AddNot |
| swap_comparison | ``<`` ``<=``, ``>`` ``>=``, ``==`` ``!=``, ``in`` ``not in``, ``is`` ``is not``, each way | mutmut, cosmic-ray |
| drop_clause | one operand of an ``and``/``or`` left out | |
| number | an int or float constant plus one and minus one | mutmut |
| empty_string | a non-empty string constant emptied | mutmut |
| flip_boolean | ``True`` and ``False`` swapped | mutmut |
| remove_raise | a ``raise`` statement replaced by ``pass`` | |
| remove_return_guard | an ``if`` whose whole body is a ``return`` gets the test ``False``: the early return is never taken | |
| skip_check | a check function (it raises, returns no value) returns at entry | |

Not mutated (the exclusion rules; docs/mutation.md):
- docstrings, type annotations, logging calls (``log.*``, ``logger.*``, ``logging.*``), ``__repr__``;
- prose strings (a string constant holding whitespace: an exception's description, a reason phrase, a
  Warning text; RFC 3261, RFC 6749 and RFC 6750 leave such text to the implementation) and the parts
  of f-strings;
- fault switches and the code only a named fault reaches (mutation/faultcode.py): a fault test or flag
  is neither negated, swapped nor dropped (that is the fault itself, or no change with faults off),
  fault-only branches and fault-only functions are not entered, nor flag functions;
- ``if TYPE_CHECKING:`` and ``if __name__ == "__main__":`` blocks.

Each mutant has a stable key that survives unrelated edits of its file: file, enclosing function,
operator, original and mutated text (normalised by ``ast.unparse``) and its occurrence among the mutants
of that function with the same four; the id is a short hash of the key.
"""
from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass

from mcsec.mutation.faultcode import FaultCode

OPERATORS: dict[str, str] = {
    "negate_condition": "the test of an if, elif, while or conditional expression negated",
    "swap_comparison": "a comparison operator swapped (< <=, > >=, == !=, in / not in, is / is not)",
    "drop_clause": "one operand of an and/or left out",
    "number": "an int or float constant plus or minus one",
    "empty_string": "a non-empty string constant emptied",
    "flip_boolean": "True and False swapped",
    "remove_raise": "a raise statement replaced by pass",
    "remove_return_guard": "an if whose body is a return never taken (its test made False)",
    "skip_check": "a check function (it raises, returns no value) returns at entry",
}

SWAPS: dict[type, type] = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq,
    ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}
_NEGATED_BY_SWAP = (ast.Eq, ast.NotEq, ast.In, ast.NotIn, ast.Is, ast.IsNot)
LOGGERS = frozenset({"log", "logger", "logging", "_log"})


@dataclass(frozen=True)
class Mutant:
    file: str            # the file as the campaign names it (impl/kms/tokens.py)
    function: str        # the enclosing function's qualified name, or <module>
    operator: str
    original: str        # the changed code, normalised (ast.unparse)
    mutated: str
    occurrence: int      # 1-based, among the mutants of this file and function with the same operator and texts
    line: int
    end_line: int
    start: int           # byte offsets of the replaced text in the file
    end: int
    replacement: str

    @property
    def key(self) -> str:
        return mutant_key(self.file, self.function, self.operator, self.original, self.mutated, self.occurrence)

    @property
    def id(self) -> str:
        return mutant_id(self.key)

    def apply(self, source: bytes) -> bytes:
        return source[:self.start] + self.replacement.encode("utf-8") + source[self.end:]


def mutant_key(file: str, function: str, operator: str, original: str, mutated: str, occurrence: int) -> str:
    return f"{file}::{function}::{operator}::{original} => {mutated}::{occurrence}"


def mutant_id(key: str) -> str:
    return "m" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:8]


class _Offsets:
    """Byte offsets of (line, column) positions; ast columns are UTF-8 byte offsets."""

    def __init__(self, source: bytes) -> None:
        self.starts = [0]
        for i, b in enumerate(source):
            if b == 0x0A:
                self.starts.append(i + 1)

    def start(self, node: ast.AST) -> int:
        return self.starts[node.lineno - 1] + node.col_offset

    def end(self, node: ast.AST) -> int:
        return self.starts[node.end_lineno - 1] + node.end_col_offset


def _is_docstring(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)


def _is_logging_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    while isinstance(func, ast.Attribute):
        func = func.value
    return isinstance(func, ast.Name) and func.id in LOGGERS and isinstance(node.func, ast.Attribute)


def _is_excluded_block(test: ast.AST) -> bool:
    text = ast.unparse(test)
    return text in ("TYPE_CHECKING", "typing.TYPE_CHECKING", "__name__ == '__main__'")


def _raises_without_value(func: ast.AST) -> bool:
    raises = returns_value = False
    stack = list(ast.iter_child_nodes(func))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        if isinstance(node, ast.Raise):
            raises = True
        elif isinstance(node, ast.Return) and node.value is not None:
            returns_value = True
        elif isinstance(node, (ast.Yield, ast.YieldFrom)):
            return False
        stack.extend(ast.iter_child_nodes(node))
    return raises and not returns_value


class _Generator:
    def __init__(self, file: str, source: bytes, faults: FaultCode) -> None:
        self.file = file
        self.source = source
        self.tree = ast.parse(source, filename=file)
        self.offsets = _Offsets(source)
        self.flags = faults.flags
        self.only_functions = faults.only_functions
        self.found: list[Mutant] = []
        self._scope: list[str] = []
        self._counts: dict[tuple[str, str, str, str], int] = {}

    # --- recording ---------------------------------------------------------------------------------
    @property
    def function(self) -> str:
        return ".".join(self._scope) or "<module>"

    def _add(self, operator: str, node: ast.AST, original: str, mutated: str, replacement: str,
             *, start: int | None = None, end: int | None = None) -> None:
        counter = (self.function, operator, original, mutated)
        self._counts[counter] = self._counts.get(counter, 0) + 1
        self.found.append(Mutant(
            self.file, self.function, operator, original, mutated, self._counts[counter],
            node.lineno, node.end_lineno or node.lineno,
            self.offsets.start(node) if start is None else start, self.offsets.end(node) if end is None else end,
            replacement))

    def _expr(self, operator: str, node: ast.expr, new: ast.expr) -> None:
        original, mutated = ast.unparse(node), ast.unparse(new)
        if original != mutated:
            self._add(operator, node, original, mutated, f"({mutated})")

    # --- the walk ----------------------------------------------------------------------------------
    def run(self) -> list[Mutant]:
        self._body(self.tree.body, docstring=True)
        return self.found

    def _body(self, stmts: list[ast.stmt], *, docstring: bool = False) -> None:
        for i, stmt in enumerate(stmts):
            if docstring and i == 0 and _is_docstring(stmt):
                continue
            self._stmt(stmt)

    def _stmt(self, node: ast.stmt) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self._function(node)
        elif isinstance(node, ast.ClassDef):
            self._scope.append(node.name)
            for deco in node.decorator_list:
                self._visit(deco)
            self._body(node.body, docstring=True)
            self._scope.pop()
        elif isinstance(node, ast.If):
            self._if(node)
        elif isinstance(node, ast.While):
            self._condition(node.test)
            self._body(node.body)
            self._body(node.orelse)
        elif isinstance(node, ast.Raise):
            self._add("remove_raise", node, ast.unparse(node), "pass", "pass")
            if node.exc is not None:
                self._visit(node.exc)
        elif isinstance(node, ast.Expr) and _is_logging_call(node.value):
            return
        elif isinstance(node, ast.AnnAssign):
            if node.value is not None:
                self._visit(node.value)
        elif isinstance(node, ast.Assert):
            return  # not a decision a product makes on the wire; python -O drops it
        else:
            for name, value in ast.iter_fields(node):
                if isinstance(value, list):
                    for item in value:
                        if isinstance(item, ast.stmt):
                            self._stmt(item)
                        elif isinstance(item, ast.AST):
                            self._visit(item)
                elif isinstance(value, ast.stmt):
                    self._stmt(value)
                elif isinstance(value, ast.AST):
                    self._visit(value)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        if node.name == "__repr__" or node.name in self.only_functions or node.name in self.flags.functions:
            return
        self._scope.append(node.name)
        for default in [*node.args.defaults, *[d for d in node.args.kw_defaults if d is not None]]:
            self._visit(default)
        if node.name != "__init__" and _raises_without_value(node):
            self._skip_check(node)
        self._body(node.body, docstring=True)
        self._scope.pop()

    def _skip_check(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        body = node.body[1:] if node.body and _is_docstring(node.body[0]) else node.body
        if not body:
            return
        first = body[0]
        at = self.offsets.start(first)
        indent = " " * first.col_offset
        # inserted before the first statement, at its indentation: "return" on a line of its own
        line_start = self.offsets.starts[first.lineno - 1]
        if self.source[line_start:at].strip():
            return  # the statement shares its line with the def: no room for a line of its own
        self._add("skip_check", first, f"def {node.name}", f"def {node.name}: return at entry",
                  f"return\n{indent}", start=at, end=at)

    def _if(self, node: ast.If) -> None:
        if _is_excluded_block(node.test):
            self._body(node.orelse)
            return
        on, off = self.flags.fault_on(node.test), self.flags.fault_off(node.test)
        self._condition(node.test)
        if not node.orelse and len(node.body) == 1 and isinstance(node.body[0], ast.Return) \
                and not self.flags.mentions(node.test) and ast.unparse(node.test) != "False":
            self._add("remove_return_guard", node.test, ast.unparse(node.test), "False", "False")
        if not on:
            self._body(node.body)
        if not off:
            self._body(node.orelse)

    def _condition(self, test: ast.expr) -> None:
        """The negated test, unless a comparison swap already negates it or it is a fault switch."""
        if self.flags.mentions(test):
            self._visit(test)
            return
        simple = isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], _NEGATED_BY_SWAP)
        if not simple:
            self._expr("negate_condition", test, ast.UnaryOp(ast.Not(), test))
        self._visit(test)

    # --- expressions ---------------------------------------------------------------------------------
    def _visit(self, node: ast.AST) -> None:
        if isinstance(node, (ast.JoinedStr, ast.Lambda)):
            return
        if _is_logging_call(node):
            return
        if isinstance(node, ast.IfExp):
            on, off = self.flags.fault_on(node.test), self.flags.fault_off(node.test)
            self._condition(node.test)
            if not on:
                self._visit(node.body)
            if not off:
                self._visit(node.orelse)
            return
        if isinstance(node, ast.BoolOp):
            self._boolop(node)
            return
        if isinstance(node, ast.Compare):
            if fault_switch(node, self):
                return
            for i, op in enumerate(node.ops):
                swap = SWAPS.get(type(op))
                if swap is not None:
                    ops = list(node.ops)
                    ops[i] = swap()
                    self._expr("swap_comparison", node, ast.Compare(node.left, ops, node.comparators))
        elif isinstance(node, ast.Constant):
            self._constant(node)
            return
        elif isinstance(node, (ast.NamedExpr,)):
            pass
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr) or isinstance(child, (ast.keyword, ast.comprehension, ast.arguments)):
                self._visit(child)

    def _boolop(self, node: ast.BoolOp) -> None:
        for i, value in enumerate(node.values):
            if self.flags.mentions(value):
                continue  # a fault switch: with faults off, leaving it out changes nothing
            rest = node.values[:i] + node.values[i + 1:]
            new = rest[0] if len(rest) == 1 else ast.BoolOp(node.op, rest)
            self._expr("drop_clause", node, new)
        for value in node.values:
            if not self.flags.mentions(value) or not fault_switch(value, self):
                self._visit(value)

    def _constant(self, node: ast.Constant) -> None:
        value = node.value
        if isinstance(value, bool):
            self._expr("flip_boolean", node, ast.Constant(not value))
        elif isinstance(value, (int, float)):
            self._expr("number", node, ast.Constant(value + 1))
            self._expr("number", node, ast.Constant(value - 1))
        elif isinstance(value, str) and value and not any(c.isspace() for c in value):
            self._expr("empty_string", node, ast.Constant(""))


def fault_switch(node: ast.AST, gen: _Generator) -> bool:
    """A fault test or flag (or an expression made only of them): the fault itself, not decision code."""
    return bool(gen.flags.polarity(node))


def _replacement_parses(mutant: Mutant) -> bool:
    if mutant.operator in ("remove_raise", "skip_check"):
        return True  # a statement for a statement, or a bare return inserted at a statement's indentation
    try:
        ast.parse(mutant.replacement, mode="eval")
    except SyntaxError:
        return False
    return True


def verify(mutant: Mutant, source: bytes) -> None:
    """The whole mutated file parses, compiles and differs from ``source`` in its syntax tree; SyntaxError
    or ValueError when not."""
    tree = ast.parse(mutant.apply(source))
    compile(tree, mutant.file, "exec")
    if ast.dump(tree) == ast.dump(ast.parse(source)):
        raise ValueError(f"{mutant.id}: the mutated file has the original's syntax tree")


def generate(file: str, source: bytes, faults: FaultCode, *, verified: bool = False) -> list[Mutant]:
    """Every mutant of ``source`` (named ``file``), each distinct change once, in the order of the file.
    Each replacement is valid code of its kind; with ``verified`` each whole mutated file is checked too
    (:func:`verify`: slow, a parse and compile per mutant; a campaign verifies the mutants it runs)."""
    seen: set[tuple[int, int, str]] = set()
    result: list[Mutant] = []
    for mutant in sorted(_Generator(file, source, faults).run(), key=lambda m: (m.start, m.end, m.operator)):
        change = (mutant.start, mutant.end, mutant.replacement)
        if change in seen or not _replacement_parses(mutant):
            continue
        if verified:
            try:
                verify(mutant, source)
            except (SyntaxError, ValueError):
                continue
        seen.add(change)
        result.append(mutant)
    return result
