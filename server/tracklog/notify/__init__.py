"""Real-time notifications: the event bus between processes and the per-user feed."""
