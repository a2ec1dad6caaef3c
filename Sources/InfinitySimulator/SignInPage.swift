import Foundation
import Hummingbird

/// The simulated identity provider's sign-in page, at the `redirect_url` the simulator hands out.
///
/// `GET /sso/signin?idp=UUID&conference=ALIAS` shows a form (user name, "Sign in"); posting it mints an SSO token
/// and answers with a page that hands the token back the way Pexip's web clients receive it: opened as a popup,
/// it calls `window.opener.postMessage({"type":"pexip-sso","token":TOKEN}, "*")` and closes; otherwise it shows
/// the token to paste into `pexbridge sso-token`.
enum SignInPage {
    static let prefix = "/sso/"

    static func respond(to request: Request, engine: SimulatorEngine) async throws -> Response {
        guard request.uri.path == prefix + "signin" else { return html(404, page("Not found", "<p>No such page.</p>")) }
        var fields: [String: String] = [:]
        for (key, value) in request.uri.queryParameters { fields[String(key)] = String(value) }
        if request.method == .post {
            var request = request
            let body = try await request.collectBody(upTo: 16 * 1024)
            for (key, value) in formFields(String(buffer: body)) { fields[key] = value }
        } else if request.method != .get {
            return html(405, page("Method not allowed", "<p>Use GET or POST.</p>"))
        }
        let idpUUID = fields["idp"] ?? ""
        let conference = fields["conference"] ?? ""
        guard let idp = engine.read({ $0.identityProvider(idpUUID) }) else {
            return html(400, page("Unknown identity provider", "<p>This sign-in link names no known provider.</p>"))
        }
        let user = (fields["user"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard request.method == .post, !user.isEmpty else {
            let note = request.method == .post ? "<p role=\"alert\">Enter a user name.</p>" : ""
            return html(200, form(idp: idp, conference: conference, note: note))
        }
        let token = engine.mutate { state, now in state.mintSSOToken(idp: idp.uuid, user: user, now: now) }
        return html(200, signedIn(idp: idp, user: user, token: token))
    }

    private static func form(idp: SimulatedIdentityProvider, conference: String, note: String) -> String {
        page(
            "Sign in with \(escaped(idp.name))",
            """
            <p>Sign in to join <strong>\(escaped(conference))</strong>.</p>
            \(note)
            <form method="post" action="\(prefix)signin">
              <input type="hidden" name="idp" value="\(escaped(idp.uuid))">
              <input type="hidden" name="conference" value="\(escaped(conference))">
              <label for="user">User name</label>
              <input id="user" name="user" autocomplete="username" required autofocus>
              <button type="submit" id="sign-in">Sign in</button>
            </form>
            """
        )
    }

    private static func signedIn(idp: SimulatedIdentityProvider, user: String, token: String) -> String {
        // The token is base64url: safe inside a JavaScript string and HTML as it is.
        page(
            "Signed in",
            """
            <p>Signed in as <strong>\(escaped(user))</strong> with \(escaped(idp.name)).</p>
            <div id="manual" hidden>
              <p>Paste this token into <code>pexbridge sso-token</code> (or the bridge page's paste field):</p>
              <p><code id="sso-token">\(token)</code></p>
            </div>
            <script>
            (function () {
              var token = "\(token)";
              if (window.opener && !window.opener.closed) {
                window.opener.postMessage({ type: "pexip-sso", token: token }, "*");
                window.close();
              } else {
                document.getElementById("manual").hidden = false;
              }
            })();
            </script>
            """
        )
    }

    private static func page(_ title: String, _ body: String) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>\(title)</title>
        <meta name="viewport" content="width=device-width, initial-scale=1"></head>
        <body><main><h1>\(title)</h1>
        \(body)
        <p><small>pexbridge simulator identity provider</small></p></main></body></html>
        """
    }

    private static func html(_ status: Int, _ text: String) -> Response {
        Response(
            status: .init(code: status, reasonPhrase: HTTPReasonPhrase.phrase(for: status)),
            headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text))
        )
    }

    static func escaped(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// `application/x-www-form-urlencoded` pairs.
    static func formFields(_ text: String) -> [(String, String)] {
        text.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            return (parts.first ?? "", parts.count > 1 ? parts[1] : "")
        }
    }
}
