"""The CRM: contacts, companies, deals, tickets, pipelines and their timelines."""
