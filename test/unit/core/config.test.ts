import { strict as assert } from "assert";
import { credentialsFor, setConfigSource } from "../../../provider/core/config";

// Credentials are read from the provider's config when a connection is dialled; what is missing
// is said in terms of what to configure.
describe("credentialsFor: key, ssh-agent, what to configure", () => {
    const cfg = (c: Record<string, string>) => setConfigSource({ get: (k) => c[k] });
    const KH = "10.0.0.1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB";
    afterEach(() => setConfigSource({ get: () => undefined }));

    it("the key of keyRef; no agent unless asked for", () => {
        cfg({ "dvrlab:labKey": "KEY", "dvrlab:knownHosts": KH });
        assert.deepEqual(credentialsFor({ host: "10.0.0.1", port: 22, user: "root", keyRef: "labKey" }, { SSH_AUTH_SOCK: "/tmp/agent.sock" }), {
            privateKey: "KEY",
            passphrase: undefined,
            agent: undefined,
            knownHosts: KH,
        });
    });

    it("agent: true with no key configured: the agent alone; with a key: both", () => {
        cfg({ "dvrlab:knownHosts": KH });
        assert.deepEqual(credentialsFor({ host: "10.0.0.1", port: 22, user: "debian", agent: true }, { SSH_AUTH_SOCK: "/tmp/agent.sock" }), {
            privateKey: undefined,
            passphrase: undefined,
            agent: "/tmp/agent.sock",
            knownHosts: KH,
        });
        cfg({ "dvrlab:sshPrivateKey": "KEY", "dvrlab:knownHosts": KH });
        assert.equal(credentialsFor({ host: "10.0.0.1", port: 22, user: "debian", agent: true }, { SSH_AUTH_SOCK: "/tmp/a" }).privateKey, "KEY");
    });

    it("agent: true without SSH_AUTH_SOCK, and no key without an agent, say what to configure", () => {
        cfg({ "dvrlab:knownHosts": KH });
        assert.throws(
            () => credentialsFor({ host: "10.0.0.1", port: 2222, user: "debian", agent: true, keyRef: "labKey" }, {}),
            (e: Error) =>
                e.message ===
                "no ssh-agent for debian@10.0.0.1:2222: its connection has agent: true but SSH_AUTH_SOCK is not set in the environment of pulumi; " +
                    "start an agent and add the key (eval $(ssh-agent); ssh-add KEY) in the shell that runs pulumi, or set config dvrlab:labKeyFile (or dvrlab:labKey, secret) and drop agent",
        );
        assert.throws(
            () => credentialsFor({ host: "10.0.0.1", port: 22, user: "root" }, { SSH_AUTH_SOCK: "/tmp/a" }),
            (e: Error) =>
                e.message ===
                "no SSH private key for root@10.0.0.1: set config dvrlab:sshPrivateKey (secret) or dvrlab:sshPrivateKeyFile, or use an ssh-agent (agent: true and SSH_AUTH_SOCK)",
        );
    });
});
