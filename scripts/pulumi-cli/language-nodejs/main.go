// pulumi-language-nodejs: lyra-fleet's own Node.js language host for the Pulumi engine.
//
// Pulumi's language host is a Go module of its own that the module proxy this project can reach
// does not serve (see README, "The Pulumi CLI offline"). The engine only needs a gRPC
// LanguageRuntime server under this name, and the real work (evaluating the program, compiling
// TypeScript, registering resources) is done by the Node.js SDK the project pins
// (@pulumi/pulumi/cmd/run). So this host does what the engine asks of a language host during
// preview, up, refresh and destroy, and nothing else: it names the plugins the installed packages
// declare, and runs the program with the SDK's own runner.
//
// The engine starts it with its own address as the last argument and reads the port it serves on
// from the first line of its standard output.
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
)

// version is set at build time to the Pulumi release the SDK and CLI are pinned to.
var version = "dev"

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: pulumi-language-nodejs [flags] ENGINE_ADDRESS (started by the Pulumi engine)")
		os.Exit(2)
	}
	// Older engines pass flags before the address; the address is always last.
	engine := os.Args[len(os.Args)-1]
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(s *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(s, &languageHost{engineAddress: engine})
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: cannot serve: %v\n", err)
		os.Exit(1)
	}
	go exitWithEngine()
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: %v\n", err)
		os.Exit(1)
	}
}

// exitWithEngine ends this host when the engine that started it is gone (killed, crashed): an
// orphaned language host would otherwise serve nobody for as long as the machine runs.
func exitWithEngine() {
	engine := os.Getppid()
	for range time.Tick(time.Second) {
		if os.Getppid() != engine {
			os.Exit(1)
		}
	}
}
