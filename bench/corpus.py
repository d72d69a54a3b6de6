"""Generated article folders shared by the search and start-up cases of one run."""
import atexit
import shutil
import tempfile
from pathlib import Path

from bench.articles import write_articles

_ROOT: Path | None = None
_MADE: dict[int, Path] = {}


def folder(count: int) -> Path:
    """A folder with `count` generated articles per language (made once per run)."""
    global _ROOT
    if _ROOT is None:
        _ROOT = Path(tempfile.mkdtemp(prefix="hc-bench-articles-"))
        atexit.register(shutil.rmtree, _ROOT, True)
    if count not in _MADE:
        _MADE[count] = write_articles(_ROOT / str(count), count)
    return _MADE[count]
