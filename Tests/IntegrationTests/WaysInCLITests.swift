import BridgeProtocol
import Foundation
import InfinitySimulator
import Testing

/// The remote control's ways in: `join --extension`, `extension`, `idp` and `sso-token` (the token read like a
/// PIN, from standard input, never from argv) against a real bridge.
@Suite("The remote control's ways in")
struct WaysInCLITests {
    @Test func receptionIdentityProviderAndSignInFromTheShell() async throws {
        try await withRemoteBridge({ $0.simulator.rooms += WaysInIntegrationTests.rooms }) { bridge in
            let url = ["--url", bridge.url]

            // A reception: join, a wrong target (exit 1, the session stays), the right one.
            let join = try await runPexbridge(
                ["join", "--node", "simulator", "--alias", "t.reception", "--name", "Desk"] + url
            )
            #expect(join.status == 0, "\(join.stderr)")
            let session = join.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(join.stderr.contains("extension_required"))
            #expect(join.stderr.contains("pexbridge extension \(session) TARGET"))
            let wrong = try await runPexbridge(["extension", session, "t.nowhere"] + url)
            #expect(wrong.status == 1)
            #expect(wrong.stderr.contains("extension_not_found"))
            let right = try await runPexbridge(["extension", session, "t.open"] + url)
            #expect(right.status == 0, "\(right.stderr)")
            #expect(right.stderr.contains("connected"))

            // The extension up front, then the target's PIN from stdin.
            let upFront = try await runPexbridge(
                [
                    "join", "--node", "simulator", "--alias", "t.reception", "--extension", "t.pin", "--name", "Desk 2",
                    "--pin-stdin",
                ] + url,
                stdin: TestPINs.guest + "\n"
            )
            #expect(upFront.status == 0, "\(upFront.stderr)")
            #expect(upFront.stderr.contains("role guest"))

            // An identity provider, then the sign-in token from standard input.
            let sso = try await runPexbridge(
                ["join", "--node", "simulator", "--alias", "t.sso", "--name", "Desk 3"] + url
            )
            let ssoSession = sso.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(sso.stderr.contains("idp_required"))
            #expect(sso.stderr.contains(WaysInIntegrationTests.idp.uuid))
            let chosen = try await runPexbridge(["idp", ssoSession, WaysInIntegrationTests.idp.uuid] + url)
            #expect(chosen.status == 0, "\(chosen.stderr)")
            #expect(chosen.stderr.contains("sso_required"))
            #expect(chosen.stderr.contains("/sso/signin?idp="))
            let forged = "forged-cli-token-31415"
            let refused = try await runPexbridge(["sso-token", ssoSession] + url, stdin: forged + "\n")
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("sso_failed"))
            let token = bridge.simulator.mintSSOToken(idp: WaysInIntegrationTests.idp.uuid, user: "desk")
            let signedIn = try await runPexbridge(["sso-token", ssoSession] + url, stdin: token + "\n")
            #expect(signedIn.status == 0, "\(signedIn.stderr)")
            #expect(signedIn.stderr.contains("connected"))
            let empty = try await runPexbridge(["sso-token", ssoSession] + url, stdin: "\n")
            #expect(empty.status == 64)

            for run in [join, wrong, right, upFront, sso, chosen, refused, signedIn] {
                #expect(!run.stdout.contains(token) && !run.stderr.contains(token))
                #expect(!run.stderr.contains(forged))
                #expect(free(ofPINs: run.stdout + run.stderr))
            }
            #expect(!bridge.logs.all.contains { $0.contains(token) || $0.contains(forged) })

            // Without --node the alias needs a domain.
            let noNode = try await runPexbridge(["join", "--alias", "t.open", "--name", "Desk"] + url)
            #expect(noNode.status == 64)
        }
    }
}
