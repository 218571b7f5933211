"""Task pane pages, scripts, styles and translations, carried in the package as tracklog.taskpane
(an editable install finds that package only by this file)."""
