"""Commands to a sentinel (``SENTINEL …``), on a client connected to one."""

from .replies import Sender, _S


class SentinelCommands(Sender[_S]):
    pass
