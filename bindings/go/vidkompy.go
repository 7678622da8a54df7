// Package vidkompy aligns a foreground video inside a background video and composites it,
// through the vidkompy C library (libvidkompy).
//
// Errors are *Error values carrying the C status and the message of the call that failed. Calls
// without a handle get their message through a VidkompyError filled inside the same C call, and
// calls on a handle from that handle, so no message depends on which OS thread a goroutine ran
// on. A handle (Analyzer, Compositor) is used by one goroutine at a time; Settings and Alignment
// may be shared, and Composite may run on many goroutines at once.
//
// Frames: the library reads frames in place when their planes are in C memory (NewFrame, WrapC).
// cgo forbids handing C a struct that points into Go memory, so FrameFromBytes copies Go slices
// into C memory once; use NewFrame and fill its planes to avoid that copy.
//
// Linking: the package finds the library through pkg-config (`#cgo pkg-config: vidkompy`).
// Installed with cargo cinstall, vidkompy.pc is on pkg-config's path (or add its folder to
// PKG_CONFIG_PATH); from the repository's build tree (cargo build --release), set
// PKG_CONFIG_PATH to bindings/go/pkgconfig, whose vidkompy.pc points at include/ and
// target/release.
package vidkompy

/*
#cgo pkg-config: vidkompy
#include <stdlib.h>
#include <string.h>
#include "vidkompy.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync/atomic"
	"unsafe"
)

// Status codes of failed calls (Error.Status).
const (
	StatusInvalidArgument = int(C.VIDKOMPY_ERROR_INVALID_ARGUMENT)
	StatusInvalidFrame    = int(C.VIDKOMPY_ERROR_INVALID_FRAME)
	StatusUnsupported     = int(C.VIDKOMPY_ERROR_UNSUPPORTED)
	StatusNoMatch         = int(C.VIDKOMPY_ERROR_NO_MATCH)
	StatusBadState        = int(C.VIDKOMPY_ERROR_BAD_STATE)
	StatusIO              = int(C.VIDKOMPY_ERROR_IO)
	StatusInvalidData     = int(C.VIDKOMPY_ERROR_INVALID_DATA)
	StatusInternal        = int(C.VIDKOMPY_ERROR_INTERNAL)
	StatusAmbiguous       = int(C.VIDKOMPY_ERROR_AMBIGUOUS)
	StatusCancelled       = int(C.VIDKOMPY_ERROR_CANCELLED)
)

// Pixel formats (see vidkompy.h); or them with the FrameRange*/FrameMatrix* bits.
const (
	Gray8   = int(C.VIDKOMPY_PIXEL_FORMAT_GRAY8)
	I420    = int(C.VIDKOMPY_PIXEL_FORMAT_I420)
	NV12    = int(C.VIDKOMPY_PIXEL_FORMAT_NV12)
	RGBA    = int(C.VIDKOMPY_PIXEL_FORMAT_RGBA)
	BGRA    = int(C.VIDKOMPY_PIXEL_FORMAT_BGRA)
	RGB24   = int(C.VIDKOMPY_PIXEL_FORMAT_RGB24)
	I420P10 = int(C.VIDKOMPY_PIXEL_FORMAT_I420P10)
	P010    = int(C.VIDKOMPY_PIXEL_FORMAT_P010)
	I422    = int(C.VIDKOMPY_PIXEL_FORMAT_I422)
	I444    = int(C.VIDKOMPY_PIXEL_FORMAT_I444)
	I422P10 = int(C.VIDKOMPY_PIXEL_FORMAT_I422P10)
	I444P10 = int(C.VIDKOMPY_PIXEL_FORMAT_I444P10)
	RGBA64  = int(C.VIDKOMPY_PIXEL_FORMAT_RGBA64)
	RGBAF16 = int(C.VIDKOMPY_PIXEL_FORMAT_RGBAF16)
	RGBAF32 = int(C.VIDKOMPY_PIXEL_FORMAT_RGBAF32)

	FrameRangeLimited = int(C.VIDKOMPY_FRAME_RANGE_LIMITED)
	FrameRangeFull    = int(C.VIDKOMPY_FRAME_RANGE_FULL)
	FrameMatrixBT601  = int(C.VIDKOMPY_FRAME_MATRIX_BT601)
	FrameMatrixBT709  = int(C.VIDKOMPY_FRAME_MATRIX_BT709)

	// What an RGBA or BGRA fg's fourth byte means (or-ed into the format, as the colour bits
	// are); without either it is not read and fg covers its rectangle.
	FrameAlphaStraight      = int(C.VIDKOMPY_FRAME_ALPHA_STRAIGHT)
	FrameAlphaPremultiplied = int(C.VIDKOMPY_FRAME_ALPHA_PREMULTIPLIED)
)

// Stream names one of the two inputs.
type Stream int

const (
	Fg = Stream(C.VIDKOMPY_STREAM_FG)
	Bg = Stream(C.VIDKOMPY_STREAM_BG)
)

// Error is a failed call: its C status (a Status* constant) and message.
type Error struct {
	Status  int
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("vidkompy: %s (status %d)", e.Message, e.Status) }

// check turns a status and the call's own VidkompyError into an error.
func check(status C.int, err *C.VidkompyError) error {
	if status >= 0 {
		return nil
	}
	return &Error{Status: int(status), Message: C.GoString(&err.message[0])}
}

// checkHandle turns a status into an error with the handle's message.
func checkHandle(status C.int, message *C.char) error {
	if status >= 0 {
		return nil
	}
	return &Error{Status: int(status), Message: C.GoString(message)}
}

// Frame is a picture handed to the library: a VidkompyFrame whose planes are in C memory. It
// holds no Go pointer (cgo checks the whole struct when C is handed a pointer into it).
type Frame struct {
	c     C.VidkompyFrame
	owned [4]unsafe.Pointer // planes NewFrame allocated in C memory
}

// planeShape gives the bytes per row and rows of plane p, or ok = false past the format's planes.
func planeShape(format, width, height, p int) (rowBytes, rows int, ok bool) {
	format &= int(C.VIDKOMPY_FRAME_FORMAT_MASK)
	cw, ch := (width+1)/2, (height+1)/2
	sample := 1
	switch format {
	case I420P10, P010, I422P10, I444P10:
		sample = 2
	}
	switch {
	case p == 0 && (format == RGBA || format == BGRA):
		return 4 * width, height, true
	case p == 0 && format == RGB24:
		return 3 * width, height, true
	case p == 0:
		return width * sample, height, true
	case p == 1 && (format == NV12 || format == P010):
		return 2 * cw * sample, ch, true
	case p <= 2 && (format == I420 || format == I420P10):
		return cw * sample, ch, true
	case p <= 2 && (format == I422 || format == I422P10):
		return cw * sample, height, true
	case p <= 2 && (format == I444 || format == I444P10):
		return width * sample, height, true
	}
	return 0, 0, false
}

// NewFrame allocates a frame's planes in C memory (tightly packed rows, black is not set).
// Fill them through Plane; free them with Free.
func NewFrame(format, width, height int) (*Frame, error) {
	if width <= 0 || height <= 0 {
		return nil, &Error{Status: StatusInvalidArgument, Message: fmt.Sprintf("frame size %dx%d", width, height)}
	}
	f := &Frame{}
	f.c.format = C.int(format)
	f.c.width = C.int(width)
	f.c.height = C.int(height)
	f.c.pts = C.int64_t(-1 << 63)
	for p := 0; p < 4; p++ {
		rowBytes, rows, ok := planeShape(format, width, height, p)
		if !ok {
			break
		}
		mem := C.calloc(C.size_t(rowBytes*rows), 1)
		if mem == nil {
			f.Free()
			return nil, &Error{Status: StatusInvalidArgument, Message: "out of memory"}
		}
		f.owned[p] = mem
		f.c.data[p] = (*C.uint8_t)(mem)
		f.c.stride[p] = C.ptrdiff_t(rowBytes)
	}
	if err := f.Validate(); err != nil {
		f.Free()
		return nil, err
	}
	runtime.SetFinalizer(f, (*Frame).Free)
	return f, nil
}

// FrameFromBytes copies planes from Go memory into a new C frame (cgo does not let C read a
// frame description that points into Go memory). planes[i] holds rows strides[i] bytes apart.
func FrameFromBytes(format, width, height int, planes [][]byte, strides []int) (*Frame, error) {
	f, err := NewFrame(format, width, height)
	if err != nil {
		return nil, err
	}
	for p := 0; f.owned[p] != nil; p++ {
		rowBytes, rows, _ := planeShape(format, width, height, p)
		if p >= len(planes) || p >= len(strides) || strides[p] < rowBytes || len(planes[p]) < (rows-1)*strides[p]+rowBytes {
			f.Free()
			return nil, &Error{Status: StatusInvalidFrame, Message: fmt.Sprintf("plane %d: %d rows of %d bytes do not fit", p, rows, rowBytes)}
		}
		dst := f.Plane(p)
		for r := 0; r < rows; r++ {
			copy(dst[r*rowBytes:(r+1)*rowBytes], planes[p][r*strides[p]:r*strides[p]+rowBytes])
		}
	}
	return f, nil
}

// WrapC describes planes already in C memory (a decoder's) without copying; the memory must stay
// valid while the frame is used.
func WrapC(format, width, height int, data [4]unsafe.Pointer, strides [4]int) *Frame {
	f := &Frame{}
	f.c.format = C.int(format)
	f.c.width = C.int(width)
	f.c.height = C.int(height)
	f.c.pts = C.int64_t(-1 << 63)
	for p := 0; p < 4; p++ {
		f.c.data[p] = (*C.uint8_t)(data[p])
		f.c.stride[p] = C.ptrdiff_t(strides[p])
	}
	return f
}

// Plane gives plane p as a byte slice over its C memory (rows Stride(p) bytes apart).
func (f *Frame) Plane(p int) []byte {
	rowBytes, rows, ok := planeShape(int(f.c.format), int(f.c.width), int(f.c.height), p)
	if !ok || f.c.data[p] == nil || f.c.stride[p] < 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(f.c.data[p])), (rows-1)*int(f.c.stride[p])+rowBytes)
}

// Stride gives the bytes between rows of plane p.
func (f *Frame) Stride(p int) int { return int(f.c.stride[p]) }

// Width, Height and Format describe the frame.
func (f *Frame) Width() int  { return int(f.c.width) }
func (f *Frame) Height() int { return int(f.c.height) }
func (f *Frame) Format() int { return int(f.c.format) }

// PTS gives the timestamp in units of the time base.
func (f *Frame) PTS() int64 { return int64(f.c.pts) }

// SetPTS sets the timestamp: pts in units of num/den seconds.
func (f *Frame) SetPTS(pts int64, num, den int) {
	defer runtime.KeepAlive(f)
	f.c.pts = C.int64_t(pts)
	f.c.time_base_num = C.int(num)
	f.c.time_base_den = C.int(den)
}

// Validate checks the frame as every push and send would.
func (f *Frame) Validate() error {
	defer runtime.KeepAlive(f)
	var e C.VidkompyError
	return check(C.vidkompy_frame_validate_ex(&f.c, &e), &e)
}

// Free releases planes NewFrame allocated (nothing for WrapC frames). Safe to call twice.
func (f *Frame) Free() {
	for p, m := range f.owned {
		if m != nil {
			C.free(m)
			f.owned[p] = nil
			f.c.data[p] = nil
		}
	}
	runtime.SetFinalizer(f, nil)
}

// Settings holds the analysis and composition settings, by key (see vidkompy.h).
type Settings struct{ c *C.VidkompySettings }

// NewSettings gives every key its default.
func NewSettings() (*Settings, error) {
	var e C.VidkompyError
	s := &Settings{}
	if err := check(C.vidkompy_settings_new_ex(&s.c, &e), &e); err != nil {
		return nil, err
	}
	runtime.SetFinalizer(s, (*Settings).Close)
	return s, nil
}

// Set sets a key from its text value.
func (s *Settings) Set(key, value string) error {
	defer runtime.KeepAlive(s)
	k, v := C.CString(key), C.CString(value)
	defer C.free(unsafe.Pointer(k))
	defer C.free(unsafe.Pointer(v))
	status := C.vidkompy_settings_set(s.c, k, v)
	return checkHandle(status, C.vidkompy_settings_last_error(s.c))
}

// Close frees the settings.
func (s *Settings) Close() {
	C.vidkompy_settings_free(&s.c)
	runtime.SetFinalizer(s, nil)
}

// settingsPtr gives the C handle; the caller keeps s alive (runtime.KeepAlive) until its C call
// returns.
func settingsPtr(s *Settings) *C.VidkompySettings {
	if s == nil {
		return nil
	}
	return s.c
}

// Placement is where fg's content sits in bg (VidkompyPlacement as Go values).
type Placement struct {
	X, Y          int     // top-left of fg's content in bg pixels
	Width, Height int     // fg's content size in bg pixels (content size times scale)
	Scale         float64 // bg pixels per fg pixel
	Confidence    float64 // the match's correlation score, 0..1
	// fg's content rectangle without black bars, in fg pixels.
	ContentX, ContentY, ContentWidth, ContentHeight int
	XSubpixel, YSubpixel                            float64 // sub-pixel estimates of X and Y
}

func placementFrom(c C.VidkompyPlacement) Placement {
	return Placement{
		X: int(c.x), Y: int(c.y), Width: int(c.width), Height: int(c.height),
		Scale: float64(c.scale), Confidence: float64(c.confidence),
		ContentX: int(c.content_x), ContentY: int(c.content_y),
		ContentWidth: int(c.content_width), ContentHeight: int(c.content_height),
		XSubpixel: float64(c.x_subpixel), YSubpixel: float64(c.y_subpixel),
	}
}

// Locate finds the placement from sample frames of each stream.
func Locate(settings *Settings, fg, bg []*Frame) (Placement, error) {
	defer runtime.KeepAlive(settings)
	defer runtime.KeepAlive(fg)
	defer runtime.KeepAlive(bg)
	if len(fg) == 0 || len(bg) == 0 {
		return Placement{}, &Error{Status: StatusInvalidArgument, Message: "locate needs frames of both streams"}
	}
	cf := make([]C.VidkompyFrame, len(fg))
	cb := make([]C.VidkompyFrame, len(bg))
	for i, f := range fg {
		cf[i] = f.c
	}
	for i, f := range bg {
		cb[i] = f.c
	}
	var e C.VidkompyError
	var p C.VidkompyPlacement
	err := check(C.vidkompy_locate_ex(settingsPtr(settings), &cf[0], C.size_t(len(cf)), &cb[0], C.size_t(len(cb)), &p, &e), &e)
	return placementFrom(p), err
}

// Analyzer is pass 1: frames of both streams in, an Alignment out.
type Analyzer struct {
	c      *C.VidkompyAnalyzer
	cb     *analyzerCallbacks // set by SetFrameProvider or SetCallbacks
	cancel *cancelFlag
}

// cancelFlag is a handle's cancel flag in C memory: the library reads it with atomic loads,
// Cancel stores into it atomically from any goroutine.
type cancelFlag struct{ mem *C.int }

func newCancelFlag() *cancelFlag {
	return &cancelFlag{(*C.int)(C.calloc(1, C.size_t(unsafe.Sizeof(C.int(0)))))}
}

func (f *cancelFlag) set() {
	if f != nil && f.mem != nil {
		atomic.StoreInt32((*int32)(unsafe.Pointer(f.mem)), 1)
	}
}

// free lets the flag go; the handle reading it is freed first.
func (f *cancelFlag) free() {
	if f != nil && f.mem != nil {
		C.free(unsafe.Pointer(f.mem))
		f.mem = nil
	}
}

// NewAnalyzer makes an analyzer (settings may be nil for defaults).
func NewAnalyzer(settings *Settings) (*Analyzer, error) {
	defer runtime.KeepAlive(settings)
	var e C.VidkompyError
	a := &Analyzer{}
	defer runtime.KeepAlive(a)
	if err := check(C.vidkompy_analyzer_new_ex(settingsPtr(settings), &a.c, &e), &e); err != nil {
		return nil, err
	}
	runtime.SetFinalizer(a, (*Analyzer).Close)
	a.cancel = newCancelFlag()
	if err := a.check(C.vidkompy_analyzer_set_cancel_flag(a.c, a.cancel.mem)); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// Cancel stops the analyzer, from any goroutine (a callback included): the running or next
// Push or Finish returns an *Error with StatusCancelled, and the analyzer is finished.
func (a *Analyzer) Cancel() {
	defer runtime.KeepAlive(a)
	a.cancel.set()
}

func (a *Analyzer) check(status C.int) error {
	defer runtime.KeepAlive(a)
	if err := a.cb.takeFailed(); err != nil {
		return err
	}
	return checkHandle(status, C.vidkompy_analyzer_last_error(a.c))
}

// Push gives the next frame of a stream; nil ends it.
func (a *Analyzer) Push(s Stream, f *Frame) error {
	defer runtime.KeepAlive(a)
	defer runtime.KeepAlive(f)
	if f == nil {
		return a.check(C.vidkompy_analyzer_push(a.c, C.int(s), nil))
	}
	return a.check(C.vidkompy_analyzer_push(a.c, C.int(s), &f.c))
}

// Finish computes the alignment; an *Error with StatusNoMatch when fg is not in bg. When its
// placement could not be checked on full-size frames (no frame provider, and none of the
// frames the analyzer keeps was matched: the C call answered VIDKOMPY_APPROXIMATE), the
// alignment's PlacementApproximate() is true.
func (a *Analyzer) Finish() (*Alignment, error) {
	defer runtime.KeepAlive(a)
	al := &Alignment{}
	err := a.check(C.vidkompy_analyzer_finish(a.c, &al.c))
	if a.cb != nil {
		a.cb.provided = nil // copied by the library
	}
	if err != nil {
		C.vidkompy_alignment_free(&al.c) // made when only a callback failed
		return nil, err
	}
	runtime.SetFinalizer(al, (*Alignment).Close)
	return al, nil
}

// Close frees the analyzer.
func (a *Analyzer) Close() {
	C.vidkompy_analyzer_free(&a.c)
	a.cancel.free()
	if a.cb != nil {
		a.cb.free()
		a.cb = nil
	}
	runtime.SetFinalizer(a, nil)
}

// Alignment is the result of analysis. Immutable: share it freely.
type Alignment struct{ c *C.VidkompyAlignment }

// AlignmentFromJSON reads a saved alignment.
func AlignmentFromJSON(text string) (*Alignment, error) {
	t := C.CString(text)
	defer C.free(unsafe.Pointer(t))
	var e C.VidkompyError
	al := &Alignment{}
	if err := check(C.vidkompy_alignment_from_json_ex(t, &al.c, &e), &e); err != nil {
		return nil, err
	}
	runtime.SetFinalizer(al, (*Alignment).Close)
	return al, nil
}

// JSON gives the alignment in its saved form.
func (al *Alignment) JSON() (string, error) {
	defer runtime.KeepAlive(al)
	var needed C.size_t
	C.vidkompy_alignment_to_json(al.c, nil, 0, &needed)
	buf := C.malloc(needed)
	defer C.free(buf)
	var e C.VidkompyError
	if err := check(C.vidkompy_alignment_to_json_ex(al.c, (*C.char)(buf), needed, &needed, &e), &e); err != nil {
		return "", err
	}
	return C.GoString((*C.char)(buf)), nil
}

// Placement gives where fg sits in bg.
func (al *Alignment) Placement() (Placement, error) {
	defer runtime.KeepAlive(al)
	var p C.VidkompyPlacement
	var e C.VidkompyError
	err := check(C.vidkompy_alignment_placement_ex(al.c, &p, &e), &e)
	return placementFrom(p), err
}

// OffsetSeconds gives bg's time at fg's first frame (seconds).
func (al *Alignment) OffsetSeconds() float64 {
	defer runtime.KeepAlive(al)
	return float64(C.vidkompy_alignment_offset_seconds(al.c))
}

// FgFrames gives the number of fg frames.
func (al *Alignment) FgFrames() int {
	defer runtime.KeepAlive(al)
	return int(C.vidkompy_alignment_fg_frames(al.c))
}

// BgFrames gives the number of bg frames analysed.
func (al *Alignment) BgFrames() int {
	defer runtime.KeepAlive(al)
	return int(C.vidkompy_alignment_bg_frames(al.c))
}

// Confidence gives the time map's overall confidence (0..1).
func (al *Alignment) Confidence() float64 {
	defer runtime.KeepAlive(al)
	return float64(C.vidkompy_alignment_confidence(al.c))
}

// PlacementConfidence gives the placement's calibrated confidence (0..1).
func (al *Alignment) PlacementConfidence() float64 {
	defer runtime.KeepAlive(al)
	return float64(C.vidkompy_alignment_placement_confidence(al.c))
}

// Rate gives bg frames per fg frame.
func (al *Alignment) Rate() float64 {
	defer runtime.KeepAlive(al)
	return float64(C.vidkompy_alignment_rate(al.c))
}

// FrameConfidence gives the time map's confidence for fg frame i (0 when outside bg).
func (al *Alignment) FrameConfidence(i int) (float64, error) {
	defer runtime.KeepAlive(al)
	if i < 0 {
		return 0, &Error{Status: StatusInvalidArgument, Message: "a negative fg frame index"}
	}
	var c C.double
	var e C.VidkompyError
	err := check(C.vidkompy_alignment_frame_confidence(al.c, C.size_t(i), &c, &e), &e)
	return float64(c), err
}

// BgIndex gives the bg frame under fg frame i.
func (al *Alignment) BgIndex(i int) (int, error) {
	defer runtime.KeepAlive(al)
	var j C.uint32_t
	var e C.VidkompyError
	err := check(C.vidkompy_alignment_bg_index_ex(al.c, C.size_t(i), &j, nil, &e), &e)
	return int(j), err
}

// Close frees the alignment.
func (al *Alignment) Close() {
	C.vidkompy_alignment_free(&al.c)
	runtime.SetFinalizer(al, nil)
}

// PlacementApproximate tells whether the placement was found on reduced copies and never
// checked on full-size frames (no frame provider): it can be a pixel or more off.
func (al *Alignment) PlacementApproximate() (bool, error) {
	defer runtime.KeepAlive(al)
	var out C.int
	var e C.VidkompyError
	err := check(C.vidkompy_alignment_placement_approximate(al.c, &out, &e), &e)
	return out != 0, err
}

// CheckWindow tells whether an alignment made from a window of bg alone (bg frames numbered
// from the window's first) saw all of fg: nil when it did; an *Error with StatusNoMatch saying
// why when fg's match reaches an end the window cut (bgBefore / bgAfter: bg has frames before /
// after the window), a run of fg matched nothing, or a frame matched only by chance. Then
// analyse fg against the whole of bg. Never keep a window's alignment without it.
func (al *Alignment) CheckWindow(bgBefore, bgAfter bool) error {
	defer runtime.KeepAlive(al)
	var e C.VidkompyError
	return check(C.vidkompy_alignment_check_window(al.c, cBool(bgBefore), cBool(bgAfter), &e), &e)
}

func cBool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// Scout says where in a long bg fg can lie, for a host that can seek: push every fg frame (or
// an even sample) and a sparse sample of bg (its keyframes, say), each with its pts, then
// Finish. A live source needs no scout.
type Scout struct {
	c      *C.VidkompyScout
	cancel *cancelFlag
}

// ScoutSpan is a stretch of bg (seconds of bg's timestamps) that can hold fg, and its evidence.
type ScoutSpan struct {
	StartSeconds, EndSeconds float64
	Hits                     int
	BestScore                float64
}

// ScoutResult is what Finish found. Found: Spans (most hits first), Window (the stretch to
// decode densely: from the keyframe at or before its start to its end) and Placement (as
// precise as the scout's small copies). Not found: Unsure when a sample came near fg but
// none clearly showed it (analyse all of bg densely), else sample bg at least every
// EverySeconds and scout again.
type ScoutResult struct {
	Found             bool
	Unsure            bool
	Spans             []ScoutSpan
	Window            ScoutSpan
	Placement         Placement
	EverySeconds      float64
	BgSamples         int
	FgFrames          int
	LargestGapSeconds float64
	BestScore         float64
}

// NewScout makes a scout (settings may be nil for defaults).
func NewScout(settings *Settings) (*Scout, error) {
	defer runtime.KeepAlive(settings)
	var e C.VidkompyError
	s := &Scout{}
	defer runtime.KeepAlive(s)
	if err := check(C.vidkompy_scout_new_ex(settingsPtr(settings), &s.c, &e), &e); err != nil {
		return nil, err
	}
	runtime.SetFinalizer(s, (*Scout).Close)
	s.cancel = newCancelFlag()
	if err := s.check(C.vidkompy_scout_set_cancel_flag(s.c, s.cancel.mem)); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Cancel stops the scout, from any goroutine: the running or next Push or Finish returns an
// *Error with StatusCancelled, and the scout is finished.
func (s *Scout) Cancel() {
	defer runtime.KeepAlive(s)
	s.cancel.set()
}

func (s *Scout) check(status C.int) error {
	defer runtime.KeepAlive(s)
	return checkHandle(status, C.vidkompy_scout_last_error(s.c))
}

// Push gives the next fg frame or bg sample, later than that stream's last.
func (s *Scout) Push(stream Stream, f *Frame) error {
	defer runtime.KeepAlive(s)
	defer runtime.KeepAlive(f)
	if f == nil {
		return &Error{Status: StatusInvalidArgument, Message: "the scout takes frames, not an end of stream"}
	}
	return s.check(C.vidkompy_scout_send(s.c, C.int(stream), &f.c))
}

// SetBgExtent tells bg's first frame's time and the time just past its last, when known.
func (s *Scout) SetBgExtent(startSeconds, endSeconds float64) error {
	defer runtime.KeepAlive(s)
	return s.check(C.vidkompy_scout_set_bg_extent(s.c, C.double(startSeconds), C.double(endSeconds)))
}

// Finish answers where fg can lie; an *Error with StatusNoMatch when the samples are dense
// enough and none shows fg.
func (s *Scout) Finish() (ScoutResult, error) {
	defer runtime.KeepAlive(s)
	var r C.VidkompyScoutResult
	if err := s.check(C.vidkompy_scout_finish(s.c, &r)); err != nil {
		return ScoutResult{}, err
	}
	out := ScoutResult{
		Found:             r.answer == C.VIDKOMPY_SCOUT_FOUND,
		Unsure:            r.answer == C.VIDKOMPY_SCOUT_UNSURE,
		EverySeconds:      float64(r.every_seconds),
		BgSamples:         int(r.bg_samples),
		FgFrames:          int(r.fg_frames),
		LargestGapSeconds: float64(r.largest_gap_seconds),
		BestScore:         float64(r.best_score),
	}
	if !out.Found {
		return out, nil
	}
	out.Placement = placementFrom(r.placement)
	span := func(c C.VidkompyScoutSpan) ScoutSpan {
		return ScoutSpan{float64(c.start_seconds), float64(c.end_seconds), int(c.hits), float64(c.best_score)}
	}
	for k := 0; k < int(r.span_count); k++ {
		var c C.VidkompyScoutSpan
		if err := s.check(C.vidkompy_scout_span(s.c, C.size_t(k), &c)); err != nil {
			return ScoutResult{}, err
		}
		out.Spans = append(out.Spans, span(c))
	}
	var w C.VidkompyScoutSpan
	if err := s.check(C.vidkompy_scout_window(s.c, &w)); err != nil {
		return ScoutResult{}, err
	}
	out.Window = span(w)
	return out, nil
}

// Close frees the scout.
func (s *Scout) Close() {
	C.vidkompy_scout_free(&s.c)
	s.cancel.free()
	runtime.SetFinalizer(s, nil)
}

// Composite renders fg frame i onto its bg frame (BgIndex(i)) into dst, which has bg's format
// and size. No state: any order, any number of goroutines.
func Composite(al *Alignment, settings *Settings, i int, fg, bg, dst *Frame) error {
	defer runtime.KeepAlive(al)
	defer runtime.KeepAlive(settings)
	defer runtime.KeepAlive(fg)
	defer runtime.KeepAlive(bg)
	defer runtime.KeepAlive(dst)
	var e C.VidkompyError
	return check(C.vidkompy_composite(al.c, settingsPtr(settings), C.size_t(i), &fg.c, &bg.c, &dst.c, &e), &e)
}

// Source gives the frames of one stream in order; io.EOF ends it.
type Source interface {
	NextFrame() (*Frame, error)
}

// Seeker is a Source that can go back: where fg's shots go back in bg (an edit to earlier
// footage), Next restarts the bg source at bg frame index (0 is its first frame). With a bg
// Source that is not a Seeker, Next returns BAD_STATE there instead of compositing over a
// wrong background.
type Seeker interface {
	Source
	SeekFrame(index int) error
}

// Compositor is pass 2: Next pulls what it needs from the two sources and returns composited
// frames in order, then io.EOF.
type Compositor struct {
	c   *C.VidkompyCompositor
	out Frame
	// A frame send answered AGAIN to (it follows one the decoder lost): sent again after the
	// frame composited over a stand-in is returned.
	pending       *Frame
	pendingStream Stream
	pendingEnd    bool
}

func (c *Compositor) send(stream Stream, f *Frame, end bool) (C.int, error) {
	defer runtime.KeepAlive(c)
	defer runtime.KeepAlive(f)
	var sent C.int
	if end {
		sent = C.vidkompy_compositor_send(c.c, C.int(stream), nil)
	} else {
		sent = C.vidkompy_compositor_send(c.c, C.int(stream), &f.c)
	}
	return sent, c.check(sent)
}

// NewCompositor makes a compositor for an alignment (settings may be nil).
func NewCompositor(al *Alignment, settings *Settings) (*Compositor, error) {
	defer runtime.KeepAlive(al)
	defer runtime.KeepAlive(settings)
	var e C.VidkompyError
	c := &Compositor{}
	if err := check(C.vidkompy_compositor_new_ex(al.c, settingsPtr(settings), &c.c, &e), &e); err != nil {
		return nil, err
	}
	runtime.SetFinalizer(c, (*Compositor).Close)
	return c, nil
}

func (c *Compositor) check(status C.int) error {
	defer runtime.KeepAlive(c)
	return checkHandle(status, C.vidkompy_compositor_last_error(c.c))
}

// Next gives the next composited frame (library memory, valid until the next call), or io.EOF
// after the last fg frame.
func (c *Compositor) Next(fg, bg Source) (*Frame, error) {
	defer runtime.KeepAlive(c)
	if err := c.next(fg, bg, func() C.int { return C.vidkompy_compositor_receive(c.c, &c.out.c) }); err != nil {
		return nil, err
	}
	return &c.out, nil
}

// NextInto composites the next frame straight into dst (zero copy: a frame of bg's format and
// size, from NewFrame or WrapC, whose planes it writes; its pts becomes the fg frame's), or
// answers io.EOF after the last fg frame.
func (c *Compositor) NextInto(fg, bg Source, dst *Frame) error {
	defer runtime.KeepAlive(c)
	defer runtime.KeepAlive(dst)
	if dst == nil {
		return &Error{Status: StatusInvalidArgument, Message: "NextInto needs a frame to write into"}
	}
	return c.next(fg, bg, func() C.int { return C.vidkompy_compositor_receive_into(c.c, &dst.c) })
}

// next sends what the compositor asks for until receive gives a frame (nil) or the end (io.EOF).
func (c *Compositor) next(fg, bg Source, receive func() C.int) error {
	defer runtime.KeepAlive(c)
	if c.pending != nil || c.pendingEnd {
		sent, err := c.send(c.pendingStream, c.pending, c.pendingEnd)
		if err != nil {
			return err
		}
		if sent != C.VIDKOMPY_AGAIN {
			c.pending, c.pendingEnd = nil, false
		}
	}
	for {
		status := receive()
		switch {
		case status == C.VIDKOMPY_OK:
			return nil
		case status == C.VIDKOMPY_EOF:
			return io.EOF
		case status != C.VIDKOMPY_AGAIN:
			return c.check(status)
		}
		stream := Stream(C.vidkompy_compositor_wants(c.c))
		if stream != Fg && stream != Bg {
			return &Error{Status: StatusInternal, Message: "the compositor answered AGAIN without naming a stream"}
		}
		source := fg
		if stream == Bg {
			source = bg
			if err := c.rewind(bg); err != nil {
				return err
			}
		}
		f, err := source.NextFrame()
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		end := f == nil || err != nil
		sent, err := c.send(stream, f, end)
		if err != nil {
			return err
		}
		if sent == C.VIDKOMPY_AGAIN {
			c.pending, c.pendingStream, c.pendingEnd = f, stream, end
			if end {
				c.pending = nil
			}
		}
	}
}

// rewind restarts a Seeker bg source where the compositor needs a bg frame it has passed.
func (c *Compositor) rewind(bg Source) error {
	defer runtime.KeepAlive(c)
	var index C.size_t
	var pts C.int64_t
	r := C.vidkompy_compositor_bg_rewind(c.c, &index, &pts)
	if r < 0 {
		return c.check(r)
	}
	s, ok := bg.(Seeker)
	if r != 1 || !ok {
		return nil
	}
	if err := s.SeekFrame(int(index)); err != nil {
		return err
	}
	return c.check(C.vidkompy_compositor_seek_bg(c.c, index))
}

// Close frees the compositor.
func (c *Compositor) Close() {
	C.vidkompy_compositor_free(&c.c)
	runtime.SetFinalizer(c, nil)
}

// Live is the live session (one pass): Next pulls what it asks for from the two sources and
// returns each fg frame composited onto its bg frame, `live_lag` fg frames after it went in,
// then io.EOF. NO_MATCH when fg's start is not found within its window of bg.
type Live struct {
	c      *C.VidkompyLive
	cancel *cancelFlag
	cb     *analyzerCallbacks // set by SetStageCallback
	out    Frame
	// Frames send answered AGAIN to, per stream, sent again when that stream is asked for.
	waiting    [2]*Frame
	waitingEnd [2]bool
	hasWaiting [2]bool
}

// NewLive makes a live session (settings may be nil).
func NewLive(settings *Settings) (*Live, error) {
	defer runtime.KeepAlive(settings)
	var e C.VidkompyError
	l := &Live{}
	defer runtime.KeepAlive(l)
	if err := check(C.vidkompy_live_new_ex(settingsPtr(settings), &l.c, &e), &e); err != nil {
		return nil, err
	}
	runtime.SetFinalizer(l, (*Live).Close)
	l.cancel = newCancelFlag()
	if err := l.check(C.vidkompy_live_set_cancel_flag(l.c, l.cancel.mem)); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// Cancel stops the session, from any goroutine: the running or next Next returns an *Error
// with StatusCancelled (a start search under way stops promptly), and the session is finished.
func (l *Live) Cancel() {
	defer runtime.KeepAlive(l)
	l.cancel.set()
}

func (l *Live) check(status C.int) error {
	defer runtime.KeepAlive(l)
	if err := l.cb.takeFailed(); err != nil {
		return err
	}
	return checkHandle(status, C.vidkompy_live_last_error(l.c))
}

// Next gives the next composited frame (library memory, valid until the next call) with the
// fg and bg frame indices behind it, or io.EOF after the last fg frame.
func (l *Live) Next(fg, bg Source) (*Frame, int, int, error) {
	defer runtime.KeepAlive(l)
	fi, bi, err := l.next(fg, bg, func() C.int { return C.vidkompy_live_receive(l.c, &l.out.c) })
	if err != nil {
		return nil, 0, 0, err
	}
	return &l.out, fi, bi, nil
}

// NextInto composites the next frame straight into dst (zero copy: a frame of bg's format and
// size, from NewFrame or WrapC, whose planes it writes; its pts becomes the fg frame's), with
// the fg and bg frame indices behind it, or io.EOF after the last fg frame.
func (l *Live) NextInto(fg, bg Source, dst *Frame) (int, int, error) {
	defer runtime.KeepAlive(l)
	defer runtime.KeepAlive(dst)
	if dst == nil {
		return 0, 0, &Error{Status: StatusInvalidArgument, Message: "NextInto needs a frame to write into"}
	}
	return l.next(fg, bg, func() C.int { return C.vidkompy_live_receive_into(l.c, &dst.c) })
}

// next sends what the session asks for until receive writes a frame (its fg and bg indices)
// or the end (io.EOF).
func (l *Live) next(fg, bg Source, receive func() C.int) (int, int, error) {
	defer runtime.KeepAlive(l)
	for {
		status := receive()
		switch {
		case status == C.VIDKOMPY_OK:
			var fi, bi C.int64_t
			if err := l.check(C.vidkompy_live_last_frame(l.c, &fi, &bi, nil)); err != nil {
				return 0, 0, err
			}
			return int(fi), int(bi), nil
		case status == C.VIDKOMPY_EOF:
			return 0, 0, io.EOF
		case status != C.VIDKOMPY_AGAIN:
			return 0, 0, l.check(status)
		}
		stream := Stream(C.vidkompy_live_wants(l.c))
		if stream != Fg && stream != Bg {
			return 0, 0, &Error{Status: StatusInternal, Message: "the live session answered AGAIN without naming a stream"}
		}
		var f *Frame
		var end bool
		if l.hasWaiting[stream] {
			f, end, l.hasWaiting[stream] = l.waiting[stream], l.waitingEnd[stream], false
		} else {
			source := fg
			if stream == Bg {
				source = bg
			}
			var err error
			f, err = source.NextFrame()
			if err != nil && !errors.Is(err, io.EOF) {
				return 0, 0, err
			}
			end = f == nil || err != nil
		}
		var sent C.int
		if end {
			sent = C.vidkompy_live_send(l.c, C.int(stream), nil)
		} else {
			sent = C.vidkompy_live_send(l.c, C.int(stream), &f.c)
		}
		if err := l.check(sent); err != nil {
			return 0, 0, err
		}
		if sent == C.VIDKOMPY_AGAIN {
			l.waiting[stream], l.waitingEnd[stream], l.hasWaiting[stream] = f, end, true
		}
	}
}

// OffsetSeconds gives bg's time at fg's first frame (seconds) once the session has locked;
// ok is false before.
func (l *Live) OffsetSeconds() (seconds float64, ok bool, err error) {
	defer runtime.KeepAlive(l)
	var c C.double
	status := C.vidkompy_live_offset_seconds(l.c, &c)
	if status == C.VIDKOMPY_AGAIN {
		return 0, false, nil
	}
	if err := l.check(status); err != nil {
		return 0, false, err
	}
	return float64(c), true, nil
}

// Placement gives the placement found (or set) once the session has locked; ok is false
// before.
func (l *Live) Placement() (p Placement, ok bool, err error) {
	defer runtime.KeepAlive(l)
	var c C.VidkompyPlacement
	status := C.vidkompy_live_placement(l.c, &c)
	if status == C.VIDKOMPY_AGAIN {
		return Placement{}, false, nil
	}
	if err := l.check(status); err != nil {
		return Placement{}, false, err
	}
	return placementFrom(c), true, nil
}

// HeldBytes gives the bytes of frames the session holds now.
func (l *Live) HeldBytes() int {
	defer runtime.KeepAlive(l)
	return int(C.vidkompy_live_held_bytes(l.c))
}

// Close frees the session.
func (l *Live) Close() {
	C.vidkompy_live_free(&l.c)
	l.cancel.free()
	if l.cb != nil {
		l.cb.free()
		l.cb = nil
	}
	runtime.SetFinalizer(l, nil)
}

// StatusString describes a status code (the C library's own words).
func StatusString(status int) string {
	return C.GoString(C.vidkompy_status_str(C.int(status)))
}

// Version gives the run-time library version, (MAJOR << 16) | (MINOR << 8) | PATCH, and as text.
func Version() (int, string) {
	return int(C.vidkompy_version()), C.GoString(C.vidkompy_version_string())
}

func placementToC(p Placement) C.VidkompyPlacement {
	return C.VidkompyPlacement{
		x: C.int32_t(p.X), y: C.int32_t(p.Y), width: C.uint32_t(p.Width), height: C.uint32_t(p.Height),
		scale: C.double(p.Scale), confidence: C.double(p.Confidence),
		content_x: C.uint32_t(p.ContentX), content_y: C.uint32_t(p.ContentY),
		content_width: C.uint32_t(p.ContentWidth), content_height: C.uint32_t(p.ContentHeight),
		x_subpixel: C.double(p.XSubpixel), y_subpixel: C.double(p.YSubpixel),
	}
}

// SetPlacement gives the analyzer the placement instead of searching for it (before the
// first frame): X, Y, Scale and the content rectangle are used.
func (a *Analyzer) SetPlacement(p Placement) error {
	defer runtime.KeepAlive(a)
	c := placementToC(p)
	return a.check(C.vidkompy_analyzer_set_placement(a.c, &c))
}

// AddSample gives the analyzer a sample frame of a stream to locate fg from (before pushing).
func (a *Analyzer) AddSample(s Stream, f *Frame) error {
	defer runtime.KeepAlive(a)
	defer runtime.KeepAlive(f)
	return a.check(C.vidkompy_analyzer_add_sample(a.c, C.int(s), &f.c))
}

// StreamInfo is what an alignment records of one stream.
type StreamInfo struct {
	Format, Width, Height int
	Frames                int
	StartSeconds          float64 // time of the first frame
	FrameRate             float64 // mean frames per second (0 for one frame)
	ConstantRate          bool
	TimeBaseNum           int // the time base of the stream's timestamps (0/0: none)
	TimeBaseDen           int
}

// StreamInfo gives what the alignment records of a stream (bg's gives the composite's size).
func (al *Alignment) StreamInfo(s Stream) (StreamInfo, error) {
	defer runtime.KeepAlive(al)
	var c C.VidkompyStreamInfo
	var e C.VidkompyError
	if err := check(C.vidkompy_alignment_stream_info(al.c, C.int(s), &c, &e), &e); err != nil {
		return StreamInfo{}, err
	}
	return StreamInfo{
		Format: int(c.format), Width: int(c.width), Height: int(c.height), Frames: int(c.frames),
		StartSeconds: float64(c.start_seconds), FrameRate: float64(c.frame_rate), ConstantRate: c.constant_rate != 0,
		TimeBaseNum: int(c.time_base_num), TimeBaseDen: int(c.time_base_den),
	}, nil
}

// BgPTS gives the nominal pts of the bg frame under fg frame i, in bg's time base num/den.
func (al *Alignment) BgPTS(i int) (pts int64, num, den int, err error) {
	defer runtime.KeepAlive(al)
	if i < 0 {
		return 0, 0, 0, &Error{Status: StatusInvalidArgument, Message: "a negative fg frame index"}
	}
	var p C.int64_t
	var n, d C.int
	var e C.VidkompyError
	err = check(C.vidkompy_alignment_bg_pts(al.c, C.size_t(i), &p, &n, &d, &e), &e)
	return int64(p), int(n), int(d), err
}

// MediaMatches says whether a medium (its first frame as decoded, its frame count) is still the
// one the alignment's record of stream s describes: same size and count, and the first frame's
// print the same picture's (a project reopened after its files may have changed).
func (al *Alignment) MediaMatches(s Stream, firstFrame *Frame, frames int) (bool, error) {
	defer runtime.KeepAlive(al)
	defer runtime.KeepAlive(firstFrame)
	if frames < 0 {
		return false, &Error{Status: StatusInvalidArgument, Message: "a negative frame count"}
	}
	var m C.int
	var e C.VidkompyError
	err := check(C.vidkompy_alignment_media_matches(al.c, C.int(s), &firstFrame.c, C.size_t(frames), &m, &e), &e)
	return m != 0, err
}

// FgIndexAt gives the fg frame showing at time, in units of num/den seconds (a timeline's time
// base, 1/90000 say) on fg's clock.
func (al *Alignment) FgIndexAt(time int64, num, den int) (int, error) {
	defer runtime.KeepAlive(al)
	var i C.size_t
	var e C.VidkompyError
	err := check(C.vidkompy_alignment_fg_index_at(al.c, C.int64_t(time), C.int(num), C.int(den), &i, &e), &e)
	return int(i), err
}

// BgTime gives the nominal time of the bg frame under fg frame i, in units of num/den seconds.
func (al *Alignment) BgTime(i, num, den int) (int64, error) {
	defer runtime.KeepAlive(al)
	if i < 0 {
		return 0, &Error{Status: StatusInvalidArgument, Message: "a negative fg frame index"}
	}
	var t C.int64_t
	var e C.VidkompyError
	err := check(C.vidkompy_alignment_bg_time(al.c, C.size_t(i), C.int(num), C.int(den), &t, &e), &e)
	return int64(t), err
}

// OutsideFrames lists the fg frames that have no counterpart in bg, in increasing order.
func (al *Alignment) OutsideFrames() ([]int, error) {
	defer runtime.KeepAlive(al)
	var count C.size_t
	var e C.VidkompyError
	if err := check(C.vidkompy_alignment_outside_frames(al.c, nil, 0, &count, &e), &e); err != nil {
		return nil, err
	}
	if count == 0 {
		return []int{}, nil
	}
	indices := make([]C.uint32_t, int(count))
	if err := check(C.vidkompy_alignment_outside_frames(al.c, &indices[0], count, &count, &e), &e); err != nil {
		return nil, err
	}
	out := make([]int, int(count))
	for k := range out {
		out[k] = int(indices[k])
	}
	return out, nil
}

// WithPlacement makes a new alignment equal to this one with placement p (a correction by
// hand), checked as a saved alignment is.
func (al *Alignment) WithPlacement(p Placement) (*Alignment, error) {
	defer runtime.KeepAlive(al)
	c := placementToC(p)
	var e C.VidkompyError
	out := &Alignment{}
	if err := check(C.vidkompy_alignment_with_placement(al.c, &c, &out.c, &e), &e); err != nil {
		return nil, err
	}
	runtime.SetFinalizer(out, (*Alignment).Close)
	return out, nil
}

// FirstBg gives the first bg frame the compositor needs (index and pts), for a host that
// seeks bg there before sending.
func (c *Compositor) FirstBg() (index int, pts int64, err error) {
	defer runtime.KeepAlive(c)
	var i C.size_t
	var p C.int64_t
	err = c.check(C.vidkompy_compositor_first_bg(c.c, &i, &p))
	return int(i), int64(p), err
}

// StartBgAt tells the compositor that bg's first frame sent will be frame index (a host that
// sought bg without pts to go by).
func (c *Compositor) StartBgAt(index int) error {
	defer runtime.KeepAlive(c)
	if index < 0 {
		return &Error{Status: StatusInvalidArgument, Message: "a negative bg frame index"}
	}
	return c.check(C.vidkompy_compositor_start_bg_at(c.c, C.size_t(index)))
}

// PassStats counts what pass 2 met: frames a decoder dropped or repeated, and the bg frames
// stood in for missing ones.
type PassStats struct {
	FgMissing, FgRepeated, BgMissing, BgRepeated, BgStandIns int
}

// Stats gives the compositor's counts so far.
func (c *Compositor) Stats() (PassStats, error) {
	defer runtime.KeepAlive(c)
	var s C.VidkompyPassStats
	if err := c.check(C.vidkompy_compositor_stats(c.c, &s)); err != nil {
		return PassStats{}, err
	}
	return PassStats{
		FgMissing: int(s.fg_missing), FgRepeated: int(s.fg_repeated), BgMissing: int(s.bg_missing),
		BgRepeated: int(s.bg_repeated), BgStandIns: int(s.bg_stand_ins),
	}, nil
}

// SetPlacement gives the live session the placement instead of searching for it (before the
// first frame).
func (l *Live) SetPlacement(p Placement) error {
	defer runtime.KeepAlive(l)
	c := placementToC(p)
	return l.check(C.vidkompy_live_set_placement(l.c, &c))
}

// SetScouted tells the live session that the host scouted bg (Scout) and sends it from the
// keyframe before the span where fg was found: the first window goes straight to the start
// analysis (before the first frame).
func (l *Live) SetScouted(scouted bool) error {
	defer runtime.KeepAlive(l)
	flag := C.int(0)
	if scouted {
		flag = 1
	}
	return l.check(C.vidkompy_live_set_scouted(l.c, flag))
}
