"""The admin's and the pages' date formats, one for both languages (FORMAT_MODULE_PATH):
2026-11-29 18:52, read-only or in a field, wherever a date is shown or typed."""
