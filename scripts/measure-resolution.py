#!/usr/bin/env python3
"""Measure how many IAM role trusts iamlint resolves fully on a set of directories.

Runs `iamlint roles --format json DIR` once per directory and prints, per directory and
source (terraform, cloudformation, sam, cdk as iamlint reports them):

  - role instances: roles iamlint checks (state `checked` or `template`), with the two states
    apart when both occur; roles listed as `not_created` (a value the user gave switches them
    off) are counted apart, since no finding can come from them, and so are the entries of
    roles defined elsewhere (`role NAME (outside this configuration)`, which carry only the
    policies attached to them here);
  - those whose trust is fully resolved (`trust_resolved`), and the share; and, when it
    differs, how many are decided (`trust_decided`: the unknowns left cannot change a verdict);
  - the unresolved ones grouped by reason, one reason per role (its first unresolved part),
    with names normalised (`var.partner_account` -> `var.NAME`) so that one cause is one line;

then a total line per source and overall, and over all directories the unresolved roles by
cause (an input with no value, a module not on disk, a template's item, a value assigned at
apply, ...) and by reason.

Usage:
  scripts/measure-resolution.py [--iamlint BIN] [--arg ARG]... [--top N] [--json] DIR...

  --iamlint BIN   the binary (default: the newer of target/release/iamlint and
                  target/debug/iamlint beside this script, else `iamlint` on PATH)
  --arg ARG       passed to every run, before the directory (repeatable), e.g.
                  --arg=--parameter=Environment=prod
  DIR@ARG,ARG     a directory with arguments of its own, e.g.
                  templates@--parameter=VpcId=vpc-1,--parameter=Env=prod
  --top N         reasons shown per directory (default 8; the overall list shows all)
  --json          print the numbers as JSON instead of text

Exit code: 0, or 2 when iamlint could not be run or printed something that is not JSON.
"""

import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys

# Names that vary from repository to repository but do not change the cause.
NORMALISE = [
    (re.compile(r"\bvar\.[A-Za-z_][\w-]*"), "var.NAME"),
    (re.compile(r"\blocal\.[A-Za-z_][\w-]*"), "local.NAME"),
    (re.compile(r"\beach\.(key|value)[\w.\[\]\"-]*"), r"each.\1"),
    (re.compile(r"\bmodule\.[A-Za-z_][\w-]*(\[[^\]]*\])?(\.[A-Za-z_][\w-]*)?"), "module.NAME.OUTPUT"),
    (re.compile(r"\bdata\.([a-z0-9_]+)\.[A-Za-z_][\w-]*(\[[^\]]*\])?"), r"data.\1.NAME"),
    (re.compile(r"\b(aws|random|null|time|tls|archive|local|azurerm|google)_([a-z0-9_]+)\.[A-Za-z_][\w-]*(\[[^\]]*\])?"), r"\1_\2.NAME"),
    (re.compile(r"\bparameter [A-Za-z0-9]+"), "parameter NAME"),
    (re.compile(r"\b(condition|resource|output|mapping) [A-Za-z0-9:]+"), r"\1 NAME"),
    (re.compile(r"\"[^\"]*\""), '"…"'),
    (re.compile(r"'[^']*'"), "'…'"),
    (re.compile(r"`[^`]*`"), "`…`"),
    (re.compile(r"\b\d+\b"), "N"),
]
REASON_WIDTH = 110

# Causes, tried in order on a role's first unresolved reason: what a reader of the numbers
# needs to know is whether Terraform or CloudFormation would know the value.
CAUSES = [
    ("input with no value (Terraform would prompt, CloudFormation would ask)",
     re.compile(r"has no default and no value|has no Default and no value")),
    ("module not on disk (terraform init would fetch it)",
     re.compile(r"not downloaded|not found at|inputs only|source git::|is outside the scanned root")),
    ("template: the item or instance the user will give",
     re.compile(r"is an item the user supplies|is an instance the user switches on")),
    ("assigned at apply or deployment", re.compile(r"known only after apply|assigned when the stack is deployed")),
    ("written by a macro or transform", re.compile(r"macro or a transform")),
    ("function not evaluated offline", re.compile(r"not evaluated offline|changes on every run|not reproduced offline")),
    ("invalid code", re.compile(r"^invalid:|the index is out of range")),
]


def cause(reason):
    for name, pattern in CAUSES:
        if pattern.search(reason):
            return name
    return "other"


def normalise(reason):
    for pattern, repl in NORMALISE:
        reason = pattern.sub(repl, reason)
    reason = " ".join(reason.split())
    return reason if len(reason) <= REASON_WIDTH else reason[: REASON_WIDTH - 1] + "…"


def default_binary():
    # The newer of the release and debug builds beside this script (a stale release build
    # must not measure old code), else `iamlint` on PATH.
    here = os.path.dirname(os.path.abspath(__file__))
    built = [
        os.path.normpath(os.path.join(here, "..", "target", profile, "iamlint"))
        for profile in ("release", "debug")
    ]
    built = [b for b in built if os.path.isfile(b) and os.access(b, os.X_OK)]
    if built:
        return max(built, key=os.path.getmtime)
    return shutil.which("iamlint")


class Tally:
    def __init__(self):
        self.roles = 0
        self.resolved = 0
        # Resolved, or whose unknowns cannot change a verdict (`trust_decided`).
        self.decided = 0
        self.not_created = 0
        self.outside = 0
        self.reasons = collections.Counter()
        self.causes = collections.Counter()
        # Role instances by state: checked (created with the values given) and template
        # (instances unknown, or switched off only by a default), each [resolved, all].
        self.by_state = {"checked": [0, 0], "template": [0, 0]}

    def add(self, other):
        self.roles += other.roles
        self.resolved += other.resolved
        self.decided += other.decided
        self.not_created += other.not_created
        self.outside += other.outside
        self.reasons.update(other.reasons)
        self.causes.update(other.causes)
        for state, (ok, n) in other.by_state.items():
            self.by_state[state][0] += ok
            self.by_state[state][1] += n

    def share(self):
        return 100.0 * self.resolved / self.roles if self.roles else 100.0

    def line(self):
        text = f"{self.resolved}/{self.roles} resolved ({self.share():.1f}%)"
        if self.decided != self.resolved:
            text += f", {self.decided} decided"
        parts = [f"{state} {ok}/{n}" for state, (ok, n) in self.by_state.items() if n]
        if len(parts) > 1:
            text += f" [{', '.join(parts)}]"
        if self.not_created:
            text += f", {self.not_created} not created"
        if self.outside:
            text += f", {self.outside} outside"
        return text

    def as_json(self):
        return {
            "roles": self.roles,
            "trust_resolved": self.resolved,
            "trust_decided": self.decided,
            "share": round(self.share(), 2),
            "not_created": self.not_created,
            "outside": self.outside,
            "by_state": {k: {"trust_resolved": ok, "roles": n} for k, (ok, n) in self.by_state.items()},
            "unresolved_by_reason": dict(self.reasons.most_common()),
            "unresolved_by_cause": dict(self.causes.most_common()),
        }


def tally(roles):
    by_source = collections.defaultdict(Tally)
    for role in roles:
        t = by_source[role.get("source") or "?"]
        if role.get("state") == "not_created":
            t.not_created += 1
            continue
        # Policies attached to a role this code does not define: there is no trust here to
        # resolve (the role's own code has it).
        if str(role.get("address", "")).endswith("(outside this configuration)"):
            t.outside += 1
            continue
        t.roles += 1
        if role.get("trust_decided", role.get("trust_resolved")):
            t.decided += 1
        state = t.by_state.setdefault(role.get("state") or "checked", [0, 0])
        state[1] += 1
        if role.get("trust_resolved"):
            t.resolved += 1
            state[0] += 1
            continue
        unresolved = role.get("unresolved") or []
        if unresolved:
            reason = unresolved[0].get("reason", "")
        else:
            # No trust at all and nothing named unknown: say why from the first note (a
            # module that is not on disk is checked by its inputs only).
            notes = role.get("notes") or []
            reason = "no trust policy" + (": " + notes[0].split(";")[0] if notes else "")
        t.reasons[normalise(reason)] += 1
        t.causes[cause(reason)] += 1
    return by_source


def run(binary, args, directory):
    cmd = [binary, "roles", "--format", "json", *args, directory]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    try:
        return json.loads(proc.stdout), None
    except json.JSONDecodeError:
        first = (proc.stderr or proc.stdout).strip().splitlines()[:1]
        return None, f"{' '.join(cmd)}: exit {proc.returncode}: {first[0] if first else 'no output'}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iamlint", default=None)
    parser.add_argument("--arg", action="append", default=[])
    parser.add_argument("--top", type=int, default=8)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("dirs", nargs="+")
    opts = parser.parse_args()
    binary = opts.iamlint or default_binary()
    if not binary:
        print("iamlint not found: build it (cargo build) or pass --iamlint BIN", file=sys.stderr)
        return 2

    failed = False
    per_dir = {}
    totals = collections.defaultdict(Tally)
    for spec in opts.dirs:
        directory, _, extra = spec.partition("@")
        args = list(opts.arg) + [a for a in extra.split(",") if a]
        report, error = run(binary, args, directory)
        name = os.path.basename(os.path.normpath(directory)) or directory
        if name in per_dir:
            name = os.path.normpath(directory)
        if error:
            print(error, file=sys.stderr)
            failed = True
            continue
        by_source = tally(report.get("roles", []))
        errors = len(report.get("errors", []))
        per_dir[name] = (by_source, errors, args)
        for source, t in by_source.items():
            totals[source].add(t)

    overall = Tally()
    for t in totals.values():
        overall.add(t)

    if opts.json:
        print(json.dumps({
            "directories": {
                name: {"errors": errors, "args": args,
                       "sources": {s: t.as_json() for s, t in sorted(by.items())}}
                for name, (by, errors, args) in per_dir.items()
            },
            "total": {s: t.as_json() for s, t in sorted(totals.items())},
            "overall": overall.as_json(),
            "iamlint": binary,
        }, indent=1))
        return 2 if failed else 0

    print(f"# {binary}")
    for name, (by_source, errors, args) in per_dir.items():
        suffix = f"  [{' '.join(args)}]" if args else ""
        print(f"{name}{suffix}" + (f"  ({errors} errors)" if errors else ""))
        for source, t in sorted(by_source.items()):
            print(f"  {source:<15} {t.line()}")
            for reason, count in t.reasons.most_common(opts.top):
                print(f"      {count:>4}  {reason}")
    print("TOTAL")
    for source, t in sorted(totals.items()):
        print(f"  {source:<15} {t.line()}")
    print(f"  {'all':<15} {overall.line()}")
    if overall.causes:
        print("unresolved by cause, all directories:")
        for name, count in overall.causes.most_common():
            print(f"  {count:>5}  {name}")
    if overall.reasons:
        print("unresolved by reason, all directories:")
        for reason, count in overall.reasons.most_common():
            print(f"  {count:>5}  {reason}")
    return 2 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
