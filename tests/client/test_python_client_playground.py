"""The Python client's helpers for the playground (issue 13), exercises (14) and live classes
(15), against a real `--memory` server (the `live_server` fixture). Every number is checked
against another route or the lecture's formula, so a helper that sent the wrong body or read
the wrong field fails."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from client_helpers import LECTURE_WEIGHTS, sigma

from backprop_explorer.client import Conflict, Invalid


def test_meta_metrics_schedule_and_dataset(api):
    names = {s["name"] for s in api.meta()["schedules"]}
    assert {"constant", "inverse_time", "step_decay"} <= names

    sid = api.create_session(layers=[2, 3, 1], activations=["tanh", "sigmoid"], loss="cross_entropy",
                             learning_rate=0.4,
                             dataset={"name": "xor", "n": 40, "seed": 3, "test_fraction": 0.25})["id"]
    m0 = api.metrics(sid)
    assert (m0["step"], m0["n_train"], m0["n_test"]) == (0, 30, 10)

    state = api.update_settings(sid, schedule={"name": "inverse_time", "k": 0.5})
    assert state["network"]["schedule"] == {"name": "inverse_time", "k": 0.5}
    api.step(sid)
    api.step(sid)
    third = api.step(sid)                 # t = 2: γ_t = γ0 / (1 + k·t) = 0.4 / 2
    assert third["t"] == 2 and third["learning_rate"] == pytest.approx(0.2, rel=1e-15)
    m = api.metrics(sid)                  # the step's figures are the updated network's
    assert m["step"] == 3
    for key in ("train_loss", "test_loss", "train_accuracy", "test_accuracy"):
        assert m[key] == pytest.approx(third[key], rel=1e-12)

    weights = api.get_session(sid)["weights"]
    state = api.update_settings(sid, dataset={"n": 60, "test_fraction": 0.5})
    assert state["weights"] == weights and state["step"] == 3
    assert (state["dataset"]["n"], state["dataset"]["n_train"], state["dataset"]["n_test"]) == \
        (60, 30, 30)
    with pytest.raises(Invalid) as info:
        api.update_settings(sid, dataset={"test_fraction": 2})
    assert "dataset.test_fraction" in info.value.message
    assert api.get_session(sid)["dataset"]["n"] == 60          # refused: nothing changed


def test_predict_units_and_step_grid(api):
    sid = api.create_session(layers=[2, 2, 1], activations=["sigmoid", "linear"],
                             weights=LECTURE_WEIGHTS, learning_rate=0.5)["id"]
    p = api.predict(sid, [[1.0, 1.0], [0.0, 0.0]], units=True)
    z1, z2 = sigma(0.1 + 0.5 + 0.3), sigma(-0.2 - 0.4 + 0.8)
    assert p["units"][0][0][0] == pytest.approx(z1, rel=1e-14)
    assert p["units"][0][1][0] == pytest.approx(z2, rel=1e-14)
    assert p["units"][1][0][0] == pytest.approx(0.2 + 0.7 * z1 - 0.6 * z2, rel=1e-14)
    assert api.predict(sid, [[1.0, 1.0]]).get("units") is None

    grid = {"x1": [-1, 1], "x2": [-1, 1], "n": 5}
    step = api.step(sid, x=[1, 1], y=[0], grid=grid)
    assert step["grid_Y"] == api.predict(sid, grid=grid)["Y"]


def test_export_script_runs_the_next_step(api, tmp_path):
    sid = api.create_session(preset="lecture")["id"]
    script = api.export_script(sid, "numpy")
    path = tmp_path / "step.py"
    path.write_text(script)
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                          timeout=120, check=True)
    printed = json.loads(done.stdout.strip().splitlines()[-1])
    step = api.step(sid)
    assert printed["example_index"] == step["example_index"]
    for layer, update in zip(printed["weights"], step["update"], strict=True):
        for row, expected in zip(layer["W"], update["W_after"], strict=True):
            assert row == pytest.approx(expected, rel=1e-12)
        assert layer["b"] == pytest.approx(update["b_after"], rel=1e-12)
    with pytest.raises(Invalid):
        api.export_script(sid, "fortran")
    bare = api.create_session()["id"]
    with pytest.raises(Conflict):
        api.export_script(bare, "numpy")


def test_exercise_answer_and_reveal(api):
    sid = api.create_session(layers=[2, 2, 1], activations=["sigmoid", "linear"],
                             weights=LECTURE_WEIGHTS, learning_rate=0.5)["id"]
    ex = api.create_exercise(sid, x=[1, 1], y=[0], weight={"layer": 0, "i": 1, "j": 1})
    trace = api.backward(sid, [1, 1], [0])
    last = ex["blanks"][-1]
    assert last["label"] == "∂L/∂w_22^h"
    wrong = -trace["grads"][0]["dL_dW"][1][1]            # the sign flipped
    r = api.answer_exercise(ex["id"], {last["blank"]: wrong})
    assert r["results"][0]["correct"] is False
    assert r["results"][0]["diagnosis"]["code"] == "sign_flipped"
    r = api.answer_exercise(ex["id"], [{"blank": last["blank"],
                                        "value": trace["grads"][0]["dL_dW"][1][1]}])
    assert r["results"][0]["correct"] is True
    first = ex["blanks"][0]
    shown = api.reveal_blank(ex["id"], first["blank"])
    assert shown["results"][0]["expected"] is not None
    assert api.get_exercise(ex["id"])["blanks"][first["blank"]]["revealed"] is True


def test_a_class_from_the_client(api):
    sid = api.create_session(preset="lecture")["id"]
    cls = api.create_class(sid)
    teacher = cls["teacher_token"]
    students = [api.join_class(cls["code"].lower(), name=f"s{k}") for k in range(3)]
    assert api.get_class(cls["id"], teacher)["students"] == 3
    assert api.set_class_phase(cls["id"], teacher, 4) == {"phase": 4}

    q = api.ask(cls["id"], teacher, blank={"quantity": "loss"})
    question = api.get_class(cls["id"], students[0]["student_token"])["question"]
    x, y_star = question["example"]["x"], question["example"]["y"]
    loss = api.forward(sid, x, y_star)["loss"]
    for k, s in enumerate(students):                 # two right, one off by 50 %
        api.answer_question(cls["id"], q["question_id"], s["student_token"],
                            value=loss if k < 2 else 1.5 * loss)
    assert api.question_results(cls["id"], q["question_id"], teacher)["answered"] == 3
    shown = api.reveal_question(cls["id"], q["question_id"], teacher)
    assert shown["correct"] == 2 and shown["expected"] == pytest.approx(loss, rel=1e-12)
    again = api.reopen_question(cls["id"], q["question_id"], teacher)
    assert again["round"] == 2

    csv = api.answers_csv(cls["id"], teacher).splitlines()
    assert len(csv) == 1 + 3 and "s2" in csv[-1]
    fork = api.fork_class_session(cls["id"], students[0]["student_token"])
    assert api.get_session(fork["session_id"])["weights"] == api.get_session(sid)["weights"]
    assert api.close_class(cls["id"], teacher) is None
