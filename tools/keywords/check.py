#!/usr/bin/env python3
"""Checks vigil's keyword schema against a corpus of keepalived configurations.

For every configuration named in a *.verdicts.tsv file (column 3: the keywords Debian's
keepalived 2.2.7 reported as unknown), reads the file roughly as keepalived does
(comments, braces, include, $NAME definitions, @ID prefixes, ~SEQ/~LST lines skipped;
keywords on @ID or $NAME lines are counted but not judged, since this reader only
approximates keepalived's preprocessor),
walks its blocks against the tables in src/config/schema*.cc, and reports every keyword
that the schema does not know but keepalived did not call unknown. Exit status 1 if any.

With --inventory TAG (repeatable), also checks that every keyword keepalived TAG installs
(tools/keywords/extract.py run on the keepalived source mirror) resolves in the same
block of vigil's schema, and reports each one that does not.

Usage: check.py [--src DIR] [--repo MIRROR] [--inventory TAG]... [VERDICTS.tsv...]
"""
import argparse
import glob
import os
import re
import subprocess
import sys

# ---------------------------------------------------------------- schema from the .cc tables
SPEC_RE = re.compile(r'\b(Kw|List|Alias|Block)\("([^"]+)"(?:,\s*(k\w+Block))?')
TABLE_RE = re.compile(r'constexpr KeywordSpec (k\w+)Keywords\[\] = \{(.*?)\n\};', re.S)


def load_schema(src):
    tables = {}
    for path in sorted(glob.glob(os.path.join(src, "src/config/schema*.cc"))):
        text = open(path).read()
        for m in TABLE_RE.finditer(text):
            specs = {}
            for s in SPEC_RE.finditer(m.group(2)):
                kind, name, block = s.group(1), s.group(2), s.group(3)
                specs[name] = ("list" if kind == "List" else
                               (block[:-len("Block")] if kind == "Block" else None))
            tables[m.group(1)] = specs
    return tables


# ---------------------------------------------------------------- reading a config
def decomment(line):
    out, q = [], None
    for ch in line:
        if q:
            out.append(ch)
            if ch == q:
                q = None
        elif ch in "\"'":
            q = ch
            out.append(ch)
        elif ch in "#!":
            break
        else:
            out.append(ch)
    return "".join(out)


def words(line):
    """Splits into words and brace tokens; quoted text stays one word."""
    toks, cur, q = [], "", None
    for ch in line:
        if q:
            cur += ch
            if ch == q:
                q = None
        elif ch in "\"'":
            q = ch
            cur += ch
        elif ch in " \t":
            if cur:
                toks.append(cur)
            cur = ""
        elif ch in "{}":
            if cur:
                toks.append(cur)
            cur = ""
            toks.append(ch)
        else:
            cur += ch
    if cur:
        toks.append(cur)
    return toks


def read(path, defs, depth=0, out=None):
    """Returns [(tokens, conditional, where)] for the file and what it includes."""
    if out is None:
        out = []
    if depth > 8:
        return out
    try:
        lines = open(path, errors="replace").read().split("\n")
    except OSError:
        return out
    i = 0
    while i < len(lines):
        line = lines[i].rstrip("\r")
        where = f"{path}:{i + 1}"
        i += 1
        conditional = False
        s = line.strip()
        m = re.match(r"@\^?\S+\s+(.*)", s)
        if m:
            s, conditional = m.group(1), True
        m = re.match(r"\$(\w+)\s*=(.*)", s)
        if m:
            val = m.group(2)
            while val.endswith("\\") and i < len(lines):
                val = val[:-1] + "\n" + lines[i].strip()
                i += 1
            defs[m.group(1)] = val.strip()
            continue
        if s.startswith("~"):
            continue
        expanded = False
        for _ in range(8):
            n = re.sub(r"\$\{(\w+)\}|\$(\w+)",
                       lambda mm: defs.get(mm.group(1) or mm.group(2), mm.group(0)), s)
            if n == s:
                break
            s, expanded = n, True
        s = decomment(s)
        m = re.match(r"include\w?\s+(\S+)", s)
        if m:
            pat = m.group(1).strip("\"'")
            if not pat.startswith("/"):
                pat = os.path.join(os.path.dirname(path), pat)
            for f in sorted(glob.glob(pat)):
                read(f, defs, depth + 1, out)
            continue
        for sub in s.split("\n"):
            t = words(sub)
            if t:
                out.append((t, conditional or expanded or "$" in sub, where))
    return out


# ---------------------------------------------------------------- walking blocks
def unknown_keywords(lines, tables):
    """Yields (keyword, conditional, where) for keywords the schema does not know."""
    segs = []
    for toks, cond, where in lines:
        cur = []
        for t in toks:
            if t in "{}":
                if cur:
                    segs.append(("w", cur, cond, where))
                cur = []
                segs.append((t, None, cond, where))
            else:
                cur.append(t)
        if cur:
            segs.append(("w", cur, cond, where))
    stack = []  # table name, or "list"
    i = 0

    def skip(j):
        depth = 0
        while j < len(segs):
            if segs[j][0] == "{":
                depth += 1
            elif segs[j][0] == "}":
                depth -= 1
                if depth == 0:
                    return j
            j += 1
        return j

    while i < len(segs):
        kind, toks, cond, where = segs[i]
        nxt = segs[i + 1][0] if i + 1 < len(segs) else None
        if kind == "}":
            if stack:
                stack.pop()
        elif kind == "{":
            i = skip(i)
        elif stack and stack[-1] == "list":
            if nxt == "{":
                i = skip(i + 1)
        else:
            table = tables[stack[-1] if stack else "kRoot"]
            kw = toks[0]
            if kw not in table:
                yield kw, cond, where
                if nxt == "{":
                    i = skip(i + 1)
            else:
                sub = table[kw]
                if sub is None:
                    if nxt == "{":
                        i = skip(i + 1)
                else:
                    stack.append(sub)
                    if nxt == "{":
                        i += 1
        i += 1


# ---------------------------------------------------------------- a release's inventory
def inventory_gaps(tables, tag, repo):
    """Yields (path, keyword) for each keyword of keepalived `tag` not in vigil's schema."""
    out = subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "extract.py"),
                          "--repo", repo, "--tag", tag], check=True, capture_output=True,
                         text=True).stdout
    stack = []  # (path, table name or None) per depth
    for line in out.splitlines():
        depth, name, kind = line.split("\t")[:3]
        depth = int(depth)
        del stack[depth:]
        parent = stack[-1] if stack else ("", "kRoot")
        path = parent[0] + "/" + name if parent[0] else name
        table = tables.get(parent[1]) if parent[1] else None
        if table is None or name not in table:
            yield parent[0], name
            stack.append((path, None))
            continue
        sub = table[name]
        stack.append((path, sub if sub not in (None, "list") else None))


def check_inventories(tables, tags, repo):
    bad = 0
    for tag in tags:
        n = 0
        for path, kw in inventory_gaps(tables, tag, repo):
            print(f"keepalived {tag}: '{kw}' in '{path or 'top level'}' is unknown to vigil's schema")
            n += 1
        print(f"keepalived {tag}: {n} keywords unknown to vigil's schema", file=sys.stderr)
        bad += n
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", default=os.path.join(os.path.dirname(__file__), "../.."))
    ap.add_argument("--repo", default="/work/.mirror/acassen+keepalived/repo")
    ap.add_argument("--inventory", action="append", default=[], metavar="TAG")
    ap.add_argument("verdicts", nargs="*")
    a = ap.parse_args()
    tables = load_schema(a.src)
    bad = check_inventories(tables, a.inventory, a.repo)
    uncertain = 0
    files = 0
    for vpath in a.verdicts:
        base = vpath[:-len(".verdicts.tsv")]
        for row in open(vpath):
            if row.startswith("#") or not row.strip():
                continue
            cols = row.rstrip("\n").split("\t")
            reported = set(cols[2].split()) if len(cols) > 2 else set()
            conf = os.path.join(base, cols[0])
            files += 1
            for kw, cond, where in unknown_keywords(read(conf, {}), tables):
                if kw in reported:
                    continue
                if cond or not re.fullmatch(r"[A-Za-z_][\w-]*", kw):
                    uncertain += 1  # from @ID, $NAME or odd text this reader may get wrong
                    continue
                print(f"{where}: '{kw}' is unknown to vigil's schema but keepalived accepted it")
                bad += 1
    if a.verdicts:
        print(f"{files} configurations checked, {bad} keywords unknown to vigil only "
              f"({uncertain} more on @ID/$NAME lines not judged)", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
