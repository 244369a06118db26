"""Commands on arrays (``AR…``, Redis 8.x servers that have them)."""

from .replies import Sender, _S


class ArrayCommands(Sender[_S]):
    pass
