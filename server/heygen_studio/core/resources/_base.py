"""What every resource module shares: the client it runs on, and response parsing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from ..errors import ResponseFormatError

if TYPE_CHECKING:
    from ..client import HeyGenClient

M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], data: Any, where: str) -> M:
    """Validate HeyGen's data against a response model; name the missing fields on failure."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields = sorted({".".join(str(p) for p in e["loc"]) or "<root>" for e in exc.errors()})
        raise ResponseFormatError(
            f"{where}: HeyGen's response lacks or mis-types field(s) {', '.join(fields)}"
        ) from None


class Resource:
    """One API area (openai-python's ``resources/<area>.py``), running on the shared client."""

    def __init__(self, client: HeyGenClient) -> None:
        self._c = client
