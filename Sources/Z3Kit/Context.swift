import CZ3

/// An owner of one Z3 context in reference-counted mode.
///
/// A context is not thread-safe: create one per task and never share it. The only operation
/// that may come from another thread is ``InterruptHandle/interrupt()``.
/// Every wrapper object (term, solver, model, ...) holds its context strongly, so
/// `Z3_del_context` always runs after the last `dec_ref`.
public final class Context {
    let raw: Z3_context

    /// Creates a context with model generation on and an error handler that records errors
    /// instead of calling `exit`.
    public init() {
        let cfg = Z3_mk_config()
        Z3_set_param_value(cfg, "model", "true")
        raw = Z3_mk_context_rc(cfg)
        Z3_del_config(cfg)
        // A no-op handler: Z3 records the code, the failing call returns NULL, and
        // `checkError` turns it into a thrown `Z3Error`.
        Z3_set_error_handler(raw) { _, _ in }
    }

    deinit { Z3_del_context(raw) }

    /// Throws the error recorded by the last Z3 call, if any, and clears it.
    func checkError(_ operation: @autoclosure () -> String) throws {
        let code = Z3_get_error_code(raw)
        guard code != Z3_OK else { return }
        let message = String(cString: Z3_get_error_msg(raw, code))
        Z3_set_error(raw, Z3_OK)
        throw Z3Error(code: code.rawValue, message: message, operation: operation())
    }

    /// Wraps a freshly made AST at once (in rc mode it lives only until the next API call).
    func wrap(_ ast: Z3_ast?, _ operation: @autoclosure () -> String) throws -> AST {
        guard let ast else {
            try checkError(operation())
            throw Z3Error(code: Z3_EXCEPTION.rawValue, message: "Z3 returned no term", operation: operation())
        }
        let wrapped = AST(self, ast)
        try checkError(operation())
        return wrapped
    }

    /// A handle that can interrupt a check running in this context from another task or thread.
    public var interruptHandle: InterruptHandle { InterruptHandle(self) }

    // MARK: - Version and memory

    /// The Z3 library version, read at run time with `Z3_get_full_version`.
    public static var fullVersion: String { String(cString: Z3_get_full_version()) }

    /// The Z3 library version as `major.minor.build.revision`.
    public static var version: String {
        var major: UInt32 = 0, minor: UInt32 = 0, build: UInt32 = 0, revision: UInt32 = 0
        Z3_get_version(&major, &minor, &build, &revision)
        return "\(major).\(minor).\(build).\(revision)"
    }

    /// Z3's estimate of the memory it holds, process-wide (`Z3_get_estimated_alloc_size`).
    public static var estimatedAllocSize: UInt64 { UInt64(Z3_get_estimated_alloc_size()) }

    // MARK: - Sorts

    /// The Boolean sort.
    public func boolSort() throws -> Sort {
        try Sort(self, Z3_mk_bool_sort(raw), "mk_bool_sort")
    }

    /// The bit-vector sort of `width` bits (1 ... 65535).
    public func bitVectorSort(width: Int) throws -> Sort {
        guard (1...65535).contains(width) else {
            throw Z3Error(code: Z3_INVALID_ARG.rawValue, message: "bit-vector width \(width) out of range 1...65535",
                          operation: "mk_bv_sort")
        }
        return try Sort(self, Z3_mk_bv_sort(raw, UInt32(width)), "mk_bv_sort")
    }
}

/// A reference-counted Z3 AST node.
final class AST {
    let context: Context
    let raw: Z3_ast

    init(_ context: Context, _ raw: Z3_ast) {
        self.context = context
        self.raw = raw
        Z3_inc_ref(context.raw, raw)
    }

    deinit { Z3_dec_ref(context.raw, raw) }
}

/// A Z3 sort (kept alive through its AST reference).
public final class Sort {
    let context: Context
    let raw: Z3_sort

    init(_ context: Context, _ raw: Z3_sort?, _ operation: String) throws {
        guard let raw else {
            try context.checkError(operation)
            throw Z3Error(code: Z3_EXCEPTION.rawValue, message: "Z3 returned no sort", operation: operation)
        }
        self.context = context
        self.raw = raw
        Z3_inc_ref(context.raw, Z3_sort_to_ast(context.raw, raw))
    }

    deinit { Z3_dec_ref(context.raw, Z3_sort_to_ast(context.raw, raw)) }

    /// The width of a bit-vector sort, or nil for other sorts.
    public var bitVectorWidth: Int? {
        guard Z3_get_sort_kind(context.raw, raw) == Z3_BV_SORT else { return nil }
        return Int(Z3_get_bv_sort_size(context.raw, raw))
    }
}

/// Interrupts checks running in one context; the only Z3 operation that is safe across threads.
public final class InterruptHandle: @unchecked Sendable {
    // Holding the context keeps it alive while another thread may still interrupt it.
    private let context: Context

    init(_ context: Context) { self.context = context }

    /// Asks every check running in the context to stop; they return `unknown`.
    /// The corresponding C function is `Z3_interrupt`.
    public func interrupt() { Z3_interrupt(context.raw) }
}
