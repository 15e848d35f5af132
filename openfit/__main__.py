from openfit.cli import app

app()
