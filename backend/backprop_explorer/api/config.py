"""All server settings in one place: each field below is a setting with its default, its
environment variable BPE_<NAME> and its command-line flag --<name> (__main__.py derives the
flags from these fields and their comments, so adding a field adds both).

`Settings(**values)` is the defaults plus `values`, nothing else (tests, the schema's static
ceilings). `Settings.from_env(**flags)` adds the BPE_* variables, the flags winning, and
raises `SettingsError` with one line per bad value naming the variable or the flag.
"""
from __future__ import annotations

import ast
import inspect
import ipaddress
import json
import os
import socket
import sys
import textwrap
from functools import cache
from importlib import metadata, resources
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin
from urllib.parse import unquote, urlparse

import platformdirs
from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, EnvSettingsSource, NoDecode, SettingsConfigDict
from pydantic_settings import SettingsError as _SourceError

ENV_PREFIX = "BPE_"
CLIENT_URL_VARIABLE = "BPE_URL"      # read by the Python client (client.py), not the server


def installed_frontend_dir() -> str:
    """The frontend installed with the package: backprop_explorer/frontend in a wheel or sdist
    install (package data, see pyproject.toml). An editable install (`pip install -e .`, what
    `make` does) serves the project's own frontend/ folder, found through the install's
    direct_url.json record (PEP 610), and so does a source checkout on PYTHONPATH. Without
    any, the path where it would be (missing)."""
    installed = Path(str(resources.files("backprop_explorer"))) / "frontend"
    if installed.is_dir():
        return str(installed)
    project = _editable_project_dir()
    if project is not None and (project / "frontend").is_dir():
        return str(project / "frontend")
    # run from a source checkout (PYTHONPATH=backend): backend/backprop_explorer → frontend/
    checkout = Path(__file__).resolve().parents[3] / "frontend"
    if (checkout / "index.html").is_file() and (checkout.parent / "pyproject.toml").is_file():
        return str(checkout)
    return str(installed)


def _editable_project_dir() -> Path | None:
    try:
        record = metadata.distribution("backprop-explorer").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return None
    info = json.loads(record or "{}")
    if not info.get("dir_info", {}).get("editable") or not info.get("url", "").startswith("file:"):
        return None
    return Path(unquote(urlparse(info["url"]).path))


Port = Annotated[int, Field(ge=1, le=65535)]
Count = Annotated[int, Field(ge=1)]
Seconds = Annotated[float, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0)]
DEFAULT_DATA_DIR = platformdirs.user_data_dir("backprop-explorer", appauthor=False)
LogLevel = Literal["critical", "error", "warning", "info", "debug", "trace"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid")

    host: str = "127.0.0.1"  # address to bind; 0.0.0.0 or :: serves every network of this machine
    port: Port = 8000  # TCP port
    frontend_dir: str = Field(default_factory=installed_frontend_dir)  # static frontend folder
    demo_session: bool = True  # create the lecture's 2-2-1 demo session at start
    # persistence: SQLite file in data_dir, or nothing kept with memory=True
    data_dir: str = DEFAULT_DATA_DIR  # folder of the session store, sessions.db
    memory: bool = False  # keep sessions in memory only (a throw-away server)
    # scaling out: everything in one Redis, served by many processes (README: Scaling out)
    redis_url: str | None = None  # keep everything in this Redis (redis://host:6379/0), not data_dir
    workers: Count = 1  # server processes; more than 1 needs --redis (one SQLite store is one process)
    session_ttl: Seconds = 7 * 86400  # seconds a session may stay idle before it expires
    evict_idle: NonNegative = 600  # at max_sessions, evict the oldest idle this long
    log_level: LogLevel = "info"  # how much the server logs
    # limits
    max_layers: Count = 10  # layers including input and output
    max_units: Count = 1024  # units in any one layer
    max_parameters: Count = 200_000  # weights + biases of one network
    max_sessions: Count = 1000  # live sessions
    max_dataset_size: Count = 10_000  # examples in a dataset (also rows of one predict)
    max_train_work: Count = 50_000_000  # updates × batch × parameters in one train call
    max_body_bytes: Count = 8_000_000  # bytes of one request body
    max_gradcheck_parameters: Count = 5_000  # gradcheck does 4 forward passes per parameter
    max_classes: Count = 100  # live classes (classroom/)
    class_idle_timeout: Seconds = 4 * 3600  # seconds a class may go unused before it ends
    cors_origins: Annotated[list[str], NoDecode] = []  # other sites allowed to call the API (CORS)
    # store budget, response bounds and connection limits
    max_session_bytes: Count = 1_000_000_000  # all sessions: parameters × (1 + undo levels) × 8 bytes
    max_loss_points: Count = 1000  # /train: loss curve points at most (means of equal runs beyond)
    max_header_bytes: Count = 65_536  # request line + headers of one request; more → 431
    header_timeout: Seconds = 10.0  # seconds to receive a request's headers (also an idle new connection)
    body_timeout: Seconds = 60.0  # seconds to receive a request's body once its headers are in
    keep_alive_timeout: Seconds = 5.0  # seconds an idle keep-alive connection stays open
    shutdown_timeout: Seconds = 10.0  # seconds a graceful shutdown waits for requests in flight
    retry_after: Count = 5  # seconds a 503 (storage fault) tells clients to wait

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings,
                                   dotenv_settings, file_secret_settings):
        return (init_settings,)          # the environment is read by from_env only

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("data_dir", "frontend_dir", mode="after")
    @classmethod
    def _home(cls, value: str) -> str:
        return os.path.expanduser(value)

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower_case(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """The defaults, overridden by BPE_* environment variables, overridden by `overrides`
        (the command-line flags; None means not given). Raises SettingsError."""
        flags = {k: v for k, v in overrides.items() if v is not None}
        try:
            env = EnvSettingsSource(cls)()
        except _SourceError as error:         # a value that does not decode at all
            raise SettingsError([str(error)]) from None
        try:
            return cls(**{**env, **flags})
        except ValidationError as error:
            raise SettingsError([_describe(e, flags) for e in error.errors()]) from None

    @classmethod
    def variable(cls, name: str) -> str:
        """The environment variable of a field: BPE_<NAME>."""
        return ENV_PREFIX + name.upper()

    @classmethod
    def flag(cls, name: str) -> str:
        """The command-line flag of a field: --<name-with-dashes>."""
        return "--" + name.replace("_", "-")

    @classmethod
    def unknown_variables(cls, environ: dict[str, str] | None = None) -> list[str]:
        """BPE_* variables in the environment that are no setting (a typo, most likely)."""
        known = {cls.variable(name) for name in cls.model_fields} | {CLIENT_URL_VARIABLE}
        return sorted(k for k in (os.environ if environ is None else environ)
                      if k.upper().startswith(ENV_PREFIX) and k.upper() not in known)

    def environment(self) -> dict[str, str]:
        """These settings as BPE_* variables (what from_env() reads back): how the workers
        of --workers N get the supervisor's settings."""
        out = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, list):
                value = ",".join(value)
            elif isinstance(value, bool):
                value = "true" if value else "false"
            out[self.variable(name)] = str(value)
        return out

    @property
    def database_path(self) -> Path:
        return Path(self.data_dir) / "sessions.db"

    @property
    def binds_every_address(self) -> bool:
        return self.host in ("0.0.0.0", "::", "")

    def urls(self) -> list[str]:
        """The addresses a person can open: for a server bound to every address (0.0.0.0,
        ::), this machine's network addresses (what students type), else the bound one."""
        hosts = lan_addresses(ipv6=self.host == "::") if self.binds_every_address else []
        return [url_of(host, self.port) for host in (hosts or [self.host or "127.0.0.1"])]


class SettingsError(ValueError):
    """Bad settings; `lines` are one message per bad value, naming the variable or flag."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        super().__init__("\n".join(lines))


def _describe(error: Any, flags: dict[str, Any]) -> str:
    name = str(error["loc"][0]) if error.get("loc") else ""
    field = Settings.model_fields.get(name)
    if field is None:
        return f"{name}: {error['msg']}"
    source = Settings.flag(name) if name in flags else Settings.variable(name)
    expected = expected_type(field.annotation)
    text = f"{source}={error['input']!r}: expected {expected}"
    if not error["type"].endswith(("_parsing", "_type", "literal_error")):
        text += ", " + error["msg"].replace("Input should be ", "")   # a range
    return text


def expected_type(annotation: Any) -> str:
    """What a person must write for a field of this type, in words."""
    if get_origin(annotation) is Annotated:
        return expected_type(get_args(annotation)[0])
    if get_origin(annotation) is Literal:
        return "one of " + ", ".join(str(a) for a in get_args(annotation))
    if get_origin(annotation) is list:
        return "a comma-separated list"
    return {int: "an integer", float: "a number", bool: "true or false (1/0, yes/no, on/off)",
            str: "text"}.get(annotation, str(annotation))


@cache
def field_comments() -> dict[str, str]:
    """Each field's trailing comment in the class above: the flags' help text."""
    try:
        source = textwrap.dedent(inspect.getsource(Settings))
    except (OSError, TypeError):
        return {}
    lines = source.splitlines()
    comments = {}
    cls = ast.parse(source).body[0]
    assert isinstance(cls, ast.ClassDef)
    for node in cls.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) \
                and node.end_lineno is not None and node.end_col_offset is not None:
            rest = lines[node.end_lineno - 1][node.end_col_offset:].strip()
            if rest.startswith("#"):
                comments[node.target.id] = rest.lstrip("# ").strip()
    return comments


# ----- where students can reach the server ----------------------------------------------------
def url_of(host: str, port: int) -> str:
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def lan_addresses(ipv6: bool = False) -> list[str]:
    """This machine's addresses on its networks (no loopback, no link-local), IPv4 first;
    IPv6 ones too with ipv6=True. Read from the interfaces; nothing is sent anywhere."""
    found: list[str] = []
    if sys.platform.startswith("linux"):
        found += _linux_ipv4_addresses()
        if ipv6:
            found += _linux_ipv6_addresses()
    try:
        for *_, sockaddr in socket.getaddrinfo(socket.gethostname(), None,
                                               type=socket.SOCK_STREAM):
            found.append(str(sockaddr[0]))
    except OSError:
        pass
    keep = []
    for text in found:
        address = ipaddress.ip_address(text.split("%")[0])
        if address.is_loopback or address.is_link_local or address.is_unspecified \
                or (address.version == 6 and not ipv6) or text in keep:
            continue
        keep.append(text)
    return sorted(keep, key=lambda a: ":" in a)


def _linux_ipv4_addresses() -> list[str]:
    import fcntl
    import struct
    SIOCGIFADDR = 0x8915
    addresses = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for _, name in socket.if_nameindex():
            try:
                answer = fcntl.ioctl(sock.fileno(), SIOCGIFADDR,
                                     struct.pack("256s", name.encode()[:15]))
            except OSError:             # no IPv4 address on this interface
                continue
            addresses.append(socket.inet_ntoa(answer[20:24]))
    return addresses


def _linux_ipv6_addresses() -> list[str]:
    try:
        rows = Path("/proc/net/if_inet6").read_text().split()
    except OSError:
        return []
    addresses = []
    for i in range(0, len(rows) - 5, 6):
        hexa, scope = rows[i], rows[i + 3]
        if scope == "00":               # global scope
            addresses.append(str(ipaddress.IPv6Address(bytes.fromhex(hexa))))
    return addresses
