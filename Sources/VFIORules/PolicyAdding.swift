extension Policy {
    /// The policy with one more clause, named as this policy's own (`<name>.<rule>`): what a
    /// kernel with that rule added would grant. Used to test whether a clause of another policy
    /// prevents a counterexample. Removed clauses stay removed.
    public func adding(_ rule: Rule) -> Policy { adding([rule]) }
}
