"""Per-key flags that change how the server treats a key (``BLESS …``, servers that have them)."""

from .replies import Sender, _S


class BlessCommands(Sender[_S]):
    pass
