"""A contact's data under control: export everything held about them, erase it on request."""
