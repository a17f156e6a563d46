"""Sphinx configuration of the documentation site (built by `python docs/build.py`, or `make docs`)."""
import re

project = "mrm_research"
author = "mrm_research contributors"
extensions = ["myst_nb", "sphinx.ext.autodoc"]
exclude_patterns = ["_build", "measurements", "README.md", "**/.ipynb_checkpoints"]
html_theme = "furo"
html_title = "mrm_research"

# notebooks are executed by docs/build.py (the notebook test); Sphinx only renders the outputs stored in them
nb_execution_mode = "off"
nb_merge_streams = True
myst_enable_extensions = ["colon_fence", "dollarmath"]
myst_heading_anchors = 3
suppress_warnings = ["myst.header"]  # a notebook's sections may start below its title's level

autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "signature"
autodoc_preserve_defaults = True


def _plain(text: str) -> str:
    "Text written for readers of the code, made safe for reStructuredText: `code` becomes a literal, markup characters are escaped."
    out = []
    for part in re.split(r"(`[^`]+`)", text):
        if len(part) > 2 and part[0] == part[-1] == "`" and part[1:-1].strip(): out.append(f"``{part[1:-1].strip()}``")
        else: out.append(("\\ " if out and part[:1].isalnum() else "") + re.sub(r"([\\*_|\[\]<>`])", r"\\\1", part))  # "``x``s" needs an escaped space
    return "".join(out)


def add_docments(app, what, name, obj, options, lines):
    "Docstrings rendered as plain text, followed by the comment on each parameter (fastcore docments) as Sphinx fields."
    lines[:] = [_plain(line) for line in lines]
    if what not in ("function", "method", "class"): return
    try:
        from fastcore.docments import docments
        comments = docments(obj, full=True)
    except Exception: return  # objects docments cannot read (builtins, C extensions) keep their docstring alone
    fields = [f":param {parameter}: {_plain(value['docment'])}" for parameter, value in comments.items()
              if parameter != "return" and value.get("docment")]
    if comments.get("return", {}).get("docment"): fields.append(f":returns: {_plain(comments['return']['docment'])}")
    if fields: lines.extend(["", *fields])


def setup(app):
    app.connect("autodoc-process-docstring", add_docments)
