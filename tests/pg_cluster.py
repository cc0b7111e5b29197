"""A throwaway PostgreSQL cluster for the tests and benchmarks (standard library only).

`.ci/run` starts one before the tests and exports its URI as `PROVENANCE_TEST_POSTGRESQL`;
without it, the tests' fixture starts one itself where Debian's server binaries are installed
(`apt-get install postgresql`). The cluster lives in a temporary directory and listens on a
Unix socket there (reachable inside CI's network namespace, which has no network) and on a
loopback port; `initdb` refuses to run as root, so as root it runs as the `postgres` user.

    python tests/pg_cluster.py start DIR [--durable]   # prints the URI
    python tests/pg_cluster.py stop DIR
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
from pathlib import Path
from urllib.parse import quote

__all__ = ["ENV", "find_binaries", "start", "stop"]

ENV = "PROVENANCE_TEST_POSTGRESQL"
SUPERUSER = "provenance"
# Throwaway clusters skip durability (the tests kill gate processes, never the server's
# host); `--durable` keeps PostgreSQL's defaults, for the benchmark's comparison with SQLite.
_FAST = ("-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")


def find_binaries() -> Path | None:
    """The directory holding `initdb` and `pg_ctl` (the newest Debian version), if any."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda path: int(path.parts[-3]) if path.parts[-3].isdigit() else 0,
    )
    if candidates:
        return candidates[-1].parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _run(command: list[str]) -> None:
    done = subprocess.run(command, check=False, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)}: exit {done.returncode}: {done.stderr.strip()}")


def start(base: Path, *, durable: bool = False) -> str:
    """Create and start a cluster under `base` (a new, empty directory whose parents the
    `postgres` user can traverse when run as root); returns its URI."""
    binaries = find_binaries()
    if binaries is None:
        raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    base.mkdir(parents=True, exist_ok=True)
    data, sockets = base / "data", base / "socket"
    sockets.mkdir(exist_ok=True)
    if os.geteuid() == 0:
        for path in (base, sockets):
            shutil.chown(path, "postgres", "postgres")
    os.chmod(base, 0o755)
    os.chmod(sockets, 0o777)
    _run(
        _as_server_user(
            [str(binaries / "initdb"), "-D", str(data), "--auth=trust", "--no-sync",
             f"--username={SUPERUSER}", "--encoding=UTF8", "--locale=C"]
        )
    )  # fmt: skip
    port = _free_port()
    options = [
        "-c", "listen_addresses=127.0.0.1", "-c", f"port={port}",
        "-c", f"unix_socket_directories={sockets}", "-c", "max_connections=60",
        *([] if durable else _FAST),
    ]  # fmt: skip
    _run(
        _as_server_user(
            [str(binaries / "pg_ctl"), "-D", str(data), "-l", str(base / "server.log"), "-w",
             "-t", "60", "-o", " ".join(options), "start"]
        )
    )  # fmt: skip
    return f"postgresql://{SUPERUSER}@/postgres?host={quote(str(sockets), safe='/')}&port={port}"


def stop(base: Path) -> None:
    binaries = find_binaries()
    if binaries is None or not (base / "data").is_dir():
        return
    subprocess.run(
        _as_server_user([str(binaries / "pg_ctl"), "-D", str(base / "data"), "-m", "immediate",
                         "-w", "stop"]),
        check=False,
        capture_output=True,
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--durable", action="store_true")
    arguments = parser.parse_args()
    if arguments.action == "start":
        print(start(arguments.directory, durable=arguments.durable))
    else:
        stop(arguments.directory)


if __name__ == "__main__":
    main()
