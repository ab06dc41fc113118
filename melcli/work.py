"""What a run's workers run: one task (decode, transform, write one file).

:class:`TaskWork` is the callable :func:`melcli.batch.run_plan` hands its
runner: picklable, it travels to every pool worker. It lives apart from
:mod:`melcli.batch` (the run around the tasks: the manifest, the journal,
the storage formats) so that a worker, and the fork server the workers come
from (:mod:`melcli._zygote`), import what a task needs and nothing of the run
around it (SQLite, the manifest's code): the server's imports are on the
way to a pool's first file.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .discover import Task
    from .params import MelParams, RenderParams
    from .report import Result


class TaskWork:
    """Runs a task: :func:`melcli.pipeline.process_task`, imported on first use.

    The pipeline imports numpy, soundfile and soxr, about half of an
    up-to-date re-run's time; a run with nothing to build never needs them.

    A pool worker given several tasks at once first calls :meth:`prepare`
    (see :class:`melcli.runners.ProcessRunner`): small inputs are loaded
    ahead, together (:func:`melcli.pipeline.load_ahead`).
    """

    def __init__(
        self,
        params: MelParams,
        render: RenderParams | None,
        out: str | os.PathLike[str] | None = None,
    ) -> None:
        self.params = params
        self.render = render
        #: OUT: the task's outputs are written without leaving it
        #: (:func:`melcli.write.confine`), in whichever process runs it.
        self.out = None if out is None else os.fspath(out)
        self.ahead: dict[str, Any] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {
            "params": self.params,
            "render": self.render,
            "out": self.out,
            "ahead": {},
        }

    def __call__(self, task: Task) -> Result:
        """Run ``task``, with its input if :meth:`prepare` loaded it ahead."""
        from .pipeline import process_task
        from .write import confine

        ahead = self.ahead.pop(task.job.src_name, None) if self.ahead else None
        with contextlib.nullcontext() if self.out is None else confine(self.out):
            return process_task(
                task, params=self.params, render=self.render, ahead=ahead
            )

    def prepare(self, tasks: Sequence[Task], started: Callable[[int], None]) -> None:
        """Load the small inputs of ``tasks`` ahead; ``started(i)``: on ``tasks[i]``."""
        from .pipeline import load_ahead

        self.ahead = load_ahead(tasks, params=self.params, started=started)
