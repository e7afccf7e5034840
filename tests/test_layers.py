"""The direction of imports (DESIGN.md §2), read from the code's syntax trees: the faces stay thin, the core stays plain."""

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SDKS = ('openai', 'anthropic', 'ollama')
WEB = ('nicegui', 'fastapi', 'starlette')
RULES = {  # layer -> the top-level packages its modules must not import
    'ui': ('data', *SDKS),
    'api': ('data', *SDKS),
    'core': WEB,
    'data': WEB,
}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every module `path` imports, anywhere in it, with its line (relative imports stay inside the layer's package)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def violations(layer: str) -> list[str]:
    forbidden = RULES[layer]
    return [
        f'{path.relative_to(ROOT)}:{line} imports {module}'
        for path in sorted((ROOT / layer).rglob('*.py'))
        for line, module in imported_modules(path)
        if module.split('.')[0] in forbidden
    ]


@pytest.mark.parametrize('layer', sorted(RULES))
def test_no_module_imports_across_its_layer(layer: str) -> None:
    assert violations(layer) == [], f'{layer}/ must not import {", ".join(RULES[layer])}'


def test_the_check_sees_every_kind_of_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A check that finds nothing proves nothing: it must catch plain, from- and nested imports in any subpackage."""
    monkeypatch.setattr(sys.modules[__name__], 'ROOT', tmp_path)
    (tmp_path / 'ui' / 'pages').mkdir(parents=True)
    (tmp_path / 'ui' / 'pages' / 'page.py').write_text(
        'import openai\nfrom data.tables import User\nfrom ui import feedback\n\ndef later():\n    from anthropic import types\n'
    )
    (tmp_path / 'core').mkdir()
    (tmp_path / 'core' / 'service.py').write_text('import nicegui.ui\nfrom starlette import status\nimport sqlalchemy\n')
    assert [v.split(' imports ')[1] for v in violations('ui')] == ['openai', 'data.tables', 'anthropic']
    assert [v.split(' imports ')[1] for v in violations('core')] == ['nicegui.ui', 'starlette']
