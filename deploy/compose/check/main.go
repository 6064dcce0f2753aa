// compose-check loads Docker Compose files with compose-go, the library `docker compose` itself
// uses: the compose-spec JSON schema (unknown keys are errors), interpolation, anchors and merge
// keys, and the semantic checks (depends_on targets, …). It prints the resolved project as JSON, or
// the error and exit status 1. Used by deploy/test/compose.test.ts where there is no Docker engine.
//
//	compose-check deploy/compose/docker-compose.yml
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: compose-check <compose file>...")
		os.Exit(2)
	}
	options, err := cli.NewProjectOptions(os.Args[1:], cli.WithOsEnv, cli.WithDotEnv, cli.WithConsistency(true))
	if err != nil {
		fail(err)
	}
	project, err := options.LoadProject(context.Background())
	if err != nil {
		fail(err)
	}
	out, err := json.MarshalIndent(project, "", "  ")
	if err != nil {
		fail(err)
	}
	fmt.Println(string(out))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
