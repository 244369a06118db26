"""The command methods of redis-py's ``Redis``, shared by the sync and
asyncio clients and their pipelines, one module per family.

Each method builds the command's arguments and names how its raw reply
becomes the value redis-py returns (``SET`` → ``True``, ``HGETALL`` → a
``dict``, ...); the class it is mixed into decides when the command runs
(``_command``): at once, awaited, or queued in a pipeline.
"""

from .geo import GeoCommands
from .hashes import HashCommands
from .keys import KeyCommands
from .lists import ListCommands
from .publishing import PublishingCommands
from .replies import Callback, Key, Value, _ok
from .scans import ScanCommands
from .scripting import ScriptingCommands
from .server import ServerCommands
from .sets import SetCommands
from .sorted_sets import SortedSetCommands
from .streams import StreamCommands
from .strings import StringCommands

__all__ = ["Callback", "Commands", "Key", "Value", "_ok"]


class Commands(
    ServerCommands,
    KeyCommands,
    StringCommands,
    HashCommands,
    ListCommands,
    SetCommands,
    SortedSetCommands,
    StreamCommands,
    GeoCommands,
    ScanCommands,
    ScriptingCommands,
    PublishingCommands,
):
    """Every command method; a subclass defines ``_command(args, callback)``."""
