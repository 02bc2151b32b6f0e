import Z3Kit

// Placeholder replaced by the argument-parser CLI.
print("barproof 0.1.0 (Z3 \(Context.fullVersion))")
