package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// packageManifest is the part of a package.json that names a Pulumi resource plugin.
type packageManifest struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Pulumi  *struct {
		Resource bool   `json:"resource"`
		Name     string `json:"name"`
		Version  string `json:"version"`
		Server   string `json:"server"`
	} `json:"pulumi"`
}

// requiredPlugins lists the resource plugins that the packages installed in the project's
// node_modules declare (`"pulumi": {"resource": true, ...}` in their package.json), as Pulumi's
// own language host does: the engine wants each of them before a run unless told to load
// plugins lazily (`--skip-plugin-pre-install`).
func requiredPlugins(programDirectory string) ([]*pulumirpc.PackageDependency, error) {
	modules, err := findNodeModules(programDirectory)
	if err != nil || modules == "" {
		return nil, err
	}
	manifests, err := filepath.Glob(filepath.Join(modules, "*", "package.json"))
	if err != nil {
		return nil, err
	}
	scoped, err := filepath.Glob(filepath.Join(modules, "@*", "*", "package.json"))
	if err != nil {
		return nil, err
	}
	seen := map[string]*pulumirpc.PackageDependency{}
	for _, path := range append(manifests, scoped...) {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		var manifest packageManifest
		if json.Unmarshal(data, &manifest) != nil || manifest.Pulumi == nil || !manifest.Pulumi.Resource {
			continue
		}
		name, version := manifest.Pulumi.Name, manifest.Pulumi.Version
		if version == "" {
			version = manifest.Version
		}
		if name == "" {
			continue
		}
		seen[name+"@"+version] = &pulumirpc.PackageDependency{
			Kind: "resource", Name: name, Version: version, Server: manifest.Pulumi.Server,
		}
	}
	keys := make([]string, 0, len(seen))
	for key := range seen {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	found := make([]*pulumirpc.PackageDependency, 0, len(keys))
	for _, key := range keys {
		found = append(found, seen[key])
	}
	return found, nil
}

// findNodeModules returns the nearest node_modules at or above dir ("" when there is none).
func findNodeModules(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		candidate := filepath.Join(dir, "node_modules")
		if info, err := os.Stat(candidate); err == nil && info.IsDir() {
			return candidate, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", nil
		}
		dir = parent
	}
}
