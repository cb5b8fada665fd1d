"""Settings and the command line (api/config.py, __main__.py): every field is a flag and a
BPE_* variable; a bad value, an unusable data folder or a busy port is one line on stderr and
exit code 2, before any URL; --version; what the start-up prints (where sessions are kept,
the addresses students open for 0.0.0.0). Real `python -m backprop_explorer` processes."""
from __future__ import annotations

import ipaddress
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Literal, get_args, get_origin

import pytest

import backprop_explorer
from backprop_explorer.__main__ import build_parser
from backprop_explorer.api.config import Settings, SettingsError
from backprop_explorer.client import wait_until_serving

REPO = Path(__file__).resolve().parent.parent
CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith("BPE_")}


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 60):
    return subprocess.run([sys.executable, "-m", "backprop_explorer", *args],
                          env={**CLEAN_ENV, **(env or {})}, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, cwd=REPO)


def assert_one_line_exit_2(result, *words: str) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "http://" not in lines[0]
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


@pytest.fixture
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ----- bad values: one line naming the variable or flag and what it expects ---------------
BAD_ENV = [
    ("BPE_PORT", "abc", "expected an integer"),
    ("BPE_PORT", "70000", "less than or equal to 65535"),
    ("BPE_MAX_UNITS", "0", "greater than or equal to 1"),
    ("BPE_MAX_SESSIONS", "1.5", "expected an integer"),
    ("BPE_SESSION_TTL", "soon", "expected a number"),
    ("BPE_MEMORY", "maybe", "expected true or false"),
    ("BPE_LOG_LEVEL", "verbose", "expected one of critical, error, warning, info, debug"),
]


@pytest.mark.parametrize("name,value,expected", BAD_ENV)
def test_a_bad_variable_is_one_line_naming_it(name, value, expected, free_port):
    result = run_cli(env={"BPE_PORT": str(free_port), "BPE_MEMORY": "1", name: value})
    line = assert_one_line_exit_2(result, f"{name}={value!r}", expected)
    assert line.startswith("backprop-explorer: error: ")


BAD_FLAGS = [
    (["--port", "abc"], ["--port", "'abc'", "expected an integer"]),
    (["--max-layers", "-3"], ["--max-layers", "greater than or equal to 1"]),
    (["--log-level", "verbose"], ["--log-level", "invalid choice: 'verbose'", "debug"]),
    (["--no-such-flag"], ["unrecognized arguments: --no-such-flag"]),
    (["--frontend-dir", "/nonexistent/frontend"], ["no frontend in /nonexistent/frontend",
                                                   "--frontend-dir"]),
]


@pytest.mark.parametrize("args,words", BAD_FLAGS, ids=[a[0] for a, _ in BAD_FLAGS])
def test_a_bad_flag_is_one_line_naming_it(args, words, free_port):
    assert_one_line_exit_2(run_cli("--memory", "--port", str(free_port), *args), *words)


def test_a_data_folder_that_cannot_be_created_is_one_line(tmp_path, free_port):
    a_file = tmp_path / "file"
    a_file.write_text("not a folder")
    result = run_cli("--port", str(free_port), "--data-dir", str(a_file / "sessions"))
    assert_one_line_exit_2(result, f"the data folder {a_file / 'sessions'} cannot be created",
                           "--data-dir", "BPE_DATA_DIR")
    assert not (a_file.parent / "sessions").exists()


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_a_data_folder_in_proc_is_one_line(free_port):
    """The issue's example: --data-dir /proc/x (cannot be created), and /proc itself (a
    folder that takes no file, even for root)."""
    assert_one_line_exit_2(run_cli("--port", str(free_port), "--data-dir", "/proc/x"),
                           "the data folder /proc/x cannot be created")
    assert_one_line_exit_2(run_cli("--port", str(free_port), env={"BPE_DATA_DIR": "/proc"}),
                           "the data folder /proc cannot be written")


def test_every_bad_value_is_reported_one_line_each(monkeypatch):
    monkeypatch.setenv("BPE_PORT", "x")
    monkeypatch.setenv("BPE_MAX_UNITS", "y")
    with pytest.raises(SettingsError) as info:
        Settings.from_env(memory="z")
    assert info.value.lines == ["BPE_PORT='x': expected an integer",          # field order
                                "--memory='z': expected true or false (1/0, yes/no, on/off)",
                                "BPE_MAX_UNITS='y': expected an integer"]


# ----- a busy port: one line, before any URL -----------------------------------------------
def test_a_busy_port_is_one_line_before_any_url(free_port):
    with socket.socket() as other:
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        other.bind(("127.0.0.1", free_port))
        other.listen()
        result = run_cli("--memory", "--port", str(free_port))
    assert_one_line_exit_2(result, f"port {free_port} is in use on 127.0.0.1", "--port",
                           "BPE_PORT")


def test_the_port_is_held_during_the_start_up(make_server):
    """A second server started while the first is still starting (after it has checked the
    port, before uvicorn listens) is refused too, not the first one after its URL."""
    first = make_server("--memory")
    first.log_path.parent.mkdir(exist_ok=True)
    log = open(first.log_path, "wb")
    first.proc = subprocess.Popen(first.args, stdout=log, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, env=first.env, cwd=REPO)
    give_up = time.monotonic() + 60
    while "Sessions:" not in first.log_path.read_text():       # the port is reserved by now
        assert first.proc.poll() is None, first.log_path.read_text()
        assert time.monotonic() < give_up, first.log_path.read_text()
        time.sleep(0.02)
    second = run_cli("--memory", "--port", str(first.port))
    assert_one_line_exit_2(second, f"port {first.port} is in use")
    wait_until_serving(first.url, first.proc, timeout=60)       # and the first one serves
    assert "address already in use" not in first.log_path.read_text()


# ----- --version, --help: derived from the fields ----------------------------------------
def test_version():
    result = run_cli("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"backprop-explorer {backprop_explorer.__version__}"


def test_help_lists_every_setting_with_its_variable_and_comment():
    result = run_cli("--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    for name in Settings.model_fields:
        assert Settings.flag(name) in text and Settings.variable(name) in text, name
    assert "units in any one layer (env BPE_MAX_UNITS; default 1024)" in text
    assert "--no-demo" in text and "--no-memory" in text


def test_every_field_is_a_flag_and_a_variable(monkeypatch, tmp_path):
    """Set every setting once by flag and once by variable (a value differing from its
    default) and read it back: adding a field adds both."""
    values = {"host": ("0.0.0.0", "0.0.0.0"), "port": ("9001", 9001),
              "frontend_dir": (str(tmp_path), str(tmp_path)),
              "data_dir": ("~/x", str(Path.home() / "x")), "log_level": ("DEBUG", "debug"),
              "cors_origins": ("https://a, https://b", ["https://a", "https://b"])}
    parser = build_parser()
    for name, field in Settings.model_fields.items():
        default = field.get_default(call_default_factory=True)
        if isinstance(default, bool):
            raw, want = ("--no-" + Settings.flag(name)[2:] if default else Settings.flag(name),
                         not default)
            args = [raw]
            env_raw = "0" if default else "1"
        elif name in values:
            env_raw, want = values[name]
            args = [Settings.flag(name), env_raw]
        elif get_origin(field.annotation) is Literal:
            want = next(choice for choice in get_args(field.annotation) if choice != default)
            env_raw = str(want)
            args = [Settings.flag(name), env_raw]
        elif isinstance(default, (int, float)):           # every limit, budget and timeout
            want = type(default)(default * 2 + 1)
            env_raw = str(want)
            args = [Settings.flag(name), env_raw]
        else:
            env_raw = want = f"{default}-changed"
            args = [Settings.flag(name), env_raw]
        flags = vars(parser.parse_args(args))
        assert getattr(Settings.from_env(**flags), name) == want, (name, args)
        monkeypatch.setenv(Settings.variable(name), env_raw)
        assert getattr(Settings.from_env(), name) == want, (name, env_raw)
        assert getattr(Settings(), name) == default, name      # Settings() reads no variable
        monkeypatch.delenv(Settings.variable(name))


def test_a_flag_wins_over_its_variable(monkeypatch):
    monkeypatch.setenv("BPE_MAX_UNITS", "99")
    flags = vars(build_parser().parse_args(["--max-units", "7"]))
    assert Settings.from_env(**flags).max_units == 7
    assert Settings.from_env().max_units == 99


# ----- what the start-up prints ----------------------------------------------------------
def test_the_start_up_names_where_sessions_are_kept(make_server, tmp_path):
    data = tmp_path / "my data"
    server = make_server("--data-dir", str(data), "--no-demo",
                         env={**CLEAN_ENV, "BPE_PROT": "1"}).start(timeout=90)
    text = server.log_path.read_text()
    assert f"Sessions: {data / 'sessions.db'}" in text
    assert "BPE_PROT is not a setting, ignored (did you mean BPE_PORT?)" in text
    assert f"Backprop Explorer: http://127.0.0.1:{server.port}/" in text
    memory = make_server("--memory", "--no-demo").start(timeout=90)
    assert "Sessions: in memory only" in memory.log_path.read_text()


def machine_addresses() -> list[str] | None:
    """This machine's global IPv4 addresses from `ip` (independent of the code under test)."""
    if not shutil.which("ip"):
        return None
    out = subprocess.run(["ip", "-j", "-4", "addr"], capture_output=True, text=True)
    if out.returncode != 0:
        return None
    found = [ipaddress.ip_address(a["local"]) for link in json.loads(out.stdout)
             for a in link.get("addr_info", [])]
    return sorted(str(a) for a in found if not a.is_loopback and not a.is_link_local)


def test_bound_to_every_address_it_prints_the_addresses_students_open(make_server):
    server = make_server("--memory", "--host", "0.0.0.0").start(timeout=90)
    text = server.log_path.read_text()
    assert "0.0.0.0" not in text, text
    line = next(li for li in text.splitlines() if li.startswith("Backprop Explorer: "))
    printed = sorted(u.removeprefix("http://").removesuffix(f":{server.port}/")
                     for u in line.removeprefix("Backprop Explorer: ").split())
    demo = next(li for li in text.splitlines() if li.startswith("Demo session"))
    assert f"http://{printed[0]}:{server.port}/?session=" in demo
    expected = machine_addresses()
    if expected is None:
        pytest.skip("no `ip` command to compare with")
    assert printed == (expected or ["127.0.0.1"]), (printed, expected)
