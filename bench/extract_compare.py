#!/usr/bin/env python3
"""Extraction comparison: where linkpost, trafilatura and readability-lxml start an article.

For every labelled page of the saved real-world articles
(shared/fixtures/realworld/article-html/postlight-parser/*.html) it takes the
text each tool extracts and checks whether that text starts where the article
body starts, as a person reading the page labelled it (bench/extract/labels.tsv).
See bench/EXTRACTION.md. A report, not a test: not run by CI.

    python3 bench/extract_compare.py [--labels FILE...] [--only SUBSTRING]
                                     [--failures] [--examples N] [--json]
                                     [--linkpost-bin PATH]

Setup, done on first run: a venv in bench/.venv-extract with trafilatura and
readability-lxml from PyPI (pinned below), and a release build of the
extract_dump example (several minutes from a cold target/; CARGO_TARGET_DIR is
honoured, as cargo does). --linkpost-bin runs a prebuilt extract_dump instead.

The tools:
- linkpost: the `summary` the extract_dump example prints for the page (the
  draft's summary, as a poll with `fetch_article = true` would write it; cut
  at 2000 characters).
- trafilatura: `trafilatura.extract(html, url=URL, include_comments=False)`,
  otherwise its defaults (plain-text output).
- readability-lxml: `readability.Document(html).summary()`, read as text with
  lxml (`text_content()`, a space around every block element).
The Python tools get the page as a str decoded as linkpost decodes it (BOM,
else UTF-8 when the bytes are valid UTF-8, else the meta charset, else UTF-8):
several saves declare Shift_JIS but were re-saved as UTF-8, and a tool that
trusted the declaration would be scored on the fixture's artefact. URL is the
page's og:url or canonical link, else https://fixtures.invalid/FILE, as
extract_dump does.

Scoring (the same for every tool): text is NFKC-normalised, case-folded, and
only the characters for which str.isalnum() is true are kept (punctuation,
quotes, dashes, whitespace dropped). For each page:
- start:    the normalised output starts with the normalised label (the pass);
- near:     the label begins within the first 300 normalised characters;
- anywhere: the label occurs somewhere in the output (the article is there,
            the start is wrong) - telling a wrong start from a missed article.
Each level includes the ones above it. No output (None, empty, an error) fails
all three.
"""

import argparse
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / "bench" / ".venv-extract"
# What the comparison reads with. lxml and lxml-html-clean are pinned too: they
# parse the page for both Python tools. Installed in two pip calls: the pip
# that Python 3.11's venv brings (23.2) trips over the two tools asking for
# lxml's html_clean extra under two spellings when resolved together.
PACKAGES = [
    ["trafilatura==2.3.1", "lxml==6.2.0", "lxml-html-clean==0.4.6"],
    ["readability-lxml==0.9"],
]
PINS = {spec.split("==")[0]: spec.split("==")[1] for group in PACKAGES for spec in group}
DEFAULT_PAGES = ROOT.parent / "shared" / "fixtures" / "realworld" / "article-html" / "postlight-parser"
DEFAULT_LABELS = ROOT / "bench" / "extract" / "labels.tsv"
TOOLS = ("linkpost", "trafilatura", "readability")
NEAR = 300
HEAD = 70
STAND_IN_BASE = "https://fixtures.invalid/"
# Elements read as a break between words when readability's HTML becomes text.
BLOCKS = {
    "address", "article", "aside", "blockquote", "br", "caption", "dd", "details", "div", "dl",
    "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5",
    "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table",
    "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}
VERDICTS = ("start", "near", "anywhere", "miss", "none")


# ---------------------------------------------------------------- setup


def fail(message):
    """It cannot run: no report, exit 2."""
    print(f"extract_compare: {message}", file=sys.stderr)
    sys.exit(2)


def venv_ready(python):
    """True when the venv's python has every pinned package at its pinned version."""
    probe = (
        "import sys\nfrom importlib.metadata import version, PackageNotFoundError\n"
        f"pins = {PINS!r}\n"
        "try:\n    ok = all(version(n) == v for n, v in pins.items())\n"
        "except PackageNotFoundError:\n    ok = False\n"
        "sys.exit(0 if ok else 1)\n"
    )
    return subprocess.run([str(python), "-c", probe], capture_output=True).returncode == 0


def ensure_venv(argv):
    """Re-runs this script inside the venv, creating it and installing the pinned tools first."""
    python = VENV / "bin" / "python"
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    try:
        if not python.exists():
            print(f"extract_compare: creating {VENV.relative_to(ROOT)}", file=sys.stderr)
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
            # Keep the venv out of git without touching .gitignore.
            (VENV / ".gitignore").write_text("*\n")
        if not venv_ready(python):
            for group in PACKAGES:
                print(f"extract_compare: installing {' '.join(group)} from PyPI", file=sys.stderr)
                subprocess.run(
                    [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *group],
                    check=True,
                )
            if not venv_ready(python):
                fail(f"{VENV} does not hold the pinned versions after installing: {PINS}")
    except (OSError, subprocess.CalledProcessError) as e:
        fail(f"setting up {VENV} failed: {e}")
    os.execv(str(python), [str(python), str(Path(__file__).resolve()), *argv])


def read_labels(paths):
    """{file: {"start", "kind", "note", "from"}} from TSV rows `file, start, kind, note`.
    A file labelled twice keeps its last row (with a warning)."""
    labels = {}
    for path in paths:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as e:
            fail(f"reading labels {path}: {e}")
        for n, line in enumerate(lines, 1):
            if not line.strip() or line.startswith("#"):
                continue
            cols = line.split("\t")
            if len(cols) < 3:
                warn(f"{path}:{n}: fewer than 3 tab-separated columns, skipped")
                continue
            file, start, kind = cols[0].strip(), cols[1].strip(), cols[2].strip()
            if kind not in ("article", "nonarticle"):
                warn(f"{path}:{n}: kind {kind!r} is neither article nor nonarticle, skipped")
                continue
            if not norm(start):
                warn(f"{path}:{n}: the start label has no letter or digit, skipped")
                continue
            if file in labels:
                warn(f"{path}:{n}: {file} labelled again (earlier in {labels[file]['from']}); this row wins")
            labels[file] = {"start": start, "kind": kind, "note": "\t".join(cols[3:]).strip(), "from": f"{path}:{n}"}
    return labels


def warn(message):
    print(f"extract_compare: warning: {message}", file=sys.stderr)


# ---------------------------------------------------------------- the pages


def decode_page(data):
    """The page as linkpost's extract::decode_html reads it with no Content-Type."""
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom):].decode(codec, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    m = re.search(rb"charset\s*=\s*[\"']?([A-Za-z0-9_:.-]+)", data[:1024], re.I)
    if m:
        try:
            return data.decode(m.group(1).decode("ascii"), errors="replace")
        except LookupError:
            pass
    return data.decode("utf-8", errors="replace")


def page_url(doc, file):
    """og:url or the canonical link, the first that is an http(s) URL; else the stand-in, as extract_dump does."""
    found = doc.xpath(
        '//meta[@property="og:url" or @name="og:url"]'
        ' | //link[contains(concat(" ", normalize-space(@rel), " "), " canonical ")]'
    )
    for el in found:
        raw = el.get("content") or el.get("value") or el.get("href")
        if raw and raw.strip().lower().startswith(("http://", "https://")):
            return raw.strip()
    return STAND_IN_BASE + file


def block_text(root):
    """text_content() with a space around every block element, so paragraphs do not run together."""
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.lower() in BLOCKS:
            el.text = " " + (el.text or "")
            el.tail = " " + (el.tail or "")
    return root.text_content()


def python_reads(pages):
    """{file: {"trafilatura": {...}, "readability": {...}, "page_text": str}} for every page."""
    import lxml.html
    import readability
    import trafilatura

    logging.disable(logging.CRITICAL)  # both tools log every page they find hard
    reads = {}
    for path in pages:
        file = path.name
        text = decode_page(path.read_bytes())
        entry = {"page_text": "", "trafilatura": {}, "readability": {}}
        url = STAND_IN_BASE + file
        try:
            doc = lxml.html.document_fromstring(text)
            url = page_url(doc, file)
            for el in doc.xpath("//script | //style | //noscript | //template"):
                el.drop_tree()
            entry["page_text"] = block_text(doc)
        except Exception as e:  # a page lxml cannot parse: the label check is skipped
            entry["page_error"] = repr(e)
        entry["url"] = url
        try:
            entry["trafilatura"] = {"text": trafilatura.extract(text, url=url, include_comments=False)}
        except Exception as e:
            entry["trafilatura"] = {"text": None, "error": f"raised {e!r}"}
        try:
            summary = readability.Document(text).summary()
            entry["readability"] = {"text": block_text(lxml.html.fromstring(summary)) if summary.strip() else None}
        except Exception as e:
            entry["readability"] = {"text": None, "error": f"raised {e!r}"}
        reads[file] = entry
    logging.disable(logging.NOTSET)
    return reads


def find_cargo():
    cargo = shutil.which("cargo")
    if cargo:
        return cargo
    home = Path.home() / ".cargo" / "bin" / "cargo"
    return str(home) if home.exists() else "cargo"


def linkpost_reads(pages, binary):
    """{file: {"text", "source", "error"}} from the extract_dump example."""
    if binary:
        cmd = [str(binary)]
        print(f"extract_compare: running {binary}", file=sys.stderr)
    else:
        cmd = [find_cargo(), "run", "--quiet", "--release", "--example", "extract_dump", "--"]
        print("extract_compare: running the extract_dump example (first build takes several minutes)", file=sys.stderr)
    try:
        done = subprocess.run([*cmd, *map(str, pages)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    except OSError as e:
        fail(f"running {cmd[0]} failed: {e}")
    if done.returncode != 0:
        fail(f"`{' '.join(cmd)} PAGES...` exited {done.returncode}")
    reads = {}
    for line in done.stdout.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            fail(f"extract_dump printed a line that is not JSON: {line[:120]!r}")
        reads[record.get("file")] = {
            "text": record.get("summary"), "source": record.get("source"), "error": record.get("error"),
        }
    missing = [p.name for p in pages if p.name not in reads]
    if missing:
        fail(f"extract_dump printed nothing for {len(missing)} pages, e.g. {missing[:3]}")
    return reads, " ".join(cmd)


# ---------------------------------------------------------------- scoring


def norm(text):
    """NFKC, case-folded, letters and digits only (str.isalnum)."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


def judge(output, label_norm):
    """(verdict, offset of the label in the normalised output or None)."""
    if output is None or not norm(output):
        return "none", None
    out = norm(output)
    at = out.find(label_norm)
    if at == 0:
        return "start", 0
    if at < 0:
        return "miss", None
    return ("near" if at < NEAR else "anywhere"), at


def head(text, width=HEAD):
    if text is None:
        return "(no output)"
    text = " ".join(text.split())
    if not text:
        return "(empty)"
    return text if len(text) <= width else text[:width] + "…"


def score(files, labels, lp, py):
    pages = []
    for file in files:
        label = labels[file]
        label_norm = norm(label["start"])
        page = {"file": file, "kind": label["kind"], "label": label["start"], "note": label["note"],
                "url": py[file]["url"], "tools": {}}
        page_text = py[file]["page_text"]
        page["label_in_page"] = label_norm in norm(page_text) if page_text else None
        reads = {"linkpost": lp[file], "trafilatura": py[file]["trafilatura"], "readability": py[file]["readability"]}
        for tool in TOOLS:
            read = reads[tool]
            verdict, offset = judge(read.get("text"), label_norm)
            result = {"verdict": verdict, "offset": offset, "chars": len(read.get("text") or ""),
                      "head": head(read.get("text"), 300)}
            if read.get("error"):
                result["error"] = read["error"]
            if tool == "linkpost":
                result["source"] = read.get("source")
            page["tools"][tool] = result
        pages.append(page)
    return pages


def totals(pages):
    """{tool: {group: {"pages", "start", "near", "anywhere", "none"}}}, each level cumulative."""
    groups = {"all": pages, "article": [p for p in pages if p["kind"] == "article"],
              "nonarticle": [p for p in pages if p["kind"] == "nonarticle"]}
    out = {}
    for tool in TOOLS:
        out[tool] = {}
        for name, group in groups.items():
            verdicts = [p["tools"][tool]["verdict"] for p in group]
            out[tool][name] = {
                "pages": len(group),
                "start": verdicts.count("start"),
                "near": sum(v in ("start", "near") for v in verdicts),
                "anywhere": sum(v in ("start", "near", "anywhere") for v in verdicts),
                "none": verdicts.count("none"),
            }
    return out


def pct(part, whole):
    return f"{100 * part / whole:.1f}%" if whole else "n/a"


# ---------------------------------------------------------------- report


def versions():
    from importlib.metadata import version

    return {name: version(name) for name in ("trafilatura", "readability-lxml", "lxml", "lxml-html-clean")}


def print_report(pages, t, ctx, args):
    v = ctx["versions"]
    n = len(pages)
    print(f"Where each tool's text starts, on {n} labelled pages of {ctx['pages_dir']} "
          f"({ctx['total_pages']} pages there)")
    print(f"labels: {', '.join(ctx['labels'])}")
    print(f"linkpost: `{ctx['linkpost_cmd']}` (summary); trafilatura {v['trafilatura']}; "
          f"readability-lxml {v['readability-lxml']} (lxml {v['lxml']})")
    print("start = the text begins with the label; near = the label begins in the first "
          f"{NEAR} normalised characters;")
    print("anywhere = the label is somewhere in the text (linkpost's summary stops at 2000 characters); "
          "no output = None, empty or an error\n")

    groups = [("all", "all"), ("article", "article"), ("nonarticle", "nonarticle")]
    for level, title in (("start", "starts at the article (the pass)"), ("near", "near the start"),
                         ("anywhere", "article found anywhere"), ("none", "no output")):
        print(f"{title}:")
        labels = [f"{name} ({t[TOOLS[0]][key]['pages']})" for key, name in groups]
        print("  " + f"{'tool':<12}" + "".join(f"{label:>22}" for label in labels))
        for tool in TOOLS:
            cells = []
            for key, _ in groups:
                g = t[tool][key]
                cells.append(f"{g[level]}/{g['pages']} {pct(g[level], g['pages']):>6}")
            print("  " + f"{tool:<12}" + "".join(f"{c:>22}" for c in cells))
        print()

    lp_sources = {}
    for p in pages:
        s = p["tools"]["linkpost"].get("source") or "(none)"
        lp_sources[s] = lp_sources.get(s, 0) + 1
    print("linkpost summary source: " + ", ".join(f"{k} {v}" for k, v in sorted(lp_sources.items())))
    not_found = [p["file"] for p in pages if p["label_in_page"] is False]
    if not_found:
        print(f"labels not found in their page's visible text (check the label): {', '.join(not_found)}")
    print()

    failing = [p for p in pages if any(r["verdict"] != "start" for r in p["tools"].values())]
    shown = failing if args.failures else pages
    examples = args.examples if args.examples is not None else (len(failing) if args.failures else 15)
    mark = {"start": "pass", "near": "near", "anywhere": "any", "miss": "miss", "none": "none"}
    width = max([len(p["file"]) for p in shown] + [4])
    print(f"Per page ({'pages where a tool does not pass' if args.failures else 'every labelled page'}; "
          f"pass/near/any/miss/none as above, @N = where the label begins in the normalised text):")
    rows = []
    for p in shown:
        cells = []
        for tool in TOOLS:
            r = p["tools"][tool]
            cell = mark[r["verdict"]]
            if r["verdict"] in ("near", "anywhere"):
                cell += f" @{r['offset']}"
            if tool == "linkpost" and r.get("source") not in (None, "article"):
                cell += f" [{r['source']}]"
            cells.append(cell)
        rows.append((p, cells))
    cw = [max([len(tool)] + [len(cells[i]) for _, cells in rows]) for i, tool in enumerate(TOOLS)]
    print(f"  {'file':<{width}}  {'kind':<10} " + " ".join(f"{tool:<{w}}" for tool, w in zip(TOOLS, cw)).rstrip())
    detailed = 0
    for p, cells in rows:
        fails = any(r["verdict"] != "start" for r in p["tools"].values())
        line = f"{'!' if fails else ' '} {p['file']:<{width}}  {p['kind']:<10} " + " ".join(f"{c:<{w}}" for c, w in zip(cells, cw))
        print(line.rstrip())
        if fails and detailed < examples:
            detailed += 1
            print(f"      label        {head(p['label'])}")
            for tool in TOOLS:
                r = p["tools"][tool]
                if r["verdict"] != "start":
                    text = f"(error: {r['error']})" if r.get("error") else head(r["head"])
                    print(f"      {tool:<12} {text}")
    if len(failing) > detailed:
        print(f"  (details shown for {detailed} of the {len(failing)} pages where a tool does not pass; --examples N for more)")
    print()
    for tool in TOOLS:
        g = t[tool]["all"]
        print(f"{tool}: starts at the article on {g['start']}/{g['pages']} pages ({pct(g['start'], g['pages'])}), "
              f"near {pct(g['near'], g['pages'])}, anywhere {pct(g['anywhere'], g['pages'])}")


def main(argv):
    parser = argparse.ArgumentParser(
        description="Compare where linkpost, trafilatura and readability-lxml start the article on "
        "the saved real-world pages, against labels of where each article starts. A report: exits 0 "
        "whatever the scores; 2 only when it cannot run (no labels or pages, venv setup, cargo). "
        "First run creates bench/.venv-extract and builds the extract_dump example.",
    )
    parser.add_argument("--labels", type=Path, nargs="+", default=[DEFAULT_LABELS], metavar="FILE",
                        help=f"label TSV files (file, start, kind, note; no header); several are merged (default {DEFAULT_LABELS})")
    parser.add_argument("--pages", type=Path, default=DEFAULT_PAGES, metavar="DIR",
                        help=f"folder of the saved pages (default {DEFAULT_PAGES})")
    parser.add_argument("--only", metavar="SUBSTRING", help="only the pages whose file name contains SUBSTRING")
    parser.add_argument("--linkpost-bin", type=Path, metavar="PATH",
                        help="a built extract_dump to run instead of `cargo run --release --example extract_dump`")
    parser.add_argument("--failures", action="store_true", help="per-page table: only pages where some tool does not pass")
    parser.add_argument("--examples", type=int, metavar="N",
                        help="failing pages shown with the label and each failing tool's first 70 characters "
                        "(default 15; every one with --failures)")
    parser.add_argument("--json", action="store_true", help="machine output: one JSON document with every page and the totals")
    args = parser.parse_args(argv)

    for path in args.labels:
        if not path.is_file():
            hint = " (bench/extract/labels.tsv is not there yet: pass --labels FILE...)" if path == DEFAULT_LABELS else ""
            fail(f"no labels at {path}{hint}")
    if not args.pages.is_dir():
        fail(f"no pages folder at {args.pages}; pass --pages DIR")
    if args.linkpost_bin and not args.linkpost_bin.is_file():
        fail(f"no extract_dump binary at {args.linkpost_bin}")
    ensure_venv(argv)

    all_pages = sorted(args.pages.glob("*.html"))
    labels = read_labels(args.labels)
    for file in sorted(set(labels) - {p.name for p in all_pages}):
        warn(f"{file} is labelled but is not a page in {args.pages}")
    pages = [p for p in all_pages if p.name in labels and (not args.only or args.only in p.name)]
    if not pages:
        fail("no labelled page to score" + (f" whose name contains {args.only!r}" if args.only else ""))

    lp, lp_cmd = linkpost_reads(pages, args.linkpost_bin.resolve() if args.linkpost_bin else None)
    py = python_reads(pages)
    scored = score([p.name for p in pages], labels, lp, py)
    t = totals(scored)
    ctx = {
        "pages_dir": str(args.pages), "total_pages": len(all_pages), "labels": [str(p) for p in args.labels],
        "linkpost_cmd": lp_cmd, "versions": versions(),
    }
    if args.json:
        json.dump({**ctx, "near_chars": NEAR, "totals": t, "pages": scored}, sys.stdout, indent=1, ensure_ascii=False)
        print()
    else:
        print_report(scored, t, ctx, args)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
