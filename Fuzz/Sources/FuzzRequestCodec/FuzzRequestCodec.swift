// libFuzzer target (a): a client's text frame through `RequestCodec.decode`, as the bridge does for every frame.
//
// Oracles beyond "no crash, no ASan report": a frame that decodes re-encodes (`RequestCodec.encode`, what the
// Swift client sends) to bytes that decode to the same request, and a refusal never quotes a secret field's value.

import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequestCodec(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    switch RequestCodec.decode(bytes) {
    case .success(let envelope):
        let encoded = RequestCodec.encode(envelope)
        switch RequestCodec.decode(encoded) {
        case .success(let again):
            // Values are not printed: the request may hold a token or a PIN.
            expect(again == envelope, "round trip changed a '\(envelope.request.type.rawValue)' request")
        case .failure(let error):
            fatalError("re-encoded '\(envelope.request.type.rawValue)' request fails: \(error)")
        }
    case .failure(let error):
        checkNoSecretQuoted(error, frame: bytes)
    }
    return 0
}

/// The codec promises that no field value is quoted in an error; check it for the secret-bearing fields.
/// Values shorter than 12 characters could appear in the fixed wording by chance, so only longer ones count.
private func checkNoSecretQuoted(_ error: RequestDecodingError, frame: [UInt8]) {
    let message: String
    switch error {
    case .unreadable(let text): message = text
    case .unknownType: return  // echoes the `type` name only, which is not a secret field
    case .invalidFields(_, _, let text): message = text
    }
    guard case .object(let object)? = try? JSONDecoder().decode(JSONValue.self, from: Data(frame)) else { return }
    for key in ["token", "pin"] {
        guard case .string(let secret)? = object[key], secret.count >= 12 else { continue }
        expect(!message.contains(secret), "a decoding error quotes the '\(key)' field")
    }
}

/// An oracle: stops the run with `message` when `condition` is false. `precondition` drops its message in
/// release builds (the fuzzers are -O), `fatalError` keeps it, so a crash report says which property broke.
private func expect(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }
}
