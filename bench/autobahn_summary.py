#!/usr/bin/env python3
"""Summarise an Autobahn|Testsuite report (index.json written by `wstest -m fuzzingclient`).

    autobahn_summary.py REPORT_DIR_OR_INDEX_JSON [--allow-file FILE] [--strict]

A case passes when its behavior is OK, NON-STRICT or INFORMATIONAL and its behaviorClose is OK or
INFORMATIONAL (with --strict, NON-STRICT fails). A failing case is "explained" when the allow-list
file has a line for it whose expected outcome matches what happened exactly; any other failure is
unexplained. The allow-list holds one case per line, fields separated by '|':

    case id | behavior | behaviorClose | remote close code (or -) | reason

Prints the explained cases with their reasons, one line per unexplained failure, then
    autobahn: N passed, N failed, N skipped, N explained
("failed" counts only the unexplained failures) and exits 1 when there is one (wstest itself exits
0 whatever happens), or when no case passed (an empty or broken run is not a conformant one).
"skipped" counts cases wstest did not run (UNIMPLEMENTED). Python 3, stdlib.
"""
import json
import os
import sys

PASS_BEHAVIOR = {"OK", "NON-STRICT", "INFORMATIONAL"}
PASS_CLOSE = {"OK", "INFORMATIONAL"}


def case_key(cid):
    return [int(x) for x in cid.split(".")]


def load_allow(path):
    """{case id: (behavior, behaviorClose, close code or None, reason)} from an allow-list file."""
    allow = {}
    if not path:
        return allow
    with open(path) as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = [p.strip() for p in line.split("|")]
            if len(parts) != 5 or not all(parts):
                raise SystemExit(f"{path}:{number}: expected 'case | behavior | behaviorClose | code | reason'")
            cid, behavior, close, code, reason = parts
            allow[cid] = (behavior, close, None if code == "-" else int(code), reason)
    return allow


def main(argv):
    strict = "--strict" in argv
    args = [a for a in argv if a != "--strict"]
    allow_file = None
    if "--allow-file" in args:
        i = args.index("--allow-file")
        allow_file = args[i + 1]
        del args[i:i + 2]
    if len(args) != 1:
        print(__doc__)
        return 2
    path = args[0]
    if os.path.isdir(path):
        path = os.path.join(path, "index.json")
    with open(path) as f:
        index = json.load(f)
    allow = load_allow(allow_file)
    ok_behavior = PASS_BEHAVIOR - ({"NON-STRICT"} if strict else set())

    passed = skipped = 0
    explained = []
    unexplained = []
    for agent, cases in sorted(index.items()):
        for cid, v in sorted(cases.items(), key=lambda kv: case_key(kv[0])):
            behavior, close, code = v["behavior"], v["behaviorClose"], v.get("remoteCloseCode")
            if behavior == "UNIMPLEMENTED":
                skipped += 1
            elif behavior in ok_behavior and close in PASS_CLOSE:
                passed += 1
            elif cid in allow and allow[cid][:3] == (behavior, close, code):
                explained.append((cid, behavior, close, code, allow[cid][3]))
            else:
                unexplained.append(f"  FAILED     {cid}: {behavior}/{close} close={code} ({agent}: {v['reportfile']})")
        print(f"agent {agent}: {len(cases)} cases")
    for cid, behavior, close, code, reason in explained:
        print(f"  explained  {cid}: {behavior}/{close} close={code if code is not None else '-'}: {reason}")
    for line in unexplained:
        print(line)
    print(f"autobahn: {passed} passed, {len(unexplained)} failed, {skipped} skipped, {len(explained)} explained")
    if passed == 0:
        print("autobahn: no case passed; the run checked nothing")
        return 1
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
