#!/usr/bin/env python3
"""Ansible inventory from the Terraform outputs of the tickstream infrastructure stack.

The CDKTF stack exposes one output, ``inventory`` (docs/inventory-contract.md). This script
turns it into an Ansible inventory, either written once as YAML or served live as a
dynamic inventory script:

    # from `cdktf deploy --outputs-file outputs.json` or `terraform output -json [inventory]`
    ansible/inventory/terraform_inventory.py --outputs outputs.json --write ansible/inventory/hosts.yml

    # as a dynamic inventory (Ansible calls it with --list)
    TICKSTREAM_TF_OUTPUTS=outputs.json ansible-playbook -i inventory/terraform_inventory.py site.yml
    TICKSTREAM_TF_DIR=cdktf.out/stacks/tickstream-prod ansible-playbook -i inventory/terraform_inventory.py site.yml

Every host gets the contract's facts as host variables (node_id, private_ip, private_dns,
az, instance_id) which the roles map to ZooKeeper myid, Kafka node.id / broker.id and
broker.rack; brokers get their data volume's device (kafka_broker_data_device). Hosts run
Debian 12 and are reached by SSH as `admin` (become: sudo) through the stack's EC2 Instance
Connect Endpoint: ansible_host = the instance id, and a ProxyCommand that opens the tunnel
with the AWS CLI (`aws ec2-instance-connect open-tunnel`). `--reach direct` uses the private
IPs instead, for a controller inside the VPC (or on a VPN into it).

Only the Python standard library: it runs wherever Ansible runs.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

GROUPS = ("zookeeper", "kafka_controller", "kafka_broker", "tickstream_producer", "tickstream_sink")
HOST_FACTS = ("private_ip", "private_dns", "az", "instance_id")
REACH = ("eice", "direct")
# The Debian AMI's login user; the outputs' `ssh_user` says it too.
DEFAULT_SSH_USER = "admin"
# The outputs file `-i inventory/terraform_inventory.py` reads when nothing else is given.
DEFAULT_OUTPUTS = Path(__file__).resolve().parent / "outputs.json"


class ContractError(Exception):
    """The outputs do not follow docs/inventory-contract.md."""


def find_inventory(outputs: object, depth: int = 0) -> dict:
    """The `inventory` object inside any of the shapes the outputs come in.

    `terraform output -json` wraps each output as {"inventory": {"value": ..., "type": ...}};
    `terraform output -json inventory` gives the value itself; `cdktf deploy --outputs-file`
    nests outputs under the stack name.
    """
    if isinstance(outputs, dict):
        if "hosts" in outputs and "metadata_mode" in outputs:
            return outputs
        if depth < 4:
            candidates = [outputs["inventory"]] if "inventory" in outputs else []
            candidates += [outputs["value"]] if "value" in outputs else []
            candidates += [v for k, v in outputs.items() if k not in ("inventory", "value")]
            for candidate in candidates:
                try:
                    return find_inventory(candidate, depth + 1)
                except ContractError:
                    continue
    raise ContractError(
        "no `inventory` output with `hosts` and `metadata_mode` in the Terraform outputs "
        "(expected the shape of docs/inventory-contract.md)"
    )


def cluster_id(environment: str, region: str) -> str:
    """A KRaft cluster id derived from the deployment: stable across runs and hosts.

    22 characters of URL-safe base64 of a UUID, as `kafka-storage random-uuid` prints them,
    never starting with "-" (it would read as a command-line flag).
    """
    n = 0
    while True:
        u = uuid.uuid5(uuid.NAMESPACE_URL, f"tickstream:{environment}:{region}:{n}")
        text = base64.urlsafe_b64encode(u.bytes).decode().rstrip("=")
        if not text.startswith("-"):
            return text
        n += 1


def proxy_command(endpoint_id: str, region: str) -> str:
    """ssh's ProxyCommand through the EC2 Instance Connect Endpoint; %h is the instance id.

    The AWS CLI (v2.12+) opens a WebSocket tunnel to port 22 of the instance; the caller
    needs ec2-instance-connect:OpenTunnel on the endpoint (docs/deploy-aws.md).
    """
    return (
        "aws ec2-instance-connect open-tunnel --instance-id %h"
        f" --instance-connect-endpoint-id {endpoint_id} --region {region}"
    )


def ssh_args(inv: dict, reach: str, region: str) -> str:
    """ansible_ssh_common_args: the tunnel (eice) and first-contact host key handling.

    Host keys are accepted on first contact and checked after (accept-new): new instances
    are new names (instance ids), a changed key on a known one is refused.
    """
    args = ["-o StrictHostKeyChecking=accept-new"]
    if reach == "eice":
        endpoint = inv.get("instance_connect_endpoint_id")
        if not endpoint:
            raise ContractError(
                "no `instance_connect_endpoint_id` in the outputs: reach eice needs the stack's "
                "EC2 Instance Connect Endpoint (or use --reach direct from inside the VPC)"
            )
        args.insert(0, f"-o ProxyCommand='{proxy_command(str(endpoint), region)}'")
    return " ".join(args)


def build(
    inv: dict,
    reach: str = "eice",
    private_key: str | None = None,
) -> dict:
    """The inventory as {"all": {"vars": ..., "children": {group: {"hosts": {name: vars}}}}}."""
    if reach not in REACH:
        raise ContractError(f"reach must be one of {list(REACH)}, got {reach!r}")
    mode = inv.get("metadata_mode")
    if mode not in ("zookeeper", "kraft"):
        raise ContractError(f"metadata_mode must be zookeeper or kraft, got {mode!r}")
    hosts = inv.get("hosts")
    if not isinstance(hosts, dict):
        raise ContractError("`hosts` must be an object of groups")
    unknown = set(hosts) - set(GROUPS)
    if unknown:
        raise ContractError(f"unknown host groups {sorted(unknown)}; the contract has {list(GROUPS)}")
    metadata_group = "zookeeper" if mode == "zookeeper" else "kafka_controller"
    if not hosts.get(metadata_group):
        raise ContractError(f"metadata_mode {mode} needs hosts in `{metadata_group}`")
    if not hosts.get("kafka_broker"):
        raise ContractError("`kafka_broker` has no hosts")
    other = "kafka_controller" if mode == "zookeeper" else "zookeeper"
    if hosts.get(other):
        raise ContractError(f"metadata_mode {mode} takes no hosts in `{other}`")

    environment = str(inv.get("environment", "dev"))
    region = str(inv.get("region", ""))
    all_vars = {
        "tickstream_environment": environment,
        "aws_region": region,
        "kafka_metadata_mode": mode,
        "kafka_client_port": int(inv.get("kafka_client_port", 9092)),
        "tickstream_lake_bucket": inv.get("lake_bucket", ""),
        "tickstream_lake_prefix": inv.get("lake_prefix", ""),
        # The lake's time partitioning: the sinks write it (tickstream_service role).
        "tickstream_lake_partitioning": str(inv.get("lake_partitioning") or "day"),
        "tickstream_results_bucket": inv.get("results_bucket", ""),
        "tickstream_glue_database": inv.get("glue_database", ""),
        "tickstream_athena_workgroup": inv.get("athena_workgroup", ""),
        # Debian 12 hosts, SSH as the AMI's user; the plays become root with sudo.
        "ansible_connection": "ssh",
        "ansible_user": str(inv.get("ssh_user") or DEFAULT_SSH_USER),
        "ansible_ssh_common_args": ssh_args(inv, reach, region),
    }
    if private_key:
        all_vars["ansible_ssh_private_key_file"] = private_key
    if mode == "kraft":
        all_vars["kafka_cluster_id"] = cluster_id(environment, region)

    children: dict = {}
    seen_names: set[str] = set()
    for group in GROUPS:
        members = {}
        for entry in hosts.get(group) or []:
            missing = [k for k in ("name", "id", *HOST_FACTS) if k not in entry]
            if missing:
                raise ContractError(f"{group} host {entry.get('name', '?')} lacks {missing}")
            name = str(entry["name"])
            if name in seen_names:
                raise ContractError(f"host name {name} appears twice")
            seen_names.add(name)
            host_vars = {"node_id": int(entry["id"]), **{k: entry[k] for k in HOST_FACTS}}
            # The endpoint's tunnel takes the instance id (the ProxyCommand's %h); direct
            # SSH from inside the VPC takes the address.
            host_vars["ansible_host"] = entry["instance_id"] if reach == "eice" else entry["private_ip"]
            if group == "kafka_broker":
                # The log dirs go on the broker's data volume: the role formats and mounts it.
                if not entry.get("data_device"):
                    raise ContractError(f"broker {name} has no `data_device` (its data volume)")
                host_vars["kafka_broker_data_device"] = entry["data_device"]
            members[name] = host_vars
        children[group] = {"hosts": members}
    # The sink writes the lake (S3 on AWS); its region is the deployment's.
    if all_vars["tickstream_lake_bucket"]:
        prefix = str(all_vars["tickstream_lake_prefix"]).strip("/")
        lake = f"s3://{all_vars['tickstream_lake_bucket']}" + (f"/{prefix}" if prefix else "")
        children["tickstream_sink"]["vars"] = {"tickstream_service_env": {"TICKSTREAM_LAKE": lake, "AWS_REGION": region}}
    return {"all": {"vars": all_vars, "children": children}}


def to_script_format(inventory: dict) -> dict:
    """The JSON an inventory script prints for --list: groups with host lists, and _meta."""
    out: dict = {"_meta": {"hostvars": {}}, "all": {"vars": inventory["all"]["vars"], "children": []}}
    for group, body in inventory["all"]["children"].items():
        out["all"]["children"].append(group)
        out[group] = {"hosts": list(body["hosts"]), "vars": body.get("vars", {})}
        for name, host_vars in body["hosts"].items():
            out["_meta"]["hostvars"][name] = host_vars
    return out


def read_outputs(path: str | None) -> object:
    if path:
        return json.loads(Path(path).read_text())
    tf_dir = os.environ.get("TICKSTREAM_TF_DIR")
    if tf_dir:
        result = subprocess.run(
            ["terraform", f"-chdir={tf_dir}", "output", "-json"], capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise ContractError(f"terraform output failed in {tf_dir}: {result.stderr.strip()}")
        return json.loads(result.stdout)
    if DEFAULT_OUTPUTS.is_file():
        return json.loads(DEFAULT_OUTPUTS.read_text())
    raise ContractError(
        "no Terraform outputs: pass --outputs FILE, set TICKSTREAM_TF_OUTPUTS=FILE or "
        "TICKSTREAM_TF_DIR=<terraform working directory>, or put them in "
        f"{DEFAULT_OUTPUTS} (see docs/ansible.md)"
    )


def yaml_dump(value: object, indent: int = 0) -> str:
    """YAML for plain JSON data (no PyYAML needed): JSON scalars are valid YAML scalars."""
    pad = "  " * indent
    if isinstance(value, dict):
        if not value:
            return "{}\n"
        lines = []
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                lines.append(f"{pad}{key}:\n{yaml_dump(item, indent + 1)}")
            else:
                lines.append(f"{pad}{key}: {yaml_dump(item, indent + 1).strip()}\n")
        return "".join(lines)
    if isinstance(value, list):
        if not value:
            return "[]\n"
        return "".join(f"{pad}- {yaml_dump(item, indent + 1).strip()}\n" for item in value)
    return json.dumps(value) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--outputs", help="Terraform/cdktf outputs JSON (default: $TICKSTREAM_TF_OUTPUTS, else terraform output in $TICKSTREAM_TF_DIR)")
    parser.add_argument("--write", metavar="FILE", help="write a YAML inventory to FILE")
    parser.add_argument(
        "--reach",
        choices=REACH,
        default=os.environ.get("TICKSTREAM_SSH_REACH", "eice"),
        help="eice: SSH to the instance ids through the EC2 Instance Connect Endpoint (default); "
        "direct: SSH to the private IPs, from inside the VPC ($TICKSTREAM_SSH_REACH)",
    )
    parser.add_argument(
        "--private-key",
        default=os.environ.get("TICKSTREAM_SSH_KEY"),
        help="private key of the stack's sshPublicKey (ansible_ssh_private_key_file; default: ssh's own "
        "choice, e.g. ~/.ssh/id_ed25519 or the agent; $TICKSTREAM_SSH_KEY)",
    )
    parser.add_argument("--list", action="store_true", help="print the inventory as a dynamic inventory script does")
    parser.add_argument("--host", help="(dynamic inventory) variables of one host: always {} since --list gives _meta")
    args = parser.parse_args(argv)
    if args.host:
        print("{}")
        return 0
    try:
        outputs = read_outputs(args.outputs or os.environ.get("TICKSTREAM_TF_OUTPUTS"))
        inventory = build(find_inventory(outputs), reach=args.reach, private_key=args.private_key)
    except (ContractError, OSError, ValueError) as err:
        print(f"terraform_inventory: {err}", file=sys.stderr)
        return 2
    if args.write:
        header = "# Written by ansible/inventory/terraform_inventory.py from the Terraform outputs; regenerate, do not edit.\n---\n"
        Path(args.write).write_text(header + yaml_dump(inventory))
        print(f"wrote {args.write}", file=sys.stderr)
    if args.list or not args.write:
        print(json.dumps(to_script_format(inventory) if args.list else inventory, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
