import CZ3
import Synchronization

/// The answer of one satisfiability check.
public enum CheckResult {
    /// Satisfiable, with a model (model completion on).
    case sat(Model)
    /// Unsatisfiable. After a check under named assumptions, the names in the unsat core.
    case unsat(core: [String])
    /// Z3 gave up: timeout, interruption, incompleteness. Never a pass.
    case unknown(reason: String)
}

/// A named formula to check under: its name comes back in the unsat core when it is needed.
public struct NamedAssumption {
    public let name: String
    public let formula: BoolTerm
    public init(_ name: String, _ formula: BoolTerm) {
        self.name = name
        self.formula = formula
    }
}

/// An incremental Z3 solver (`Z3_mk_solver`, or one for a logic).
public final class Solver {
    public let context: Context
    let raw: Z3_solver
    private var seed: UInt32?
    private var isTacticSolver = false
    private var tracksCores = true
    /// A failure to apply the parameters above, thrown by the next check (setters cannot throw).
    private var parameterError: Z3Error?

    /// Creates a solver; with `logic` (such as `"QF_BV"`) one specialised to it.
    public init(_ context: Context, logic: String? = nil) throws {
        self.context = context
        let made: Z3_solver?
        if let logic {
            made = Z3_mk_solver_for_logic(context.raw, Z3_mk_string_symbol(context.raw, logic))
        } else {
            made = Z3_mk_solver(context.raw)
        }
        guard let made else {
            try context.checkError("mk_solver")
            throw Z3Error(code: Z3_EXCEPTION.rawValue, message: "Z3 returned no solver", operation: "mk_solver")
        }
        raw = made
        Z3_solver_inc_ref(context.raw, raw)
        try context.checkError("mk_solver")
        applyParams()
    }

    /// Creates a solver that runs a tactic pipeline on every check (`Z3_mk_solver_from_tactic`),
    /// such as `qfbv`, or several tactics run in sequence (`Z3_tactic_and_then`). It re-solves from
    /// scratch each time (push/pop only keep the assertion stack), and keeps Z3's bit-vector
    /// preprocessing, which an incremental solver turns off.
    ///
    /// With `unsatCores`, a check under assumptions returns a core; Z3 then skips the tactics
    /// that cannot track dependencies (`solve-eqs`, `elim-uncnstr`), so such a solver is slower.
    public init(_ context: Context, tactics: [String], unsatCores: Bool = true) throws {
        self.context = context
        guard let firstName = tactics.first else {
            throw Z3Error(code: Z3_INVALID_ARG.rawValue, message: "no tactic named", operation: "mk_tactic")
        }
        func make(_ name: String) throws -> Z3_tactic {
            guard let tactic = Z3_mk_tactic(context.raw, name) else {
                try context.checkError("mk_tactic \(name)")
                throw Z3Error(code: Z3_INVALID_ARG.rawValue, message: "no tactic \(name)", operation: "mk_tactic")
            }
            Z3_tactic_inc_ref(context.raw, tactic)
            return tactic
        }
        var pipeline = try make(firstName)
        for name in tactics.dropFirst() {
            let next = try make(name)
            let combined = Z3_tactic_and_then(context.raw, pipeline, next)
            if let combined { Z3_tactic_inc_ref(context.raw, combined) }
            Z3_tactic_dec_ref(context.raw, pipeline)
            Z3_tactic_dec_ref(context.raw, next)
            guard let combined else {
                try context.checkError("tactic_and_then")
                throw Z3Error(code: Z3_EXCEPTION.rawValue, message: "Z3 returned no tactic", operation: "tactic_and_then")
            }
            pipeline = combined
        }
        defer { Z3_tactic_dec_ref(context.raw, pipeline) }
        guard let made = Z3_mk_solver_from_tactic(context.raw, pipeline) else {
            try context.checkError("mk_solver_from_tactic")
            throw Z3Error(code: Z3_EXCEPTION.rawValue, message: "Z3 returned no solver", operation: "mk_solver_from_tactic")
        }
        raw = made
        Z3_solver_inc_ref(context.raw, raw)
        try context.checkError("mk_solver_from_tactic")
        isTacticSolver = true
        tracksCores = unsatCores
        applyParams()
    }

    deinit { Z3_solver_dec_ref(context.raw, raw) }

    /// A time limit for each check, in milliseconds (nil: none), counted from the check's start.
    /// A check that runs out is interrupted by the ``Watchdog`` and returns `unknown` ("timeout").
    /// Z3's own `timeout` parameter is never set (see ``Watchdog``).
    public var timeoutMilliseconds: UInt32?

    /// The limits every check of this solver obeys: an absolute deadline (with
    /// ``timeoutMilliseconds`` the earlier of the two applies) and Z3's resource limit.
    public var limits: QueryLimits = .none {
        didSet { if limits.resourceLimit != oldValue.resourceLimit { applyParams() } }
    }

    /// The solver's random seed (fixed seeds keep runs deterministic).
    public var randomSeed: UInt32? {
        get { seed }
        set { seed = newValue; applyParams() }
    }

    private func applyParams() {
        do {
            try SolverParameters.set(context, raw, limits: limits, seed: seed,
                                     unsatCores: isTacticSolver && tracksCores)
            parameterError = nil
        } catch {
            parameterError = error as? Z3Error
        }
    }

    private func throwParameterError() throws {
        if let parameterError { throw parameterError }
    }

    /// Adds `formula` to the current scope.
    public func assert(_ formula: BoolTerm) throws {
        try context.requireOwned(formula.ast, "solver_assert")
        Z3_solver_assert(context.raw, raw, formula.ast.raw)
        try context.checkError("solver_assert")
    }

    /// Opens a scope; `pop` removes what was asserted since.
    public func push() throws {
        Z3_solver_push(context.raw, raw)
        try context.checkError("solver_push")
    }

    /// Closes `count` scopes.
    public func pop(_ count: Int = 1) throws {
        guard count >= 0 else {
            throw Z3Error(code: Z3_INVALID_ARG.rawValue, message: "cannot pop \(count) scopes", operation: "solver_pop")
        }
        Z3_solver_pop(context.raw, raw, UInt32(count))
        try context.checkError("solver_pop")
    }

    /// The number of open scopes.
    public var scopeCount: Int { Int(Z3_solver_get_num_scopes(context.raw, raw)) }

    /// Runs `body` inside a push/pop pair.
    public func withScope<T>(_ body: () throws -> T) throws -> T {
        try push()
        defer { try? pop() }
        return try body()
    }

    /// Checks the asserted formulas.
    public func check() throws -> CheckResult {
        try check(abortIf: { false })
    }

    /// Checks the asserted formulas unless `abort` is true as the check starts.
    private func check(abortIf abort: () -> Bool) throws -> CheckResult {
        try context.throwIfPoisoned("solver_check")
        try throwParameterError()
        let deadline = effectiveDeadline()
        let checked = try Self.bounded(context, until: deadline, abortIf: abort) {
            let answer = Z3_solver_check(context.raw, raw)
            try context.checkError("solver_check")
            return answer
        }
        guard let answer = checked else { return .unknown(reason: Self.skippedReason(deadline)) }
        return try result(answer, core: [], deadline: deadline)
    }

    /// Checks the asserted formulas together with named assumptions. When unsat, the
    /// result carries the names of an unsat core: assumptions left out of it were not needed.
    ///
    /// The i-th assumption `f` becomes `t_i ⇒ f` for a tracking literal `t_i`, asserted in a
    /// scope that is popped afterwards; the check runs with the `t_i` assumed. The tracking
    /// literals are Boolean constants named `z3kit.assumption.<i>` (do not use such names):
    /// fixed names, not fresh constants, because every fresh name stays in Z3's global symbol
    /// table for the life of the process.
    public func check(assuming assumptions: [NamedAssumption]) throws -> CheckResult {
        try context.throwIfPoisoned("solver_check_assumptions")
        try throwParameterError()
        for assumption in assumptions { try context.requireOwned(assumption.formula.ast, "solver_check_assumptions") }
        try push()
        defer { try? pop() }
        var trackers: [BoolTerm] = []
        var nameOf: [Z3_ast: String] = [:]
        for (index, assumption) in assumptions.enumerated() {
            let tracker = try context.boolConstant("z3kit.assumption.\(index)")
            try assert(tracker.implies(assumption.formula))
            trackers.append(tracker)
            nameOf[tracker.ast.raw] = assumption.name
        }
        let literals: [Z3_ast?] = trackers.map { $0.ast.raw }
        let deadline = effectiveDeadline()
        let checked = try Self.bounded(context, until: deadline, abortIf: { false }) {
            let answer = Z3_solver_check_assumptions(context.raw, raw, UInt32(literals.count), literals)
            try context.checkError("solver_check_assumptions")
            return answer
        }
        guard let answer = checked else { return .unknown(reason: Self.skippedReason(deadline)) }
        var core: [String] = []
        if answer == Z3_L_FALSE {
            let vector = Z3_solver_get_unsat_core(context.raw, raw)
            try context.checkError("solver_get_unsat_core")
            Z3_ast_vector_inc_ref(context.raw, vector)
            defer { Z3_ast_vector_dec_ref(context.raw, vector) }
            for index in 0..<Z3_ast_vector_size(context.raw, vector) {
                let element = try context.wrap(Z3_ast_vector_get(context.raw, vector, index), "ast_vector_get")
                if let name = nameOf[element.raw] { core.append(name) }
            }
            core.sort()
        }
        return try result(answer, core: core, deadline: deadline)
    }

    private func result(_ answer: Z3_lbool, core: [String], deadline: ContinuousClock.Instant?) throws -> CheckResult {
        if answer == Z3_L_TRUE {
            guard let model = Z3_solver_get_model(context.raw, raw) else {
                try context.checkError("solver_get_model")
                throw Z3Error(code: Z3_EXCEPTION.rawValue, message: "sat without a model", operation: "solver_get_model")
            }
            return .sat(Model(context, model))
        }
        if answer == Z3_L_FALSE { return .unsat(core: core) }
        return .unknown(reason: Self.unknownReason(String(cString: Z3_solver_get_reason_unknown(context.raw, raw)),
                                                   deadline: deadline))
    }

    /// The deadline of a check starting now: the earlier of ``limits`` and ``timeoutMilliseconds``.
    private func effectiveDeadline() -> ContinuousClock.Instant? {
        let relative = timeoutMilliseconds.map { ContinuousClock.now + .milliseconds(Int($0)) }
        return QueryLimits.earlier(limits.deadline, relative)
    }

    /// Runs one Z3 check through the context's interrupt gate with `deadline` armed on the
    /// ``Watchdog``; nil when it did not start (aborted, stopped, or the deadline already passed).
    static func bounded<T>(_ context: Context, until deadline: ContinuousClock.Instant?, abortIf abort: () -> Bool,
                           _ call: () throws -> T) throws -> T? {
        guard let deadline else { return try context.interruptGate.check(abortIf: abort, call) }
        if ContinuousClock.now >= deadline { return nil }
        let token = Watchdog.shared.arm(deadline, context.interruptGate)
        defer { Watchdog.shared.disarm(token) }
        return try context.interruptGate.check(abortIf: abort, call)
    }

    /// Why a check that never started is unknown.
    static func skippedReason(_ deadline: ContinuousClock.Instant?) -> String {
        if let stop = ProcessStop.requested { return stop }
        if let deadline, ContinuousClock.now >= deadline { return "timeout" }
        return "canceled"
    }

    /// Why an interrupted check is unknown: Z3 says "interrupted" or "canceled" whoever interrupted
    /// it; say which limit it was.
    static func unknownReason(_ z3Reason: String, deadline: ContinuousClock.Instant?) -> String {
        guard z3Reason == "interrupted" || z3Reason == "canceled" else { return z3Reason }
        if let stop = ProcessStop.requested { return stop }
        if let deadline, ContinuousClock.now >= deadline { return "timeout" }
        return z3Reason
    }

    /// Runs `check()` and interrupts it when the surrounding task is cancelled; an interrupted
    /// check returns `unknown`. In a task that is already cancelled, returns
    /// `unknown(reason: "canceled")` without checking.
    public func checkCancellable() async throws -> CheckResult {
        let cancelled = CancellationFlag()
        let handle = context.interruptHandle
        return try await withTaskCancellationHandler {
            try check(abortIf: { cancelled.isSet })
        } onCancel: {
            // Set before interrupting: a check that has not started yet sees the flag instead.
            cancelled.set()
            handle.interrupt()
        }
    }

    /// The formulas asserted in all open scopes.
    public func assertions() throws -> [BoolTerm] {
        let vector = Z3_solver_get_assertions(context.raw, raw)
        try context.checkError("solver_get_assertions")
        Z3_ast_vector_inc_ref(context.raw, vector)
        defer { Z3_ast_vector_dec_ref(context.raw, vector) }
        return try (0..<Z3_ast_vector_size(context.raw, vector)).map {
            BoolTerm(try context.wrap(Z3_ast_vector_get(context.raw, vector, $0), "ast_vector_get"))
        }
    }

    /// Statistics of the last check (`Z3_solver_get_statistics`), keyed by Z3's names.
    public func statistics() throws -> [String: Double] {
        let stats = Z3_solver_get_statistics(context.raw, raw)
        try context.checkError("solver_get_statistics")
        Z3_stats_inc_ref(context.raw, stats)
        defer { Z3_stats_dec_ref(context.raw, stats) }
        var values: [String: Double] = [:]
        for index in 0..<Z3_stats_size(context.raw, stats) {
            let key = String(cString: Z3_stats_get_key(context.raw, stats, index))
            values[key] = Z3_stats_is_uint(context.raw, stats, index)
                ? Double(Z3_stats_get_uint_value(context.raw, stats, index))
                : Z3_stats_get_double_value(context.raw, stats, index)
        }
        return values
    }

    /// The current assertions as a self-contained SMT-LIB2 script that the `z3` and `cvc5`
    /// command-line solvers accept: `set-logic`, declarations, one `assert` per formula, `check-sat`.
    ///
    /// - Parameters:
    ///   - logic: The logic to declare (`QF_BV` for every barproof query).
    ///   - extra: Formulas asserted after the solver's own (a check's assumptions, for instance).
    ///   - comments: Lines written as `;` comments at the top (what the query means).
    public func smtlib2(logic: String = "QF_BV", extra: [BoolTerm] = [], comments: [String] = []) throws -> String {
        let formulas = try assertions() + extra
        return try SMTLIB2.script(context, formulas: formulas, logic: logic, comments: comments)
    }
}

/// Whether a task running `checkCancellable()` was cancelled.
private final class CancellationFlag: Sendable {
    private let flag = Mutex(false)
    var isSet: Bool { flag.withLock { $0 } }
    func set() { flag.withLock { $0 = true } }
}

/// SMT-LIB2 export of a list of formulas.
public enum SMTLIB2 {
    /// A self-contained script asserting `formulas`: comments, `set-logic`, declarations, one
    /// `assert` per formula, `check-sat`.
    ///
    /// The text comes from Z3's SMT-LIB2 printer (`Z3_solver_to_string` on a scratch solver), not
    /// from `Z3_benchmark_to_smtlib_string`: in Z3 4.8.12 the latter leaves a name that starts with
    /// a digit (`0size`) unquoted, which neither z3 nor cvc5 can read back.
    public static func script(_ context: Context, formulas: [BoolTerm], logic: String = "QF_BV",
                              comments: [String] = []) throws -> String {
        var body = try body(context, formulas: formulas)
        if !body.isEmpty && !body.hasSuffix("\n") { body += "\n" }
        return framed(body, logic: logic, comments: comments)
    }

    /// The comments, `set-logic`, `body` and `check-sat`.
    static func framed(_ body: String, logic: String, comments: [String]) -> String {
        // One `;` per line: a line break inside a comment must not leak bare text into the script.
        let header = comments.flatMap { $0.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) }
            .map { "; " + $0 + "\n" }.joined()
        return header + "(set-logic \(logic))\n" + body + "(check-sat)\n"
    }

    /// Z3's text of a scratch solver asserting `formulas`: the declarations, then the assertions.
    static func body(_ context: Context, formulas: [BoolTerm]) throws -> String {
        for formula in formulas { try context.requireOwned(formula.ast, "solver_to_string") }
        guard let scratch = Z3_mk_simple_solver(context.raw) else {
            try context.checkError("mk_simple_solver")
            throw Z3Error(code: Z3_EXCEPTION.rawValue, message: "Z3 returned no solver", operation: "mk_simple_solver")
        }
        Z3_solver_inc_ref(context.raw, scratch)
        defer { Z3_solver_dec_ref(context.raw, scratch) }
        SolverParameters.apply(context.raw, scratch, limits: .none)
        for formula in formulas {
            Z3_solver_assert(context.raw, scratch, formula.ast.raw)
            try context.checkError("solver_assert")
        }
        guard let text = Z3_solver_to_string(context.raw, scratch) else {
            try context.checkError("solver_to_string")
            throw Z3Error(code: Z3_EXCEPTION.rawValue, message: "no SMT-LIB2 text", operation: "solver_to_string")
        }
        let body = String(cString: text)
        try context.checkError("solver_to_string")
        return body
    }
}

/// SMT-LIB2 export of many scripts that share formulas (a check's cases: the same model facts
/// and clauses, a different case each), each formula printed once.
///
/// Each formula is printed alone, as ``SMTLIB2/script(_:formulas:logic:comments:)`` prints a
/// list (Z3's printer on a scratch solver: its declarations, one per line, then its assertions),
/// and a script is the declarations of its formulas in order without repeats, then their
/// assertions. The formulas are the same as in one script of them all, but not always the same
/// text: the scratch solver simplifies what it is given (the operands of a sum come in the order
/// of their term ids, which depends on what it has already made), so a formula printed alone
/// can read differently, and the declarations can come in another order. Measured on the
/// shipped specs: `export-smt2` of a release spec 0.39 s -> 0.26 s. `SMTLIB2ExportTests`
/// checks that both say the same to z3; `ExportedQueryTests` re-checks the shipped queries.
public final class SMTLIB2Printer {
    private let context: Context
    /// Each formula printed alone, by term id (the term kept, so that its id stays its own).
    private var printed: [UInt32: (term: BoolTerm, declarations: [Substring], assertions: Substring)] = [:]

    public init(_ context: Context) { self.context = context }

    public func script(formulas: [BoolTerm], logic: String = "QF_BV", comments: [String] = []) throws -> String {
        var seen = Set<Substring>()
        var declarations: [Substring] = []
        var assertions = ""
        for formula in formulas {
            let alone = try self.alone(formula)
            for line in alone.declarations where seen.insert(line).inserted { declarations.append(line) }
            assertions += alone.assertions
        }
        let body = declarations.map { $0 + "\n" }.joined() + assertions
        return SMTLIB2.framed(body, logic: logic, comments: comments)
    }

    private func alone(_ formula: BoolTerm) throws -> (declarations: [Substring], assertions: Substring) {
        if let known = printed[formula.id] { return (known.declarations, known.assertions) }
        let text = try SMTLIB2.body(context, formulas: [formula])
        // Declarations are one line each and come first; the assertions follow.
        var declarations: [Substring] = []
        var rest = Substring(text)
        while rest.hasPrefix("(declare-") {
            let end = rest.firstIndex(of: "\n") ?? rest.endIndex
            declarations.append(rest[..<end])
            rest = end < rest.endIndex ? rest[rest.index(after: end)...] : rest[end...]
        }
        if !rest.isEmpty && !rest.hasSuffix("\n") { rest = Substring(rest + "\n") }
        printed[formula.id] = (formula, declarations, rest)
        return (declarations, rest)
    }
}

/// The parameters barproof sets on every Z3 solver.
enum SolverParameters {
    /// Sets `ctrl_c` off, and the resource limit, random seed and core tracking when given.
    ///
    /// - `ctrl_c=false`: Z3 4.8.12 otherwise swaps the process's SIGINT handler in and out around
    ///   every check (`scoped_ctrl_c`), racing with other threads and with barproof's own handler.
    /// - `rlimit`: Z3's deterministic resource limit; 0 is unlimited.
    /// - never `timeout`: see ``Watchdog``.
    static func set(_ context: Context, _ solver: Z3_solver, limits: QueryLimits, seed: UInt32? = nil,
                    unsatCores: Bool = false) throws {
        apply(context.raw, solver, limits: limits, seed: seed, unsatCores: unsatCores)
        try context.checkError("solver_set_params")
    }

    /// ``set(_:_:limits:seed:unsatCores:)`` without reading the error (for scratch solvers).
    static func apply(_ raw: Z3_context, _ solver: Z3_solver, limits: QueryLimits, seed: UInt32? = nil,
                      unsatCores: Bool = false) {
        let params = Z3_mk_params(raw)
        Z3_params_inc_ref(raw, params)
        defer { Z3_params_dec_ref(raw, params) }
        Z3_params_set_bool(raw, params, Z3_mk_string_symbol(raw, "ctrl_c"), false)
        Z3_params_set_uint(raw, params, Z3_mk_string_symbol(raw, "rlimit"), limits.resourceLimit ?? 0)
        if let seed {
            // Only `random_seed`: once a solver has been used, Z3 4.8.12 validates the keys and rejects
            // the whole set for one it does not know (such as `smt.random_seed`).
            // `random_seed` reaches both the SMT core and the SAT solver used for bit-vectors.
            Z3_params_set_uint(raw, params, Z3_mk_string_symbol(raw, "random_seed"), seed)
        }
        if unsatCores {
            // Tactic solvers track which assumptions a refutation used only when asked to.
            Z3_params_set_bool(raw, params, Z3_mk_string_symbol(raw, "unsat_core"), true)
        }
        Z3_solver_set_params(raw, solver, params)
    }
}
