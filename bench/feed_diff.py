#!/usr/bin/env python3
"""Differential check: how linkpost and Python's feedparser read real feeds.

For every feed in the real-world index (shared/fixtures/realworld/feeds-index.tsv)
it parses the file with linkpost (the `feed_dump` cargo example, which calls
`linkpost::feed::parse_feed` as a poll does) and with feedparser, pairs the
entries by document index, and reports how often the two agree on each entry's
link and title. See bench/FEED_DIFF.md. A report, not a test: not run by CI.

    python3 bench/feed_diff.py [--index PATH] [--only SUBSTRING] [--json]

Setup, done on first run: a venv in bench/.venv-feeddiff with feedparser from
PyPI, and a release build of the example (several minutes from a cold target/).

How entries are judged (the way a reader would):
- link: feedparser's link, normalised as linkpost's canon rules do (scheme and
  host lower-cased, default port dropped, utm_* and the other tracking
  parameters of src/canon.rs dropped, the URL crate's percent-encoding and dot
  segments) with the fragment KEPT unless issue 12 calls it noise (#comments,
  #more-123, #respond, tracking such as #tk.rss_all), must equal linkpost's
  dedupe key (`canon::canonicalize` of its link). Entries that differ only by
  fragment must stay distinct, so another fragment linkpost drops is a
  difference.
  The "raw" figure compares with linkpost's link before canonicalisation.
- title: equal after HTML-unescaping, collapsing whitespace and dropping
  zero-width characters (feedparser's HTML-typed titles are read as text
  first, as linkpost does). An entry the reference reads without a title
  agrees when linkpost's title is the start of the entry's text as the
  reference reads it (linkpost titles an untitled entry from its text, as
  Miniflux does: the start, cut at a word near 100 characters, plus "…").
  These are counted apart ("derived"), and the strict figures, which count
  them as differences, are printed too.
Both sides resolve relative links against the same base: the feed's site link
from the index, standing in for the feed URL a poll would have, else
https://fixtures.invalid/PATH (a file:// base would make linkpost, which keeps
only http(s) links, drop every relative link: an artefact, not a reading).
A feedparser "link" that is no http(s) URL (it copies an Atom id such as
urn:uuid:... or tag:... into link when there is no link) counts as no link.
feedparser reads no JSON Feed; for a JSON document the reference is a plain
reading of the JSON Feed spec (items[].url, .title, .id), labelled "json".
"""

import argparse
import html
import html.parser
import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urljoin, urlsplit

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / "bench" / ".venv-feeddiff"
FEEDPARSER = "feedparser==6.0.14"
DEFAULT_INDEX = ROOT.parent / "shared" / "fixtures" / "realworld" / "feeds-index.tsv"

# Mirrors TRACKING_PARAMS in src/canon.rs (plus every utm_* name).
TRACKING_PARAMS = {
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "mc_cid", "mc_eid",
    "yclid", "igshid", "_hsenc", "_hsmi", "mkt_tok", "oly_anon_id", "oly_enc_id",
    "vero_id", "rb_clickid", "s_cid", "__s", "ref_src",
}
STAND_IN_BASE = "https://fixtures.invalid/"
DEFAULT_PORTS = {"http": 80, "https": 443}
# Zero-width characters a reader never sees in a title.
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
# Printable ASCII the URL standard percent-encodes, per component.
ENCODE = {"path": ' "<>`{}', "query": " \"<>'", "fragment": ' "<>`'}


# ---------------------------------------------------------------- setup


def fail(message):
    """Setup failed: no report, exit 2."""
    print(f"feed_diff: {message}", file=sys.stderr)
    sys.exit(2)


def ensure_venv(argv):
    """Re-runs this script inside the venv, creating it and installing feedparser first."""
    python = VENV / "bin" / "python"
    if Path(sys.prefix).resolve() == VENV.resolve():
        return
    try:
        if not python.exists():
            print(f"feed_diff: creating {VENV.relative_to(ROOT)}", file=sys.stderr)
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
            # Keep the venv out of git without touching .gitignore.
            (VENV / ".gitignore").write_text("*\n")
        probe = subprocess.run([str(python), "-c", "import feedparser"], capture_output=True)
        if probe.returncode != 0:
            print(f"feed_diff: installing {FEEDPARSER} from PyPI", file=sys.stderr)
            subprocess.run(
                [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", FEEDPARSER],
                check=True,
            )
    except (OSError, subprocess.CalledProcessError) as e:
        fail(f"setting up {VENV} failed: {e}")
    os.execv(str(python), [str(python), str(Path(__file__).resolve()), *argv])


def read_index(index, only):
    """The index rows as dicts, `abs` the feed file and `base` the base URL for relative links."""
    lines = index.read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    fixtures = index.resolve().parent.parent
    rows = []
    for line in lines[1:]:
        if not line.strip():
            continue
        row = dict(zip(header, line.split("\t")))
        if only and only not in row["path"]:
            continue
        row["abs"] = str(fixtures / row["path"])
        site = row.get("site_link", "")
        row["base"] = site if site.startswith(("http://", "https://")) else STAND_IN_BASE + row["path"]
        rows.append(row)
    return rows


def linkpost_read(rows):
    """linkpost's reading of every feed: {abs path: {"entries": [...], "error": str|None}}."""
    print("feed_diff: running the feed_dump example (first build takes several minutes)", file=sys.stderr)
    stdin = "".join(f"{row['abs']}\t{row['base']}\n" for row in rows)
    cmd = ["cargo", "run", "--quiet", "--release", "--example", "feed_dump"]
    try:
        done = subprocess.run(cmd, input=stdin, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    except OSError as e:
        fail(f"running cargo failed: {e}")
    if done.returncode != 0:
        fail(f"`{' '.join(cmd)}` exited {done.returncode}")
    read = {row["abs"]: {"entries": [], "error": None} for row in rows}
    for line in done.stdout.splitlines():
        record = json.loads(line)
        feed = read[record["path"]]
        if "error" in record:
            feed["error"] = record["error"]
        else:
            feed["entries"].append(record)
    return read


def reference_read(row):
    """The reference reading: feedparser, or the JSON Feed spec for a JSON document."""
    try:
        data = Path(row["abs"]).read_bytes()
    except OSError as e:
        return {"reader": "feedparser", "entries": [], "error": f"reading the file: {e}"}
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return json_feed_read(data, row["base"])
    import feedparser

    try:
        parsed = feedparser.parse(data, response_headers={"content-location": row["base"]})
    except Exception as e:  # feedparser is not meant to raise; report it if it does
        return {"reader": "feedparser", "entries": [], "error": f"feedparser raised {e!r}"}
    entries = []
    for e in parsed.entries:
        detail = e.get("title_detail") or {}
        link = e.get("link")
        texts = [c.get("value") for c in e.get("content") or []] + [e.get("summary")]
        entries.append({
            "link": link if is_web(link) else None,
            "title": e.get("title"),
            "title_html": detail.get("type") in ("text/html", "application/xhtml+xml"),
            "guid": e.get("id"),
            "texts": [t for t in texts if isinstance(t, str) and t.strip()],
        })
    error = None
    if parsed.get("bozo") and not entries:
        error = str(parsed.get("bozo_exception"))
    return {"reader": "feedparser", "entries": entries, "error": error}


def json_feed_read(data, base):
    """items[].url/title/id as the JSON Feed spec defines them; lenient about control characters."""
    try:
        doc = json.loads(data.decode("utf-8-sig", errors="replace"), strict=False)
    except ValueError as e:
        return {"reader": "json", "entries": [], "error": f"not JSON: {e}"}
    items = doc.get("items") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        return {"reader": "json", "entries": [], "error": "no items array (not a JSON Feed)"}
    entries = []
    for item in items:
        item = item if isinstance(item, dict) else {}
        url = item.get("url")
        texts = [item.get(key) for key in ("content_html", "content_text", "summary")]
        entries.append({
            "link": urljoin(base, url) if isinstance(url, str) and url.strip() else None,
            "title": item.get("title") if isinstance(item.get("title"), str) else None,
            "title_html": False,
            "guid": item.get("id"),
            "texts": [t for t in texts if isinstance(t, str) and t.strip()],
        })
    return {"reader": "json", "entries": entries, "error": None}


# ---------------------------------------------------------------- normalisation


def encode(text, component):
    """Percent-encodes what the URL standard (and so the url crate) would, leaving existing escapes."""
    out = []
    for ch in text:
        if 0x21 <= ord(ch) < 0x7F and ch not in ENCODE[component]:
            out.append(ch)
        else:
            out.extend(f"%{b:02X}" for b in ch.encode("utf-8"))
    return "".join(out)


def remove_dot_segments(path):
    """RFC 3986 section 5.2.4, as the url crate applies it to http(s) paths."""
    segments = path.split("/")
    out = []
    for i, segment in enumerate(segments):
        last = i == len(segments) - 1
        if segment in (".", ".."):
            if segment == ".." and len(out) > 1:
                out.pop()
            if last:
                out.append("")
        else:
            out.append(segment)
    return "/".join(out)


def norm_link(link, keep_fragment=True):
    """A link as linkpost's canon rules would key it, the fragment kept unless asked."""
    if link is None or not str(link).strip():
        return None
    link = str(link).strip()
    try:
        parts = urlsplit(link)
        port = parts.port
    except ValueError:
        return link
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        return link
    host = parts.hostname or ""
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        pass
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    if "@" in parts.netloc:
        netloc = parts.netloc.rsplit("@", 1)[0] + "@" + netloc
    path = remove_dot_segments(encode(parts.path or "/", "path"))
    kept = [
        pair for pair in parts.query.split("&")
        if pair and not is_tracking(pair.split("=", 1)[0])
    ]
    out = f"{scheme}://{netloc}{path}"
    if kept:
        out += "?" + encode("&".join(kept), "query")
    if keep_fragment and parts.fragment and not is_noise_fragment(parts.fragment):
        out += "#" + encode(parts.fragment, "fragment")
    return out


def is_noise_fragment(fragment):
    """Fragments issue 12 calls noise, which name no entry: a part of every
    page (#comments, #comment-12, #respond, #more-123) or tracking (#tk.*,
    #xtor=…, #utm_…). Written from the issue, not copied from src/canon.rs,
    so a canon bug still shows."""
    f = fragment.lower()
    base = f.rstrip("0123456789").rstrip("-_")
    return (
        base in ("comments", "comment", "respond", "more")
        or f.startswith(("tk.", "xtor=", "utm_"))
    )


def is_web(link):
    return isinstance(link, str) and link.strip().lower().startswith(("http://", "https://"))


def is_tracking(name):
    name = name.lower()
    return name.startswith("utm_") or name in TRACKING_PARAMS


class _Text(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []

    def handle_data(self, data):
        self.parts.append(data)

    def handle_starttag(self, tag, attrs):
        if tag in ("br", "p", "div", "li"):
            self.parts.append(" ")


def norm_title(title, is_html=False):
    if title is None:
        return None
    if is_html:
        parser = _Text()
        parser.feed(title)
        parser.close()
        title = "".join(parser.parts)
    title = html.unescape(title).translate(INVISIBLE)
    title = " ".join(title.split())
    return title or None


def is_derived_title(title, texts):
    """Whether linkpost's `title` for an entry the reference reads untitled is
    the start of one of the entry's texts (content or summary, read as HTML by
    the reference): linkpost cuts the text at a word near 100 characters,
    trims trailing punctuation and adds "…". White space is ignored, since
    the two HTML-to-text readings space blocks differently."""
    stem = "".join((title[:-1] if title.endswith("…") else title).split())
    if not stem:
        return False
    return any("".join((norm_title(text, True) or "").split()).startswith(stem) for text in texts)


# ---------------------------------------------------------------- comparison


def compare(row, ref, lp):
    n_ref, n_lp = len(ref["entries"]), len(lp["entries"])
    feed = {
        "path": row["path"], "format": row.get("format", ""), "kind": row.get("kind", ""),
        "reader": ref["reader"], "reference_error": ref["error"], "linkpost_error": lp["error"],
        "reference_entries": n_ref, "linkpost_entries": n_lp, "compared": max(n_ref, n_lp),
        "link": 0, "raw_link": 0, "title": 0, "both": 0, "derived_title": 0,
        "title_strict": 0, "both_strict": 0, "diffs": [],
    }
    for i in range(feed["compared"]):
        r = ref["entries"][i] if i < n_ref else None
        p = lp["entries"][i] if i < n_lp else None
        r_link = norm_link(r["link"]) if r else None
        # The dedupe key as linkpost made it: normalising it again would hide a canon bug.
        p_link = p["link"] if p else None
        p_raw = norm_link(p["raw_link"]) if p else None
        r_title = norm_title(r["title"], r["title_html"]) if r else None
        p_title = norm_title(p["title"]) if p else None
        link_ok = r is not None and p is not None and r_link == p_link
        title_strict = r is not None and p is not None and r_title == p_title
        derived = (
            not title_strict and r is not None and p is not None and r_title is None
            and p_title is not None and is_derived_title(p_title, r["texts"])
        )
        title_ok = title_strict or derived
        feed["link"] += link_ok
        feed["raw_link"] += r is not None and p is not None and r_link == p_raw
        feed["title"] += title_ok
        feed["both"] += link_ok and title_ok
        feed["derived_title"] += derived
        feed["title_strict"] += title_strict
        feed["both_strict"] += link_ok and title_strict
        if not (link_ok and title_ok):
            diff = {"index": i}
            if r is None or p is None:
                diff["missing"] = "reference" if r is None else "linkpost"
            if not link_ok:
                diff["link"] = {"reference": r_link, "linkpost": p_link}
                if r_link and p_link and norm_link(r_link, keep_fragment=False) == p_link:
                    diff["link"]["only_fragment"] = True
            if not title_ok:
                diff["title"] = {"reference": r_title, "linkpost": p_title}
                if r is not None and r_title is None and p_title:
                    diff["title"]["no_reference_title"] = True
            feed["diffs"].append(diff)
    return feed


def pct(part, whole):
    """A percentage truncated to one decimal, so that 100.0% means every one
    (2207 of 2208 reads 99.9%, not a rounded 100.0%)."""
    return f"{(1000 * part // whole) / 10:.1f}%" if whole else "n/a"


def totals(feeds):
    keys = ("compared", "link", "raw_link", "title", "both", "derived_title", "title_strict", "both_strict")
    t = {key: sum(f[key] for f in feeds) for key in keys}
    t["feeds"] = len(feeds)
    diffs = [d for f in feeds for d in f["diffs"]]
    t["link_only_fragment"] = sum(1 for d in diffs if d.get("link", {}).get("only_fragment"))
    t["title_missing_in_reference"] = sum(1 for d in diffs if d.get("title", {}).get("no_reference_title"))
    return t


def agreement_line(t, strict=False):
    n = t["compared"]
    title, both = ("title_strict", "both_strict") if strict else ("title", "both")
    return f"agreement: link {pct(t['link'], n)}, title {pct(t[title], n)}, both {pct(t[both], n)} over {n} entries"


def short(value, width=110):
    text = "(none)" if value is None else repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def print_report(feeds, index, examples):
    import feedparser

    print(f"linkpost vs feedparser {feedparser.__version__} (json: JSON Feed spec) over {len(feeds)} feeds of {index}")
    print("entries = reference/linkpost; link/raw/title/both = entries that agree; "
          "drv = of those titles, derived from an untitled entry's text; ! = a difference\n")
    width = max([len(f["path"]) for f in feeds] + [4])
    print(f"  {'feed':<{width}}  {'kind':<9} {'reader':<10} {'entries':>9} {'link':>5} {'raw':>5} {'title':>5} {'both':>5} {'drv':>4}")
    for f in feeds:
        mark = "!" if f["diffs"] else " "
        entries = f"{f['reference_entries']}/{f['linkpost_entries']}"
        kind = {"real-world": "real", "synthetic-or-spec": "synthetic", "fragment-or-non-feed": "fragment"}.get(f["kind"], f["kind"])
        print(f"{mark} {f['path']:<{width}}  {kind:<9} {f['reader']:<10} {entries:>9} {f['link']:>5} {f['raw_link']:>5} {f['title']:>5} {f['both']:>5} {f['derived_title']:>4}")

    differing = [f for f in feeds if f["diffs"]]
    print(f"\nFeeds with differences: {len(differing)}")
    for f in differing:
        print(f"\n{f['path']} ({f['format']}, {f['kind']}, reader {f['reader']}): entries {f['reference_entries']}/{f['linkpost_entries']}, "
              f"link {f['link']}, title {f['title']}, both {f['both']} of {f['compared']}")
        if f["reference_error"]:
            print(f"  reference error: {f['reference_error']}")
        if f["linkpost_error"]:
            print(f"  linkpost error: {f['linkpost_error']}")
        for d in f["diffs"][:examples]:
            head = f"  #{d['index']}"
            if "missing" in d:
                head += f" (no entry in {d['missing']})"
            print(head)
            if "link" in d:
                note = "  (differs only by the fragment)" if d["link"].get("only_fragment") else ""
                print(f"    link  {f['reader']:<10} {short(d['link']['reference'])}")
                print(f"          {'linkpost':<10} {short(d['link']['linkpost'])}{note}")
            if "title" in d:
                note = f"  (no title in {f['reader']})" if d["title"].get("no_reference_title") else ""
                print(f"    title {f['reader']:<10} {short(d['title']['reference'])}")
                print(f"          {'linkpost':<10} {short(d['title']['linkpost'])}{note}")
        if len(f["diffs"]) > examples:
            print(f"  … {len(f['diffs']) - examples} more differing entries")

    print("\nBy kind:")
    for kind in sorted({f["kind"] for f in feeds}):
        t = totals([f for f in feeds if f["kind"] == kind])
        print(f"  {kind} ({t['feeds']} feeds): {agreement_line(t)}")
    fp = totals([f for f in feeds if f["reader"] == "feedparser"])
    print(f"  read by feedparser ({fp['feeds']} feeds): {agreement_line(fp)}")
    t = totals(feeds)
    print(f"  raw link (linkpost's link before canonicalize): {pct(t['raw_link'], t['compared'])}")
    print(f"  of the {t['compared'] - t['link']} link differences, {t['link_only_fragment']} differ only by a fragment linkpost drops")
    print(f"  of the {t['compared'] - t['title']} title differences, {t['title_missing_in_reference']} are entries the reference reads without a title")
    print(f"  {t['derived_title']} titles agree as derived: the reference reads no title, and linkpost's is the start of the entry's text")
    real = totals([f for f in feeds if f["kind"] == "real-world"])
    print(f"  strict (derived titles counted as differences): {agreement_line(t, strict=True)}")
    print(f"  strict, real-world: {agreement_line(real, strict=True)}")
    print()
    print(agreement_line(t))


def main(argv):
    parser = argparse.ArgumentParser(
        description="Compare how linkpost and Python's feedparser read the real-world feeds "
        "(link and title of each entry, paired by document order). A report: exits 0 "
        "whatever the differences; 2 only when setup (venv, cargo build) fails. "
        "First run creates bench/.venv-feeddiff with feedparser and builds the feed_dump example.",
    )
    parser.add_argument("--index", type=Path, default=DEFAULT_INDEX,
                        help=f"feeds index TSV; its `path` column is relative to the index's grandparent folder (default {DEFAULT_INDEX})")
    parser.add_argument("--only", metavar="SUBSTRING", help="only the feeds whose path contains SUBSTRING")
    parser.add_argument("--json", action="store_true", help="machine output: one JSON document with every feed, every difference and the totals")
    parser.add_argument("--examples", type=int, default=3, metavar="N", help="differing entries shown per feed (default 3)")
    args = parser.parse_args(argv)
    if not args.index.is_file():
        fail(f"no index at {args.index}; pass --index PATH")
    ensure_venv(argv)

    rows = read_index(args.index, args.only)
    lp = linkpost_read(rows)
    feeds = [compare(row, reference_read(row), lp[row["abs"]]) for row in rows]
    if args.json:
        import feedparser

        t = totals(feeds)
        json.dump({
            "index": str(args.index), "feedparser": feedparser.__version__, "feeds": feeds,
            "totals": {**t, "link_pct": pct(t["link"], t["compared"]), "title_pct": pct(t["title"], t["compared"]),
                       "both_pct": pct(t["both"], t["compared"]),
                       "title_strict_pct": pct(t["title_strict"], t["compared"]),
                       "both_strict_pct": pct(t["both_strict"], t["compared"])},
        }, sys.stdout, indent=1, ensure_ascii=False)
        print()
    else:
        print_report(feeds, args.index, args.examples)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
