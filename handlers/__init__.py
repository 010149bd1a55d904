"""Conversation flows. Channel-neutral: they see Incoming and return Replies, nothing else."""
