"""Run a bench script with longer bounds on its Playwright waits (the suite's test of it).

    python tests/bench/patient_playwright.py SCALE bench/ui.py --quick --out DIR

Every explicit `timeout=` of Page.wait_for_function, and the pages' default timeout
(goto, click, hover), is multiplied by SCALE; nothing else changes (the waits for time to
pass, `wait_for_timeout`, and everything the script measures stay as they are). Why: the
bench's bounds are tuned for a machine that runs the benchmark alone, and in the test suite
it shares two cores with three other workers, their servers and browsers, so a wait for
"training stopped" that takes 2 s alone has taken over 10 s there. A wait that never ends
still fails, SCALE times later.
"""
from __future__ import annotations

import runpy
import sys
from pathlib import Path

from playwright.sync_api._generated import BrowserContext, Page

DEFAULT_TIMEOUT_MS = 30_000      # Playwright's own default


def patch(scale: float) -> None:
    wait_for_function = Page.wait_for_function

    def patient_wait_for_function(self, expression, *, arg=None, polling=None, timeout=None):
        timeout = DEFAULT_TIMEOUT_MS if timeout is None else timeout
        return wait_for_function(self, expression, arg=arg, polling=polling,
                                 timeout=timeout * scale)

    new_page = BrowserContext.new_page

    def patient_new_page(self):
        page = new_page(self)
        page.set_default_timeout(DEFAULT_TIMEOUT_MS * scale)
        return page

    Page.wait_for_function = patient_wait_for_function      # type: ignore[method-assign]
    BrowserContext.new_page = patient_new_page              # type: ignore[method-assign]


def main() -> None:
    scale, script, *args = sys.argv[1:]
    patch(float(scale))
    sys.path.insert(0, str(Path(script).resolve().parent))  # as `python bench/x.py` would
    sys.argv = [script, *args]
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
