"""The records and enums the core hands to the layers above, so that they never import storage.

They are storage's own frozen dataclasses (what a query returns) and the enums of its columns; this
module names them for handlers and the shell. Add a name here when a flow needs to read a new kind of
record, not a storage import there.
"""

from __future__ import annotations

from storage.agenda import AgendaItem, NewAgendaItem
from storage.broadcasts import Audience, Broadcast
from storage.conversations import Conversation
from storage.db import Database
from storage.delegations import (
    ACTIVE,
    Delegation,
    DelegationStatus,
    NewDelegation,
    PendingVisit,
    Proposal,
    VisitMode,
)
from storage.learned import LearnedAnswer, LearnedText
from storage.outbox import OutboxKind, OutboxRow, OutboxStatus
from storage.participants import Participant
from storage.personal_data import CoordinatedRecord, Erasure, Holdings, MembershipRecord
from storage.questions import Question, QuestionStatus
from storage.reminders import Reminder, ReminderKind, ReminderPrefs, ReminderStatus
from storage.reports import DelegationRecord, ParticipantRecord
from storage.users import Role, User

__all__ = [
    "ACTIVE",
    "AgendaItem",
    "Audience",
    "Broadcast",
    "Conversation",
    "CoordinatedRecord",
    "Database",
    "Delegation",
    "DelegationRecord",
    "DelegationStatus",
    "Erasure",
    "Holdings",
    "LearnedAnswer",
    "LearnedText",
    "MembershipRecord",
    "NewAgendaItem",
    "NewDelegation",
    "OutboxKind",
    "OutboxRow",
    "OutboxStatus",
    "Participant",
    "ParticipantRecord",
    "PendingVisit",
    "Proposal",
    "Question",
    "QuestionStatus",
    "Reminder",
    "ReminderKind",
    "ReminderPrefs",
    "ReminderStatus",
    "Role",
    "User",
    "VisitMode",
]
