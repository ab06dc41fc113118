"""The docs stay true: README.md and docs/*.md hold current --help text, document every
option, and every relative link in them leads to a file and heading that exist."""

from __future__ import annotations

import re
import subprocess
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from conftest import REPO

from melcli.cli import cli

#: The user guide and the reference pages mkdocs builds (docs/).
DOC_FILES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
DOCS = "\n".join(path.read_text(encoding="utf-8") for path in DOC_FILES)


def test_help_sections_are_current() -> None:
    files = [str(path.relative_to(REPO)) for path in DOC_FILES]
    result = subprocess.run(
        [sys.executable, "-m", "cogapp", "--check", *files],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"run `make docs`:\n{result.stdout}{result.stderr}"


def _commands() -> list[tuple[str, click.Command]]:
    assert isinstance(cli, click.Group)
    return [("", cli), *((f"{name} ", cmd) for name, cmd in cli.commands.items())]


@pytest.mark.parametrize(
    ("prefix", "command"), _commands(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_option_is_documented(prefix: str, command: click.Command) -> None:
    assert f"$ melcli {prefix}--help" in DOCS
    for param in command.params:
        for opt in [*param.opts, *param.secondary_opts]:
            if opt.startswith("-"):
                assert re.search(rf"(?<![\w-]){re.escape(opt)}(?![\w-])", DOCS), opt


_FENCE = re.compile(r"^(```|~~~)")
_LINK = re.compile(r"\[(?:[^\]\[]|\[[^\]]*\])*\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")


def _prose(text: str) -> list[str]:
    """The lines outside fenced and indented code blocks."""
    lines, fenced = [], False
    for line in text.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced and not line.startswith("    "):
            lines.append(line)
    return lines


def _github_slug(heading: str) -> str:
    """GitHub's anchor for a heading in a rendered README."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def _mkdocs_slug(heading: str) -> str:
    """Python-Markdown's toc anchor, as mkdocs renders docs/*.md."""
    text = unicodedata.normalize("NFKD", heading).encode("ascii", "ignore").decode()
    return re.sub(r"[-\s]+", "-", re.sub(r"[^\w\s-]", "", text).strip().lower())


def _anchors(path: Path, slug: Callable[[str], str]) -> set[str]:
    found = set()
    for line in _prose(path.read_text(encoding="utf-8")):
        match = _HEADING.match(line)
        if match:
            text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", match.group(1))
            found.add(slug(re.sub(r"[`*_]", "", text)))
    return found


def broken_links(path: Path) -> list[str]:
    """Each relative link in PATH whose file or heading does not exist."""
    # README.md is rendered by GitHub, docs/*.md by mkdocs: their anchors differ.
    slug = _mkdocs_slug if path.parent.name == "docs" else _github_slug
    broken = []
    for line in _prose(path.read_text(encoding="utf-8")):
        for target in _LINK.findall(re.sub(r"`[^`]*`", "", line)):
            if re.match(r"[a-z][a-z0-9+.-]*:", target):
                continue  # https:, mailto: ...
            file_part, _, anchor = target.partition("#")
            dest = (path.parent / file_part).resolve() if file_part else path
            if not dest.exists():
                broken.append(f"{target}: no such file")
            elif anchor and (
                dest.suffix != ".md" or anchor not in _anchors(dest, slug)
            ):
                broken.append(f"{target}: no such heading")
    return broken


@pytest.mark.parametrize("path", DOC_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_relative_links_resolve(path: Path) -> None:
    assert broken_links(path) == []


def test_broken_links_are_found(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "page.md").write_text("# A page\n\n## Storage: `--format x`\n")
    readme = tmp_path / "README.md"
    readme.write_text(
        "# Top\n\n"
        "[ok](docs/page.md) [ok](#top) [ok](https://example.org/x.md)\n"
        "[gone](docs/gone.md) [bad anchor](#nowhere) [bad](docs/page.md#a-pag)\n"
        "`[in code](docs/gone.md)`\n\n"
        "```\n[in a fence](docs/gone.md)\n```\n"
    )
    assert broken_links(readme) == [
        "docs/gone.md: no such file",
        "#nowhere: no such heading",
        "docs/page.md#a-pag: no such heading",
    ]
    page = tmp_path / "docs" / "page.md"
    links = "[ok](#storage-format-x) [ok](../README.md#top)\n"
    page.write_text(page.read_text() + links)
    assert broken_links(page) == []
