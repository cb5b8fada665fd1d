"""Pydantic models: strict request bodies carrying the limits, and response shapes
(used for the OpenAPI document; the hot paths serialise with orjson directly)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator

from ..engine import ACTIVATIONS, DATASETS, LOSSES, SCHEDULES
from .config import Settings
from .limits import MAX_UNIT_CELLS

LIMITS = Settings()   # static ceilings for the schema; the configured limits are checked in routes

Num = Annotated[float, Field(allow_inf_nan=False, ge=-1e300, le=1e300)]
Vector = list[Num]
Matrix = list[list[Num]]
# the names the engine's tables define (engine/activations.py, engine/losses.py)
if TYPE_CHECKING:        # a Literal built at run time is beyond a static checker: a str to it
    ActivationName = str
    LossName = str
else:
    ActivationName = Literal[tuple(ACTIVATIONS)]
    LossName = Literal[tuple(LOSSES)]
InitScheme = Literal["xavier", "he", "uniform", "normal", "zeros"]
if TYPE_CHECKING:
    DatasetName = str
else:
    DatasetName = Literal[tuple(DATASETS)]
TestFraction = Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False, description=(
    "share of the examples held out as the test part (⌊f·n⌋ of them, seeded by the "
    "dataset's seed); SGD and /train use only the rest"))]
LearningRate = Annotated[float, Field(gt=0, le=1000, allow_inf_nan=False)]
# counters (step, epoch) a client may send: at most 2^53 − 1, exact in JSON numbers and
# JavaScript, and far from the 64-bit limit however long a session is trained after
Count = Annotated[int, Field(ge=0, le=2**53 - 1)]
Seed = Annotated[int, Field(ge=0, le=2**32 - 1)]
Name = Annotated[str, Field(min_length=1, max_length=64)]


class Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class InitSpec(Strict):
    scheme: InitScheme = "xavier"
    seed: Seed = 0


def _schedule_model(sched) -> type[BaseModel]:
    """The request model of one schedule of engine/schedule.py, its bounds from the table."""
    fields: dict[str, Any] = {"name": (Literal[sched.name], ...)}
    for p in sched.parameters:
        number: Any = int if p.kind == "integer" else float
        low, high = number(p.min), number(p.max)
        bounds: dict[str, Any] = {"gt": low} if p.min_exclusive else {"ge": low}
        if number is float:
            bounds["allow_inf_nan"] = False
        typ: Any = Annotated[number, Field(le=high, description=p.description, **bounds)]
        fields[p.name] = (typ, p.default)
    return create_model(f"Schedule_{sched.name}", __base__=Strict,
                        __doc__=f"{sched.formula.text}: {sched.description}", **fields)


if TYPE_CHECKING:
    ScheduleSpec = BaseModel
else:
    ScheduleSpec = Annotated[Union[tuple(_schedule_model(s) for s in SCHEDULES.values())],  # noqa: UP007
                             Field(discriminator="name")]


class LayerWeights(Strict):
    W: Matrix = Field(description="[n_in][n_out]: W[i][j] is the weight from unit i below to unit j")
    b: Vector


class DatasetSpec(Strict):
    name: DatasetName | Name | None = None
    n: Annotated[int, Field(ge=4, le=LIMITS.max_dataset_size)] | None = None
    noise: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] | None = None
    seed: Seed | None = None
    X: Matrix | None = Field(None, description="user-supplied inputs, one row per example")
    Y: Matrix | None = Field(None, description="user-supplied targets y*, one row per example")
    test_fraction: TestFraction | None = None


class DatasetChange(Strict):
    """Regenerate the session's dataset: fields not given keep their values, except that a
    new name brings its own default n and noise."""
    name: DatasetName | None = None
    n: Annotated[int, Field(ge=4, le=LIMITS.max_dataset_size)] | None = None
    noise: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] | None = None
    seed: Seed | None = None
    test_fraction: TestFraction | None = None


class NetworkSpec(Strict):
    preset: Literal["lecture", "overfit"] | None = Field(
        None, description="start from a named preset: lecture (the lecture's 2-2-1, round "
        "weights, the 4 XOR points) or overfit (a wide 2-32-32-1 on 20 noisy training points, "
        "20 held out: the test loss climbs while the training loss falls)")
    layers: Annotated[list[Annotated[int, Field(ge=1, le=LIMITS.max_units)]],
                      Field(min_length=2, max_length=LIMITS.max_layers)] | None = None
    activations: list[ActivationName] | None = None
    loss: LossName | None = None
    learning_rate: LearningRate | None = None
    l2: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)] | None = None
    init: InitSpec | None = None
    schedule: ScheduleSpec | None = Field(None, description="learning-rate schedule γ_t "
                                          "(default constant)")
    weights: list[LayerWeights] | None = None
    dataset: DatasetSpec | None = None

    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra={"examples": [
        {"layers": [2, 2, 1], "activations": ["sigmoid", "linear"], "loss": "squared",
         "learning_rate": 0.5, "init": {"scheme": "xavier", "seed": 0},
         "dataset": {"name": "xor", "n": 200, "noise": 0.1, "seed": 0}},
        {"preset": "lecture"},
    ]})


class WeightsBody(Strict):
    weights: list[LayerWeights]
    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra={"examples": [
        {"weights": [{"W": [[0.5, -0.4], [0.3, 0.8]], "b": [0.1, -0.2]},
                     {"W": [[0.7], [-0.6]], "b": [0.2]}]}]})


class SettingsBody(Strict):
    learning_rate: LearningRate | None = Field(None, description="the default γ of later steps "
                                               "(γ0 of the schedule)")
    l2: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)] | None = None
    schedule: ScheduleSpec | None = Field(None, description="learning-rate schedule γ_t")
    dataset: DatasetChange | None = Field(None, description="regenerate the dataset (seeded)")
    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra={"examples": [
        {"learning_rate": 0.3}, {"l2": 0.001}, {"schedule": {"name": "inverse_time", "k": 0.01}},
        {"dataset": {"noise": 0.3, "n": 100, "test_fraction": 0.5}}]})


class ForwardBody(Strict):
    x: Vector
    y: Vector | None = None
    model_config = ConfigDict(strict=True, extra="forbid",
                              json_schema_extra={"examples": [{"x": [1.0, 0.0], "y": [1.0]}]})


class BackwardBody(Strict):
    x: Vector
    y: Vector
    model_config = ConfigDict(strict=True, extra="forbid",
                              json_schema_extra={"examples": [{"x": [1.0, 0.0], "y": [1.0]}]})


class GradcheckBody(BackwardBody):
    epsilon: Annotated[float, Field(gt=0, le=0.1, allow_inf_nan=False)] = 1e-4


Range = Annotated[list[Annotated[float, Field(allow_inf_nan=False, ge=-1e6, le=1e6)]],
                  Field(min_length=2, max_length=2)]


class GridSpec(Strict):
    """An n×n grid of cell centres over [x1 lo, hi] × [x2 lo, hi] for 2-input networks:
    row-major, row 0 at the largest x2 (the top of a picture), columns by increasing x1."""
    x1: Range
    x2: Range
    n: Annotated[int, Field(ge=2, le=100)] = 40


class StepBody(Strict):
    x: Vector | None = None
    y: Vector | None = None
    index: Annotated[int, Field(ge=0, le=LIMITS.max_dataset_size)] | None = Field(
        None, description="take this example of the session's dataset")
    learning_rate: LearningRate | None = None
    grid: GridSpec | None = Field(
        None, description="also predict on this grid with the updated weights (2-input "
        "networks): the response's grid_Y, as /predict would return it, in the same request")
    units: bool = Field(False, description="with grid: also every unit's activation on it "
                        "after the update (the response's grid_units, as /predict with units: "
                        f"true returns them; points × units ≤ {MAX_UNIT_CELLS})")
    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra={"examples": [
        {}, {"x": [1.0, 0.0], "y": [1.0], "learning_rate": 0.5}, {"index": 2},
        {"grid": {"x1": [-1.5, 1.5], "x2": [-1.5, 1.5], "n": 40}},
        {"grid": {"x1": [-1.5, 1.5], "x2": [-1.5, 1.5], "n": 40}, "units": True}]})


class TrainBody(Strict):
    epochs: Annotated[int, Field(ge=1, le=100_000)] | None = None
    steps: Annotated[int, Field(ge=1, le=10_000_000)] | None = None
    batch_size: Annotated[int, Field(ge=1, le=LIMITS.max_dataset_size)] = 1
    learning_rate: LearningRate | None = None
    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra={"examples": [
        {"epochs": 10}, {"steps": 500, "batch_size": 16, "learning_rate": 0.3}]})

    @model_validator(mode="after")
    def one_of_epochs_or_steps(self) -> TrainBody:
        if (self.epochs is None) == (self.steps is None):
            raise ValueError("give exactly one of 'epochs' or 'steps'")
        return self


class PredictBody(Strict):
    X: Annotated[list[Vector], Field(min_length=1, max_length=LIMITS.max_dataset_size)] | None = None
    grid: GridSpec | None = Field(None, description="instead of X: a grid for a heatmap "
                                  "(exactly one of X and grid)")
    units: bool = Field(False, description="also every layer's activations at every point "
                        f"(points × units ≤ {MAX_UNIT_CELLS})")
    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra={"examples": [
        {"X": [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]},
        {"grid": {"x1": [-1.5, 1.5], "x2": [-1.5, 1.5], "n": 40}},
        {"grid": {"x1": [-1.5, 1.5], "x2": [-1.5, 1.5], "n": 24}, "units": True}]})



# ----- responses ---------------------------------------------------------
class NetworkOut(BaseModel):
    layers: list[int]
    activations: list[str]
    loss: str
    learning_rate: float
    l2: float
    init: InitSpec
    schedule: dict[str, Any] = Field(description="the learning-rate schedule, every parameter "
                                     "given, e.g. {\"name\": \"constant\"}")


class DatasetOut(BaseModel):
    name: str
    label: str = Field(description="the name a person reads")
    n: int
    noise: float | None
    seed: int | None
    task: Literal["classification", "regression"]
    next_index: int = Field(description="the example a step without x/y takes next")
    test_fraction: float
    n_train: int
    n_test: int


class SessionState(BaseModel):
    id: str
    network: NetworkOut
    weights: list[LayerWeights]
    step: int = Field(description="updates applied")
    epoch: int = Field(description="completed passes over the dataset")
    dataset: DatasetOut | None
    history: int = Field(description="undo levels available")


class LayerForwardOut(BaseModel):
    s: list[float]
    a: list[float]


class ForwardTrace(BaseModel):
    x: list[float]
    y: list[float] | None
    layers: list[LayerForwardOut]
    output: list[float]
    loss: float | None


class LayerGradsOut(BaseModel):
    dL_da: list[float]
    dL_ds: list[float]
    dL_dW: list[list[float]]
    dL_db: list[float]
    da_ds: list[float] | None = Field(
        description="the local factor f′(s) of each unit (e.g. z(1 − z)); null for softmax")


class BackwardTrace(BaseModel):
    x: list[float]
    y: list[float]
    forward: ForwardTrace
    loss: float
    grads: list[LayerGradsOut]


class LayerUpdateOut(BaseModel):
    W_before: list[list[float]]
    W_after: list[list[float]]
    b_before: list[float]
    b_after: list[float]


class StepTrace(BackwardTrace):
    update: list[LayerUpdateOut]
    learning_rate: float
    step: int
    epoch: int
    example_index: int | None
    loss_after: float
    next_index: int | None = Field(description="the dataset example a step without x/y takes next")
    history: int = Field(description="undo levels available after this step")
    grid_Y: list[list[float]] | None = Field(
        None, description="with a grid in the request: the updated network's output at every "
        "grid point (row-major, row 0 at the largest x2), as /predict returns it")
    grid_units: list[list[list[float]]] | None = Field(
        None, description="with a grid and units: true — grid_units[l][j][p]: the updated "
        "network's activation of unit j of layer l (0 = first hidden; the last is the output) "
        "at grid point p, as /predict with units: true returns them")
    t: int = Field(description="this update's t (updates before it); learning_rate is its γ_t")
    batch_size: int = Field(description="1: one example per update")
    train_loss: float | None = Field(description="the updated network's mean loss on the "
                                     "training part (null without a dataset, or when examples "
                                     "× parameters > 4 000 000: see /metrics)")
    test_loss: float | None = Field(description="… on the test part (null without one)")
    train_accuracy: float | None = Field(description="share classified right (null for "
                                         "regression)")
    test_accuracy: float | None


class MetricsOut(BaseModel):
    step: int
    epoch: int
    n_train: int
    n_test: int
    train_loss: float
    test_loss: float | None = Field(description="null when there is no test part")
    train_accuracy: float | None = Field(description="null for a regression task")
    test_accuracy: float | None


class TrainResult(BaseModel):
    updates: int = Field(description="the exact number of updates made")
    loss: list[float] = Field(description="loss of each update's batch, before the update; "
                              "beyond max_loss_points updates, point i is the mean over "
                              "updates i·loss_every … (i+1)·loss_every − 1")
    loss_every: int = Field(description="updates per point of `loss` (1: every update)")
    epoch_loss: list[float] = Field(description="dataset loss at each epoch end crossed "
                                    "(bounded the same way)")
    epoch_loss_every: int = Field(description="epoch ends per point of `epoch_loss`")
    epoch_test_loss: list[float] = Field(description="test part's loss at each epoch end "
                                         "crossed ([] without a test part)")
    epoch_test_loss_every: int
    step: int
    epoch: int
    dataset_loss: float = Field(description="mean loss over the whole dataset after the call")
    accuracy: float | None = Field(description="… accuracy over the whole dataset")
    batch_size: int = Field(description="examples per update (min(requested, n_train))")
    t: int = Field(description="the t of the first update")
    learning_rate: float = Field(description="γ_t of the first update")
    learning_rate_last: float = Field(description="γ_t of the last update")
    train_loss: float
    test_loss: float | None
    train_accuracy: float | None
    test_accuracy: float | None


class PredictResult(BaseModel):
    Y: list[list[float]]
    units: list[list[list[float]]] | None = Field(
        None, description="with units: true — units[l][j][p]: activation of unit j of layer l "
        "(0 = first hidden; the last is the output) at point p")


class ParamCheck(BaseModel):
    backprop: list[list[float]] | list[float]
    numeric: list[list[float]] | list[float]


class LayerCheck(BaseModel):
    dL_dW: ParamCheck
    dL_db: ParamCheck


class GradcheckResult(BaseModel):
    layers: list[LayerCheck]
    max_abs_diff: float
    max_rel_diff: float = Field(description="max |b − n| / max(|b|, |n|, 1e-6)")


class DatasetData(BaseModel):
    name: str
    label: str
    task: str
    n: int
    X: list[list[float]]
    Y: list[list[float]]
    test_fraction: float
    split: list[Literal["train", "test"]] = Field(description="each example's part")


class DatasetInfo(BaseModel):
    name: str
    label: str = Field(description="the name a person reads")
    task: str
    description: str
    default_n: int
    default_noise: float
    fixed_n: bool = Field(description="the points are given: n is always default_n")


class FormulaOut(BaseModel):
    text: str = Field(description="unicode; {s} and {a} stand for the unit's s and activation")
    latex: str


class ActivationInfo(BaseModel):
    name: str
    description: str
    output_only: bool
    compiled: bool = Field(description="whether the compiled kernel runs it (else numpy)")
    value: FormulaOut
    derivative: FormulaOut


class LossInfo(BaseModel):
    name: str
    description: str
    compiled: bool
    output_activations: list[str] | None
    value: FormulaOut
    dL_dy: FormulaOut


class ScheduleParameterInfo(BaseModel):
    name: str
    symbol: str
    description: str
    type: Literal["number", "integer"]
    min: float
    max: float
    default: float
    min_exclusive: bool


class ScheduleInfo(BaseModel):
    name: str
    description: str
    formula: FormulaOut = Field(description="γ_t in the lecture's notation")
    parameters: list[ScheduleParameterInfo]


class MetaLimits(BaseModel):
    max_unit_cells: int = Field(description="points × units a \"units\": true /predict or "
                                "/step returns at most (else 422 on \"units\")")


class Meta(BaseModel):
    activations: list[ActivationInfo]
    losses: list[LossInfo]
    schedules: list[ScheduleInfo]
    limits: MetaLimits


class StorageStatus(BaseModel):
    kind: Literal["sqlite", "memory", "redis"]
    writable: bool = Field(description="changes can be saved now")
    read_only: str | None = Field(description="why the store was opened read-only, if it was")
    last_write_error: str | None = Field(description="the last failed write, until one succeeds")
    quarantined: int = Field(description="sessions found unreadable and set aside in the "
                             "database's quarantine table")
    notes: list[str] = Field(description="what start-up found and did (e.g. an empty file "
                             "moved aside)")
    session_bytes: int = Field(description="memory budget in use: parameters × (1 + undo "
                               "levels) × 8 bytes over all sessions")
    max_session_bytes: int | None


class Health(BaseModel):
    status: Literal["ok", "degraded"] = Field(description="degraded: changes cannot be saved "
                                              "right now (see storage)")
    version: str
    sessions: int
    storage: StorageStatus


class HistoryEntry(Strict):
    weights: list[LayerWeights]
    step: Count
    epoch: Count
    cursor: Annotated[int, Field(ge=0, le=LIMITS.max_dataset_size)] = 0


class DocumentDataset(Strict):
    name: Annotated[str, Field(max_length=64)] | None = None
    n: Annotated[int, Field(ge=1, le=LIMITS.max_dataset_size)] | None = Field(
        None, description="the number of examples: the rows of X (checked)")
    noise: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] | None = None
    seed: Seed | None = None
    task: Literal["classification", "regression"] | None = None
    X: Matrix
    Y: Matrix
    cursor: Annotated[int, Field(ge=0, le=LIMITS.max_dataset_size)] = 0
    shuffle_seed: Seed = 0
    test_fraction: TestFraction = 0.0
    test_indices: Annotated[list[Annotated[int, Field(ge=0, le=LIMITS.max_dataset_size)]],
                            Field(max_length=LIMITS.max_dataset_size)] | None = Field(
        None, description="the test part (default: the split test_fraction makes)")


class DocumentNetwork(Strict):
    layers: Annotated[list[Annotated[int, Field(ge=1, le=LIMITS.max_units)]],
                      Field(min_length=2, max_length=LIMITS.max_layers)]
    activations: list[ActivationName]
    loss: LossName
    learning_rate: LearningRate
    l2: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]
    init: InitSpec
    schedule: ScheduleSpec | None = None


class SessionDocument(Strict):
    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra={"examples": [{
        "format": "backprop-explorer-session", "version": 1,
        "network": {"layers": [2, 2, 1], "activations": ["sigmoid", "linear"], "loss": "squared",
                    "learning_rate": 0.5, "l2": 0.0, "init": {"scheme": "xavier", "seed": 0}},
        "weights": [{"W": [[0.5, -0.4], [0.3, 0.8]], "b": [0.1, -0.2]},
                    {"W": [[0.7], [-0.6]], "b": [0.2]}],
        "step": 0, "epoch": 0,
        "dataset": {"name": "xor4", "X": [[-1, -1], [-1, 1], [1, -1], [1, 1]],
                    "Y": [[0], [1], [1], [0]], "cursor": 0, "shuffle_seed": 0},
        "history": []}]})
    format: Literal["backprop-explorer-session"]
    version: Literal[1]
    network: DocumentNetwork
    weights: list[LayerWeights]
    step: Count
    epoch: Count
    dataset: DocumentDataset | None = None
    history: Annotated[list[HistoryEntry], Field(max_length=1000)] = []


class ErrorDetail(BaseModel):
    detail: str


# documented on every operation that reads a body or may be refused by a server limit
Responses = dict[int | str, dict[str, Any]]     # FastAPI's `responses=` documentation
COMMON_ERRORS: Responses = {
    413: {"model": ErrorDetail, "description": "request body over max_body_bytes"},
    503: {"model": ErrorDetail, "description": "the change could not be saved (rolled back)"},
}
TOO_MANY_SESSIONS: Responses = {429: {"model": ErrorDetail,
                           "description": "max_sessions reached, all sessions in recent use"}}


# ---- exercises (predict, then reveal) ------------------------------------------------
QuantityName = Literal["s", "a", "loss", "dL_da", "da_ds", "dL_ds", "dL_dW", "dL_db",
                       "W_after", "b_after"]
Tolerance = Annotated[float, Field(ge=0, le=1e6, allow_inf_nan=False)]
Index = Annotated[int, Field(ge=0, le=LIMITS.max_dataset_size)]


class ExerciseWeight(Strict):
    layer: Annotated[int, Field(ge=0, le=LIMITS.max_layers)] = Field(
        description="0-based over the non-input layers (the trace's lists)")
    i: Annotated[int, Field(ge=-1, le=LIMITS.max_units)] = Field(
        description="unit below (0-based), -1 for the bias w_0j")
    j: Annotated[int, Field(ge=0, le=LIMITS.max_units)]


class ExerciseBody(Strict):
    x: Vector | None = None
    y: Vector | None = None
    index: Index | None = Field(None, description="dataset example; neither x/y nor index: "
                                "the session's next example (the session is not changed)")
    seed: Annotated[int, Field(ge=0, le=2**32 - 1)] | None = Field(
        None, description="a per-student problem: round weights and an example from this seed")
    quantities: Annotated[list[QuantityName], Field(min_length=1, max_length=10)] | None = None
    weight: ExerciseWeight | None = Field(None, description="only the chain of this one ∂L/∂w")
    kind: Literal["value", "sign"] = "value"
    rtol: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = 0.01
    atol: Tolerance = 1e-4
    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra={"examples": [
        {}, {"x": [1, 0.5], "y": [1]}, {"index": 2, "quantities": ["dL_ds", "dL_dW"]},
        {"seed": 17}, {"weight": {"layer": 0, "i": 1, "j": 1}}, {"kind": "sign"}]})


class AnswerItem(Strict):
    blank: Annotated[int, Field(ge=0, le=1_000_000)]
    value: Annotated[float, Field(allow_inf_nan=False, ge=-1e300, le=1e300)]


class AnswersBody(Strict):
    answers: Annotated[list[AnswerItem], Field(min_length=1, max_length=10_000)]
    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra={"examples": [
        {"answers": [{"blank": 0, "value": 0.6}]}]})


class RevealBody(Strict):
    blank: Annotated[int, Field(ge=0, le=1_000_000)]
    model_config = ConfigDict(strict=True, extra="forbid",
                              json_schema_extra={"examples": [{"blank": 0}]})


class BlankOut(BaseModel):
    blank: int
    quantity: str
    layer: int | None
    unit: int | None = None
    i: int | None = None
    j: int | None = None
    label: str
    tries: int
    answers: list[float]
    correct: bool
    revealed: bool
    expected: float | None


class DiagnosisOut(BaseModel):
    code: str
    message: str


class ResultOut(BaseModel):
    blank: int
    correct: bool
    expected: float | None = Field(description="shown once the blank is settled: right, "
                                   "revealed, or after max_tries answers")
    tries: int
    diagnosis: DiagnosisOut | None


class ScoreOut(BaseModel):
    answered: int
    correct: int
    total: int


class ExerciseOut(BaseModel):
    id: str
    session_id: str
    kind: str
    example: dict[str, list[float]]
    weights: list[LayerWeights]
    network: dict
    seed: int | None
    rtol: float
    atol: float
    max_tries: int
    blanks: list[BlankOut]
    score: ScoreOut


class AnswersOut(BaseModel):
    results: list[ResultOut]
    score: ScoreOut
