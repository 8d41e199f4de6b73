"""Jinja filters of the kafka role."""

from __future__ import annotations


def kafka_endpoints(hosts, hostvars, listener, default_listeners):
    """["host:port", ...] of the listener named `listener` on each of `hosts`.

    A host's port comes from its own `kafka_listeners` when the inventory sets one (local
    test mode gives each "host" its own ports), else from `default_listeners`; its address
    is `kafka_advertised_host`, else `private_dns`, else the inventory name.
    """
    out = []
    for host in hosts:
        hv = hostvars[host]
        listeners = hv.get("kafka_listeners") or default_listeners
        match = [item for item in listeners if item["name"] == listener]
        if not match:
            raise ValueError(f"{host} has no Kafka listener named {listener!r}")
        address = hv.get("kafka_advertised_host") or hv.get("private_dns") or host
        out.append(f"{address}:{match[0]['port']}")
    return out


def kafka_scram_config(user, mechanism, iterations):
    """kafka-configs --add-config value of one SCRAM user: SCRAM-SHA-512=[iterations=..,password=..]."""
    return f"{mechanism}=[iterations={int(iterations)},password={user['password']}]"


def kafka_storage_scram_args(users, mechanism, iterations):
    """kafka-storage format arguments that create SCRAM users: --add-scram M=[name=..,iterations=..,password=..] each."""
    args = []
    for user in users:
        args += ["--add-scram", f"{mechanism}=[name={user['name']},iterations={int(iterations)},password={user['password']}]"]
    return args


class FilterModule:
    def filters(self):
        return {
            "kafka_endpoints": kafka_endpoints,
            "kafka_scram_config": kafka_scram_config,
            "kafka_storage_scram_args": kafka_storage_scram_args,
        }
