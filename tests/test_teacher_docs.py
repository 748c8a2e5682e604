"""The teacher's pages (the lesson plan, the slide-by-slide companion, the glossary), in English
and Japanese: every link they make leads to a file that exists and, with an anchor, to a heading
of that file (as GitHub names it), and each page has its other language beside it."""

import re

import pytest

from .support import ROOT

DOCS = ROOT / "docs"
PAGES = ["lesson-plan", "companion", "glossary"]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation (ASCII and full-width) dropped,
    spaces made hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path) -> set[str]:
    text = path.read_text("utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.S)  # a comment in code is no heading
    return {anchor(line.lstrip("#")) for line in text.splitlines() if line.startswith("#")}


@pytest.mark.parametrize("page", [f"{p}{s}.md" for p in PAGES for s in ("", ".ja")])
def test_every_link_leads_somewhere(page):
    path = DOCS / page
    links = LINK.findall(path.read_text("utf-8"))
    assert links
    for link in links:
        if link.startswith("http"):
            continue
        target, _, fragment = link.partition("#")
        resolved = (path.parent / target).resolve()
        assert resolved.exists(), (page, link)
        if fragment:
            assert fragment in anchors(resolved), (page, link)


def test_the_anchor_rule_is_githubs():
    assert anchor(" 1. Why shape matters") == "1-why-shape-matters"
    assert anchor(" 14. なぜ CNN なのか（数字で見る）") == "14-なぜ-cnn-なのか数字で見る"
    heading = " 9. Convolution レイヤと Pooling レイヤ"
    assert anchor(heading) == "9-convolution-レイヤと-pooling-レイヤ"


@pytest.mark.parametrize("page", PAGES)
def test_each_page_links_its_other_language(page):
    english, japanese = DOCS / f"{page}.md", DOCS / f"{page}.ja.md"
    assert f"]({japanese.name})" in english.read_text("utf-8")
    assert f"]({english.name})" in japanese.read_text("utf-8")
