"""Compare the ACLs a cluster has (kafka acls --list) with the planned ones."""

from __future__ import annotations

import re

_RESOURCE = re.compile(
    r"^Current ACLs for resource `ResourcePattern\(resourceType=(?P<type>\w+), name=(?P<name>.*), patternType=(?P<pattern>\w+)\)`:"
)
_ENTRY = re.compile(
    r"^\(principal=(?P<principal>[^,]+), host=(?P<host>[^,]+), operation=(?P<op>\w+), permissionType=(?P<perm>\w+)\)$"
)
# kafka acls resource flags by resource type.
_FLAGS = {"TOPIC": "--topic", "GROUP": "--group", "TRANSACTIONAL_ID": "--transactional-id"}


def kafka_acls_parse(list_output):
    """{(principal, type, name, operation)} of the LITERAL, host *, ALLOW entries in `kafka acls --list`.

    Other entries (DENY, a host, a prefixed pattern) come back with their kind in the
    tuple's name so that they never match a planned entry and get reported for removal.
    """
    found = set()
    resource = None
    for raw in list_output.splitlines():
        line = raw.strip()
        m = _RESOURCE.match(line)
        if m:
            resource = m.groupdict()
            continue
        e = _ENTRY.match(line)
        if e and resource:
            plain = resource["pattern"] == "LITERAL" and e["host"] == "*" and e["perm"] == "ALLOW"
            name = resource["name"] if plain else f"{resource['name']} ({resource['pattern']}, host {e['host']}, {e['perm']})"
            found.add((e["principal"], resource["type"], name, e["op"]))
    return found


def _entries(acls):
    out = set()
    for acl in acls:
        rtype = str(acl["resource_type"]).upper()
        if rtype not in _FLAGS and rtype != "CLUSTER":
            raise ValueError(f"unknown ACL resource type {acl['resource_type']!r}")
        for op in acl["operations"]:
            out.add((acl["principal"], rtype, str(acl.get("name", "kafka-cluster")), str(op).upper()))
    return out


def _group(entries):
    """[{principal, resource_type, name, operations}] with one item per principal and resource."""
    grouped = {}
    for principal, rtype, name, op in sorted(entries):
        grouped.setdefault((principal, rtype, name), []).append(op)
    return [
        {"principal": p, "resource_type": t, "name": n, "operations": ops} for (p, t, n), ops in grouped.items()
    ]


def kafka_acls_plan(planned, list_output, managed_principals):
    """{add: [...], remove: [...]}: planned ACLs the cluster lacks, and ACLs of the managed
    principals (the services) that the plan does not have."""
    want = _entries(planned)
    have = kafka_acls_parse(list_output)
    managed = set(managed_principals)
    return {
        "add": _group(want - have),
        "remove": _group({e for e in have - want if e[0] in managed and " (" not in e[2]}),
        "unexpected": sorted(" ".join(e) for e in have - want if e[0] in managed and " (" in e[2]),
    }


def kafka_acl_args(acl):
    """kafka acls arguments (after --add/--remove) for one {principal, resource_type, name, operations}."""
    args = ["--allow-principal", acl["principal"]]
    for op in acl["operations"]:
        args += ["--operation", op]
    rtype = acl["resource_type"]
    args += ["--cluster"] if rtype == "CLUSTER" else [_FLAGS[rtype], acl["name"]]
    return args


class FilterModule:
    def filters(self):
        return {
            "kafka_acls_parse": kafka_acls_parse,
            "kafka_acls_plan": kafka_acls_plan,
            "kafka_acl_args": kafka_acl_args,
        }
