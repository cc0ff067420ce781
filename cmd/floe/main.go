package main

import (
	"context"
	"os"

	"github.com/floe-db/floe/internal/cli"
)

func main() {
	os.Exit(cli.Main(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
