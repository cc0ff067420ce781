package sqlite

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/floe-db/floe/"

// goList runs go list -f format on pkg (with deps, the packages it
// depends on too) and returns the lines of its output.
func goList(t *testing.T, deps bool, format, pkg string) []string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list imports: %v", err)
	}
	args := []string{"list"}
	if deps {
		args = append(args, "-deps")
	}
	args = append(args, "-f", format, module+pkg)
	out, err := exec.Command(gobin, args...).Output()
	if err != nil {
		t.Fatalf("go %s: %v", strings.Join(args, " "), err)
	}
	return strings.Fields(string(out))
}

// wireImports are the protocol packages among pkg's dependencies, direct
// or not, and pgproto3 when pkg imports it directly.
func wireImports(t *testing.T, pkg string) []string {
	deps := goList(t, true, "{{.ImportPath}}", pkg)
	if !slices.Contains(deps, module+"internal/sqlerr") {
		t.Fatalf("%s: the dependency list looks wrong: %v", pkg, deps)
	}
	var bad []string
	for _, d := range deps {
		if strings.HasPrefix(d, module+"internal/wire/") {
			bad = append(bad, d)
		}
	}
	for _, d := range goList(t, false, `{{join .Imports "\n"}}`, pkg) {
		if d == "github.com/jackc/pgx/v5/pgproto3" {
			bad = append(bad, d)
		}
	}
	return bad
}

// The engine core and the policy speak no protocol: only the front ends
// (pgfront, myfront) and what wires them import the wire packages.
func TestCoreImportsNoWirePackage(t *testing.T) {
	for _, pkg := range []string{"internal/backend/sqlite", "internal/policy"} {
		if bad := wireImports(t, pkg); len(bad) > 0 {
			t.Errorf("%s imports protocol packages: %v", pkg, bad)
		}
	}
	// The check sees a front end's protocol package.
	for pkg, want := range map[string]string{
		"internal/backend/sqlite/pgfront": module + "internal/wire/pgwire",
		"internal/backend/sqlite/myfront": module + "internal/wire/mysqlwire",
	} {
		if bad := wireImports(t, pkg); !slices.Contains(bad, want) {
			t.Errorf("%s: %v does not name %s", pkg, bad, want)
		}
	}
}
