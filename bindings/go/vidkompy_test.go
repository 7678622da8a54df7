package vidkompy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// The synthetic scene of the C tests (tests/c/scene.h): bg pans over a texture with a bar
// sweeping across; fg is a graded crop of bg frames offset.. at (fx, fy).
const (
	bw, bh, fw, fh, fx, fy = 256, 144, 128, 72, 50, 30
	bgFrames, fgFrames     = 60, 30
	offset                 = 14
)

func world(x, y int) float64 {
	return 120 + 45*math.Sin(float64(x)/9)*math.Cos(float64(y)/6) + 30*math.Sin(float64(x+2*y)/15) + 20*math.Cos(float64(x)/23)
}

func clamp8(v float64) byte {
	return byte(math.Max(0, math.Min(255, v+0.5)))
}

func picture(x, y, t int) byte {
	v := float64(clamp8(world(x+3*t, y+t)))
	if (x+y/2-7*t)&63 < 6 {
		v += 60
	}
	return byte(math.Min(v, 255))
}

func scene(t *testing.T) (fg, bg []*Frame) {
	for j := 0; j < bgFrames; j++ {
		f, err := NewFrame(I420, bw, bh)
		if err != nil {
			t.Fatal(err)
		}
		y := f.Plane(0)
		for r := 0; r < bh; r++ {
			for c := 0; c < bw; c++ {
				y[r*bw+c] = picture(c, r, j)
			}
		}
		fill(f.Plane(1), 100)
		fill(f.Plane(2), 150)
		f.SetPTS(int64(j), 1, 25)
		bg = append(bg, f)
	}
	for i := 0; i < fgFrames; i++ {
		f, err := NewFrame(I420, fw, fh)
		if err != nil {
			t.Fatal(err)
		}
		src, y := bg[i+offset].Plane(0), f.Plane(0)
		for r := 0; r < fh; r++ {
			for c := 0; c < fw; c++ {
				y[r*fw+c] = clamp8(float64(src[(r+fy)*bw+c+fx])*0.9 + 20 - 0.5)
			}
		}
		fill(f.Plane(1), 90)
		fill(f.Plane(2), 160)
		f.SetPTS(int64(i), 1, 25)
		fg = append(fg, f)
	}
	return fg, bg
}

func fill(b []byte, v byte) {
	for i := range b {
		b[i] = v
	}
}

type frames struct{ list []*Frame }

func (s *frames) NextFrame() (*Frame, error) {
	if len(s.list) == 0 {
		return nil, io.EOF
	}
	f := s.list[0]
	s.list = s.list[1:]
	return f, nil
}

// pushScene pushes the scene as a host would: bg runs ahead of fg by offset frames.
func pushScene(t *testing.T, a *Analyzer, fg, bg []*Frame) {
	t.Helper()
	for j := range bg {
		if err := a.Push(Bg, bg[j]); err != nil {
			t.Fatal(err)
		}
		if i := j - offset; i >= 0 && i < fgFrames {
			if err := a.Push(Fg, fg[i]); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func analyze(t *testing.T, fg, bg []*Frame) *Alignment {
	a, err := NewAnalyzer(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	pushScene(t, a, fg, bg)
	al, err := a.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return al
}

func TestThePipeline(t *testing.T) {
	fg, bg := scene(t)
	al := analyze(t, fg, bg)
	defer al.Close()
	p, err := al.Placement()
	if err != nil || p.X != fx || p.Y != fy {
		t.Fatalf("placement %+v, %v", p, err)
	}
	if j, _ := al.BgIndex(5); j != 5+offset {
		t.Fatalf("fg frame 5 over bg frame %d", j)
	}
	if al.BgFrames() != len(bg) || al.Confidence() < 0.8 || al.PlacementConfidence() < 0.8 || math.Abs(al.Rate()-1) > 0.01 {
		t.Fatalf("bg frames %d, confidence %v, placement confidence %v, rate %v", al.BgFrames(), al.Confidence(),
			al.PlacementConfidence(), al.Rate())
	}
	if c, err := al.FrameConfidence(5); err != nil || c <= 0 || c > 1 {
		t.Fatalf("frame 5's confidence %v, %v", c, err)
	}
	if _, err := al.FrameConfidence(fgFrames); err == nil {
		t.Fatal("a confidence for an fg frame past the end")
	}
	if v, text := Version(); v>>16 != 0 || !strings.HasPrefix(text, "0.") || StatusString(StatusInvalidArgument) == "" {
		t.Fatalf("version %x %q, status %q", v, text, StatusString(StatusInvalidArgument))
	}
	text, err := al.JSON()
	if err != nil || !strings.Contains(text, "\"format_version\": 2") {
		t.Fatalf("JSON: %v", err)
	}
	copyOf, err := AlignmentFromJSON(text)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCompositor(copyOf, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	dst, _ := NewFrame(I420, bw, bh)
	defer dst.Free()
	n := 0
	fgSource, bgSource := &frames{fg}, &frames{bg}
	for {
		out, err := c.Next(fgSource, bgSource)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		// Random access gives the same bytes.
		j, _ := al.BgIndex(n)
		if err := Composite(al, nil, n, fg[n], bg[j], dst); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Plane(0)[:bw], dst.Plane(0)[:bw]) || out.PTS() != int64(n) {
			t.Fatalf("frame %d differs from random access", n)
		}
		n++
	}
	if n != fgFrames {
		t.Fatalf("%d frames composited", n)
	}
	placement, err := Locate(nil, []*Frame{fg[0]}, []*Frame{bg[offset]})
	if err != nil || placement.X != fx || placement.Y != fy {
		t.Fatalf("locate: %+v %v", placement, err)
	}
}

func TestErrorsCarryTheirStatusAndOwnMessage(t *testing.T) {
	_, err := AlignmentFromJSON("{\"format_version\": 9}")
	var e *Error
	if !errors.As(err, &e) || e.Status != StatusInvalidData || !strings.Contains(e.Message, "version 9") {
		t.Fatalf("got %v", err)
	}
	s, _ := NewSettings()
	defer s.Close()
	if err := s.Set("no_such_key", "1"); !errors.As(err, &e) || e.Status != StatusInvalidArgument {
		t.Fatalf("got %v", err)
	}
	if _, err := FrameFromBytes(Gray8, 16, 4, [][]byte{make([]byte, 10)}, []int{16}); !errors.As(err, &e) || e.Status != StatusInvalidFrame {
		t.Fatalf("short plane: %v", err)
	}
	// Many goroutines fail at once, each with its own message: every one reads its own.
	var wg sync.WaitGroup
	wrong := make([]int, 32)
	for g := range wrong {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			want := fmt.Sprintf("version %d", 100+g)
			for k := 0; k < 200; k++ {
				_, err := AlignmentFromJSON(fmt.Sprintf("{\"format_version\": %d}", 100+g))
				if err == nil || !strings.Contains(err.Error(), want) {
					wrong[g]++
				}
			}
		}(g)
	}
	wg.Wait()
	for g, w := range wrong {
		if w != 0 {
			t.Fatalf("goroutine %d read %d messages that were not its own", g, w)
		}
	}
}

func TestFramesFromGoMemoryAreCopiedOnce(t *testing.T) {
	y := bytes.Repeat([]byte{7}, 32*8)
	u, v := bytes.Repeat([]byte{128}, 16*4), bytes.Repeat([]byte{128}, 16*4)
	f, err := FrameFromBytes(I420, 32, 8, [][]byte{y, u, v}, []int{32, 16, 16})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Free()
	y[0] = 9 // the frame holds its own copy
	if f.Plane(0)[0] != 7 || f.Validate() != nil {
		t.Fatal("the frame should hold a validated copy")
	}
}

func TestABgFrameTheDecoderLostShiftsNothing(t *testing.T) {
	fg, bg := scene(t)
	al := analyze(t, fg, bg)
	defer al.Close()
	collect := func(bgFrames []*Frame) [][]byte {
		c, err := NewCompositor(al, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		var lumas [][]byte
		fgSource, bgSource := &frames{fg}, &frames{bgFrames}
		for {
			out, err := c.Next(fgSource, bgSource)
			if errors.Is(err, io.EOF) {
				return lumas
			}
			if err != nil {
				t.Fatal(err)
			}
			lumas = append(lumas, append([]byte(nil), out.Plane(0)[:bw*bh]...))
		}
	}
	reference := collect(bg)
	lost := append(append([]*Frame{}, bg[:offset+10]...), bg[offset+11:]...)
	got := collect(lost)
	if len(got) != fgFrames {
		t.Fatalf("%d frames", len(got))
	}
	for i := range got {
		if i != 10 && !bytes.Equal(got[i], reference[i]) {
			t.Fatalf("fg frame %d shifted", i)
		}
	}
}

// liveOfLag8 is a live session with live_lag and band 8 (the scene is short).
func liveOfLag8(t *testing.T) *Live {
	s, _ := NewSettings()
	defer s.Close()
	for _, key := range []string{"live_lag", "band"} {
		if err := s.Set(key, "8"); err != nil {
			t.Fatal(err)
		}
	}
	l, err := NewLive(s)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestTheLiveSessionGivesTheOfflineMap(t *testing.T) {
	fg, bg := scene(t)
	al := analyze(t, fg, bg)
	defer al.Close()
	l := liveOfLag8(t)
	defer l.Close()
	if _, ok, err := l.OffsetSeconds(); ok || err != nil {
		t.Fatalf("an offset before the lock (%v)", err)
	}
	if _, ok, err := l.Placement(); ok || err != nil {
		t.Fatalf("a placement before the lock (%v)", err)
	}
	fgSource, bgSource := &frames{fg}, &frames{bg}
	n := 0
	for {
		out, i, j, err := l.Next(fgSource, bgSource)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		want, _ := al.BgIndex(i)
		if i != n || j != want || out.PTS() != int64(n) {
			t.Fatalf("output %d: fg frame %d over bg frame %d (offline: %d)", n, i, j, want)
		}
		n++
	}
	if n != fgFrames {
		t.Fatalf("%d frames out", n)
	}
	if p, ok, err := l.Placement(); !ok || err != nil || p.X != fx || p.Y != fy {
		t.Fatalf("live placement %+v, %v %v", p, ok, err)
	}
	if l.HeldBytes() <= 0 {
		t.Fatal("the session holds no frames at its end")
	}
	offset, ok, err := l.OffsetSeconds()
	if !ok || err != nil || math.Abs(offset-al.OffsetSeconds()) > 0.004 {
		t.Fatalf("offset %v s (offline %v s), %v %v", offset, al.OffsetSeconds(), ok, err)
	}
}

// The live session's NextInto writes each composite into the host's frame, with fg's pts, over
// the bg frame the offline map gives; a frame of another size is refused.
func TestLiveNextIntoWritesTheHostsFrame(t *testing.T) {
	fg, bg := scene(t)
	al := analyze(t, fg, bg)
	defer al.Close()
	l := liveOfLag8(t)
	defer l.Close()
	if _, _, err := l.NextInto(&frames{fg}, &frames{bg}, nil); err == nil {
		t.Fatal("NextInto without a frame")
	}
	small, _ := NewFrame(I420, fw, fh)
	defer small.Free()
	fgSource, bgSource := &frames{fg}, &frames{bg}
	if _, _, err := l.NextInto(fgSource, bgSource, small); err == nil {
		t.Fatal("a frame of another size than bg was written")
	}
	dst, _ := NewFrame(I420, bw, bh)
	defer dst.Free()
	n := 0
	for ; ; n++ {
		i, j, err := l.NextInto(fgSource, bgSource, dst)
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		want, _ := al.BgIndex(i)
		if i != n || j != want || dst.PTS() != int64(n) {
			t.Fatalf("output %d: fg frame %d over bg frame %d (offline: %d), pts %d", n, i, j, want, dst.PTS())
		}
		if !bytes.Equal(dst.Plane(0)[fy*bw+fx:fy*bw+fx+fw], fg[i].Plane(0)[:fw]) {
			t.Fatalf("frame %d: fg's first row is not at the placement", n)
		}
	}
	if n != fgFrames {
		t.Fatalf("%d frames out", n)
	}
}

// Handles that are unreachable in Go while their C call runs must not be finalized under it:
// every call keeps its handles alive (runtime.KeepAlive). Here the alignment and the settings
// exist only as arguments, while another goroutine forces collections and finalizers run;
// without KeepAlive the C call read freed memory about once in 25,000 calls.
func TestHandlesOutliveTheirCallsUnderForcedGC(t *testing.T) {
	fg, bg := scene(t)
	al := analyze(t, fg, bg)
	text, err := al.JSON()
	al.Close()
	if err != nil {
		t.Fatal(err)
	}
	reference, _ := NewFrame(I420, bw, bh)
	defer reference.Free()
	fresh := func() *Alignment {
		a, err := AlignmentFromJSON(text)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	settings := func() *Settings {
		s, err := NewSettings()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if err := Composite(fresh(), settings(), 3, fg[3], bg[3+offset], reference); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var collector sync.WaitGroup
	collector.Add(1)
	go func() {
		defer collector.Done()
		for {
			select {
			case <-stop:
				return
			default:
				runtime.GC()
			}
		}
	}()
	defer func() { close(stop); collector.Wait() }()
	dst, _ := NewFrame(I420, bw, bh)
	defer dst.Free()
	for n := 0; n < 3000; n++ {
		if err := Composite(fresh(), settings(), 3, fg[3], bg[3+offset], dst); err != nil {
			t.Fatalf("call %d: %v", n, err)
		}
		if !bytes.Equal(dst.Plane(0), reference.Plane(0)) {
			t.Fatalf("call %d composited something else: a handle was freed during its call", n)
		}
		if p, err := fresh().Placement(); err != nil || p.X != fx || p.Y != fy {
			t.Fatalf("call %d: placement %+v, %v", n, p, err)
		}
	}
}

// The scout from Go as a seeking host uses it: all of fg and every 5th bg frame in, the window
// out; fg analysed against the window's frames alone lands on its true frames and the window
// check passes; a window that starts after fg's first frames is refused by the check.
func TestTheScoutsWindowIsAnalysedAloneAndChecked(t *testing.T) {
	fg, bg := scene(t)
	sc, err := NewScout(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	for _, f := range fg {
		if err := sc.Push(Fg, f); err != nil {
			t.Fatal(err)
		}
	}
	for j := 0; j < bgFrames; j += 5 {
		if err := sc.Push(Bg, bg[j]); err != nil {
			t.Fatal(err)
		}
	}
	r, err := sc.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if !r.Found || len(r.Spans) == 0 || r.BgSamples != bgFrames/5 || r.FgFrames != fgFrames {
		t.Fatalf("scout: %+v", r)
	}
	first := int(r.Window.StartSeconds*25) / 5 * 5 // the sample at or before: a keyframe
	if first < 0 {
		first = 0
	}
	last := int(r.Window.EndSeconds * 25)
	if last > bgFrames-1 {
		last = bgFrames - 1
	}
	if first > offset || last < offset+fgFrames-1 {
		t.Fatalf("window %+v does not hold fg (bg frames %d-%d)", r.Window, offset, offset+fgFrames-1)
	}
	alone := func(from, to int) *Alignment {
		a, err := NewAnalyzer(nil)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		for _, f := range fg {
			if err := a.Push(Fg, f); err != nil {
				t.Fatal(err)
			}
		}
		for j := from; j <= to; j++ {
			if err := a.Push(Bg, bg[j]); err != nil {
				t.Fatal(err)
			}
		}
		al, err := a.Finish()
		if err != nil {
			t.Fatal(err)
		}
		return al
	}
	al := alone(first, last)
	defer al.Close()
	// The scene's frames are small enough for the analyzer's copies: found at full size.
	if approximate, err := al.PlacementApproximate(); err != nil || approximate {
		t.Fatalf("placement approximate %v (%v)", approximate, err)
	}
	if err := al.CheckWindow(first > 0, last < bgFrames-1); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < fgFrames; i++ {
		if j, err := al.BgIndex(i); err != nil || first+j != offset+i {
			t.Fatalf("fg frame %d on window frame %d (+%d), want bg frame %d (%v)", i, j, first, offset+i, err)
		}
	}
	cut := alone(offset+6, bgFrames-10)
	defer cut.Close()
	var e *Error
	if err := cut.CheckWindow(true, true); !errors.As(err, &e) || e.Status != StatusNoMatch || !strings.Contains(e.Message, "window") {
		t.Fatalf("a window cutting fg's start: %v", err)
	}
	if err := sc.Push(Bg, bg[bgFrames-1]); !errors.As(err, &e) || e.Status != StatusBadState {
		t.Fatalf("a finished scout took a frame: %v", err)
	}
}

// seekable is a Source over frames in memory that can go back (a Seeker).
type seekable struct {
	list []*Frame
	next int
}

func (s *seekable) NextFrame() (*Frame, error) {
	if s.next >= len(s.list) {
		return nil, io.EOF
	}
	s.next++
	return s.list[s.next-1], nil
}

func (s *seekable) SeekFrame(index int) error {
	s.next = index
	return nil
}

// fg's scene frames 14-29, then 0-13 (an edit that goes back in bg): the map follows it, Next
// restarts a Seeker bg source where the second shot needs it, and a plain Source gets
// BAD_STATE there instead of a wrong background.
func TestShotsInAnotherOrderHaveBgReadAgain(t *testing.T) {
	fg, bg := scene(t)
	var order, truth []int
	var reordered []*Frame
	for n := 0; n < fgFrames; n++ {
		k := (n + 14) % fgFrames
		order = append(order, k)
		truth = append(truth, offset+k)
		fg[k].SetPTS(int64(n), 1, 25)
		reordered = append(reordered, fg[k])
	}
	a, err := NewAnalyzer(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	for _, f := range bg {
		if err := a.Push(Bg, f); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range reordered {
		if err := a.Push(Fg, f); err != nil {
			t.Fatal(err)
		}
	}
	al, err := a.Finish()
	if err != nil {
		t.Fatal(err)
	}
	defer al.Close()
	for n := range truth {
		if j, _ := al.BgIndex(n); int(j) != truth[n] {
			t.Fatalf("fg frame %d over bg frame %d, not %d", n, j, truth[n])
		}
	}
	c, err := NewCompositor(al, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fgSource, bgSource := &frames{append([]*Frame(nil), reordered...)}, &seekable{list: bg}
	for n := 0; ; n++ {
		out, err := c.Next(fgSource, bgSource)
		if errors.Is(err, io.EOF) {
			if n != fgFrames {
				t.Fatalf("%d frames composited", n)
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		// Row 0 lies above fg's placement: it is bg's own.
		if !bytes.Equal(out.Plane(0)[:bw], bg[truth[n]].Plane(0)[:bw]) {
			t.Fatalf("output %d is not over bg frame %d", n, truth[n])
		}
	}
	plain, err := NewCompositor(al, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	fgSource, plainBg := &frames{append([]*Frame(nil), reordered...)}, &frames{append([]*Frame(nil), bg...)}
	for {
		_, err := plain.Next(fgSource, plainBg)
		var e *Error
		if errors.As(err, &e) && e.Status == StatusBadState && strings.Contains(e.Message, "passed") {
			break
		}
		if err != nil {
			t.Fatalf("a plain source at the step back: %v", err)
		}
	}
}

// The queries and controls an editor uses around the pipeline: the media record, bg's pts,
// frames outside, a corrected placement, where pass 2 starts and what it met, and a
// placement given to the analyzer and to the live session.
func TestQueriesSeekingAndGivenPlacements(t *testing.T) {
	fg, bg := scene(t)
	al := analyze(t, fg, bg)
	defer al.Close()
	info, err := al.StreamInfo(Bg)
	if err != nil || info.Width != bw || info.Height != bh || info.Frames != bgFrames || !info.ConstantRate ||
		math.Abs(info.FrameRate-25) > 1e-6 || info.TimeBaseNum != 1 || info.TimeBaseDen != 25 {
		t.Fatalf("bg's record %+v, %v", info, err)
	}
	if pts, num, den, err := al.BgPTS(5); err != nil || pts != 5+offset || num != 1 || den != 25 {
		t.Fatalf("bg pts of fg frame 5: %d %d/%d, %v", pts, num, den, err)
	}
	if _, _, _, err := al.BgPTS(-1); err == nil {
		t.Fatal("a negative index was taken")
	}
	if outside, err := al.OutsideFrames(); err != nil || len(outside) != 0 {
		t.Fatalf("outside frames %v, %v", outside, err)
	}
	p, _ := al.Placement()
	moved := p
	moved.X, moved.XSubpixel = p.X+2, p.XSubpixel+2
	corrected, err := al.WithPlacement(moved)
	if err != nil {
		t.Fatal(err)
	}
	defer corrected.Close()
	if q, _ := corrected.Placement(); q.X != fx+2 || q.Y != fy {
		t.Fatalf("corrected placement %+v", q)
	}
	if approximate, _ := corrected.PlacementApproximate(); approximate {
		t.Fatal("a host's placement is not approximate")
	}
	far := p
	far.X = 1 << 22
	if _, err := al.WithPlacement(far); err == nil {
		t.Fatal("a placement far outside bg was taken")
	}

	c, err := NewCompositor(al, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	first, pts, err := c.FirstBg()
	if err != nil || first != offset || pts != offset {
		t.Fatalf("first bg frame %d (pts %d), %v", first, pts, err)
	}
	if err := c.StartBgAt(-1); err == nil {
		t.Fatal("a negative start was taken")
	}
	if err := c.StartBgAt(first + 1); err == nil {
		t.Fatal("a start past the first bg frame needed was taken")
	}
	if err := c.StartBgAt(first); err != nil {
		t.Fatal(err)
	}
	// bg from its first needed frame, one frame lost by the decoder on the way.
	lost := append(append([]*Frame{}, bg[first:first+10]...), bg[first+11:]...)
	n := 0
	fgSource, bgSource := &frames{fg}, &frames{lost}
	for {
		if _, err := c.Next(fgSource, bgSource); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		n++
	}
	stats, err := c.Stats()
	if err != nil || n != fgFrames || stats.BgMissing != 1 || stats.BgStandIns != 1 || stats.FgMissing != 0 {
		t.Fatalf("%d frames out, stats %+v, %v", n, stats, err)
	}

	a, err := NewAnalyzer(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	given := Placement{X: fx, Y: fy, Width: fw, Height: fh, Scale: 1, ContentWidth: fw, ContentHeight: fh}
	if err := a.SetPlacement(given); err != nil {
		t.Fatal(err)
	}
	pushScene(t, a, fg, bg)
	if err := a.AddSample(Fg, fg[0]); err == nil {
		t.Fatal("a sample after the first frame was taken")
	}
	placed, err := a.Finish()
	if err != nil {
		t.Fatal(err)
	}
	defer placed.Close()
	if j, _ := placed.BgIndex(7); j != 7+offset {
		t.Fatalf("with a given placement fg frame 7 is over bg frame %d", j)
	}
	sampled, err := NewAnalyzer(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sampled.Close()
	if err := sampled.AddSample(Fg, fg[0]); err != nil {
		t.Fatal(err)
	}
	if err := sampled.AddSample(Bg, bg[offset]); err != nil {
		t.Fatal(err)
	}
	pushScene(t, sampled, fg, bg)
	fromSamples, err := sampled.Finish()
	if err != nil {
		t.Fatal(err)
	}
	defer fromSamples.Close()
	if q, _ := fromSamples.Placement(); q.X != fx || q.Y != fy {
		t.Fatalf("the placement from samples %+v", q)
	}

	l, err := NewLive(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.SetPlacement(given); err != nil {
		t.Fatal(err)
	}
	if err := l.SetScouted(true); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := l.Placement(); err != nil || ok {
		t.Fatalf("a placement before the lock: %v %v", ok, err)
	}
	if _, _, _, err := l.Next(&frames{fg}, &frames{bg}); err != nil {
		t.Fatal(err)
	}
	if q, ok, err := l.Placement(); err != nil || !ok || q.X != fx || q.Y != fy {
		t.Fatalf("the live session's placement %+v %v %v", q, ok, err)
	}
	if err := l.SetScouted(false); err == nil {
		t.Fatal("said scouted after the frames")
	}
}

// NextInto writes each composite into the host's frame, the same bytes Next gives.
func TestNextIntoWritesTheHostsFrame(t *testing.T) {
	fg, bg := scene(t)
	al := analyze(t, fg, bg)
	defer al.Close()
	var reference [][]byte
	c, err := NewCompositor(al, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for fgSource, bgSource := (&frames{fg}), (&frames{bg}); ; {
		out, err := c.Next(fgSource, bgSource)
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		reference = append(reference, append([]byte{}, out.Plane(0)...))
	}
	into, err := NewCompositor(al, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer into.Close()
	dst, _ := NewFrame(I420, bw, bh)
	defer dst.Free()
	if err := into.NextInto(&frames{fg}, &frames{bg}, nil); err == nil {
		t.Fatal("NextInto without a frame")
	}
	refused, err := NewCompositor(al, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer refused.Close()
	small, _ := NewFrame(I420, fw, fh)
	defer small.Free()
	if err := refused.NextInto(&frames{fg}, &frames{bg}, small); err == nil {
		t.Fatal("a frame of another size than bg was written")
	}
	n := 0
	for fgSource, bgSource := (&frames{fg}), (&frames{bg}); ; n++ {
		err := into.NextInto(fgSource, bgSource, dst)
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(dst.Plane(0), reference[n]) || dst.PTS() != int64(n) {
			t.Fatalf("frame %d differs from Next's", n)
		}
	}
	if n != fgFrames {
		t.Fatalf("%d frames", n)
	}
}

// The frame provider and the callbacks: progress for every frame, the placement logged, the
// frames of the full-size check asked for; a panic in a callback comes back as the call's error.
func TestCallbacksAndAFrameProvider(t *testing.T) {
	fg, bg := scene(t)
	a, err := NewAnalyzer(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	asked, progressed, logged := 0, 0, []string{}
	err = a.SetFrameProvider(func(s Stream, i int) *Frame {
		asked++
		if s == Fg {
			return fg[i]
		}
		return bg[i]
	})
	if err != nil {
		t.Fatal(err)
	}
	err = a.SetCallbacks(func(level int, m string) { logged = append(logged, m) }, func(f, b int) { progressed++ })
	if err != nil {
		t.Fatal(err)
	}
	pushScene(t, a, fg, bg)
	runtime.GC() // the callbacks' state lives on
	al, err := a.Finish()
	if err != nil {
		t.Fatal(err)
	}
	defer al.Close()
	if p, _ := al.Placement(); p.X != fx || p.Y != fy {
		t.Fatalf("placement %+v", p)
	}
	if progressed != fgFrames+bgFrames || asked < 3 || len(logged) == 0 {
		t.Fatalf("progress %d times, provider asked %d times, %d log lines", progressed, asked, len(logged))
	}

	broken, _ := NewAnalyzer(nil)
	defer broken.Close()
	if err := broken.SetFrameProvider(func(Stream, int) *Frame { panic("the decoder went away") }); err != nil {
		t.Fatal(err)
	}
	pushScene(t, broken, fg, bg)
	if _, err := broken.Finish(); err == nil || !strings.Contains(err.Error(), "the decoder went away") {
		t.Fatalf("a panicking provider: %v", err)
	}
	stopped, _ := NewAnalyzer(nil)
	defer stopped.Close()
	if err := stopped.SetCallbacks(nil, func(int, int) { panic("stop") }); err != nil {
		t.Fatal(err)
	}
	if err := stopped.Push(Bg, bg[0]); err == nil || !strings.Contains(err.Error(), "stop") {
		t.Fatalf("a panicking progress callback: %v", err)
	}
	if err := stopped.SetCallbacks(nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := stopped.Push(Bg, bg[1]); err != nil {
		t.Fatalf("after clearing the callbacks: %v", err)
	}
}

// A provider of fg from one keyframe (frame i costs i decodes) that says so: the check asks it
// for no fg frame but the keyframe, where without the cost it asks for others; the placement
// is the same. A panic in the cost comes back as the error of the push that ran it.
func TestAFrameProviderWithItsDecodeCost(t *testing.T) {
	fg, bg := scene(t)
	pastKeyframe := 0
	provide := func(s Stream, i int) *Frame {
		if s == Fg {
			if i > 0 {
				pastKeyframe++
			}
			return fg[i]
		}
		return bg[i]
	}
	analysed := func(cost func(Stream, int) int) Placement {
		a, err := NewAnalyzer(nil)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		if err := a.SetFrameProviderWithCost(provide, cost); err != nil {
			t.Fatal(err)
		}
		pushScene(t, a, fg, bg)
		al, err := a.Finish()
		if err != nil {
			t.Fatal(err)
		}
		defer al.Close()
		p, _ := al.Placement()
		return p
	}
	plain := analysed(nil)
	withoutCost := pastKeyframe
	pastKeyframe = 0
	told := analysed(func(s Stream, i int) int {
		if s == Fg {
			return i
		}
		return 0
	})
	if withoutCost == 0 || pastKeyframe != 0 {
		t.Fatalf("fg frames past the keyframe asked for: %d without the cost, %d with it", withoutCost, pastKeyframe)
	}
	if told.X != fx || told.Y != fy || plain.X != told.X || plain.Y != told.Y {
		t.Fatalf("placement %+v with the cost, %+v without", told, plain)
	}
	broken, _ := NewAnalyzer(nil)
	defer broken.Close()
	if err := broken.SetFrameProviderWithCost(provide, func(Stream, int) int { panic("no index") }); err != nil {
		t.Fatal(err)
	}
	if err := broken.Push(Fg, fg[0]); err == nil || !strings.Contains(err.Error(), "no index") {
		t.Fatalf("a panicking decode cost: %v", err)
	}
}

// Cancel from a progress callback stops the next Push; before Finish, Finish stops. Each is
// StatusCancelled, then the analyzer refuses more (StatusBadState).
func TestCancelStopsTheAnalyzer(t *testing.T) {
	_, bg := scene(t)
	a, err := NewAnalyzer(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.SetCallbacks(nil, func(fg, b int) {
		if b == 10 {
			a.Cancel()
		}
	}); err != nil {
		t.Fatal(err)
	}
	taken := 0
	for j := range bg {
		err = a.Push(Bg, bg[j])
		if err != nil {
			break
		}
		taken++
	}
	var e *Error
	if !errors.As(err, &e) || e.Status != StatusCancelled || taken != 10 {
		t.Fatalf("after %d frames: %v", taken, err)
	}
	if err := a.Push(Bg, bg[11]); !errors.As(err, &e) || e.Status != StatusBadState {
		t.Fatalf("a push after the cancel: %v", err)
	}
	b, _ := NewAnalyzer(nil)
	defer b.Close()
	for j := range bg {
		if err := b.Push(Bg, bg[j]); err != nil {
			t.Fatal(err)
		}
	}
	b.Cancel()
	if _, err := b.Finish(); !errors.As(err, &e) || e.Status != StatusCancelled {
		t.Fatalf("finish after a cancel: %v", err)
	}
}

// cancelling is a source that cancels its session once it has given `after` frames, as a
// host's other goroutine would.
type cancelling struct {
	frames
	after int
	live  *Live
}

func (s *cancelling) NextFrame() (*Frame, error) {
	if s.after--; s.after == 0 {
		s.live.Cancel()
	}
	return s.frames.NextFrame()
}

// Cancel stops a live session while it is fed (StatusCancelled, then StatusBadState) and a
// scout before its Finish.
func TestCancelStopsTheLiveSessionAndTheScout(t *testing.T) {
	fg, bg := scene(t)
	l, err := NewLive(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var e *Error
	bgSource := &cancelling{frames{bg}, 20, l}
	if _, _, _, err := l.Next(&frames{fg}, bgSource); !errors.As(err, &e) || e.Status != StatusCancelled {
		t.Fatalf("live after the cancel: %v", err)
	}
	if _, _, _, err := l.Next(&frames{fg}, &frames{bg}); !errors.As(err, &e) || e.Status != StatusBadState {
		t.Fatalf("live called again: %v", err)
	}
	sc, err := NewScout(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	for _, f := range fg {
		if err := sc.Push(Fg, f); err != nil {
			t.Fatal(err)
		}
	}
	sc.Cancel()
	if _, err := sc.Finish(); !errors.As(err, &e) || e.Status != StatusCancelled {
		t.Fatalf("scout finish after the cancel: %v", err)
	}
	if err := sc.Push(Fg, fg[0]); !errors.As(err, &e) || e.Status != StatusBadState {
		t.Fatalf("scout push after the cancel: %v", err)
	}
}

// Finish tells its stages in order, and a live session each start analysis, begun and ended.
func TestStagesAreToldByFinishAndTheLiveStart(t *testing.T) {
	fg, bg := scene(t)
	a, err := NewAnalyzer(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	var told []int
	if err := a.SetStageCallback(func(stage int, done float64) { told = append(told, stage*10+int(done)) }); err != nil {
		t.Fatal(err)
	}
	pushScene(t, a, fg, bg)
	al, err := a.Finish()
	if err != nil {
		t.Fatal(err)
	}
	al.Close()
	want := []int{StagePlacement * 10, StagePlacement*10 + 1, StageTimeMap * 10, StageTimeMap*10 + 1}
	if len(told) < len(want) || fmt.Sprint(told[:4]) != fmt.Sprint(want) {
		t.Fatalf("stages told: %v", told)
	}
	l, err := NewLive(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	starts := 0
	if err := l.SetStageCallback(func(stage int, done float64) {
		if stage == StageLiveStart {
			starts++
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := l.Next(&frames{fg}, &frames{bg}); err != nil {
		t.Fatal(err)
	}
	if starts < 2 || starts%2 != 0 {
		t.Fatalf("start analyses told %d times", starts)
	}
}

// Times in a timeline's time base (1/90000: a 25 fps frame is 3600 units).
func TestTimesInATimelinesTimeBase(t *testing.T) {
	_, _, al := analysedScene(t)
	defer al.Close()
	for _, i := range []int{0, 5, fgFrames - 1} {
		if got, err := al.FgIndexAt(int64(i)*3600+3599, 1, 90000); err != nil || got != i {
			t.Fatalf("FgIndexAt for frame %d: %d, %v", i, got, err)
		}
		if got, err := al.BgTime(i, 1, 90000); err != nil || got != int64(i+offset)*3600 {
			t.Fatalf("BgTime of frame %d: %d, %v", i, got, err)
		}
	}
	var e *Error
	if _, err := al.FgIndexAt(-1, 1, 90000); !errors.As(err, &e) || e.Status != StatusInvalidArgument {
		t.Fatalf("a time before fg: %v", err)
	}
}

// The media record tells the same media from changed ones (count, first picture).
func TestTheMediaRecordTellsChangedMedia(t *testing.T) {
	_, bg, al := analysedScene(t)
	defer al.Close()
	for _, c := range []struct {
		frame  *Frame
		frames int
		want   bool
	}{{bg[0], bgFrames, true}, {bg[0], bgFrames - 1, false}, {bg[40], bgFrames, false}} {
		if got, err := al.MediaMatches(Bg, c.frame, c.frames); err != nil || got != c.want {
			t.Fatalf("MediaMatches(%d frames) = %v, %v; want %v", c.frames, got, err, c.want)
		}
	}
}

// analysedScene is the scene pushed as a host would and finished: its frames and alignment.
func analysedScene(t *testing.T) ([]*Frame, []*Frame, *Alignment) {
	t.Helper()
	fg, bg := scene(t)
	a, err := NewAnalyzer(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	pushScene(t, a, fg, bg)
	al, err := a.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return fg, bg, al
}
