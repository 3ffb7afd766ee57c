// pulumi-language-nodejs for dvrlab: a minimal Node.js language host.
//
// Upstream's language host is not served by the Go module proxy this project can reach, so dvrlab
// ships its own. It implements what `pulumi up/preview/refresh/destroy` need for a Node.js
// program: Run (spawn @pulumi/pulumi's cmd/run with the engine's arguments), plugin discovery
// from node_modules, and version info. Everything else answers Unimplemented, which the engine
// treats as "older language host" and tolerates.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	pbempty "google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/grpc"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// Exit code @pulumi/pulumi's run script uses after it has already reported a user-facing error.
const exitBail = 32

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engineAddress string
	tracing       string
}

func main() {
	tracing := flag.String("tracing", "", "tracing endpoint (passed through to the program)")
	_ = flag.String("root", "", "project root (unused; the engine sends it with every request)")
	flag.Parse()
	h := &host{tracing: *tracing}
	if args := flag.Args(); len(args) > 0 {
		h.engineAddress = args[0]
	}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(s *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(s, h)
			return nil
		},
		Options: rpcutil.OpenTracingServerInterceptorOptions(nil),
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: cannot serve: %v\n", err)
		os.Exit(1)
	}
	// The engine reads our port from the first line of stdout.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: %v\n", err)
		os.Exit(1)
	}
}

func (h *host) Handshake(ctx context.Context, req *pulumirpc.LanguageHandshakeRequest) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.engineAddress = req.GetEngineAddress()
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(ctx context.Context, _ *pbempty.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

type packageJSON struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Pulumi  struct {
		Resource bool   `json:"resource"`
		Name     string `json:"name"`
		Version  string `json:"version"`
		Server   string `json:"server"`
	} `json:"pulumi"`
}

// Plugins are the node_modules packages (one level, scoped included) that declare
// {"pulumi": {"resource": true}} — e.g. @pulumi/command.
func (h *host) GetRequiredPlugins(ctx context.Context, req *pulumirpc.GetRequiredPluginsRequest) (*pulumirpc.GetRequiredPluginsResponse, error) {
	root := req.GetInfo().GetRootDirectory()
	if root == "" {
		root = req.GetPwd()
	}
	var plugins []*pulumirpc.PluginDependency
	for dir := root; ; dir = filepath.Dir(dir) {
		nm := filepath.Join(dir, "node_modules")
		if st, err := os.Stat(nm); err == nil && st.IsDir() {
			plugins = append(plugins, scanNodeModules(nm)...)
			break
		}
		if filepath.Dir(dir) == dir {
			break
		}
	}
	return &pulumirpc.GetRequiredPluginsResponse{Plugins: plugins}, nil
}

func scanNodeModules(nm string) []*pulumirpc.PluginDependency {
	var out []*pulumirpc.PluginDependency
	entries, _ := os.ReadDir(nm)
	for _, e := range entries {
		dirs := []string{filepath.Join(nm, e.Name())}
		if strings.HasPrefix(e.Name(), "@") {
			dirs = nil
			sub, _ := os.ReadDir(filepath.Join(nm, e.Name()))
			for _, s := range sub {
				dirs = append(dirs, filepath.Join(nm, e.Name(), s.Name()))
			}
		}
		for _, d := range dirs {
			b, err := os.ReadFile(filepath.Join(d, "package.json"))
			if err != nil {
				continue
			}
			var p packageJSON
			if json.Unmarshal(b, &p) != nil || !p.Pulumi.Resource {
				continue
			}
			name := p.Pulumi.Name
			if name == "" {
				name = strings.TrimPrefix(strings.TrimPrefix(p.Name, "@pulumi/"), "@")
			}
			v := p.Pulumi.Version
			if v == "" {
				v = p.Version
			}
			if !strings.HasPrefix(v, "v") {
				v = "v" + v
			}
			out = append(out, &pulumirpc.PluginDependency{Name: name, Kind: "resource", Version: v, Server: p.Pulumi.Server})
		}
	}
	return out
}

func (h *host) InstallDependencies(req *pulumirpc.InstallDependenciesRequest, srv grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse]) error {
	// dvrlab's setup runs `npm ci`; nothing to install here.
	return nil
}

func (h *host) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	out, _ := exec.Command("node", "--version").Output()
	return &pulumirpc.AboutResponse{Executable: "node", Version: strings.TrimSpace(string(out))}, nil
}

func (h *host) GetProgramDependencies(ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest) (*pulumirpc.GetProgramDependenciesResponse, error) {
	return &pulumirpc.GetProgramDependenciesResponse{}, nil
}

func optionString(opts map[string]any, key string) (string, bool) {
	v, ok := opts[key]
	if !ok || v == nil {
		return "", false
	}
	return fmt.Sprint(v), true
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	root := info.GetRootDirectory()
	if root == "" {
		root = req.GetPwd()
	}
	progDir := info.GetProgramDirectory()
	if progDir == "" {
		progDir = root
	}
	entry := info.GetEntryPoint()
	if entry == "" {
		entry = "."
	}
	// Always an absolute path: "." would make @pulumi/pulumi's run script fall back to the "main"
	// of the nearest package.json, which is not the program when a project lives inside a package.
	program := filepath.Join(progDir, entry)
	opts := map[string]any{}
	if info.GetOptions() != nil {
		opts = info.GetOptions().AsMap()
	}

	// Node resolves @pulumi/pulumi from the nearest node_modules up the tree; so do we.
	runScript := os.Getenv("PULUMI_LANGUAGE_NODEJS_RUN_PATH")
	for dir := root; runScript == ""; dir = filepath.Dir(dir) {
		candidate := filepath.Join(dir, "node_modules", "@pulumi", "pulumi", "cmd", "run")
		if _, err := os.Stat(candidate); err == nil {
			runScript = candidate
		} else if filepath.Dir(dir) == dir {
			return &pulumirpc.RunResponse{Error: "@pulumi/pulumi is not installed for " + root + " (run npm ci)"}, nil
		}
	}

	var args []string
	if nodeargs, ok := optionString(opts, "nodeargs"); ok && nodeargs != "" {
		args = append(args, strings.Fields(nodeargs)...)
	}
	args = append(args, runScript)
	add := func(k, v string) {
		if v != "" {
			args = append(args, "--"+k, v)
		}
	}
	add("monitor", req.GetMonitorAddress())
	add("engine", h.engineAddress)
	add("organization", req.GetOrganization())
	add("project", req.GetProject())
	add("root-directory", root)
	add("stack", req.GetStack())
	add("pwd", req.GetPwd())
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	add("parallel", fmt.Sprint(req.GetParallel()))
	add("tracing", h.tracing)
	args = append(args, program)
	args = append(args, req.GetArgs()...)

	config, err := json.Marshal(req.GetConfig())
	if err != nil {
		return nil, err
	}
	secretKeys, err := json.Marshal(req.GetConfigSecretKeys())
	if err != nil {
		return nil, err
	}
	env := append(os.Environ(),
		"PULUMI_CONFIG="+string(config),
		"PULUMI_CONFIG_SECRET_KEYS="+string(secretKeys),
	)
	typescript := true
	if v, ok := opts["typescript"].(bool); ok {
		typescript = v
	}
	env = append(env, fmt.Sprintf("PULUMI_NODEJS_TYPESCRIPT=%v", typescript))
	if p, ok := optionString(opts, "tsconfig"); ok && p != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+p)
	}

	cmd := exec.CommandContext(ctx, "node", args...)
	cmd.Dir = root
	cmd.Env = env
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			if exitErr.ExitCode() == exitBail {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exitErr.ExitCode())}, nil
		}
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not run node: %v", err)}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}
