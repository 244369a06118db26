"""Writes the typing stubs of the command methods as the asyncio client and
the pipelines have them, from the one place they are written: the families
of ``redwire/commands/`` (typed as the sync client returns them).

- ``awaited.pyi``: ``AwaitedCommands``, each method returning
  ``Awaitable[<the sync return type>]`` (the asyncio client);
- ``queued.pyi``: ``QueuedCommands``, each returning ``Any`` (a pipeline's
  method returns the pipeline, so that calls chain, or the reply itself
  after ``watch()``).

Run it after changing a command method: ``python tools/command_stubs.py``;
``--check`` fails when the stubs on disk are not what it would write (a
test runs it so).
"""

import ast
import copy
import re
import sys
from pathlib import Path
from typing import Dict, List, Set

COMMANDS = Path(__file__).resolve().parent.parent / "python" / "redwire" / "commands"
HEADER = '"""{what} Written by tools/command_stubs.py from the command families: do not edit."""\n\n'


def _families() -> Dict[str, ast.Module]:
    """The family modules (every module of the package but its helpers),
    by name, parsed."""
    return {
        path.stem: ast.parse(path.read_text(), str(path))
        for path in sorted(COMMANDS.glob("*.py"))
        if path.stem not in ("__init__", "replies")
    }


def _imports(families: Dict[str, ast.Module], used: str) -> List[str]:
    """The imports of what the stub's methods name (``used``): from the
    families' imports, and the aliases they define at their top level."""
    plain: Set[str] = set()
    names: Dict[str, Set[str]] = {"typing": {"Any", "Awaitable", "overload"}, ".replies": {"Sender", "_S"}}
    for family, module in families.items():
        for node in module.body:
            if isinstance(node, ast.Import):
                plain.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                source = "." * node.level + (node.module or "")
                names.setdefault(source, set()).update(alias.name for alias in node.names)
            elif isinstance(node, ast.Assign):
                names.setdefault(f".{family}", set()).update(t.id for t in node.targets if isinstance(t, ast.Name))
            elif isinstance(node, ast.ClassDef):
                names.setdefault(f".{family}", set()).add(node.name)
    lines = [f"import {name}" for name in sorted(plain) if re.search(rf"\b{name}\.", used)]
    for source, imported in sorted(names.items()):
        wanted = sorted(name for name in imported if re.search(rf"\b{name}\b", used))
        if wanted:
            lines.append(f"from {source} import {', '.join(wanted)}")
    return lines


def _methods(families: Dict[str, ast.Module], returns: str) -> List[str]:
    """Every public command method of the families' command classes (an overloaded
    one by its overloads), its parameters as written and its return type
    through ``returns`` (``{}``: the sync return type; one marked
    ``@at_once`` sends nothing and keeps its type)."""
    lines: List[str] = []
    for module in families.values():
        for node in module.body:
            if not isinstance(node, ast.ClassDef) or not _is_family(node):
                continue
            overloaded = {
                method.name
                for method in node.body
                if isinstance(method, ast.FunctionDef) and any(ast.unparse(d) == "overload" for d in method.decorator_list)
            }
            for method in node.body:
                if not isinstance(method, ast.FunctionDef) or method.name.startswith("_"):
                    continue
                if method.name in overloaded and not method.decorator_list:
                    continue  # a stub has an overloaded method's overloads only
                sync = ast.unparse(method.returns) if method.returns is not None else "Any"
                decorators = [ast.unparse(decorator) for decorator in method.decorator_list]
                returned = sync if "at_once" in decorators else returns.format(sync)
                lines += [f"    @{decorator}" for decorator in decorators if decorator != "at_once"]
                lines.append(f"    def {method.name}({_parameters(method.args)}) -> {returned}: ...")
    return lines


def _is_family(node: ast.ClassDef) -> bool:
    """Whether a class is a family of command methods (``XCommands(Sender[_S])``),
    not a helper class of the module."""
    return any(ast.unparse(base).startswith("Sender") for base in node.bases)


def _parameters(args: ast.arguments) -> str:
    """Parameters as written, their defaults ``...`` (as stubs have them)."""
    args = copy.deepcopy(args)
    args.defaults = [ast.Constant(...) for _ in args.defaults]
    args.kw_defaults = [None if d is None else ast.Constant(...) for d in args.kw_defaults]
    return ast.unparse(args)


def stubs() -> Dict[str, str]:
    """The stub files' names and texts."""
    families = _families()
    texts = {}
    for file, cls, what, returns in (
        ("awaited.pyi", "AwaitedCommands", "The command methods of the asyncio client: awaited.", "Awaitable[{}]"),
        (
            "queued.pyi",
            "QueuedCommands",
            "The command methods of a pipeline: the pipeline (calls chain), or the reply after watch().",
            "Any",
        ),
    ):
        body = f"class {cls}(Sender[_S]):\n" + "\n".join(_methods(families, returns)) + "\n"
        imports = "\n".join(_imports(families, body + "Sender"))
        texts[file] = HEADER.format(what=what) + imports + "\n\n\n" + body
    return texts


def main(argv: List[str]) -> int:
    stale = []
    for file, text in stubs().items():
        path = COMMANDS / file
        if "--check" in argv:
            if not path.exists() or path.read_text() != text:
                stale.append(file)
        else:
            path.write_text(text)
    if stale:
        print(f"stale typing stubs (run tools/command_stubs.py): {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
