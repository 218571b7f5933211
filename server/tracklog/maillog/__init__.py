"""Logging mail to the CRM: who may be logged, the BCC receiver, parsing and associations."""
