"""Access control lists (``ACL …``): users, their rules, the log."""

from .replies import Sender, _S


class AclCommands(Sender[_S]):
    pass
