package vidkompy

/*
#include <stdint.h>
#include <stdlib.h>
#include "vidkompy.h"

extern int vidkompyGoProvide(void *user, int stream, int64_t index, VidkompyFrame *frame);
extern void vidkompyGoLog(void *user, int level, char *message);
extern void vidkompyGoProgress(void *user, size_t fg_frames, size_t bg_frames);
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

// analyzerCallbacks is what an analyzer's C callbacks reach through their user pointer: a
// cgo.Handle stored in C memory (C keeps no Go pointer), freed with the analyzer.
type analyzerCallbacks struct {
	provider func(Stream, int) *Frame
	log      func(int, string)
	progress func(int, int)
	// The frame last given to C: it must stay alive until the library has copied it.
	provided *Frame
	// A panic in a callback, recovered there (it may not unwind through C) and raised again
	// as the error of the call that ran it.
	failed error
	handle cgo.Handle
	user   unsafe.Pointer
}

func (a *Analyzer) callbacks() *analyzerCallbacks {
	if a.cb == nil {
		a.cb = &analyzerCallbacks{}
		a.cb.handle = cgo.NewHandle(a.cb)
		a.cb.user = C.malloc(C.size_t(unsafe.Sizeof(C.uintptr_t(0))))
		*(*C.uintptr_t)(a.cb.user) = C.uintptr_t(a.cb.handle)
	}
	return a.cb
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

//export vidkompyGoLog
func vidkompyGoLog(user unsafe.Pointer, level C.int, message *C.char) {
	cb := callbacksOf(user)
	defer cb.recover()
	cb.log(int(level), C.GoString(message))
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
	cb.provider = provider
	if provider == nil {
		return a.check(C.vidkompy_analyzer_set_frame_provider(a.c, nil, nil))
	}
	return a.check(C.vidkompy_analyzer_set_frame_provider(a.c, C.VidkompyFrameProvider(C.vidkompyGoProvide), cb.user))
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
