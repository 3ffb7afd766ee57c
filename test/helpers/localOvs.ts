// A private Open vSwitch for a test: its own ovsdb-server and ovs-vswitchd in a temp directory,
// dummy datapath (--enable-dummy: no kernel module, no devices in any namespace), stopped by PID.
// Real OVS parsing flows, traces and tables; nothing shared with the lab or the machine.
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export interface LocalOvs {
    dir: string;
    /** ovs-vsctl against this instance; throws with stderr unless it exits 0. */
    vsctl(...args: string[]): string;
    /** ovs-ofctl (OpenFlow10–15, names off) against a bridge of this instance. */
    ofctl(...args: string[]): string;
    /** ovs-appctl to this ovs-vswitchd: exit code and output, never throws. */
    appctl(...args: string[]): { code: number; stdout: string; stderr: string };
    stop(): void;
}

const run = (cmd: string, args: string[], input?: string) => execFileSync(cmd, args, { encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"] });

/** Whether OVS's binaries are installed (scripts/setup.sh installs openvswitch-switch). */
export function haveOvs(): boolean {
    return ["ovsdb-tool", "ovsdb-server", "ovs-vswitchd", "ovs-vsctl", "ovs-ofctl", "ovs-appctl"].every(
        (b) => spawnSync("sh", ["-c", `command -v ${b}`]).status === 0,
    );
}

export function startLocalOvs(): LocalOvs {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dvrlab-ovs-"));
    const db = `unix:${dir}/db.sock`;
    const schema = ["/usr/share/openvswitch/vswitch.ovsschema", "/usr/local/share/openvswitch/vswitch.ovsschema"].find((f) => fs.existsSync(f));
    if (!schema) throw new Error("vswitch.ovsschema not found: is openvswitch-switch installed?");
    run("ovsdb-tool", ["create", `${dir}/conf.db`, schema]);
    // OVS_RUNDIR keeps every socket and pid file of both daemons in dir.
    const env = { ...process.env, OVS_RUNDIR: dir, OVS_DBDIR: dir, OVS_LOGDIR: dir };
    const daemon = ["--detach", "--no-chdir", "-vconsole:off"];
    execFileSync(
        "ovsdb-server",
        [
            `${dir}/conf.db`,
            `--remote=punix:${dir}/db.sock`,
            `--unixctl=${dir}/ovsdb.ctl`,
            `--pidfile=${dir}/ovsdb.pid`,
            `--log-file=${dir}/ovsdb.log`,
            ...daemon,
        ],
        { env, stdio: "pipe" },
    );
    const pids: number[] = [Number(fs.readFileSync(`${dir}/ovsdb.pid`, "utf8").trim())];
    const stop = () => {
        for (const pid of pids.reverse()) {
            try {
                process.kill(pid, "SIGTERM");
            } catch {
                /* already gone */
            }
        }
        fs.rmSync(dir, { recursive: true, force: true });
    };
    try {
        run("ovs-vsctl", [`--db=${db}`, "--no-wait", "init"]);
        execFileSync(
            "ovs-vswitchd",
            [
                db,
                "--enable-dummy=override",
                "--disable-system",
                `--unixctl=${dir}/vswitchd.ctl`,
                `--pidfile=${dir}/vswitchd.pid`,
                `--log-file=${dir}/vswitchd.log`,
                ...daemon,
            ],
            { env, stdio: "pipe" },
        );
        pids.push(Number(fs.readFileSync(`${dir}/vswitchd.pid`, "utf8").trim()));
    } catch (e) {
        stop();
        throw e;
    }
    return {
        dir,
        vsctl: (...args) => run("ovs-vsctl", [`--db=${db}`, "--timeout=10", ...args]),
        ofctl: (...args) => {
            // ovs-ofctl reaches a bridge through its mgmt socket in the rundir.
            const [cmd, bridge, ...rest] = args;
            return run("ovs-ofctl", [
                "-O",
                "OpenFlow10,OpenFlow11,OpenFlow12,OpenFlow13,OpenFlow14,OpenFlow15",
                "--no-names",
                cmd,
                `unix:${dir}/${bridge}.mgmt`,
                ...rest,
            ]);
        },
        appctl: (...args) => {
            const r = spawnSync("ovs-appctl", ["-t", `${dir}/vswitchd.ctl`, ...args], { encoding: "utf8" });
            return { code: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
        },
        stop,
    };
}
