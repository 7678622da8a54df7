"""The binding as a Python host uses it: the whole pipeline, locate, settings, random access,
and every bad input as vidkompy.Error with the C status."""

import os
import subprocess
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import vidkompy  # noqa: E402

BW, BH, FW, FH, FX, FY, BG_FRAMES, FG_FRAMES, OFFSET = 256, 144, 128, 72, 50, 30, 60, 30, 14


def scene():
    """bg pans over a texture with a bar sweeping across; fg is a graded crop of bg from OFFSET."""
    ys, xs = np.mgrid[0 : BH + BG_FRAMES, 0 : BW + 3 * BG_FRAMES].astype(np.float64)
    world = 120 + 45 * np.sin(xs / 9) * np.cos(ys / 6) + 30 * np.sin((xs + 2 * ys) / 15) + 20 * np.cos(xs / 23)
    world = np.clip(world + 0.5, 0, 255).astype(np.uint8).astype(np.int32)
    y, x = np.mgrid[0:BH, 0:BW]
    bg, fg = [], []
    for t in range(BG_FRAMES):
        bar = ((x + y // 2 - 7 * t) & 63) < 6
        luma = np.minimum(world[t : t + BH, 3 * t : 3 * t + BW] + 60 * bar, 255).astype(np.uint8)
        bg.append([luma, np.full((BH // 2, BW // 2), 100, np.uint8), np.full((BH // 2, BW // 2), 150, np.uint8)])
    for i in range(FG_FRAMES):
        crop = bg[i + OFFSET][0][FY : FY + FH, FX : FX + FW].astype(np.float64)
        luma = np.clip(crop * 0.9 + 20 + 0.5, 0, 255).astype(np.uint8)
        fg.append([luma, np.full((FH // 2, FW // 2), 90, np.uint8), np.full((FH // 2, FW // 2), 160, np.uint8)])
    return fg, bg


def frames(planes_list):
    return [vidkompy.Frame("i420", p, pts=k, time_base=(1, 25)) for k, p in enumerate(planes_list)]


@pytest.fixture(scope="module")
def pair():
    return scene()


@pytest.fixture(scope="module")
def alignment(pair):
    fg, bg = frames(pair[0]), frames(pair[1])
    analyzer = vidkompy.Analyzer(vidkompy.Settings(min_confidence=0.5))
    for j, frame in enumerate(bg):
        analyzer.push("bg", frame)
        if 0 <= j - OFFSET < FG_FRAMES:
            analyzer.push("fg", fg[j - OFFSET])
    return analyzer.finish()


def test_the_pipeline_finds_the_truth_and_composites_it(pair, alignment):
    p = alignment.placement
    assert (p.x, p.y, p.width, p.height) == (FX, FY, FW, FH)
    assert [alignment.bg_index(i) for i in range(FG_FRAMES)] == list(range(OFFSET, OFFSET + FG_FRAMES))
    assert alignment.outside_frames == []
    assert alignment.confidence >= 0.8 and alignment.placement_confidence >= 0.8
    assert 0 < alignment.frame_confidence(5) <= 1
    with pytest.raises(vidkompy.Error):
        alignment.frame_confidence(FG_FRAMES)
    number, text = vidkompy.version()
    assert number >> 16 == 0 and text.startswith("0.") and vidkompy.status_str(vidkompy.NO_MATCH)
    # The scene's frames are small enough for the analyzer's copies: found at full size.
    assert alignment.placement_approximate is False
    copy = vidkompy.Alignment.from_json(alignment.to_json())
    outputs = list(vidkompy.Compositor(copy).run(frames(pair[0]), frames(pair[1])))
    assert len(outputs) == FG_FRAMES
    y, u, _ = outputs[3]
    assert np.array_equal(y[FY : FY + FH, FX : FX + FW], pair[0][3][0])
    assert np.array_equal(y[:FY], pair[1][3 + OFFSET][0][:FY])
    assert u[FY // 2 + 2, FX // 2 + 2] == 90 and u[0, 0] == 100
    # Random access into arrays the host owns gives the same bytes.
    out = [np.zeros((BH, BW), np.uint8), np.zeros((BH // 2, BW // 2), np.uint8), np.zeros((BH // 2, BW // 2), np.uint8)]
    dst = vidkompy.Frame("i420", out)
    for i in (7, 0, 29):
        fg = vidkompy.Frame("i420", pair[0][i], pts=i, time_base=(1, 25))
        j = alignment.bg_index(i)
        bg = vidkompy.Frame("i420", pair[1][j], pts=j, time_base=(1, 25))
        vidkompy.composite(alignment, i, fg, bg, dst)
        assert all(np.array_equal(a, b) for a, b in zip(out, outputs[i]))


def test_locate_from_samples(pair):
    p = vidkompy.locate([vidkompy.Frame("i420", pair[0][0])], [vidkompy.Frame("i420", pair[1][OFFSET])])
    assert (p.x, p.y) == (FX, FY) and p.confidence > 0.9


def test_bad_input_raises_error_with_the_c_status(pair):
    y, u, v = pair[0][0]
    with pytest.raises(vidkompy.Error) as e:
        vidkompy.Frame("i420", [y.astype(np.uint16), u, v])  # a 16-bit array for an 8-bit format
    assert e.value.status == vidkompy.INVALID_FRAME and "uint16" in e.value.message
    with pytest.raises(vidkompy.Error) as e:
        vidkompy.Frame("i420", [y, u[:, :10], v])
    assert e.value.status == vidkompy.INVALID_FRAME and "shape" in e.value.message
    with pytest.raises(vidkompy.Error) as e:
        vidkompy.Alignment.from_json('{"format_version": 9}')
    assert e.value.status == vidkompy.INVALID_DATA and "version 9" in e.value.message
    with pytest.raises(vidkompy.Error) as e:
        vidkompy.Settings(no_such_key=1)
    assert e.value.status == vidkompy.INVALID_ARGUMENT and "no_such_key" in e.value.message
    with pytest.raises(vidkompy.Error) as e:
        vidkompy.Analyzer().push("middle", None)
    assert e.value.status == vidkompy.INVALID_ARGUMENT
    # fg from another picture: refused, not composited.
    analyzer = vidkompy.Analyzer()
    analyzer.set_placement(vidkompy.locate([vidkompy.Frame("i420", pair[0][0])], [vidkompy.Frame("i420", pair[1][OFFSET])]))
    rng = np.random.default_rng(5)
    for j in range(BG_FRAMES):
        analyzer.push("bg", vidkompy.Frame("i420", pair[1][j], pts=j, time_base=(1, 25)))
    for i in range(FG_FRAMES):
        noise = rng.integers(0, 255, (FH, FW), dtype=np.uint8)
        analyzer.push("fg", vidkompy.Frame("i420", [noise, pair[0][i][1], pair[0][i][2]], pts=i, time_base=(1, 25)))
    with pytest.raises(vidkompy.Error) as e:
        analyzer.finish()
    assert e.value.status == vidkompy.NO_MATCH


def test_flipped_and_strided_arrays_are_read_in_place(pair):
    y, u, v = pair[0][0]
    wide = np.zeros((FH, FW + 32), np.uint8)
    wide[:, :FW] = y
    flipped = [y[::-1], u[::-1], v[::-1]]
    a = vidkompy.Frame("i420", [wide[:, :FW], u, v])
    b = vidkompy.Frame("i420", flipped)
    assert a.arrays[0].base is wide and b.arrays[0].strides[0] < 0


def test_the_example_aligns_and_composites_y4m_files(pair, tmp_path):
    from examples import y4m

    fg_path, bg_path, out_path = tmp_path / "fg.y4m", tmp_path / "bg.y4m", tmp_path / "out.y4m"
    y4m.write(fg_path, pair[0], 25)
    y4m.write(bg_path, pair[1], 25)
    example = os.path.join(os.path.dirname(__file__), "..", "examples", "align_and_composite.py")
    run = subprocess.run([sys.executable, example, "--fg", str(fg_path), "--bg", str(bg_path), "-o", str(out_path)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert f"x={FX}, y={FY}" in run.stdout
    frames_out, rate = y4m.read(out_path)
    assert len(frames_out) == FG_FRAMES and rate == 25
    assert np.array_equal(frames_out[0][0][FY : FY + FH, FX : FX + FW], pair[0][0][0])


def test_a_bg_frame_the_decoder_lost_shifts_nothing(pair, alignment):
    reference = list(vidkompy.Compositor(alignment).run(frames(pair[0]), frames(pair[1])))
    bg = [f for j, f in enumerate(frames(pair[1])) if j != OFFSET + 10]  # pts still name each frame
    outputs = list(vidkompy.Compositor(alignment).run(frames(pair[0]), bg))
    assert len(outputs) == FG_FRAMES
    assert all(np.array_equal(outputs[i][0], reference[i][0]) for i in range(FG_FRAMES) if i != 10)


def test_the_live_session_gives_the_offline_map(pair, alignment):
    live = vidkompy.Live(vidkompy.Settings(live_lag=8, band=8))
    assert live.offset_seconds() is None and live.placement() is None
    outputs = list(live.run(frames(pair[0]), frames(pair[1])))
    assert abs(live.offset_seconds() - alignment.offset_seconds) < 0.004
    p = live.placement()
    assert (p.x, p.y) == (FX, FY) and live.held_bytes > 0
    assert [o[0] for o in outputs] == list(range(FG_FRAMES))
    assert [o[1] for o in outputs] == [alignment.bg_index(i) for i in range(FG_FRAMES)]
    assert not any(o[2] for o in outputs)
    y = outputs[3][3][0]
    assert np.array_equal(y[FY : FY + FH, FX : FX + FW], pair[0][3][0])


def test_the_live_session_writes_into_the_hosts_frame(pair, alignment):
    reference = [o[3][0].copy() for o in vidkompy.Live(vidkompy.Settings(live_lag=8)).run(frames(pair[0]), frames(pair[1]))]
    y, u, v = (np.zeros_like(p) for p in pair[1][0])
    into = vidkompy.Frame("i420", [y, u, v])
    live = vidkompy.Live(vidkompy.Settings(live_lag=8))
    n = 0
    for n, (i, j, outside, planes) in enumerate(live.run(frames(pair[0]), frames(pair[1]), into=into)):
        assert i == n and j == alignment.bg_index(i) and not outside
        assert planes[0] is y and np.array_equal(y, reference[n])
    assert n == FG_FRAMES - 1
    small = vidkompy.Frame("i420", [p.copy() for p in pair[0][0]])
    with pytest.raises(vidkompy.Error):
        list(vidkompy.Live().run(frames(pair[0]), frames(pair[1]), into=small))


def test_a_scouted_live_session_gives_the_same_map(pair, alignment):
    live = vidkompy.Live(vidkompy.Settings(live_lag=8, band=8))
    live.set_scouted()
    outputs = list(live.run(frames(pair[0]), frames(pair[1])))
    assert [o[1] for o in outputs] == [alignment.bg_index(i) for i in range(FG_FRAMES)]
    with pytest.raises(vidkompy.Error):
        live.set_scouted(False)


def test_a_pts_needs_its_time_base():
    y, u, v = np.zeros((16, 16), np.uint8), np.zeros((8, 8), np.uint8), np.zeros((8, 8), np.uint8)
    with pytest.raises(vidkompy.Error) as e:
        vidkompy.Frame("i420", [y, u, v], pts=512)
    assert "time_base" in str(e.value)
    from fractions import Fraction
    frame = vidkompy.Frame("i420", [y, u, v], pts=512, time_base=Fraction(1, 12800))
    assert (frame._c.time_base_num, frame._c.time_base_den) == (1, 12800)


def test_the_scout_finds_fg_s_span_from_a_sparse_sample_of_bg(pair):
    fg, bg = frames(pair[0]), frames(pair[1])
    scout = vidkompy.Scout()
    for frame in fg:
        scout.push("fg", frame)
    for frame in bg[::5]:
        scout.push("bg", frame)
    scout.set_bg_extent(0.0, BG_FRAMES / 25)
    found = scout.finish()
    assert found["answer"] == "found", found
    assert found["bg_samples"] == len(bg[::5]) and found["fg_frames"] == FG_FRAMES
    # A pan: the first placement, from samples of other instants than fg's copies, was a pan's
    # lookalike and its span started late; the search again over all of fg finds the true one.
    start, end = OFFSET / 25, (OFFSET + FG_FRAMES) / 25
    assert any(s.start_seconds <= start and s.end_seconds >= end for s in found["spans"]), found["spans"]
    p = found["placement"]
    assert (p.x, p.y) == (FX, FY), p
    # A finished scout takes no more frames; an extent that is no span is refused.
    with pytest.raises(vidkompy.Error) as e:
        scout.push("bg", frames(pair[1])[-1])
    assert e.value.status == vidkompy.BAD_STATE
    with pytest.raises(vidkompy.Error) as e:
        vidkompy.Scout().set_bg_extent(5.0, 1.0)
    assert e.value.status == vidkompy.INVALID_ARGUMENT


def analyse_window(pair, first, last):
    """fg against bg frames first..last alone, as a host does over the scout's window."""
    fg, bg = frames(pair[0]), frames(pair[1])
    analyzer = vidkompy.Analyzer(vidkompy.Settings(min_confidence=0.5))
    for frame in fg:
        analyzer.push("fg", frame)
    for frame in bg[first : last + 1]:
        analyzer.push("bg", frame)
    return analyzer.finish()


def test_the_scout_s_window_is_analysed_alone_and_checked(pair):
    scout = vidkompy.Scout()
    for frame in frames(pair[0]):
        scout.push("fg", frame)
    for frame in frames(pair[1])[::5]:
        scout.push("bg", frame)
    window = scout.finish()["window"]
    first = max(0, int(window.start_seconds * 25) // 5 * 5)  # the sample at or before: a keyframe
    last = min(BG_FRAMES - 1, int(window.end_seconds * 25))
    assert first <= OFFSET and last >= OFFSET + FG_FRAMES - 1, (window.start_seconds, window.end_seconds)
    alignment = analyse_window(pair, first, last)
    alignment.check_window(first > 0, last < BG_FRAMES - 1)
    assert [first + alignment.bg_index(i) for i in range(FG_FRAMES)] == list(range(OFFSET, OFFSET + FG_FRAMES))
    # A window that starts after fg's first frames: its answer is refused, saying why.
    cut = analyse_window(pair, OFFSET + 6, BG_FRAMES - 10)
    with pytest.raises(vidkompy.Error) as e:
        cut.check_window(True, True)
    assert e.value.status == vidkompy.NO_MATCH and "window" in str(e.value)
    cut.check_window(False, False)


def test_the_scout_refuses_a_bg_that_never_shows_fg(pair):
    rng = np.random.default_rng(3)
    scout = vidkompy.Scout()
    for frame in frames(pair[0]):
        scout.push("fg", frame)
    for k in range(12):
        noise = [rng.integers(0, 256, (BH, BW), dtype=np.uint8), np.full((BH // 2, BW // 2), 128, np.uint8),
                 np.full((BH // 2, BW // 2), 128, np.uint8)]
        scout.push("bg", vidkompy.Frame("i420", noise, pts=k, time_base=(1, 25)))
    with pytest.raises(vidkompy.Error) as e:
        scout.finish()
    assert e.value.status == vidkompy.NO_MATCH
    assert "score" in str(e.value)


def test_shots_in_another_order_have_bg_read_again(pair, alignment):
    """fg's scene frames 14-29, then 0-13 (an edit that goes back in bg): the map follows it, and
    run() reads bg again from the frame the second shot needs when bg is a list; from an
    iterator it raises instead of compositing over a wrong background."""
    order = list(range(14, FG_FRAMES)) + list(range(14))
    fg = [vidkompy.Frame("i420", pair[0][k], pts=n, time_base=(1, 25)) for n, k in enumerate(order)]
    bg = frames(pair[1])
    analyzer = vidkompy.Analyzer(vidkompy.Settings(min_confidence=0.5))
    analyzer.set_placement(alignment.placement)
    for frame in bg:
        analyzer.push("bg", frame)
    for frame in fg:
        analyzer.push("fg", frame)
    reordered = analyzer.finish()
    truth = [OFFSET + k for k in order]
    assert [reordered.bg_index(i) for i in range(FG_FRAMES)] == truth
    outputs = list(vidkompy.Compositor(reordered).run(fg, bg))
    assert len(outputs) == FG_FRAMES
    for i, planes in enumerate(outputs):
        # Row 0 lies above fg's placement: it is bg's own.
        assert np.array_equal(planes[0][0], pair[1][truth[i]][0][0]), f"output {i} over bg frame {truth[i]}"
    with pytest.raises(vidkompy.Error) as e:
        list(vidkompy.Compositor(reordered).run(fg, iter(bg)))
    assert e.value.status == vidkompy.BAD_STATE and "passed" in str(e.value)


def test_queries_seeking_and_given_placements(pair, alignment):
    """The queries and controls an editor uses around the pipeline: the media record, bg's pts,
    a corrected placement, where pass 2 starts and what it met, and a placement given to the
    analyzer and to the live session."""
    info = alignment.stream_info("bg")
    assert (info["width"], info["height"], info["frames"], info["time_base"]) == (BW, BH, BG_FRAMES, (1, 25))
    assert info["constant_rate"] and abs(info["frame_rate"] - 25) < 1e-6
    assert alignment.bg_pts(5) == (OFFSET + 5, (1, 25))
    with pytest.raises(vidkompy.Error):
        alignment.stream_info("sideways")
    p = alignment.placement
    p.x, p.x_subpixel = p.x + 2, p.x_subpixel + 2
    corrected = alignment.with_placement(p)
    assert (corrected.placement.x, corrected.placement.y) == (FX + 2, FY) and not corrected.placement_approximate
    p.x = 1 << 22
    with pytest.raises(vidkompy.Error):
        alignment.with_placement(p)

    compositor = vidkompy.Compositor(alignment)
    first, pts = compositor.first_bg()
    assert (first, pts) == (OFFSET, OFFSET)
    with pytest.raises(vidkompy.Error):
        compositor.start_bg_at(first + 1)
    compositor.start_bg_at(first)
    bg = [f for j, f in enumerate(frames(pair[1])) if j >= first and j != first + 10]  # sought, one lost
    outputs = list(compositor.run(frames(pair[0]), bg))
    assert len(outputs) == FG_FRAMES
    stats = compositor.stats
    assert (stats["bg_missing"], stats["bg_stand_ins"], stats["fg_missing"]) == (1, 1, 0)

    given = vidkompy.Placement(x=FX, y=FY, width=FW, height=FH, scale=1.0, content_width=FW, content_height=FH)
    analyzer = vidkompy.Analyzer()
    analyzer.set_placement(given)
    fg, bgs = frames(pair[0]), frames(pair[1])
    for j, frame in enumerate(bgs):
        analyzer.push("bg", frame)
        if 0 <= j - OFFSET < FG_FRAMES:
            analyzer.push("fg", fg[j - OFFSET])
    with pytest.raises(vidkompy.Error):
        analyzer.add_sample("fg", fg[0])
    assert analyzer.finish().bg_index(7) == OFFSET + 7

    sampled = vidkompy.Analyzer()
    sampled.add_sample("fg", fg[0])
    sampled.add_sample("bg", bgs[OFFSET])
    for j, frame in enumerate(bgs):
        sampled.push("bg", frame)
        if 0 <= j - OFFSET < FG_FRAMES:
            sampled.push("fg", fg[j - OFFSET])
    q = sampled.finish().placement
    assert (q.x, q.y) == (FX, FY)

    live = vidkompy.Live(vidkompy.Settings(live_lag=8))
    live.set_placement(given)
    assert live.placement() is None
    next(live.run(frames(pair[0]), frames(pair[1])))
    assert (live.placement().x, live.placement().y) == (FX, FY)


def test_run_into_writes_the_host_s_arrays(pair, alignment):
    reference = list(vidkompy.Compositor(alignment).run(frames(pair[0]), frames(pair[1])))
    planes = [np.zeros((BH, BW), np.uint8), np.zeros((BH // 2, BW // 2), np.uint8), np.zeros((BH // 2, BW // 2), np.uint8)]
    into = vidkompy.Frame("i420", planes)
    n = 0
    for n, out in enumerate(vidkompy.Compositor(alignment).run(frames(pair[0]), frames(pair[1]), into=into)):
        assert out[0] is planes[0]
        assert all(np.array_equal(a, b) for a, b in zip(planes, reference[n]))
    assert n == FG_FRAMES - 1
    read_only = [p.copy() for p in planes]
    read_only[0].flags.writeable = False
    with pytest.raises(vidkompy.Error):
        next(vidkompy.Compositor(alignment).run(frames(pair[0]), frames(pair[1]), into=vidkompy.Frame("i420", read_only)))
    small = vidkompy.Frame("i420", [np.zeros((FH, FW), np.uint8), np.zeros((FH // 2, FW // 2), np.uint8), np.zeros((FH // 2, FW // 2), np.uint8)])
    with pytest.raises(vidkompy.Error):
        next(vidkompy.Compositor(alignment).run(frames(pair[0]), frames(pair[1]), into=small))


def test_callbacks_and_a_frame_provider(pair):
    fg, bg = frames(pair[0]), frames(pair[1])
    asked, logged, progress = [], [], []

    def provide(stream, index):
        asked.append((stream, index))
        return (fg if stream == "fg" else bg)[index]

    analyzer = vidkompy.Analyzer()
    analyzer.set_callbacks(log=lambda level, text: logged.append((level, text)), progress=lambda f, b: progress.append((f, b)))
    analyzer.set_frame_provider(provide)
    for j, frame in enumerate(bg):
        analyzer.push("bg", frame)
        if 0 <= j - OFFSET < FG_FRAMES:
            analyzer.push("fg", fg[j - OFFSET])
    alignment = analyzer.finish()
    assert (alignment.placement.x, alignment.placement.y) == (FX, FY)
    assert progress[-1] == (FG_FRAMES, BG_FRAMES) and len(progress) == FG_FRAMES + BG_FRAMES
    assert any(level == vidkompy.LOG_INFO and "placement" in text for level, text in logged)
    assert len(asked) >= 3, "the placement is checked on full-size frames the provider gives"

    def broken(stream, index):
        raise RuntimeError("the decoder went away")

    failing = vidkompy.Analyzer()
    failing.set_callbacks(progress=lambda f, b: None)
    failing.set_frame_provider(broken)
    for j, frame in enumerate(bg):
        failing.push("bg", frame)
        if 0 <= j - OFFSET < FG_FRAMES:
            failing.push("fg", fg[j - OFFSET])
    with pytest.raises(RuntimeError, match="the decoder went away"):  # raised again, not printed
        failing.finish()

    def raising_progress(f, b):
        raise ValueError("stop")

    stopped = vidkompy.Analyzer()
    stopped.set_callbacks(progress=raising_progress)
    with pytest.raises(ValueError, match="stop"):
        stopped.push("bg", bg[0])


def test_a_frame_provider_with_its_decode_cost(pair):
    """fg from one keyframe (frame i costs i decodes), told: the check asks for no fg frame but
    the keyframe, where without the cost it asks for others; the placement is the same. An
    exception in the cost is raised again by the push that ran it."""
    fg, bg = frames(pair[0]), frames(pair[1])
    asked = []

    def provide(stream, index):
        asked.append((stream, index))
        return (fg if stream == "fg" else bg)[index]

    def analysed(decode_cost):
        asked.clear()
        analyzer = vidkompy.Analyzer()
        analyzer.set_frame_provider(provide, decode_cost)
        for j, frame in enumerate(bg):
            analyzer.push("bg", frame)
            if 0 <= j - OFFSET < FG_FRAMES:
                analyzer.push("fg", fg[j - OFFSET])
        placement = analyzer.finish().placement
        return (placement.x, placement.y), [i for s, i in asked if s == "fg" and i > 0]

    plain, past_keyframe_plain = analysed(None)
    told, past_keyframe_told = analysed(lambda stream, index: index if stream == "fg" else 0)
    assert past_keyframe_plain, "without the cost the check asks for fg frames past the keyframe"
    assert past_keyframe_told == []
    assert plain == told == (FX, FY)

    def no_index(stream, index):
        raise LookupError("no index")

    failing = vidkompy.Analyzer()
    failing.set_frame_provider(provide, no_index)
    with pytest.raises(LookupError, match="no index"):
        failing.push("fg", fg[0])


class _AvPlane(bytearray):
    """A PyAV VideoPlane: a buffer whose rows lie `line_size` bytes apart (padded, as FFmpeg's)."""

    def __init__(self, array, line_size):
        rows = array.view(np.uint8).reshape(array.shape[0], -1)
        padded = np.zeros((rows.shape[0], line_size), np.uint8)
        padded[:, : rows.shape[1]] = rows
        super().__init__(padded.tobytes())
        self.line_size = line_size


class _AvFrame:
    """What Frame.from_av reads of a PyAV VideoFrame."""

    def __init__(self, name, planes, pts, time_base, color_range=0, colorspace=2):
        self.format = type("Format", (), {"name": name})()
        self.planes, self.pts, self.time_base = planes, pts, time_base
        self.width, self.height = BW, BH
        self.color_range, self.colorspace = color_range, colorspace


def test_frames_from_pyav_are_read_in_place_with_their_colour(pair, alignment):
    from fractions import Fraction

    y, u, v = pair[1][OFFSET]
    planes = [_AvPlane(y, BW + 64), _AvPlane(u, BW // 2 + 32), _AvPlane(v, BW // 2 + 32)]
    frame = vidkompy.Frame.from_av(_AvFrame("yuv420p", planes, OFFSET, Fraction(1, 25), color_range=1, colorspace=1))
    assert (frame.width, frame.height) == (BW, BH)
    assert np.array_equal(frame.arrays[0], y) and np.array_equal(frame.arrays[2], v)
    assert frame._c.stride[0] == BW + 64, "read in place, padding and all"
    assert frame._c.pts == OFFSET and (frame._c.time_base_num, frame._c.time_base_den) == (1, 25)
    assert frame._c.format == 1 | vidkompy.RANGES["limited"] | vidkompy.MATRICES["bt709"]
    full = vidkompy.Frame.from_av(_AvFrame("yuvj420p", planes, None, None, color_range=0, colorspace=5))
    assert full._c.format == 1 | vidkompy.RANGES["full"] | vidkompy.MATRICES["bt601"]
    unspecified = vidkompy.Frame.from_av(_AvFrame("yuv420p", planes, 3, None))
    assert unspecified._c.format == 1 and unspecified._c.time_base_den == 0, "no time base: no pts"
    ten = (np.arange(BW * BH, dtype=np.uint16).reshape(BH, BW) * 7) & 1023
    half = ten[::2, ::2].copy()
    p10 = vidkompy.Frame.from_av(
        _AvFrame("yuv420p10le", [_AvPlane(ten, 2 * BW + 64), _AvPlane(half, BW + 32), _AvPlane(half, BW + 32)], 3, Fraction(1, 25))
    )
    assert np.array_equal(p10.arrays[0], ten) and p10._c.format == 6
    with pytest.raises(vidkompy.Error) as e:
        vidkompy.Frame.from_av(_AvFrame("yuv410p", [], 0, Fraction(1, 25)))
    assert e.value.status == vidkompy.UNSUPPORTED
    # It composites as the numpy frame of the same picture does.
    fg = frames(pair[0])[0]
    outputs = []
    for bg in (frames(pair[1])[OFFSET], vidkompy.Frame.from_av(_AvFrame("yuv420p", planes, OFFSET, Fraction(1, 25)))):
        out = vidkompy.Frame("i420", [np.zeros((BH, BW), np.uint8), np.zeros((BH // 2, BW // 2), np.uint8), np.zeros((BH // 2, BW // 2), np.uint8)])
        vidkompy.composite(alignment, 0, fg, bg, out)
        outputs.append(out.arrays)
    assert all(np.array_equal(a, b) for a, b in zip(*outputs))


def test_an_rgba_fg_is_pasted_with_its_alpha(pair, alignment):
    rgba = np.full((FH, FW, 4), 235, np.uint8)
    rgba[:, :, 3] = 255
    rgba[:, :40, 3] = 0
    bg = frames(pair[1])[OFFSET]
    outputs = {}
    for alpha in (None, "straight"):
        out = vidkompy.Frame("i420", [np.zeros((BH, BW), np.uint8), np.zeros((BH // 2, BW // 2), np.uint8), np.zeros((BH // 2, BW // 2), np.uint8)])
        vidkompy.composite(alignment, 0, vidkompy.Frame("rgba", [rgba], alpha=alpha), bg, out)
        outputs[alpha] = out.arrays[0]
    transparent = (slice(FY, FY + FH), slice(FX, FX + 40))
    assert np.array_equal(outputs["straight"][transparent], bg.arrays[0][transparent]), "transparent: bg's pixels"
    assert (outputs[None][transparent] == 218).all(), "alpha not described: not read"
    assert (outputs["straight"][FY : FY + FH, FX + 40 : FX + FW] == 218).all(), "opaque: fg's"
    # OpenFX's float and half RGBA, and 16-bit: the same edges.
    for name, dtype, white in (("rgbaf32", np.float32, 235 / 255), ("rgbaf16", np.float16, 235 / 255), ("rgba64", np.uint16, 235 * 257)):
        wide = np.full((FH, FW, 4), white, dtype)
        wide[:, :, 3] = 65535 if dtype == np.uint16 else 1.0
        wide[:, :40, 3] = 0
        out = vidkompy.Frame("i420", [np.zeros((BH, BW), np.uint8), np.zeros((BH // 2, BW // 2), np.uint8), np.zeros((BH // 2, BW // 2), np.uint8)])
        vidkompy.composite(alignment, 0, vidkompy.Frame(name, [wide], alpha="straight"), bg, out)
        assert np.array_equal(out.arrays[0][transparent], bg.arrays[0][transparent]), name
        assert (np.abs(out.arrays[0][FY : FY + FH, FX + 40 : FX + FW].astype(int) - 218) <= 1).all(), name
    with pytest.raises(vidkompy.Error) as e:
        vidkompy.Frame("i420", bg.arrays, alpha="straight")
    assert e.value.status == vidkompy.INVALID_FRAME and "has no alpha" in str(e.value)


def test_cancel_stops_the_analyzer(pair):
    bg = frames(pair[1])
    analyzer = vidkompy.Analyzer()
    analyzer.set_callbacks(progress=lambda f, b: analyzer.cancel() if b == 10 else None)
    taken = 0
    with pytest.raises(vidkompy.Error) as e:
        for frame in bg:
            analyzer.push("bg", frame)
            taken += 1
    assert e.value.status == vidkompy.CANCELLED and taken == 10 and "before taking a frame" in e.value.message
    with pytest.raises(vidkompy.Error) as e:
        analyzer.push("bg", bg[11])
    assert e.value.status == vidkompy.BAD_STATE
    other = vidkompy.Analyzer()
    for frame in bg:
        other.push("bg", frame)
    other.cancel()
    with pytest.raises(vidkompy.Error) as e:
        other.finish()
    assert e.value.status == vidkompy.CANCELLED


def test_times_in_a_timelines_time_base(alignment):
    from fractions import Fraction

    for i in (0, 5, FG_FRAMES - 1):
        assert alignment.fg_index_at(i * 3600, (1, 90000)) == i
        assert alignment.fg_index_at(i * 3600 + 3599, Fraction(1, 90000)) == i
        assert alignment.bg_time(i, (1, 90000)) == (i + OFFSET) * 3600
    with pytest.raises(vidkompy.Error) as e:
        alignment.fg_index_at(-1, (1, 90000))
    assert e.value.status == vidkompy.INVALID_ARGUMENT and "outside fg's" in e.value.message


def test_the_media_record_tells_changed_media(pair, alignment):
    bg = frames(pair[1])
    assert alignment.media_matches("bg", bg[0], BG_FRAMES)
    assert not alignment.media_matches("bg", bg[0], BG_FRAMES - 1)
    assert not alignment.media_matches("bg", bg[40], BG_FRAMES)


def test_stages_are_told_by_finish_and_the_live_start(pair):
    fg, bg = frames(pair[0]), frames(pair[1])
    told = []
    analyzer = vidkompy.Analyzer(vidkompy.Settings(min_confidence=0.5))
    analyzer.set_stage_callback(lambda stage, done: told.append((stage, done)))
    for j, frame in enumerate(bg):
        analyzer.push("bg", frame)
        if 0 <= j - OFFSET < FG_FRAMES:
            analyzer.push("fg", fg[j - OFFSET])
    analyzer.finish()
    assert (vidkompy.STAGE_TIME_MAP, 0.0) in told and (vidkompy.STAGE_TIME_MAP, 1.0) in told
    assert told.index((vidkompy.STAGE_PLACEMENT, 1.0)) < told.index((vidkompy.STAGE_TIME_MAP, 0.0))
    live, starts = vidkompy.Live(), []
    live.set_stage_callback(lambda stage, done: starts.append(done) if stage == vidkompy.STAGE_LIVE_START else None)
    assert sum(1 for _ in live.run(fg, bg)) == FG_FRAMES
    assert starts[:2] == [0.0, 1.0]
    # An exception in the callback is raised by the call that ran it.
    failing = vidkompy.Live()
    failing.set_stage_callback(lambda stage, done: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        for _ in failing.run(fg, bg):
            pass


def test_cancel_stops_the_live_session_and_the_scout(pair):
    fg, bg = frames(pair[0]), frames(pair[1])
    live = vidkompy.Live()

    def bg_then_cancel():
        for j, frame in enumerate(bg):
            if j == 20:
                live.cancel()
            yield frame

    with pytest.raises(vidkompy.Error) as e:
        for _ in live.run(fg, bg_then_cancel()):
            pass
    assert e.value.status == vidkompy.CANCELLED
    with pytest.raises(vidkompy.Error) as e:
        for _ in live.run(fg, bg):
            pass
    assert e.value.status == vidkompy.BAD_STATE
    scout = vidkompy.Scout()
    for frame in fg:
        scout.push("fg", frame)
    scout.cancel()
    with pytest.raises(vidkompy.Error) as e:
        scout.finish()
    assert e.value.status == vidkompy.CANCELLED
    with pytest.raises(vidkompy.Error) as e:
        scout.push("fg", fg[0])
    assert e.value.status == vidkompy.BAD_STATE


def test_a_placement_not_checked_at_full_size_warns():
    """1080p grey bg, 40 frames, fg a 640x360 crop of bg 20..29 and no frame provider: the
    frames the analyzer keeps (bg's first nine) hold none fg matched, so the C call answers
    APPROXIMATE; the alignment comes with a NotVerifiedWarning and says so."""
    y, x = np.mgrid[0:1080, 0:1920].astype(np.float64)

    def picture(t):
        v = 120 + 50 * np.sin((x + 3 * t) / 17) * np.cos((y + t) / 11) + 30 * np.sin((x + 2 * y) / 41)
        v += 60 * (((x.astype(np.int64) + y.astype(np.int64) // 2 - 9 * t) & 127) < 10)
        return np.clip(v, 0, 255).astype(np.uint8)

    analyzer = vidkompy.Analyzer()
    for t in range(40):
        bg = picture(t)
        analyzer.push("bg", vidkompy.Frame("gray8", [bg], pts=t, time_base=(1, 25)))
        if 20 <= t < 30:
            fg = np.ascontiguousarray(bg[200:560, 300:940])
            analyzer.push("fg", vidkompy.Frame("gray8", [fg], pts=t - 20, time_base=(1, 25)))
    with pytest.warns(vidkompy.NotVerifiedWarning, match="not verified"):
        alignment = analyzer.finish()
    assert alignment.placement_approximate
    assert vidkompy.APPROXIMATE == 3
