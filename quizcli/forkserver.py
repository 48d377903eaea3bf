"""A warm start for grading: one process that has imported torch, numpy and pytest forks each grade from itself.

Importing torch and pytest costs 1.5–3.5 s per grade; `grade --watch`, `selftest` and the catalogue-wide test
pay it once. Every grade is still a fresh process of its own: its own session (killed as a group), the same
resource limits, environment, working folder, results pipe and output pipe as a cold start. The server runs
no tensor op before forking (fork after parallel work is unsafe) and is single-threaded for the same reason.

Protocol over a SOCK_SEQPACKET socketpair (one message per request or reply): the client sends one JSON request
per grade with the fds to use (SCM_RIGHTS);
the server answers {"id", "pid"} once forked and {"id", "status"} when the grade's process has ended.
"""

from __future__ import annotations

import array
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

PRELOAD = ("numpy", "torch", "pytest", "_pytest.python", "_pytest.runner")
MAX_FDS = 8


# --- the server -------------------------------------------------------------------------------------------

def _preload() -> None:
    for name in PRELOAD:
        try:
            __import__(name)
        except Exception:  # noqa: BLE001 - what is missing is imported (and fails) in the grade itself
            pass
    try:  # pytest.main imports its built-in plugins on every run: import them once here
        from _pytest.config import default_plugins
        for plugin in default_plugins:
            __import__(f"_pytest.{plugin}")
    except Exception:  # noqa: BLE001
        pass


def _receive(sock: socket.socket) -> tuple[dict, list[int]] | None:
    fds = array.array("i")
    message, ancillary, _, _ = sock.recvmsg(1 << 20, socket.CMSG_LEN(MAX_FDS * fds.itemsize))
    if not message:
        return None
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - len(data) % fds.itemsize])
    return json.loads(message), list(fds)


def _run_grade(request: dict, fds: list[int], sock: socket.socket) -> None:
    """In the forked child: become the grade's process, then run pytest in it. Never returns."""
    try:
        sock.close()  # the solution must not reach the server
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.setsid()
        stdout, *passed = fds
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(stdout, 1)
        os.dup2(stdout, 2)
        env = dict(request["env"])
        for name, fd in zip(request["fd_names"], passed):
            os.set_inheritable(fd, True)
            env[name] = str(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(env)
        import tempfile
        tempfile.tempdir = None  # re-read TMPDIR: the grade's temp files belong in its own folder
        apply_limits(request["limits"])
        sys.argv = ["pytest", *request["args"]]
        import pytest

        code = pytest.main(request["args"])
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(int(code))
    except BaseException:  # noqa: BLE001 - whatever happened, the child must not return into the server loop
        os._exit(70)


def apply_limits(limits: list) -> None:
    """Lower each soft limit ``(resource name, value)`` to ``value`` (never above the hard limit)."""
    import resource

    for name, value in limits:
        limit = getattr(resource, name)
        try:
            soft, hard = resource.getrlimit(limit)
            resource.setrlimit(limit, (value if hard == resource.RLIM_INFINITY else min(value, hard), hard))
        except (ValueError, OSError):
            pass


def serve(fd: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the client's to handle; it closes the socket
    sock = socket.socket(fileno=fd)
    _preload()
    running: dict[int, str] = {}
    while True:
        ready, _, _ = select.select([sock], [], [], 0.02)
        if ready:
            received = _receive(sock)
            if received is None:
                break  # the client went away
            request, fds = received
            pid = os.fork()
            if pid == 0:
                _run_grade(request, fds, sock)
            for fd in fds:
                os.close(fd)
            running[pid] = request["id"]
            sock.send(json.dumps({"id": request["id"], "pid": pid}).encode())
        while running:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            request_id = running.pop(pid, None)
            if request_id is not None:
                code = os.waitstatus_to_exitcode(status)
                sock.send(json.dumps({"id": request_id, "status": code}).encode())


# --- the client ---------------------------------------------------------------------------------------------

class WarmProcess:
    """The part of subprocess.Popen that the runner uses, for a grade forked by the server."""

    def __init__(self, pid: int, stdout, finished: threading.Event, status: dict):
        self.pid, self.stdout = pid, stdout
        self._finished, self._status = finished, status
        self.returncode: int | None = None

    def wait(self, timeout: float | None = None) -> int:
        if not self._finished.wait(timeout):
            raise subprocess.TimeoutExpired("grade", timeout)
        self.returncode = self._status["status"]
        return self.returncode


class ForkServer:
    def __init__(self, env: dict[str, str]):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._server = subprocess.Popen([sys.executable, "-m", "quizcli.forkserver", str(theirs.fileno())],
                                        env=env, pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        cwd=Path(__file__).parent.parent)
        theirs.close()
        self._sock, self._lock = ours, threading.Lock()
        self._waiting: dict[str, tuple[threading.Event, threading.Event, dict]] = {}  # id → started, finished, reply
        self._next = 0
        threading.Thread(target=self._read_replies, daemon=True).start()

    @property
    def alive(self) -> bool:
        return self._server.poll() is None

    def spawn(self, args: list[str], cwd: Path, env: dict[str, str], pass_fds: dict[str, int],
              limits: list) -> WarmProcess:
        read_out, write_out = os.pipe()
        with self._lock:
            self._next += 1
            request_id = str(self._next)
            started, finished, status = threading.Event(), threading.Event(), {}
            self._waiting[request_id] = (started, finished, status)
        request = {"id": request_id, "args": args, "cwd": str(cwd), "env": env, "limits": limits,
                   "fd_names": list(pass_fds)}
        fds = array.array("i", [write_out, *pass_fds.values()])
        try:
            self._sock.sendmsg([json.dumps(request).encode()], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)])
        finally:
            os.close(write_out)
        if not started.wait(30) or "pid" not in status:
            os.close(read_out)
            raise OSError("the warm grading process did not answer")
        return WarmProcess(status["pid"], os.fdopen(read_out, "rb"), finished, status)

    def _read_replies(self) -> None:
        while True:
            try:
                message = self._sock.recv(65536)
            except OSError:
                break
            if not message:
                break
            reply = json.loads(message)
            started, finished, status = self._waiting.get(reply["id"], (None, None, None))
            if started is None:
                continue
            if "pid" in reply:
                status["pid"] = reply["pid"]
                started.set()
            else:
                status["status"] = reply["status"]
                finished.set()
                self._waiting.pop(reply["id"], None)
        for started, finished, status in list(self._waiting.values()):  # the server died: nobody will answer
            status.setdefault("status", -9)
            started.set()
            finished.set()

    def close(self) -> None:
        self._sock.close()
        try:
            self._server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._server.kill()


if __name__ == "__main__":
    serve(int(sys.argv[1]))
