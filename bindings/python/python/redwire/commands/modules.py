"""Server modules (``MODULE …``)."""

from .replies import Sender, _S


class ModuleCommands(Sender[_S]):
    pass
