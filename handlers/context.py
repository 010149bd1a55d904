"""What a flow step works with while handling one message: the core Session (transaction, user, services),
the message itself, and the conversation the message found the user in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core import people
from core.messages import Button, Incoming, Recipient, Reply
from core.model import Conversation
from core.session import Session


@dataclass(frozen=True)
class Turn(Session):
    incoming: Incoming
    conversation: Conversation | None  # as it was when the message arrived
    released_held: int = 0  # messages held for this chat (outside WhatsApp's window) that this message released

    @property
    def locale(self) -> str:
        return self.user.language

    async def tell_staff(self, template: str, buttons: Sequence[Sequence[Button]] = (), **params: Any) -> list[Reply]:
        """The same notice to every staff member but the one acting, each in their own language."""
        rows = tuple(tuple(row) for row in buttons)
        return [
            Reply(template, params, buttons=rows, to=recipient)
            for recipient in await people.staff_to_tell(self.conn, self.services.staff, besides=self.user.id)
        ]


def tell(recipient: Recipient, template: str, buttons: Sequence[Sequence[Button]] = (), **params: Any) -> Reply:
    """A message to someone other than the user in this chat."""
    return Reply(template, params, buttons=tuple(tuple(row) for row in buttons), to=recipient)
