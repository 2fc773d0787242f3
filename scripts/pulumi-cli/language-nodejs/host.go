package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"
)

// The SDK's runner exits with this code after it has reported the program's error itself
// (@pulumi/pulumi cmd/run: nodeJSProcessExitedAfterLoggingUserActionableMessage).
const exitAfterReportedError = 32

type languageHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engineAddress string
}

func (h *languageHost) Handshake(_ context.Context, _ *pulumirpc.LanguageHandshakeRequest) (*pulumirpc.LanguageHandshakeResponse, error) {
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *languageHost) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func (h *languageHost) GetRequiredPackages(_ context.Context, req *pulumirpc.GetRequiredPackagesRequest) (*pulumirpc.GetRequiredPackagesResponse, error) {
	packages, err := requiredPlugins(req.GetInfo().GetProgramDirectory())
	if err != nil {
		return nil, fmt.Errorf("reading the plugins the installed packages declare: %w", err)
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: packages}, nil
}

func (h *languageHost) GetRequiredPlugins(_ context.Context, req *pulumirpc.GetRequiredPluginsRequest) (*pulumirpc.GetRequiredPluginsResponse, error) {
	dir := req.GetInfo().GetProgramDirectory()
	if dir == "" {
		dir = req.GetPwd()
	}
	packages, err := requiredPlugins(dir)
	if err != nil {
		return nil, fmt.Errorf("reading the plugins the installed packages declare: %w", err)
	}
	plugins := make([]*pulumirpc.PluginDependency, 0, len(packages))
	for _, p := range packages {
		plugins = append(plugins, &pulumirpc.PluginDependency{Name: p.Name, Kind: p.Kind, Version: p.Version, Server: p.Server})
	}
	return &pulumirpc.GetRequiredPluginsResponse{Plugins: plugins}, nil
}

func (h *languageHost) GetProgramDependencies(context.Context, *pulumirpc.GetProgramDependenciesRequest) (*pulumirpc.GetProgramDependenciesResponse, error) {
	return &pulumirpc.GetProgramDependenciesResponse{}, nil
}

func (h *languageHost) RuntimeOptionsPrompts(context.Context, *pulumirpc.RuntimeOptionsRequest) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

func (h *languageHost) About(context.Context, *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, errors.New("node is not on PATH")
	}
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("node --version: %w", err)
	}
	return &pulumirpc.AboutResponse{Executable: node, Version: strings.TrimSpace(string(out))}, nil
}

// Run evaluates the program with the SDK's own runner (@pulumi/pulumi/cmd/run, resolved from
// the project's node_modules), which registers its resources with the engine's monitor.
func (h *languageHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	dir := req.GetPwd()
	if dir == "" {
		dir = info.GetProgramDirectory()
	}
	modules, err := findNodeModules(dir)
	if err != nil || modules == "" {
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("no node_modules at or above %s: run `npm ci` in the project", dir)}, nil
	}
	runner := filepath.Join(modules, "@pulumi", "pulumi", "cmd", "run")
	if _, err := os.Stat(filepath.Join(runner, "index.js")); err != nil {
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("@pulumi/pulumi is not installed in %s: run `npm ci` in the project", modules)}, nil
	}

	options := info.GetOptions().AsMap()
	preload, err := configPreload()
	if err != nil {
		return nil, err
	}
	// The config preload first: the nodeargs' own preloads may read config.
	args := append([]string{"--require", preload}, strings.Fields(stringOption(options, "nodeargs"))...)
	args = append(args, runner,
		"--monitor", req.GetMonitorAddress(),
		"--engine", h.engineAddress,
		"--project", req.GetProject(),
		"--stack", req.GetStack(),
		"--pwd", dir,
		"--parallel", strconv.Itoa(int(req.GetParallel())),
	)
	if req.GetOrganization() != "" {
		args = append(args, "--organization", req.GetOrganization())
	}
	if info.GetRootDirectory() != "" {
		args = append(args, "--root-directory", info.GetRootDirectory())
	}
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	program := req.GetProgram()
	if program == "" {
		program = "."
	}
	args = append(args, program)
	args = append(args, req.GetArgs()...)

	env, config, err := runEnvironment(req, options)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, "node", args...)
	cmd.Dir = dir
	cmd.Env = env
	// The config on the program's fd 3 (see config-from-pipe.cjs): secrets never touch a file.
	configReader, configWriter, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("a pipe for the program's config: %w", err)
	}
	cmd.ExtraFiles = []*os.File{configReader}
	go func() {
		// A program that exits before reading makes this fail: its exit is the error reported.
		_, _ = configWriter.Write(config)
		configWriter.Close()
	}()
	defer configWriter.Close()
	defer configReader.Close()
	// The engine shows what a language host prints as the program's own output.
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			if exit.ExitCode() == exitAfterReportedError {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("the program exited with code %d", exit.ExitCode())}, nil
		}
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("cannot run node: %v", err)}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// runEnvironment hands the SDK its configuration the way it reads it: the stack's config and
// which keys are secret as the JSON texts of PULUMI_CONFIG and PULUMI_CONFIG_SECRET_KEYS (sent
// on a pipe, returned here as one JSON object), the TypeScript options as PULUMI_NODEJS_*
// variables.
func runEnvironment(req *pulumirpc.RunRequest, options map[string]interface{}) ([]string, []byte, error) {
	config, err := json.Marshal(req.GetConfig())
	if err != nil {
		return nil, nil, err
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secrets, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, nil, err
	}
	piped, err := json.Marshal(map[string]string{"config": string(config), "secretKeys": string(secrets)})
	if err != nil {
		return nil, nil, err
	}
	// Values inherited from the CLI's own environment must not stand in for the stack's.
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PULUMI_CONFIG=") && !strings.HasPrefix(kv, "PULUMI_CONFIG_SECRET_KEYS=") {
			env = append(env, kv)
		}
	}
	typescript := true // Pulumi's default for Node.js projects
	if value, ok := options["typescript"].(bool); ok {
		typescript = value
	}
	env = append(env, "PULUMI_NODEJS_TYPESCRIPT="+strconv.FormatBool(typescript))
	if tsconfig := stringOption(options, "tsconfig"); tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+tsconfig)
	}
	return env, piped, nil
}

// configPreload is config-from-pipe.cjs, which ensure.sh installs beside this binary.
func configPreload() (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("locating pulumi-language-nodejs: %w", err)
	}
	preload := filepath.Join(filepath.Dir(self), "config-from-pipe.cjs")
	if _, err := os.Stat(preload); err != nil {
		return "", fmt.Errorf("%s is missing: run scripts/pulumi-cli/ensure.sh", preload)
	}
	return preload, nil
}

func stringOption(options map[string]interface{}, key string) string {
	if value, ok := options[key].(string); ok {
		return value
	}
	return ""
}
