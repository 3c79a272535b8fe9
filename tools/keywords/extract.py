#!/usr/bin/env python3
"""Prints the keyword inventory of a keepalived release as a tree (one keyword a line).

Reads keepalived's own source from a git mirror (never committed here) and replays its
keyword-installation calls: install_keyword_root / install_keyword / install_sublevel /
install_sublevel_end, following calls into helper install functions. Each output line:

  DEPTH<TAB>NAME<TAB>KIND<TAB>CONDITIONS

KIND is 'block' (has sub keywords), 'list' (handler reads a value block) or 'kw'.
CONDITIONS are the #if lines the keyword sits under, joined by ' && '.

Usage: extract.py [--repo DIR] [--tag v2.2.7]
"""
import argparse
import re
import subprocess
import sys

FILES = [
    "keepalived/core/global_parser.c",
    "keepalived/vrrp/vrrp_parser.c",
    "keepalived/check/check_parser.c",
    "keepalived/check/check_api.c",
    "keepalived/check/check_http.c",
    "keepalived/check/check_tcp.c",
    "keepalived/check/check_misc.c",
    "keepalived/check/check_smtp.c",
    "keepalived/check/check_dns.c",
    "keepalived/check/check_udp.c",
    "keepalived/check/check_ping.c",
    "keepalived/check/check_file.c",
    "keepalived/check/check_bfd.c",
    "keepalived/bfd/bfd_parser.c",
    "keepalived/trackers/track_file.c",
]
ENTRIES = ["init_global_keywords", "init_vrrp_keywords", "init_check_keywords",
           "init_bfd_keywords", "add_track_file_keywords"]
FUNC_RE = re.compile(r"^(?:static\s+)?(?:[\w\s\*]+?\s+|)\n?(\w+)\s*\(([^)]*)\)\s*\n\{", re.M)


def functions(text):
    """Returns {name: (params, body)} for top-level functions (body between braces)."""
    out = {}
    for m in re.finditer(r"^(\w+)\s*\(([^)]*)\)\s*\n\{\n", text, re.M):
        start = m.end()
        depth, i = 1, start
        while depth and i < len(text):
            if text[i] == "{":
                depth += 1
            elif text[i] == "}":
                depth -= 1
            i += 1
        out[m.group(1)] = (m.group(2), text[start:i - 1])
    return out


class Node:
    def __init__(self, name, handler, conds):
        self.name, self.handler, self.conds = name, handler, conds
        self.sub = []


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", default="/work/.mirror/acassen+keepalived/repo")
    ap.add_argument("--tag", default="v2.2.7")
    a = ap.parse_args()
    funcs = {}  # name -> (params, body, file); static functions may repeat across files
    per_file = {}
    for f in FILES:
        text = subprocess.run(["git", "-C", a.repo, "show", f"{a.tag}:{f}"], check=True,
                              capture_output=True, text=True).stdout
        per_file[f] = functions(text)
        for name, (params, body) in per_file[f].items():
            funcs.setdefault(name, (params, body, f))

    roots = []
    state = {"sublevel": 0}

    def last_at_level():
        n = roots[-1]
        for _ in range(state["sublevel"]):
            n = n.sub[-1]
        return n

    def add(parent_list, node):
        for old in parent_list:  # the same keyword installed in #if/#else branches
            if old.name == node.name:
                return
        parent_list.append(node)

    def run(fname, env, conds):
        params, body, file = funcs[fname]
        stack = []  # condition stack of #if lines
        skip_if_false = []  # for C 'if (param)' blocks: (depth, active)
        cdepth = 0
        single_if = None  # after 'if (!strcmp(param, "X"))': whether its statement runs
        for raw in body.split("\n"):
            line = raw.strip()
            if line.startswith("#if"):
                stack.append(line)
                continue
            if line.startswith("#else"):
                stack[-1] = "!(" + stack[-1] + ")"
                continue
            if line.startswith("#elif"):
                stack[-1] = line
                continue
            if line.startswith("#endif"):
                stack.pop()
                continue
            if single_if is not None:  # the statement of a brace-less 'if' on a parameter
                active, single_if = single_if, None
                if not active:
                    continue
            m = re.match(r'if\s*\(\s*!strcmp\((\w+),\s*"([^"]+)"\)\s*\)\s*$', line)
            if m and m.group(1) in env:
                single_if = env[m.group(1)] == m.group(2)
                continue
            m = re.match(r"if\s*\((\w+)\)\s*\{?", line)
            if m and m.group(1) in env:
                skip_if_false.append((cdepth, env[m.group(1)]))
            cdepth += line.count("{") - line.count("}")
            while skip_if_false and cdepth <= skip_if_false[-1][0] and "}" in line:
                skip_if_false.pop()
            if any(not act for _, act in skip_if_false):
                continue
            cur = conds + stack
            m = re.search(r'install_keyword_root\("([^"]+)",\s*&?(\w+)', line)
            if m:
                n = Node(m.group(1), (file, m.group(2)), cur)
                add(roots, n)
                if roots[-1] is not n:  # duplicate root: make it the last again
                    roots.append(roots.pop(roots.index(next(r for r in roots if r.name == n.name))))
                continue
            m = re.search(r'install_keyword(?:_conditional|_quoted)?\(\s*(\w+|"[^"]+"),\s*&?(\w+)', line)
            if m:
                name = m.group(1)
                name = name.strip('"') if name.startswith('"') else env[name]
                parent = last_at_level()
                add(parent.sub, Node(name, (file, m.group(2)), cur))
                continue
            if re.search(r"install_sublevel\([^)]*\)", line):
                state["sublevel"] += 1
                continue
            if re.search(r"install_sublevel_end\([^)]*\)", line):
                state["sublevel"] -= 1
                continue
            m = re.match(r"(install_\w+|add_\w+)\(([^)]*)\);", line)
            if m and m.group(1) in funcs:
                pnames = [p.split()[-1].lstrip("*") for p in funcs[m.group(1)][0].split(",") if p.strip() and p.strip() != "void"]
                args = [x.strip() for x in m.group(2).split(",") if x.strip()]
                e = {}
                for p, v in zip(pnames, args):
                    e[p] = v.strip('"') if v.startswith('"') else (v != "false")
                run(m.group(1), e, cur)

    for e in ENTRIES:
        p = funcs[e][0]
        env = {p.split()[-1]: True} if p.strip() and p.strip() != "void" else {}
        run(e, env, [])

    def is_list(handler):
        file, name = handler
        if name not in per_file[file]:
            return False
        body = per_file[file][name][1]
        if "alloc_value_block" in body or "read_value_block(" in body:
            return True
        return False

    def dump(nodes, depth):
        for n in nodes:
            kind = "block" if n.sub else ("list" if is_list(n.handler) else "kw")
            conds = " && ".join(c.replace("#", "") for c in n.conds)
            print(f"{depth}\t{n.name}\t{kind}\t{conds}")
            dump(n.sub, depth + 1)

    dump(roots, 0)


if __name__ == "__main__":
    sys.exit(main())
