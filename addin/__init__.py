"""Outlook-side add-in files, carried in the package as tracklog.addin.files (an editable install
finds that package only by this file, now that tracklog.addin is a regular package)."""
