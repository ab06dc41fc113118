"""A pool worker does not load long inputs ahead together (issue 19).

Loading ahead pays for short clips (one resampler filter, one mel call for
many); several 10-s clips held and resampled as one block cost more CPU a file
than one by one. A worker given such inputs loads the first (the others are
likely alike) and leaves the rest to load in turn, with the same numbers.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import soundfile as sf

from melcli import MelParams
from melcli.discover import Job, Task
from melcli.pipeline import load_ahead, process_one
from melcli.report import Status


def _clip(path: Path, seed: int, *, seconds: float, sr: int = 44100) -> Path:
    rng = np.random.default_rng(seed)
    y = 0.1 * rng.standard_normal((int(seconds * sr), 1))
    sf.write(path, y, sr, subtype="PCM_16")
    return path


def _task(src: Path, out: Path) -> Task:
    st = src.stat()
    job = Job(
        src, src.name, out / f"{src.stem}.npy", stamp=[st.st_size, st.st_mtime_ns]
    )
    return Task(job)


def test_long_inputs_are_not_loaded_ahead_together(tmp_path: Path) -> None:
    # 4 s at 44.1 kHz, mono: 176 400 samples each, 353 KB on disk (small
    # enough by bytes and by seconds to be loaded ahead until now).
    srcs = [_clip(tmp_path / f"long{i}.wav", i, seconds=4.0) for i in range(4)]
    assert all(s.stat().st_size < 1 << 20 for s in srcs)
    tasks = [_task(s, tmp_path) for s in srcs]
    opened: list[int] = []
    params = MelParams().validate()

    ahead = load_ahead(tasks, params=params, started=opened.append)

    assert opened == [0]
    assert set(ahead) == {tasks[0].job.src_name}
    # Short ones (1 s: 44 100 samples) are still loaded together.
    shorts = [_clip(tmp_path / f"short{i}.wav", i, seconds=1.0) for i in range(4)]
    ahead = load_ahead([_task(s, tmp_path) for s in shorts], params=params)
    assert {os.path.basename(n) for n in ahead} == {s.name for s in shorts}


def test_a_long_input_loaded_ahead_gives_what_it_gives_alone(tmp_path: Path) -> None:
    params = MelParams().validate()
    srcs = [
        _clip(tmp_path / f"c{i}.wav", i, seconds=s) for i, s in enumerate([1, 4, 1])
    ]
    (tmp_path / "alone").mkdir()
    (tmp_path / "ahead").mkdir()
    tasks = [_task(s, tmp_path / "ahead") for s in srcs]

    ahead = load_ahead(tasks, params=params)

    # The short one before it is kept, the long one too, what follows is not.
    assert {os.path.basename(n) for n in ahead} == {"c0.wav", "c1.wav"}
    for src, task in zip(srcs, tasks, strict=True):
        want = process_one(_task(src, tmp_path / "alone").job, params=params)
        got = process_one(task.job, params=params, ahead=ahead.get(task.job.src_name))
        assert got.status is want.status is Status.WRITTEN
        assert np.load(got.outputs[0]).tobytes() == np.load(want.outputs[0]).tobytes()
