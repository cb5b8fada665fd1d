"""Roles and safety of a live class (issue 15 item 4), over real HTTP: every teacher route
refuses a student's token and no token (403); the teacher's session id appears in no
student-visible response or event; 20 wrong join codes → 429."""
from __future__ import annotations

import json

import httpx
import pytest
from class_helpers import Listener, bearer, join, open_class


@pytest.fixture(scope="module")
def server(live_server):
    return live_server


def teacher_routes(cid: str, qid: str) -> list[tuple[str, str, dict | None]]:
    q = f"/api/classes/{cid}/questions/{qid}"
    return [("POST", f"/api/classes/{cid}/phase", {"phase": 1}),
            ("POST", f"/api/classes/{cid}/questions", {"kind": "pick_weight"}),
            ("GET", f"{q}/results", None),
            ("POST", f"{q}/reveal", None),
            ("POST", f"{q}/reopen", None),
            ("GET", f"/api/classes/{cid}/answers.csv", None),
            ("GET", f"/api/classes/{cid}/qr.svg", None),
            ("DELETE", f"/api/classes/{cid}", None)]


def test_every_teacher_route_refuses_a_student_token_and_none(server):
    with httpx.Client(base_url=server, timeout=30) as c:
        sid, cls = open_class(c)
        cid, teacher = cls["id"], bearer(cls["teacher_token"])
        other_sid, other = open_class(c)            # another class's teacher is no teacher here
        s = join(c, cls["code"])
        qid = c.post(f"/api/classes/{cid}/questions", headers=teacher,
                     json={"blank": {"quantity": "loss"}}).json()["question_id"]
        before = c.get(f"/api/sessions/{sid}").json()
        for method, path, body in teacher_routes(cid, qid):
            for headers, params in (({}, {}), (bearer(s["student_token"]), {}),
                                    ({}, {"token": s["student_token"]}),
                                    (bearer(other["teacher_token"]), {}),
                                    (bearer("not-a-token"), {})):
                r = c.request(method, path, json=body, headers=headers, params=params)
                assert r.status_code == 403, f"{method} {path} {headers} {params}: {r.status_code}"
        # nothing was changed by the refused calls
        view = c.get(f"/api/classes/{cid}", headers=teacher).json()
        assert view["phase"] == 0 and len(view["questions"]) == 1
        assert view["questions"][0]["status"] == "open" and view["questions"][0]["round"] == 1
        assert c.get(f"/api/sessions/{sid}").json() == before
        # members' routes refuse no token too; the student-only ones refuse the teacher
        assert c.get(f"/api/classes/{cid}").status_code == 403
        assert c.get(f"/api/classes/{cid}/events").status_code == 403
        r = c.post(f"/api/classes/{cid}/questions/{qid}/answers", json={"value": 0.1},
                   headers=teacher)
        assert r.status_code == 403
        # and the teacher's own token works on every teacher route (the last one closes)
        for method, path, body in teacher_routes(cid, qid):
            r = c.request(method, path, json=body, headers=teacher)
            assert r.status_code in (200, 201, 204), f"{method} {path}: {r.status_code} {r.text}"
        assert c.get(f"/api/classes/{cid}", headers=teacher).status_code == 404
        c.delete(f"/api/classes/{other['id']}", headers=bearer(other["teacher_token"]))


def test_the_teacher_session_id_reaches_no_student(server):
    with httpx.Client(base_url=server, timeout=30) as c:
        sid, cls = open_class(c)
        cid, teacher = cls["id"], bearer(cls["teacher_token"])
        seen: list[str] = []                              # every byte a student received

        def student(method: str, path: str, token: str, **kw) -> httpx.Response:
            r = c.request(method, path, headers=bearer(token), **kw)
            seen.append(r.text)
            seen.append(json.dumps(dict(r.headers)))
            return r

        r = c.post("/api/classes/join", json={"code": cls["code"], "name": "Eve"})
        seen.append(r.text)
        s = r.json()
        tok = s["student_token"]
        ear = Listener(f"{server}/api/classes/{cid}/events?token={tok}")
        ear.next()
        c.post(f"/api/sessions/{sid}/step", json={})
        c.post(f"/api/classes/{cid}/phase", json={"phase": 4}, headers=teacher)
        qid = c.post(f"/api/classes/{cid}/questions", headers=teacher,
                     json={"blank": {"quantity": "dL_dW", "layer": 1, "i": 0, "j": 0}}
                     ).json()["question_id"]
        student("GET", f"/api/classes/{cid}", tok)
        student("POST", f"/api/classes/{cid}/questions/{qid}/answers", tok, json={"value": 0.5})
        student("GET", f"/api/classes/{cid}", tok)
        c.post(f"/api/classes/{cid}/questions/{qid}/reveal", headers=teacher)
        student("GET", f"/api/classes/{cid}", tok)
        student("POST", f"/api/classes/{cid}/questions/{qid}/answers", tok, json={"value": 0.5})
        forked = student("POST", f"/api/classes/{cid}/fork", tok).json()["session_id"]
        c.post(f"/api/classes/{cid}/questions", headers=teacher, json={"kind": "pick_weight"})
        # a student trying teacher routes learns nothing either
        for method, path in (("GET", f"/api/classes/{cid}/answers.csv"),
                             ("GET", f"/api/classes/{cid}/questions/{qid}/results"),
                             ("POST", f"/api/classes/{cid}/questions"),
                             ("GET", f"/api/classes/{cid}/qr.svg")):
            student(method, path, tok)
        c.delete(f"/api/sessions/{sid}")                   # ends the class: `closed`
        names: list[str] = []
        while "closed" not in names:
            names.append(ear.next()["event"])
        assert {"state", "question", "results", "reveal", "closed"} <= set(names)
        seen.extend(ear.raw)
        everything = "\n".join(seen)
        assert sid not in everything
        assert forked != sid and len(everything) > 2000
        # the events did carry the session's state (without its id)
        states = [line for line in ear.raw if line.startswith("data: {\"phase\"")]
        assert states and all('"id"' not in line for line in states)


def test_twenty_wrong_codes_then_429(make_server):
    server = make_server("--memory").start()     # its own server: the limit is per address
    with httpx.Client(base_url=server.url, timeout=30) as c:
        _, cls = open_class(c)
        alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
        wrong = [code for code in ("".join(alphabet[(k * 7 + n) % 31] for n in range(6))
                                   for k in range(40)) if code != cls["code"]][:20]
        for code in wrong:
            r = c.post("/api/classes/join", json={"code": code})
            assert r.status_code == 404, r.text
        r = c.post("/api/classes/join", json={"code": wrong[0]})
        assert r.status_code == 429
        assert 1 <= int(r.headers["Retry-After"]) <= 601
        # from now on even the right code waits: the limit is on guessing from this address
        assert c.post("/api/classes/join", json={"code": cls["code"]}).status_code == 429
