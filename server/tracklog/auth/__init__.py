"""Identity: accounts and users, passwords, personal API tokens, Entra ID tokens, sign-in."""
