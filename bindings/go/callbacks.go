package vidkompy

/*
#include <stdint.h>
#include <stdlib.h>
#include "vidkompy.h"

extern int vidkompyGoProvide(void *user, int stream, int64_t index, VidkompyFrame *frame);
extern int64_t vidkompyGoDecodeCost(void *user, int stream, int64_t index);
extern void vidkompyGoLog(void *user, int level, char *message);
extern void vidkompyGoProgress(void *user, size_t fg_frames, size_t bg_frames);
extern void vidkompyGoStage(void *user, int stage, double done);
*/
import "C"

import (
	"fmt"
	"runtime"
	"runtime/cgo"
	"unsafe"
)

// Log levels of the callback set with SetCallbacks.
const (
	LogError   = int(C.VIDKOMPY_LOG_ERROR)
	LogWarning = int(C.VIDKOMPY_LOG_WARNING)
	LogInfo    = int(C.VIDKOMPY_LOG_INFO)
)

// The stages a stage callback is told (SetStageCallback).
const (
	StagePlacement      = int(C.VIDKOMPY_STAGE_PLACEMENT)
	StageTimeMap        = int(C.VIDKOMPY_STAGE_TIME_MAP)
	StagePlacementCheck = int(C.VIDKOMPY_STAGE_PLACEMENT_CHECK)
	StageLiveStart      = int(C.VIDKOMPY_STAGE_LIVE_START)
)

// analyzerCallbacks is what a handle's C callbacks (an analyzer's, or a live session's stage
// callback) reach through their user pointer: a cgo.Handle stored in C memory (C keeps no Go
// pointer), freed with the handle.
type analyzerCallbacks struct {
	provider   func(Stream, int) *Frame
	decodeCost func(Stream, int) int
	log        func(int, string)
	progress   func(int, int)
	stage      func(int, float64)
	// The frame last given to C: it must stay alive until the library has copied it.
	provided *Frame
	// A panic in a callback, recovered there (it may not unwind through C) and raised again
	// as the error of the call that ran it.
	failed error
	handle cgo.Handle
	user   unsafe.Pointer
}

func newCallbacks() *analyzerCallbacks {
	cb := &analyzerCallbacks{}
	cb.handle = cgo.NewHandle(cb)
	cb.user = C.malloc(C.size_t(unsafe.Sizeof(C.uintptr_t(0))))
	*(*C.uintptr_t)(cb.user) = C.uintptr_t(cb.handle)
	return cb
}

func (a *Analyzer) callbacks() *analyzerCallbacks {
	if a.cb == nil {
		a.cb = newCallbacks()
	}
	return a.cb
}

// takeFailed returns (and clears) a callback's recovered panic, if any.
func (cb *analyzerCallbacks) takeFailed() error {
	if cb == nil || cb.failed == nil {
		return nil
	}
	err := cb.failed
	cb.failed = nil
	return err
}

func (cb *analyzerCallbacks) free() {
	cb.handle.Delete()
	C.free(cb.user)
}

func callbacksOf(user unsafe.Pointer) *analyzerCallbacks {
	return cgo.Handle(*(*C.uintptr_t)(user)).Value().(*analyzerCallbacks)
}

func (cb *analyzerCallbacks) recover() {
	if r := recover(); r != nil && cb.failed == nil {
		cb.failed = fmt.Errorf("vidkompy: a callback panicked: %v", r)
	}
}

//export vidkompyGoProvide
func vidkompyGoProvide(user unsafe.Pointer, stream C.int, index C.int64_t, frame *C.VidkompyFrame) (status C.int) {
	cb := callbacksOf(user)
	status = 1
	defer cb.recover()
	f := cb.provider(Stream(stream), int(index))
	if f == nil {
		return 1
	}
	cb.provided = f
	*frame = f.c
	return 0
}

//export vidkompyGoDecodeCost
func vidkompyGoDecodeCost(user unsafe.Pointer, stream C.int, index C.int64_t) (frames C.int64_t) {
	cb := callbacksOf(user)
	frames = -1
	defer cb.recover()
	return C.int64_t(cb.decodeCost(Stream(stream), int(index)))
}

//export vidkompyGoLog
func vidkompyGoLog(user unsafe.Pointer, level C.int, message *C.char) {
	cb := callbacksOf(user)
	defer cb.recover()
	cb.log(int(level), C.GoString(message))
}

//export vidkompyGoStage
func vidkompyGoStage(user unsafe.Pointer, stage C.int, done C.double) {
	cb := callbacksOf(user)
	defer cb.recover()
	cb.stage(int(stage), float64(done))
}

//export vidkompyGoProgress
func vidkompyGoProgress(user unsafe.Pointer, fg, bg C.size_t) {
	cb := callbacksOf(user)
	defer cb.recover()
	cb.progress(int(fg), int(bg))
}

// SetFrameProvider sets the function that gives frame index of a stream (0 is the first
// frame pushed of it; a Frame of the same format and size, in C memory: NewFrame or WrapC) or
// nil when it cannot. Finish calls it for a few frames to check the placement at full size,
// and for frames the analyzer kept no copy of (see the C header); without one, a placement
// found on reduced copies is approximate (PlacementApproximate). nil clears it.
func (a *Analyzer) SetFrameProvider(provider func(s Stream, index int) *Frame) error {
	defer runtime.KeepAlive(a)
	cb := a.callbacks()
	cb.provider, cb.decodeCost = provider, nil
	if provider == nil {
		return a.check(C.vidkompy_analyzer_set_frame_provider(a.c, nil, nil))
	}
	return a.check(C.vidkompy_analyzer_set_frame_provider(a.c, C.VidkompyFrameProvider(C.vidkompyGoProvide), cb.user))
}

// SetFrameProviderWithCost is SetFrameProvider with what giving each frame costs: decodeCost
// answers the frames the host decodes to give frame index of a stream again (0 for a
// keyframe; negative when unknown). The analyzer then keeps fg frames dear to give again as
// they are pushed, and the placement check takes those (see the C header's
// vidkompy_analyzer_set_frame_provider_with_cost). Set it before pushing fg. A panic in
// decodeCost counts as unknown and is returned by the call that ran it.
func (a *Analyzer) SetFrameProviderWithCost(provider func(s Stream, index int) *Frame, decodeCost func(s Stream, index int) int) error {
	defer runtime.KeepAlive(a)
	cb := a.callbacks()
	cb.provider, cb.decodeCost = provider, decodeCost
	var provide C.VidkompyFrameProvider
	var cost C.VidkompyDecodeCost
	if provider != nil {
		provide = C.VidkompyFrameProvider(C.vidkompyGoProvide)
	}
	if decodeCost != nil {
		cost = C.VidkompyDecodeCost(C.vidkompyGoDecodeCost)
	}
	return a.check(C.vidkompy_analyzer_set_frame_provider_with_cost(a.c, provide, cost, cb.user))
}

// SetCallbacks sets the log (level: LogError, LogWarning, LogInfo) and progress (fg and bg
// frames taken) callbacks; nil clears one. They run on the goroutine that calls the analyzer.
// A panic in a callback is recovered and returned as the error of the call that ran it.
func (a *Analyzer) SetCallbacks(log func(level int, message string), progress func(fg, bg int)) error {
	defer runtime.KeepAlive(a)
	cb := a.callbacks()
	cb.log, cb.progress = log, progress
	var logFn C.VidkompyLogCallback
	var progressFn C.VidkompyProgressCallback
	if log != nil {
		logFn = (C.VidkompyLogCallback)(unsafe.Pointer(C.vidkompyGoLog))
	}
	if progress != nil {
		progressFn = C.VidkompyProgressCallback(C.vidkompyGoProgress)
	}
	return a.check(C.vidkompy_analyzer_set_callbacks(a.c, logFn, progressFn, cb.user))
}

// SetStageCallback sets the function Finish tells each stage (StagePlacement, StageTimeMap,
// StagePlacementCheck) as it starts (done 0) and ends (1); nil clears it. It runs on the
// goroutine that calls Finish; a panic in it is returned as Finish's error.
func (a *Analyzer) SetStageCallback(stage func(stage int, done float64)) error {
	defer runtime.KeepAlive(a)
	cb := a.callbacks()
	cb.stage = stage
	var fn C.VidkompyStageCallback
	if stage != nil {
		fn = C.VidkompyStageCallback(C.vidkompyGoStage)
	}
	return a.check(C.vidkompy_analyzer_set_stage_callback(a.c, fn, cb.user))
}

// SetStageCallback sets the function each start analysis is told to (StageLiveStart, done 0
// before and 1 after, and the analyzer's stages inside it); nil clears it. It runs on the
// goroutine that calls Next; a panic in it is returned as Next's error.
func (l *Live) SetStageCallback(stage func(stage int, done float64)) error {
	defer runtime.KeepAlive(l)
	if l.cb == nil {
		l.cb = newCallbacks()
	}
	l.cb.stage = stage
	var fn C.VidkompyStageCallback
	if stage != nil {
		fn = C.VidkompyStageCallback(C.vidkompyGoStage)
	}
	return l.check(C.vidkompy_live_set_stage_callback(l.c, fn, l.cb.user))
}
