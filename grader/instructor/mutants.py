"""Single-point mutants of solutions/, for the mutation audit (`grader.instructor.audit`).

A mutant changes one thing inside one solution region (between `### BEGIN SOLUTION` and
`### END SOLUTION`) of one reference module: an arithmetic or comparison operator, a
numeric constant, a reduction, an axis, a range bound, a copy dropped, or two arguments
of a call swapped. The change is made in the text (the rest of the file, comments and
layout included, stays as it was, so a mutant's diff is one line) and the result must
parse. Mutants that are the same program as the reference or as an earlier mutant are
dropped.

A mutant's key, e.g. `gradient_descent.backtracking_line_search/comparison/3f2a1b9c`,
names its module, its function, its operator and a hash of the mutated function's syntax
tree without its docstring: it survives edits to docstrings, comments, layout and other
functions, and changes when the function itself changes (so a reviewed verdict on it is
reviewed again).
"""

from __future__ import annotations

import ast
import difflib
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from grader.instructor.markers import BEGIN_SOLUTION, END_SOLUTION

BEGIN, END = BEGIN_SOLUTION, END_SOLUTION
OPERATORS = ("arithmetic", "comparison", "constant", "reduction", "axis", "range", "copy",
             "swap")

ARITHMETIC = {ast.Add: "-", ast.Sub: "+", ast.Mult: "/", ast.Div: "*", ast.Pow: "*",
              ast.MatMult: "*", ast.FloorDiv: "/", ast.Mod: "/"}
SYMBOLS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**",
           ast.MatMult: "@", ast.FloorDiv: "//", ast.Mod: "%"}
BOUNDARY = {ast.Lt: "<=", ast.LtE: "<", ast.Gt: ">=", ast.GtE: ">", ast.Eq: "!=",
            ast.NotEq: "==", ast.Is: "is not", ast.IsNot: "is", ast.In: "not in",
            ast.NotIn: "in"}
REDUCTIONS = {"sum": "mean", "mean": "sum", "max": "min", "min": "max", "all": "any",
              "any": "all", "amax": "amin", "amin": "amax"}
ATOMIC = (ast.Name, ast.Attribute, ast.Subscript, ast.Call, ast.Constant)


@dataclass(frozen=True)
class Edit:
    """Replace source[start:end] by text: one mutation, before it is checked."""

    operator: str
    start: int
    end: int
    text: str
    change: str          # in words: "`<=` -> `<`"


@dataclass(frozen=True)
class Mutant:
    """One single-point mutant of a reference module."""

    key: str             # "gradient_descent.backtracking_line_search/comparison/3f2a1b9c"
    module: str
    function: str
    operator: str
    line: int            # where the change is in solutions/<module>.py (for display)
    change: str
    source: str          # the whole mutated module

    def diff(self, original: str) -> str:
        """The mutant as a unified diff against the reference module."""
        path = f"solutions/{self.module}.py"
        lines = difflib.unified_diff(original.splitlines(keepends=True),
                                     self.source.splitlines(keepends=True),
                                     path, f"{path} (mutant)", n=2)
        return "".join(lines)


class Text:
    """A module's source with ast positions (line, UTF-8 column) turned into offsets."""

    def __init__(self, source: str):
        self.source = source
        self.lines = source.splitlines(keepends=True)
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line))

    def offset(self, line: int, column: int) -> int:
        text = self.lines[line - 1]
        return self.starts[line - 1] + len(text.encode()[:column].decode(errors="ignore"))

    def start(self, node: ast.AST) -> int:
        return self.offset(node.lineno, node.col_offset)

    def end(self, node: ast.AST) -> int:
        return self.offset(node.end_lineno, node.end_col_offset)

    def of(self, node: ast.AST) -> str:
        return self.source[self.start(node):self.end(node)]

    def line_of(self, offset: int) -> int:
        return self.source.count("\n", 0, offset) + 1


def solution_lines(source: str) -> set[int]:
    """The 1-based line numbers inside solution regions."""
    inside, found = False, set()
    for number, line in enumerate(source.splitlines(), start=1):
        if line.strip() == BEGIN:
            inside = True
        elif line.strip() == END:
            inside = False
        elif inside:
            found.add(number)
    return found


def walk(node: ast.AST, parent: ast.AST | None = None
         ) -> Iterator[tuple[ast.AST, ast.AST | None]]:
    """(node, parent) in source order, leaving out annotations, docstrings and imports."""
    yield node, parent
    for name, value in ast.iter_fields(node):
        if name in ("returns", "decorator_list", "args", "annotation") and \
                isinstance(node, (ast.FunctionDef, ast.arg)):
            continue
        children = value if isinstance(value, list) else [value]
        for child in children:
            if isinstance(child, ast.AST) and not isinstance(child, (ast.Import,
                                                                     ast.ImportFrom)):
                if not _is_docstring(child, node):
                    yield from walk(child, node)


def _is_docstring(child: ast.AST, parent: ast.AST) -> bool:
    body = getattr(parent, "body", None)
    return (isinstance(parent, ast.FunctionDef) and bool(body) and child is body[0]
            and isinstance(child, ast.Expr) and isinstance(child.value, ast.Constant)
            and isinstance(child.value.value, str))


def swap_gap(text: Text, operator: str, left_end: int, right_start: int, new: str
             ) -> Edit | None:
    """Replace the one operator token between two operands by new."""
    gap = text.source[left_end:right_start]
    token = gap.strip(" \t\n\\()")
    if not token or "#" in gap:
        return None
    return Edit(operator, left_end, right_start, gap.replace(token, new, 1),
                f"`{' '.join(token.split())}` -> `{new}`")


def arithmetic(node: ast.AST, parent: ast.AST | None, text: Text) -> Iterator[Edit]:
    """`+` <-> `-`, `*` <-> `/`, `**` and `@` -> `*`; a unary minus dropped."""
    if isinstance(node, ast.BinOp) and type(node.op) in ARITHMETIC:
        edit = swap_gap(text, "arithmetic", text.end(node.left), text.start(node.right),
                        ARITHMETIC[type(node.op)])
        if edit:
            yield edit
    elif isinstance(node, ast.AugAssign) and type(node.op) in ARITHMETIC:
        edit = swap_gap(text, "arithmetic", text.end(node.target), text.start(node.value),
                        ARITHMETIC[type(node.op)] + "=")
        if edit:
            yield edit
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        yield drop_prefix(text, "arithmetic", node, "-")


def drop_prefix(text: Text, operator: str, node: ast.UnaryOp, symbol: str) -> Edit:
    """Remove a unary operator (`-x` -> `x`, `not c` -> `c`), keeping any parentheses."""
    start, operand = text.start(node), text.start(node.operand)
    prefix = text.source[start:operand]
    kept = prefix.replace(symbol, "", 1).lstrip() if symbol == "not" else \
        prefix.replace(symbol, "", 1)
    return Edit(operator, start, operand, kept, f"`{symbol}` dropped")


def comparison(node: ast.AST, parent: ast.AST | None, text: Text) -> Iterator[Edit]:
    """`<` <-> `<=`, `>` <-> `>=`, `==` <-> `!=`, `is` <-> `is not`, `and` <-> `or`, `not`
    dropped."""
    if isinstance(node, ast.Compare):
        operands = [node.left, *node.comparators]
        for op, left, right in zip(node.ops, operands, operands[1:]):
            edit = swap_gap(text, "comparison", text.end(left), text.start(right),
                            BOUNDARY[type(op)])
            if edit:
                yield edit
    elif isinstance(node, ast.BoolOp):
        new = "or" if isinstance(node.op, ast.And) else "and"
        for left, right in zip(node.values, node.values[1:]):
            edit = swap_gap(text, "comparison", text.end(left), text.start(right), new)
            if edit:
                yield edit
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield drop_prefix(text, "comparison", node, "not")


def constant(node: ast.AST, parent: ast.AST | None, text: Text) -> Iterator[Edit]:
    """A number n -> n + 1 (axes and range bounds have operators of their own)."""
    if not isinstance(node, ast.Constant) or type(node.value) not in (int, float):
        return
    if _axis_constant(node, parent):
        return
    new = node.value + 1
    yield Edit("constant", text.start(node), text.end(node), repr(new),
               f"`{text.of(node)}` -> `{new!r}`")


def _axis_constant(node: ast.AST, parent: ast.AST | None) -> bool:
    return (isinstance(parent, ast.keyword) and parent.arg == "axis") or (
        isinstance(parent, ast.Subscript) and _is_shape(parent))


def _is_shape(node: ast.Subscript) -> bool:
    return isinstance(node.value, ast.Attribute) and node.value.attr == "shape"


def reduction(node: ast.AST, parent: ast.AST | None, text: Text) -> Iterator[Edit]:
    """sum <-> mean, max <-> min, all <-> any (np.f(x), x.f() and the builtins)."""
    if not isinstance(node, ast.Call):
        return
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    new = REDUCTIONS.get(name)
    if isinstance(func, ast.Name) and new not in ("min", "max", "all", "any"):
        return                              # there is no builtin mean
    if new:
        end = text.end(func)
        yield Edit("reduction", end - len(name), end, new, f"`{name}` -> `{new}`")


def axis(node: ast.AST, parent: ast.AST | None, text: Text) -> Iterator[Edit]:
    """axis=0 <-> axis=1 or dropped, shape[0] <-> shape[1], a transpose `.T` dropped."""
    if isinstance(node, ast.Call):
        for index, keyword in enumerate(node.keywords):
            if keyword.arg != "axis" or not _zero_or_one(keyword.value):
                continue
            value = keyword.value
            yield Edit("axis", text.start(value), text.end(value), str(1 - value.value),
                       f"`axis={value.value}` -> `axis={1 - value.value}`")
            before = [*node.args, *node.keywords[:index]]
            if before:
                yield Edit("axis", text.end(before[-1]), text.end(keyword), "",
                           f"`axis={value.value}` dropped")
    elif isinstance(node, ast.Subscript) and _is_shape(node) and _zero_or_one(node.slice):
        index = node.slice
        yield Edit("axis", text.start(index), text.end(index), str(1 - index.value),
                   f"`shape[{index.value}]` -> `shape[{1 - index.value}]`")
    elif isinstance(node, ast.Attribute) and node.attr == "T":
        yield Edit("axis", text.start(node), text.end(node), text.of(node.value),
                   "transpose `.T` dropped")


def _zero_or_one(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is int and node.value in (0, 1)


def range_bound(node: ast.AST, parent: ast.AST | None, text: Text) -> Iterator[Edit]:
    """Each bound of range(...) or np.arange(...) one lower and one higher."""
    if not isinstance(node, ast.Call):
        return
    name = node.func.attr if isinstance(node.func, ast.Attribute) else \
        getattr(node.func, "id", "")
    if name not in ("range", "arange"):
        return
    for bound in node.args[:2]:
        old = text.of(bound)
        for step in (-1, 1):
            if isinstance(bound, ast.Constant) and type(bound.value) is int:
                new = str(bound.value + step)
            else:
                new = f"{old} {'+' if step > 0 else '-'} 1"
            yield Edit("range", text.start(bound), text.end(bound), new,
                       f"range bound `{old}` -> `{new}`")


def copy(node: ast.AST, parent: ast.AST | None, text: Text) -> Iterator[Edit]:
    """A copy dropped: np.array(x, ...) -> x, x.copy() -> x."""
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
        return
    func = node.func
    if func.attr == "array" and isinstance(func.value, ast.Name) and node.args:
        kept = node.args[0]
    elif func.attr == "copy" and not node.args and not node.keywords:
        kept = func.value
    else:
        return
    new = text.of(kept) if isinstance(kept, ATOMIC) else f"({text.of(kept)})"
    yield Edit("copy", text.start(node), text.end(node), new,
               f"copy dropped: `{' '.join(text.of(node).split())}` -> `{new}`")


def swap(node: ast.AST, parent: ast.AST | None, text: Text) -> Iterator[Edit]:
    """Two neighbouring positional arguments of a call swapped: f(a, b) -> f(b, a)."""
    if not isinstance(node, ast.Call) or any(isinstance(a, ast.Starred) for a in node.args):
        return
    name = node.func.attr if isinstance(node.func, ast.Attribute) else \
        getattr(node.func, "id", "")
    if name in ("range", "arange"):
        return
    for left, right in zip(node.args, node.args[1:]):
        first, second = text.of(left), text.of(right)
        if first == second:
            continue
        gap = text.source[text.end(left):text.start(right)]
        yield Edit("swap", text.start(left), text.end(right), second + gap + first,
                   f"arguments swapped: `{first}, {second}` -> `{second}, {first}`")


# in this order: where two operators write the same program, the first one names it
GENERATORS = (arithmetic, comparison, reduction, axis, range_bound, copy, swap, constant)


def function_hash(tree: ast.Module, name: str) -> str:
    """A short hash of a top-level function's syntax tree, docstring left out."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            body = node.body[1:] if node.body and _is_docstring(node.body[0], node) else \
                node.body
            dump = ast.dump(ast.Module(body=body, type_ignores=[]))
            return hashlib.sha256(dump.encode()).hexdigest()[:8]
    raise ValueError(f"no function {name}")


def edits(function: ast.FunctionDef, text: Text, lines: set[int]) -> Iterator[Edit]:
    """Every candidate edit of one function's solution region."""
    for node, parent in walk(function):
        if node is function or getattr(node, "lineno", None) not in lines:
            continue
        for generate in GENERATORS:
            yield from generate(node, parent, text)


def module_mutants(module: str, source: str) -> list[Mutant]:
    """The distinct mutants of one reference module, in source order."""
    tree, text, lines = ast.parse(source), Text(source), solution_lines(source)
    seen, found = {ast.dump(tree)}, []
    for function in tree.body:
        if not isinstance(function, ast.FunctionDef):
            continue
        for edit in edits(function, text, lines):
            mutated = source[:edit.start] + edit.text + source[edit.end:]
            try:
                mutated_tree = ast.parse(mutated)
            except SyntaxError:
                continue
            if ast.dump(mutated_tree) in seen:
                continue
            seen.add(ast.dump(mutated_tree))
            digest = function_hash(mutated_tree, function.name)
            found.append(Mutant(f"{module}.{function.name}/{edit.operator}/{digest}", module,
                                function.name, edit.operator, text.line_of(edit.start),
                                edit.change, mutated))
    return found


def generate(solutions: Path, modules: Iterable[str] = ()) -> list[Mutant]:
    """Every mutant of solutions/*.py (of the named modules only, when given)."""
    wanted = set(modules)
    found: list[Mutant] = []
    for path in sorted(solutions.glob("*.py")):
        if not wanted or path.stem in wanted:
            found += module_mutants(path.stem, path.read_text(encoding="utf-8"))
    return found
