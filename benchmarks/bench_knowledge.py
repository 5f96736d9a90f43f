"""How long loading and validating the knowledge base takes, against just parsing its files.

Anchor: ``yaml.safe_load`` of the same YAML files (plus reading the study CSV), in the same
process. The ratio shows what validation and record building add on top of parsing. Also times
the cached ``load_knowledge()`` and the two look-ups the assessment uses most.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from benchmarks.timing import fmt_seconds, median_seconds
from regenaid.knowledge import load_knowledge, read_knowledge
from regenaid.knowledge.loader import default_data_dir


def _parse_only(folder: Path) -> None:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the loader's own parser
    for path in sorted(folder.rglob("*.yaml")):
        yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    (folder / "studies.csv").read_text(encoding="utf-8")


def main() -> None:
    folder = Path(str(default_data_dir()))
    parse = median_seconds(lambda: _parse_only(folder), repeat=5)
    full = median_seconds(lambda: read_knowledge(folder), repeat=5)
    kb = load_knowledge()
    cached = median_seconds(load_knowledge, repeat=7, number=10_000)
    status = median_seconds(lambda: kb.regulatory_status("exosome", "DE"), number=10_000)
    claims = median_seconds(
        lambda: kb.claims_about("exosome", "time_to_results", "acne_scars"), number=10_000
    )
    print(f"parse YAML + CSV only (anchor): {fmt_seconds(parse)}")
    print(f"read_knowledge (validate all):  {fmt_seconds(full)}  ratio {full / parse:.2f}x")
    print(f"load_knowledge() cached:        {fmt_seconds(cached)}")
    print(f"regulatory_status(exosome, DE): {fmt_seconds(status)}")
    print(f"claims_about(..., condition):   {fmt_seconds(claims)}")


if __name__ == "__main__":
    main()
