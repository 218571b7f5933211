"""The audit log: every administrative act recorded with who, when and what changed."""
