"""Course content: the files in `courses/`, their import, and Markdown."""
