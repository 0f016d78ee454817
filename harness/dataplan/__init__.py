"""The team's data plan: what custom data the app should send, checked on every exchange (docs/data-plan.md)."""

from braze_harness.dataplan.check import PlanChecker, value_type
from braze_harness.dataplan.load import load_plan
from braze_harness.dataplan.models import DataPlan, plan_json_schema

__all__ = ["DataPlan", "PlanChecker", "load_plan", "plan_json_schema", "value_type"]
