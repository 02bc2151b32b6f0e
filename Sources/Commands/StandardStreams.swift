import Foundation

public func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

public func printOut(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}

/// Writes a document as it was encoded (a fleet's JSON runs to hundreds of MB: no copy through a String).
public func printOut(_ data: Data) {
    FileHandle.standardOutput.write(data)
}
