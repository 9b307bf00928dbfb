"""Sphinx configuration of the mscabm API reference (``make docs``; built offline, warnings are errors).

Only the API is built here: the guides, the model description and the glossary are plain Markdown
in docs/ and read as they are.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

project = "mscabm"
author = "mscabm developers"
copyright = "2026, mscabm developers"
extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.viewcode"]
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
napoleon_use_ivar = True  # Attributes sections as fields, not directives that clash with properties
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": False}
# the class docstring only (an __init__ without one would inherit mesa.Model.__init__'s)
autoclass_content = "class"
html_theme = "alabaster"
html_static_path: list[str] = []
exclude_patterns = ["_build"]
nitpicky = False
suppress_warnings = ["ref.python"]
