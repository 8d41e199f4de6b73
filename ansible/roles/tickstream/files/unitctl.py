#!/usr/bin/env python3
"""Start and stop systemd service units without systemd, from the unit files themselves.

Local test mode only (``tickstream_service_manager: unitctl``). The roles render their
units under ``<root>/etc/systemd/system/`` exactly as they would under ``/`` on a real host;
on a machine where systemd is not PID 1 (a container, a CI runner) this script runs the
unit's ``ExecStart`` the way systemd would, so that what is started is the rendered unit and
nothing else:

* ``EnvironmentFile=`` (``-`` prefix: optional) and ``Environment=`` set the environment,
  on top of systemd's default ``PATH``; nothing else is inherited from the caller. In
  ``Environment=`` as in ``ExecStart=``, ``%%`` is a literal ``%`` (no other specifiers).
* In ``ExecStart=``, ``$NAME`` as a whole word expands into several words split on
  whitespace and ``${NAME}`` expands into one word, as systemd does (``man systemd.service``,
  "Command lines"). Quotes group words.
* ``WorkingDirectory=`` is the working directory; ``TimeoutStopSec=`` bounds a stop,
  after which the process group gets SIGKILL.
* ``LoadCredential=ID:PATH`` copies PATH to ``<root>/run/credentials/<unit>.service/ID``
  (folder 0700, file 0400) before the start and sets ``$CREDENTIALS_DIRECTORY`` to that
  folder, which a stop removes, as systemd does.

What it does not do (systemd does on a real host): ``User=``/``Group=`` (the process runs
as the caller), resource limits, sandboxing, ``Restart=``. The process output goes to
``<root>/var/log/unitctl/<unit>.log``, the pid (with its start time, so that a recycled pid
is never taken for the unit) to ``<root>/run/unitctl/<unit>.json``.

    unitctl.py --root DIR start|stop|restart|try-restart|is-active UNIT...

``start``, ``stop``, ``restart`` and ``try-restart`` print one line per unit beginning with
``changed:`` or ``ok:``, so that Ansible can report changes truthfully. ``is-active``
exits 0 when every unit runs and 3 otherwise, like ``systemctl is-active``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class UnitError(Exception):
    pass


def unit_file(root: Path, name: str) -> Path:
    if not name.endswith(".service"):
        name += ".service"
    path = root / "etc/systemd/system" / name
    if not path.is_file():
        raise UnitError(f"no unit file {path}")
    return path


def parse_unit(path: Path) -> dict[str, list[str]]:
    """The [Service] section as key -> every value in order (keys may repeat)."""
    service: dict[str, list[str]] = {}
    section = None
    pending = ""
    for raw in path.read_text().splitlines():
        line = pending + raw.strip()
        pending = ""
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        if section != "Service" or "=" not in line:
            continue
        key, value = line.split("=", 1)
        service.setdefault(key.strip(), []).append(value.strip())
    if not service.get("ExecStart"):
        raise UnitError(f"{path} has no ExecStart= in [Service]")
    return service


def parse_env_assignments(text: str) -> dict[str, str]:
    """``Environment=`` values: space-separated, optionally quoted ``KEY=VALUE`` words (``%%`` is ``%``)."""
    out: dict[str, str] = {}
    for word in shlex.split(text.replace("%%", "%")):
        if "=" in word:
            k, v = word.split("=", 1)
            out[k] = v
    return out


def parse_env_file(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line[0] in "#;" or "=" not in line:
            continue
        k, v = line.split("=", 1)
        v = v.strip()
        if len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'":
            v = v[1:-1]
        out[k.strip()] = v
    return out


def unit_environment(service: dict[str, list[str]]) -> dict[str, str]:
    env = {"PATH": DEFAULT_PATH, "LANG": os.environ.get("LANG", "C.UTF-8")}
    for entry in service.get("EnvironmentFile", []):
        optional = entry.startswith("-")
        path = Path(entry.lstrip("-"))
        if not path.is_file():
            if optional:
                continue
            raise UnitError(f"EnvironmentFile {path} does not exist")
        env.update(parse_env_file(path))
    for entry in service.get("Environment", []):
        env.update(parse_env_assignments(entry))
    return env


_BRACED = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_WHOLE = re.compile(r"^\$([A-Za-z_][A-Za-z0-9_]*)$")


def command_line(service: dict[str, list[str]], env: dict[str, str]) -> list[str]:
    exec_start = service["ExecStart"][-1]
    exec_start = exec_start.lstrip("-@+!:")  # prefixes that change how systemd runs it
    argv: list[str] = []
    for word in shlex.split(exec_start.replace("%%", "%")):
        whole = _WHOLE.match(word)
        if whole:
            argv.extend(env.get(whole.group(1), "").split())
        else:
            argv.append(_BRACED.sub(lambda m: env.get(m.group(1), ""), word))
    if not argv or not os.path.isabs(argv[0]):
        raise UnitError(f"ExecStart must start with an absolute path, got {exec_start!r}")
    return argv


def seconds(value: str, default: float) -> float:
    m = re.fullmatch(r"(\d+)\s*(s|sec|min)?", value.strip())
    if not m:
        return default
    return int(m.group(1)) * (60 if m.group(2) == "min" else 1)


class Unit:
    def __init__(self, root: Path, name: str):
        self.name = name.removesuffix(".service")
        self.path = unit_file(root, name)
        self.state_file = root / "run/unitctl" / f"{self.name}.json"
        self.log_file = root / "var/log/unitctl" / f"{self.name}.log"
        self.credentials_dir = root / "run/credentials" / f"{self.name}.service"

    def load_credentials(self, entries: list[str]) -> Path:
        """Copies each ``ID:PATH`` into the unit's credentials folder (owner-only modes)."""
        folder = self.credentials_dir
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True, mode=0o700)
        folder.chmod(0o700)
        for entry in entries:
            ident, sep, source = entry.partition(":")
            if not sep or not ident or "/" in ident:
                raise UnitError(f"{self.name}: LoadCredential={entry} is not ID:PATH")
            try:
                data = Path(source).read_bytes()
            except OSError as err:
                raise UnitError(f"{self.name}: LoadCredential {ident}: cannot read {source}: {err.strerror}") from err
            target = folder / ident
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o400)
            with os.fdopen(fd, "wb") as out:
                out.write(data)
        return folder

    def recorded(self) -> dict | None:
        try:
            return json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return None

    def running_pid(self) -> int | None:
        """The recorded pid if that process still runs (same start time: not a recycled pid)."""
        state = self.recorded()
        if not state:
            return None
        pid = state["pid"]
        return pid if _start_time(pid) == state.get("start_time") else None

    def start(self) -> str:
        pid = self.running_pid()
        if pid:
            return f"ok: {self.name} is running (pid {pid})"
        service = parse_unit(self.path)
        env = unit_environment(service)
        if service.get("LoadCredential"):
            env["CREDENTIALS_DIRECTORY"] = str(self.load_credentials(service["LoadCredential"]))
        argv = command_line(service, env)
        if not os.access(argv[0], os.X_OK):
            raise UnitError(f"{self.name}: {argv[0]} is not executable")
        cwd = service.get("WorkingDirectory", ["/"])[-1].lstrip("-")
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_file, "ab") as log:
            log.write(f"-- {time.strftime('%Y-%m-%dT%H:%M:%S')} unitctl: starting {shlex.join(argv)}\n".encode())
            log.flush()
            proc = subprocess.Popen(  # noqa: S603 - the command is the unit's own ExecStart
                argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.state_file.write_text(json.dumps({"pid": proc.pid, "start_time": _start_time(proc.pid), "argv": argv}) + "\n")
        # A unit whose command fails at once (bad path, bad flag) is reported here, as
        # `systemctl start` of a Type=simple unit would show it failed a moment later.
        time.sleep(1.0)
        if proc.poll() is not None:
            raise UnitError(f"{self.name} exited at once with status {proc.returncode}:\n{tail(self.log_file)}")
        return f"changed: started {self.name} (pid {proc.pid})"

    def stop(self) -> str:
        pid = self.running_pid()
        if not pid:
            return f"ok: {self.name} is not running"
        service = parse_unit(self.path)
        timeout = seconds(service.get("TimeoutStopSec", ["90"])[-1], 90)
        _signal_group(pid, signal.SIGTERM)
        if not _wait_gone(pid, timeout):
            _signal_group(pid, signal.SIGKILL)
            _wait_gone(pid, 10)
        self.state_file.unlink(missing_ok=True)
        shutil.rmtree(self.credentials_dir, ignore_errors=True)
        return f"changed: stopped {self.name} (pid {pid})"


def _stat_fields(pid: int) -> list[str] | None:
    """/proc/<pid>/stat after the command name: [state, ppid, ...]; None when gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _start_time(pid: int) -> str | None:
    """When the process started (clock ticks since boot); None when it is gone or a zombie."""
    fields = _stat_fields(pid)
    if not fields or fields[0] == "Z":
        return None
    return fields[19]


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)  # started with its own session: the group is the unit's processes
    except ProcessLookupError:
        pass


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            # Reap it if it is our child; otherwise just probe it.
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return True
        except ChildProcessError:
            pass
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        if _is_zombie(pid):
            return True
        time.sleep(0.2)
    return False


def _is_zombie(pid: int) -> bool:
    fields = _stat_fields(pid)
    return fields is None or fields[0] == "Z"


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no {path})"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", required=True, type=Path, help="the host's root folder (tickstream_root)")
    parser.add_argument("action", choices=["start", "stop", "restart", "try-restart", "is-active"])
    parser.add_argument("units", nargs="+")
    args = parser.parse_args(argv)
    try:
        units = [Unit(args.root, name) for name in args.units]
        if args.action == "is-active":
            active = [u.running_pid() is not None for u in units]
            for u, a in zip(units, active):
                print("active" if a else "inactive", u.name)
            return 0 if all(active) else 3
        for u in units:
            if args.action == "start":
                print(u.start())
            elif args.action == "stop":
                print(u.stop())
            elif args.action == "restart" or u.running_pid():
                u.stop()
                print(u.start().replace("started", "restarted"))
            else:
                print(f"ok: {u.name} is not running, not restarted")
        return 0
    except UnitError as err:
        print(f"unitctl: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
