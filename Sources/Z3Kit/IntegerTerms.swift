import CZ3

/// A mathematical integer term (SMT-LIB `Int`), for linear integer arithmetic.
public struct IntegerTerm {
    let ast: AST
    public var context: Context { ast.context }
    init(_ ast: AST) { self.ast = ast }

    /// Z3's identifier of the term (`Z3_get_ast_id`).
    public var id: UInt32 { Z3_get_ast_id(ast.context.raw, ast.raw) }
}

extension Context {
    /// The integer sort.
    public func integerSort() throws -> Sort {
        try Sort(self, Z3_mk_int_sort(raw), "mk_int_sort")
    }

    /// The integer literal written in decimal by `digits` (any size, such as 2^64).
    public func integer(_ digits: String) throws -> IntegerTerm {
        let sort = try integerSort()
        return IntegerTerm(try wrap(Z3_mk_numeral(raw, digits, sort.raw), "mk_numeral \(digits)"))
    }

    /// The integer literal `value`.
    public func integer(_ value: UInt64) throws -> IntegerTerm { try integer(String(value)) }

    /// A named integer constant. The same name in the same context is the same constant.
    public func integerConstant(_ name: String) throws -> IntegerTerm {
        try SMTLIB2.checkName(name)
        let sort = try integerSort()
        let symbol = Z3_mk_string_symbol(raw, name)
        return IntegerTerm(try wrap(Z3_mk_const(raw, symbol, sort.raw), "mk_const \(name)"))
    }

    /// An integer constant distinct from every other, named after `prefix`.
    public func freshInteger(_ prefix: String) throws -> IntegerTerm {
        try SMTLIB2.checkName(prefix, fresh: true)
        let sort = try integerSort()
        return IntegerTerm(try wrap(Z3_mk_fresh_const(raw, prefix, sort.raw), "mk_fresh_const \(prefix)"))
    }
}

extension BoolTerm {
    /// `if self then a else b` over integers.
    public func ite(_ a: IntegerTerm, _ b: IntegerTerm) throws -> IntegerTerm {
        try context.requireOwned(a.ast, "mk_ite")
        try context.requireOwned(b.ast, "mk_ite")
        return IntegerTerm(try context.wrap(Z3_mk_ite(context.raw, ast.raw, a.ast.raw, b.ast.raw), "mk_ite"))
    }
}

extension IntegerTerm {
    private static func list(_ a: IntegerTerm, _ b: IntegerTerm, _ name: String,
                             _ mk: (Z3_context?, UInt32, UnsafePointer<Z3_ast?>?) -> Z3_ast?) throws -> IntegerTerm {
        try a.context.requireOwned(b.ast, name)
        let args: [Z3_ast?] = [a.ast.raw, b.ast.raw]
        return IntegerTerm(try a.context.wrap(mk(a.context.raw, 2, args), name))
    }

    private static func binary(_ a: IntegerTerm, _ b: IntegerTerm, _ name: String,
                               _ mk: (Z3_context?, Z3_ast?, Z3_ast?) -> Z3_ast?) throws -> IntegerTerm {
        try a.context.requireOwned(b.ast, name)
        return IntegerTerm(try a.context.wrap(mk(a.context.raw, a.ast.raw, b.ast.raw), name))
    }

    private static func predicate(_ a: IntegerTerm, _ b: IntegerTerm, _ name: String,
                                  _ mk: (Z3_context?, Z3_ast?, Z3_ast?) -> Z3_ast?) throws -> BoolTerm {
        try a.context.requireOwned(b.ast, name)
        return BoolTerm(try a.context.wrap(mk(a.context.raw, a.ast.raw, b.ast.raw), name))
    }

    public static func + (a: IntegerTerm, b: IntegerTerm) throws -> IntegerTerm { try list(a, b, "mk_add", Z3_mk_add) }
    public static func - (a: IntegerTerm, b: IntegerTerm) throws -> IntegerTerm { try list(a, b, "mk_sub", Z3_mk_sub) }
    /// Multiplication; linear arithmetic needs one side to be a literal.
    public static func * (a: IntegerTerm, b: IntegerTerm) throws -> IntegerTerm { try list(a, b, "mk_mul", Z3_mk_mul) }
    /// Integer division (SMT-LIB `div`); linear arithmetic needs a literal divisor.
    public static func / (a: IntegerTerm, b: IntegerTerm) throws -> IntegerTerm { try binary(a, b, "mk_div", Z3_mk_div) }
    /// Remainder (SMT-LIB `mod`, never negative); linear arithmetic needs a literal divisor.
    public static func % (a: IntegerTerm, b: IntegerTerm) throws -> IntegerTerm { try binary(a, b, "mk_mod", Z3_mk_mod) }

    public static func == (a: IntegerTerm, b: IntegerTerm) throws -> BoolTerm { try predicate(a, b, "mk_eq", Z3_mk_eq) }
    public static func < (a: IntegerTerm, b: IntegerTerm) throws -> BoolTerm { try predicate(a, b, "mk_lt", Z3_mk_lt) }
    public static func <= (a: IntegerTerm, b: IntegerTerm) throws -> BoolTerm { try predicate(a, b, "mk_le", Z3_mk_le) }
}
