"""Request bodies and response shapes of the live-class routes (api/routes/classes.py)."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..classroom.classes import MAX_PHASE
from .schemas import LIMITS, ExerciseWeight, QuantityName, Strict, Tolerance

Name = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[^\x00-\x1f\x7f]*$")]


class ClassBody(Strict):
    session_id: Annotated[str, Field(min_length=1, max_length=64)]
    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra={"examples": [
        {"session_id": "0123456789abcdef0123456789abcdef"}]})


class ClassOut(BaseModel):
    id: str
    code: str = Field(description="6 characters without 0 O 1 I L")
    teacher_token: str
    join_url: str = Field(description="path of the join page with the code filled in")


class JoinBody(Strict):
    code: Annotated[str, Field(min_length=1, max_length=16)]
    name: Name | None = Field(None, description="a nickname; shown in the teacher's CSV only")
    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra={"examples": [
        {"code": "K7PQ2M", "name": "Ada"}]})


class JoinOut(BaseModel):
    class_id: str
    student_id: str
    student_token: str


class PhaseBody(Strict):
    phase: Annotated[int, Field(ge=0, le=MAX_PHASE)] = Field(
        description="the index of the phase (micro-step) the teacher's page shows")
    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra={"examples": [
        {"phase": 3}]})


class BlankSpec(Strict):
    quantity: QuantityName
    layer: Annotated[int, Field(ge=0, le=LIMITS.max_layers)] | None = Field(
        None, description="0-based over the non-input layers; none for the loss")
    unit: Annotated[int, Field(ge=0, le=LIMITS.max_units)] | None = None
    i: Annotated[int, Field(ge=0, le=LIMITS.max_units)] | None = None
    j: Annotated[int, Field(ge=0, le=LIMITS.max_units)] | None = None


class QuestionBody(Strict):
    blank: BlankSpec | None = None
    kind: Literal["blank", "pick_weight"] | None = None
    rtol: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = 0.01
    atol: Tolerance = 1e-4
    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra={"examples": [
        {"blank": {"quantity": "dL_ds", "layer": 0, "unit": 1}},
        {"blank": {"quantity": "dL_dW", "layer": 1, "i": 0, "j": 0}},
        {"kind": "pick_weight"}]})

    @model_validator(mode="after")
    def _one_kind(self) -> QuestionBody:
        if self.kind == "pick_weight" and self.blank is not None:
            raise ValueError("blank: a pick_weight question has no blank")
        if self.kind != "pick_weight" and self.blank is None:
            raise ValueError('blank: give a blank {"quantity", "layer", …} or "kind": "pick_weight"')
        return self


class QuestionOut(BaseModel):
    question_id: str
    round: int | None = Field(None, description="reopen: the new round")


class AnswerBody(Strict):
    value: Annotated[float, Field(allow_inf_nan=False, ge=-1e300, le=1e300)] | None = None
    weight: ExerciseWeight | None = None
    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra={"examples": [
        {"value": 0.0398}, {"weight": {"layer": 1, "i": 0, "j": 0}}]})


class AnswerOut(BaseModel):
    question_id: str
    round: int
    accepted: bool = True


class ForkOut(BaseModel):
    session_id: str = Field(description="a new session of the student's own")


class ClassView(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    code: str
    phase: int
    students: int
    role: Literal["teacher", "student"]
    question: dict[str, Any] | None


class ResultsOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    question_id: str
    round: int
    answered: int
    correct: int
    histogram: list[dict[str, Any]]
    clicks: list[dict[str, Any]]
    diagnoses: list[dict[str, Any]]
