package config

import (
	"fmt"
	"hash/fnv"
	"regexp"
	"strings"
	"time"
)

// CDC defaults.
const (
	DefaultCDCHeartbeat = time.Second
	// cdcServerIDBase: default MySQL server ids lie at or above it, clear
	// of the small ids replicas are usually given.
	cdcServerIDBase = 1 << 30
)

// CDC is databases[].cdc: change-data capture from the database's own
// change stream (PostgreSQL logical replication, MySQL row binary log).
type CDC struct {
	// Enabled starts the stream with the gateway.
	Enabled bool `yaml:"enabled"`
	// Slot and Publication name the PostgreSQL logical replication slot
	// and publication (default floe_<database>); Floe creates them when
	// missing.
	Slot        string `yaml:"slot"`
	Publication string `yaml:"publication"`
	// Tables limit the stream to these tables (schema.table); empty:
	// every table.
	Tables []string `yaml:"tables"`
	// DDLTrigger (PostgreSQL 14+; the login must be superuser) installs
	// an event trigger so that DDL is reported when it commits, not at
	// the table's next change.
	DDLTrigger bool `yaml:"ddl_trigger"`
	// ServerID is the replica id the MySQL stream registers with; it must
	// differ from every other replica's (default derived from the
	// database name, at or above 2^30).
	ServerID uint32 `yaml:"server_id"`
	// Heartbeat is how often the stream asks the server how far it is
	// (keepalives, binlog heartbeats) and saves its position (default 1s).
	Heartbeat time.Duration `yaml:"heartbeat"`
	// StateDir holds the stream's state file (default the gateway's data
	// directory).
	StateDir string `yaml:"state_dir"`
}

// cdcName is the default slot and publication name: floe_<database>
// with what PostgreSQL does not allow in a slot name replaced by "_".
func cdcName(database string) string {
	var b strings.Builder
	b.WriteString("floe_")
	for _, r := range strings.ToLower(database) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()[:min(b.Len(), 63)]
}

// cdcServerID is the default MySQL server id of a database.
func cdcServerID(database string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(database))
	return cdcServerIDBase | h.Sum32()&(cdcServerIDBase-1)
}

// applyCDCDefaults fills the unset cdc keys of every database.
func (c *Config) applyCDCDefaults() {
	for i := range c.Databases {
		d := &c.Databases[i]
		x := d.CDC
		if x == nil {
			continue
		}
		if x.Heartbeat == 0 {
			x.Heartbeat = DefaultCDCHeartbeat
		}
		switch d.Kind {
		case KindPostgres:
			if x.Slot == "" {
				x.Slot = cdcName(d.Name)
			}
			if x.Publication == "" {
				x.Publication = cdcName(d.Name)
			}
		case KindMySQL:
			if x.ServerID == 0 {
				x.ServerID = cdcServerID(d.Name)
			}
		}
	}
}

var cdcNameRE = regexp.MustCompile(`^[a-z0-9_]{1,63}$`)

// validateCDC checks databases[].cdc.
func (c *Config) validateCDC(v *checker) {
	slots := map[string]string{}
	for i := range c.Databases {
		d := &c.Databases[i]
		x := d.CDC
		if x == nil {
			continue
		}
		key := fmt.Sprintf("databases[%d].cdc", i)
		switch d.Kind {
		case KindPostgres:
			for _, n := range []struct{ k, v string }{{"slot", x.Slot}, {"publication", x.Publication}} {
				if !cdcNameRE.MatchString(n.v) {
					v.bad(key+"."+n.k, "%q: want 1 to 63 lowercase letters, digits or underscores", n.v)
				}
			}
			if x.ServerID != 0 {
				v.bad(key+".server_id", "only for kind mysql")
			}
			if other, ok := slots[d.Primary+"\x00"+x.Slot]; ok && x.Enabled {
				v.bad(key+".slot", "%q is also the slot of database %q on the same server", x.Slot, other)
			}
			if x.Enabled {
				slots[d.Primary+"\x00"+x.Slot] = d.Name
			}
		case KindMySQL:
			if x.Slot != "" || x.Publication != "" {
				v.bad(key, "slot and publication are only for kind postgres")
			}
			if x.DDLTrigger {
				v.bad(key+".ddl_trigger", "only for kind postgres (MySQL reports DDL from the binary log)")
			}
		default:
			v.bad(key, "change-data capture is for kind postgres or mysql, not %q", d.Kind)
		}
		for j, t := range x.Tables {
			s, tbl, ok := strings.Cut(t, ".")
			if !ok || s == "" || tbl == "" || strings.Contains(tbl, ".") {
				v.bad(fmt.Sprintf("%s.tables[%d]", key, j), "%q: want schema.table", t)
			}
		}
		if x.Heartbeat < 100*time.Millisecond || x.Heartbeat > time.Hour {
			v.bad(key+".heartbeat", "%s: want between 100ms and 1h", x.Heartbeat)
		}
	}
}
