"""The CDK app of Task Creator: one construct per capability, wired by ``stack.py``.

The function's package (``lambda/task_creator``) is installed into the virtualenv from the project's
configuration (``pyproject.toml``, ``pip install -e .``), so the stack validates the mapping file at
synth with the function's own loader without touching ``sys.path``.
"""
