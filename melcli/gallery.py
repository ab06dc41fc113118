"""``OUT/gallery/index.html``: a static page to look at and listen to a dataset.

:func:`build_gallery` reads OUT's manifest (:class:`melcli.manifest.Manifest`)
and writes, under ``OUT/gallery/``, files a browser opens from disk (no server,
no network):

- ``index.html``: the page and a summary (counts per status and per group);
  everything per input is in the data pages;
- ``data/page-NNNNN-TAG.js``: :data:`PAGE_SIZE` inputs each, sorted by group
  then name (``TAG``: a digest of the build's pages, which ``index.html``
  names, so that the index in place always shows its own pages);
  ``data/problems-NNNNN-TAG.js``: the failed and skipped inputs with their
  reasons. The page loads them with ``<script>`` elements (``fetch`` is not
  allowed on ``file://``), one at a time, as it shows or searches them: its
  first load is the same size whatever the dataset's;
- ``thumbs/p-HASH.png``: for each page, the spectrogram thumbnails of its
  inputs whose run drew no PNG, one row each (``--format webdataset`` arrays
  are read from their shards through the manifest's offsets). Named by a hash
  of what the rows show (each array's recorded size and mtime), so a re-run
  draws only the pages that changed; files no page uses any more are removed;
- waveforms: each input's min/max envelope is in the data pages (drawn on a
  canvas), with its peak and RMS level: the run recorded them in the
  manifest (:mod:`melcli.waveform`). An entry without them (an OUT from an
  older melcli, a file too long for memory) has no waveform, unless
  ``read_sources`` is set: then the envelope is read from the source file
  the manifest names, and ``cache.json`` keeps it by source and recorded size
  and mtime, so a re-run reads only the sources that changed. Not by default:
  the manifest is untrusted, and a crafted one could name any file on the
  machine (its envelope would be copied into OUT).

Everything in OUT is untrusted: names and reasons reach the page as JSON with
``<``, ``>`` and ``&`` escaped, and the page sets them as text, never as
markup; every path read is confined to OUT (a path leaving it is treated as a
missing output); links are relative and percent-encoded.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import json
import multiprocessing
import os
import posixpath
import re
import stat
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import quote

from . import interrupts, runners, waveform
from ._gallery_page import PAGE_SIZE, PAGE_TEMPLATE
from .errors import (
    MelcliError,
    ParameterError,
    describe_exception,
    did_you_mean,
    os_reason,
)
from .inputs import check_jobs, check_out_folder, path_of
from .labels import default_label, partly_labelled
from .manifest import (
    MANIFEST_NAME,
    Entry,
    Manifest,
    holds_manifest,
    read_only_problem,
    unfinished,
)
from .outdir import (
    LOCK_NAME,
    NpyFile,
    OutDir,
    OutputLock,
    check_recorded,
    not_a_folder,
    open_npy,
    read_if_small,
    read_regular,
    recorded_array,
    remove_leftovers,
    walk,
    with_remedy,
)
from .params import check_flag
from .report import display_path, plural
from .write import atomic_write, open_file, open_folder

if TYPE_CHECKING:
    import numpy as np

    from .storage.tarshards import Slice

#: The gallery's folder under OUT.
GALLERY_DIR = "gallery"
#: Failed and skipped inputs per data file.
PROBLEMS_PAGE_SIZE = 500
#: Groups listed in the page itself; more are counted, not listed.
MAX_GROUPS = 2000
#: Bump when thumbnails or envelopes are made differently: they are then redone.
THUMB_VERSION = 2
#: Size of a spectrogram thumbnail (one row of a page's sprite), in pixels.
CELL_WIDTH, CELL_HEIGHT = 200, 80
#: Of an array longer than THUMB_FRAMES, a thumbnail pools CELL_WIDTH evenly
#: spaced runs of THUMB_RUN frames, not every frame: an array of OUT may claim
#: a billion frames (a sparse file, its header fitting its size), whose rows
#: alone would not fit in memory. 79 min at 22050/512.
THUMB_RUN = 1024
THUMB_FRAMES = CELL_WIDTH * THUMB_RUN
#: Columns of a waveform envelope (as the run records them).
WAVE_COLUMNS = waveform.COLUMNS
#: The waveform envelopes of the last build, by source and its size and mtime.
CACHE_NAME = "cache.json"
#: ``group_by`` value that groups by the input's folder.
FOLDER = "folder"

_OK = ("written", "up-to-date")
#: A data page: its number, and the tag of its build's pages (none: older).
_DATA_NAME = re.compile(r"((?:page|problems)-\d{5})(-[0-9a-f]{12})?\.js")
_THUMB_NAME = re.compile(r"p-[0-9a-f]{24}\.png")


@dataclass
class GalleryReport:
    """What :func:`build_gallery` made.

    Attributes
    ----------
    index : Path
        ``OUT/gallery/index.html``.
    inputs, problems, groups, pages : int
        Inputs shown as cards, failed and skipped inputs listed, groups, and
        data pages of cards.
    failed, skipped : int
        Of the ``problems``, those that failed and those that were skipped.
    drawn, reused : int
        Pictures (thumbnails of arrays) drawn by this build, and those kept
        from an earlier one.
    waves_read, waves_reused : int
        Waveforms read from the sources by this build (``read_sources``), and
        those kept from an earlier one (waveforms the run recorded are in
        neither).
    from_run : int
        Inputs shown with the PNG the run drew (``--png``): nothing to draw.
    removed : int
        Files of an earlier build no page uses any more, deleted.
    notes : list of str
        Inputs whose picture or waveform could not be made, and why (the page
        says so on their card too), and what the build says about OUT.
    input_notes : list of (str, str)
        The notes about inputs, as ``(input, why)``: those of ``notes`` that
        name an input, to count alike ones (``source file not found`` for
        every input of an OUT whose sources were moved).
    unrecorded : int
        Inputs shown without a waveform because the run recorded none and
        ``read_sources`` was not set.
    """

    index: Path
    inputs: int = 0
    problems: int = 0
    groups: int = 0
    pages: int = 0
    drawn: int = 0
    reused: int = 0
    waves_read: int = 0
    waves_reused: int = 0
    from_run: int = 0
    removed: int = 0
    notes: list[str] = field(default_factory=list)
    input_notes: list[tuple[str, str]] = field(default_factory=list)
    unrecorded: int = 0
    failed: int = 0
    skipped: int = 0

    def to_json(self) -> dict[str, object]:
        """Return what the build did for ``melcli gallery --json``."""
        counts = (
            "inputs groups pages failed skipped drawn reused from_run "
            "waves_read waves_reused unrecorded removed"
        )
        return {
            "index": os.fsdecode(self.index),
            **{name: getattr(self, name) for name in counts.split()},
            "notes": list(self.notes),
        }

    def summary(self) -> str:
        """Say what the page shows and how its pictures were made, on one line.

        What ``melcli gallery`` prints last, after ``OUT/gallery/index.html:``
        (``8 inputs in 2 groups, 1 failed, 0 skipped; 8 pictures drawn, 0
        kept.``).
        """
        line = (
            f"{plural(self.inputs, 'input')} in {plural(self.groups, 'group')}, "
            f"{self.failed} failed, {self.skipped} skipped; "
        )
        pictures = []
        if self.from_run:
            pictures.append(f"{plural(self.from_run, 'picture')} from the run")
        if self.drawn or self.reused or not self.from_run:
            drawn = (
                f"{self.drawn} drawn"
                if pictures
                else f"{plural(self.drawn, 'picture')} drawn"
            )
            pictures.append(f"{drawn}, {self.reused} kept")
        line += ", ".join(pictures)
        if self.waves_read or self.waves_reused:  # read_sources
            read = plural(self.waves_read, "waveform")
            line += f"; {read} read from the sources, {self.waves_reused} kept"
        return line + "."


#: Called with (done, total) as inputs are processed.
Progress = Callable[[int, int], None]


@interrupts.stops_on_signals
def build_gallery(
    out: str | os.PathLike[str],
    *,
    group_by: str | None = None,
    waveforms: bool = True,
    read_sources: bool = False,
    page_size: int = PAGE_SIZE,
    jobs: int | None = None,
    progress: Progress | None = None,
) -> GalleryReport:
    """Write ``OUT/gallery/index.html`` and its files for the run in ``out``.

    Parameters
    ----------
    out : path-like
        A folder ``melcli mel`` wrote (it holds ``manifest.jsonl``).
    group_by : str or None
        ``"folder"``: group inputs by their folder under SRC. Any other value:
        by that column of the entries' ``meta`` labels (``--files-from``);
        entries without it form the group ``(no COLUMN)``. None: by the
        first of ``label``, ``class``, ``category`` that every written entry
        has, else by folder (:func:`melcli.labels.default_label`: as the
        loader labels them).
    waveforms, read_sources : bool
        Show each input's waveform envelope, the one the run recorded; with
        ``read_sources``, for an input without one (an older OUT, a file too
        long to hold), read from the source file the manifest names (kept in
        ``cache.json``), and each source file looked up, to note those not
        found. Only for an OUT you trust: the manifest names them. Without
        it, no file outside OUT is looked at: the page links each source as
        the manifest names it.
    page_size : int
        Inputs per page.
    jobs : int or None
        Processes drawing pages (forked, where the system has ``fork``);
        None: every CPU this process may use.
    progress : callable or None
        Called with ``(done, total)`` after each input.

    Returns
    -------
    GalleryReport

    Raises
    ------
    MelcliError
        If ``out`` has no manifest, or ``OUT/gallery`` is outside OUT or unwritable.
    UsageError
        If a run is writing to ``out`` (OUT's lock is held meanwhile, as
        ``melcli stats`` holds it).
    ParameterError
        If no entry's ``meta`` has the column ``group_by`` (nothing is written),
        ``jobs`` or ``page_size`` is less than 1, or ``out`` does not exist or
        is no folder (``param="out"``, in the command's words).
    """
    if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
        # A setting refused, as every other: ParameterError naming it.
        raise ParameterError(
            f"page_size={page_size!r} must be a positive integer", param="page_size"
        )
    check_out_folder(out)  # as the command says it; not the current folder
    check_jobs(jobs)  # 0 or -1 drew in one process without a word; -j refuses them
    check_flag("waveforms", waveforms)  # "no" was True
    check_flag("read_sources", read_sources)
    root = path_of(out, param="out")
    if not holds_manifest(root):
        if os.path.lexists(root / LOCK_NAME):  # a first run may be writing it
            with OutputLock(root):  # raises UsageError naming that run
                pass
        said = unfinished(root)
        if said is None:
            from .hints import not_an_out_hint

            said = (
                f"{root}: no {MANIFEST_NAME}: not the output of a run; "
                f"{not_an_out_hint(root)}"
            )
        raise MelcliError(said)
    with OutputLock(root):  # no run changes OUT's arrays while they are drawn
        return _build(
            root,
            group_by=group_by,
            waveforms=waveforms,
            read_sources=read_sources,
            page_size=page_size,
            jobs=jobs,
            progress=progress,
        )


def _build(
    root: Path,
    *,
    group_by: str | None,
    waveforms: bool,
    read_sources: bool,
    page_size: int,
    jobs: int | None,
    progress: Progress | None,
) -> GalleryReport:
    manifest = Manifest.load(root, read_only=True)
    entries = sorted(manifest.entries.values(), key=lambda e: str(e["key"]))
    column = _grouping(entries, group_by)
    gallery = _gallery_dir(root)
    left: list[str] = []  # what cannot be deleted: said as a note
    remove_leftovers(gallery, failures=left)  # of a build killed: it holds the lock
    cards = [e for e in entries if e.get("status") in _OK]
    problems = [e for e in entries if e.get("status") not in _OK]
    cards.sort(key=lambda e: (_group_of(e, column), _name_of(e)))
    report = GalleryReport(
        index=gallery / "index.html",
        notes=[*(read_only_problem(p) for p in manifest.problems), *left],
    )
    maker = _Maker(
        root,
        gallery,
        waveforms=waveforms,
        read_sources=read_sources,
        inputs=len(cards),
        page_size=page_size,
    )
    chunks = [cards[i : i + page_size] for i in range(0, len(cards), page_size)]
    labels = [[_group_of(e, column) for e in chunk] for chunk in chunks]
    pages: list[list[dict[str, Any]]] = []
    used: set[str] = set()
    waves: dict[str, str] = {}
    rows: dict[str, tuple[str, int, int]] = {}
    jobs = runners.default_jobs() if jobs is None else jobs
    for page in _make_pages(maker, chunks, labels, jobs=jobs, progress=progress):
        pages.append(page.records)
        used |= page.used
        waves.update(page.waves)
        rows.update(page.rows)
        report.drawn += page.drawn
        report.reused += page.reused
        report.waves_read += page.waves_read
        report.waves_reused += page.waves_reused
        report.unrecorded += page.unrecorded
        report.notes.extend(f"{name}: {why}" for name, why in page.notes)
        report.input_notes.extend(page.notes)
    cache = {"version": THUMB_VERSION, "waves": waves, "rows": rows}
    blob = _script_json(cache).encode("ascii")
    atomic_write(gallery / CACHE_NAME, functools.partial(_write_all, data=blob))
    records = [record for page in pages for record in page]
    groups = _groups(records)
    if group_by is None and (note := _one_group_note(entries, column, groups)):
        report.notes.append(note)
    if group_by is None and (note := _partly_labelled_note(entries, column)):
        report.notes.append(note)
    problem_pages = [
        [_problem(e) for e in problems[i : i + PROBLEMS_PAGE_SIZE]]
        for i in range(0, len(problems), PROBLEMS_PAGE_SIZE)
    ]
    # Named by a digest of all of them, which index.html names: until the
    # new index.html is in place, the old one shows its own pages (a build
    # stopped half way left the old page with the new build's data pages).
    tag = _pages_tag(pages, problem_pages)
    written = {
        *_write_pages(gallery, "page", pages, tag),
        *_write_pages(gallery, "problems", problem_pages, tag),
    }
    summary = _summary(
        root, entries, records, groups, column, page_size, len(pages), problems
    )
    summary["problemPages"] = len(problem_pages)
    summary["data"] = tag
    html = PAGE_TEMPLATE.replace("/*MELCLI_DATA*/", _script_json(summary))
    atomic_write(report.index, lambda f: _write_text(f, html))
    # A data page of the earlier build is not counted where this build has
    # its number: it is replaced (under its build's name), not gone.
    pages_now = {_page_of(name) for name in written}
    report.removed = sum(
        _page_of(name) not in pages_now
        for name in _remove_unused(gallery / "data", written, _DATA_NAME)
    )
    report.removed += len(_remove_unused(gallery / "thumbs", used, _THUMB_NAME))
    report.inputs, report.problems = len(records), len(problems)
    report.skipped = sum(1 for e in problems if e.get("status") == "skipped")
    report.failed = report.problems - report.skipped
    report.groups, report.pages = len(groups), len(pages)
    report.from_run = sum(1 for record in records if "f" in record)
    return report


# ---------------------------------------------------------------- grouping
def _grouping(entries: list[Entry], group_by: str | None) -> str:
    """Return the ``meta`` column to group by, or :data:`FOLDER`.

    Raises :class:`ParameterError` (``param="group_by"``) for a column no
    entry has, naming those there are.
    """
    if group_by == FOLDER:
        return group_by
    if group_by is not None:
        metas = [e["meta"] for e in entries if isinstance(e.get("meta"), dict)]
        columns = sorted({str(column) for meta in metas for column in meta})
        if group_by not in columns:
            choices = ", ".join(repr(c) for c in [FOLDER, *columns])
            raise ParameterError(
                f"group_by={group_by!r} is not a column of the manifest's meta "
                f"labels; choose one of {choices}"
                + did_you_mean(group_by, [FOLDER, *columns]),
                param="group_by",
            )
        return group_by
    return default_label(entries) or FOLDER  # as the loader labels them


def _group_of(entry: Entry, column: str) -> str:
    if column == FOLDER:
        folder = posixpath.dirname(_name_of(entry))
        return _text(folder) if folder else "(top folder)"
    meta = entry.get("meta")
    value = meta.get(column) if isinstance(meta, dict) else None
    return f"(no {column})" if value is None else _text(value)


def _name_of(entry: Entry) -> str:
    """Return the input's path under SRC (the manifest key for older entries)."""
    source = entry.get("source")
    if isinstance(source, str) and source:
        return source
    key = str(entry["key"])
    return key[len("src:") :] if key.startswith("src:") else key


#: How many columns :func:`_one_group_note` names.
COLUMNS_SHOWN = 5


def _one_group_note(
    entries: list[Entry], column: str, groups: list[list[Any]]
) -> str | None:
    """When every input is in one folder but a list labels them, say how to group.

    A table whose labels are in a column of another name than
    :data:`melcli.labels.LABEL_COLUMNS` (``species``): its inputs, in one
    folder, made one group, with nothing said of ``--group-by species``.
    """
    if column != FOLDER or len(groups) != 1:
        return None
    metas = [e["meta"] for e in entries if isinstance(e.get("meta"), dict)]
    columns = sorted({str(name) for meta in metas for name in meta})
    if not columns:
        return None
    shown = ", ".join(columns[:COLUMNS_SHOWN])
    more = ", ..." if len(columns) > COLUMNS_SHOWN else ""
    return (
        "every input is in one folder, so in one group; --group-by COLUMN "
        f"groups them by a column of their list: {shown}{more}"
    )


def _partly_labelled_note(entries: list[Entry], column: str) -> str | None:
    """When some inputs have a label column (``label``...), not all, say why by folder.

    An OUT of a ``path,label`` table's run and of a folder's: grouped by
    folder, as :func:`melcli.labels.default_label` rules (and the loader
    labels them), where grouping by ``label`` would show the rest as
    ``(no label)``.
    """
    if column != FOLDER or (partly := partly_labelled(entries)) is None:
        return None
    label, labelled, written = partly
    return (
        f"{labelled} of {plural(written, 'input')} have a '{label}' "
        "column, the others none: grouped by folder, as SpectrogramDataset "
        f"labels them; --group-by {label} groups by it"
    )


def _groups(records: list[dict[str, Any]]) -> list[list[Any]]:
    """``[name, count, first index]`` per group, in page order."""
    groups: list[list[Any]] = []
    for index, record in enumerate(records):
        if not groups or groups[-1][0] != record["g"]:
            groups.append([record["g"], 0, index])
        groups[-1][1] += 1
    return groups


# ------------------------------------------------------------------- cards
class _Maker:
    """Makes each input's card: its facts, links, picture and waveform.

    Thumbnails are drawn a page at a time into one picture per page (a
    sprite, one row per input), named by a hash of what its rows show: a
    page's pictures cost one file, and an unchanged page is not drawn again.
    Waveform envelopes go into the data pages, kept in ``cache.json`` by
    source and recorded size and mtime.
    """

    def __init__(
        self,
        out: Path,
        gallery: Path,
        *,
        waveforms: bool,
        read_sources: bool,
        inputs: int = 0,
        page_size: int = PAGE_SIZE,
    ) -> None:
        self.out = out
        self.outdir = OutDir(out)
        self.real_out = os.path.realpath(out)
        self.gallery = gallery
        #: The (device, inode) of the gallery's folders (made inside OUT, no
        #: link: :func:`_gallery_dir`), and whether each folder of OUT is one.
        self._gallery_ids = _folder_ids(gallery)
        self._in_gallery: dict[str, bool] = {}
        self.waveforms = waveforms
        self.read_sources = read_sources
        before = _read_cache(gallery / CACHE_NAME, inputs=inputs, max_rows=page_size)
        # The waveforms only when read from sources: not used otherwise.
        self.waves_before = before.waves if read_sources else {}
        #: Where an earlier build drew each thumbnail: pages regrouped
        #: (``group_by``) or shifted copy them rather than draw them again.
        self.rows_before = before.rows
        self.sprites_before: dict[str, Any] = {}  # a few, decoded: name -> pixels
        self.done = _PageDone()

    def card(self, entry: Entry, group: str) -> _Card:
        name = _name_of(entry)
        record: dict[str, Any] = {
            "n": _text(name),
            "g": group,
            "d": _number(entry.get("duration")),
            "s": [int(x) for x in _list(entry.get("shape")) if _is_int(x)],
            "sr": _number(entry.get("sr")),
            "w": [_text(w) for w in _list(entry.get("warnings"))],
            "z": entry.get("silent") is True,
        }
        wave = entry.get("wave")  # what the run recorded (checked again: cheap)
        wave = wave if waveform.is_wave(wave) else None
        if wave is not None:
            record.update(_levels(wave))
            if self.waveforms:
                record["v"] = wave["env"]
        card = _Card(record=record, name=name)
        png = self._inside(entry.get("png"))
        if png is not None:
            record["i"] = record["f"] = self._url(png)  # the run's own figure
        else:
            card.array = self._array_location(entry)
            if card.array is None:
                card.notes.append("no picture: the array is missing")
        source = _source(entry)
        if source is not None and not self.read_sources:
            # OUT's word, linked as it is: no file outside OUT is looked at
            # because OUT names it (the page says so of one it cannot play).
            record["a"] = self._url(source)
        elif source is not None and os.path.isfile(source):
            record["a"] = self._url(source)
            if self.waveforms and wave is None:
                self._waveform(card, source, entry.get("input"))
        else:
            card.notes.append("source file not found")
        if self.waveforms and wave is None and not self.read_sources:
            self.done.unrecorded += 1
        return card

    def page(self, entries: list[Entry], groups: list[str]) -> _PageDone:
        """Make one page's cards and thumbnails; return them and what it took."""
        self.done = _PageDone()
        cards = [self.card(e, g) for e, g in zip(entries, groups, strict=True)]
        drawn = [c for c in cards if c.array is not None]
        if drawn:
            identities = [c.array[0] for c in drawn if c.array is not None]
            name = f"p-{_digest('sprite', THUMB_VERSION, identities)}.png"
            path = self.gallery / "thumbs" / name
            written = name
            if _sprite_kept(path, len(drawn)):  # else drawn over: a link, garbage
                self.done.reused += len(drawn)
            else:
                written = self._sprite(path, drawn)
            self.done.used.add(written)
            for row, card in enumerate(drawn):
                card.record.update(i=f"thumbs/{written}", r=row, k=len(drawn))
                if not any(n.startswith(_NO_PICTURE) for n in card.notes):
                    key = _row_key(card.array)
                    self.done.rows[key] = (written, row, len(drawn))
        for card in cards:
            if card.notes:
                card.record["x"] = card.notes
                self.done.notes.extend((card.name, n) for n in card.notes)
        self.done.records = [c.record for c in cards]
        return self.done

    # -- pictures
    def _sprite(self, path: Path, cards: list[_Card]) -> str:
        """Draw ``cards``' thumbnails into ``path``; return the name written.

        A sprite with a picture that could not be made is named otherwise:
        drawn again next time, so that the notes are too.
        """
        import numpy as np
        from PIL import Image

        from .render import _lut

        cells = []
        failed = False
        for card in cards:
            assert card.array is not None
            if (cell := self._drawn_before(card.array)) is not None:
                cells.append(cell)
                self.done.reused += 1
                continue
            try:
                array = card.array[1]()
                try:
                    cells.append(_thumbnail(array))
                finally:
                    if isinstance(array, NpyFile):
                        array.close()
                self.done.drawn += 1
            except (OSError, ValueError, MemoryError, MelcliError) as exc:
                reason = os_reason(exc) if isinstance(exc, OSError) else str(exc)
                why = reason or describe_exception(exc)
                if isinstance(exc, ValueError | MelcliError):  # its bytes: rebuilt
                    why = with_remedy(why)
                card.notes.append(f"{_NO_PICTURE}: {why}")
                cells.append(np.zeros((CELL_HEIGHT, CELL_WIDTH), np.uint8))
                failed = True
        image = Image.fromarray(np.concatenate(cells, axis=0), mode="P")
        image.putpalette(_lut("magma").tobytes())

        def write(f: BinaryIO) -> None:
            # Huffman coding alone: half the time of deflate's fastest level,
            # for a file some 18 % larger (palette indices repeat little).
            image.save(f, format="PNG", compress_level=1, compress_type=2)

        if failed:  # drawn again next time, so that the notes are too
            path = path.with_name(f"p-{_digest('failed', path.name)}.png")
        atomic_write(path, write)
        return path.name

    def _drawn_before(self, array: tuple[Any, Any]) -> Any:
        """Return the thumbnail of ``array`` an earlier build drew, if it is kept.

        Read from that build's sprite, which this build has not yet deleted
        (untrusted: one that is not a whole sprite of its size is not read).
        """
        import numpy as np

        found = self.rows_before.get(_row_key(array))
        if found is None:
            return None
        name, row, rows = found
        pixels = self.sprites_before.get(name)
        if pixels is None:
            pixels = _read_sprite(self.gallery / "thumbs" / name, rows)
            if pixels is None:
                return None
            if pixels.shape != (rows * CELL_HEIGHT, CELL_WIDTH):
                return None
            if len(self.sprites_before) >= _SPRITES_HELD:
                self.sprites_before.pop(next(iter(self.sprites_before)))
            self.sprites_before[name] = pixels
        return np.array(pixels[row * CELL_HEIGHT : (row + 1) * CELL_HEIGHT])

    def _waveform(self, card: _Card, source: str, stamp: object) -> None:
        key = _digest("wave", THUMB_VERSION, source, stamp)
        wave = self.waves_before.get(key)
        if wave is not None:
            self.done.waves_reused += 1
        else:
            try:
                wave = _wave_data(source)
            except (OSError, ValueError, MelcliError) as exc:
                reason = os_reason(exc) if isinstance(exc, OSError) else str(exc)
                card.notes.append(f"no waveform: {reason or describe_exception(exc)}")
                return
            self.done.waves_read += 1
        self.done.waves[key] = wave
        card.record["v"] = wave

    def _array_location(self, entry: Entry) -> tuple[Any, Callable[[], Any]] | None:
        """Return (identity, loader) of the entry's (first) array, or None."""
        from .storage import webdataset

        if webdataset.is_sample(entry):
            shard = self._inside(entry.get("shard"))
            if shard is None:
                return None
            try:
                samples = webdataset.entry_samples(entry)
                first = next(iter(samples.values()))["npy"]
                offset, size = int(first[0]), int(first[1])
            except (KeyError, TypeError, ValueError, IndexError, StopIteration):
                return None
            from .storage.tarshards import Slice

            member = Slice(Path(shard), offset, size)
            stamps = entry.get("stamps")
            stamp = stamps.get(entry["shard"]) if isinstance(stamps, dict) else None
            one = len(samples) == 1
            return (shard, offset, size, stamp), functools.partial(
                _as_recorded, entry if one else None, _open_member, member
            )
        npy = self._inside(entry.get("npy"))
        if npy is None:
            return None
        stamps = entry.get("stamps")
        stamp = stamps.get(entry.get("npy")) if isinstance(stamps, dict) else None
        arrays = [n for n in stamps if str(n).endswith(".npy")] if stamps else []
        one = isinstance(stamps, dict) and len(arrays) == 1
        return (npy, stamp), functools.partial(
            _as_recorded, entry if one else None, _load_npy, npy
        )

    # -- paths
    def _inside(self, rel: object) -> str | None:
        """Return ``OUT/rel`` if it is a regular file that stays in OUT, else None.

        Its folders judged as a run judges them (:class:`~melcli.outdir.OutDir`:
        a link by its text, nothing outside OUT looked at, not even to
        resolve it), the file itself looked up in its folder, a link in its
        place not followed (``os.path.realpath`` and ``isfile`` looked up
        whatever a link of OUT led to, outside too).
        """
        if self.outdir.file(rel) is None:
            return None
        assert isinstance(rel, str)
        if self._gallery_holds(rel.rpartition("/")[0]):
            return None  # the gallery's own files are not inputs' outputs
        return os.path.join(self.out, rel)

    def _gallery_holds(self, folder: str) -> bool:
        """Whether ``folder`` of OUT is one of the gallery's (or out of reach).

        Told by the folder itself, opened from OUT down (a link judged by its
        text), not by its path resolved: ``os.path.realpath`` of a folder
        swapped for a link since it was checked looked up what the link led
        to, outside OUT.
        """
        found = self._in_gallery.get(folder)
        if found is None:
            try:
                fd = open_folder(os.fspath(self.out), folder)
            except (OSError, ValueError):  # not there now, or leads out: not read
                found = True
            else:
                try:
                    st = os.fstat(fd)
                finally:
                    os.close(fd)
                found = (st.st_dev, st.st_ino) in self._gallery_ids
            self._in_gallery[folder] = found
        return found

    def _url(self, path: str) -> str:
        """Return a percent-encoded link to ``path`` relative to the gallery.

        The name's own bytes are encoded (``os.fsencode``): a name that is not
        valid UTF-8 links to its file as well (``caf%E9.wav``).
        """
        rel = os.path.relpath(os.path.abspath(path), os.path.abspath(self.gallery))
        return quote(os.fsencode(rel.replace(os.sep, "/")), safe="/")


@dataclass
class _PageDone:
    """One page: its records, and the files, envelopes and counts it took."""

    records: list[dict[str, Any]] = field(default_factory=list)
    used: set[str] = field(default_factory=set)
    waves: dict[str, str] = field(default_factory=dict)
    #: Where each thumbnail drawn or kept is: its key to (sprite, row, rows).
    rows: dict[str, tuple[str, int, int]] = field(default_factory=dict)
    drawn: int = 0
    reused: int = 0
    waves_read: int = 0
    waves_reused: int = 0
    unrecorded: int = 0
    notes: list[tuple[str, str]] = field(default_factory=list)


#: What the worker processes of :func:`_make_pages` work on (inherited by fork).
_WORK: tuple[_Maker, list[list[Entry]], list[list[str]]] | None = None


def _page_job(index: int) -> _PageDone:
    assert _WORK is not None
    maker, chunks, groups = _WORK
    with runners.task_scope():  # a SIGTERM removes the picture being written
        return maker.page(chunks[index], groups[index])


def _make_pages(
    maker: _Maker,
    chunks: list[list[Entry]],
    groups: list[list[str]],
    *,
    jobs: int,
    progress: Progress | None,
) -> Iterator[_PageDone]:
    """Yield each page made, in order: in ``jobs`` forked processes if several.

    Pages are independent (each its own picture); the workers inherit the
    entries and the waveform cache by ``fork`` rather than pickling them.
    """
    global _WORK
    done = 0
    total = sum(len(c) for c in chunks)
    if progress is not None:  # its clock starts before the first page, not after
        progress(0, total)
    fork = "fork" in multiprocessing.get_all_start_methods()
    if jobs <= 1 or len(chunks) < 2 * jobs or not fork:
        pages: Iterable[_PageDone] = (
            maker.page(c, g) for c, g in zip(chunks, groups, strict=True)
        )
        for page in pages:
            done += len(page.records)
            if progress is not None:
                progress(done, total)
            yield page
        return
    from concurrent.futures import ProcessPoolExecutor

    _WORK = (maker, chunks, groups)
    # The workers leave Ctrl-C (which a terminal sends to every process of
    # the group) to this process, as a run's do: with this process's handlers
    # they printed a traceback each. This process stops them when it stops.
    context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(
        jobs, mp_context=context, initializer=_init_worker, initargs=(os.getpid(),)
    )
    stopped: list[Any] = []
    hook = _CancelledPagesQuiet.install()
    try:
        size = max(1, len(chunks) // (jobs * 8))
        with interrupts.signals_blocked():  # forked here: blocked until set up
            pages = pool.map(_page_job, range(len(chunks)), chunksize=size)
        for page in pages:
            done += len(page.records)
            if progress is not None:
                progress(done, total)
            yield page
    except BaseException:
        stopped = _stop_workers(pool)
        raise
    finally:
        killer = _kill_later(stopped)
        try:
            pool.shutdown(wait=True, cancel_futures=True)
        finally:
            killer.cancel()
            hook.remove()
            _WORK = None


class _CancelledPagesQuiet:
    """Keep Python 3.11's pool from printing a traceback as the gallery stops.

    Where the workers die (stopped by Ctrl-C) before the pool's manager thread
    has dropped the pages ``map()`` cancelled, 3.11's ``terminate_broken``
    sets an exception on a cancelled future: ``InvalidStateError``, raised in
    that thread, printed as a traceback (3.12 ignores it). Installed as
    ``threading.excepthook`` while the pool runs; every other exception goes
    to the hook there was.
    """

    def __init__(self, previous: Callable[[Any], object]) -> None:
        self.previous = previous

    @classmethod
    def install(cls) -> _CancelledPagesQuiet:
        hook = cls(threading.excepthook)
        threading.excepthook = hook
        return hook

    def __call__(self, args: Any) -> object:
        from concurrent.futures import InvalidStateError, process

        manager = getattr(process, "_ExecutorManagerThread", ())
        kind = args.exc_type
        if kind is not None and issubclass(kind, InvalidStateError):
            return None if isinstance(args.thread, manager) else self.previous(args)
        return self.previous(args)

    def remove(self) -> None:
        """Put the hook there was back, unless another was set meanwhile."""
        if threading.excepthook is self:
            threading.excepthook = self.previous


def _init_worker(parent: int) -> None:
    """Set up a page worker: stop signals are the command's, and it dies with it.

    Killed with SIGKILL, the command cannot stop its workers: they waited for
    pages forever, each holding a copy of the entries. The pictures they
    leave half written are removed by the next build.
    """
    runners.init_worker()
    runners.end_with_parent(parent)


#: Seconds a page worker sent SIGTERM has to leave before it is sent SIGKILL.
STOP_GRACE = 1.0


def _stop_workers(pool: Any) -> list[Any]:
    """Stop a pool's workers now, not after the pages they have queued.

    SIGTERM: a worker drawing a picture removes its temporary file and leaves.
    Return the workers, for :func:`_kill_later`.
    """
    processes = list((pool._processes or {}).values())
    stop = getattr(pool, "terminate_workers", None)  # Python 3.14
    if stop is not None:
        stop()
        return processes
    for process in processes:
        with contextlib.suppress(OSError, ValueError):
            process.terminate()
    return processes


def _kill_later(processes: list[Any]) -> threading.Timer:
    """SIGKILL those of ``processes`` still alive after a grace period.

    The pool's shutdown waits for every worker: one that did not leave on
    SIGTERM (its exit lost in a finalizer, the signal still blocked at its
    start, C code that does not return) held the command forever. Started
    while the shutdown waits, so that the pool meets its workers' ends in the
    order it always did; cancelled once it is done.
    """

    def kill() -> None:
        for process in processes:
            with contextlib.suppress(OSError, ValueError):
                if process.is_alive():
                    process.kill()

    timer = threading.Timer(STOP_GRACE, kill)
    timer.daemon = True
    if processes:
        timer.start()
    return timer


@dataclass
class _Card:
    """One input's record for the page, and what is left to draw for it."""

    record: dict[str, Any]
    name: str
    array: tuple[Any, Callable[[], Any]] | None = None
    notes: list[str] = field(default_factory=list)


#: How a PNG starts (its signature, then its IHDR chunk's length and type),
#: and how it ends (an empty IEND chunk and its CRC).
_PNG_START = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
_PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"


def _sprite_kept(path: Path, rows: int) -> bool:
    """Return whether ``path`` holds a whole sprite of ``rows`` thumbnails."""
    fd = _open_sprite(path, rows)
    if fd is None:
        return False
    os.close(fd)
    return True


def _open_sprite(path: Path, rows: int) -> int | None:
    """Open ``path`` if it holds a whole sprite of ``rows`` thumbnails.

    A regular file (not a link, nor a FIFO), starting as a PNG of the
    sprite's size and ending as a PNG: one an earlier build drew. Its name
    says what it shows; the file is OUT's, untrusted: another file put there
    (a hard link to anything, bytes cut short) is drawn over, not kept.
    Return its descriptor, so that what is read is the file checked.
    """
    try:
        fd = open_file(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size < 24 + len(_PNG_END):
            head = tail = b""
        else:
            head = os.pread(fd, 24, 0)
            tail = os.pread(fd, len(_PNG_END), st.st_size - len(_PNG_END))
    except OSError:
        head = tail = b""
    size = CELL_WIDTH.to_bytes(4, "big") + (rows * CELL_HEIGHT).to_bytes(4, "big")
    if head == _PNG_START + size and tail == _PNG_END:
        return fd
    os.close(fd)
    return None


def _read_sprite(path: Path, rows: int) -> Any:
    """Return the pixels of an earlier build's sprite of ``rows`` rows, or None.

    Untrusted (see :func:`_open_sprite`): one that does not decode as such a
    sprite is not read. ``rows`` is at most a page's inputs, so Pillow's
    guard against decompression bombs is not what bounds it; caught anyway.
    """
    import numpy as np
    from PIL import Image

    fd = _open_sprite(path, rows)
    if fd is None:
        return None
    try:
        with os.fdopen(fd, "rb") as file, warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(file) as image:
                if image.mode != "P":
                    return None
                pixels = np.asarray(image)
    except (
        OSError,
        ValueError,
        SyntaxError,
        MemoryError,
        Image.DecompressionBombError,
    ):
        return None
    if pixels.shape != (rows * CELL_HEIGHT, CELL_WIDTH):
        return None
    return pixels


#: The most bytes ``cache.json`` holds per input (a key and the longest envelope).
CACHE_PER_INPUT = 2 * waveform.MAX_COLUMNS + 64
#: And for where its thumbnail is (a key, a sprite's name, two numbers).
ROW_PER_INPUT = 96
#: How a card's note begins when its thumbnail could not be drawn.
_NO_PICTURE = "no picture"
#: How many earlier sprites a build holds decoded at once, to copy rows from.
_SPRITES_HELD = 4


@dataclass
class _Cache:
    """What an earlier build kept in ``cache.json``."""

    #: Waveform envelopes read from sources, by key.
    waves: dict[str, str] = field(default_factory=dict)
    #: Where each thumbnail is: its key (:func:`_row_key`) to (sprite, row, rows).
    rows: dict[str, tuple[str, int, int]] = field(default_factory=dict)


def _read_cache(path: Path, *, inputs: int, max_rows: int = PAGE_SIZE) -> _Cache:
    """Return what an earlier build kept (nothing if unreadable).

    It is in OUT, untrusted: a link is not followed, a FIFO not waited on, and
    JSON nested too deep for Python's parser is no cache either. Nor is a file
    larger than a build of ``inputs`` inputs writes (not read into memory),
    and only as many envelopes and thumbnails are kept, under keys such as a
    build makes, naming sprites such as a build names, of at most
    ``max_rows`` thumbnails (a page's: decoding one is bounded by it).
    """
    limit = (inputs + 1) * (CACHE_PER_INPUT + ROW_PER_INPUT)
    try:
        data = json.loads(read_regular(path, max_size=limit) or b"null")
    except (OSError, ValueError, RecursionError):
        return _Cache()
    if not isinstance(data, dict) or data.get("version") != THUMB_VERSION:
        return _Cache()
    found = _Cache()
    waves = data.get("waves")
    if isinstance(waves, dict):
        kept = (
            (k, v)
            for k, v in waves.items()
            if _CACHE_KEY.fullmatch(k) and waveform.is_envelope(v)
        )
        found.waves = dict(itertools.islice(kept, inputs))
    rows = data.get("rows")
    if isinstance(rows, dict):
        where = (
            (k, (v[0], v[1], v[2]))
            for k, v in rows.items()
            if _CACHE_KEY.fullmatch(k) and _is_row(v, max_rows)
        )
        found.rows = dict(itertools.islice(where, inputs))
    return found


def _is_row(value: object, max_rows: int) -> bool:
    """Whether ``value`` is a ``[sprite, row, rows]`` such as a build records."""
    return (
        isinstance(value, list)
        and len(value) == 3
        and isinstance(value[0], str)
        and _THUMB_NAME.fullmatch(value[0]) is not None
        and all(type(n) is int for n in value[1:])
        and 0 <= value[1] < value[2] <= max_rows
    )


def _row_key(array: tuple[Any, Any] | None) -> str:
    """Return the key of a thumbnail: what its array's identity says it shows."""
    assert array is not None
    return _digest("row", THUMB_VERSION, array[0])


#: A key of ``cache.json``: :func:`_digest`'s.
_CACHE_KEY = re.compile(r"[0-9a-f]{24}")


def _source(entry: Entry) -> str | None:
    for name in ("source_abs", "source_path"):
        value = entry.get(name)
        if isinstance(value, str) and value and "\0" not in value:
            return value
    return None


def _levels(wave: dict[str, Any]) -> dict[str, Any]:
    """Return the page's level facts of a valid ``"wave"`` field.

    ``pk``/``rm``: peak and RMS in dBFS, one decimal (None for silence);
    ``c``: true when the input looks clipped (:func:`melcli.waveform.is_clipped`).
    """
    return {
        "pk": _dbfs(wave["peak"]),
        "rm": _dbfs(wave["rms"]),
        "c": waveform.is_clipped(wave),
    }


def _dbfs(value: float) -> float | None:
    import math

    return round(20 * math.log10(value), 1) if value > 0 else None


def _problem(entry: Entry) -> dict[str, Any]:
    return {
        "n": _text(_name_of(entry)),
        "t": _text(entry.get("status", "unknown")),
        "r": _text(entry.get("error", "")),
    }


# -------------------------------------------------------------- drawing
def _as_recorded(
    entry: Entry | None, load: Callable[[Any], np.ndarray | NpyFile], where: Any
) -> np.ndarray | NpyFile:
    """Return ``load(where)``, refused if not the array ``entry`` records.

    ``entry`` is None for an entry of several arrays (segments as files).
    An array changed in place, its size and time kept, is not drawn as if
    it were the input's spectrogram: its card says why.
    """
    array = load(where)
    recorded = recorded_array(entry) if entry is not None else None
    if recorded is not None:
        try:
            check_recorded(array, recorded)
        except BaseException:
            if isinstance(array, NpyFile):
                array.close()
            raise
    return array


def _load_npy(path: str) -> np.ndarray | NpyFile:
    """Read a small array whole; open a large one, to read what a thumbnail needs.

    Its header checked (:func:`melcli.outdir.open_npy`). Never mapped: an
    array cut short by another program while it is read is a card's note,
    not a crash (:class:`melcli.outdir.NpyFile`).
    """
    return read_if_small(open_npy(path))


def _open_member(member: Slice) -> np.ndarray | NpyFile:
    """:func:`_load_npy` of a shard's member."""
    from .storage import webdataset

    return read_if_small(webdataset.open_npy(member))


def _thumbnail(S: np.ndarray | NpyFile) -> np.ndarray:
    """Draw ``S`` [shape=(n_bins, t) or (k, n_bins, t)] as one sprite cell.

    Returns indices into the 256 colours of magma (the sprite is a palette
    PNG: a third of the bytes to encode of RGB).

    Low bins at the bottom; stacked channels or segments (at most 4) one above
    the other; scaled (nearest) to :data:`CELL_WIDTH` x :data:`CELL_HEIGHT`,
    frames max-pooled first when there are more than columns; magma colours
    spanning the 2nd percentile to the maximum of the cell's values (MFCC's c0
    or a few outliers then do not flatten the rest). Of an array longer than
    :data:`THUMB_FRAMES`, runs of frames spread along it are pooled, not all.

    The cell's rows are picked first (a mel array has more bins than the cell
    has rows), then pooled by element-wise maxima of strided views (numpy
    reduces a short last axis slowly): a fifth of the time of pooling every
    bin with a reduction.
    """
    import numpy as np

    if not isinstance(S, NpyFile):
        S = np.asarray(S)
    if S.dtype.kind not in "fiu" or S.ndim not in (2, 3) or 0 in S.shape:
        raise ValueError(f"not a spectrogram: a {S.shape} {S.dtype} array")
    count = 1 if S.ndim == 2 else min(S.shape[0], 4)
    bins, frames = S.shape[-2:]
    y = np.arange(CELL_HEIGHT) * (count * bins) // CELL_HEIGHT  # top row first
    picked = y // bins, bins - 1 - y % bins  # (panel, bin) of each row
    starts = [0]
    if frames > THUMB_FRAMES:  # a run of frames per column, each pooled
        span = frames - THUMB_RUN
        starts = [i * span // (CELL_WIDTH - 1) for i in range(CELL_WIDTH)]
    if isinstance(S, NpyFile):  # read, those rows and runs only
        run = THUMB_RUN if frames > THUMB_FRAMES else frames
        rows = _read_rows(S, picked, starts, run)
    elif frames > THUMB_FRAMES:
        panels = S[np.newaxis] if S.ndim == 2 else S[:4]
        runs = np.array(starts, np.int64)[:, None] + np.arange(THUMB_RUN)
        at = picked[0][:, None, None], picked[1][:, None, None]
        rows = panels[(*at, runs)].max(axis=2).astype(np.float32)
    else:
        panels = S[np.newaxis] if S.ndim == 2 else S[:4]
        rows = panels[picked].astype(np.float32)
    if frames > THUMB_FRAMES:
        frames = CELL_WIDTH
    step = -(-frames // CELL_WIDTH)
    if step > 1:
        full = frames // step
        pooled = np.empty((CELL_HEIGHT, -(-frames // step)), np.float32)
        body = pooled[:, :full]
        np.copyto(body, rows[:, 0 : full * step : step])
        for k in range(1, step):
            np.maximum(body, rows[:, k : full * step : step], out=body)
        if pooled.shape[1] > full:  # the last, shorter stretch
            pooled[:, full] = rows[:, full * step :].max(axis=1)
        rows = pooled
    finite = rows[np.isfinite(rows)]
    if not finite.size:
        raise ValueError("the array holds no finite value")
    k = finite.size // 50  # the 2nd percentile (partition: no full sort)
    lo, hi = float(np.partition(finite, k)[k]), float(finite.max())
    hi = hi if hi > lo else lo + 1.0
    x = np.arange(CELL_WIDTH) * rows.shape[1] // CELL_WIDTH
    cell = rows[:, x]
    cell[np.isnan(cell)] = lo
    scaled = np.clip((cell - lo) * (255 / (hi - lo)) + 0.5, 0, 255)
    index: np.ndarray = scaled.astype(np.uint8)
    return index


def _read_rows(
    S: NpyFile, picked: tuple[np.ndarray, np.ndarray], starts: list[int], run: int
) -> np.ndarray:
    """Return the thumbnail's rows of ``S``, read from its file [shape=(rows, k)].

    ``picked``: the (panel, bin) of each row. One run of ``run`` frames
    from each of ``starts``: the whole row (one start, every frame), or
    each run pooled to its maximum (as :func:`_thumbnail` pools an array
    in memory). A read per panel's rows and run: what a thumbnail of a long
    array needs of its file, not the whole of it.
    """
    import numpy as np

    panels, bands = picked
    pooled = len(starts) > 1
    rows = np.empty((len(panels), len(starts) if pooled else run), np.float32)
    for panel in np.unique(panels):
        mine = panels == panel
        wanted = [int(b) for b in bands[mine]]
        for i, start in enumerate(starts):
            part = S.part(int(panel), start, start + run, wanted)
            if pooled:
                rows[mine, i] = part.max(axis=1)
            else:
                rows[mine] = part
    return rows


def _wave_data(source: str) -> str:
    """Return the min/max envelope of ``source``, all channels together, for the page.

    :data:`WAVE_COLUMNS` columns of (min, max), as the run records them
    (:func:`melcli.waveform.encode`): the page draws it on a canvas.
    Read with soundfile block by block (memory bounded by the block, whatever
    the length); other formats through :func:`melcli.render.waveform_envelope`
    (ffmpeg where melcli uses it).
    """
    try:
        envelope = _soundfile_envelope(source, WAVE_COLUMNS)
    except RuntimeError:  # soundfile's errors: not a format libsndfile reads
        from .params import MelParams
        from .render import waveform_envelope

        with warnings.catch_warnings():  # the run already recorded what they say
            warnings.simplefilter("ignore")
            wave, _ = waveform_envelope(source, MelParams(), columns=WAVE_COLUMNS)
        envelope = wave[0].T
    return waveform.encode(envelope)


def _soundfile_envelope(source: str, columns: int) -> np.ndarray:
    """Return (min, max) over all channels of ``columns`` stretches [shape=(k, 2)].

    Each stretch is ``ceil(frames / columns)`` frames (the last one shorter).
    The file is read block by block into one buffer, whole stretches at a
    time, each reduced by a reshape; 8- and 16-bit PCM as 16-bit integers (no
    conversion: the read costs a copy), the rest as float32. Channels are
    combined element by element (a reduction along a 2-long axis is some ten
    times slower in numpy).
    """
    import numpy as np
    import soundfile as sf

    with sf.SoundFile(source) as f:
        pcm = f.subtype in ("PCM_16", "PCM_S8", "PCM_U8")
        dtype, scale = ("int16", 1 / 32768) if pcm else ("float32", 1.0)
        per = -(-max(f.frames, 1) // columns)
        k = -(-max(f.frames, 1) // per)
        envelope = np.zeros((k, 2), np.float32)
        buffer = np.empty((per * max(1, (1 << 18) // per), f.channels), dtype)
        column = 0
        while column < k:  # (more frames than the header said are not read)
            n = len(f.read(len(buffer), dtype=dtype, always_2d=True, out=buffer))
            if n == 0:
                break
            block = buffer[:n]
            lo, hi = block[:, 0], block[:, 0]
            for channel in range(1, block.shape[1]):
                lo = np.minimum(lo, block[:, channel])
                hi = np.maximum(hi, block[:, channel])
            m = min(-(-n // per), k - column)
            if m * per > n:  # the last, shorter stretch: repeat its last value
                lo = np.concatenate([lo, np.repeat(lo[-1:], m * per - n)])
                hi = np.concatenate([hi, np.repeat(hi[-1:], m * per - n)])
            rows = slice(column, column + m)
            envelope[rows, 0] = lo[: m * per].reshape(m, per).min(axis=1) * scale
            envelope[rows, 1] = hi[: m * per].reshape(m, per).max(axis=1) * scale
            column += m
    return envelope


# ------------------------------------------------------------------ output
def _folder_ids(gallery: Path) -> set[tuple[int, int]]:
    """Return the (device, inode) of ``gallery`` and of every folder below it."""
    ids = set()
    for folder, _ in walk(gallery):  # links not followed
        with contextlib.suppress(OSError):
            st = os.lstat(folder)
            if stat.S_ISDIR(st.st_mode):
                ids.add((st.st_dev, st.st_ino))
    return ids


def _gallery_dir(out: Path) -> Path:
    """Create ``OUT/gallery`` (and its folders), refusing one that leads out of OUT."""
    gallery = out / GALLERY_DIR
    real_out = os.path.realpath(out)
    for path in (gallery, gallery / "data", gallery / "thumbs"):
        if os.path.islink(path):
            raise MelcliError(f"{path} is a symbolic link; remove it first")
        try:
            path.mkdir(exist_ok=True)
        except FileExistsError:  # a file, a FIFO...: say which
            raise MelcliError(f"cannot create {path}: {not_a_folder(path)}") from None
        except OSError as exc:
            raise MelcliError(f"cannot create {path}: {os_reason(exc)}") from None
        real = os.path.realpath(path)
        if os.path.commonpath([real, real_out]) != real_out or not path.is_dir():
            raise MelcliError(f"{path} is not a folder inside {out}")
    return gallery


def _page_text(kind: str, number: int, items: list[dict[str, Any]]) -> bytes:
    text = f"melcliPage({json.dumps(kind)},{number},{_script_json(items)});\n"
    return text.encode("utf-8")


def _pages_tag(*kinds: list[list[dict[str, Any]]]) -> str:
    """Return the digest of the data pages (12 hex digits), made one at a time."""
    digest = hashlib.sha256()
    for kind, pages in zip(("page", "problems"), kinds, strict=True):
        for number, items in enumerate(pages):
            digest.update(_page_text(kind, number, items))
    return digest.hexdigest()[:12]


def _write_pages(
    gallery: Path, kind: str, pages: list[list[dict[str, Any]]], tag: str
) -> Iterable[str]:
    for number, items in enumerate(pages):
        name = f"{kind}-{number:05d}-{tag}.js"
        write = functools.partial(_write_all, data=_page_text(kind, number, items))
        atomic_write(gallery / "data" / name, write)
        yield name


def _page_of(name: str) -> str:
    """Return the data page ``name`` is (``page-00003``), of whichever build."""
    found = _DATA_NAME.fullmatch(name)
    return found.group(1) if found else name


def _remove_unused(folder: Path, used: set[str], pattern: re.Pattern[str]) -> list[str]:
    """Delete files of ``folder`` named like ``pattern`` not in ``used``; name them."""
    removed = []
    for name in os.listdir(folder):
        if pattern.fullmatch(name) and name not in used:
            try:
                os.unlink(folder / name)
            except OSError:
                continue
            removed.append(name)
    return removed


def _summary(
    out: Path,
    entries: list[Entry],
    records: list[dict[str, Any]],
    groups: list[list[Any]],
    column: str,
    page_size: int,
    pages: int,
    problems: list[Entry],
) -> dict[str, Any]:
    statuses: dict[str, int] = {}
    for entry in entries:
        status = _text(entry.get("status", "unknown"))
        statuses[status] = statuses.get(status, 0) + 1
    reasons = common_reasons(
        _text(entry.get("error", "")) or "(no reason recorded)" for entry in problems
    )
    return {
        "title": _text(os.path.basename(os.path.abspath(out))),
        "inputs": len(records),
        "statuses": statuses,
        "silent": sum(1 for r in records if r["z"]),
        "clipped": sum(1 for r in records if r.get("c")),
        "warned": sum(1 for r in records if r["w"]),
        "groupBy": column,
        "groups": groups[:MAX_GROUPS],
        "groupCount": len(groups),
        "pageSize": page_size,
        "pages": pages,
        "problems": len(problems),
        "reasons": reasons[:50],
    }


#: A word of a reason that names a file or folder: it holds a ``/``, or ends
#: in an extension (``a.flac,``); and a number (``1.50``, ``0.14``).
_NAME_WORD = re.compile(r"[^\s(]*/[^\s),;]*|[^\s(/]+\.[A-Za-z][A-Za-z0-9]{0,4}\b")
_NUMBER_WORD = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d+)?(?![\w.])")
#: Words left out, one after another (a name with spaces): one left out.
_LEFT_OUT_RUN = re.compile(r"\u2026(?:[\s,]*\u2026)+")


def reason_kind(reason: str) -> str:
    """Return ``reason`` with the names of files and the numbers left out (``…``).

    ``output OUT/a.npy would also be written by audio/a.flac`` and its
    ``b.npy``/``b.flac`` twin are one kind: ``output … would also be
    written by …``; ``truncated: decoded 1.50 s of 3.00 s`` and every other
    cut file's, ``truncated: decoded … s of … s``.
    """
    kind = _NUMBER_WORD.sub("\u2026", _NAME_WORD.sub("\u2026", reason))
    return _LEFT_OUT_RUN.sub("\u2026", kind)


def common_reasons(reasons: Iterable[str]) -> list[tuple[str, int]]:
    """Count ``reasons`` by kind (:func:`reason_kind`), most common first.

    A kind met once is said as it is; a kind of several reasons, with the
    names and numbers they differ in left out (those they share are kept:
    ``not an audio file (format not recognised)`` stays whole).
    """
    counts: dict[str, int] = {}
    said: dict[str, str | None] = {}  # the reason, while all of a kind are it
    for reason in reasons:
        kind = reason_kind(reason)
        counts[kind] = counts.get(kind, 0) + 1
        if kind not in said:
            said[kind] = reason
        elif said[kind] != reason:
            said[kind] = None
    shown = [(said[kind] or kind, n) for kind, n in counts.items()]
    return sorted(shown, key=lambda kv: (-kv[1], kv[0]))


# ----------------------------------------------------------------- helpers
def _script_json(value: object) -> str:
    """JSON that is safe inside ``<script>``: no ``<``, ``>`` or ``&`` left."""
    text = json.dumps(value, ensure_ascii=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _write_text(f: BinaryIO, text: str) -> None:
    f.write(text.encode("utf-8"))


def _write_all(f: BinaryIO, data: bytes) -> None:
    f.write(data)


def _digest(*parts: object) -> str:
    blob = json.dumps([str(p) for p in parts]).encode("utf-8", "surrogateescape")
    return hashlib.sha256(blob).hexdigest()[:24]


def _text(value: object) -> str:
    r"""Return a manifest value as display text (whatever type a crafted file holds).

    As in melcli's log lines (:func:`melcli.report.display_path`), control and
    format characters (bidi overrides, zero-width) are shown as escapes, so a
    name cannot reorder what the page shows; undecodable bytes as ``\xNN``.
    """
    text = value if isinstance(value, str) else json.dumps(value)
    return display_path(text[:2000])


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        return number if number == number and abs(number) != float("inf") else None
    return None


__all__ = ["GALLERY_DIR", "GalleryReport", "build_gallery"]
