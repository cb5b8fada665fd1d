"""A live class over real HTTP (issue 15 items 2–5): students follow the teacher's steps and
phase, receive the question, answer (some with a classic mistake computed from the trace),
the results and histogram are exact, the reveal reaches everyone with the right bin and the
diagnosis counts, "ask again" opens a new round, the CSV has every answer."""
from __future__ import annotations

import csv
import io
from collections import Counter

import httpx
import pytest
from class_helpers import Listener, bearer, join, open_class


@pytest.fixture(scope="module")
def server(live_server):
    return live_server


def key(v: float) -> float:
    """The histogram's grouping: 3 significant digits."""
    return float(f"{v:.3g}")


def test_students_follow_and_answer_a_delta(server):
    names = ["Ada", "Bo", "Cy", "Di", "Ed"]
    with httpx.Client(base_url=server, timeout=30) as c:
        sid, cls = open_class(c)
        cid, teacher = cls["id"], bearer(cls["teacher_token"])
        assert len(cls["code"]) == 6 and not set(cls["code"]) & set("0O1IL")
        assert cls["join_url"].endswith(cls["code"])
        # typed in lower case with a space: the same code
        students = [join(c, (cls["code"][:3] + " " + cls["code"][3:]).lower() if n == "Ada"
                         else cls["code"], n) for n in names]
        assert {s["class_id"] for s in students} == {cid}
        tview = c.get(f"/api/classes/{cid}", headers=teacher).json()
        assert tview["students"] == 5 and tview["role"] == "teacher" and tview["session_id"] == sid

        ears = [Listener(f"{server}/api/classes/{cid}/events?token={s['student_token']}")
                for s in students]
        board = Listener(f"{server}/api/classes/{cid}/events?token={cls['teacher_token']}")
        for e in ears:
            first = e.next()
            assert first["event"] == "state" and first["data"]["state"]["step"] == 0
            assert "id" not in first["data"]["state"] and first["data"]["phase"] == 0
        board.until("state")

        # the teacher steps: every student gets the new weights and the step's trace
        step = c.post(f"/api/sessions/{sid}/step", json={}).json()
        for e in ears:
            got = e.next()
            assert got["event"] == "state"
            assert got["data"]["state"]["step"] == 1
            assert [w["W"] for w in got["data"]["state"]["weights"]] == \
                [u["W_after"] for u in step["update"]]
            last = got["data"]["last_step"]
            assert last["example_index"] == step["example_index"]
            assert last["grads"][0]["dL_ds"] == pytest.approx(step["grads"][0]["dL_ds"], rel=1e-12)
            assert last["update"][1]["W_before"] == step["update"][1]["W_before"]
        # … and the phase
        assert c.post(f"/api/classes/{cid}/phase", json={"phase": 3}, headers=teacher).json() == \
            {"phase": 3}
        for e in ears:
            got = e.next()
            assert got["event"] == "state" and got["data"]["phase"] == 3

        # "what is δ for z2?": δ_2^h, hidden layer 0, unit 1
        r = c.post(f"/api/classes/{cid}/questions", headers=teacher,
                   json={"blank": {"quantity": "dL_ds", "layer": 0, "unit": 1}})
        assert r.status_code == 201, r.text
        qid = r.json()["question_id"]
        questions = [e.until("question")[0]["data"] for e in ears]
        q = questions[0]
        assert all(x == q for x in questions)
        assert q["question_id"] == qid and q["kind"] == "blank" and q["round"] == 1
        assert q["label"] == "δ_2^h" and q["blank"]["unit"] == 1 and q["status"] == "open"
        assert "expected" not in str(q)
        # the value and the classic mistake, from the trace on the question's example
        ex = q["example"]
        trace = c.post(f"/api/sessions/{sid}/backward", json={"x": ex["x"], "y": ex["y"]}).json()
        delta = trace["grads"][0]["dL_ds"][1]
        no_local = trace["grads"][0]["dL_da"][1]         # δ without the local factor z2(1 − z2)
        assert abs(no_local - delta) > 0.01 * abs(delta)

        def answer(s, value):
            r = c.post(f"/api/classes/{cid}/questions/{qid}/answers", json={"value": value},
                       headers=bearer(s["student_token"]))
            assert r.status_code == 200, r.text
            assert r.json() == {"question_id": qid, "round": 1, "accepted": True}

        answer(students[0], 42.0)                   # replaced below
        answer(students[0], delta)
        answer(students[1], delta * 1.004)          # within 1 %
        answer(students[2], delta)
        answer(students[3], no_local)
        answer(students[4], no_local)
        # students see counts only, the projector the histogram as well, never the answer
        for e in ears:                      # the count comes (coalesced) until it says 5
            res = [e.until("results")[0]["data"]]
            while res[-1]["answered"] < 5:
                res.append(e.until("results")[0]["data"])
            assert res[-1] == {"question_id": qid, "round": 1, "answered": 5}
            assert all(set(x) == {"question_id", "round", "answered"} for x in res)
        bres = [x["data"] for x in board.drain() if x["event"] == "results"]
        assert bres[-1]["answered"] == 5
        bars = sorted([(key(no_local), 2), (key(delta), 2), (key(delta * 1.004), 1)])
        assert [(b["lo"], b["count"]) for b in bres[-1]["histogram"]] == bars
        assert not any("right" in b for b in bres[-1]["histogram"])

        res = c.get(f"/api/classes/{cid}/questions/{qid}/results", headers=teacher).json()
        assert res["answered"] == 5 and res["correct"] == 3 and res["expected"] is None
        assert [(b["lo"], b["count"]) for b in res["histogram"]] == bars
        assert [(d["code"], d["count"]) for d in res["diagnoses"]] == \
            [("missing_activation_derivative", 2)]
        assert res["diagnoses"][0]["value"] == pytest.approx(no_local, rel=1e-12)

        # reveal: everyone, the right bars marked, the diagnosis counted
        rev = c.post(f"/api/classes/{cid}/questions/{qid}/reveal", headers=teacher).json()
        assert rev["expected"] == pytest.approx(delta, rel=1e-12)
        for listener in [*ears, board]:
            got = listener.until("reveal")[0]["data"]
            assert got["expected"] == pytest.approx(delta, rel=1e-12)
            right = {b["lo"]: b["right"] for b in got["histogram"]}
            assert right == {key(delta): True, key(delta * 1.004): True, key(no_local): False}
            assert [(d["code"], d["count"]) for d in got["diagnoses"]] == \
                [("missing_activation_derivative", 2)]
            assert got["correct"] == 3 and got["answered"] == 5
        late = c.post(f"/api/classes/{cid}/questions/{qid}/answers", json={"value": delta},
                      headers=bearer(students[4]["student_token"]))
        assert late.status_code == 409
        mine = c.get(f"/api/classes/{cid}", headers=bearer(students[3]["student_token"])).json()
        assert mine["my_answer"]["correct"] is False
        assert mine["my_answer"]["diagnosis"]["code"] == "missing_activation_derivative"

        # ask again: round 2, empty; round 1 kept for the CSV
        r = c.post(f"/api/classes/{cid}/questions/{qid}/reopen", headers=teacher)
        assert r.status_code == 201 and r.json()["round"] == 2
        for e in ears:
            again = e.until("question")[0]["data"]
            assert again["round"] == 2 and again["status"] == "open"
        for s in students[3:]:
            r = c.post(f"/api/classes/{cid}/questions/{qid}/answers", json={"value": delta},
                       headers=bearer(s["student_token"]))
            assert r.status_code == 200 and r.json()["round"] == 2
        res2 = c.get(f"/api/classes/{cid}/questions/{qid}/results", headers=teacher).json()
        assert (res2["round"], res2["answered"], res2["correct"], res2["diagnoses"]) == (2, 2, 2, [])

        # the CSV: every answer of both rounds, with nicknames (the projector never has them)
        r = c.get(f"/api/classes/{cid}/answers.csv", headers=teacher)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(r.text)))
        assert len(rows) == 7
        by = {(row["round"], row["nickname"]): row for row in rows}
        assert float(by[("1", "Ada")]["value"]) == delta          # the replaced answer is gone
        assert by[("1", "Di")]["correct"] == "false"
        assert by[("1", "Di")]["diagnosis"] == "missing_activation_derivative"
        assert by[("1", "Bo")]["correct"] == "true" and by[("2", "Ed")]["correct"] == "true"
        assert {row["label"] for row in rows} == {"δ_2^h"}
        assert "Ada" not in str(rev) and "Ada" not in str(res)

        # closing: everyone gets `closed`, the code and the class are gone
        assert c.delete(f"/api/classes/{cid}", headers=teacher).status_code == 204
        for listener in [*ears, board]:
            assert listener.until("closed")[0]["data"] == {"reason": "closed_by_teacher"}
        assert c.get(f"/api/classes/{cid}", headers=teacher).status_code == 404
        assert c.post("/api/classes/join", json={"code": cls["code"]}).status_code == 404


def test_pick_weight_counts_clicks_and_reveals_the_largest_gradient(server):
    with httpx.Client(base_url=server, timeout=30) as c:
        sid, cls = open_class(c)
        cid, teacher = cls["id"], bearer(cls["teacher_token"])
        students = [join(c, cls["code"]) for _ in range(5)]
        qid = c.post(f"/api/classes/{cid}/questions", json={"kind": "pick_weight"},
                     headers=teacher).json()["question_id"]
        view = c.get(f"/api/classes/{cid}", headers=bearer(students[0]["student_token"])).json()
        q = view["question"]
        assert q["kind"] == "pick_weight" and q["question_id"] == qid
        trace = c.post(f"/api/sessions/{sid}/backward",
                       json={"x": q["example"]["x"], "y": q["example"]["y"]}).json()
        signed, size = {}, {}
        for k, (g, w) in enumerate(zip(trace["grads"], q["weights"], strict=True)):
            for i, row in enumerate(g["dL_dW"]):
                for j, v in enumerate(row):
                    signed[(k, i, j)], size[(k, i, j)] = v, abs(w["W"][i][j])
            for j, v in enumerate(g["dL_db"]):
                signed[(k, -1, j)], size[(k, -1, j)] = v, abs(w["b"][j])
        grads = {w: abs(v) for w, v in signed.items()}

        def first_max(d):                    # ties: the first layer, unit below, unit
            return max(d, key=lambda w: (d[w], -w[0], -w[1], -w[2]))

        best, big_w, big_signed = first_max(grads), first_max(size), first_max(signed)
        worst = min(grads, key=grads.get)

        def right(w):
            return grads[w] >= grads[best] - max(0.01 * grads[best], 1e-4)     # rtol, atol

        def diagnosis(w):
            return (None if right(w) else "largest_weight" if w == big_w else
                    "largest_signed" if w == big_signed else None)

        # the lecture network's largest weight is w_22^h; the largest ∂L/∂w here is not it
        assert big_w == (0, 1, 1) and not right(big_w)
        picks = [best, best, worst, big_w, big_signed]
        for s, (k, i, j) in zip(students, picks, strict=True):
            r = c.post(f"/api/classes/{cid}/questions/{qid}/answers",
                       json={"weight": {"layer": k, "i": i, "j": j}},
                       headers=bearer(s["student_token"]))
            assert r.status_code == 200, r.text
        # a value is not an answer to this question
        r = c.post(f"/api/classes/{cid}/questions/{qid}/answers", json={"value": 1.0},
                   headers=bearer(students[0]["student_token"]))
        assert r.status_code == 422 and "weight" in r.text
        res = c.get(f"/api/classes/{cid}/questions/{qid}/results", headers=teacher).json()
        clicks = {(x["layer"], x["i"], x["j"]): x["count"] for x in res["clicks"]}
        assert clicks == dict(Counter(picks))
        assert res["answered"] == 5 and res["correct"] == sum(map(right, picks))
        assert res["histogram"] == []
        want = Counter(d for d in map(diagnosis, picks) if d)
        assert want["largest_weight"] == 1
        assert {d["code"]: d["count"] for d in res["diagnoses"]} == dict(want)
        assert all(d["message"] and d["value"] is None for d in res["diagnoses"])
        rev = c.post(f"/api/classes/{cid}/questions/{qid}/reveal", headers=teacher).json()
        assert rev["expected"] == dict(zip(("layer", "i", "j"), best, strict=True))
        # the student who picked the largest |w| is told why, after the reveal
        mine = c.get(f"/api/classes/{cid}", headers=bearer(students[3]["student_token"])).json()
        assert mine["my_answer"]["correct"] is False
        assert mine["my_answer"]["diagnosis"]["code"] == "largest_weight"


def test_fork_is_a_private_copy(server):
    with httpx.Client(base_url=server, timeout=30) as c:
        sid, cls = open_class(c)
        cid, teacher = cls["id"], bearer(cls["teacher_token"])
        c.post(f"/api/sessions/{sid}/step", json={})
        s = join(c, cls["code"])
        ear = Listener(f"{server}/api/classes/{cid}/events?token={s['student_token']}")
        ear.next()
        r = c.post(f"/api/classes/{cid}/fork", headers=bearer(s["student_token"]))
        assert r.status_code == 201, r.text
        mine = r.json()["session_id"]
        assert mine != sid
        teacher_before = c.get(f"/api/sessions/{sid}").json()
        copy = c.get(f"/api/sessions/{mine}").json()
        for k in ("network", "weights", "step", "epoch", "dataset"):
            assert copy[k] == teacher_before[k], k
        assert copy["history"] == 0
        for _ in range(3):
            assert c.post(f"/api/sessions/{mine}/step", json={}).status_code == 200
        assert c.get(f"/api/sessions/{sid}").json() == teacher_before
        assert c.get(f"/api/sessions/{mine}").json()["step"] == teacher_before["step"] + 3
        assert ear.drain() == []                    # the class saw nothing of it
        # the teacher cannot fork (a student's action), nor anyone without a token
        assert c.post(f"/api/classes/{cid}/fork", headers=teacher).status_code == 403
        assert c.post(f"/api/classes/{cid}/fork").status_code == 403
        ear.close()


def test_deleting_the_teacher_session_ends_the_class(server):
    with httpx.Client(base_url=server, timeout=30) as c:
        sid, cls = open_class(c)
        s = join(c, cls["code"])
        ear = Listener(f"{server}/api/classes/{cls['id']}/events?token={s['student_token']}")
        ear.next()
        c.delete(f"/api/sessions/{sid}")
        assert ear.until("closed")[0]["data"] == {"reason": "session_deleted"}
        assert c.get(f"/api/classes/{cls['id']}",
                     headers=bearer(s["student_token"])).status_code == 404


def test_reconnect_with_last_event_id_gets_what_it_missed(server):
    with httpx.Client(base_url=server, timeout=30) as c:
        sid, cls = open_class(c)
        cid, teacher = cls["id"], bearer(cls["teacher_token"])
        s = join(c, cls["code"])
        url = f"{server}/api/classes/{cid}/events?token={s['student_token']}"
        first = Listener(url)
        e0 = first.next()
        first.close()
        c.post(f"/api/sessions/{sid}/step", json={})       # the listener closed after e0,
        keeper = Listener(url)                             # a keeper keeps the topic recorded
        keeper.next()
        c.post(f"/api/sessions/{sid}/step", json={})
        c.post(f"/api/classes/{cid}/phase", json={"phase": 2}, headers=teacher)
        again = Listener(url, last_id=str(e0["id"]))
        got = [again.next() for _ in range(3)]
        assert [e["id"] for e in got] == [e0["id"] + 1, e0["id"] + 2, e0["id"] + 3]
        assert [(e["data"]["state"]["step"], e["data"]["phase"]) for e in got] == \
            [(1, 0), (2, 0), (2, 2)]
        assert not any(e["data"]["resync"] for e in got)
        stale = Listener(url, last_id="999999")
        e = stale.next()
        assert e["event"] == "state" and e["data"]["resync"] is True
        for lst in (keeper, again, stale):
            lst.close()
