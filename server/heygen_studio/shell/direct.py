"""The shell's way to the tools that have no MCP-only step: the workflow functions they call, run in this process.

``async with Direct(settings) as tools: await tools.call("list_jobs", {"limit": 5})`` builds the server's own state
(``house.open_state``: the job store, the wiring to HeyGen or the embedded sandbox) and runs the tool's workflow
function for the server's own user, ``Tenant(state)``, as the tool itself does. What it answers is what the tool
answers: its structured result (the workflow's model, ``model_dump(mode="json")``), and for a failure the tool's
error text (``workflow.errors.answer``), in shell words, as a ``ShellError``. No MCP SDK is imported; each tool's
workflow module is imported when that tool is called.

The paid commands keep ``Session`` (an in-process MCP client): their cost confirmation is an MCP elicitation.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from .. import startup
from .session import ProgressFn, ShellError, in_shell_words

if TYPE_CHECKING:
    from pydantic import BaseModel

    from ..settings import Settings
    from ..workflow.state import AppState
    from ..workflow.tenant import Tenant

Run = Callable[["Tenant", dict[str, Any], ProgressFn], Awaitable["BaseModel"]]


async def _unseen(progress: float, total: float | None, message: str | None) -> None:
    """Progress nobody shows."""


async def _list_jobs(state: Tenant, arguments: dict[str, Any], progress: ProgressFn) -> BaseModel:
    from ..workflow import jobs

    return jobs.list_jobs(state, arguments.get("limit", 10))


async def _wait_for_job(state: Tenant, arguments: dict[str, Any], progress: ProgressFn) -> BaseModel:
    from ..workflow import jobs

    async def report(done: float, message: str) -> None:  # as the tool reports it: a percentage
        await progress(done, 100, message)

    return await jobs.wait(state, arguments["job_id"], arguments.get("max_wait_s", 45), report)


async def _get_video(state: Tenant, arguments: dict[str, Any], progress: ProgressFn) -> BaseModel:
    from ..workflow import videos

    return await videos.get_video(state, job_id=arguments["job_id"])


async def _download_video(state: Tenant, arguments: dict[str, Any], progress: ProgressFn) -> BaseModel:
    from ..workflow import videos

    saved = await videos.download_video(state, job_id=arguments["job_id"], filename=arguments.get("filename"),
                                        captioned=arguments.get("captioned", False), progress=progress)
    return saved.out  # the tool's structured content; its text and resource links are for an MCP client


async def _list_voices(state: Tenant, arguments: dict[str, Any], progress: ProgressFn) -> BaseModel:
    from ..workflow import voices

    return await voices.list_voices(state, **arguments)


async def _list_avatars(state: Tenant, arguments: dict[str, Any], progress: ProgressFn) -> BaseModel:
    from ..workflow import avatars

    return await avatars.list_avatars(state, **arguments)


TOOLS: dict[str, Run] = {
    "list_jobs": _list_jobs, "wait_for_job": _wait_for_job, "get_video": _get_video,
    "download_video": _download_video, "list_voices": _list_voices, "list_avatars": _list_avatars,
}
"""The tools the shell runs without MCP, by the name an MCP client calls them (``tools/jobs.py`` …)."""


class Direct:
    """``Session``'s ``call`` for the tools in ``TOOLS``, without MCP."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._state: AppState | None = None

    async def __aenter__(self) -> Direct:
        from ..house import open_state

        self._state = open_state(self.settings)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._state is not None:
            await self._state.aclose()

    async def call(self, tool: str, arguments: dict[str, Any], progress: ProgressFn | None = None) -> dict[str, Any]:
        """The tool's structured result; its error text (one line, in shell words) as a ``ShellError``."""
        from ..workflow.errors import ANTICIPATED, answer
        from ..workflow.tenant import Tenant

        assert self._state is not None, "call it inside `async with Direct(settings)`"
        try:
            result = await TOOLS[tool](Tenant(self._state), arguments, progress or _unseen)
        except ANTICIPATED as exc:
            raise ShellError(in_shell_words(answer(exc))) from None
        finally:
            startup.release()  # the modules and the first call's objects are in (see ``startup``)
        return result.model_dump(mode="json", by_alias=True)  # as the SDK writes a tool's structured content
