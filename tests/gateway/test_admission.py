"""Per-address admission: open connections, connect rate, forgetting idle addresses."""

from blazing.gateway.admission import PRUNE_EVERY, Admission, AdmissionLimits


def test_open_connections_per_address_are_capped_and_released() -> None:
    admission = Admission(AdmissionLimits(max_open_per_address=2, connects_per_second=0))
    assert admission.admit("10.0.0.1", 0.0) is None
    assert admission.admit("10.0.0.1", 0.0) is None
    assert admission.admit("10.0.0.1", 0.0) == "open_connections"
    assert admission.admit("10.0.0.2", 0.0) is None  # other addresses are not affected
    admission.release("10.0.0.1")
    assert admission.admit("10.0.0.1", 0.0) is None
    assert admission.open_connections("10.0.0.1") == 2


def test_a_refused_connection_is_not_counted_as_open() -> None:
    admission = Admission(AdmissionLimits(max_open_per_address=0, connects_per_second=1))
    assert [admission.admit("a", 0.0) for _ in range(3)] == [None, None, "connect_rate"]
    assert admission.open_connections("a") == 2


def test_connect_rate_allows_a_burst_of_two_seconds_then_the_rate() -> None:
    admission = Admission(AdmissionLimits(max_open_per_address=0, connects_per_second=10))
    burst = [admission.admit("a", 0.0) for _ in range(25)]
    assert burst.count(None) == 20 and burst[20:] == ["connect_rate"] * 5
    assert [admission.admit("a", 0.5) for _ in range(6)].count(None) == 5
    assert admission.admit("b", 0.5) is None


def test_zero_means_no_limit() -> None:
    admission = Admission(AdmissionLimits(max_open_per_address=0, connects_per_second=0))
    assert all(admission.admit("a", 0.0) is None for _ in range(10_000))


def test_addresses_whose_bucket_refilled_are_forgotten() -> None:
    admission = Admission(AdmissionLimits(max_open_per_address=0, connects_per_second=5))
    for n in range(PRUNE_EVERY - 1):
        admission.admit(f"10.0.{n // 256}.{n % 256}", 0.0)
    assert admission.tracked_addresses == PRUNE_EVERY - 1
    admission.admit("busy", 100.0)  # the sweep runs; every earlier bucket is full by now
    assert admission.tracked_addresses == 1
