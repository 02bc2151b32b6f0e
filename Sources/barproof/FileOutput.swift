import Foundation

/// A file barproof could not write: exit 73 (EX_CANTCREAT), with the path and the reason.
struct OutputError: Error, CustomStringConvertible {
    var path: String
    var reason: String

    var description: String { "cannot write \(path): \(reason)" }

    init(_ path: String, errno code: Int32) {
        self.path = path
        reason = String(cString: strerror(code))
    }

    init(_ path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
}

/// Writes `data` to `path` atomically: a reader never sees half a file, and a failed or killed
/// run leaves the old file in place.
///
/// The temporary file is created with `mkstemp` (`O_CREAT | O_EXCL`, mode 0600, a random name) in
/// the target's folder, so a name planted beforehand (a symlink to a file of someone else's) is
/// never followed or truncated; it is written, fsynced, given its mode, and renamed over the
/// target (`rename(2)` replaces a symlink at `path` itself, never what it points to). An existing
/// regular file keeps its mode; a new file gets `newFileMode` as the umask allows.
func writeAtomically(_ data: Data, to path: String, newFileMode: mode_t = 0o666) throws {
    let url = URL(fileURLWithPath: path)
    let directory = url.deletingLastPathComponent().path
    do {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    } catch {
        throw OutputError(directory, reason: "cannot create the folder (\((error as NSError).localizedDescription))")
    }
    var existing = stat()
    let exists = lstat(path, &existing) == 0
    if exists, existing.st_mode & S_IFMT == S_IFDIR {
        throw OutputError(path, reason: "it is a directory")
    }
    let mode: mode_t
    if exists, existing.st_mode & S_IFMT == S_IFREG {
        mode = existing.st_mode & 0o7777
    } else {
        let mask = umask(0)
        umask(mask)
        mode = newFileMode & ~mask
    }
    var template = Array((directory + "/." + url.lastPathComponent + ".XXXXXX").utf8CString)
    let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    guard descriptor >= 0 else { throw OutputError(path, errno: errno) }
    let temporary = String(cString: template)
    var failure: Int32?
    data.withUnsafeBytes { buffer in
        var offset = 0
        while offset < buffer.count {
            let written = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                failure = errno
                return
            }
            offset += written
        }
    }
    if failure == nil, fchmod(descriptor, mode) != 0 { failure = errno }
    if failure == nil, fsync(descriptor) != 0 { failure = errno }
    close(descriptor)
    if failure == nil, rename(temporary, path) != 0 { failure = errno }
    if let failure {
        unlink(temporary)
        throw OutputError(path, errno: failure)
    }
    // The rename itself reaches the disk with the folder.
    let folder = open(directory, O_RDONLY | O_DIRECTORY)
    if folder >= 0 {
        fsync(folder)
        close(folder)
    }
}
