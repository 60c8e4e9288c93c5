"""Executes a notebook headlessly with Debian's nbclient and the Valence kernel; writes the result.

Usage: python3 run_notebook.py IN.ipynb OUT.ipynb   (JUPYTER_PATH must hold the "valence" kernel spec)
Exits 1 (after writing OUT) when a cell raised.
"""
import sys

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

source, target = sys.argv[1], sys.argv[2]
notebook = nbformat.read(source, as_version=4)
client = NotebookClient(notebook, kernel_name="valence", timeout=120, startup_timeout=60)
status = 0
try:
    client.execute()
except CellExecutionError as error:
    print(error, file=sys.stderr)
    status = 1
nbformat.write(notebook, target)
sys.exit(status)
