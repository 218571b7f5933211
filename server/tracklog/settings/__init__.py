"""Settings: the account's switches (admins), never-log lists, the logging address's rotation."""
