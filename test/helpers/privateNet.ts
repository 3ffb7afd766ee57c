// Host scripts run for real in unit tests, inside a private network and mount namespace (unshare;
// a tmpfs on /run/netns keeps `ip netns` names private too): nothing of the machine's network is
// touched, and two runs can go side by side. Needs root, as the rest of the suite's real tests.
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import type { Argv } from "../../provider/ssh/quote";
import { shellJoin } from "../../provider/ssh/quote";

export interface PrivateNetOptions {
    /** Runs first, its output not returned (e.g. devices the steps then read). */
    setup?: string;
    /** A directory put first on PATH (stub binaries such as an ovs-vsctl printing captured rows). */
    binDir?: string;
}

/** Runs each step (a shell line, or an argv quoted as the executor would) in order; returns each step's stdout. */
export function inPrivateNet(steps: (string | Argv)[], opts: PrivateNetOptions = {}): string[] {
    const script = [
        "set -e",
        // /run/netns is where ip(8) keeps names (it makes the directory itself on first use)
        "mkdir -p /run/netns",
        "mount -t tmpfs dvrlab-test /run/netns",
        ...(opts.setup ? [opts.setup] : []),
        ...steps.map((s, i) => `echo @@@step${i}; ${typeof s === "string" ? s : shellJoin(s)}`),
    ].join("\n");
    const r = spawnSync("unshare", ["-m", "-n", "--propagation", "private", "sh", "-c", script], {
        encoding: "utf8",
        timeout: 30_000,
        env: opts.binDir ? { ...process.env, PATH: `${opts.binDir}:${process.env.PATH}` } : process.env,
    });
    assert.equal(r.status, 0, `${r.stderr}\n${r.stdout}`);
    return r.stdout.split(/^@@@step\d+\n/m).slice(1);
}
