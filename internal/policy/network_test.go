package policy

import (
	"net"
	"net/netip"
	"testing"

	"github.com/floe-db/floe/internal/audit"
	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/observe"
	"github.com/floe-db/floe/internal/sqlerr"
)

type auditLog []audit.Event

func (l *auditLog) Log(e audit.Event) { *l = append(*l, e) }

func netPolicy(t *testing.T, n *config.Network, log *auditLog) *Policy {
	t.Helper()
	cfg := &config.Config{Network: n}
	opts := Options{Metrics: observe.NewMetrics()}
	if log != nil {
		opts.Audit = log
	}
	p, err := New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestNetworkDecide(t *testing.T) {
	rules := &config.Network{Default: "deny", Rules: []config.NetworkRule{
		{Action: "deny", CIDRs: []string{"10.0.0.0/8"}},
		{Action: "deny", CIDRs: []string{"127.0.0.0/8", "::1"}, Users: []string{"bob"}},
		{Action: "allow", CIDRs: []string{"127.0.0.2/32", "::1/128"}, Users: []string{"alice"}, Databases: []string{"shop"}, Protocols: []string{"postgres", "http"}},
		{Action: "allow", CIDRs: []string{"127.0.0.3"}, Roles: []string{"ops"}},
		{Action: "allow", CIDRs: []string{"192.168.0.0/16", "fd00::/8"}},
	}}
	ip := netip.MustParseAddr
	cases := []struct {
		name    string
		f       NetFacts
		decided bool
		allow   bool
		by      string
	}{
		{"v4 in deny prefix at accept", NetFacts{Client: ip("10.1.2.3"), Protocol: "postgres"}, true, false, "network.rules[0]"},
		{"v4-mapped v6 in deny prefix", NetFacts{Client: ip("::ffff:10.1.2.3"), Protocol: "mysql"}, true, false, "network.rules[0]"},
		{"deny prefix before any allow, user known", NetFacts{Client: ip("10.9.9.9"), Protocol: "http", User: "alice", RolesKnown: true, Database: "shop", Final: true}, true, false, "network.rules[0]"},
		{"v4 allowed everywhere", NetFacts{Client: ip("192.168.4.5"), Protocol: "flightsql"}, true, true, "network.rules[4]"},
		{"v6 allowed everywhere", NetFacts{Client: ip("fd12::7"), Protocol: "mysql"}, true, true, "network.rules[4]"},
		{"v6 zone ignored", NetFacts{Client: ip("fd12::7%eth0"), Protocol: "mysql"}, true, true, "network.rules[4]"},
		{"unlisted network refused at accept", NetFacts{Client: ip("172.16.0.1"), Protocol: "postgres"}, true, false, "network.default"},
		{"unlisted v6 refused at accept", NetFacts{Client: ip("2001:db8::1"), Protocol: "postgres"}, true, false, "network.default"},
		{"listed for some users: undecided at accept", NetFacts{Client: ip("127.0.0.2"), Protocol: "postgres"}, false, false, ""},
		{"alice on shop over postgres", NetFacts{Client: ip("127.0.0.2"), Protocol: "postgres", User: "alice", RolesKnown: true, Database: "shop", Final: true}, true, true, "network.rules[2]"},
		{"alice over v6 loopback", NetFacts{Client: ip("::1"), Protocol: "http", User: "alice", RolesKnown: true, Database: "shop", Final: true}, true, true, "network.rules[2]"},
		{"alice over mysql: protocol not listed", NetFacts{Client: ip("127.0.0.2"), Protocol: "mysql", User: "alice", RolesKnown: true, Database: "shop", Final: true}, true, false, "network.default"},
		{"alice on another database", NetFacts{Client: ip("127.0.0.2"), Protocol: "postgres", User: "alice", RolesKnown: true, Database: "other", Final: true}, true, false, "network.default"},
		{"alice, database not known yet", NetFacts{Client: ip("127.0.0.2"), Protocol: "postgres", User: "alice", RolesKnown: true}, false, false, ""},
		{"alice with no database, final", NetFacts{Client: ip("127.0.0.2"), Protocol: "postgres", User: "alice", RolesKnown: true, Final: true}, true, false, "network.default"},
		{"alice from another loopback address", NetFacts{Client: ip("127.0.0.4"), Protocol: "postgres", User: "alice", RolesKnown: true, Database: "shop"}, true, false, "network.default"},
		{"bob refused before allow rules", NetFacts{Client: ip("127.0.0.3"), Protocol: "postgres", User: "bob", Roles: []string{"ops"}, RolesKnown: true}, true, false, "network.rules[1]"},
		{"BOB in another case is bob", NetFacts{Client: ip("127.0.0.3"), Protocol: "mysql", User: "BOB"}, true, false, "network.rules[1]"},
		{"bOb over v6", NetFacts{Client: ip("::1"), Protocol: "flightsql", User: "bOb"}, true, false, "network.rules[1]"},
		{"role allows", NetFacts{Client: ip("127.0.0.3"), Protocol: "mysql", User: "carol", Roles: []string{"ops"}, RolesKnown: true}, true, true, "network.rules[3]"},
		{"role unknown: undecided", NetFacts{Client: ip("127.0.0.3"), Protocol: "mysql", User: "carol"}, false, false, ""},
		{"role missing", NetFacts{Client: ip("127.0.0.3"), Protocol: "mysql", User: "carol", Roles: []string{"dev"}, RolesKnown: true}, true, false, "network.default"},
		{"no address", NetFacts{Protocol: "postgres"}, true, false, "network.client"},
	}
	p := netPolicy(t, rules, nil)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			decided, allow, by := p.network.decide(tc.f)
			if decided != tc.decided || allow != tc.allow || by != tc.by {
				t.Fatalf("got decided=%v allow=%v by=%q, want %v %v %q", decided, allow, by, tc.decided, tc.allow, tc.by)
			}
		})
	}
}

func TestNetworkDefaults(t *testing.T) {
	ip := netip.MustParseAddr("10.0.0.1")
	cases := []struct {
		name  string
		n     *config.Network
		allow bool
	}{
		{"no section", nil, true},
		{"default allow, no rules", &config.Network{Default: "allow"}, true},
		{"default deny, no rules", &config.Network{Default: "deny"}, false},
		{"allow rule elsewhere, default deny", &config.Network{Default: "deny", Rules: []config.NetworkRule{{Action: "allow", CIDRs: []string{"10.0.0.2"}}}}, false},
		{"deny rule elsewhere, default allow", &config.Network{Default: "allow", Rules: []config.NetworkRule{{Action: "deny", CIDRs: []string{"10.0.0.2"}}}}, true},
		{"first match wins: allow then deny", &config.Network{Default: "deny", Rules: []config.NetworkRule{{Action: "allow", CIDRs: []string{"10.0.0.0/24"}}, {Action: "deny", CIDRs: []string{"10.0.0.1"}}}}, true},
		{"first match wins: deny then allow", &config.Network{Default: "allow", Rules: []config.NetworkRule{{Action: "deny", CIDRs: []string{"10.0.0.1"}}, {Action: "allow", CIDRs: []string{"10.0.0.0/24"}}}}, false},
		{"a user rule of the same action does not block a decision", &config.Network{Default: "deny", Rules: []config.NetworkRule{{Action: "deny", CIDRs: []string{"10.0.0.0/8"}, Users: []string{"u"}}}}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := netPolicy(t, tc.n, nil)
			den := p.ScreenNetwork(NetAccept, NetFacts{Client: ip, Protocol: "postgres"})
			if (den == nil) != tc.allow {
				t.Fatalf("denial %v, want allowed=%v", den, tc.allow)
			}
		})
	}
}

func TestNetworkRefusalIsAuditedAndCoded(t *testing.T) {
	var log auditLog
	p := netPolicy(t, &config.Network{Default: "allow", Rules: []config.NetworkRule{{Action: "deny", CIDRs: []string{"127.0.0.2"}, Users: []string{"bob"}}}}, &log)
	if !p.Enabled() {
		t.Fatal("network rules do not turn the policy on: statements would skip them")
	}
	f := NetFacts{Client: AddrOf(&net.TCPAddr{IP: net.ParseIP("::ffff:127.0.0.2"), Port: 5}), Protocol: "mysql", User: "bob", RolesKnown: true, Database: "shop"}
	den := p.ScreenNetwork(NetLogin, f)
	if den == nil {
		t.Fatal("bob allowed")
	}
	if den.Code != sqlerr.InvalidAuthorizationSpecification || den.Errno != sqlerr.ErHostNotAllowed || den.Rule != RuleNetwork {
		t.Fatalf("denial %+v", den)
	}
	if want := `network rules refuse connections from host "127.0.0.2" for user "bob" to database "shop"`; den.Message != want {
		t.Fatalf("message %q", den.Message)
	}
	if len(log) != 1 || log[0].Type != "network" || log[0].Fields["stage"] != NetLogin || log[0].Fields["client"] != "127.0.0.2" ||
		log[0].Fields["rule"] != "network.rules[0]" || log[0].Fields["user"] != "bob" {
		t.Fatalf("audit %+v", log)
	}
	// A statement of bob's session is refused too, and audited once.
	d := p.Check(t.Context(), Request{User: "bob", Database: "shop", Client: "127.0.0.2", Protocol: "mysql", Dialect: MySQL, SQL: "SELECT 1"})
	if d.Denial == nil || d.Denial.Rule != RuleNetwork {
		t.Fatalf("statement decision %+v", d)
	}
	if len(log) != 2 || log[1].Fields["stage"] != NetStatement {
		t.Fatalf("audit %+v", log)
	}
	// Another user's statement runs.
	if d := p.Check(t.Context(), Request{User: "alice", Database: "shop", Client: "127.0.0.2", Protocol: "mysql", Dialect: MySQL, SQL: "SELECT 1"}); d.Denial != nil {
		t.Fatalf("alice: %v", d.Denial)
	}
}

func TestAddrOf(t *testing.T) {
	cases := []struct {
		a    net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.ParseIP("127.0.0.2"), Port: 1}, "127.0.0.2"},
		{&net.TCPAddr{IP: net.ParseIP("::ffff:127.0.0.2"), Port: 1}, "127.0.0.2"},
		{&net.TCPAddr{IP: net.ParseIP("::1"), Port: 1}, "::1"},
		{&net.TCPAddr{IP: net.ParseIP("fe80::1"), Port: 1, Zone: "eth0"}, "fe80::1"},
		{&net.UDPAddr{IP: net.ParseIP("10.0.0.1"), Port: 1}, "10.0.0.1"},
	}
	for _, tc := range cases {
		if got := AddrOf(tc.a); got.String() != tc.want {
			t.Errorf("%v: %s, want %s", tc.a, got, tc.want)
		}
	}
	if AddrOf(nil).IsValid() {
		t.Error("nil address is valid")
	}
}
