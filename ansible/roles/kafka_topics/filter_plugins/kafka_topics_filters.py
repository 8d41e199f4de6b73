"""Compare the topics a cluster has (kafka-topics --describe) with the planned ones."""

from __future__ import annotations

import re

_SUMMARY = re.compile(
    r"^Topic:\s*(?P<name>\S+)\s+TopicId:\s*\S+\s+PartitionCount:\s*(?P<partitions>\d+)"
    r"\s+ReplicationFactor:\s*(?P<rf>\d+)\s+Configs:\s*(?P<configs>.*)$"
)


def kafka_topics_parse(describe_output):
    """{name: {partitions, replication_factor, config}} from `kafka-topics --describe`."""
    topics = {}
    for line in describe_output.splitlines():
        m = _SUMMARY.match(line.strip())
        if not m:
            continue
        config = {}
        for pair in filter(None, m.group("configs").strip().split(",")):
            key, _, value = pair.partition("=")
            config[key] = value
        topics[m.group("name")] = {
            "partitions": int(m.group("partitions")),
            "replication_factor": int(m.group("rf")),
            "config": config,
        }
    return topics


def kafka_topics_plan(planned, describe_output):
    """What to do so the cluster has the planned topics.

    Returns {create: [topic], grow: [topic], reconfigure: [{name, config}], wrong_replication:
    [text]}: topics to create, topics with fewer partitions than planned (Kafka can add but
    never remove partitions), topic configs that differ (only the differing keys), and
    topics whose replication factor differs (changing it needs a partition reassignment,
    which this role does not do on its own).
    """
    existing = kafka_topics_parse(describe_output)
    plan = {"create": [], "grow": [], "reconfigure": [], "wrong_replication": []}
    for topic in planned:
        name = topic["name"]
        wanted_config = {k: str(v) for k, v in (topic.get("config") or {}).items()}
        have = existing.get(name)
        if have is None:
            plan["create"].append(topic)
            continue
        if have["partitions"] < int(topic["partitions"]):
            plan["grow"].append(topic)
        if have["replication_factor"] != int(topic["replication_factor"]):
            plan["wrong_replication"].append(
                f"{name} has replication factor {have['replication_factor']}, planned {topic['replication_factor']}"
            )
        differ = {k: v for k, v in wanted_config.items() if have["config"].get(k) != v}
        if differ:
            plan["reconfigure"].append({"name": name, "config": differ})
    return plan


def kafka_topics_config_args(config):
    """["--config", "k=v", ...]: topic configs as kafka-topics --create arguments."""
    args = []
    for key, value in (config or {}).items():
        args += ["--config", f"{key}={value}"]
    return args


def kafka_topics_config_string(config):
    """"k=v,k2=v2": topic configs as a kafka-configs --add-config value."""
    return ",".join(f"{key}={value}" for key, value in (config or {}).items())


class FilterModule:
    def filters(self):
        return {
            "kafka_topics_parse": kafka_topics_parse,
            "kafka_topics_plan": kafka_topics_plan,
            "kafka_topics_config_args": kafka_topics_config_args,
            "kafka_topics_config_string": kafka_topics_config_string,
        }
