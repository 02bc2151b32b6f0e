import CZ3

/// Z3's optimiser: hard constraints plus bit-vector objectives, minimised or maximised in the
/// order they were added (lexicographic).
public final class Optimize {
    public let context: Context
    let raw: Z3_optimize

    public init(_ context: Context) throws {
        self.context = context
        guard let made = Z3_mk_optimize(context.raw) else {
            try context.checkError("mk_optimize")
            throw Z3Error(code: Z3_EXCEPTION.rawValue, message: "Z3 returned no optimizer", operation: "mk_optimize")
        }
        raw = made
        Z3_optimize_inc_ref(context.raw, raw)
        try context.checkError("mk_optimize")
        applyParams()
    }

    deinit { Z3_optimize_dec_ref(context.raw, raw) }

    /// A time limit for each check in milliseconds, enforced by the ``Watchdog`` (never Z3's timer).
    public var timeoutMilliseconds: UInt32?

    /// The limits every check obeys (with ``timeoutMilliseconds``, the earlier deadline applies).
    public var limits: QueryLimits = .none {
        didSet { applyParams() }
    }

    /// `ctrl_c` off and the resource limit (see ``SolverParameters``); never `timeout`.
    private func applyParams() {
        let params = Z3_mk_params(context.raw)
        Z3_params_inc_ref(context.raw, params)
        defer { Z3_params_dec_ref(context.raw, params) }
        Z3_params_set_bool(context.raw, params, Z3_mk_string_symbol(context.raw, "ctrl_c"), false)
        Z3_params_set_uint(context.raw, params, Z3_mk_string_symbol(context.raw, "rlimit"), limits.resourceLimit ?? 0)
        Z3_optimize_set_params(context.raw, raw, params)
        Z3_set_error(context.raw, Z3_OK)
    }

    public func assert(_ formula: BoolTerm) throws {
        try context.requireOwned(formula.ast, "optimize_assert")
        Z3_optimize_assert(context.raw, raw, formula.ast.raw)
        try context.checkError("optimize_assert")
    }

    /// Adds an objective to minimise (unsigned), after those already added.
    public func minimize(_ objective: BitVector) throws {
        try context.requireOwned(objective.ast, "optimize_minimize")
        _ = Z3_optimize_minimize(context.raw, raw, objective.ast.raw)
        try context.checkError("optimize_minimize")
    }

    /// Adds an objective to maximise (unsigned), after those already added.
    public func maximize(_ objective: BitVector) throws {
        try context.requireOwned(objective.ast, "optimize_maximize")
        _ = Z3_optimize_maximize(context.raw, raw, objective.ast.raw)
        try context.checkError("optimize_maximize")
    }

    public func push() throws {
        Z3_optimize_push(context.raw, raw)
        try context.checkError("optimize_push")
    }

    public func pop() throws {
        Z3_optimize_pop(context.raw, raw)
        try context.checkError("optimize_pop")
    }

    /// Checks the constraints and optimises the objectives.
    public func check() throws -> CheckResult {
        try context.throwIfPoisoned("optimize_check")
        let relative = timeoutMilliseconds.map { ContinuousClock.now + .milliseconds(Int($0)) }
        let deadline = QueryLimits.earlier(limits.deadline, relative)
        let checked = try Solver.bounded(context, until: deadline, abortIf: { false }) {
            let answer = Z3_optimize_check(context.raw, raw, 0, nil)
            try context.checkError("optimize_check")
            return answer
        }
        guard let answer = checked else { return .unknown(reason: Solver.skippedReason(deadline)) }
        if answer == Z3_L_TRUE {
            guard let model = Z3_optimize_get_model(context.raw, raw) else {
                try context.checkError("optimize_get_model")
                throw Z3Error(code: Z3_EXCEPTION.rawValue, message: "sat without a model", operation: "optimize_get_model")
            }
            return .sat(Model(context, model))
        }
        if answer == Z3_L_FALSE { return .unsat(core: []) }
        return .unknown(reason: Solver.unknownReason(String(cString: Z3_optimize_get_reason_unknown(context.raw, raw)),
                                                     deadline: deadline))
    }
}
