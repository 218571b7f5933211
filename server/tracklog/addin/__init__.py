"""The Outlook add-in's server side: the manifest template and its rendering."""
