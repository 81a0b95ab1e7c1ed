"""Copy the pictures of fig/ into the notebooks that show them, as cell attachments.

    python .ci/embed_figures.py            # after `python -m bpcourse.figures`

A markdown link such as ``![...](../fig/chain_rule.png)`` only works when Jupyter serves
the repository's folder: started inside notebooks/ (as ``jupyter lab notebooks/...`` does),
or with a notebook opened on its own, the picture is missing. An attachment travels inside
the notebook. This script turns each ``../fig/NAME.png`` link of a markdown cell into
``attachment:NAME.png`` and stores (or refreshes) that cell's copy of fig/NAME.png;
``tests/test_figures.py`` checks that every copy equals its file. Only the markdown cells
change, so the stored outputs stay as they are.
"""

import base64
import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LINK = re.compile(r"\]\((?:\.\./fig/|attachment:)([\w.\-]+\.png)\)")


def embed(notebook, fig_dir=REPO / "fig"):
    """Attach fig/ pictures to ``notebook``'s markdown cells; True if the file changed."""
    text = notebook.read_text(encoding="utf-8")
    nb = json.loads(text)
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        source = "".join(cell["source"])
        names = LINK.findall(source)
        if not names and "attachments" not in cell:
            continue
        cell["source"] = LINK.sub(r"](attachment:\1)", source).splitlines(keepends=True)
        cell["attachments"] = {
            name: {"image/png": base64.b64encode((fig_dir / name).read_bytes()).decode()}
            for name in sorted(set(names))
        }
        if not cell["attachments"]:
            del cell["attachments"]
    new = json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"  # as nbformat
    if new == text:
        return False
    # written whole, then renamed: an interrupted run leaves the old notebook, not half a one
    partial = notebook.with_suffix(".ipynb.partial")
    partial.write_text(new, encoding="utf-8")
    partial.replace(notebook)
    return True


def main(argv=None):
    paths = [Path(p) for p in (sys.argv[1:] if argv is None else argv)]
    for notebook in paths or sorted((REPO / "notebooks").glob("*.ipynb")):
        print(f"{notebook}: {'updated' if embed(notebook) else 'up to date'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
