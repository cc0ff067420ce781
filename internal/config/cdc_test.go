package config

import (
	"strings"
	"testing"
	"time"
)

const cdcBase = "roles: [{name: analyst}]\nusers: [{name: alice, password: p, roles: [analyst]}]\ndatabases:\n"

func TestCDCParse(t *testing.T) {
	pg := "  - {name: App, kind: postgres, primary: 'postgres://u@h/app', cdc: %s}\n"
	my := "  - {name: shop, kind: mysql, primary: 'mysql://u@h:3306/shop', cdc: %s}\n"
	cases := []struct {
		name, src, want string
		check           func(t *testing.T, c *Config)
	}{
		{name: "absent", src: strings.Replace(pg, ", cdc: %s", "", 1), check: func(t *testing.T, c *Config) {
			if c.Databases[0].CDC != nil {
				t.Fatalf("cdc %+v", c.Databases[0].CDC)
			}
		}},
		{name: "postgres defaults", src: strings.Replace(pg, "%s", "{enabled: true}", 1), check: func(t *testing.T, c *Config) {
			x := c.Databases[0].CDC
			if !x.Enabled || x.Slot != "floe_app" || x.Publication != "floe_app" || x.Heartbeat != time.Second || x.ServerID != 0 {
				t.Fatalf("cdc %+v", x)
			}
		}},
		{name: "postgres explicit", src: strings.Replace(pg, "%s", "{enabled: true, slot: s1, publication: p1, tables: [public.orders], heartbeat: 250ms, state_dir: /var/lib/floe}", 1), check: func(t *testing.T, c *Config) {
			x := c.Databases[0].CDC
			if x.Slot != "s1" || x.Publication != "p1" || x.Tables[0] != "public.orders" || x.Heartbeat != 250*time.Millisecond || x.StateDir != "/var/lib/floe" {
				t.Fatalf("cdc %+v", x)
			}
		}},
		{name: "mysql defaults", src: strings.Replace(my, "%s", "{enabled: true}", 1), check: func(t *testing.T, c *Config) {
			x := c.Databases[0].CDC
			if x.ServerID < 1<<30 || x.ServerID != cdcServerID("shop") || x.Slot != "" {
				t.Fatalf("cdc %+v", x)
			}
		}},
		{name: "mysql server id", src: strings.Replace(my, "%s", "{enabled: true, server_id: 77}", 1), check: func(t *testing.T, c *Config) {
			if c.Databases[0].CDC.ServerID != 77 {
				t.Fatalf("cdc %+v", c.Databases[0].CDC)
			}
		}},
		{name: "sqlite", src: "  - {name: l, kind: sqlite, path: x, cdc: {enabled: true}}\n", want: "databases[0].cdc: change-data capture is for kind postgres or mysql"},
		{name: "bad slot", src: strings.Replace(pg, "%s", "{slot: Bad-Slot}", 1), want: "f.yaml:4: databases[0].cdc.slot: \"Bad-Slot\": want 1 to 63 lowercase"},
		{name: "bad publication", src: strings.Replace(pg, "%s", "{publication: \"a b\"}", 1), want: "databases[0].cdc.publication"},
		{name: "server id on postgres", src: strings.Replace(pg, "%s", "{server_id: 3}", 1), want: "databases[0].cdc.server_id: only for kind mysql"},
		{name: "ddl trigger", src: strings.Replace(pg, "%s", "{enabled: true, ddl_trigger: true}", 1), check: func(t *testing.T, c *Config) {
			if !c.Databases[0].CDC.DDLTrigger {
				t.Fatalf("cdc %+v", c.Databases[0].CDC)
			}
		}},
		{name: "ddl trigger on mysql", src: strings.Replace(my, "%s", "{ddl_trigger: true}", 1), want: "databases[0].cdc.ddl_trigger: only for kind postgres"},
		{name: "slot on mysql", src: strings.Replace(my, "%s", "{slot: s}", 1), want: "databases[0].cdc: slot and publication are only for kind postgres"},
		{name: "bad table", src: strings.Replace(pg, "%s", "{tables: [orders]}", 1), want: "databases[0].cdc.tables[0]: \"orders\": want schema.table"},
		{name: "short heartbeat", src: strings.Replace(pg, "%s", "{heartbeat: 10ms}", 1), want: "databases[0].cdc.heartbeat: 10ms: want between 100ms and 1h"},
		{name: "unknown key", src: strings.Replace(pg, "%s", "{enable: true}", 1), want: "databases[0].cdc.enable: unknown key"},
		{name: "shared slot", src: strings.Replace(pg, "%s", "{enabled: true, slot: s}", 1) +
			"  - {name: app2, kind: postgres, primary: 'postgres://u@h/app', cdc: {enabled: true, slot: s}}\n",
			want: "databases[1].cdc.slot: \"s\" is also the slot of database \"App\""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse("f.yaml", []byte(cdcBase+tc.src), env(nil))
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("error %v, want %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}

func TestCDCName(t *testing.T) {
	cases := map[string]string{"app": "floe_app", "My-Shop.eu": "floe_my_shop_eu", strings.Repeat("x", 80): "floe_" + strings.Repeat("x", 58)}
	for in, want := range cases {
		if got := cdcName(in); got != want {
			t.Errorf("cdcName(%q) = %q, want %q", in, got, want)
		}
	}
}
