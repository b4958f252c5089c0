"""Imported in the photo workers' forkserver (app/photos/workers._context): it exits when the app process does."""

from app.core.orphans import watch_parent

watch_parent()
