import CZ3

/// A Boolean term.
public struct BoolTerm {
    let ast: AST
    public var context: Context { ast.context }
    init(_ ast: AST) { self.ast = ast }

    /// The term in SMT-LIB2 syntax (`Z3_ast_to_string`).
    public var smtlib: String { String(cString: Z3_ast_to_string(ast.context.raw, ast.raw)) }

    /// Z3's identifier of the term (`Z3_get_ast_id`): equal for structurally equal terms of one
    /// context while either is alive (Z3 shares them).
    public var id: UInt32 { Z3_get_ast_id(ast.context.raw, ast.raw) }
}

/// A fixed-width bit-vector term. Its width is read from Z3 when it is made, so mismatches
/// are reported by Z3 itself when an operator combines two widths.
public struct BitVector {
    let ast: AST
    /// The width in bits.
    public let width: Int
    public var context: Context { ast.context }

    init(_ ast: AST) {
        self.ast = ast
        let sort = Z3_get_sort(ast.context.raw, ast.raw)
        self.width = Int(Z3_get_bv_sort_size(ast.context.raw, sort))
    }

    /// The term in SMT-LIB2 syntax (`Z3_ast_to_string`).
    public var smtlib: String { String(cString: Z3_ast_to_string(ast.context.raw, ast.raw)) }

    /// Z3's identifier of the term (`Z3_get_ast_id`): equal for structurally equal terms of one
    /// context while either is alive (Z3 shares them).
    public var id: UInt32 { Z3_get_ast_id(ast.context.raw, ast.raw) }
}

// MARK: - Constants

extension Context {
    /// The Boolean literal `value`.
    public func bool(_ value: Bool) throws -> BoolTerm {
        BoolTerm(try wrap(value ? Z3_mk_true(raw) : Z3_mk_false(raw), "mk_bool"))
    }

    /// A named Boolean constant. The same name in the same context is the same constant.
    /// Throws for a name that an SMT-LIB2 script cannot declare (see ``SMTLIB2/checkName(_:)``).
    public func boolConstant(_ name: String) throws -> BoolTerm {
        try SMTLIB2.checkName(name)
        let sort = try boolSort()
        let symbol = Z3_mk_string_symbol(raw, name)
        return BoolTerm(try wrap(Z3_mk_const(raw, symbol, sort.raw), "mk_const \(name)"))
    }

    /// A Boolean constant distinct from every other, named after `prefix`.
    public func freshBool(_ prefix: String) throws -> BoolTerm {
        try SMTLIB2.checkName(prefix, fresh: true)
        let sort = try boolSort()
        return BoolTerm(try wrap(Z3_mk_fresh_const(raw, prefix, sort.raw), "mk_fresh_const \(prefix)"))
    }

    /// The bit-vector literal `value` of `width` bits; throws when `value` does not fit.
    public func bitVector(_ value: UInt64, width: Int) throws -> BitVector {
        if width < 64 && value >> UInt64(width) != 0 {
            throw Z3Error(code: Z3_INVALID_ARG.rawValue, message: "\(value) does not fit in \(width) bits",
                          operation: "mk_unsigned_int64")
        }
        let sort = try bitVectorSort(width: width)
        return BitVector(try wrap(Z3_mk_unsigned_int64(raw, value, sort.raw), "mk_unsigned_int64"))
    }

    /// A named bit-vector constant of `width` bits.
    /// Throws for a name that an SMT-LIB2 script cannot declare (see ``SMTLIB2/checkName(_:)``).
    public func bitVectorConstant(_ name: String, width: Int) throws -> BitVector {
        try SMTLIB2.checkName(name)
        let sort = try bitVectorSort(width: width)
        let symbol = Z3_mk_string_symbol(raw, name)
        return BitVector(try wrap(Z3_mk_const(raw, symbol, sort.raw), "mk_const \(name)"))
    }

    /// A bit-vector constant distinct from every other, named after `prefix`.
    public func freshBitVector(_ prefix: String, width: Int) throws -> BitVector {
        try SMTLIB2.checkName(prefix, fresh: true)
        let sort = try bitVectorSort(width: width)
        return BitVector(try wrap(Z3_mk_fresh_const(raw, prefix, sort.raw), "mk_fresh_const \(prefix)"))
    }

    /// The conjunction of `terms` (`true` when empty).
    public func and(_ terms: [BoolTerm]) throws -> BoolTerm {
        if terms.isEmpty { return try bool(true) }
        for term in terms { try requireOwned(term.ast, "mk_and") }
        if terms.count == 1 { return terms[0] }
        let args: [Z3_ast?] = terms.map { $0.ast.raw }
        return BoolTerm(try wrap(Z3_mk_and(raw, UInt32(args.count), args), "mk_and"))
    }

    /// The disjunction of `terms` (`false` when empty).
    public func or(_ terms: [BoolTerm]) throws -> BoolTerm {
        if terms.isEmpty { return try bool(false) }
        for term in terms { try requireOwned(term.ast, "mk_or") }
        if terms.count == 1 { return terms[0] }
        let args: [Z3_ast?] = terms.map { $0.ast.raw }
        return BoolTerm(try wrap(Z3_mk_or(raw, UInt32(args.count), args), "mk_or"))
    }
}

// MARK: - Boolean operators

extension BoolTerm {
    private static func binary(_ a: BoolTerm, _ b: BoolTerm, _ name: String,
                               _ make: (Z3_context?, Z3_ast?, Z3_ast?) -> Z3_ast?) throws -> BoolTerm {
        let ctx = a.context
        try ctx.requireOwned(b.ast, name)
        return BoolTerm(try ctx.wrap(make(ctx.raw, a.ast.raw, b.ast.raw), name))
    }

    public static func && (a: BoolTerm, b: BoolTerm) throws -> BoolTerm { try a.context.and([a, b]) }
    public static func || (a: BoolTerm, b: BoolTerm) throws -> BoolTerm { try a.context.or([a, b]) }

    public static prefix func ! (a: BoolTerm) throws -> BoolTerm {
        BoolTerm(try a.context.wrap(Z3_mk_not(a.context.raw, a.ast.raw), "mk_not"))
    }

    /// `self ⇒ other`.
    public func implies(_ other: BoolTerm) throws -> BoolTerm { try Self.binary(self, other, "mk_implies", Z3_mk_implies) }

    /// `self ⇔ other`.
    public func iff(_ other: BoolTerm) throws -> BoolTerm { try Self.binary(self, other, "mk_iff", Z3_mk_iff) }

    public static func == (a: BoolTerm, b: BoolTerm) throws -> BoolTerm { try binary(a, b, "mk_eq", Z3_mk_eq) }

    /// `if self then a else b` over Booleans.
    public func ite(_ a: BoolTerm, _ b: BoolTerm) throws -> BoolTerm {
        try context.requireOwned(a.ast, "mk_ite")
        try context.requireOwned(b.ast, "mk_ite")
        return BoolTerm(try context.wrap(Z3_mk_ite(context.raw, ast.raw, a.ast.raw, b.ast.raw), "mk_ite"))
    }

    /// `if self then a else b` over bit-vectors.
    public func ite(_ a: BitVector, _ b: BitVector) throws -> BitVector {
        try context.requireOwned(a.ast, "mk_ite")
        try context.requireOwned(b.ast, "mk_ite")
        return BitVector(try context.wrap(Z3_mk_ite(context.raw, ast.raw, a.ast.raw, b.ast.raw), "mk_ite"))
    }
}

// MARK: - Bit-vector operators

extension BitVector {
    private static func make(_ a: BitVector, _ b: BitVector, _ name: String,
                             _ mk: (Z3_context?, Z3_ast?, Z3_ast?) -> Z3_ast?) throws -> BitVector {
        try a.context.requireOwned(b.ast, name)
        return BitVector(try a.context.wrap(mk(a.context.raw, a.ast.raw, b.ast.raw), name))
    }

    private static func predicate(_ a: BitVector, _ b: BitVector, _ name: String,
                                  _ mk: (Z3_context?, Z3_ast?, Z3_ast?) -> Z3_ast?) throws -> BoolTerm {
        try a.context.requireOwned(b.ast, name)
        return BoolTerm(try a.context.wrap(mk(a.context.raw, a.ast.raw, b.ast.raw), name))
    }

    /// Wrapping addition (`bvadd`).
    public static func + (a: BitVector, b: BitVector) throws -> BitVector { try make(a, b, "mk_bvadd", Z3_mk_bvadd) }
    /// Wrapping subtraction (`bvsub`).
    public static func - (a: BitVector, b: BitVector) throws -> BitVector { try make(a, b, "mk_bvsub", Z3_mk_bvsub) }
    /// Wrapping multiplication (`bvmul`).
    public static func * (a: BitVector, b: BitVector) throws -> BitVector { try make(a, b, "mk_bvmul", Z3_mk_bvmul) }
    public static func & (a: BitVector, b: BitVector) throws -> BitVector { try make(a, b, "mk_bvand", Z3_mk_bvand) }
    public static func | (a: BitVector, b: BitVector) throws -> BitVector { try make(a, b, "mk_bvor", Z3_mk_bvor) }
    public static func ^ (a: BitVector, b: BitVector) throws -> BitVector { try make(a, b, "mk_bvxor", Z3_mk_bvxor) }
    /// Shift left (`bvshl`); shifting by the width or more gives zero.
    public static func << (a: BitVector, b: BitVector) throws -> BitVector { try make(a, b, "mk_bvshl", Z3_mk_bvshl) }
    /// Logical shift right (`bvlshr`).
    public static func >> (a: BitVector, b: BitVector) throws -> BitVector { try make(a, b, "mk_bvlshr", Z3_mk_bvlshr) }
    /// Unsigned division (`bvudiv`; division by zero gives all ones, as in SMT-LIB).
    public static func / (a: BitVector, b: BitVector) throws -> BitVector { try make(a, b, "mk_bvudiv", Z3_mk_bvudiv) }
    /// Unsigned remainder (`bvurem`).
    public static func % (a: BitVector, b: BitVector) throws -> BitVector { try make(a, b, "mk_bvurem", Z3_mk_bvurem) }

    public static prefix func ~ (a: BitVector) throws -> BitVector {
        BitVector(try a.context.wrap(Z3_mk_bvnot(a.context.raw, a.ast.raw), "mk_bvnot"))
    }

    public static func == (a: BitVector, b: BitVector) throws -> BoolTerm { try predicate(a, b, "mk_eq", Z3_mk_eq) }
    public static func != (a: BitVector, b: BitVector) throws -> BoolTerm { try !(a == b) }
    /// Unsigned `<` (`bvult`).
    public static func < (a: BitVector, b: BitVector) throws -> BoolTerm { try predicate(a, b, "mk_bvult", Z3_mk_bvult) }
    /// Unsigned `<=` (`bvule`).
    public static func <= (a: BitVector, b: BitVector) throws -> BoolTerm { try predicate(a, b, "mk_bvule", Z3_mk_bvule) }
    /// Unsigned `>` (`bvugt`).
    public static func > (a: BitVector, b: BitVector) throws -> BoolTerm { try predicate(a, b, "mk_bvugt", Z3_mk_bvugt) }
    /// Unsigned `>=` (`bvuge`).
    public static func >= (a: BitVector, b: BitVector) throws -> BoolTerm { try predicate(a, b, "mk_bvuge", Z3_mk_bvuge) }

    /// True when `self + other` does not overflow as unsigned numbers (`Z3_mk_bvadd_no_overflow`).
    public func addsWithoutOverflow(_ other: BitVector) throws -> BoolTerm {
        try context.requireOwned(other.ast, "mk_bvadd_no_overflow")
        // Z3 4.8.12 builds this predicate from other API calls and does not stop when one of
        // them fails: with two widths it dereferences NULL and crashes. So check first.
        guard width == other.width else {
            throw Z3Error(code: Z3_SORT_ERROR.rawValue,
                          message: "cannot add a \(other.width)-bit vector to a \(width)-bit vector",
                          operation: "mk_bvadd_no_overflow")
        }
        return BoolTerm(try context.wrap(Z3_mk_bvadd_no_overflow(context.raw, ast.raw, other.ast.raw, false),
                                  "mk_bvadd_no_overflow"))
    }

    /// True when `self * other` does not overflow as unsigned numbers.
    public func multipliesWithoutOverflow(_ other: BitVector) throws -> BoolTerm {
        try context.requireOwned(other.ast, "mk_bvmul_no_overflow")
        return BoolTerm(try context.wrap(Z3_mk_bvmul_no_overflow(context.raw, ast.raw, other.ast.raw, false),
                                  "mk_bvmul_no_overflow"))
    }

    /// Bits `high` down to `low` (inclusive), a `high - low + 1`-bit vector.
    public func extract(high: Int, low: Int) throws -> BitVector {
        guard low >= 0, high >= low, high < width else {
            throw Z3Error(code: Z3_INVALID_ARG.rawValue, message: "extract [\(high):\(low)] of a \(width)-bit vector",
                          operation: "mk_extract")
        }
        return BitVector(try context.wrap(Z3_mk_extract(context.raw, UInt32(high), UInt32(low), ast.raw), "mk_extract"))
    }

    /// The vector widened by `bits` zero bits at the top.
    public func zeroExtend(by bits: Int) throws -> BitVector {
        guard bits >= 0 else {
            throw Z3Error(code: Z3_INVALID_ARG.rawValue, message: "negative extension \(bits)", operation: "mk_zero_ext")
        }
        return BitVector(try context.wrap(Z3_mk_zero_ext(context.raw, UInt32(bits), ast.raw), "mk_zero_ext"))
    }

    /// `self` followed by `low` (`concat`).
    public func concat(_ low: BitVector) throws -> BitVector {
        try Self.make(self, low, "mk_concat", Z3_mk_concat)
    }
}

// MARK: - Names

extension SMTLIB2 {
    /// Throws unless `name` can name a constant in an SMT-LIB2 script that both z3 and cvc5 read:
    /// not empty; no `|` or `\` (a quoted symbol cannot hold them); not starting with `.` or `@`
    /// (reserved for solvers); not an SMT-LIB2 reserved word or command; not a symbol of the Core
    /// or bit-vector theories (cvc5 refuses to shadow them). Anything else is fine: Z3's printer
    /// quotes names such as `0000:01:00.0 BAR0 start` as `|0000:01:00.0 BAR0 start|`.
    ///
    /// With `fresh`, `name` is the prefix of a fresh constant (Z3 appends `!<n>`), so only the
    /// character rules apply.
    public static func checkName(_ name: String, fresh: Bool = false) throws {
        let problem: String?
        if name.isEmpty {
            problem = "is empty"
        } else if name.contains(where: { $0 == "|" || $0 == "\\" }) {
            problem = "contains | or \\"
        } else if name.hasPrefix(".") || name.hasPrefix("@") {
            problem = "starts with . or @, which SMT-LIB2 reserves for solvers"
        } else if !fresh && reservedNames.contains(name) {
            problem = "is an SMT-LIB2 reserved word or theory symbol"
        } else {
            problem = nil
        }
        if let problem {
            throw Z3Error(code: Z3_INVALID_ARG.rawValue, message: "constant name \"\(name)\" \(problem)",
                          operation: fresh ? "mk_fresh_const" : "mk_const")
        }
    }

    private static let reservedNames: Set<String> = [
        // SMT-LIB 2.6 reserved words and command names.
        "!", "_", "as", "BINARY", "DECIMAL", "exists", "HEXADECIMAL", "forall", "let", "match", "NUMERAL",
        "par", "STRING", "assert", "check-sat", "check-sat-assuming", "declare-const", "declare-datatype",
        "declare-datatypes", "declare-fun", "declare-sort", "define-fun", "define-fun-rec", "define-funs-rec",
        "define-sort", "echo", "exit", "get-assertions", "get-assignment", "get-info", "get-model",
        "get-option", "get-proof", "get-unsat-assumptions", "get-unsat-core", "get-value", "pop", "push",
        "reset", "reset-assertions", "set-info", "set-logic", "set-option",
        // Core theory.
        "true", "false", "not", "=>", "and", "or", "xor", "=", "distinct", "ite",
        // Fixed-size bit-vectors, QF_BV extensions, and the overflow predicates of newer SMT-LIB.
        "concat", "extract", "bvnot", "bvand", "bvor", "bvneg", "bvadd", "bvmul", "bvudiv", "bvurem", "bvshl",
        "bvlshr", "bvult", "bvnand", "bvnor", "bvxor", "bvxnor", "bvcomp", "bvsub", "bvsdiv", "bvsrem", "bvsmod",
        "bvashr", "repeat", "zero_extend", "sign_extend", "rotate_left", "rotate_right", "bvule", "bvugt",
        "bvuge", "bvslt", "bvsle", "bvsgt", "bvsge", "bvnego", "bvuaddo", "bvsaddo", "bvumulo", "bvsmulo",
        "bvusubo", "bvssubo", "bvsdivo", "bvredor", "bvredand",
    ]
}
