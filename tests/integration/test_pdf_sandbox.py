"""The PDF sandbox (adapters/signing/sandbox.py): work in a child, within a time and memory limit.

Its limits are behaviour, and proved here by work made to break them: a child that outruns
its deadline is killed, one that asks for more memory than allowed is refused it, one that
dies is a refusal, not a hang; at most `concurrency` children run at once; and a child does
not import the parent's main module again (which, for `undersign serve`, would be the whole
application, for every PDF).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests import sandbox_tasks
from undersign.adapters.signing.sandbox import WAITING_PER_READER, MiB, PdfLimits, PdfSandbox
from undersign.application.shared.errors import InvalidDocument, PdfActiveContent, PdfReadersBusy, PdfTooComplex

ROOT = Path(__file__).resolve().parents[2]


def sandbox(**limits: object) -> PdfSandbox:
    return PdfSandbox(PdfLimits(**{"seconds": 10.0, "memory_bytes": 256 * MiB, **limits}))  # type: ignore[arg-type]


async def test_the_childs_answer_comes_back() -> None:
    data = os.urandom(5 * MiB)
    assert await sandbox().run(sandbox_tasks.echo, data) == data


async def test_a_child_past_its_deadline_is_refused_and_killed(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    with pytest.raises(PdfTooComplex, match="longer than 0.5 s"):
        await sandbox(seconds=0.5).run(sandbox_tasks.sleep_and_note, b"", str(pid_file), 60)

    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # gone, not left running


async def test_a_child_asking_for_more_memory_than_allowed_is_refused() -> None:
    assert await sandbox(memory_bytes=256 * MiB).run(sandbox_tasks.allocate, b"", 64) == 64 * MiB
    with pytest.raises(PdfTooComplex, match="more memory than allowed"):
        await sandbox(memory_bytes=64 * MiB).run(sandbox_tasks.allocate, b"", 512)


async def test_a_child_that_dies_or_recurses_without_end_is_a_refusal() -> None:
    with pytest.raises(PdfTooComplex):
        await sandbox().run(sandbox_tasks.die, b"")
    with pytest.raises(PdfTooComplex, match="too deeply"):
        await sandbox().run(sandbox_tasks.recurse, b"")


async def test_a_refusal_made_in_the_child_comes_back_as_it_was() -> None:
    with pytest.raises(PdfActiveContent, match="made in the child") as refused:
        await sandbox().run(sandbox_tasks.refuse, b"")
    assert isinstance(refused.value, InvalidDocument) and refused.value.code == "pdf_active_content"


async def test_at_most_concurrency_children_run_at_once(tmp_path: Path) -> None:
    log = tmp_path / "overlap.log"
    box = sandbox(concurrency=2)
    await asyncio.gather(*(box.run(sandbox_tasks.log_overlap, b"", str(log), 0.3) for _ in range(5)))

    running, most = 0, 0
    for line in log.read_text().splitlines():
        running += 1 if line.startswith("start") else -1
        most = max(most, running)
    assert most == 2 and running == 0


def test_children_do_not_import_the_parents_main_module_again(tmp_path: Path) -> None:
    imports = tmp_path / "imports.log"
    script = tmp_path / "main_module.py"
    script.write_text(textwrap.dedent(f"""
        import asyncio
        with open({str(imports)!r}, "a") as log:
            log.write("imported\\n")

        from undersign.adapters.signing.sandbox import PdfLimits, PdfSandbox
        from tests import sandbox_tasks

        async def main():
            box = PdfSandbox(PdfLimits())
            for _ in range(3):
                assert await box.run(sandbox_tasks.echo, b"x") == b"x"

        if __name__ == "__main__":
            asyncio.run(main())
    """))
    result = subprocess.run([sys.executable, str(script)], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert imports.read_text().splitlines() == ["imported"]  # the parent's own import only


async def test_past_its_line_the_sandbox_answers_busy_at_once(tmp_path: Path) -> None:
    box = sandbox(concurrency=1)
    capacity = 1 + WAITING_PER_READER
    slow = [asyncio.create_task(box.run(sandbox_tasks.sleep_and_note, b"", str(tmp_path / f"{n}.pid"), 1.0)) for n in range(capacity)]
    await asyncio.sleep(0.2)  # all admitted: one running, the rest waiting

    with pytest.raises(PdfReadersBusy):
        await box.run(sandbox_tasks.echo, b"x")
    await asyncio.gather(*slow)
    assert await box.run(sandbox_tasks.echo, b"x") == b"x"  # room again once they are done


async def test_a_child_waits_behind_the_api_process_for_the_cpu() -> None:
    assert await sandbox().run(sandbox_tasks.niceness, b"") > os.getpriority(os.PRIO_PROCESS, 0)
