#!/usr/bin/env python3
"""Regenerate iamlint's embedded SAM policy templates (data/sam/*).

Downloads the `aws-sam-translator` wheel (AWS SAM's transform, Apache-2.0) from
PyPI with pip, reads `samtranslator/policy_templates_data/policy_templates.json`
(the list SAM itself expands `Policies: - S3ReadPolicy: {BucketName: b}` from),
checks that every template has the shape the Rust side expands, and writes:

  data/sam/policy_templates.json  the templates, normalised (sorted keys, two-space
                                  indent) with a "Source" block naming the package
                                  version; embedded by
                                  src/source/cloudformation/sam_policies.rs
  data/sam/LICENSE, data/sam/NOTICE  the package's licence and notice, verbatim
  data/sam/SOURCE.md              provenance: version, wheel sha256, date, counts

Usage:
  python3 scripts/gen_sam_policies.py                 # the pinned version below
  python3 scripts/gen_sam_policies.py --latest        # the newest on PyPI
  python3 scripts/gen_sam_policies.py --wheel PATH    # an already-downloaded wheel

Only the Python standard library and `pip` are needed.

How SAM expands a template (samtranslator/policy_template_processor/template.py):
every `{"Ref": P}` whose P is one of the template's `Parameters` is replaced by
the value the user gave for P (the values are not resolved again); a missing
parameter fails the transform ("Following required parameters of template 'X'
don't have values"); extra parameters are dropped. Everything else (`Fn::Sub`
with `${AWS::Partition}`, `${AWS::Region}`, `${AWS::AccountId}` and its
variable map) is left for CloudFormation. This script refuses a template that
uses an intrinsic other than `Ref` and `Fn::Sub`, a `Ref` to a name that is
neither a parameter nor a pseudo parameter, a parameter it never uses, or an IAM
policy variable (`${!aws:username}`: SAM writes no Version, iamlint reads the
expanded document as 2012-10-17, which is the same only without them), so
that a new SAM release with a new shape is looked at before it is embedded.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile

PINNED = "1.115.0"
PACKAGE = "aws-sam-translator"
MEMBER = "samtranslator/policy_templates_data/policy_templates.json"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "data", "sam")
SUPPORTED = {"Ref", "Fn::Sub"}


def log(msg: str) -> None:
    print(msg, file=sys.stderr)


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def pip_download(version: str | None, dest: str) -> str:
    spec = f"{PACKAGE}=={version}" if version else PACKAGE
    subprocess.run(
        [sys.executable, "-m", "pip", "download", spec, "--no-deps",
         "--only-binary", ":all:", "-d", dest, "-q"],
        check=True,
    )
    wheels = sorted(f for f in os.listdir(dest) if f.endswith(".whl"))
    if not wheels:
        raise SystemExit(f"no wheel for {PACKAGE} in {dest}")
    return os.path.join(dest, wheels[-1])


def wheel_member(zf: zipfile.ZipFile, suffix: str) -> str:
    found = sorted(n for n in zf.namelist() if n.endswith(suffix))
    if not found:
        raise SystemExit(f"no {suffix} in the wheel")
    return zf.read(found[0]).decode("utf-8")


def check_template(name: str, tpl: dict) -> list[str]:
    """The reasons this template cannot be embedded as it is (empty when fine)."""
    errors = []
    params = set(tpl.get("Parameters", {}))
    statements = tpl.get("Definition", {}).get("Statement")
    if not isinstance(statements, list) or not statements:
        errors.append("Definition.Statement is not a non-empty list")
    used: set[str] = set()

    def walk(node, path: str) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k.startswith("Fn::") or k == "Ref":
                    if k not in SUPPORTED:
                        errors.append(f"{path}: intrinsic {k}: SAM substitutes only Ref; check what SAM and iamlint make of it first")
                    if k == "Ref":
                        if not isinstance(v, str):
                            errors.append(f"{path}: Ref of a non-string")
                        elif v in params:
                            used.add(v)
                        elif not v.startswith("AWS::"):
                            errors.append(f"{path}: Ref {v} is not a parameter")
                    if k == "Fn::Sub":
                        text = v if isinstance(v, str) else (v[0] if isinstance(v, list) and v else "")
                        names = v[1] if isinstance(v, list) and len(v) > 1 and isinstance(v[1], dict) else {}
                        for var in re.findall(r"\$\{([^}]*)\}", text):
                            if var.startswith("!"):
                                # A literal ${...}: an IAM policy variable. iamlint gives the
                                # expanded document Version 2012-10-17, which SAM does not
                                # write; that is the same only without policy variables.
                                errors.append(f"{path}: policy variable ${{{var[1:]}}}")
                            elif not var.startswith("AWS::") and var not in names:
                                errors.append(f"{path}: Fn::Sub names ${{{var}}} outside its variable map")
                walk(v, f"{path}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}[{i}]")

    walk(tpl.get("Definition"), name)
    for p in sorted(params - used):
        errors.append(f"parameter {p} is never used")
    return errors


def normalise(data: dict, version: str) -> dict:
    templates = {}
    for name in sorted(data["Templates"]):
        t = data["Templates"][name]
        templates[name] = {
            "Description": t.get("Description", ""),
            "Parameters": t.get("Parameters", {}),
            "Definition": t["Definition"],
        }
    return {
        "Source": {
            "Package": PACKAGE,
            "Version": version,
            "File": MEMBER,
            "Licence": "Apache-2.0",
        },
        "Version": data.get("Version", ""),
        "Templates": templates,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--latest", action="store_true", help="the newest version on PyPI")
    ap.add_argument("--wheel", help="use this wheel instead of downloading one")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or pip_download(None if args.latest else PINNED, tmp)
        version = os.path.basename(wheel).split("-")[1]
        with zipfile.ZipFile(wheel) as zf:
            data = json.loads(zf.read(MEMBER).decode("utf-8"))
            licence = wheel_member(zf, "/LICENSE")
            notice = wheel_member(zf, "/NOTICE")
        digest = sha256(wheel)

    errors = [f"{n}: {e}" for n, t in sorted(data["Templates"].items())
              for e in check_template(n, t)]
    if errors:
        raise SystemExit("templates iamlint cannot expand as they are:\n  " + "\n  ".join(errors))

    out = normalise(data, version)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "policy_templates.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, indent=2, sort_keys=False)
        f.write("\n")
    with open(os.path.join(OUT, "LICENSE"), "w", encoding="utf-8") as f:
        f.write(licence if licence.endswith("\n") else licence + "\n")
    with open(os.path.join(OUT, "NOTICE"), "w", encoding="utf-8") as f:
        f.write(notice if notice.endswith("\n") else notice + "\n")

    n = len(out["Templates"])
    no_params = sum(1 for t in out["Templates"].values() if not t["Parameters"])
    today = datetime.date.today().isoformat()
    source = f"""# Provenance of data/sam/*

Generated by `python3 scripts/gen_sam_policies.py` on {today}. Do not edit the generated
files by hand; rerun the script (the pinned version is `PINNED` in the script, `--latest`
takes the newest from PyPI).

| file | content |
| --- | --- |
| policy_templates.json | {n} SAM policy templates ({no_params} without parameters), normalised: sorted by name, two-space indent, a `Source` block |
| LICENSE, NOTICE | the package's Apache-2.0 licence and notice, verbatim |

## Source

**`{PACKAGE}` {version}** from PyPI (wheel `{os.path.basename(wheel)}`,
sha256 `{digest}`), by Amazon Web Services, Apache-2.0 licence,
<https://github.com/aws/serverless-application-model>. File `{MEMBER}`, the list
SAM's transform expands `Policies` entries from (policy templates format version
{out["Version"]}). The statements are kept as SAM writes them: `Fn::Sub` over the
pseudo parameters and a variable map of `Ref`s to the template's parameters.
"""
    with open(os.path.join(OUT, "SOURCE.md"), "w", encoding="utf-8") as f:
        f.write(source)
    log(f"wrote {n} templates from {PACKAGE} {version} to {OUT}")


if __name__ == "__main__":
    main()
