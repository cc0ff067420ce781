package route

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/floe-db/floe/internal/sqlparse"
)

// Role is what a backend was last seen to be.
type Role uint8

// Roles.
const (
	RoleUnknown Role = iota
	RolePrimary
	RoleReplica
)

func (r Role) String() string {
	switch r {
	case RolePrimary:
		return "primary"
	case RoleReplica:
		return "replica"
	}
	return "unknown"
}

// Backend is one server of a database as the router sees it.
type Backend struct {
	Name    string
	Role    Role
	Healthy bool
	// Weight is the backend's share under weighted balancing (≥ 1).
	Weight int
	Tags   map[string]string
	// Lag is the replica's replication delay; negative when unknown.
	Lag time.Duration
	// ReplayLSN is how far a PostgreSQL replica has replayed (0: unknown).
	ReplayLSN uint64
	// Outstanding is the number of statements in flight on it.
	Outstanding int
}

// Balance chooses among eligible replicas.
type Balance uint8

// Balancing methods.
const (
	RoundRobin Balance = iota
	Weighted
	LeastOutstanding
)

// ParseBalance reads a balancing method's config name.
func ParseBalance(s string) (Balance, bool) {
	switch s {
	case "", "round_robin":
		return RoundRobin, true
	case "weighted":
		return Weighted, true
	case "least_outstanding":
		return LeastOutstanding, true
	}
	return 0, false
}

// Policy is a database's routing settings.
type Policy struct {
	// Split sends read-only statements outside transactions to replicas.
	Split   bool
	Balance Balance
	// MaxLag skips replicas further behind (0: no limit; a replica of
	// unknown lag is skipped when a limit is set).
	MaxLag time.Duration
	// ReadYourWrites keeps a session's reads on the primary for this long
	// after its last write, unless a replica has replayed past the
	// write's position.
	ReadYourWrites time.Duration
	// Prefer are tags (e.g. region) preferred among eligible replicas;
	// others serve only when no preferred one can.
	Prefer map[string]string
	// FailoverWait is how long a statement that needs the primary waits
	// for one while there is none.
	FailoverWait time.Duration
}

// Session is what the router needs of a client session.
type Session struct {
	InTransaction bool
	// Pinned sessions hold state on their connection: they stay on the
	// primary.
	Pinned bool
	// LastWrite is when the session last wrote (zero: never).
	LastWrite time.Time
	// WriteLSN is the primary's WAL position after that write (0:
	// unknown).
	WriteLSN uint64
}

// Class is a statement's routing class.
type Class struct {
	// Read is true for statements a replica may serve.
	Read bool
	// Why names what made it a write (or "read").
	Why string
}

// hint is the leading comment that forces the primary.
var hint = regexp.MustCompile(`^\s*/\*\s*floe:primary\s*\*/`)

// readOnlyFunctions are functions without side effects that a replica
// can evaluate; any other function sends the statement to the primary
// (nextval, setval, user functions that may write, …).
var readOnlyFunctions = map[string]bool{}

func init() {
	for _, f := range strings.Fields(`count sum avg min max stddev variance bool_and bool_or every array_agg string_agg
		json_agg jsonb_agg json_object_agg jsonb_object_agg group_concat
		row_number rank dense_rank percent_rank cume_dist ntile lag lead first_value last_value nth_value
		lower upper length char_length character_length octet_length substr substring trim ltrim rtrim btrim
		replace concat concat_ws left right lpad rpad position strpos split_part reverse repeat initcap format
		regexp_replace regexp_matches regexp_split_to_array to_char to_number to_date to_timestamp md5 encode decode
		coalesce nullif greatest least abs round trunc floor ceil ceiling mod power sqrt exp ln log sign pi
		now current_timestamp current_date current_time localtime localtimestamp clock_timestamp statement_timestamp
		date_trunc date_part extract age make_date make_interval date_bin timezone
		json_build_object jsonb_build_object json_build_array jsonb_build_array to_json to_jsonb row_to_json
		json_extract_path jsonb_extract_path json_extract_path_text jsonb_extract_path_text jsonb_array_length
		array_length array_position cardinality unnest generate_series
		if ifnull isnull date_format curdate curtime sysdate unix_timestamp from_unixtime date_add date_sub
		datediff timestampdiff year month day hour minute second dayofweek week str_to_date instr locate
		json_extract json_unquote json_object json_array cast convert
		pg_is_in_recovery current_setting inet_server_port version current_user session_user current_database
		current_schema pg_backend_pid database user schema connection_id`) {
		readOnlyFunctions[f] = true
	}
}

// Classify decides whether statements may run on a replica. stmts are
// the parsed statements of text (nil when it did not parse: then the
// primary, the safe side).
func Classify(text string, stmts []sqlparse.Statement) Class {
	if hint.MatchString(text) {
		return Class{Why: "hint floe:primary"}
	}
	if len(stmts) == 0 {
		return Class{Why: "not parsed"}
	}
	for _, st := range stmts {
		switch {
		case st.Kind != sqlparse.KindSelect:
			return Class{Why: "statement " + string(st.Kind)}
		case st.SelectInto:
			return Class{Why: "SELECT INTO"}
		case st.Locking:
			return Class{Why: "row locks (FOR UPDATE/SHARE)"}
		}
		for _, t := range st.Tables {
			if t.Action != sqlparse.ActionRead {
				return Class{Why: "writes " + t.String()}
			}
		}
		for _, f := range st.Functions {
			name := f
			if i := strings.LastIndexByte(f, '.'); i >= 0 && strings.HasPrefix(f, "pg_catalog.") {
				name = f[i+1:]
			}
			if !readOnlyFunctions[name] {
				return Class{Why: "function " + f}
			}
		}
	}
	return Class{Read: true, Why: "read"}
}

// ErrNoPrimary is returned for a statement that needs the primary when
// no healthy primary is known.
var ErrNoPrimary = errors.New("no healthy primary")

// Decision is where a statement goes.
type Decision struct {
	// Backend indexes the backends given to Decide (-1 with Err).
	Backend int
	Why     string
	Err     error
}

// Decide routes a statement of class c from session s among backends.
// pick varies the choice among equals (a counter or a random number; a
// fixed value makes decisions reproducible).
func Decide(c Class, s Session, backends []Backend, p Policy, now time.Time, pick uint64) Decision {
	primary := slices.IndexFunc(backends, func(b Backend) bool { return b.Role == RolePrimary && b.Healthy })
	toPrimary := func(why string) Decision {
		if primary < 0 {
			if c.Read && !s.InTransaction && !s.Pinned {
				if d, ok := chooseReplica(backends, p, s, now, pick, false); ok {
					d.Why = "primary down, " + d.Why
					return d
				}
			}
			return Decision{Backend: -1, Why: why, Err: ErrNoPrimary}
		}
		return Decision{Backend: primary, Why: why}
	}
	switch {
	case !c.Read:
		return toPrimary(c.Why)
	case s.InTransaction:
		return toPrimary("in a transaction")
	case s.Pinned:
		return toPrimary("pinned session")
	case !p.Split:
		return toPrimary("read/write split off")
	}
	if d, ok := chooseReplica(backends, p, s, now, pick, true); ok {
		return d
	}
	if p.ReadYourWrites > 0 && !s.LastWrite.IsZero() && now.Sub(s.LastWrite) < p.ReadYourWrites {
		return toPrimary("read-your-writes")
	}
	return toPrimary("no eligible replica")
}

// chooseReplica picks an eligible replica; ryw applies the session's
// read-your-writes window.
func chooseReplica(backends []Backend, p Policy, s Session, now time.Time, pick uint64, ryw bool) (Decision, bool) {
	inWindow := ryw && p.ReadYourWrites > 0 && !s.LastWrite.IsZero() && now.Sub(s.LastWrite) < p.ReadYourWrites
	var eligible []int
	for i, b := range backends {
		if b.Role != RoleReplica || !b.Healthy {
			continue
		}
		if p.MaxLag > 0 && (b.Lag < 0 || b.Lag > p.MaxLag) {
			continue
		}
		if inWindow && (s.WriteLSN == 0 || b.ReplayLSN < s.WriteLSN) {
			continue
		}
		eligible = append(eligible, i)
	}
	if len(eligible) == 0 {
		return Decision{}, false
	}
	why := "replica"
	if inWindow {
		why = "replica replayed past the write"
	}
	if len(p.Prefer) > 0 {
		var preferred []int
		for _, i := range eligible {
			if matches(backends[i].Tags, p.Prefer) {
				preferred = append(preferred, i)
			}
		}
		if len(preferred) > 0 {
			eligible, why = preferred, why+", preferred tags"
		} else {
			why += ", no preferred replica"
		}
	}
	var i int
	switch p.Balance {
	case Weighted:
		total := 0
		for _, j := range eligible {
			total += max(1, backends[j].Weight)
		}
		n := int(pick % uint64(total))
		for _, j := range eligible {
			if n -= max(1, backends[j].Weight); n < 0 {
				i = j
				break
			}
		}
	case LeastOutstanding:
		least := slices.MinFunc(eligible, func(a, b int) int { return backends[a].Outstanding - backends[b].Outstanding })
		var ties []int
		for _, j := range eligible {
			if backends[j].Outstanding == backends[least].Outstanding {
				ties = append(ties, j)
			}
		}
		i = ties[pick%uint64(len(ties))]
	default:
		i = eligible[pick%uint64(len(eligible))]
	}
	return Decision{Backend: i, Why: why}, true
}

func matches(tags, want map[string]string) bool {
	for k, v := range want {
		if tags[k] != v {
			return false
		}
	}
	return true
}
