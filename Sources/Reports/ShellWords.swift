/// `word` as one shell word, for the command lines barproof prints (the fixture README's, `explain`'s
/// pointer to `search`): unchanged when it holds only safe characters, else single-quoted.
public func shellQuoted(_ word: String) -> String {
    let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=+,@")
    if !word.isEmpty && word.allSatisfy(safe.contains) { return word }
    var quoted = "'"
    for c in word { quoted += c == "'" ? "'\\''" : String(c) }
    return quoted + "'"
}
