"""BaseBranchOperator at its provider path."""

from riir_airflow.sdk.skipmixin import BaseBranchOperator, BranchMixIn

__all__ = ["BaseBranchOperator", "BranchMixIn"]
