"""A real one-node Slurm cluster on loopback, with accounting and two fake GPUs, for tests.

Slurm 22.05 from Debian's packages runs as root without systemd. Every daemon (munged, mariadbd,
slurmdbd, slurmctld, slurmd) runs in the foreground as a child of this process, on its own ports
and sockets, with all its configuration, state, logs and database in one private directory; the
client commands find the cluster through SLURM_CONF (see SlurmCluster.env). Nothing system-wide
is used but the installed packages (the fake GPU device nodes go to DIR/dev, or /dev where
mknod is refused there).

In tests, use the session fixture (import it into the test module so pytest registers it):

    from tests.slurm_cluster import slurm_cluster_fixture  # noqa: F401

    def test_something(slurm_cluster):
        slurm_cluster.run("sinfo")

By hand (the daemons outlive the command; stop them by the PIDs recorded in DIR):

    python -m tests.slurm_cluster start DIR     # then: export SLURM_CONF=DIR/etc/slurm.conf
    python -m tests.slurm_cluster stop DIR
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import require

log = logging.getLogger("slurm_cluster")

PACKAGES = ["slurmctld", "slurmd", "slurm-client", "munge", "slurmdbd", "mariadb-server"]
# A program from each package, found on PATH or in /usr/sbin once the package is installed.
PROGRAMS = ["slurmctld", "slurmd", "sbatch", "munged", "slurmdbd", "mariadbd"]
SBIN = ("/usr/sbin", "/usr/bin", "/sbin", "/bin")
# What apt-get says when its package lists are missing or out of date.
STALE_LISTS = ("Unable to locate package", "has no installation candidate", "Failed to fetch")

CLUSTER = "convstudy"
ACCOUNT = "convstudy"
PARTITION = "main"
NODE = "localhost"


class ClusterError(RuntimeError):
    """The cluster could not be installed or started (a real failure, not a reason to skip)."""


def which(program: str) -> str | None:
    return shutil.which(program) or shutil.which(program, path=os.pathsep.join(SBIN))


def unavailable_reason() -> str | None:
    """Why a cluster cannot be set up on this machine, or None when it can."""
    if not sys.platform.startswith("linux"):
        return f"needs Linux (this is {sys.platform})"
    if os.geteuid() != 0:
        return "needs root (to install Slurm and start its daemons)"
    if all(which(p) for p in PROGRAMS):
        return None
    if not which("apt-get"):
        missing = ", ".join(p for p in PROGRAMS if not which(p))
        return f"Slurm is not installed ({missing} missing) and there is no apt-get to install it"
    return None


def install() -> float:
    """Install the Debian packages that are missing; returns the seconds it took (0 if none)."""
    if all(which(p) for p in PROGRAMS):
        return 0.0
    started = time.monotonic()
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    command = ["apt-get", "install", "-y", "--no-install-recommends", *PACKAGES]
    # Package scripts must not start the system's own daemons: deny it for the install's
    # duration unless the machine already has a policy (Docker images do).
    policy = Path("/usr/sbin/policy-rc.d")
    own_policy = not policy.exists()
    if own_policy:
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
    try:
        log.info("installing %s", " ".join(PACKAGES))
        result = subprocess.run(command, env=env, capture_output=True, text=True)
        if result.returncode != 0 and any(sign in result.stderr for sign in STALE_LISTS):
            # Package lists missing (a fresh container) or stale: update them, once.
            log.info("apt-get install failed (%s); running apt-get update", result.stderr[-300:])
            subprocess.run(["apt-get", "update"], env=env, capture_output=True, text=True)
            result = subprocess.run(command, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise ClusterError(f"apt-get install failed:\n{result.stdout[-3000:]}{result.stderr}")
    finally:
        if own_policy:
            policy.unlink(missing_ok=True)
    missing = [p for p in PROGRAMS if not which(p)]
    if missing:
        raise ClusterError(f"installed {PACKAGES} but still missing {missing}")
    seconds = time.monotonic() - started
    log.info("installed Slurm in %.1f s", seconds)
    return seconds


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def process_start_time(pid: int) -> int | None:
    """The kernel's start time of a process (to tell it from a later one with the same PID)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[19])


def alive(pid: int, start_time: int | None) -> bool:
    current = process_start_time(pid)
    if current is None:
        return False
    if start_time is not None and current != start_time:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def reap(pid: int) -> None:
    """Collect a child that has exited (no-op for processes that are not our children)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def stop_pid(name: str, pid: int, start_time: int | None, timeout: float = 20.0) -> None:
    """SIGTERM, wait up to timeout, then SIGKILL; only if pid is still the process we started."""
    if not alive(pid, start_time):
        reap(pid)
        return
    log.info("stopping %s (pid %d)", name, pid)
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reap(pid)
        if not alive(pid, start_time):
            return
        time.sleep(0.1)
    log.warning("%s (pid %d) ignored SIGTERM for %.0f s; sending SIGKILL", name, pid, timeout)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    for _ in range(50):
        reap(pid)
        if not alive(pid, start_time):
            return
        time.sleep(0.1)
    log.error("%s (pid %d) survived SIGKILL", name, pid)


def tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return "(no log)"


@dataclass
class SlurmCluster:
    """A one-node cluster whose every file lives under root."""

    root: Path
    gpus: int = 2
    cluster: str = CLUSTER
    account: str = ACCOUNT
    partition: str = PARTITION
    node: str = NODE
    timings: dict[str, float] = field(default_factory=dict)
    processes: list[dict] = field(default_factory=list)
    created_devices: list[str] = field(default_factory=list)
    cpus: int = field(default_factory=lambda: os.cpu_count() or 1)
    memory_mb: int = field(
        default_factory=lambda: max(
            1000, int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20 * 0.8)
        )
    )
    # Where the fake GPU device nodes go (None: DIR/dev, else /dev where mknod there fails).
    device_dir: str | None = None
    popen: dict[str, subprocess.Popen] = field(default_factory=dict, repr=False)

    # --- layout -------------------------------------------------------------------------

    @property
    def etc(self) -> Path:
        return self.root / "etc"

    @property
    def conf(self) -> Path:
        return self.etc / "slurm.conf"

    @property
    def logs(self) -> Path:
        return self.root / "log"

    @property
    def munge_socket(self) -> Path:
        return self.root / "munge" / "munge.socket"

    @property
    def mysql_socket(self) -> Path:
        return self.root / "mysql" / "mysqld.sock"

    @property
    def state_file(self) -> Path:
        return self.root / "cluster.json"

    @property
    def env(self) -> dict[str, str]:
        """Environment for Slurm clients (sbatch, sacct, snakemake) talking to this cluster."""
        return dict(os.environ, SLURM_CONF=str(self.conf), USER=os.environ.get("USER") or "root")

    def run(self, *command: str, check: bool = True, timeout: float = 60):
        """Run a Slurm client command: run("sinfo", "-N") or run("sinfo -N") (split as a shell
        would)."""
        if len(command) == 1:
            command = tuple(shlex.split(command[0]))
        result = subprocess.run(
            command, env=self.env, capture_output=True, text=True, timeout=timeout
        )
        if check and result.returncode != 0:
            raise ClusterError(
                f"{' '.join(command)} exited {result.returncode}:\n{result.stdout}{result.stderr}"
            )
        return result

    # --- configuration ------------------------------------------------------------------

    def write_config(self) -> None:
        for sub in ("etc", "log", "run", "munge", "mysql", "state/ctld", "state/d"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        ports = {name: free_port() for name in ("mysql", "ctld", "d", "dbd")}
        password = secrets.token_hex(12)
        (self.root / "settings.json").write_text(
            json.dumps({"ports": ports, "db_password": password})
        )
        r = self.root
        munge = f"socket={self.munge_socket}"
        slurm_conf = {
            "ClusterName": self.cluster,
            "SlurmctldHost": "localhost",
            "SlurmctldPort": ports["ctld"],
            "SlurmdPort": ports["d"],
            "SlurmUser": "root",
            "SlurmdUser": "root",
            "AuthType": "auth/munge",
            "AuthInfo": munge,
            "CredType": "cred/munge",
            "MailProg": "/bin/true",
            "ProctrackType": "proctrack/linuxproc",
            "TaskPlugin": "task/none",  # and no cgroup.conf: 22.05 cannot disable cgroups there
            "SelectType": "select/cons_tres",
            "SelectTypeParameters": "CR_Core_Memory",
            "DefMemPerCPU": 500,
            "GresTypes": "gpu",
            "JobAcctGatherType": "jobacct_gather/none",
            "AccountingStorageType": "accounting_storage/slurmdbd",
            "AccountingStorageHost": "localhost",
            "AccountingStoragePort": ports["dbd"],
            # Clients take the munge socket for slurmdbd connections from here, not AuthInfo.
            "AccountingStoragePass": munge,
            "AccountingStorageTRES": "gres/gpu",
            "AccountingStoreFlags": "job_comment",  # sacct's Comment: the plugin's rule name
            "JobCompType": "jobcomp/none",
            "StateSaveLocation": r / "state" / "ctld",
            "SlurmdSpoolDir": r / "state" / "d",
            "SlurmctldPidFile": r / "run" / "slurmctld.pid",
            "SlurmdPidFile": r / "run" / "slurmd.pid",
            "SlurmctldLogFile": self.logs / "slurmctld.log",
            "SlurmdLogFile": self.logs / "slurmd.log",
            "ReturnToService": 2,
            "MinJobAge": 300,
            "KillWait": 5,
        }
        node = (
            f"NodeName={self.node} NodeAddr=127.0.0.1 CPUs={self.cpus} "
            f"RealMemory={self.memory_mb} Gres=gpu:{self.gpus} State=UNKNOWN"
        )
        partition = (
            f"PartitionName={self.partition} Nodes={self.node} Default=YES MaxTime=INFINITE "
            "State=UP"
        )
        self.conf.write_text(
            "# Written by tests/slurm_cluster.py: a one-node test cluster on loopback.\n"
            + "".join(f"{key}={value}\n" for key, value in slurm_conf.items())
            + f"{node}\n{partition}\n"
        )
        (self.etc / "gres.conf").write_text(
            "".join(f"NodeName={self.node} Name=gpu File={d}\n" for d in self.gpu_devices())
        )
        dbd_conf = {
            "AuthType": "auth/munge",
            "AuthInfo": munge,
            "DbdHost": "localhost",
            "DbdPort": ports["dbd"],
            "SlurmUser": "root",
            "LogFile": self.logs / "slurmdbd.log",
            "PidFile": r / "run" / "slurmdbd.pid",
            "StorageType": "accounting_storage/mysql",
            "StorageHost": "127.0.0.1",
            "StoragePort": ports["mysql"],
            "StorageUser": "slurm",
            "StoragePass": password,
            "StorageLoc": "slurm_acct_db",
        }
        # slurmdbd insists: owned by SlurmUser, readable by nobody else; found next to
        # slurm.conf (SLURM_CONF's directory).
        dbd = self.etc / "slurmdbd.conf"
        dbd.touch(mode=0o600)
        dbd.chmod(0o600)
        dbd.write_text("".join(f"{key}={value}\n" for key, value in dbd_conf.items()))

    def settings(self) -> dict:
        return json.loads((self.root / "settings.json").read_text())

    def gpu_devices(self) -> list[str]:
        return [f"{self.device_dir}/fakegpu{i}" for i in range(self.gpus)]

    def make_gpu_devices(self) -> None:
        """Character devices for gres.conf: copies of /dev/null, since Slurm only needs the files
        to exist. Private ones under DIR keep concurrent clusters apart; /dev is the fallback."""
        candidates = [self.device_dir] if self.device_dir else [str(self.root / "dev"), "/dev"]
        for directory in candidates:
            self.device_dir = directory
            try:
                Path(directory).mkdir(parents=True, exist_ok=True)
                for device in self.gpu_devices():
                    if not os.path.exists(device):
                        os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
                        self.created_devices.append(device)
                break
            except OSError as error:
                log.info("cannot create device nodes in %s (%s)", directory, error)
        else:
            raise ClusterError(f"could not create fake GPU devices in {candidates}")
        self.save_state()

    # --- processes ----------------------------------------------------------------------

    def save_state(self) -> None:
        self.state_file.write_text(
            json.dumps(
                {"processes": self.processes, "created_devices": self.created_devices}, indent=1
            )
        )

    def spawn(self, name: str, command: list[str], detach: bool = False) -> subprocess.Popen:
        out = open(self.logs / f"{name}.out", "ab")
        process = subprocess.Popen(
            command,
            env=dict(self.env, SLURM_TEST_CLUSTER=str(self.root)),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=detach,
        )
        out.close()
        # Record each PID the moment it exists, so a failure further on still stops it.
        self.processes.append(
            {"name": name, "pid": process.pid, "start_time": process_start_time(process.pid)}
        )
        self.save_state()
        self.popen[name] = process
        log.info("started %s (pid %d)", name, process.pid)
        return process

    def wait_for(self, what: str, check, process=None, timeout: float = 60.0, logfile=None):
        deadline = time.monotonic() + timeout
        while True:
            if check():
                return
            if process is not None and process.poll() is not None:
                raise ClusterError(
                    f"{what}: the daemon exited with {process.returncode}\n"
                    + self.diagnostics(logfile)
                )
            if time.monotonic() > deadline:
                raise ClusterError(
                    f"{what}: not ready after {timeout:.0f} s\n" + self.diagnostics(logfile)
                )
            time.sleep(0.2)

    def diagnostics(self, *logfiles) -> str:
        parts = []
        for logfile in logfiles:
            if logfile:
                parts.append(f"--- {logfile} ---\n{tail(Path(logfile))}")
        for out in sorted(self.logs.glob("*.out")):
            text = tail(out, 1500).strip()
            if text:
                parts.append(f"--- {out} ---\n{text}")
        return "\n".join(parts)

    def ok(self, *command: str) -> bool:
        try:
            return self.run(*command, check=False, timeout=20).returncode == 0
        except subprocess.TimeoutExpired:
            return False

    def sacctmgr_add(self, *what: str) -> None:
        """sacctmgr -i add ...; an entity that already exists counts as success."""
        result = self.run("sacctmgr", "-i", "add", *what, check=False)
        text = (result.stdout + result.stderr).lower()
        if result.returncode != 0 and not ("already exist" in text or "nothing new added" in text):
            raise ClusterError(
                f"sacctmgr add {' '.join(what)} exited {result.returncode}:\n"
                f"{result.stdout}{result.stderr}"
            )

    def start(self, detach: bool = False) -> None:
        """Write the configuration and start the daemons in order; on failure stop them again.

        DIR may hold a previous cluster's state (database, munge key, slurmctld state): it is
        reused, and daemons of that cluster still running (a run killed before it could stop
        them) are stopped first."""
        if self.state_file.exists():
            leftover = SlurmCluster(self.root)
            leftover.stop()
        self.processes, self.created_devices = [], []
        try:
            self._start(detach)
        except BaseException:
            self.stop()
            raise

    def _start(self, detach: bool) -> None:
        started = time.monotonic()
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        self.make_gpu_devices()
        self.write_config()
        ports = self.settings()["ports"]
        step = time.monotonic()

        # munge: authentication for every Slurm message.
        key = self.root / "munge" / "munge.key"
        if not key.exists():
            subprocess.run(
                [which("mungekey"), "--create", f"--keyfile={key}"], check=True, capture_output=True
            )
        key.chmod(0o600)
        munged = self.spawn(
            "munged",
            [
                which("munged"),
                "--foreground",
                "--force",
                f"--key-file={key}",
                f"--socket={self.munge_socket}",
                f"--pid-file={self.root / 'run' / 'munged.pid'}",
                f"--log-file={self.logs / 'munged.log'}",
                f"--seed-file={self.root / 'munge' / 'munged.seed'}",
            ],
            detach,
        )
        self.wait_for(
            "munged",
            lambda: self.munge_socket.exists() and self.munge_roundtrip(),
            munged,
            logfile=self.logs / "munged.log",
        )
        self.timings["munged"] = time.monotonic() - step
        step = time.monotonic()

        # MariaDB: a private data directory, reached over TCP on loopback by slurmdbd.
        datadir = self.root / "mysql" / "data"
        if not (datadir / "mysql").exists():
            result = subprocess.run(
                [
                    which("mariadb-install-db") or which("mysql_install_db"),
                    "--no-defaults",
                    f"--datadir={datadir}",
                    "--user=root",
                    "--auth-root-authentication-method=socket",
                    "--skip-test-db",
                ],
                capture_output=True,
                text=True,
            )
            if result.returncode != 0:
                raise ClusterError(f"mariadb-install-db failed:\n{result.stdout}{result.stderr}")
        mariadbd = self.spawn(
            "mariadbd",
            [
                which("mariadbd"),
                "--no-defaults",
                f"--datadir={datadir}",
                f"--socket={self.mysql_socket}",
                f"--port={ports['mysql']}",
                "--bind-address=127.0.0.1",
                f"--pid-file={self.root / 'run' / 'mariadbd.pid'}",
                f"--log-error={self.logs / 'mariadbd.log'}",
                "--user=root",
                "--skip-name-resolve",
                "--innodb-buffer-pool-size=64M",
                "--innodb-log-file-size=16M",
            ],
            detach,
        )
        self.wait_for(
            "mariadbd",
            lambda: self.mysql_socket.exists() and self.sql("SELECT 1").returncode == 0,
            mariadbd,
            logfile=self.logs / "mariadbd.log",
        )
        password = self.settings()["db_password"]
        grants = "".join(
            f"CREATE USER IF NOT EXISTS 'slurm'@'{host}' IDENTIFIED BY '{password}';"
            f"ALTER USER 'slurm'@'{host}' IDENTIFIED BY '{password}';"
            f"GRANT ALL ON slurm_acct_db.* TO 'slurm'@'{host}';"
            for host in ("localhost", "127.0.0.1")
        )
        result = self.sql(grants)
        if result.returncode != 0:
            raise ClusterError(f"creating the database user failed:\n{result.stderr}")
        self.timings["mariadbd"] = time.monotonic() - step
        step = time.monotonic()

        # slurmdbd: accounting (sacct reads job states from it).
        slurmdbd = self.spawn("slurmdbd", [which("slurmdbd"), "-D"], detach)
        self.wait_for(
            "slurmdbd",
            lambda: self.ok("sacctmgr", "-n", "list", "cluster"),
            slurmdbd,
            logfile=self.logs / "slurmdbd.log",
        )
        self.sacctmgr_add("cluster", self.cluster)
        self.sacctmgr_add(
            "account",
            self.account,
            f"Cluster={self.cluster}",
            "Description=test",
            "Organization=test",
        )
        user = self.env["USER"]
        self.sacctmgr_add(
            "user",
            user,
            f"Account={self.account}",
            f"DefaultAccount={self.account}",
            f"Cluster={self.cluster}",
        )
        self.timings["slurmdbd"] = time.monotonic() - step
        step = time.monotonic()

        # slurmctld, then slurmd; the node must come up idle with its GPUs.
        slurmctld = self.spawn(
            "slurmctld", [which("slurmctld"), "-D", "-i", "-f", str(self.conf)], detach
        )
        self.wait_for(
            "slurmctld",
            lambda: "UP" in self.run("scontrol", "ping", check=False, timeout=20).stdout,
            slurmctld,
            logfile=self.logs / "slurmctld.log",
        )
        slurmd = self.spawn(
            "slurmd", [which("slurmd"), "-D", "-N", self.node, "-f", str(self.conf)], detach
        )
        self.wait_for(
            "the node to be idle",
            self.node_idle,
            slurmd,
            logfile=self.logs / "slurmd.log",
        )
        self.timings["slurmctld+slurmd"] = time.monotonic() - step
        self.timings["start"] = time.monotonic() - started
        log.info(
            "cluster up in %.1f s (%s)",
            self.timings["start"],
            ", ".join(
                f"{k} {v:.1f} s" for k, v in self.timings.items() if k not in ("start", "install")
            ),
        )

    def munge_roundtrip(self) -> bool:
        munge = subprocess.run(
            [which("munge"), "-n", f"--socket={self.munge_socket}"], capture_output=True
        )
        if munge.returncode != 0:
            return False
        unmunge = subprocess.run(
            [which("unmunge"), f"--socket={self.munge_socket}"],
            input=munge.stdout,
            capture_output=True,
        )
        return unmunge.returncode == 0

    def sql(self, statement: str) -> subprocess.CompletedProcess:
        client = which("mariadb") or which("mysql")
        return subprocess.run(
            [
                client,
                "--no-defaults",
                f"--socket={self.mysql_socket}",
                "-u",
                "root",
                "-e",
                statement,
            ],
            capture_output=True,
            text=True,
            timeout=20,
        )

    def node_idle(self) -> bool:
        result = self.run("sinfo", "-h", "-N", "-o", "%N %T", check=False)
        states = dict(line.split() for line in result.stdout.splitlines() if line.strip())
        state = states.get(self.node, "")
        if state.startswith(("drain", "inval", "fail")):
            reason = self.run("sinfo", "-R", check=False).stdout
            raise ClusterError(f"node {self.node} is {state}:\n{reason}\n" + self.diagnostics())
        return state == "idle"

    def stop(self) -> None:
        """Cancel jobs, stop every daemon we started (reverse order, by PID), remove devices."""
        if not self.processes:
            if not self.state_file.exists():
                log.info("nothing to stop: no %s", self.state_file)
                return
            state = json.loads(self.state_file.read_text())
            self.processes = state["processes"]
            self.created_devices = state["created_devices"]
        running = {p["name"] for p in self.processes if alive(p["pid"], p["start_time"])}
        if {"slurmctld", "slurmd"} <= running:
            try:
                jobs = self.run("squeue", "-h", "-o", "%i", check=False, timeout=15).stdout.split()
                if jobs:
                    self.run("scancel", *jobs, check=False, timeout=15)
                    deadline = time.monotonic() + 15
                    while (
                        time.monotonic() < deadline
                        and self.run(
                            "squeue", "-h", "-o", "%i", check=False, timeout=15
                        ).stdout.strip()
                    ):
                        time.sleep(0.5)
            except (subprocess.TimeoutExpired, OSError) as error:
                log.warning("could not cancel jobs: %s", error)
        errors = []
        for process in reversed(self.processes):
            try:
                stop_pid(process["name"], process["pid"], process["start_time"])
            except Exception as error:  # keep stopping the others
                errors.append(f"{process['name']}: {error}")
        for process in self.popen.values():
            process.poll()  # collected already; this only tells the Popen object
        self.stop_strays()
        for device in self.created_devices:
            Path(device).unlink(missing_ok=True)
        self.created_devices = []
        self.processes = [p for p in self.processes if alive(p["pid"], p["start_time"])]
        self.save_state()
        if errors or self.processes:
            raise ClusterError(f"could not stop {self.processes}: {errors}")

    def stop_strays(self) -> None:
        """Processes our daemons left behind (job steps, slurmstepd) carry our marker in their
        environment; stop those, by PID, and nothing else."""
        marker = f"SLURM_TEST_CLUSTER={self.root}".encode()
        conf_marker = f"SLURM_CONF={self.conf}".encode()
        spared = {os.getpid(), os.getppid()}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) in spared:
                continue
            try:
                environ = (entry / "environ").read_bytes().split(b"\0")
                name = (entry / "comm").read_text().strip()
            except OSError:
                continue
            in_job = conf_marker in environ and any(v.startswith(b"SLURM_JOB_ID=") for v in environ)
            if marker in environ or in_job or (name == "slurmstepd" and conf_marker in environ):
                pid = int(entry.name)
                stop_pid(f"stray {name}", pid, process_start_time(pid), timeout=5)


def stop_and_report(cluster: SlurmCluster) -> None:
    started = time.monotonic()
    cluster.stop()
    log.info("cluster stopped in %.1f s", time.monotonic() - started)


def announce(config, message: str) -> None:
    """A line on pytest's terminal, shown even while output is captured."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        print(message, file=sys.stderr)
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line(message)


@pytest.fixture(scope="session", name="slurm_cluster")
def slurm_cluster_fixture(request):
    """A running one-node cluster (session-wide); skipped with the reason where it cannot run
    (a failure under CI=true, where a skip would pass unseen).

    Every daemon it started is stopped at the end of the session, by PID, whatever happened."""
    reason = unavailable_reason()
    require(
        not reason,
        f"no local Slurm cluster: {reason}. It needs Linux, root and apt-get: the fixture "
        f"installs the Debian packages {' '.join(PACKAGES)} itself",
    )
    install_seconds = install()
    cluster = SlurmCluster(Path(tempfile.mkdtemp(prefix="slurm-cluster-")))
    cluster.timings["install"] = install_seconds
    stopped = False
    try:
        cluster.start()
        announce(
            request.config,
            f"\n[slurm_cluster] install {install_seconds:.1f} s, start "
            f"{cluster.timings['start']:.1f} s, in {cluster.root}",
        )
        yield cluster
    finally:
        started = time.monotonic()
        try:
            cluster.stop()
            stopped = True
        finally:
            announce(
                request.config,
                f"\n[slurm_cluster] stopped in {time.monotonic() - started:.1f} s"
                + (
                    ""
                    if stopped
                    else f"; stop by hand: python -m tests.slurm_cluster stop {cluster.root}"
                ),
            )
        shutil.rmtree(cluster.root, ignore_errors=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("dir", type=Path, help="private directory for config, state and logs")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    cluster = SlurmCluster(args.dir.resolve())
    if args.action == "stop":
        stop_and_report(cluster)
        return 0
    reason = unavailable_reason()
    if reason:
        print(f"cannot start a local Slurm cluster: {reason}", file=sys.stderr)
        return 2
    cluster.timings["install"] = install()
    cluster.start(detach=True)
    print(f"export SLURM_CONF={cluster.conf}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
