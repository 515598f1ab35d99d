"""Property tests: a signed credential verifies, and changing any of its fields never does."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.strategies import leaf_paths, mutate_leaf
from tests.verify.conftest import NOW, World
from verify import DictFetcher, Verdict, verify_credential


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_changing_any_field_of_a_signed_credential_is_never_valid(
    world: World, data: st.DataObject
) -> None:
    """Any one scalar changed anywhere (proof included) makes the verdict something else."""
    if "hanbit" not in world.issuers:
        issuer = world.issuer("hanbit", "한빛 디지털 혁신 아카데미")
        credential, _ = world.issue(issuer)
        world.documents["signed"] = credential
    signed: dict[str, Any] = world.documents["signed"]
    fetcher = DictFetcher(world.documents)
    assert verify_credential(signed, now=NOW, fetcher=fetcher).verdict is Verdict.VALID
    path = data.draw(st.sampled_from(leaf_paths(signed)), label="path")
    tampered = copy.deepcopy(signed)
    mutate_leaf(tampered, path)
    report = verify_credential(tampered, now=NOW, fetcher=fetcher)
    assert report.verdict is not Verdict.VALID, path
