// Profiling hook for bench/dvr.ts, loaded into every node process of a pulumi run with
// NODE_OPTIONS="--require <this file>" when DVRLAB_BENCH_STATS names a directory: counts SSH
// connections and commands per host (node-ssh, which both dvrlab's executor and the remote.Command
// emulation use), the time commands were in flight, and a histogram of the programs run; writes
// <dir>/ssh.<pid>.json after every command (pulumi may kill a provider without an exit event).
"use strict";
const dir = process.env.DVRLAB_BENCH_STATS;
if (dir) {
    const fs = require("fs");
    const path = require("path");
    let NodeSSH;
    try {
        NodeSSH = require(require.resolve("node-ssh", { paths: [path.resolve(__dirname, "../..")] })).NodeSSH;
    } catch (_e) {
        NodeSSH = undefined;
    }
    if (NodeSSH) {
        const hosts = {};
        const progs = {};
        const t0 = Date.now();
        let inFlight = 0;
        let busySince = 0;
        let busyMs = 0;
        let dirty = false;
        const h = (name) => (hosts[name] = hosts[name] || { connects: 0, connectMs: 0, commands: 0, commandMs: 0, maxConcurrent: 0, concurrent: 0 });
        const write = () => {
            dirty = false;
            try {
                fs.writeFileSync(
                    path.join(dir, `ssh.${process.pid}.json`),
                    JSON.stringify({ pid: process.pid, argv: process.argv.slice(1, 3), wallMs: Date.now() - t0, busyMs, hosts, progs }),
                );
            } catch (_e) {
                /* best effort */
            }
        };
        const origConnect = NodeSSH.prototype.connect;
        NodeSSH.prototype.connect = async function (cfg) {
            this.__benchHost = cfg && cfg.host;
            const s = Date.now();
            try {
                return await origConnect.apply(this, arguments);
            } finally {
                const x = h(this.__benchHost);
                x.connects++;
                x.connectMs += Date.now() - s;
                write();
            }
        };
        const origExec = NodeSSH.prototype.execCommand;
        NodeSSH.prototype.execCommand = async function (cmd) {
            const x = h(this.__benchHost);
            const s = Date.now();
            if (inFlight++ === 0) busySince = s;
            x.concurrent++;
            x.maxConcurrent = Math.max(x.maxConcurrent, x.concurrent);
            // the program: after dvrlab's "env LC_ALL=C timeout -k 2 N" prefix; sh -c scripts by their first word
            const words = String(cmd)
                .replace(/^env LC_ALL\\?=C timeout -k 2 \d+ /, "")
                .split(/\s+/);
            let prog =
                words[0] === "sh" && words[1] === "-c"
                    ? `sh -c ${(words[2] || "").replace(/^'/, "").slice(0, 24)}`
                    : words.slice(0, words[0] === "ip" || words[0] === "ovs-vsctl" ? 3 : 2).join(" ");
            try {
                return await origExec.apply(this, arguments);
            } finally {
                const e = Date.now();
                x.commands++;
                x.concurrent--;
                x.commandMs += e - s;
                if (--inFlight === 0) busyMs += e - busySince;
                const p = (progs[prog] = progs[prog] || { n: 0, ms: 0 });
                p.n++;
                p.ms += e - s;
                if (!dirty) {
                    dirty = true;
                    setImmediate(write);
                }
            }
        };
        process.on("exit", write);
    }
}

// CPU profile of this process (node refuses --cpu-prof in NODE_OPTIONS): DVRLAB_BENCH_CPUPROF=<dir>
// starts the V8 profiler here and writes <dir>/<argv1>.<pid>.cpuprofile at exit or on SIGINT/SIGTERM
// (a SIGKILL loses the profile).
const profDir = process.env.DVRLAB_BENCH_CPUPROF;
if (profDir) {
    const inspector = require("inspector");
    const fs = require("fs");
    const path = require("path");
    const session = new inspector.Session();
    session.connect();
    const name = `${path.basename(process.argv[1] || "node").replace(/\W+/g, "_")}.${process.pid}.cpuprofile`;
    let done = false;
    const dump = () => {
        if (done) return;
        session.post("Profiler.stop", (err, r) => {
            if (!err && r && r.profile) {
                try {
                    fs.mkdirSync(profDir, { recursive: true });
                    fs.writeFileSync(path.join(profDir, name), JSON.stringify(r.profile));
                } catch (_e) {
                    /* best effort */
                }
            }
        });
    };
    session.post("Profiler.enable", () => session.post("Profiler.setSamplingInterval", { interval: 500 }, () => session.post("Profiler.start")));
    process.on("exit", () => {
        dump();
        done = true;
    });
    for (const sig of ["SIGINT", "SIGTERM"]) {
        process.once(sig, () => {
            dump();
            done = true;
            process.exit(128 + (sig === "SIGINT" ? 2 : 15));
        });
    }
}
