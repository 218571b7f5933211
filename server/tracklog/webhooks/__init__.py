"""Signed webhooks: admins' URLs that receive engagement and logging events."""
