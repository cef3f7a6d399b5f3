"""The pure mapping core: envelope, rules, patterns, templates, rendering, limits, ClientToken, planning.

Nothing here imports boto3, reads the environment or does I/O: it is tested with plain values, and the
handler, the CLI's ``render`` and the tests share it, so what users preview is what the function sends.
"""
