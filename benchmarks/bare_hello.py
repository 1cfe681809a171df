"""The first ceiling of the load benchmark: a bare Flask hello-world, served by the same
gunicorn settings as SIKD (``python -m gunicorn ... bare_hello:app``)."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, world!"
