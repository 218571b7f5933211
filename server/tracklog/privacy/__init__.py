"""Privacy and data rights: a contact's export and erasure, recipients' opt-out, retention."""
