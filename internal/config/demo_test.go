package config

import (
	"path/filepath"
	"testing"
)

// Demo mode's database is the embedded engine with the result cache on,
// and the configuration passes validation.
func TestDemo(t *testing.T) {
	c := Demo(filepath.Join(t.TempDir(), "demo.db"))
	if len(c.Databases) != 1 {
		t.Fatalf("%d databases", len(c.Databases))
	}
	d := c.Databases[0]
	if d.Kind != KindSQLite || d.Cache == nil || !d.Cache.Enabled || d.Cache.Redis != nil {
		t.Fatalf("demo database %+v, cache %+v", d, d.Cache)
	}
	if errs := c.validate(); len(errs) > 0 {
		t.Fatal(errs)
	}
}
