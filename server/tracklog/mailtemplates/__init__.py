"""The team's mail templates: the library, what each template earns, its API and pages."""
