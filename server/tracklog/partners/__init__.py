"""Partner collaboration: partnerships between accounts and the deals they share."""
