"""The fixed-step loop: same inputs give the same states; catch-up is capped."""

from game.loop import MAX_CATCHUP_STEPS, STEP, FixedStep


def test_steps_follow_elapsed_time_exactly():
    loop = FixedStep()
    loop.advance(0.0)
    total = 0
    for i in range(1, 601):
        steps, alpha = loop.advance(i * STEP)
        total += steps
        assert 0.0 <= alpha <= 1.0
    assert total == 600


def test_uneven_frames_give_the_same_number_of_steps():
    a, b = FixedStep(), FixedStep()
    a.advance(0.0)
    b.advance(0.0)
    ta = [0.007 * i for i in range(1, 1001)]  # 143 fps
    tb = [0.031 * i for i in range(1, 1001)]  # 32 fps
    sa = sum(a.advance(t)[0] for t in ta)
    sb = sum(b.advance(t)[0] for t in tb if t <= ta[-1])
    # Both ran the same stretch of game time: within one step of each other.
    assert abs(sa - round(ta[-1] / STEP)) <= 1
    assert abs(sb - round(max(t for t in tb if t <= ta[-1]) / STEP)) <= 1


def test_catch_up_is_capped_and_long_stalls_are_clamped():
    loop = FixedStep()
    loop.advance(0.0)
    steps, _ = loop.advance(10.0)  # the machine hung for 10 s
    assert steps == MAX_CATCHUP_STEPS
    assert loop.dropped_time > 9.0
    steps, _ = loop.advance(10.0 + STEP)
    assert steps <= 2  # no backlog is replayed afterwards


def test_same_frame_times_give_same_steps_and_alpha():
    times = [0.0, 0.013, 0.029, 0.05, 0.051, 0.09, 0.2, 0.21]
    runs = []
    for _ in range(2):
        loop = FixedStep()
        runs.append([loop.advance(t) for t in times])
    assert runs[0] == runs[1]
