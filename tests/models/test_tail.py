"""The pieces of tail-tolerant calling that the server tests cannot pin down on their own."""

import asyncio

from alpaca_bench.models._tail import LatencyTracker, PrioritySlots, TailPolicy


def test_slots_serve_priority_first_then_arrival_order_and_never_leak():
    async def run() -> tuple[list[str], int]:
        slots = PrioritySlots(1)
        await slots.acquire()
        served: list[str] = []

        async def waiter(name: str, priority: int) -> None:
            await slots.acquire(priority)
            served.append(name)
            slots.release()

        tasks = [
            asyncio.create_task(waiter(n, p)) for n, p in (("a", 0), ("b", 0), ("retry", 1), ("gone", 2))
        ]
        await asyncio.sleep(0)
        tasks[3].cancel()  # a cancelled waiter must not take (or lose) a slot
        await asyncio.sleep(0)
        slots.release()
        await asyncio.gather(*tasks, return_exceptions=True)
        return served, slots._free

    served, free = asyncio.run(run())
    assert served == ["retry", "a", "b"]
    assert free == 1  # every slot came back


def test_deadlines_follow_the_observed_latency_within_floor_and_cap():
    policy = TailPolicy()
    tracker = LatencyTracker(policy)
    assert tracker.deadline_s(120.0) == 120.0 and tracker.hedge_after_s(120.0) is None  # nothing known yet
    for _ in range(policy.min_samples):
        tracker.observe(0.01)
    assert tracker.deadline_s(120.0) == policy.min_deadline_s  # a fast server: the floor
    assert tracker.hedge_after_s(120.0) == policy.min_hedge_s
    for _ in range(policy.window):
        tracker.observe(10.0)
    assert tracker.deadline_s(120.0) == 60.0 and tracker.hedge_after_s(120.0) == 20.0
    assert tracker.deadline_s(30.0) == 30.0  # --timeout stays the hard cap
    assert LatencyTracker(TailPolicy(hedge=False)).hedge_after_s(120.0) is None
