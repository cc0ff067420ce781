package config

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// Network actions and the protocols a network rule may name.
const (
	NetworkAllow = "allow"
	NetworkDeny  = "deny"
)

// NetworkProtocols are the values of network.rules[].protocols.
var NetworkProtocols = []string{"postgres", "mysql", "http", "flightsql"}

// Network is network: rules on the client's address (the TCP peer),
// evaluated in order; the first matching rule decides, and when none
// matches, Default does.
type Network struct {
	// Default is allow or deny. Unset, it is deny when rules are given
	// (rules describe what may connect) and allow when none are.
	Default string        `yaml:"default" json:"default,omitempty"`
	Rules   []NetworkRule `yaml:"rules" json:"rules,omitempty"`

	// defaulted: Default was unset in the file (ApplyDefaults chose it).
	defaulted bool
}

// NetworkRule is one rule: it matches a client whose address lies in one
// of CIDRs and, for each of Users, Roles, Databases and Protocols that is
// given, whose user (any case), one of whose roles, whose database and
// whose protocol is listed.
type NetworkRule struct {
	Action string `yaml:"action" json:"action"`
	// CIDRs are prefixes (10.0.0.0/8, fd00::/8) or single addresses.
	CIDRs     []string `yaml:"cidrs" json:"cidrs"`
	Users     []string `yaml:"users" json:"users,omitempty"`
	Roles     []string `yaml:"roles" json:"roles,omitempty"`
	Databases []string `yaml:"databases" json:"databases,omitempty"`
	Protocols []string `yaml:"protocols" json:"protocols,omitempty"`
}

// ParseCIDR reads a rule's CIDR: a prefix or a single address, IPv4,
// IPv6, or IPv4-mapped IPv6 (::ffff:10.0.0.0/104 is 10.0.0.0/8). The
// prefix is returned masked and without a zone; an IPv4-mapped one as
// the IPv4 prefix it stands for.
func ParseCIDR(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	var p netip.Prefix
	if strings.Contains(s, "/") {
		var err error
		if p, err = netip.ParsePrefix(s); err != nil {
			return netip.Prefix{}, fmt.Errorf("%q: want an address or CIDR (10.0.0.0/8, fd00::/8)", s)
		}
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q: want an address or CIDR (10.0.0.0/8, fd00::/8)", s)
		}
		a = a.WithZone("")
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if a := p.Addr(); a.Is4In6() {
		if p.Bits() < 96 {
			return netip.Prefix{}, fmt.Errorf("%q: an IPv4-mapped prefix needs at least 96 bits", s)
		}
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}

// applyNetworkDefaults sets network.default when unset.
func (c *Config) applyNetworkDefaults() {
	n := c.Network
	if n == nil || n.Default != "" {
		return
	}
	n.defaulted = true
	n.Default = NetworkAllow
	if len(n.Rules) > 0 {
		n.Default = NetworkDeny
	}
}

// validateNetwork checks network: (after users, roles and databases).
func (c *Config) validateNetwork(v *checker) {
	n := c.Network
	if n == nil {
		return
	}
	if n.Default != NetworkAllow && n.Default != NetworkDeny {
		v.bad("network.default", "%q: want allow or deny", n.Default)
	}
	allDeny := len(n.Rules) > 0
	for i, r := range n.Rules {
		key := fmt.Sprintf("network.rules[%d]", i)
		switch r.Action {
		case NetworkAllow:
			allDeny = false
		case NetworkDeny:
		default:
			v.bad(key+".action", "%q: want allow or deny", r.Action)
		}
		if len(r.CIDRs) == 0 {
			v.bad(key+".cidrs", "is required (0.0.0.0/0 and ::/0 match every client)")
		}
		for j, s := range r.CIDRs {
			if _, err := ParseCIDR(s); err != nil {
				v.bad(fmt.Sprintf("%s.cidrs[%d]", key, j), "%v", err)
			}
		}
		for j, u := range r.Users {
			if !v.users[u] {
				v.bad(fmt.Sprintf("%s.users[%d]", key, j), "unknown user %q", u)
			}
		}
		for j, ro := range r.Roles {
			if !v.roles[ro] {
				v.bad(fmt.Sprintf("%s.roles[%d]", key, j), "unknown role %q", ro)
			}
		}
		for j, d := range r.Databases {
			if !v.databases[d] {
				v.bad(fmt.Sprintf("%s.databases[%d]", key, j), "unknown database %q", d)
			}
		}
		for j, p := range r.Protocols {
			if !slices.Contains(NetworkProtocols, p) {
				v.bad(fmt.Sprintf("%s.protocols[%d]", key, j), "%q: want %s", p, strings.Join(NetworkProtocols, ", "))
			}
		}
	}
	if allDeny && n.defaulted {
		v.bad("network.default", "every rule denies and default is unset, which denies too: nothing could connect (set default: allow, or default: deny to mean it)")
	}
}

// withNetworkOverlay is c's network section with the shared store's
// rules placed before the file's (so that an operator can refuse a
// network at once); the default stays the file's, or allow when the
// file has no network section.
func (c *Config) withNetworkOverlay(rules []NetworkRule) *Network {
	if len(rules) == 0 {
		return c.Network
	}
	n := Network{Default: NetworkAllow}
	if c.Network != nil {
		n = *c.Network
	}
	n.Rules = append(slices.Clone(rules), n.Rules...)
	return &n
}
