#!/usr/bin/env python3
"""Merges the name-only tier into reference/cmdlet-catalog.json.

reference/listings/*.txt hold every cmdlet name in a docs listing that was read (the Exchange
PowerShell reference's service map, the Graph modules' pages), one per line, with the listing's
repository, path and commit in the leading comment. Every name the full catalog lacks becomes a
name-only entry: `names_only: true`, no parameters (cutover check never validates parameters
of such a cmdlet), the module, and the applicability the listing itself establishes (`graph`
for a Microsoft Graph module; none recorded for the Exchange service map, which does not say
which Exchange versions a cmdlet exists in). Full entries are never touched.

The name-only entries are one block at the end of `cmdlets`, sorted, so a merge with branches
that add full entries stays mechanical. Run by hand after editing a listing:
    python3 tools/catalog-names.py
then regenerate the compact catalog:
    CUTOVER_UPDATE_CATALOG=1 cargo test --test check_catalog
"""
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "reference" / "cmdlet-catalog.json"
LISTINGS = ROOT / "reference" / "listings"

# listing file -> (platform, module, applicability)
KINDS = {
    "exchange-ps.txt": ("exchange", "ExchangePowerShell", []),
    "graph-authentication.txt": ("graph", "Microsoft.Graph.Authentication", ["graph"]),
    "graph-users.txt": ("graph", "Microsoft.Graph.Users", ["graph"]),
    "graph-users-actions.txt": ("graph", "Microsoft.Graph.Users.Actions", ["graph"]),
    "graph-groups.txt": ("graph", "Microsoft.Graph.Groups", ["graph"]),
    "graph-identity-directorymanagement.txt": (
        "graph",
        "Microsoft.Graph.Identity.DirectoryManagement",
        ["graph"],
    ),
    "graph-identity-signins.txt": ("graph", "Microsoft.Graph.Identity.SignIns", ["graph"]),
}

NAME = re.compile(r"^[A-Za-z]+-[A-Za-z0-9]+$")


def listing(path):
    """(names, source) of one listing file: the header gives repository, path and commit."""
    header = []
    names = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            header.append(line[1:].strip())
        elif line.strip():
            name = line.strip()
            if not NAME.match(name):
                raise SystemExit(f"{path.name}: not a cmdlet name: {name!r}")
            names.append(name)
    text = " ".join(header)
    repo = re.search(r"(MicrosoftDocs/[\w.-]+)", text)
    commit = re.search(r"\b([0-9a-f]{40})\b", text)
    doc = re.search(r"((?:exchange|microsoftgraph)/[\w./-]+)", text)
    if not (repo and commit and doc):
        raise SystemExit(f"{path.name}: the header must name repository, path and commit")
    source = {
        "repo": repo.group(1),
        "path": doc.group(1).rstrip("."),
        "commit": commit.group(1),
        "listing": f"reference/listings/{path.name}",
        "acquisition": "name from the docs listing only; parameters not recorded",
    }
    return names, source


def main():
    catalog = json.loads(CATALOG.read_text(encoding="utf-8"))
    full = {k: v for k, v in catalog["cmdlets"].items() if not v.get("names_only")}
    have = {k.lower() for k in full}
    added = {}
    for file_name, (platform, module, applicable) in KINDS.items():
        names, source = listing(LISTINGS / file_name)
        for name in names:
            if name.lower() in have or name.lower() in {k.lower() for k in added}:
                continue
            added[name] = {
                "names_only": True,
                "module": module,
                "platform": platform,
                "applicable": applicable,
                "parameters": {},
                "source": source,
            }
    cmdlets = dict(full)
    for name in sorted(added, key=str.lower):
        cmdlets[name] = added[name]
    catalog["cmdlets"] = cmdlets
    counts = catalog["counts"]
    counts["cmdlets"] = len(cmdlets)
    counts["names_only_cmdlets"] = len(added)
    counts["exchange_cmdlets"] = sum(1 for c in cmdlets.values() if c.get("platform") == "exchange")
    counts["graph_cmdlets"] = sum(1 for c in cmdlets.values() if c.get("platform") == "graph")
    counts["parameters"] = sum(len(c.get("parameters", {})) for c in cmdlets.values())
    CATALOG.write_text(json.dumps(catalog, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(full)} full entries, {len(added)} name-only entries")


if __name__ == "__main__":
    main()
