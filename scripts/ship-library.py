"""Build content/ from ../shared/library: one pack per category with its sidecar and figures.

The seed (content/deep-learning.md) stays exactly as given; every other category comes from the
source repository's newest commit. Only figures a pack references are copied, PNGs recompressed
losslessly when Pillow is there. Run again after ../shared/library changes:

    .venv/bin/python scripts/ship-library.py [LIBRARY_DIR]
"""

from __future__ import annotations

import io
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.content.parser import parse_pack  # noqa: E402
from app.content.render import RenderContext, image_paths  # noqa: E402

REPOSITORY = "boostcamp-ai-tech-4/ai-tech-interview"
SEED_COMMIT = "afca6fa5c790493112165181d0262377948f0253"
NEWEST = "6e2068a8993098622fb8f0b30e49ba7a1e579890"
COPYRIGHT = "Copyright (c) 2021 boostcamp-ai-tech-4"

# slug, file at the newest commit, Korean title, English title, older paths of the same file
PACKS = [
    (
        "statistics",
        "1-statistics-math.md",
        "통계 / 수학",
        "Statistics and math",
        ["answers/statistics-math.md"],
    ),
    (
        "statistics-distribution",
        "statistics-math-distribution.md",
        "확률 분포",
        "Probability distributions",
        [],
    ),
    (
        "machine-learning",
        "2-machine-learning.md",
        "머신러닝",
        "Machine learning",
        ["answers/machine-learning.md"],
    ),
    ("python", "4-python.md", "파이썬", "Python", []),
    ("network", "5-network.md", "네트워크", "Networking", []),
    ("operating-system", "6-operating-system.md", "운영체제", "Operating systems", []),
    ("data-structure", "7-data-structure.md", "자료구조", "Data structures", []),
    ("algorithm", "8-algorithm.md", "알고리즘", "Algorithms", []),
]
ORDER = [
    "statistics",
    "statistics-distribution",
    "machine-learning",
    "deep-learning",
    "python",
    "network",
    "operating-system",
    "data-structure",
    "algorithm",
]


def sidecar(
    slug: str, title: str, title_en: str, commit: str, path: str, aliases: list[str]
) -> str:
    alias_list = ", ".join(f'"{a}"' for a in aliases)
    return (
        f'slug = "{slug}"\ntitle = "{title}"\ntitle_en = "{title_en}"\n'
        f"position = {ORDER.index(slug) + 1}\n\n"
        f'[source]\nrepository = "{REPOSITORY}"\ncommit = "{commit}"\npath = "{path}"\n'
        f'license = "MIT"\ncopyright = "{COPYRIGHT}"\naliases = [{alias_list}]\n'
    )


def copy_figures(text: str, slug: str, commit_dir: Path, path: str, out: Path) -> tuple[int, int]:
    ctx = RenderContext(slug, REPOSITORY, "x", path)
    entries = parse_pack(text).entries
    wanted = {p for e in entries for p in image_paths(e.answer_markdown, ctx)}
    target = out / slug
    if target.exists():
        shutil.rmtree(target)
    copied = missing = 0
    for rel in sorted(wanted):
        source = commit_dir / rel
        if not source.is_file():
            missing += 1  # broken upstream too: the page shows a stand-in with a link
            continue
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(recompress(source))
        copied += 1
    return copied, missing


def recompress(source: Path) -> bytes:
    data = source.read_bytes()
    if source.suffix.lower() != ".png":
        return data
    try:
        from PIL import Image
    except ImportError:
        return data
    buffer = io.BytesIO()
    with Image.open(source) as image:
        image.save(buffer, "PNG", optimize=True)  # lossless: same pixels, better deflate
    smaller = buffer.getvalue()
    return smaller if len(smaller) < len(data) else data


def main() -> None:
    library = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "library"
    out = ROOT / "content"
    seed = (out / "deep-learning.md").read_text(encoding="utf-8")
    (out / "deep-learning.toml").write_text(
        sidecar(
            "deep-learning", "딥러닝", "Deep learning", SEED_COMMIT, "answers/deep-learning.md", []
        ),
        encoding="utf-8",
    )
    print(
        "deep-learning",
        copy_figures(seed, "deep-learning", library / "afca6fa5", "answers/deep-learning.md", out),
    )
    for slug, name, title, title_en, aliases in PACKS:
        text = (library / "6e2068a8" / "answers" / name).read_text(encoding="utf-8")
        path = f"answers/{name}"
        (out / f"{slug}.md").write_text(text, encoding="utf-8")
        (out / f"{slug}.toml").write_text(
            sidecar(slug, title, title_en, NEWEST, path, aliases), encoding="utf-8"
        )
        print(slug, copy_figures(text, slug, library / "6e2068a8", path, out))


if __name__ == "__main__":
    main()
