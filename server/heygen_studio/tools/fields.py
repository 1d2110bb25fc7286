"""Length limits for the tools' free strings: every string a model may pass has a bound in its schema.

The SDK validates arguments with the signature's pydantic model, and ``registry.screen_arguments``
refuses an over-long string first, with the argument's name and its limit. The bounds are generous
for real use and close the door on 200,000-character junk (which used to reach HeyGen, or crash).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from ..core.models import MULTIPART_LIMIT_BYTES

ID_MAX = 128  # HeyGen ids are 32 hex characters; check_id allows 1-128 of [A-Za-z0-9_-.:]
JOB_REF_MAX = ID_MAX + 12  # "<kind>:<id>", the longest kind being "translation"
TOKEN_MAX = 512
SOURCE_MAX = 2048  # an http(s) URL, a local path or an asset id
LANGUAGE_MAX = 64
NAME_MAX = 200
BASE64_MAX = 4 * -(-MULTIPART_LIMIT_BYTES // 3) + 256  # the byte limit, base64-encoded, plus a data: URI prefix

Id = Annotated[str, Field(max_length=ID_MAX)]
JobRef = Annotated[str, Field(max_length=JOB_REF_MAX)]
Token = Annotated[str, Field(max_length=TOKEN_MAX)]
Source = Annotated[str, Field(max_length=SOURCE_MAX)]
LanguageName = Annotated[str, Field(max_length=LANGUAGE_MAX)]
Name = Annotated[str, Field(max_length=NAME_MAX)]

Limit = Annotated[int, Field(ge=1, le=20)]  # rows of a catalogue page
NextToken = Token | None  # the previous page's next_token
