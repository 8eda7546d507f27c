"""The yardstick: a bare Flask app answering "Hello, World!", served by bench/run.py
under the same gunicorn settings as Frontera. Every page's requests/s is
printed as a ratio to this one, measured in the same run."""
from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello() -> str:
    return "Hello, World!"
