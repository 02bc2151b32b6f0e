import CZ3

/// A satisfying assignment. Evaluation uses model completion, so every constant has a value.
public final class Model {
    public let context: Context
    let raw: Z3_model

    init(_ context: Context, _ raw: Z3_model) {
        self.context = context
        self.raw = raw
        Z3_model_inc_ref(context.raw, raw)
    }

    deinit { Z3_model_dec_ref(context.raw, raw) }

    private func evaluate(_ ast: AST) throws -> AST {
        try context.requireOwned(ast, "model_eval")
        var out: Z3_ast? = nil
        guard Z3_model_eval(context.raw, raw, ast.raw, true, &out), let out else {
            try context.checkError("model_eval")
            throw Z3Error(code: Z3_EXCEPTION.rawValue, message: "model evaluation failed", operation: "model_eval")
        }
        return try context.wrap(out, "model_eval")
    }

    /// The value of a bit-vector term of at most 64 bits.
    public func value(_ term: BitVector) throws -> UInt64 {
        guard term.width <= 64 else {
            throw Z3Error(code: Z3_INVALID_ARG.rawValue, message: "a \(term.width)-bit value does not fit in UInt64",
                          operation: "get_numeral_uint64")
        }
        return try numeral(term.ast)
    }

    /// The value of an integer term, which must lie in `0 ..< 2^64`.
    public func value(_ term: IntegerTerm) throws -> UInt64 { try numeral(term.ast) }

    /// The model's value of `ast` as an unsigned 64-bit numeral.
    private func numeral(_ ast: AST) throws -> UInt64 {
        let result = try evaluate(ast)
        var value: UInt64 = 0
        guard Z3_get_numeral_uint64(context.raw, result.raw, &value) else {
            try context.checkError("get_numeral_uint64")
            throw Z3Error(code: Z3_EXCEPTION.rawValue, message: "not a numeral in 0 ..< 2^64", operation: "get_numeral_uint64")
        }
        return value
    }

    /// The value of a Boolean term.
    public func value(_ term: BoolTerm) throws -> Bool {
        let result = try evaluate(term.ast)
        let answer = Z3_get_bool_value(context.raw, result.raw)
        if answer == Z3_L_TRUE { return true }
        if answer == Z3_L_FALSE { return false }
        throw Z3Error(code: Z3_EXCEPTION.rawValue, message: "Boolean without a value", operation: "get_bool_value")
    }

    /// The model in Z3's text form.
    public var description: String { String(cString: Z3_model_to_string(context.raw, raw)) }
}
