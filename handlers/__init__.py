"""Conversations: read the Incoming, call core, build Replies. Channel-neutral, and never touch storage."""
