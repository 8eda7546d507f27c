"""Entry point for gunicorn: `gunicorn wsgi:app`."""
import gc

from lms import create_app

app = create_app()

# Under `gunicorn --preload` this module runs once in the master before it forks the
# workers. Moving what exists now into the permanent generation keeps the cyclic
# garbage collector of each worker from touching (and so copying) those shared
# pages; it changes no behaviour and costs nothing without --preload.
gc.freeze()
