"""One module per HeyGen API area, named as in every layer (openai-python's ``resources/<area>.py``).

Each class is a namespace on ``HeyGenClient`` (``hg.videos``, ``hg.account``, ...) and runs on the
client's shared plumbing; the paths are the contract's (``shared/heygen-api/contract.json``).
"""

from .account import Account
from .assets import Assets
from .avatars import Avatars
from .lipsyncs import Lipsyncs
from .templates import Templates
from .translations import Translations
from .video_agents import VideoAgents
from .videos import Videos
from .voices import Voices
from .webhooks import Webhooks

__all__ = [
    "Account",
    "Assets",
    "Avatars",
    "Lipsyncs",
    "Templates",
    "Translations",
    "VideoAgents",
    "Videos",
    "Voices",
    "Webhooks",
]
