"""The command-line tools of `python -m bot`: ask, export, report, backup, faq export."""
