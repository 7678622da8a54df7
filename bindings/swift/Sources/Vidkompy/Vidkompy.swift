// Swift over the C API (CVidkompy): each handle is a class that frees it in deinit, and every
// failing call throws `VidkompyError` with the C status and the handle's own message.
//
// Not compiled in this project's CI (no Swift toolchain is packaged for its machines); CI checks
// the module map CVidkompy with clang, from C and Objective-C (bindings/swift/check).

import CVidkompy

/// A failed call: the C status (VIDKOMPY_ERROR_*) and the message of the handle it failed on.
public struct VidkompyError: Error, CustomStringConvertible {
    public let status: Int32
    public let message: String
    public var description: String { "vidkompy: \(message) (status \(status))" }
}

/// Throws when `status` is an error (negative); returns it otherwise (OK, AGAIN or EOF).
@discardableResult
func check(_ status: Int32, _ message: @autoclosure () -> UnsafePointer<CChar>?) throws -> Int32 {
    if status < 0 {
        let text = message().map { String(cString: $0) } ?? String(cString: vidkompy_status_str(status))
        throw VidkompyError(status: status, message: text)
    }
    return status
}

/// The two input streams.
public enum Stream: Int32 {
    case fg = 0
    case bg = 1
}

/// A frame the library reads: up to four planes the caller keeps alive during the call.
///
/// From a `CVPixelBuffer` (AVFoundation, VideoToolbox): lock it
/// (`CVPixelBufferLockBaseAddress(buffer, .readOnly)`), and for
/// `kCVPixelFormatType_420YpCbCr8BiPlanarVideoRange` take format
/// `VIDKOMPY_PIXEL_FORMAT_NV12 | VIDKOMPY_FRAME_RANGE_LIMITED` (`...FullRange`:
/// `VIDKOMPY_FRAME_RANGE_FULL`), planes 0 and 1 from `CVPixelBufferGetBaseAddressOfPlane` with
/// their `CVPixelBufferGetBytesPerRowOfPlane`; for `kCVPixelFormatType_32BGRA`,
/// `VIDKOMPY_PIXEL_FORMAT_BGRA` with `CVPixelBufferGetBaseAddress` and `GetBytesPerRow`. Add
/// `VIDKOMPY_FRAME_MATRIX_BT709` or `_BT601` from the buffer's
/// `kCVImageBufferYCbCrMatrixKey`. Unlock after the call that takes the frame returns.
public struct Frame {
    public var raw = VidkompyFrame()

    /// `planes` and `strides` (bytes per row; negative for bottom-up) in the format's order;
    /// `pts` in `timeBase` (numerator, denominator) units, `(0, 0)` for none.
    public init(format: Int32, width: Int32, height: Int32, planes: [UnsafePointer<UInt8>?],
                strides: [Int], pts: Int64 = 0, timeBase: (Int32, Int32) = (0, 0)) {
        raw.format = format
        raw.width = width
        raw.height = height
        let p = planes + Array(repeating: nil, count: max(0, 4 - planes.count))
        let s = strides + Array(repeating: 0, count: max(0, 4 - strides.count))
        raw.data = (p[0], p[1], p[2], p[3])
        raw.stride = (s[0], s[1], s[2], s[3])
        raw.pts = pts
        raw.time_base_num = timeBase.0
        raw.time_base_den = timeBase.1
    }
}

/// Settings by key (see vidkompy_settings_set in vidkompy.h for every key).
public final class Settings {
    var handle: OpaquePointer?

    public init() throws {
        try check(vidkompy_settings_new(&handle), vidkompy_last_error())
    }

    deinit { vidkompy_settings_free(&handle) }

    public func set(_ key: String, _ value: String) throws {
        try check(vidkompy_settings_set(handle, key, value), vidkompy_settings_last_error(handle))
    }
}

/// Where fg sits in bg.
public struct Placement {
    public let x: Int32, y: Int32, width: UInt32, height: UInt32
    public let scale: Double, confidence: Double

    init(_ p: VidkompyPlacement) {
        (x, y, width, height, scale, confidence) = (p.x, p.y, p.width, p.height, p.scale, p.confidence)
    }
}

/// Pass 1: push every frame of both streams, then `finish`.
public final class Analyzer {
    var handle: OpaquePointer?

    public init(settings: Settings? = nil) throws {
        try check(vidkompy_analyzer_new(settings?.handle, &handle), vidkompy_last_error())
    }

    deinit { vidkompy_analyzer_free(&handle) }

    public func push(_ stream: Stream, _ frame: Frame) throws {
        var raw = frame.raw
        try check(vidkompy_analyzer_push(handle, stream.rawValue, &raw), vidkompy_analyzer_last_error(handle))
    }

    public func finish() throws -> Alignment {
        var out: OpaquePointer?
        try check(vidkompy_analyzer_finish(handle, &out), vidkompy_analyzer_last_error(handle))
        return Alignment(out)
    }
}

/// The result: placement and time map; saved and loaded as JSON.
public final class Alignment {
    var handle: OpaquePointer?

    init(_ handle: OpaquePointer?) { self.handle = handle }

    deinit { vidkompy_alignment_free(&handle) }

    public convenience init(json: String) throws {
        var out: OpaquePointer?
        try check(vidkompy_alignment_from_json(json, &out), vidkompy_last_error())
        self.init(out)
    }

    public var fgFrames: Int { vidkompy_alignment_fg_frames(handle) }
    public var bgFrames: Int { vidkompy_alignment_bg_frames(handle) }

    public func placement() throws -> Placement {
        var p = VidkompyPlacement()
        try check(vidkompy_alignment_placement(handle, &p), vidkompy_last_error())
        return Placement(p)
    }

    /// The bg frame under fg frame `fg`, and whether that fg frame is outside bg.
    public func bgIndex(_ fg: Int) throws -> (index: UInt32, outside: Bool) {
        var index: UInt32 = 0
        var outside: Int32 = 0
        try check(vidkompy_alignment_bg_index(handle, fg, &index, &outside), vidkompy_last_error())
        return (index, outside != 0)
    }

    public func json() throws -> String {
        var needed = 0
        try check(vidkompy_alignment_to_json(handle, nil, 0, &needed), vidkompy_last_error())
        var buffer = [CChar](repeating: 0, count: needed)
        try check(vidkompy_alignment_to_json(handle, &buffer, needed, nil), vidkompy_last_error())
        return String(cString: buffer)
    }
}

/// Pass 2: send what `wants` names, receive composited frames (valid until the next call).
public final class Compositor {
    var handle: OpaquePointer?

    public init(_ alignment: Alignment, settings: Settings? = nil) throws {
        try check(vidkompy_compositor_new(alignment.handle, settings?.handle, &handle), vidkompy_last_error())
    }

    deinit { vidkompy_compositor_free(&handle) }

    public enum Received {
        case frame(VidkompyFrame)
        case again(Stream)
        case end
    }

    public func receive() throws -> Received {
        var out = VidkompyFrame()
        let r = try check(vidkompy_compositor_receive(handle, &out), vidkompy_compositor_last_error(handle))
        switch r {
        case VIDKOMPY_OK: return .frame(out)
        case VIDKOMPY_EOF: return .end
        default: return .again(Stream(rawValue: vidkompy_compositor_wants(handle)) ?? .bg)
        }
    }

    /// `nil` ends the stream. Returns false on AGAIN: receive, then send the same frame again.
    public func send(_ stream: Stream, _ frame: Frame?) throws -> Bool {
        var raw = frame?.raw ?? VidkompyFrame()
        let r = try withUnsafePointer(to: &raw) { p in
            try check(vidkompy_compositor_send(handle, stream.rawValue, frame == nil ? nil : p),
                      vidkompy_compositor_last_error(handle))
        }
        return r == VIDKOMPY_OK
    }

    /// The bg frame (index, pts) to seek bg back to where fg's shots go back in bg; then call
    /// `seekBg` and send bg from there.
    public func bgRewind() throws -> (index: Int, pts: Int64)? {
        var index = 0
        var pts: Int64 = 0
        let r = try check(vidkompy_compositor_bg_rewind(handle, &index, &pts), vidkompy_compositor_last_error(handle))
        return r == 1 ? (index, pts) : nil
    }

    public func seekBg(_ index: Int) throws {
        try check(vidkompy_compositor_seek_bg(handle, index), vidkompy_compositor_last_error(handle))
    }
}
