"""The command methods of redis-py's ``Redis``, shared by the sync and
asyncio clients and their pipelines, one module per family.

Each method builds the command's arguments and names how its raw reply
becomes the value redis-py returns (``SET`` → ``True``, ``HGETALL`` → a
``dict``, ...); the class it is mixed into decides when the command runs
(``_command``): at once, awaited, or queued in a pipeline.
"""

from . import core
from .acl import AclCommands
from .arrays import ArrayCommands
from .bless import BlessCommands
from .execute import ExecuteCommands
from .geo import GeoCommands
from .hashes import HashCommands
from .keys import KeyCommands
from .lists import ListCommands
from .modules import ModuleCommands
from .publishing import PublishingCommands
from .replies import Callback, Key, Value, _ok, _S
from .scans import ScanCommands
from .scripting import ScriptingCommands
from .sentinels import SentinelCommands
from .server import ServerCommands
from .sets import SetCommands
from .sorted_sets import SortedSetCommands
from .streams import StreamCommands
from .strings import StringCommands

__all__ = ["Callback", "Commands", "Key", "Value", "_S", "_ok", "core"]


class Commands(
    ExecuteCommands[_S],
    ServerCommands[_S],
    KeyCommands[_S],
    StringCommands[_S],
    HashCommands[_S],
    ListCommands[_S],
    SetCommands[_S],
    SortedSetCommands[_S],
    StreamCommands[_S],
    GeoCommands[_S],
    ScanCommands[_S],
    ScriptingCommands[_S],
    PublishingCommands[_S],
    AclCommands[_S],
    ModuleCommands[_S],
    SentinelCommands[_S],
    ArrayCommands[_S],
    BlessCommands[_S],
):
    """Every command method; a subclass defines ``_command(args, callback)``."""
