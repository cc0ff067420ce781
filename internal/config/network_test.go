package config

import (
	"net/netip"
	"strings"
	"testing"
)

const networkBase = "databases: [{name: shop, kind: sqlite, path: x}]\nroles: [{name: analyst}]\nusers: [{name: alice, password: p, roles: [analyst]}]\n"

func TestNetworkParse(t *testing.T) {
	cases := []struct {
		name, src, want, def string
	}{
		{name: "no section", src: "", def: ""},
		{name: "empty section allows", src: "network: {}\n", def: "allow"},
		{name: "rules without default deny", src: "network:\n  rules:\n    - {action: allow, cidrs: [127.0.0.1]}\n", def: "deny"},
		{name: "explicit default", src: "network:\n  default: allow\n  rules:\n    - {action: deny, cidrs: [10.0.0.0/8]}\n", def: "allow"},
		{name: "explicit deny with only deny rules", src: "network:\n  default: deny\n  rules:\n    - {action: deny, cidrs: [10.0.0.0/8]}\n", def: "deny"},
		{name: "full rule", src: "network:\n  rules:\n    - {action: allow, cidrs: [127.0.0.2/32, \"::1/128\", \"::ffff:10.0.0.0/104\"], users: [alice], roles: [analyst], databases: [shop], protocols: [postgres, mysql, http, flightsql]}\n", def: "deny"},
		{name: "only deny rules and no default", src: "network:\n  rules:\n    - {action: deny, cidrs: [10.0.0.0/8]}\n", want: "f.yaml:5: network.default: every rule denies"},
		{name: "bad default", src: "network:\n  default: maybe\n", want: "f.yaml:5: network.default: \"maybe\": want allow or deny"},
		{name: "bad action", src: "network:\n  rules:\n    - action: permit\n      cidrs: [10.0.0.0/8]\n", want: "f.yaml:6: network.rules[0].action: \"permit\""},
		{name: "no cidrs", src: "network:\n  default: allow\n  rules:\n    - {action: deny, users: [alice]}\n", want: "network.rules[0].cidrs: is required"},
		{name: "bad cidr", src: "network:\n  default: allow\n  rules:\n    - action: deny\n      cidrs:\n        - 10.0.0.0/8\n        - 10.0.0.300/8\n", want: "f.yaml:10: network.rules[0].cidrs[1]: \"10.0.0.300/8\": want an address or CIDR"},
		{name: "hostname is no cidr", src: "network:\n  default: allow\n  rules:\n    - {action: deny, cidrs: [example.com]}\n", want: "network.rules[0].cidrs[0]"},
		{name: "short mapped prefix", src: "network:\n  default: allow\n  rules:\n    - {action: deny, cidrs: [\"::ffff:0:0/80\"]}\n", want: "needs at least 96 bits"},
		{name: "unknown user", src: "network:\n  default: allow\n  rules:\n    - {action: deny, cidrs: [10.0.0.0/8], users: [bob]}\n", want: "network.rules[0].users[0]: unknown user \"bob\""},
		{name: "unknown role", src: "network:\n  default: allow\n  rules:\n    - {action: deny, cidrs: [10.0.0.0/8], roles: [ghost]}\n", want: "network.rules[0].roles[0]: unknown role \"ghost\""},
		{name: "unknown database", src: "network:\n  default: allow\n  rules:\n    - {action: deny, cidrs: [10.0.0.0/8], databases: [nope]}\n", want: "network.rules[0].databases[0]: unknown database \"nope\""},
		{name: "bad protocol", src: "network:\n  default: allow\n  rules:\n    - {action: deny, cidrs: [10.0.0.0/8], protocols: [ssh]}\n", want: "network.rules[0].protocols[0]: \"ssh\": want postgres, mysql, http, flightsql"},
		{name: "unknown key", src: "network:\n  default: allow\n  rules:\n    - {action: deny, cidrs: [10.0.0.0/8], hosts: [x]}\n", want: "network.rules[0].hosts: unknown key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse("f.yaml", []byte(networkBase+tc.src), env(nil))
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("error %v, want %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.def == "" && c.Network != nil:
				t.Fatalf("network: %+v", c.Network)
			case tc.def != "" && (c.Network == nil || c.Network.Default != tc.def):
				t.Fatalf("network: %+v, want default %s", c.Network, tc.def)
			}
		})
	}
}

func TestParseCIDR(t *testing.T) {
	cases := []struct{ in, want string }{
		{"10.1.2.3/8", "10.0.0.0/8"},
		{"127.0.0.2", "127.0.0.2/32"},
		{"::1", "::1/128"},
		{"fd00::1/8", "fd00::/8"},
		{"::ffff:10.0.0.0/104", "10.0.0.0/8"},
		{"::ffff:192.168.1.7", "192.168.1.7/32"},
		{"fe80::1%eth0", "fe80::1/128"},
		{" 0.0.0.0/0 ", "0.0.0.0/0"},
	}
	for _, tc := range cases {
		p, err := ParseCIDR(tc.in)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if p != netip.MustParsePrefix(tc.want) {
			t.Errorf("%q: got %s, want %s", tc.in, p, tc.want)
		}
	}
	for _, bad := range []string{"", "10.0.0.0/33", "10.0.0", "::ffff:0:0/64", "10.0.0.0/8/8"} {
		if _, err := ParseCIDR(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestNetworkOverlay(t *testing.T) {
	file, err := Parse("f.yaml", []byte(networkBase+"network:\n  rules:\n    - {action: allow, cidrs: [127.0.0.0/8]}\n"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	store := []NetworkRule{{Action: NetworkDeny, CIDRs: []string{"127.0.0.3"}}}
	merged, err := file.WithOverlay(Overlay{NetworkRules: store}, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := merged.Network
	if n.Default != NetworkDeny || len(n.Rules) != 2 || n.Rules[0].CIDRs[0] != "127.0.0.3" || n.Rules[1].CIDRs[0] != "127.0.0.0/8" {
		t.Fatalf("merged: %+v", n)
	}
	if len(file.Network.Rules) != 1 {
		t.Fatalf("the file's rules changed: %+v", file.Network.Rules)
	}
	// Without a network section in the file, the store's rules fall
	// back to allow: a block list.
	bare, err := Parse("f.yaml", []byte(networkBase), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	merged, err = bare.WithOverlay(Overlay{NetworkRules: store}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if merged.Network.Default != NetworkAllow || len(merged.Network.Rules) != 1 {
		t.Fatalf("merged: %+v", merged.Network)
	}
	if _, err := bare.WithOverlay(Overlay{NetworkRules: []NetworkRule{{Action: "permit", CIDRs: []string{"x"}}}}, nil); err == nil {
		t.Fatal("a bad store rule was accepted")
	}
	if (Overlay{NetworkRules: store}).Empty() {
		t.Fatal("an overlay with network rules is empty")
	}
}

// FuzzParseCIDR: whatever it accepts is a valid, masked prefix that is
// never IPv4-mapped (so an unmapped client address is compared with it)
// and that contains its own address.
func FuzzParseCIDR(f *testing.F) {
	for _, s := range []string{"10.0.0.0/8", "127.0.0.2", "::1/128", "::ffff:10.0.0.0/104", "fe80::1%eth0", "0.0.0.0/0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseCIDR(s)
		if err != nil {
			return
		}
		if !p.IsValid() || p != p.Masked() || p.Addr().Is4In6() || p.Addr().Zone() != "" || !p.Contains(p.Addr()) {
			t.Fatalf("%q: %s", s, p)
		}
	})
}
