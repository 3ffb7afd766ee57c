import { strict as assert } from "assert";
import { commandLine } from "../../../provider/core/commandLog";

describe("command debug log lines", () => {
    const c = { host: "172.30.124.64", port: 22, user: "root" };

    it("names the resource, the host, the exit code, the time and each command, quoted as run", () => {
        assert.equal(
            commandLine(
                "OvsBridge 172.30.124.64/br-int create",
                c,
                [
                    ["ovs-vsctl", "--may-exist", "add-br", "br-int"],
                    ["ip", "link", "set", "dev", "br int", "up"],
                ],
                { code: 0, ms: 12 },
            ),
            [
                "dvrlab OvsBridge 172.30.124.64/br-int create: root@172.30.124.64:22 exit 0 in 12 ms",
                "  $ ovs-vsctl --may-exist add-br br-int",
                "  $ ip link set dev 'br int' up",
            ].join("\n"),
        );
    });

    it("says how many bytes went to stdin, and the first line of an error instead of an exit code", () => {
        assert.equal(
            commandLine("DhcpLease x update", c, [["sh", "-c", "cat"]], { code: 3, ms: 5, stdinBytes: 42 }),
            "dvrlab DhcpLease x update: root@172.30.124.64:22 exit 3 in 5 ms (stdin 42 bytes)\n  $ sh -c cat",
        );
        assert.equal(
            commandLine("HostFile y read", c, [["stat", "/x"]], { error: "cannot connect to root@172.30.124.64:22: ECONNREFUSED\nmore", ms: 1004 }),
            "dvrlab HostFile y read: root@172.30.124.64:22 failed: cannot connect to root@172.30.124.64:22: ECONNREFUSED in 1004 ms\n  $ stat /x",
        );
    });
});
